// A running process's checks: readiness (its `ready` probe, a log line matching a pattern, or
// READY=1 over NOTIFY_SOCKET), health (its `health` probe, NColony's beatcheck and httpcheck) and
// sd_notify's watchdog. They live while the process runs and are dropped when it goes down.
import type { Clock, Timer } from '../common/clock.ts';
import type { Descriptor, ProbeDef } from '../descriptor/parse.ts';
import type { LineBatch } from '../log/lines.ts';
import type { Log } from '../log/logger.ts';
import { HealthChecker, type HealthCheckPlan, type HealthStatus } from '../probes/checker.ts';
import { beatcheckProbe, httpcheckProbe } from '../probes/ncolony.ts';
import { describeProbe, parseTcpTarget, runProbe, type ProbeOptions, type ProbeSpec } from '../probes/probe.ts';
import { waitReady, type ReadyWait } from '../probes/ready.ts';
import { childEnvironment } from './environment.ts';
import { resolveUser } from './users.ts';
import type { ProcessWorld } from './world.ts';

// A probe as written in a descriptor, made runnable (the log kind becomes a pattern).
export function probeSpec(p: ProbeDef): ProbeSpec | string {
  switch (p.kind) {
    case 'tcp': {
      const t = parseTcpTarget(p.target as string);
      return typeof t === 'string' ? t : { kind: 'tcp', ...t };
    }
    case 'http':
      return { kind: 'http', url: p.target as string };
    case 'file':
      return { kind: 'file', path: p.target as string };
    case 'exec':
      return { kind: 'exec', args: p.target as string[] };
    case 'log':
      return { kind: 'log', pattern: new RegExp(p.target as string) };
    case 'notify':
      return 'READY=1 over NOTIFY_SOCKET is not a probe';
  }
}

// The process the checks belong to: its name, its current definition, and what they tell it.
export interface ChecksHost {
  readonly name: string;
  definition(): Descriptor;
  // Readiness or health changed (status, the processes waiting "after" it).
  changed(): void;
  // A check gave up: not ready in time, or unhealthy.
  restart(): void;
  // Health checks gave up on it (the supervisor ends colony for a critical process).
  unhealthy(detail: string): void;
}

export class ProcessChecks {
  private readonly host: ChecksHost;
  private readonly world: Pick<ProcessWorld, 'clock' | 'env' | 'own' | 'spawn' | 'kill' | 'notify'>;
  private readonly log: Log;
  private isReady = false;
  private readyWait: ReadyWait | undefined;
  private readyPattern: RegExp | undefined;
  private readyTimer: Timer | undefined;
  private watchdogTimer: Timer | undefined;
  private checkers: HealthChecker[] = [];

  constructor(host: ChecksHost, world: Pick<ProcessWorld, 'clock' | 'env' | 'own' | 'spawn' | 'kill' | 'notify'>, log: Log) {
    this.host = host;
    this.world = world;
    this.log = log;
  }

  // True once running and its ready probe (if any) passed; false again when it goes down.
  get ready(): boolean {
    return this.isReady;
  }

  get health(): HealthStatus | undefined {
    return this.checkers.length === 0 ? undefined : this.checkers.some((c) => c.status === 'unhealthy') ? 'unhealthy' : this.checkers.every((c) => c.status === 'healthy') ? 'healthy' : 'starting';
  }

  // The process runs: wait for readiness (if it has a ready probe) and start its health checks.
  cameUp(): void {
    this.wentDown();
    const r = this.host.definition().ready;
    if (!r) this.isReady = true;
    else if (r.kind === 'notify') {
      if (this.world.notify?.address() === undefined) {
        this.log.error('ready by READY=1 is unusable: colony has no notify socket; treated as ready');
        this.isReady = true;
      } else {
        this.readyTimer = this.clock.setTimeout(() => this.notReady('no READY=1 over NOTIFY_SOCKET'), r.timeoutMs);
      }
    } else {
      const spec = probeSpec(r);
      if (typeof spec === 'string') {
        this.log.error(`ready probe unusable: ${spec}; treated as ready`);
        this.isReady = true;
      } else if (spec.kind === 'log') {
        this.readyPattern = spec.pattern;
        this.readyTimer = this.clock.setTimeout(() => this.notReady(`no output line matched /${spec.pattern.source}/`), r.timeoutMs);
      } else {
        const wait = waitReady({ probe: () => runProbe(spec, this.probeOptions(Math.min(5_000, r.timeoutMs))), timeoutMs: r.timeoutMs, clock: this.clock });
        this.readyWait = wait;
        void wait.promise.then((res) => {
          if (this.readyWait !== wait) return;
          this.readyWait = undefined;
          if (res.ok) this.becameReady(describeProbe(spec));
          else this.notReady(`${describeProbe(spec)}: ${res.detail}`);
        });
      }
    }
    if (this.host.definition().watchdogMs !== undefined && this.world.notify?.address() === undefined) {
      // It has no socket to send WATCHDOG=1 to: a watchdog would restart it every interval, forever.
      this.log.error('watchdog is unusable: colony has no notify socket; not watched');
    } else this.armWatchdog();
    for (const plan of this.healthPlans()) {
      const checker = new HealthChecker({
        ...plan,
        clock: this.clock,
        log: this.log,
        onHealthy: () => {
          this.log.info('healthy');
          this.host.changed();
        },
        onUnhealthy: (detail) => {
          this.log.warn(`unhealthy: ${detail}; restarting`);
          // Seen as unhealthy (events, hooks, metrics) before the restart starts its checks afresh.
          this.host.changed();
          this.host.restart();
          // After the restart request: for a critical process the supervisor's shutdown turns it into a stop.
          this.host.unhealthy(detail);
        },
      });
      this.checkers.push(checker);
      checker.start();
    }
  }

