// The state file ($STATE/status.json): colony and every process as data, for `colony ctl status`,
// `colony ctl check` and other tools. Rewritten atomically (temp file + rename) after changes,
// coalesced to at most one write per WRITE_DELAY_MS (on the injected clock). A state directory that
// cannot be written (read-only, full) is reported once and never stops the supervision.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { realClock, type Clock } from '../common/clock.ts';
import { describeError } from '../common/errors.ts';
import { writeFileAtomically } from '../common/files.ts';
import { realFileSystem, type FileSystem } from '../common/fs-world.ts';
import type { Log } from '../log/logger.ts';
import type { SupervisedProcess } from '../process/supervised.ts';

export const STATUS_FILE = 'status.json';
export const WRITE_DELAY_MS = 25;

export interface ProcessStatus {
  name: string;
  state: string;
  pid: number | null;
  since: string;
  restarts: number;
  lastExit: { code: number | null; signal: string | null; at: string | null; error?: string } | null;
  health: string | null;
  ready: boolean;
  failed: boolean;
  critical: boolean;
  nextRun: string | null;
  // Defined but never started: --only leaves it out.
  leftOut: boolean;
  // Held down by the operator: "stopped" (ctl stop) or "autostart-off" ("autostart": false, not started yet).
  held: 'stopped' | 'autostart-off' | null;
  // STATUS= it sent over NOTIFY_SOCKET (sd_notify), if any.
  notifyStatus?: string;
  // ctl upgrade: how many ended well or not, and the last one's outcome.
  upgrades?: { done: number; failed: number; last: string | null; running: boolean };
  // Where its lines go: colony's log, its own file, or colony's stdout untouched (not kept for ctl logs).
  output?: 'log' | 'file' | 'inherit';
}

export interface Status {
  // messages and config: the directories (absolute) this colony reads, for ctl given --state alone;
  // logs: where each process's recent lines are kept (null: they are not, --keep-logs 0).
  colony: { pid: number; version: string; started: string; procStart: string; mode: 'pid1' | 'subreaper' | 'child'; updated: string; shuttingDown: boolean; messages?: string; config?: string; logs?: { dir: string; maxBytes: number } | null };
  processes: ProcessStatus[];
}

// One process as data.
export function processStatus(p: SupervisedProcess, o: { nextRun?: Date | undefined; leftOut?: boolean; held?: ProcessStatus['held'] | undefined } = {}): ProcessStatus {
  const s = p.snapshot;
  const last = s.lastExit;
  return {
    name: p.name,
    state: p.phase,
    pid: s.pid ?? null,
    since: new Date(p.since).toISOString(),
    restarts: Math.max(0, s.starts - 1),
    lastExit: last ? { code: last.code, signal: last.signal, at: p.lastExitAt ? new Date(p.lastExitAt).toISOString() : null, ...(last.spawnError ? { error: last.spawnError } : {}) } : null,
    health: p.health ?? null,
    ready: p.ready,
    failed: p.phase === 'failed',
    critical: p.descriptor.critical,
    nextRun: o.nextRun ? o.nextRun.toISOString() : null,
    leftOut: o.leftOut ?? false,
    held: o.held ?? null,
    output: p.descriptor.output.kind,
    ...(p.notifyStatus !== undefined ? { notifyStatus: p.notifyStatus } : {}),
    ...(p.upgrades.last !== undefined ? { upgrades: { done: p.upgrades.done, failed: p.upgrades.failed, last: p.upgrades.last, running: p.upgradeInProgress } } : {}),
  };
}

export class StatusFile {
  private readonly dir: string;
  private readonly log: Log;
  private readonly build: () => Status;
  private readonly clock: Clock;
  private readonly fs: FileSystem;
  private scheduled = false;
  private failing = false;

  // `world`: the clock (coalescing) and the file system; the real ones by default.
  constructor(dir: string, log: Log, build: () => Status, world: { clock?: Clock; fs?: FileSystem } = {}) {
    this.dir = dir;
    this.log = log;
    this.build = build;
    this.clock = world.clock ?? realClock();
    this.fs = world.fs ?? realFileSystem;
  }

  // Asks for a write soon: changes within WRITE_DELAY_MS make one write (500 processes starting
  // would otherwise rewrite a 500-entry file on every event-loop turn).
  touch(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    this.clock.setTimeout(() => {
      this.scheduled = false;
      this.write();
    }, WRITE_DELAY_MS);
  }

  // Writes the file now.
  write(): void {
    const final = join(this.dir, STATUS_FILE);
    try {
      writeFileAtomically(final, `${JSON.stringify(this.build(), null, 1)}\n`, { fs: this.fs });
      if (this.failing) this.log.info('the state file can be written again', { file: final });
      this.failing = false;
    } catch (err) {
      if (!this.failing) this.log.error('cannot write the state file (supervision goes on; ctl status/check will not see changes)', { file: final, error: describeError(err) });
      this.failing = true;
    }
  }
}

// Reads the state file, or throws an error saying why it cannot be read.
export function readStatus(stateDir: string): Status {
  const file = join(stateDir, STATUS_FILE);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`no state file at ${file} (${(err as NodeJS.ErrnoException).code ?? describeError(err)}): is colony running with --state ${stateDir}?`);
  }
  try {
    return JSON.parse(text) as Status;
  } catch (err) {
    throw new Error(`the state file ${file} is not valid JSON: ${describeError(err)}`);
  }
}
