// The I/O shell around one process's state machine (state.ts): performs the effects (spawn, signals,
// timers), feeds their results back as events, and composes the process's other concerns: its
// launch (launch.ts), its output (relay.ts) and its checks (checks.ts).
import type { Timer } from '../common/clock.ts';
import { describeError } from '../common/errors.ts';
import { Listeners } from '../common/listeners.ts';
import type { Descriptor } from '../descriptor/parse.ts';
import type { Log } from '../log/logger.ts';
import type { HealthStatus } from '../probes/checker.ts';
import { ProcessChecks } from './checks.ts';
import { isRefusal, launchRequest, spawnFailure, spawnWithUmask, thrownSpawnError, type MainIo } from './launch.ts';
import { policyFor } from './policy.ts';
import { OutputRelay } from './relay.ts';
import { exitReason, type ExitReason } from './exit-reason.ts';
import { FINAL_PHASES, initialState, transition, type Effect, type Event, type Policy, type State, type TimerName } from './state.ts';
import { groupAlive, sendSignal, type ProcessWorld } from './world.ts';

export type { ProcessWorld } from './world.ts';

// How often a draining process group is checked for emptiness (also checked after every reap).
const GROUP_POLL_MS = 20;

export class SupervisedProcess {
  readonly name: string;
  descriptor: Descriptor;
  policy: Policy;
  private readonly defaults: Policy;
  private state: State;
  // Wall-clock time of the last phase change, and of the last exit (or failed start), for status.
  since: number;
  lastExitAt: number | undefined;
  // After every transition, readiness or health change, and closed output pipe.
  readonly changes = new Listeners<SupervisedProcess>();
  // When a health check gives up on the process (the supervisor ends colony for a critical one).
  readonly unhealthy = new Listeners<string>();
  private readonly world: ProcessWorld;
  private readonly log: Log;
  private readonly io: MainIo;
  private readonly checks: ProcessChecks;
  private readonly relay: OutputRelay;
  private readonly timers = new Map<TimerName, Timer>();
  private groupPoll: Timer | undefined;
  private pgid: number | undefined;
  // Runs ended, by reason (metrics), over every start of this process.
  readonly exits = new Map<ExitReason, number>();
  // Why its last run ended (events); undefined before the first exit.
  lastExitReason: ExitReason | undefined;

  // `defaults` are colony's; the descriptor's own keys override them. `io`: the main command's stdin and terminal.
  constructor(name: string, descriptor: Descriptor, defaults: Policy, world: ProcessWorld, io: MainIo = {}) {
    this.name = name;
    this.io = io;
    this.descriptor = descriptor;
    this.defaults = defaults;
    this.policy = policyFor(defaults, descriptor);
    this.world = world;
    this.log = world.log.child({ proc: name });
    this.state = initialState(this.policy);
    this.since = world.clock.wallNow();
    const changed = (): void => this.changes.emit(this);
    this.checks = new ProcessChecks({ name, definition: () => this.descriptor, changed, restart: () => this.restart(), unhealthy: (detail) => this.unhealthy.emit(detail) }, world, this.log);
    this.relay = new OutputRelay(name, world, this.log);
    this.relay.onLines = (batch) => this.checks.lines(batch);
    this.relay.onClosed = changed;
  }

  get ready(): boolean {
    return this.checks.ready;
  }
  get health(): HealthStatus | undefined {
    return this.checks.health;
  }
  // Output pipes still open (a process that has exited may still have lines in them).
  get outputOpen(): number {
    return this.relay.openPipes;
  }
  // Lines relayed per stream (metrics).
  get lines(): Readonly<{ stdout: number; stderr: number }> {
    return this.relay.lines;
  }
  get phase(): State['phase'] {
    return this.state.phase;
  }
  get pid(): number | undefined {
    return this.state.pid;
  }
  get snapshot(): Readonly<State> {
    return this.state;
  }
  get isFinal(): boolean {
    return FINAL_PHASES.has(this.state.phase);
  }
  get groups(): string[] {
    return this.descriptor.groups;
  }
  // The process group of the last spawned child, while it may have members.
  get processGroup(): number | undefined {
    return this.pgid;
  }

