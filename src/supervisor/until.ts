// Waiting for a condition on the supervised processes: looked at after every change and every 20 ms
// (a reap or a closed pipe may not be a change of any process), given up at a deadline.
import type { Clock, Timer } from '../common/clock.ts';

const POLL_MS = 20;

export class Waits {
  private readonly clock: Clock;
  private readonly pending = new Set<() => void>();

  constructor(clock: Clock) {
    this.clock = clock;
  }

  // Something changed: every pending condition is looked at again.
  poke(): void {
    for (const check of [...this.pending]) check();
  }

  // Resolves true when cond() holds, false once deadlineMs have passed.
  until(cond: () => boolean, deadlineMs = Infinity): Promise<boolean> {
    return new Promise((resolve) => {
      if (cond()) return resolve(true);
      const started = this.clock.now();
      let timer: Timer | undefined;
      const finish = (ok: boolean): void => {
        this.pending.delete(check);
        if (timer) this.clock.clearTimeout(timer);
        timer = undefined;
        resolve(ok);
      };
      const check = (): void => {
        if (cond()) finish(true);
        else if (this.clock.now() - started >= deadlineMs) finish(false);
      };
      const tick = (): void => {
        timer = this.clock.setTimeout(() => {
          check();
          if (timer) tick();
        }, POLL_MS);
      };
      this.pending.add(check);
      tick();
    });
  }
}
