// The I/O shell around one process's state machine: performs the effects (spawn, signals, timers),
// relays the child's output to the log, and feeds results back as events.
import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import type { Clock, Timer } from '../common/clock.ts';
import type { Descriptor, ProbeDef } from '../descriptor/parse.ts';
import { describeError } from '../common/errors.ts';
import { RotatingFile } from '../log/file-output.ts';
import { LineSplitter } from '../log/lines.ts';
import type { Log } from '../log/logger.ts';
import type { Sink } from '../log/sink.ts';
import { HealthChecker, type HealthCheckPlan, type HealthStatus } from '../probes/checker.ts';
import { beatcheckProbe, httpcheckProbe } from '../probes/ncolony.ts';
import { describeProbe, parseTcpTarget, runProbe, type ProbeSpec } from '../probes/probe.ts';
import { waitReady, type ReadyWait } from '../probes/ready.ts';
import { canSwitchTo } from '../system/security.ts';
import { childEnvironment } from './environment.ts';
import { policyFor } from './policy.ts';
import type { Output, SpawnRequest, Spawner } from './spawner.ts';
import { resolveUser } from './users.ts';
import { FINAL_PHASES, initialState, transition, type Effect, type Event, type Policy, type State, type TimerName } from './state.ts';

// How the shell reaches the system: injected so that unit tests can fake it.
export interface ProcessWorld {
  clock: Clock;
  spawn: Spawner;
  // kill(2): pid > 0 a process, pid < 0 a process group. Errors (ESRCH...) are thrown.
  kill(pid: number, signal: NodeJS.Signals | 0): void;
  env: NodeJS.ProcessEnv;
  log: Log;
  // pids spawned here, which the reaper must leave to libuv.
  own: Set<number>;
  // colony's own effective uid and gid (default: process.geteuid() and getegid()); only root can start processes as someone else.
  ids?: { uid: number; gid: number };
  // colony's stdout, to pause the children's pipes while it is backed up (absent in unit tests).
  sink?: Pick<Sink, 'throttle' | 'release'>;
  // colony's stdout is the main command's alone: a process with output inherit writes to colony's stderr.
  stdoutTaken?: boolean;
}

// How often a draining process group is checked for emptiness (also checked after every reap).
const GROUP_POLL_MS = 20;

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
  }
}

export class SupervisedProcess {
  readonly name: string;
  descriptor: Descriptor;
  policy: Policy;
  private readonly defaults: Policy;
  private state: State;
  // Readiness: true once running and its ready probe (if any) passed; false again when it goes down.
  private isReady = false;
  private readyWait: ReadyWait | undefined;
  private readyPattern: RegExp | undefined;
  private readyTimer: Timer | undefined;
  private checkers: HealthChecker[] = [];
  private file: RotatingFile | undefined;
  private openStreams = 0;
  // Wall-clock time of the last phase change, for status.
  since = Date.now();
  // Wall-clock time of the last exit (or failed start), for status.
  lastExitAt: number | undefined;
  // Called when a health check gives up on the process (the supervisor ends colony for a critical one).
  onUnhealthy: ((p: SupervisedProcess, detail: string) => void) | undefined;
  private readonly world: ProcessWorld;
  private readonly log: Log;
  private readonly timers = new Map<TimerName, Timer>();
  private groupPoll: Timer | undefined;
  private pgid: number | undefined;
  private readonly listeners: Array<(p: SupervisedProcess) => void> = [];

  // How the main command differs from the others: colony's stdin, and the terminal (see spawner.ts).
  private readonly io: Pick<SpawnRequest, 'stdin' | 'terminal'>;

  // `defaults` are colony's; the descriptor's own keys override them.
  constructor(name: string, descriptor: Descriptor, defaults: Policy, world: ProcessWorld, io: Pick<SpawnRequest, 'stdin' | 'terminal'> = {}) {
    this.name = name;
    this.io = io;
    this.descriptor = descriptor;
    this.defaults = defaults;
    this.policy = policyFor(defaults, descriptor);
    this.world = world;
    this.log = world.log.child({ proc: name });
    this.state = initialState(this.policy);
  }

