// A fake world for SupervisedProcess and Supervisor: a virtual clock, a spawner that hands out fake
// children whose exit the test triggers, a kill(2) that records signals, and an in-memory log.
import { PassThrough } from 'node:stream';
import { FakeClock } from '../../../src/common/clock.ts';
import { parseDescriptor, type Descriptor } from '../../../src/descriptor/parse.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import type { ExitStatus } from '../../../src/process/exit-status.ts';
import { streamOutput, type Child, type SpawnRequest } from '../../../src/process/spawner.ts';
import type { Policy } from '../../../src/process/state.ts';
import type { SupervisorWorld } from '../../../src/supervisor/supervisor.ts';

export const FIRST_PID = 1000;

// kill time 5 s, threshold 1 s, delays from 1 s up to 60 s.
export function testPolicy(overrides: Partial<Policy> = {}): Policy {
  return { restart: 'always', successExitCodes: [0], maxFastRestarts: undefined, stopGroup: false, killTimeMs: 5000, stopSignal: 'SIGTERM', thresholdMs: 1000, minDelayMs: 1000, maxDelayMs: 60_000, ...overrides };
}

// A valid descriptor from a plain object (parsed for real, so canonical and raw are genuine).
export function descriptorOf(value: Record<string, unknown>): Descriptor {
  const result = parseDescriptor(JSON.stringify(value));
  if (!result.ok) throw new Error(`test descriptor is invalid: ${result.errors.join('; ')}`);
  return result.descriptor;
}

export class FakeChild implements Child {
  readonly pid: number | undefined;
  readonly stdout = streamOutput(new PassThrough());
  readonly stderr = streamOutput(new PassThrough());
  readonly request: SpawnRequest;
  readonly spawnedAt: number;
  exitStatus: ExitStatus | undefined;
  private exitCallback: ((status: ExitStatus) => void) | undefined;
  private readonly world: FakeWorld;

  constructor(world: FakeWorld, pid: number | undefined, request: SpawnRequest) {
    this.world = world;
    this.pid = pid;
    this.request = request;
    this.spawnedAt = world.clock.now();
  }

  onExit(cb: (status: ExitStatus) => void): void {
    this.exitCallback = cb;
  }

  // The main pid ends; with groupAlive, other members of its process group are left behind.
  exit(status: ExitStatus = { code: 0, signal: null }, { groupAlive = false } = {}): void {
    if (this.exitStatus) throw new Error(`child ${this.pid} already exited`);
    if (!this.exitCallback) throw new Error(`nobody listens for the exit of child ${this.pid}`);
    this.exitStatus = status;
    if (this.pid !== undefined) {
      this.world.alive.delete(this.pid);
      if (!groupAlive) this.world.groups.delete(this.pid);
    }
    this.exitCallback(status);
    // A process whose group is gone has closed its pipes (a group member left behind would hold them).
    if (!groupAlive) {
      this.stdout.stream.end();
      this.stderr.stream.end();
    }
  }
}

export interface KillCall {
  pid: number;
  signal: NodeJS.Signals;
  at: number;
}

export class FakeWorld implements SupervisorWorld {
  readonly clock = new FakeClock();
  readonly log = memoryLog();
  env: NodeJS.ProcessEnv = { PATH: '/usr/bin:/bin', HOME: '/root' };
  readonly own = new Set<number>();
  stdoutTaken = false;
  // colony's own ids in the fake world: root, so that uid/gid switching is allowed whoever runs the tests.
  ids = { uid: 0, gid: 0 };
  // Every spawn attempt (failed ones included), in order.
  readonly attempts: Array<{ at: number; request: SpawnRequest }> = [];
  // Children actually started.
  readonly children: FakeChild[] = [];
  // Every signal sent (signal 0, the liveness probe, is not recorded).
  readonly kills: KillCall[] = [];
  // Live main pids and live process groups.
  readonly alive = new Set<number>();
  readonly groups = new Set<number>();
  private nextPid = FIRST_PID;

  // How long the child of the n-th successful spawn lives by itself (virtual ms); undefined: until exit() is called.
  lifetime: (n: number) => number | undefined = () => undefined;
  // The errno code the n-th spawn attempt throws with (as libuv would for ENOENT); undefined: it works.
  spawnError: (n: number) => string | undefined = () => undefined;
  // When true for the n-th attempt, spawn returns a child without a pid (as child_process does when exec fails
  // asynchronously); the test then reports the failure with exit({ code: null, signal: null, spawnError }).
  pidless: (n: number) => boolean = () => false;

  readonly spawn = (request: SpawnRequest): Child => {
    const n = this.attempts.length;
    this.attempts.push({ at: this.clock.now(), request });
    const code = this.spawnError(n);
    if (code !== undefined) throw Object.assign(new Error(`spawn ${request.args[0]} ${code}`), { code });
    if (this.pidless(n)) {
      const child = new FakeChild(this, undefined, request);
      this.children.push(child);
      return child;
    }
    const pid = this.nextPid++;
    const child = new FakeChild(this, pid, request);
    this.alive.add(pid);
    this.groups.add(pid);
    const life = this.lifetime(this.children.length);
    this.children.push(child);
    if (life !== undefined) this.clock.setTimeout(() => child.exit({ code: 1, signal: null }), life);
    return child;
  };

  readonly kill = (pid: number, signal: NodeJS.Signals | 0): void => {
    if (signal !== 0) this.kills.push({ pid, signal, at: this.clock.now() });
    const exists = pid > 0 ? this.alive.has(pid) : this.groups.has(-pid);
    if (!exists) throw Object.assign(new Error(`kill ESRCH`), { code: 'ESRCH' });
  };

  readonly adopted = (): number[] => [];

  // The last child started.
  get last(): FakeChild {
    const child = this.children.at(-1);
    if (!child) throw new Error('no child was spawned');
    return child;
  }

  child(n: number): FakeChild {
    const child = this.children[n];
    if (!child) throw new Error(`no child number ${n}`);
    return child;
  }

  // The remaining members of a process group are gone.
  emptyGroup(pgid: number): void {
    this.groups.delete(pgid);
  }

  // Signals sent as 'SIGTERM 1000' (a process) or 'SIGKILL -1000' (a process group).
  signals(): string[] {
    return this.kills.map((k) => `${k.signal} ${k.pid}`);
  }

  // The args of every spawn attempt.
  spawnedArgs(): string[][] {
    return this.attempts.map((a) => a.request.args);
  }

  spawnTimes(): number[] {
    return this.attempts.map((a) => a.at);
  }
}
