// The main command beside --only: it starts once the processes --only selects are ready (or have
// ended for good), as a process with "after" would — `COLONY_ONLY=redis colony run -- pytest` finds
// redis accepting connections. Bounded: after `boundMs` it starts anyway, with a warning naming what
// is not ready.
import type { Clock, Timer } from '../common/clock.ts';
import type { Log } from '../log/logger.ts';

export interface MainGateOptions {
  clock: Clock;
  log: Log;
  // How long to wait at most (asked once the processes to wait for are known).
  boundMs: () => number;
  // Starts the main command.
  open: () => void;
}

export class MainGate {
  private readonly o: MainGateOptions;
  private timer: Timer | undefined;
  private waiting: string[] = [];
  private done = false;

  constructor(o: MainGateOptions) {
    this.o = o;
  }

  // Looks again. `waiting`: the processes not ready yet; undefined while they are not known (the
  // config directory's first scan is not done).
  check(waiting: string[] | undefined): void {
    if (this.done || waiting === undefined) return;
    this.waiting = waiting;
    if (waiting.length === 0) return this.open();
    if (this.timer !== undefined) return;
    const ms = this.o.boundMs();
    this.timer = this.o.clock.setTimeout(() => {
      this.timer = undefined;
      this.o.log.warn(`starting the main command although ${this.waiting.join(', ')} ${this.waiting.length === 1 ? 'is' : 'are'} not ready after ${ms / 1000} s`);
      this.open();
    }, ms);
  }

  // The main command will not be started (colony is shutting down).
  cancel(): void {
    this.done = true;
    if (this.timer !== undefined) this.o.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private open(): void {
    this.cancel();
    this.o.open();
  }
}
