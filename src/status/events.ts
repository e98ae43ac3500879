// State changes as records (colony ctl events, hooks): each process's phase, health and readiness are
// compared with what was last seen of it, and each difference is one record, in the order seen. Pure:
// the caller passes the process's facts and the time; records are kept in the state directory by
// run.ts (the kept-lines format of log/kept.ts, one record per line) and handed to hooks.
import type { ExitReason } from '../process/exit-reason.ts';
import type { Phase } from '../process/state.ts';
import type { HealthStatus } from '../probes/checker.ts';

// The events file in the state directory (with its rotated `.1`), and its budget (both files together).
export const EVENTS_NAME = 'events';
export const EVENTS_BYTES = 1024 * 1024;

export interface ProcessFacts {
  name: string;
  phase: Phase;
  pid: number | undefined;
  health: HealthStatus | undefined;
  ready: boolean;
  restarts: number;
  exitCount: number; // runs ended so far
  lastExit: { code: number | null; signal: string | null } | undefined;
  lastExitReason: ExitReason | undefined;
}

export interface EventRecord {
  time: string; // ISO 8601
  proc: string;
  event: 'state' | 'health' | 'ready';
  from: string | null; // null: first seen
  to: string;
  pid: number | null;
  restarts: number;
  // On the state change that follows a run's end:
  code?: number | null;
  signal?: string | null;
  reason?: ExitReason;
}

interface Seen {
  phase: Phase;
  pid: number | undefined;
  health: HealthStatus | undefined;
  ready: boolean;
  exitCount: number;
}

export class EventWatch {
  private readonly seen = new WeakMap<object, Seen>();

  // The records for what changed in `p` (keyed by `key`, the process object: a name added again is new).
  changes(key: object, p: ProcessFacts, wallNow: number): EventRecord[] {
    const before = this.seen.get(key);
    this.seen.set(key, { phase: p.phase, pid: p.pid, health: p.health, ready: p.ready, exitCount: p.exitCount });
    const time = new Date(wallNow).toISOString();
    const base = { time, proc: p.name, pid: p.pid ?? null, restarts: p.restarts };
    const out: EventRecord[] = [];
    // A run that ended and was started again at once shows as running → running with the exit and a new pid.
    const ended = p.exitCount > (before?.exitCount ?? 0) && p.lastExit !== undefined;
    if (before?.phase !== p.phase || ended || before.pid !== p.pid) {
      out.push({ ...base, event: 'state', from: before?.phase ?? null, to: p.phase, ...(ended ? { code: p.lastExit!.code, signal: p.lastExit!.signal, ...(p.lastExitReason ? { reason: p.lastExitReason } : {}) } : {}) });
    }
    if (before?.health !== p.health && p.health !== undefined) out.push({ ...base, event: 'health', from: before?.health ?? null, to: p.health });
    if ((before?.ready ?? false) !== p.ready) out.push({ ...base, event: 'ready', from: String(before?.ready ?? false), to: String(p.ready) });
    return out;
  }
}
