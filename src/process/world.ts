// How a supervised process reaches the system: injected so that unit tests can fake it.
import type { Clock } from '../common/clock.ts';
import type { Log } from '../log/logger.ts';
import type { Keeper } from '../log/kept.ts';
import type { Sink } from '../log/sink.ts';
import type { ExitWatch } from '../system/reaper.ts';
import type { HandoverWorld } from './handover.ts';
import type { NotifyHub } from './notify.ts';
import type { Spawner } from './spawner.ts';

// What taking over a main pid needs (process/handover.ts, process/upgrade.ts): /proc, the pidfile,
// and the reaper, which hands the exit status of a process taken over to its watcher.
export interface Successors extends HandoverWorld {
  adopt(pid: number, watch: ExitWatch): void;
  children(pid: number): number[];
  procGroup(pid: number): number | undefined;
  argStart(pid: number): string | undefined;
}

export interface OutputCounts {
  relayed: number;
  dropped: number;
}

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
  sink?: Pick<Sink, 'throttle' | 'release' | 'isBroken'>;
  // Lines relayed to colony's log (or an output file), and lines lost because colony's stdout cannot be
  // written (metrics; absent in unit tests).
  counts?: OutputCounts;
  // Where each process's recent lines are kept for `colony ctl logs` (absent: not kept).
  keeper?: Keeper;
  // Whether a process group has a member that has not ended (zombies do not count), or undefined when
  // that cannot be told (system/proc.ts). Set only when nothing reaps (run.ts); absent, kill(2)'s answer stands.
  liveInGroup?: (pgid: number) => boolean | undefined;
  // sd_notify's socket and its routing (absent: NOTIFY_SOCKET is never given).
  notify?: NotifyHub;
  // Absent where nothing reaps (a main pid can be taken over only by a colony that waits for it).
  successors?: Successors;
  // colony's stdout is the main command's alone: a process with output inherit writes to colony's stderr.
  stdoutTaken?: boolean;
}

// kill(2) with the benign outcome named: false when there is no such process or group (ESRCH);
// any other error is passed to `onError` and counts as sent.
export function sendSignal(world: Pick<ProcessWorld, 'kill'>, target: number, signal: NodeJS.Signals, onError: (err: unknown) => void): boolean {
  try {
    world.kill(target, signal);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    onError(err);
    return true;
  }
}

// Whether a process group still has members that have not ended (EPERM: it has, but not ours to
// signal). Members that are all zombies no reaper will take do not count: nothing waits for them.
export function groupAlive(world: Pick<ProcessWorld, 'kill' | 'liveInGroup'>, pgid: number): boolean {
  try {
    world.kill(-pgid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  return world.liveInGroup?.(pgid) ?? true;
}
