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
import { describeExit, type ExitStatus } from './exit-status.ts';
import { HandoverWait } from './handover.ts';
import { wantsNotify, type NotifyMessage, type NotifyTarget } from './notify.ts';
import { Upgrade, type UpgradeOutcome } from './upgrade.ts';
import { FINAL_PHASES, initialState, transition, type Effect, type Event, type Policy, type State, type TimerName } from './state.ts';
import { groupAlive, sendSignal, type ProcessWorld } from './world.ts';

export type { ProcessWorld } from './world.ts';

// How often a draining process group is checked for emptiness (also checked after every reap).
const GROUP_POLL_MS = 20;

export class SupervisedProcess implements NotifyTarget {
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
  // STATUS= from the process over NOTIFY_SOCKET (ctl status), for this run.
  notifyStatus: string | undefined;
  // A successor named over NOTIFY_SOCKET: MAINPID=, or READY=1 from a new main process.
  private mainPidHint: number | undefined;
  private readySuccessor: number | undefined;
  // The main pid has exited; a successor is being looked for (handover.ts).
  private handover: HandoverWait | undefined;
  private upgrading: Upgrade | undefined;
  // ctl upgrade: how many ended well or not, and what the last one came to (status, ctl --wait).
  readonly upgrades = { done: 0, failed: 0, last: undefined as string | undefined };

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
  // The pids whose notify messages are this process's besides its descendants (notify.ts).
  get notifyPids(): number[] {
    if (this.isFinal || this.state.phase === 'backoff') return [];
    return [this.state.pid, this.mainPidHint, this.readySuccessor].filter((p): p is number => p !== undefined);
  }
  get upgradeInProgress(): boolean {
    return this.upgrading?.active ?? false;
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
    this.world.notify?.unregister(this);
    this.handover?.cancel();
    this.relay.discard();
  }

