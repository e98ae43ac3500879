// The config directory: one descriptor file per process (NColony's layout). Turns what is in it
// into desired state for the supervisor, through inotify (chokidar) plus a rare full rescan.
// A bad file is reported once (per distinct content) and never disturbs the other names nor a
// running process: the last good definition of a name stays in force until the file is fixed or removed.
import { closeSync, constants, fstatSync, openSync, readdirSync, readSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import { processName, skipReason } from './name.ts';
import { MAX_FILE_BYTES, parseDescriptor, type Descriptor } from './parse.ts';
import { describeError } from '../common/errors.ts';
import type { Log } from '../log/logger.ts';
import { fileProblem, filePolicyFrom, statProblem, type FilePolicy } from '../system/security.ts';
import { watchDir, type DirWatch } from '../common/watch-dir.ts';

export type Apply = (name: string, descriptor: Descriptor | null) => void;

// After a file event, its name is looked at once more when its events have been quiet this long:
// in a fast burst (add, change, remove) chokidar can lose the last event — its stat for an earlier
// one races the unlink — and the process would otherwise run on until the backup rescan.
const RECHECK_MS = 100;
// A file that does not parse and was modified less than this long ago may be half-written by a writer
// that does not rename into place: after an event it is looked at again, not reported, until it
// parses or is this old (descriptors here, messages in messages/watcher.ts). The start-up scan and the
// backup rescan report a descriptor at once.
export const SETTLE_MS = 1000;

// Reads a whole file, refusing one over `limit` bytes without reading it, and one that `check`
// (given the opened file's fstat) finds a problem with (code 'EREFUSED', the message is the reason).
// Opened with O_NONBLOCK: opening a FIFO for reading would otherwise block colony until a writer
// comes (for good); it is then refused as not a regular file. (O_NONBLOCK does nothing to regular files.)
export function readLimited(path: string, limit = MAX_FILE_BYTES, check?: (st: Stats) => string | undefined): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(st.isFIFO() ? 'a FIFO, not a regular file' : 'not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    const problem = check?.(st);
    if (problem) throw Object.assign(new Error(problem), { code: 'EREFUSED' });
    if (st.size > limit) throw Object.assign(new Error(`file is ${st.size} bytes, over the ${limit}-byte limit`), { code: 'EFBIG' });
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.max(4096, st.size + 1));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw Object.assign(new Error(`file grew over the ${limit}-byte limit`), { code: 'EFBIG' });
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

// The process names a directory listing stands for (skipped entries left out; NAME and NAME.json are one name).
export function descriptorNames(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) if (!skipReason(f)) names.add(processName(f));
  return names;
}

// `unparsed`: the file was read but its content is not a valid descriptor (it may be half-written).
export type Lookup = { kind: 'absent' } | { kind: 'ok'; descriptor: Descriptor; file: string; warnings: string[] } | { kind: 'error'; file: string; error: string; refused?: boolean; unparsed?: boolean };

// Whether a file was modified less than `ms` ago (false when it cannot be stat'ed).
export function modifiedWithin(file: string, ms: number): boolean {
  try {
    return Date.now() - statSync(file).mtimeMs < ms;
  } catch {
    return false;
  }
}

export class ConfigDir {
  private readonly dir: string;
  private readonly apply: Apply;
  private readonly log: Log;
  private readonly frequencyMs: number;
  // Last outcome per name: the good definition applied, and the last error reported (to report each once).
  private readonly applied = new Map<string, string>();
  private readonly reported = new Map<string, string>();
  // Names with a look pending after their last event (see RECHECK_MS).
  private readonly rechecks = new Map<string, NodeJS.Timeout>();
  private watcher: DirWatch | undefined;
  private missingReported = false;
  private scanned = false;
  private readonly absentIsNormal: boolean;
  private readonly policy: FilePolicy;

  // `batch` wraps a full rescan, so that the supervisor sees the whole directory before it starts anything.
  private readonly batch: (fn: () => void) => void;

  // `policy`: which files are trusted (see security.ts); by default strict when colony runs as root.
  // `absentIsNormal`: a directory that does not exist is said at info, not as a warning (a main
  // command's image that has no processes of its own).
  constructor(dir: string, apply: Apply, log: Log, frequencyMs: number, batch: (fn: () => void) => void = (fn) => fn(), policy: FilePolicy = filePolicyFrom(process.env, undefined), absentIsNormal = false) {
    this.absentIsNormal = absentIsNormal;
    this.dir = dir;
    this.policy = policy;
    this.apply = apply;
    this.batch = batch;
    this.log = log;
    this.frequencyMs = frequencyMs;
  }

  // Scans once, then follows changes. Resolves once the watcher is armed; a rescan then catches anything written while it was being set up.
  start(): Promise<void> {
    this.rescan();
    this.watcher = watchDir({
      dir: this.dir,
      what: 'config',
      events: ['add', 'change', 'unlink'],
      onFile: (file) => {
        if (!skipReason(file)) this.changed(processName(file));
      },
      rescan: () => this.rescan(),
      frequencyMs: this.frequencyMs,
      log: this.log,
    });
    return this.watcher.ready;
  }

  async close(): Promise<void> {
    for (const t of this.rechecks.values()) clearTimeout(t);
    this.rechecks.clear();
    await this.watcher?.close();
  }