  start(): void {
    this.dispatch({ type: 'start' });
  }
  // Stops for good, with the stop signal (or `signal`, e.g. the one a shutdown maps to), kill time, SIGKILL.
  stop(signal?: NodeJS.Signals, killTimeMs?: number): void {
    this.dispatch({ type: 'stop', ...(signal ? { signal } : {}), ...(killTimeMs !== undefined ? { killTimeMs } : {}) });
  }
  // The shutdown budget is spent: SIGKILL to the whole process group now.
  killNow(): void {
    this.dispatch({ type: 'kill-now' });
  }
  restart(): void {
    this.dispatch({ type: 'restart' });
  }

  // ctl reload: the reload signal to the main pid (gunicorn: SIGHUP) when it has one and runs, else a restart.
  reload(): string {
    const sig = this.descriptor.reloadSignal;
    if (sig && this.signal(sig)) {
      this.log.info(`reloading with ${sig}`);
      return `sent ${sig}`;
    }
    this.restart();
    return sig ? `not running: restarted` : 'no reload_signal: restarted';
  }

  // A new definition: used from the next start on; the process is restarted to pick it up.
  replace(descriptor: Descriptor): void {
    this.redefine(descriptor);
    this.dispatch({ type: 'restart' });
  }

  // A new definition, started at once if the process is down (restarted with it if it runs).
  renew(descriptor: Descriptor): void {
    if (!this.isFinal) return this.replace(descriptor);
    this.redefine(descriptor);
    this.start();
  }

  // Takes a new definition (and the policy it implies) without restarting.
  redefine(descriptor: Descriptor): void {
    this.descriptor = descriptor;
    this.policy = policyFor(this.defaults, descriptor);
    this.relay.reset();
  }

  // Gone for good (its descriptor removed, and it has stopped): its kept lines are deleted.
  discard(): void {
    this.relay.discard();
  }