  get ready(): boolean {
    return this.isReady;
  }
  // Output pipes still open (a process that has exited may still have lines in them).
  get outputOpen(): number {
    return this.openStreams;
  }
  get health(): HealthStatus | undefined {
    return this.checkers.length === 0 ? undefined : this.checkers.some((c) => c.status === 'unhealthy') ? 'unhealthy' : this.checkers.every((c) => c.status === 'healthy') ? 'healthy' : 'starting';
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

  // Called after every transition.
  onChange(cb: (p: SupervisedProcess) => void): void {
    this.listeners.push(cb);
  }

  start(): void {
    this.dispatch({ type: 'start' });
  }
  // Stops for good, with the stop signal (or `signal`, e.g. the one a shutdown maps to), kill time, SIGKILL.
  stop(signal?: NodeJS.Signals, killTimeMs?: number): void {
    this.dispatch({ type: 'stop', ...(signal ? { signal } : {}), ...(killTimeMs !== undefined ? { killTimeMs } : {}) });
  }

  // The shutdown budget is spent: SIGKILL to the whole process group now (as if the kill time had passed).
  killNow(): void {
    if (this.state.phase === 'stopping' || this.state.phase === 'draining') {
      this.clearTimer('kill');
      this.dispatch({ type: 'kill-timeout' });
    }
  }
  restart(): void {
    this.dispatch({ type: 'restart' });
  }

  // ctl reload: the reload signal to the main pid (gunicorn: SIGHUP) when it has one, else a restart.
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

  // Takes a new definition (and the policy it implies) without restarting.
  redefine(descriptor: Descriptor): void {
    this.descriptor = descriptor;
    this.policy = policyFor(this.defaults, descriptor);
    // The output file (if any) is reopened from the new definition at the next start.
    this.file?.close();
    this.file = undefined;
  }

  // Sends a signal to the main pid; false when no process is running.
  signal(signal: NodeJS.Signals): boolean {
    const pid = this.state.pid;
    if (pid === undefined || !['running', 'stopping'].includes(this.state.phase)) return false;
    this.sendSignal(signal, pid);
    return true;
  }

  // Re-checks a draining process group (the reaper calls this after reaping).
  checkGroup(): void {
    if (this.state.phase === 'draining' && this.pgid !== undefined && !this.groupAlive(this.pgid)) this.dispatch({ type: 'group-empty' });
  }

  // The process group of the last spawned child, while it may have members.
  get processGroup(): number | undefined {
    return this.pgid;
  }

  private dispatch(event: Event): void {
    const before = this.state.phase;
    const { state, effects } = transition(this.state, event, this.policy, this.world.clock.now());
    this.state = state;
    if (state.phase !== before) this.since = Date.now();
    if (event.type === 'exited' || event.type === 'spawn-failed') this.lastExitAt = Date.now();
    for (const effect of effects) this.perform(effect);
    const up = (ph: State['phase']): boolean => ph === 'running';
    // Readiness and health checks live while the process is running (not while it is being stopped).
    if (!up(before) && up(this.state.phase) && this.state.pid !== undefined) this.cameUp();
    else if (up(before) && !up(this.state.phase)) this.wentDown();
    for (const cb of this.listeners) cb(this);
  }

  // Running: wait for readiness (if it has a ready probe) and start its health checks.
  private cameUp(): void {
    this.stopWatchers();
    const r = this.descriptor.ready;
    if (!r) this.isReady = true;
    else {
      const spec = probeSpec(r);
      if (typeof spec === 'string') {
        this.log.error(`ready probe unusable: ${spec}; treated as ready`);
        this.isReady = true;
      } else if (spec.kind === 'log') {
        this.readyPattern = spec.pattern;
        this.readyTimer = this.world.clock.setTimeout(() => this.notReady(`no output line matched /${spec.pattern.source}/`), r.timeoutMs);
      } else {
        const wait = waitReady({ probe: () => runProbe(spec, this.probeOptions(Math.min(5_000, r.timeoutMs))), timeoutMs: r.timeoutMs, clock: this.world.clock });
        this.readyWait = wait;
        void wait.promise.then((res) => {
          if (this.readyWait !== wait) return;
          this.readyWait = undefined;
          if (res.ok) this.becameReady(describeProbe(spec));
          else this.notReady(`${describeProbe(spec)}: ${res.detail}`);
        });
      }
    }
    for (const plan of this.healthPlans()) {
      const checker = new HealthChecker({
        ...plan,
        clock: this.world.clock,
        log: this.log,
        onHealthy: () => {
          this.log.info('healthy');
          for (const cb of this.listeners) cb(this);
        },
        onUnhealthy: (detail) => {
          this.log.warn(`unhealthy: ${detail}; restarting`);
          this.restart();
          // After the restart request: for a critical process the supervisor's shutdown turns it into a stop.
          this.onUnhealthy?.(this, detail);
        },
      });
      this.checkers.push(checker);
      checker.start();
    }
  }

  private becameReady(what: string): void {
    this.isReady = true;
    if (this.readyTimer) this.world.clock.clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.readyPattern = undefined;
    this.log.info('ready', { probe: what });
    for (const cb of this.listeners) cb(this);
  }

  private notReady(detail: string): void {
    this.readyTimer = undefined;
    this.readyPattern = undefined;
    this.log.error(`not ready in time (${detail}); restarting`);
    this.restart();
  }

  private wentDown(): void {
    this.isReady = false;
    this.stopWatchers();
  }

  private stopWatchers(): void {
    this.readyWait?.cancel();
    this.readyWait = undefined;
    if (this.readyTimer) this.world.clock.clearTimeout(this.readyTimer);
    this.readyTimer = undefined;
    this.readyPattern = undefined;
    for (const c of this.checkers) c.stop();
    this.checkers = [];
  }

  private healthPlans(): HealthCheckPlan[] {
    const plans: HealthCheckPlan[] = [];
    const h = this.descriptor.health;
    if (h) {
      const spec = probeSpec(h);
      if (typeof spec === 'string' || spec.kind === 'log') this.log.error(`health probe unusable: ${typeof spec === 'string' ? spec : 'a log pattern cannot be a health check'}`);
      else plans.push({ probe: () => runProbe(spec, this.probeOptions(h.timeoutMs)), intervalMs: h.intervalMs, timeoutMs: h.timeoutMs, retries: h.retries, startPeriodMs: h.startPeriodMs });
    }
    const n = this.descriptor.ncolony;
    if (n.beatcheck) plans.push(beatcheckProbe(n.beatcheck, this.name, { cwd: this.descriptor.cwd }));
    if (n.httpcheck) plans.push(httpcheckProbe(n.httpcheck));
    return plans;
  }

  private probeOptions(timeoutMs: number): Parameters<typeof runProbe>[1] {
    const d = this.descriptor;
    const who = d.user !== undefined ? resolveUser(d.user) : undefined;
    return { timeoutMs, env: childEnvironment(this.name, d, this.world.env), cwd: d.cwd, uid: who?.uid ?? d.uid, gid: who?.gid ?? d.gid, own: this.world.own };
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        this.doSpawn();
        return;
      case 'signal': {
        const target = effect.target === 'group' ? this.pgid : this.state.pid;
        if (target === undefined) return;
        if (effect.target === 'main') this.sendSignal(effect.signal, target);
        // No such group while the main pid runs: the main command's launcher before its setpgid
        // (see spawner.ts). The signal goes to the main pid then, or SIGKILL would never reach it.
        else if (!this.sendSignal(effect.signal, -target) && this.state.pid !== undefined) this.sendSignal(effect.signal, this.state.pid);
        return;
      }
      case 'set-timer': {
        this.clearTimer(effect.timer);
        const name = effect.timer;
        this.timers.set(
          name,
          this.world.clock.setTimeout(() => {
            this.timers.delete(name);
            this.dispatch({ type: name === 'kill' ? 'kill-timeout' : 'restart-timeout' });
          }, effect.ms),
        );
        return;
      }
      case 'clear-timer':
        this.clearTimer(effect.timer);
        return;
      case 'watch-group':
        this.pollGroup();
        return;
      case 'unwatch-group':
        if (this.groupPoll) this.world.clock.clearTimeout(this.groupPoll);
        this.groupPoll = undefined;
        return;
      case 'log':
        this.log[effect.level](effect.msg, effect.fields);
        return;
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

  // kill(2); false when there was no such process or group (ESRCH).
  private sendSignal(signal: NodeJS.Signals, target: number): boolean {
    try {
      this.world.kill(target, signal);
      return true;
    } catch (err) {
      // ESRCH: it is already gone (its exit is on its way to us); anything else is worth a line.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') this.log.warn(`could not send ${signal}`, { target, error: describeError(err) });
      return (err as NodeJS.ErrnoException).code !== 'ESRCH';
    }
  }

  private groupAlive(pgid: number): boolean {
    try {
      this.world.kill(-pgid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM';
    }
  }

  private doSpawn(): void {
    const d = this.descriptor;
    const fail = (code: string, message: string, field: string): void => {
      this.log.error(message, { error: code, ...(d.source ? { file: d.source } : {}), field });
      this.spawnFailedLater(code);
    };
    const env = childEnvironment(this.name, d, this.world.env);
    let uid = d.uid;
    let gid = d.gid;
    if (d.user !== undefined) {
      const who = resolveUser(d.user);
      if (!who) return fail('EINVAL', `cannot start: no user ${JSON.stringify(d.user)} in /etc/passwd`, 'user');
      ({ uid, gid } = who);
      // The user's HOME, USER and LOGNAME, unless the descriptor's env sets them.
      if (d.env?.HOME === undefined) env.HOME = who.home;
      if (d.env?.USER === undefined) env.USER = who.name;
      if (d.env?.LOGNAME === undefined) env.LOGNAME = who.name;
    }
    const ids = this.world.ids ?? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
    const cannot = canSwitchTo(uid, gid, ids.uid, ids.gid);
    if (cannot) {
      const field = d.user !== undefined ? 'user' : uid !== undefined && uid !== ids.uid ? 'uid' : 'gid';
      const asked = field === 'user' ? `"user": ${JSON.stringify(d.user)} (uid ${uid}, gid ${gid})` : `"${field}": ${field === 'uid' ? uid : gid}`;
      return fail('EPERM', `cannot start: ${asked} is refused: ${cannot}`, field);
    }
    if (d.cwd !== undefined && !(existsSync(d.cwd) && statSync(d.cwd).isDirectory())) return fail('ENOENT', `cannot start: cwd ${JSON.stringify(d.cwd)} is not a directory`, 'cwd');
    if (d.output.kind === 'file' && !this.file) {
      const path = d.output.path;
      this.file = new RotatingFile(path, { maxBytes: d.output.maxBytes, keep: d.output.keep, onError: (err) => this.log.error(`cannot write output file ${path}: ${describeError(err)}`) });
    }
    let child;
    const oldMask = d.umask !== undefined ? process.umask(d.umask) : undefined;
    try {
      child = this.world.spawn({ args: d.args, env, uid, gid, cwd: d.cwd, output: this.outputKind(), ...this.io });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EINVAL';
      this.reportSpawnFailure(code, describeError(err));
      this.spawnFailedLater(code);
      return;
    } finally {
      if (oldMask !== undefined) process.umask(oldMask);
    }
    const pid = child.pid;
    if (pid !== undefined) this.world.own.add(pid);
    this.relay(child.stdout, 'stdout');
    this.relay(child.stderr, 'stderr');
    child.onExit((status) => {
      if (pid === undefined) {
        this.reportSpawnFailure(status.spawnError ?? 'EUNKNOWN');
        this.dispatch({ type: 'spawn-failed', status });
        return;
      }
      this.world.own.delete(pid);
      this.dispatch({ type: 'exited', status, groupAlive: this.groupAlive(pid) });
    });
    if (pid !== undefined) {
      this.pgid = pid;
      this.dispatch({ type: 'spawned', pid });
    }
  }

  // Where the child's output goes: colony's pipes, or colony's own fds (output: inherit) — for all but
  // the main command (the one process with colony's stdin), stderr alone when the main command has stdout.
  private outputKind(): SpawnRequest['output'] {
    if (this.descriptor.output.kind !== 'inherit') return 'pipe';
    return this.world.stdoutTaken && this.io.stdin !== 'inherit' ? 'stderr' : 'inherit';
  }

  // A start that failed before any child existed, reported on a later turn like an asynchronous
  // spawn failure: an immediate restart must not recurse.
  private spawnFailedLater(code: string): void {
    const status = { code: null, signal: null, spawnError: code };
    this.world.clock.setTimeout(() => this.dispatch({ type: 'spawn-failed', status }), 0);
  }

  // One clear line naming the executable, the descriptor file and the reason.
  private reportSpawnFailure(code: string, detail?: string): void {
    const exe = this.descriptor.args[0];
    // Not the executable's fault: the system could not make a process (pids limit, RLIMIT_NPROC, memory).
    const systemFault = code === 'EAGAIN' || code === 'ENOMEM';
    let why = code === 'ENOENT' ? (exe?.includes('/') ? 'no such file' : 'not found in PATH') : code === 'EACCES' ? 'permission denied (not executable?)' : (detail ?? code);
    if (code === 'ENOENT' && exe?.includes('/')) {
      const interpreter = missingInterpreter(exe);
      if (interpreter) why = `its interpreter ${JSON.stringify(interpreter)} (the #! line) does not exist`;
    }
    if (code === 'EAGAIN') why = 'fork failed: too many processes (EAGAIN: the pids limit of the container or RLIMIT_NPROC)';
    if (code === 'ENOMEM') why = 'fork failed: out of memory (ENOMEM)';
    this.log.error(`cannot start ${JSON.stringify(exe)}: ${why}`, {
      error: code,
      ...(this.descriptor.source ? { file: this.descriptor.source, ...(systemFault ? {} : { field: 'args[0]' }) } : {}),
      ...(code === 'ENOENT' && !exe?.includes('/') ? { PATH: this.world.env.PATH } : {}),
    });
  }

  private relay(output: Output | null, name: 'stdout' | 'stderr'): void {
    if (!output) return;
    const { stream } = output;
    const lines = new LineSplitter();
    const emit = (batch: string[]): void => {
      if (batch.length === 0) return;
      if (this.file) for (const line of batch) this.file.write(name === 'stderr' ? `[stderr] ${line}` : line);
      else this.world.log.output(this.name, name, batch);
      if (this.readyPattern) {
        const pattern = this.readyPattern;
        if (batch.some((line) => pattern.test(line))) this.becameReady(`log /${pattern.source}/`);
      }
    };
    output.onChunk((chunk) => emit(lines.push(chunk)));
    const flush = (): void => {
      const rest = lines.end();
      if (rest !== undefined) emit([rest]);
    };
    // While colony's own stdout is backed up, the pipe is paused: the child blocks on it.
    this.world.sink?.throttle(stream);
    this.openStreams++;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.world.sink?.release(stream);
      this.openStreams--;
      for (const cb of this.listeners) cb(this);
    };
    stream.once('end', () => {
      flush();
      close();
    });
    stream.once('close', close);
    stream.once('error', (err) => {
      flush();
      close();
      this.log.warn(`reading ${name} failed`, { error: describeError(err) });
    });
  }
}

// The interpreter a script's #! line names, when the script exists but that interpreter does not
// (execve then fails with ENOENT, which would otherwise read as "no such file" for the script).
function missingInterpreter(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    const line = head.subarray(0, n).toString('latin1').split('\n')[0]!;
    if (!line.startsWith('#!')) return undefined;
    const interpreter = line.slice(2).trim().split(/\s+/)[0];
    return interpreter && !existsSync(interpreter) ? interpreter : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
