// Runs a schedule: each due time of a cron expression or an interval, never two runs at once.
import { MAX_TIMER_MS, type Clock, type Timer } from '../common/clock.ts';
import { nextRun, type Schedule } from './parse.ts';

export interface SchedulerOptions {
  schedule: Schedule;
  clock: Clock; // monotonic milliseconds and timers; its wall time for cron expressions
  run: () => void; // a run is due and the previous one has finished
  isRunning: () => boolean;
  onSkip: (due: Date) => void; // a run is due but the previous one is still going: skipped
}

// Fires run() at each due time of a schedule, or onSkip(due) when the last run is still going
// (runs never overlap). Cron due times follow the wall clock (a missed stretch, e.g. after the
// clock jumps forward, gives one run, not one per missed time); intervals follow the monotonic
// clock and are planned from the previous planned time, so they do not drift.
export class Scheduler {
  private readonly schedule: Schedule;
  private readonly clock: Clock;
  private readonly now: () => Date;
  private readonly runFn: () => void;
  private readonly isRunning: () => boolean;
  private readonly onSkip: (due: Date) => void;
  private timer: Timer | undefined;
  private started = false;
  private dueWall: Date | undefined; // cron: the next due time on the wall clock
  private dueMono = 0; // interval: the next due time on the monotonic clock
  private nextDate: Date | undefined;

  constructor(options: SchedulerOptions) {
    this.schedule = options.schedule;
    this.clock = options.clock;
    this.now = () => new Date(options.clock.wallNow());
    this.runFn = options.run;
    this.isRunning = options.isRunning;
    this.onSkip = options.onSkip;
  }

  // The next due time, for status; undefined when stopped.
  get next(): Date | undefined {
    return this.nextDate;
  }

  // Starts waiting for the first due time; does nothing if already started.
  start(): void {
    if (this.started) return;
    this.started = true;
    if (this.schedule.kind === 'interval') {
      this.dueMono = this.clock.now() + this.schedule.everyMs;
    } else {
      this.dueWall = nextRun(this.schedule, this.now());
    }
    this.arm();
  }

  // Cancels the pending timer; start() begins afresh.
  stop(): void {
    this.started = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.dueWall = undefined;
    this.nextDate = undefined;
  }

  private arm(): void {
    let wait: number;
    if (this.schedule.kind === 'interval') {
      wait = this.dueMono - this.clock.now();
      this.nextDate = new Date(this.now().getTime() + Math.max(0, wait));
    } else {
      const due = this.dueWall!;
      wait = due.getTime() - this.now().getTime();
      this.nextDate = due;
    }
    this.timer = this.clock.setTimeout(() => this.wake(), Math.min(Math.max(0, wait), MAX_TIMER_MS));
  }

  private wake(): void {
    this.timer = undefined;
    if (!this.started) return;
    let due: Date;
    if (this.schedule.kind === 'interval') {
      const mono = this.clock.now();
      if (mono < this.dueMono) return this.arm(); // one leg of a long wait
      due = this.nextDate ?? this.now();
      // Plan from the planned time; after a stall longer than an interval, skip the missed ones
      // but keep the phase.
      const every = this.schedule.everyMs;
      this.dueMono += (Math.floor((mono - this.dueMono) / every) + 1) * every;
    } else {
      const wall = this.now();
      due = this.dueWall!;
      if (wall.getTime() < due.getTime()) return this.arm(); // a long wait, or the clock went back
      this.dueWall = nextRun(this.schedule, wall);
    }
    // Arm the next one first, so a throwing callback or a stop() inside it leaves things right.
    this.arm();
    if (this.isRunning()) this.onSkip(due);
    else this.runFn();
  }
}
