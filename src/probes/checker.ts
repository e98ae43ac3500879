// A periodic health check with Docker HEALTHCHECK's semantics, on an injected clock:
// - the first check runs intervalMs after start(), then one every intervalMs (fixed rate);
// - never two checks at once: a tick that comes while a check is still running is skipped;
// - while the status is still 'starting', a failed check that began within startPeriodMs of start()
//   is not counted (a success during the start period ends it: later failures count);
// - `retries` failures in a row → 'unhealthy' and onUnhealthy(detail), once;
// - a success resets the count; from 'starting' or 'unhealthy' it makes the status 'healthy' and calls onHealthy().
// The probe enforces its own timeout (the caller gives it timeoutMs); the checker only guards against a probe
// that never settles: GUARD_MS after timeoutMs it counts as a failure and its late result is ignored.
import type { Clock, Timer } from '../common/clock.ts';
import { describeError } from '../common/errors.ts';
import type { Log } from '../log/logger.ts';
import { formatDuration, type ProbeResult } from './probe.ts';

export type HealthStatus = 'starting' | 'healthy' | 'unhealthy';

// What a check needs besides the callbacks: the probe and its timing (see ncolony.ts for ready-made ones).
export interface HealthCheckPlan {
  probe: () => Promise<ProbeResult>;
  intervalMs: number;
  timeoutMs: number;
  retries: number;
  startPeriodMs: number;
}

export interface HealthCheckerOptions extends HealthCheckPlan {
  onUnhealthy: (detail: string) => void;
  onHealthy: () => void;
  clock: Clock;
  log: Log;
}

// How long after its timeout a probe that has not settled is given up on.
export const GUARD_MS = 1000;

// A periodic health check of one process (one instance: stop() and start() again for a new process).
export class HealthChecker {
  private readonly opts: HealthCheckerOptions;
  private state: HealthStatus = 'starting';
  private running = false;
  private startedAt = 0;
  private nextAt = 0;
  private tickTimer: Timer | undefined;
  private guardTimer: Timer | undefined;
  // The id of the check in flight (0: none); a result whose id is no longer this one is ignored.
  private inFlight = 0;
  private lastRun = 0;
  private failureCount = 0;
  private detail = '';

  constructor(opts: HealthCheckerOptions) {
    if (!(opts.intervalMs > 0) || !Number.isFinite(opts.intervalMs)) throw new RangeError(`health check interval must be a positive number of ms, got ${opts.intervalMs}`);
    if (!Number.isInteger(opts.retries) || opts.retries < 1) throw new RangeError(`health check retries must be an integer of at least 1, got ${opts.retries}`);
    if (!(opts.startPeriodMs >= 0)) throw new RangeError(`health check start period must be 0 or more ms, got ${opts.startPeriodMs}`);
    if (!(opts.timeoutMs > 0)) throw new RangeError(`health check timeout must be a positive number of ms, got ${opts.timeoutMs}`);
    this.opts = opts;
  }

  get status(): HealthStatus {
    return this.state;
  }

  // Failures counted in a row (those in the start period are not).
  get failures(): number {
    return this.failureCount;
  }

  // The detail of the last failed check ('' if none failed since start()).
  get lastDetail(): string {
    return this.detail;
  }

  get started(): boolean {
    return this.running;
  }

  // Starts checking, from a clean state ('starting', no failures); the start period counts from now.
  start(): void {
    this.stop();
    this.running = true;
    this.state = 'starting';
    this.failureCount = 0;
    this.detail = '';
    this.startedAt = this.opts.clock.now();
    this.nextAt = this.startedAt + this.opts.intervalMs;
    this.schedule();
  }

  // Stops checking: cancels the timers; the result of a check still in flight is ignored.
  stop(): void {
    this.running = false;
    this.inFlight = 0;
    if (this.tickTimer) this.opts.clock.clearTimeout(this.tickTimer);
    if (this.guardTimer) this.opts.clock.clearTimeout(this.guardTimer);
    this.tickTimer = undefined;
    this.guardTimer = undefined;
  }

  private schedule(): void {
    const { clock } = this.opts;
    this.tickTimer = clock.setTimeout(() => this.tick(), this.nextAt - clock.now());
  }

  private tick(): void {
    this.tickTimer = undefined;
    if (!this.running) return;
    const now = this.opts.clock.now();
    // Fixed rate; ticks missed while the event loop was blocked are dropped rather than run in a burst.
    do {
      this.nextAt += this.opts.intervalMs;
    } while (this.nextAt <= now);
    this.schedule();
    if (this.inFlight !== 0) {
      this.opts.log.debug('health check skipped: the previous one is still running');
      return;
    }
    this.runCheck(now);
  }

  private runCheck(begunAt: number): void {
    const { clock, timeoutMs } = this.opts;
    const id = ++this.lastRun;
    this.inFlight = id;
    this.guardTimer = clock.setTimeout(() => {
      if (this.inFlight !== id) return;
      this.guardTimer = undefined;
      this.inFlight = 0;
      this.record({ ok: false, detail: `timed out after ${formatDuration(timeoutMs)} (the check did not return)` }, begunAt);
    }, timeoutMs + GUARD_MS);
    let result: Promise<ProbeResult>;
    try {
      result = Promise.resolve(this.opts.probe());
    } catch (err) {
      result = Promise.reject(err);
    }
    const settle = (r: ProbeResult): void => {
      if (this.inFlight !== id) return; // stopped, restarted or given up on meanwhile
      this.inFlight = 0;
      if (this.guardTimer) clock.clearTimeout(this.guardTimer);
      this.guardTimer = undefined;
      this.record(r, begunAt);
    };
    result.then(settle, (err: unknown) => settle({ ok: false, detail: `check failed: ${describeError(err)}` }));
  }

  private record(r: ProbeResult, begunAt: number): void {
    const { log } = this.opts;
    if (r.ok) {
      this.failureCount = 0;
      if (this.state === 'healthy') return;
      const was = this.state;
      this.state = 'healthy';
      log.info(was === 'unhealthy' ? 'healthy again' : 'healthy', { check: r.detail });
      this.call(() => this.opts.onHealthy());
      return;
    }
    this.detail = r.detail;
    if (this.state === 'starting' && begunAt - this.startedAt < this.opts.startPeriodMs) {
      log.debug('health check failed during the start period (not counted)', { check: r.detail });
      return;
    }
    this.failureCount++;
    if (this.state === 'unhealthy' || this.failureCount < this.opts.retries) {
      log.debug('health check failed', { check: r.detail, failures: this.failureCount, retries: this.opts.retries });
      return;
    }
    this.state = 'unhealthy';
    log.warn(`unhealthy: ${this.failureCount} health check${this.failureCount === 1 ? '' : 's'} failed in a row`, { check: r.detail });
    this.call(() => this.opts.onUnhealthy(r.detail));
  }

  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.opts.log.error('health check callback failed', { error: describeError(err) });
    }
  }
}
