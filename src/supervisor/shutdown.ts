// The shutdown: every process stopped in reverse "after" order within one budget (--stop-timeout),
// SIGKILL to what is left when it is spent, then the orphans colony adopted, then the last lines of
// output read.
import { namesIn } from './replicas.ts';
import type { Clock } from '../common/clock.ts';
import type { Log } from '../log/logger.ts';
import type { SupervisedProcess } from '../process/supervised.ts';
import type { ProcessWorld } from '../process/world.ts';
import { isZombie } from '../system/proc.ts';
import type { Waits } from './until.ts';

// The whole shutdown's time: each step gets what is left of it.
export class Budget {
  readonly ms: number;
  private readonly clock: Clock;
  private readonly deadline: number;

  constructor(clock: Clock, ms: number) {
    this.clock = clock;
    this.ms = ms;
    this.deadline = clock.now() + ms;
  }

  // What is left (never negative; Infinity without a budget).
  left(): number {
    return Math.max(0, this.deadline - this.clock.now());
  }

  // A kill time cut to what is left.
  cut(ms: number): number {
    return Math.min(ms, this.left());
  }
}

// A kill time that cannot fit the shutdown budget: the warning (at shutdown it gets what is left).
export function budgetWarning(p: SupervisedProcess, budgetMs: number): { message: string; fields: Record<string, unknown> } | undefined {
  if (p.policy.killTimeMs <= budgetMs) return undefined;
  const message = `kill time ${p.policy.killTimeMs / 1000} s cannot fit the ${budgetMs / 1000} s shutdown budget (--stop-timeout): at shutdown it gets what is left of the budget`;
  return { message, fields: { proc: p.name, ...(p.descriptor.source ? { file: p.descriptor.source, field: 'kill_time' } : {}) } };
}

export interface ShutdownWorld extends Pick<ProcessWorld, 'clock' | 'log' | 'kill'> {
  // colony's children it did not spawn (adopted orphans).
  adopted(): number[];
}

// The whole shutdown: the processes, then the adopted orphans, then the last lines in the pipes of
// processes that have exited (bounded: a process outside colony's reach may hold a pipe open).
export async function shutDown(procs: SupervisedProcess[], o: { received: NodeJS.Signals | undefined; budget: Budget; killTimeMs: number; waits: Waits; world: ShutdownWorld }): Promise<void> {
  await stopAll(procs, o.received, o.budget, o.waits, o.world.log);
  await stopAdopted(o.world, o.killTimeMs, o.budget, o.waits);
  await o.waits.until(() => procs.every((p) => p.outputOpen === 0), 2000);
}

// Stops every process: one is stopped once nothing that starts "after" it is still up (the others at
// once, in parallel), with the signal its descriptor maps `received` to, and its kill time cut to the
// budget. Resolves when all are final; when the budget is spent, SIGKILL to the rest first.
export async function stopAll(all: SupervisedProcess[], received: NodeJS.Signals | undefined, budget: Budget, waits: Waits, log: Log): Promise<void> {
  const pending = new Set(all);
  const stopWhatCan = (): void => {
    for (const p of [...pending]) {
      if (all.some((q) => q !== p && !q.isFinal && namesIn(q.descriptor.after, p))) continue;
      pending.delete(p);
      const map = p.descriptor.signals;
      const mapped = received && map && received in map ? map[received] : undefined;
      p.stop(mapped ?? undefined, budget.cut(p.policy.killTimeMs));
    }
  };
  stopWhatCan();
  const inTime = await waits.until(() => {
    stopWhatCan();
    return all.every((p) => p.isFinal);
  }, budget.ms);
  if (inTime) return;
  const late = all.filter((p) => !p.isFinal);
  log.warn(`the ${budget.ms / 1000} s shutdown budget is spent: SIGKILL to what is left`, { procs: late.map((p) => p.name) });
  for (const p of late) p.killNow();
  await waits.until(() => all.every((p) => p.isFinal), 2000);
}

// Orphans colony adopted: SIGTERM, the kill time (cut to the budget), then SIGKILL; each is reaped as it ends.
export async function stopAdopted(world: ShutdownWorld, killTimeMs: number, budget: Budget, waits: Waits): Promise<void> {
  const orphans = world.adopted().filter((pid) => !isZombie(pid));
  if (orphans.length === 0) return;
  world.log.info(`stopping ${orphans.length} adopted orphan process(es)`, { pids: orphans.slice(0, 20) });
  for (const pid of orphans) signal(world, pid, 'SIGTERM');
  const gone = await waits.until(() => world.adopted().every(isZombie), budget.cut(killTimeMs));
  if (gone) return;
  const left = world.adopted().filter((pid) => !isZombie(pid));
  world.log.warn(`${left.length} adopted orphan(s) still running after the kill time, sending SIGKILL`, { pids: left.slice(0, 20) });
  for (const pid of left) signal(world, pid, 'SIGKILL');
  await waits.until(() => world.adopted().every(isZombie), 1000);
}

function signal(world: ShutdownWorld, pid: number, sig: NodeJS.Signals): void {
  try {
    world.kill(pid, sig);
  } catch {
    // ESRCH: gone already
  }
}
