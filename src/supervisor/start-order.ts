// Starting in "after" order: a process that has not started yet starts once every process it is
// "after" is ready; one whose list names no process or makes a cycle is not started. Each reason
// for waiting is logged once, until it changes.
import { afterNames } from './replicas.ts';
import type { Log } from '../log/logger.ts';
import type { SupervisedProcess } from '../process/supervised.ts';
import { orderProblems } from './order.ts';

export class StartOrder {
  private readonly log: Log;
  // The reason last logged per process.
  private readonly reported = new Map<string, string>();

  // A pass is under way; another was asked for meanwhile.
  private passing = false;
  private again = false;

  constructor(log: Log) {
    this.log = log;
  }

  // Runs a start pass. A start that makes a process ready at once asks for a pass from inside this
  // one: that pass runs after this one, not nested in it (nested, every start would walk every
  // process again: quadratic in time and garbage for a scan of hundreds).
  pass(fn: () => void): void {
    if (this.passing) {
      this.again = true;
      return;
    }
    this.passing = true;
    try {
      do {
        this.again = false;
        fn();
      } while (this.again);
    } finally {
      this.passing = false;
    }
  }

  // Starts each of `idle` whose "after" processes (among `procs`) are all ready.
  startReady(idle: SupervisedProcess[], procs: ReadonlyMap<string, SupervisedProcess>): void {
    // The common case after start-up: nothing waits to start, and the "after" graph is not walked.
    if (idle.length === 0) return;
    const problems = orderProblems(new Map([...procs].map(([n, p]) => [n, afterNames(p.descriptor.after, procs)])));
    for (const p of idle) {
      const problem = problems.get(p.name);
      const waiting = problem ? [] : afterNames(p.descriptor.after, procs).filter((d) => !procs.get(d)!.ready);
      const why = problem ? `not started: ${problem}` : waiting.length > 0 ? `waiting for ${waiting.join(', ')} to be ready` : undefined;
      if (!why) {
        this.reported.delete(p.name);
        p.start();
        continue;
      }
      if (this.reported.get(p.name) === why) continue;
      this.reported.set(p.name, why);
      if (problem) this.log.error(why, { proc: p.name, ...(p.descriptor.source ? { file: p.descriptor.source, field: 'after' } : {}) });
      else this.log.info(why, { proc: p.name });
    }
  }
}
