// A scheduled process: started at each due time of its schedule (never while the previous run is
// still going), and stopped when a run outlasts the schedule's timeout.
import type { Clock, Timer } from '../common/clock.ts';
import type { Log } from '../log/logger.ts';
import type { SupervisedProcess } from '../process/supervised.ts';
import { Scheduler } from '../schedule/scheduler.ts';

// Something armed for one process (its schedule, its watched files), until stop().
export interface Armed {
  stop(): void;
  // The next scheduled run, for status.
  readonly next?: Date | undefined;
}

// Starts the runs of a process that has a schedule.
export function scheduleRuns(p: SupervisedProcess, world: { clock: Clock; log: Log }): Armed {
  const schedule = p.descriptor.schedule!;
  const { clock, log } = world;
  let runTimer: Timer | undefined;
  const clearRunTimer = (): void => {
    if (runTimer) clock.clearTimeout(runTimer);
    runTimer = undefined;
  };
  const sch = new Scheduler({
    schedule,
    clock,
    isRunning: () => !p.isFinal && p.phase !== 'idle',
    onSkip: (due) => log.warn(`scheduled run at ${due.toISOString()} skipped: the previous run is still going`, { proc: p.name }),
    run: () => {
      log.info('scheduled run', { proc: p.name, next: sch.next?.toISOString() });
      clearRunTimer();
      p.start();
      const run = p.snapshot.starts;
      const timeoutMs = schedule.timeoutMs;
      if (timeoutMs === undefined) return;
      runTimer = clock.setTimeout(() => {
        runTimer = undefined;
        // Only the run this timer was set for: a later run has its own.
        if (!p.isFinal && p.snapshot.starts === run) {
          log.warn(`scheduled run still going after its ${timeoutMs / 1000} s timeout: stopping it`, { proc: p.name });
          p.stop();
        }
      }, timeoutMs);
    },
  });
  sch.start();
  log.info('scheduled', { proc: p.name, next: sch.next?.toISOString() });
  return {
    stop() {
      sch.stop();
      clearRunTimer();
    },
    get next() {
      return sch.next;
    },
  };
}