  // Sends a signal to the main pid; false when no process is running.
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.state.pid;
    if (pid === undefined || !['running', 'stopping'].includes(this.state.phase)) return false;
    this.send(signal, pid);
    return true;
  }

  // ctl upgrade: the upgrade signal, the new main process's READY=1, the stop signal to the old one,
  // the main pid handed over (upgrade.ts). A refusal's reason, or undefined when it is under way.
  upgrade(): string | undefined {
    const d = this.descriptor;
    if (this.state.phase !== 'running' || this.state.pid === undefined || this.handover?.pending) return `process "${this.name}" is not running (${this.state.phase})`;
    if (d.ready?.kind !== 'notify') return `process "${this.name}" has no "ready": {"notify": true}: colony cannot tell when a new main process is ready`;
    if (!this.world.successors) return 'colony cannot take over a main pid here (nothing reaps: no koffi, or COLONY_REAPER=off)';
    if (this.upgrading?.active) return `process "${this.name}" is already being upgraded`;
    const old = this.state.pid;
    const signal = d.upgradeSignal ?? 'SIGUSR2';
    const successors = this.world.successors;
    const up = new Upgrade(
      { old, signal, stopSignal: this.policy.stopSignal, timeoutMs: d.ready.timeoutMs, killTimeMs: this.policy.killTimeMs },
      { clock: this.world.clock, children: (pid) => successors.children(pid), argStart: (pid) => successors.argStart(pid), send: (pid, sig) => this.send(sig, pid) },
      (o) => this.upgraded(o),
    );
    this.upgrading = up;
    this.readySuccessor = undefined;
    if (!up.start()) return `process "${this.name}" is not running`;
    this.upgrades.last = `under way: ${signal} sent to pid ${old}`;
    this.log.info(`upgrading: ${signal} to the main pid ${old}, waiting for a new main process's READY=1`);
    this.changes.emit(this);
    return undefined;
  }

  private upgraded(o: UpgradeOutcome): void {
    if (o.ok) {
      this.upgrades.done++;
      this.upgrades.last = `done: main pid ${o.pid}`;
      this.log.info(`upgraded: the main pid is ${o.pid}`);
    } else {
      this.upgrades.failed++;
      this.upgrades.last = `failed: ${o.reason}`;
      this.log.error(`upgrade failed: ${o.reason}`);
    }
    this.changes.emit(this);
  }

  // A message over NOTIFY_SOCKET from the process or one of its descendants (notify.ts).
  notified(m: NotifyMessage): void {
    const f = m.fields;
    let changed = false;
    const status = f.get('STATUS');
    if (status !== undefined) {
      this.notifyStatus = status.slice(0, 500);
      changed = true;
    }
    const mainPid = f.get('MAINPID');
    if (mainPid !== undefined) {
      const n = Number(mainPid);
      if (/^\d{1,10}$/.test(mainPid) && n > 1) {
        if (n !== this.state.pid) this.log.info(`MAINPID=${n}: it becomes the main pid when ${this.state.pid ?? 'the main pid'} exits`, { from: m.pid });
        this.mainPidHint = n === this.state.pid ? undefined : n;
      } else this.log.warn('notify message: MAINPID is not a pid; ignored', { value: mainPid.slice(0, 40), from: m.pid });
    }
    if (f.get('READY') === '1') {
      // From another process than the main pid once it is ready (or while upgrading): a new main
      // process (gunicorn's re-executed master), its successor when it exits.
      if (m.pid !== this.state.pid && (this.ready || this.upgrading?.active)) {
        this.readySuccessor = m.pid;
        this.log.info(`a new main process is ready (READY=1 from pid ${m.pid}): it takes over when ${this.state.pid} exits`);
        this.upgrading?.ready(m.pid);
      } else this.checks.notifyReady();
    }
    if (f.get('RELOADING') === '1') this.checks.reloading();
    if (f.get('STOPPING') === '1') this.checks.stopping();
    const wd = f.get('WATCHDOG');
    if (wd !== undefined) this.checks.watchdog(wd);
    if (changed) this.changes.emit(this);
  }

  // Re-checks a draining process group (the reaper calls this after reaping).
  checkGroup(): void {
    if (this.state.phase === 'draining' && this.pgid !== undefined && !groupAlive(this.world, this.pgid)) this.dispatch({ type: 'group-empty' });
  }

  private dispatch(event: Event): void {
    // A stop or restart does not wait for the successor of an exited main pid: one last look, now.
    if (this.handover?.pending && (event.type === 'stop' || event.type === 'restart' || event.type === 'kill-now')) this.handover.settle();
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
    else if (wasUp && !isUp) {
      this.checks.wentDown();
      this.upgrading?.abandon(`the process went down (${this.state.phase})`);
    }
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
    this.notifyStatus = undefined;
    this.mainPidHint = undefined;
    this.readySuccessor = undefined;
    if (this.world.notify && wantsNotify(d)) this.world.notify.register(this);
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
      if (pid === undefined) {
        this.countExit(status);
        this.reportSpawnFailure(status.spawnError ?? 'EUNKNOWN');
        return this.dispatch({ type: 'spawn-failed', status });
      }
      this.world.own.delete(pid);
      if (this.state.phase === 'running' && this.state.pid === pid && this.mayHandOver()) return this.awaitSuccessor(pid, status);
      this.mainExited(pid, status);
    });
    if (pid !== undefined) {
      this.pgid = pid;
      this.dispatch({ type: 'spawned', pid });
    }
  }

  private mainExited(pid: number, status: ExitStatus): void {
    this.countExit(status);
    this.dispatch({ type: 'exited', status, groupAlive: groupAlive(this.world, this.pgid ?? pid) });
  }

  // Whether an exit of the main pid may leave a successor: a pidfile, or one named over NOTIFY_SOCKET.
  private mayHandOver(): boolean {
    return this.world.successors !== undefined && (this.descriptor.pidfile !== undefined || this.mainPidHint !== undefined || this.readySuccessor !== undefined);
  }

  // The main pid exited while running: its successor (handover.ts) takes over, or the exit stands.
  private awaitSuccessor(old: number, status: ExitStatus): void {
    const successors = this.world.successors!;
    const wait = new HandoverWait({
      world: successors,
      old,
      candidates: () => [
        ...(this.mainPidHint !== undefined ? [{ pid: this.mainPidHint, by: 'MAINPID=' }] : []),
        ...(this.readySuccessor !== undefined ? [{ pid: this.readySuccessor, by: 'READY=1 from it' }] : []),
      ],
      pidfile: this.descriptor.pidfile,
      heirs: () => {
        const group = this.pgid ?? old;
        return successors.children(successors.self).some((p) => !successors.taken(p) && successors.procGroup(p) === group);
      },
      done: (found) => {
        this.handover = undefined;
        if ('pid' in found) return this.takeOver(found.pid, found.by);
        this.log.info(`main pid ${old} exited (${describeExit(status)}) and left no successor: ${found.reason}`);
        this.upgrading?.abandon(`the old main process (pid ${old}) exited and no new one took over: ${found.reason}`);
        this.mainExited(old, status);
      },
    });
    if (wait.pending) this.handover = wait;
  }

  // A successor becomes the main pid: its exit comes through the reaper.
  private takeOver(pid: number, by: string): void {
    const successors = this.world.successors!;
    const group = successors.procGroup(pid);
    if (group !== undefined) this.pgid = group;
    this.mainPidHint = undefined;
    this.readySuccessor = undefined;
    successors.adopt(pid, (st) => {
      if (this.state.pid !== pid) return;
      this.mainExited(pid, { code: st.code, signal: st.signal });
    });
    this.dispatch({ type: 'handover', pid, by });
    this.upgrading?.handedOver(pid);
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
