// What the operator asked of one process, kept by name across restarts of others, rescans and
// descriptor changes: stopped by request (`ctl stop`) it stays down until `ctl start` or a restart of
// it by name; with "autostart": false it starts only when asked. Pure bookkeeping: the supervisor acts.
import type { Descriptor } from '../descriptor/parse.ts';

export type Hold = 'stopped' | 'autostart-off';

export class Holds {
  // Stopped by request.
  private readonly stopped = new Set<string>();
  // Started by request (counts for a process whose descriptor says "autostart": false).
  private readonly started = new Set<string>();

  // ctl stop.
  stop(name: string): void {
    this.stopped.add(name);
    this.started.delete(name);
  }

  // ctl start, or a restart by name.
  start(name: string): void {
    this.stopped.delete(name);
    this.started.add(name);
  }

  // Why a process must not start on its own (undefined: it may).
  hold(name: string, d: Pick<Descriptor, 'autostart'>): Hold | undefined {
    if (this.stopped.has(name)) return 'stopped';
    if (!d.autostart && !this.started.has(name)) return 'autostart-off';
    return undefined;
  }

  isStopped(name: string): boolean {
    return this.stopped.has(name);
  }
}