  // A file event for a name: looked at now, and once more when its events have gone quiet.
  private changed(name: string): void {
    this.reload(name, true);
    this.recheckLater(name);
  }

  private recheckLater(name: string): void {
    clearTimeout(this.rechecks.get(name));
    const timer = setTimeout(() => {
      this.rechecks.delete(name);
      if (this.reload(name, true) === 'unsettled') this.recheckLater(name);
    }, RECHECK_MS);
    this.rechecks.set(name, timer);
  }

  // Every name in the directory, and every name applied before, looked at afresh.
  rescan(): void {
    let files: string[] = [];
    try {
      files = readdirSync(this.dir);
      this.missingReported = false;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (!this.missingReported) {
        if (code === 'ENOENT') this.log[this.absentIsNormal ? 'info' : 'warn']('config directory does not exist (yet): no processes until it appears', { dir: this.dir });
        else this.log.error('cannot read the config directory', { dir: this.dir, error: describeError(err) });
        this.missingReported = true;
      }
      if (code !== 'ENOENT') return; // unreadable: keep everything as it is
    }
    const names = descriptorNames(files);
    for (const n of this.applied.keys()) names.add(n);
    for (const n of this.reported.keys()) names.add(n);
    this.batch(() => {
      // A name with a look pending is being written right now: that look has it.
      // After the first scan, a file being written in place right now (read empty or half-written, its
      // event not seen yet) is looked at again, as after an event, rather than reported. The first
      // scan reports at once: what colony starts with is there already (and a one-off command may
      // end before a second look).
      const settle = this.scanned;
      for (const n of [...names].sort()) if (!this.rechecks.has(n) && this.reload(n, settle) === 'unsettled') this.recheckLater(n);
      this.scanned = true;
    });
  }

  // Looks at the file(s) for one name and applies the outcome. With `settle`, a file that does not
  // parse and was modified moments ago is neither reported nor applied ('unsettled': look again).
  reload(name: string, settle = false): 'done' | 'unsettled' {
    const found = this.lookup(name);
    if (found.kind === 'absent') {
      this.reported.delete(name);
      if (this.applied.delete(name)) this.apply(name, null);
      return 'done';
    }
    if (found.kind === 'error') {
      if (settle && found.unparsed && modifiedWithin(found.file, SETTLE_MS)) return 'unsettled';
      // A refused file's reason names the file itself.
      const line = found.refused ? `descriptor ${found.error}` : `bad descriptor ${found.file}: ${found.error}`;
      if (this.reported.get(name) !== line) {
        this.reported.set(name, line);
        const keeping = this.applied.has(name) ? '; the running process keeps its last good definition' : '; not started';
        this.log.error(`${line}${keeping}`, { file: found.file, proc: name });
      }
      return 'done';
    }
    if (this.reported.delete(name)) this.log.info(`descriptor ${found.file} is valid again`, { proc: name });
    if (found.warnings.length > 0 && this.applied.get(name) !== found.descriptor.canonical) {
      for (const w of found.warnings) this.log.warn(`descriptor ${found.file}: ${w}`, { file: found.file, proc: name });
    }
    this.applied.set(name, found.descriptor.canonical);
    this.apply(name, found.descriptor);
    return 'done';
  }

  private lookup(name: string): Lookup {
    return lookupDescriptor(this.dir, name, this.policy);
  }
}

// The descriptor file(s) a process name stands for, read and checked: absent, a descriptor, or an error.
// Shared by the watcher and `ctl validate`.
export function lookupDescriptor(dir: string, name: string, policy: FilePolicy): Lookup {
  const present: string[] = [];
  for (const file of [name, `${name}.json`]) {
    try {
      const st = statSync(join(dir, file));
      if (st.isDirectory()) continue; // subdirectories are not processes
      present.push(file);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') continue;
      if (code === 'ELOOP' || code === 'EACCES') return { kind: 'error', file: join(dir, file), error: describeError(err) };
      present.push(file); // let the read below report it
    }
  }
  if (present.length === 0) return { kind: 'absent' };
  if (present.length > 1) return { kind: 'error', file: join(dir, name), error: `both "${name}" and "${name}.json" exist; remove one of them` };
  const file = join(dir, present[0]!);
  const refused = fileProblem(file, dir, policy);
  if (refused) return { kind: 'error', file, error: refused, refused: true };
  let bytes: Buffer;
  try {
    bytes = readLimited(file, MAX_FILE_BYTES, (st) => statProblem(file, st, policy));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' }; // vanished between stat and read
    if ((err as NodeJS.ErrnoException).code === 'EREFUSED') return { kind: 'error', file, error: (err as Error).message, refused: true };
    return { kind: 'error', file, error: describeError(err) };
  }
  let parsed: ReturnType<typeof parseDescriptor>;
  try {
    parsed = parseDescriptor(bytes);
  } catch (err) {
    // Never expected (parsing returns its errors): the file is reported, the supervisor goes on.
    return { kind: 'error', file, error: `cannot be parsed: ${describeError(err)}` };
  }
  if (!parsed.ok) return { kind: 'error', file, error: parsed.errors.join('; '), unparsed: true };
  return { kind: 'ok', file, descriptor: { ...parsed.descriptor, source: file }, warnings: parsed.warnings };
}
