// Fakes for the probe tests: probes whose results the test scripts or settles by hand, each call stamped
// with the virtual time, and an advance() that lets promise callbacks run between virtual milliseconds;
// for exec probes, a spawner of fake commands whose exit the test triggers and a kill(2) that records signals.
import type { FakeClock } from '../../../src/common/clock.ts';
import type { ProbeResult } from '../../../src/probes/probe.ts';
import type { ExitStatus } from '../../../src/process/exit-status.ts';
import type { Child, SpawnRequest, Spawner } from '../../../src/process/spawner.ts';

export const OK: ProbeResult = { ok: true, detail: 'fine' };
export const fail = (detail = 'down'): ProbeResult => ({ ok: false, detail });

// Lets pending promise callbacks run (the fakes settle within a few microtask turns).
export async function flush(): Promise<void> {
  for (let i = 0; i < 10; i++) await null;
}

// Moves virtual time forward `ms`, `step` at a time, running promise callbacks after every step,
// so that a result that arrives at t schedules its follow-up from t, as with real time.
export async function advance(clock: FakeClock, ms: number, step = 1): Promise<void> {
  await flush();
  for (let done = 0; done < ms; done += step) {
    clock.advance(Math.min(step, ms - done));
    await flush();
  }
}

// A probe that answers from a script (the last entry repeats), stamping each call with the virtual time.
export function scriptedProbe(clock: FakeClock, script: Array<ProbeResult | Error>): { probe: () => Promise<ProbeResult>; calls: number[] } {
  const calls: number[] = [];
  const probe = (): Promise<ProbeResult> => {
    const entry = script[Math.min(calls.length, script.length - 1)];
    calls.push(clock.now());
    if (entry === undefined) throw new Error('empty script');
    return entry instanceof Error ? Promise.reject(entry) : Promise.resolve(entry);
  };
  return { probe, calls };
}

// A probe whose every call stays pending until the test settles it.
export function deferredProbe(clock: FakeClock): {
  probe: () => Promise<ProbeResult>;
  calls: number[];
  settle: (i: number, r: ProbeResult) => void;
} {
  const calls: number[] = [];
  const resolvers: Array<(r: ProbeResult) => void> = [];
  const probe = (): Promise<ProbeResult> => {
    calls.push(clock.now());
    return new Promise((resolve) => resolvers.push(resolve));
  };
  const settle = (i: number, r: ProbeResult): void => {
    const resolve = resolvers[i];
    if (!resolve) throw new Error(`no call ${i} to settle (${resolvers.length} calls)`);
    resolve(r);
  };
  return { probe, calls, settle };
}

// A command started by an exec probe; it runs until the test calls exit().
export class FakeCommand implements Child {
  readonly pid: number | undefined;
  readonly stdout = null;
  readonly stderr = null;
  readonly request: SpawnRequest;
  private exitCallback: ((status: ExitStatus) => void) | undefined;
  private exited = false;

  constructor(pid: number | undefined, request: SpawnRequest) {
    this.pid = pid;
    this.request = request;
  }

  onExit(cb: (status: ExitStatus) => void): void {
    this.exitCallback = cb;
  }

  exit(status: ExitStatus): void {
    if (this.exited) throw new Error(`command ${this.pid} already exited`);
    if (!this.exitCallback) throw new Error(`nobody listens for the exit of command ${this.pid}`);
    this.exited = true;
    this.exitCallback(status);
  }
}

export interface SignalCall {
  pid: number;
  signal: NodeJS.Signals;
  at: number;
}

// A spawner of FakeCommands (pids from 4000) and a kill(2) that records each call with its virtual time.
// `failSpawn` makes the next spawn throw it; `noGroup` makes a kill of a (negative) process group throw ESRCH.
export function fakeExecWorld(clock: FakeClock): {
  spawner: Spawner;
  kill: (pid: number, signal: NodeJS.Signals) => void;
  commands: FakeCommand[];
  signals: SignalCall[];
  failSpawn: Error | undefined;
  noGroup: boolean;
} {
  let nextPid = 4000;
  const world = {
    commands: [] as FakeCommand[],
    signals: [] as SignalCall[],
    failSpawn: undefined as Error | undefined,
    noGroup: false,
    spawner: (req: SpawnRequest): Child => {
      const err = world.failSpawn;
      world.failSpawn = undefined;
      if (err) throw err;
      const command = new FakeCommand(nextPid++, req);
      world.commands.push(command);
      return command;
    },
    kill: (pid: number, signal: NodeJS.Signals): void => {
      world.signals.push({ pid, signal, at: clock.now() });
      if (pid < 0 && world.noGroup) throw Object.assign(new Error('kill ESRCH'), { code: 'ESRCH' });
    },
  };
  return world;
}
