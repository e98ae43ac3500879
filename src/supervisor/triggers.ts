// What starts or restarts a process besides the supervisor itself: its schedule (schedules.ts) and
// its watched files (watches.ts), armed per process and disarmed when it changes, goes or is left out.
import type { SupervisedProcess } from '../process/supervised.ts';
import { scheduleRuns, type Armed } from './schedules.ts';
import { watchFiles, type WatchWorld } from './watches.ts';

export class Triggers {
  private readonly world: WatchWorld;
  private readonly active: () => boolean;
  private readonly armed = new Map<string, Armed[]>();

  // `active()`: whether a watched file's change may act now (not while shutting down).
  constructor(world: WatchWorld, active: () => boolean) {
    this.world = world;
    this.active = active;
  }

  // Arms a process's schedule and watched files (nothing when it has neither).
  arm(p: SupervisedProcess): void {
    const armed: Armed[] = [];
    if (p.descriptor.schedule) armed.push(scheduleRuns(p, this.world));
    if (p.descriptor.watch) armed.push(watchFiles(p, this.world, this.active));
    if (armed.length > 0) this.armed.set(p.name, armed);
  }

  disarm(name: string): void {
    for (const a of this.armed.get(name) ?? []) a.stop();
    this.armed.delete(name);
  }

  disarmAll(): void {
    for (const name of [...this.armed.keys()]) this.disarm(name);
  }

  isArmed(name: string): boolean {
    return this.armed.has(name);
  }

  // The next scheduled run of a process, for status.
  next(name: string): Date | undefined {
    return this.armed.get(name)?.find((a) => a.next)?.next;
  }
}