  // The process is no longer running (or is being stopped): not ready, no checks.
  wentDown(): void {
    this.isReady = false;
    this.readyWait?.cancel();
    this.readyWait = undefined;
    if (this.readyTimer) this.clock.clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.readyPattern = undefined;
    if (this.watchdogTimer) this.clock.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = undefined;
    for (const c of this.checkers) c.stop();
    this.checkers = [];
  }

  // READY=1 from the process (or one of its descendants): ready, when that is how it is ready.
  notifyReady(): void {
    if (this.host.definition().ready?.kind !== 'notify' || this.isReady) return;
    this.becameReady('READY=1');
  }

  // RELOADING=1: not ready until its next READY=1.
  reloading(): void {
    if (this.host.definition().ready?.kind !== 'notify' || !this.isReady) return;
    this.isReady = false;
    this.log.info('reloading (RELOADING=1): not ready until READY=1');
    this.host.changed();
  }

  // STOPPING=1: it is on its way out.
  stopping(): void {
    this.log.info('stopping (STOPPING=1)');
    if (!this.isReady) return;
    this.isReady = false;
    this.host.changed();
  }

  // WATCHDOG=1: alive; the watchdog starts over. WATCHDOG=trigger: it asks to be restarted.
  watchdog(value: string): void {
    if (value === 'trigger') {
      this.log.error('watchdog triggered by the process (WATCHDOG=trigger); restarting');
      this.host.restart();
    } else if (value === '1' && this.watchdogTimer) this.armWatchdog();
  }

  private armWatchdog(): void {
    const ms = this.host.definition().watchdogMs;
    if (this.watchdogTimer) this.clock.clearTimeout(this.watchdogTimer);
    this.watchdogTimer = undefined;
    if (ms === undefined) return;
    this.watchdogTimer = this.clock.setTimeout(() => {
      this.watchdogTimer = undefined;
      this.log.error(`watchdog: no WATCHDOG=1 within ${ms / 1000} s; restarting`);
      this.host.changed();
      this.host.restart();
    }, ms);
  }

  // Lines the process printed: ready when one matches its log pattern.
  lines(batch: LineBatch): void {
    const pattern = this.readyPattern;
    if (pattern && batch.strings.some((line) => pattern.test(line))) this.becameReady(`log /${pattern.source}/`);
  }

  private get clock(): Clock {
    return this.world.clock;
  }

  private becameReady(what: string): void {
    this.isReady = true;
    if (this.readyTimer) this.clock.clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.readyPattern = undefined;
    this.log.info('ready', { probe: what });
    this.host.changed();
  }

  private notReady(detail: string): void {
    this.readyTimer = undefined;
    this.readyPattern = undefined;
    this.log.error(`not ready in time (${detail}); restarting`);
    this.host.restart();
  }

  private healthPlans(): HealthCheckPlan[] {
    const plans: HealthCheckPlan[] = [];
    const d = this.host.definition();
    const h = d.health;
    if (h) {
      const spec = probeSpec(h);
      if (typeof spec === 'string' || spec.kind === 'log') this.log.error(`health probe unusable: ${typeof spec === 'string' ? spec : 'a log pattern cannot be a health check'}`);
      else plans.push({ probe: () => runProbe(spec, this.probeOptions(h.timeoutMs)), intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, retries: h.retries, startPeriodMs: h.startPeriodMs });
    }
    const n = d.ncolony;
    if (n.beatcheck) plans.push(beatcheckProbe(n.beatcheck, this.host.name, { cwd: d.cwd, clock: this.clock }));
    if (n.httpcheck) plans.push(httpcheckProbe(n.httpcheck, { clock: this.clock }));
    return plans;
  }

  // An exec probe runs as the process does: its environment, user and directory.
  private probeOptions(timeoutMs: number): ProbeOptions {
    const d = this.host.definition();
    const who = d.user !== undefined ? resolveUser(d.user) : undefined;
    return { timeoutMs, env: childEnvironment(this.host.name, d, this.world.env), cwd: d.cwd, uid: who?.uid ?? d.uid, gid: who?.gid ?? d.gid, own: this.world.own, clock: this.clock, spawner: this.world.spawn, kill: (pid, signal) => this.world.kill(pid, signal) };
  }
}