  // Sends a signal to the main pid; false when no process is running.
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.state.pid;
    if (pid === undefined || !['running', 'stopping'].includes(this.state.phase)) return false;
    this.send(signal, pid);
    return true;
  }

  // Re-checks a draining process group (the reaper calls this after reaping).
  checkGroup(): void {
    if (this.state.phase === 'draining' && this.pgid !== undefined && !groupAlive(this.world, this.pgid)) this.dispatch({ type: 'group-empty' });
  }

  private dispatch(event: Event): void {
    const before = this.state.phase;
    const { state, effects } = transition(this.state, event, this.policy, this.world.clock.now());
    // An event that changes nothing (a start while running, a timer of an earlier run) is no change.
    if (state === this.state && effects.length === 0) return;
    this.state = state;
    if (state.phase !== before) this.since = this.world.clock.wallNow();
    if (event.type === 'exited' || event.type === 'spawn-failed') this.lastExitAt = this.world.clock.wallNow();
    for (const effect of effects) this.perform(effect);
    // Readiness and health checks live while the process is running (not while it is being stopped).
    const wasUp = before === 'running';
    const isUp = this.state.phase === 'running';
    if (!wasUp && isUp && this.state.pid !== undefined) this.checks.cameUp();
    else if (wasUp && !isUp) this.checks.wentDown();
    this.changes.emit(this);
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        return this.spawn();
      case 'signal': {
        const target = effect.target === 'group' ? this.pgid : this.state.pid;
        if (target === undefined) return;
        if (effect.target === 'main') this.send(effect.signal, target);
        // No such group while the main pid runs: the main command's launcher before its setpgid
        // (see spawner.ts). The signal goes to the main pid then, or SIGKILL would never reach it.
        else if (!this.send(effect.signal, -target) && this.state.pid !== undefined) this.send(effect.signal, this.state.pid);
        return;
      }
      case 'set-timer': {
        this.clearTimer(effect.timer);
        const name = effect.timer;
        const fire = (): void => {
          this.timers.delete(name);
          this.dispatch({ type: name === 'kill' ? 'kill-timeout' : 'restart-timeout' });
        };
        this.timers.set(name, this.world.clock.setTimeout(fire, effect.ms));
        return;
      }
      case 'clear-timer':
        return this.clearTimer(effect.timer);
      case 'watch-group':
        return this.pollGroup();
      case 'unwatch-group':
        if (this.groupPoll) this.world.clock.clearTimeout(this.groupPoll);
        this.groupPoll = undefined;
        return;
      case 'log':
        return this.log[effect.level](effect.msg, effect.fields);
      default:
        return unreachable(effect);
    }
  }

  private pollGroup(): void {
    this.groupPoll = this.world.clock.setTimeout(() => {
      this.groupPoll = undefined;
      this.checkGroup();
      if (this.state.phase === 'draining') this.pollGroup();
    }, GROUP_POLL_MS);
  }

  private clearTimer(name: TimerName): void {
    const t = this.timers.get(name);
    if (t) this.world.clock.clearTimeout(t);
    this.timers.delete(name);
  }

  // kill(2); false when there was no such process or group (it is gone: its exit is on its way to us).
  private send(signal: NodeJS.Signals, target: number): boolean {
    return sendSignal(this.world, target, signal, (err) => this.log.warn(`could not send ${signal}`, { target, error: describeError(err) }));
  }

  private spawn(): void {
    const d = this.descriptor;
    const request = launchRequest(this.name, d, this.world, this.io);
    if (isRefusal(request)) {
      this.log.error(request.message, { error: request.code, ...(d.source ? { file: d.source } : {}), field: request.field });
      return this.spawnFailedLater(request.code);
    }
    this.relay.prepare(d);
    let child;
    try {
      child = spawnWithUmask(this.world, request, d.umask);
    } catch (err) {
      const { code, detail } = thrownSpawnError(err);
      this.reportSpawnFailure(code, detail);
      return this.spawnFailedLater(code);
    }
    const pid = child.pid;
    if (pid !== undefined) this.world.own.add(pid);
    this.relay.attach(child.stdout, 'stdout');
    this.relay.attach(child.stderr, 'stderr');
    child.onExit((status) => {
      this.countExit(status);
      if (pid === undefined) {
        this.reportSpawnFailure(status.spawnError ?? 'EUNKNOWN');
        return this.dispatch({ type: 'spawn-failed', status });
      }
      this.world.own.delete(pid);
      this.dispatch({ type: 'exited', status, groupAlive: groupAlive(this.world, pid) });
    });
    if (pid !== undefined) {
      this.pgid = pid;
      this.dispatch({ type: 'spawned', pid });
    }
  }

  // A start that failed before any child existed, reported on a later turn like an asynchronous
  // spawn failure: an immediate restart must not recurse.
  private spawnFailedLater(code: string): void {
    const status = { code: null, signal: null, spawnError: code };
    this.countExit(status);
    this.world.clock.setTimeout(() => this.dispatch({ type: 'spawn-failed', status }), 0);
  }

  private countExit(status: { code: number | null; signal: NodeJS.Signals | null; spawnError?: string }): void {
    const reason = exitReason(this.state.phase, status, this.policy.successExitCodes);
    this.exits.set(reason, (this.exits.get(reason) ?? 0) + 1);
    this.lastExitReason = reason;
  }

  private reportSpawnFailure(code: string, detail?: string): void {
    const { message, fields } = spawnFailure(this.descriptor, this.world.env, code, detail);
    this.log.error(message, fields);
  }
}

function unreachable(effect: never): never {
  throw new Error(`unhandled effect ${JSON.stringify(effect)}`);
}
