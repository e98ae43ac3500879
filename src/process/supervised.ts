// The I/O shell around one process's state machine: performs the effects (spawn, signals, timers),
// relays the child's output to the log, and feeds results back as events.
import type { Clock, Timer } from '../clock.ts';
import type { Descriptor } from '../descriptor/parse.ts';
import { describeError } from '../errors.ts';
import { decodeLine, LineSplitter } from '../log/lines.ts';
import type { Log } from '../log/logger.ts';
import { childEnvironment } from './environment.ts';
import type { Spawner } from './spawner.ts';
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
}

// How often a draining process group is checked for emptiness (also checked after every reap).
const GROUP_POLL_MS = 20;

export class SupervisedProcess {
  readonly name: string;
  descriptor: Descriptor;
  policy: Policy;
  private state: State;
  private readonly world: ProcessWorld;
  private readonly log: Log;
  private readonly timers = new Map<TimerName, Timer>();
  private groupPoll: Timer | undefined;
  private pgid: number | undefined;
  private readonly listeners: Array<(p: SupervisedProcess) => void> = [];

  constructor(name: string, descriptor: Descriptor, policy: Policy, world: ProcessWorld) {
    this.name = name;
    this.descriptor = descriptor;
    this.policy = policy;
    this.world = world;
    this.log = world.log.child({ proc: name });
    this.state = initialState(policy);
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
  stop(): void {
    this.dispatch({ type: 'stop' });
  }
  restart(): void {
    this.dispatch({ type: 'restart' });
  }

  // A new definition: used from the next start on; the process is restarted to pick it up.
  replace(descriptor: Descriptor): void {
    this.descriptor = descriptor;
    this.dispatch({ type: 'restart' });
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
    const { state, effects } = transition(this.state, event, this.policy, this.world.clock.now());
    this.state = state;
    for (const effect of effects) this.perform(effect);
    for (const cb of this.listeners) cb(this);
  }

  private perform(effect: Effect): void {
    switch (effect.type) {
      case 'spawn':
        this.doSpawn();
        return;
      case 'signal': {
        const target = effect.target === 'group' ? this.pgid : this.state.pid;
        if (target !== undefined) this.sendSignal(effect.signal, effect.target === 'group' ? -target : target);
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

  private sendSignal(signal: NodeJS.Signals, target: number): void {
    try {
      this.world.kill(target, signal);
    } catch (err) {
      // ESRCH: it is already gone (its exit is on its way to us); anything else is worth a line.
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') this.log.warn(`could not send ${signal}`, { target, error: describeError(err) });
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
    let child;
    try {
      child = this.world.spawn({ args: d.args, env: childEnvironment(this.name, d, this.world.env), uid: d.uid, gid: d.gid });
    } catch (err) {
      this.reportSpawnFailure((err as NodeJS.ErrnoException).code ?? 'EINVAL', describeError(err));
      const status = { code: null, signal: null, spawnError: (err as NodeJS.ErrnoException).code ?? 'EINVAL' };
      // Reported on a later turn, like an asynchronous spawn failure: an immediate restart must not recurse.
      this.world.clock.setTimeout(() => this.dispatch({ type: 'spawn-failed', status }), 0);
      return;
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

  // One clear line naming the executable, the descriptor file and the reason.
  private reportSpawnFailure(code: string, detail?: string): void {
    const exe = this.descriptor.args[0];
    const why = code === 'ENOENT' ? (exe?.includes('/') ? 'no such file' : 'not found in PATH') : code === 'EACCES' ? 'permission denied (not executable?)' : (detail ?? code);
    this.log.error(`cannot start ${JSON.stringify(exe)}: ${why}`, {
      error: code,
      ...(this.descriptor.source ? { file: this.descriptor.source, field: 'args[0]' } : {}),
      ...(code === 'ENOENT' && !exe?.includes('/') ? { PATH: this.world.env.PATH } : {}),
    });
  }

  private relay(stream: NodeJS.ReadableStream | null, name: 'stdout' | 'stderr'): void {
    if (!stream) return;
    const lines = new LineSplitter();
    stream.on('data', (chunk: Buffer) => {
      for (const line of lines.push(chunk)) this.world.log.output(this.name, name, decodeLine(line));
    });
    const flush = (): void => {
      const rest = lines.end();
      if (rest) this.world.log.output(this.name, name, decodeLine(rest));
    };
    stream.once('end', flush);
    stream.once('error', (err) => {
      flush();
      this.log.warn(`reading ${name} failed`, { error: describeError(err) });
    });
  }
}
