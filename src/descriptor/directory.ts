// The config directory: one descriptor file per process (NColony's layout). Turns what is in it
// into desired state for the supervisor, through inotify (common/watch-dir.ts) plus a rare full rescan.
// A bad file is reported once (per distinct content) and never disturbs the other names nor a
// running process: the last good definition of a name stays in force until the file is fixed or removed.
// A file that does not parse and was modified less than SETTLE_MS ago (common/input.ts) may be
// half-written: after an event or a later rescan it is looked at again, not reported; the start-up
// scan reports it at once. Timers and file ages come from the injected clock.
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { processName, skipReason } from './name.ts';
import { MAX_FILE_BYTES, parseDescriptor, type Descriptor } from './parse.ts';
import { realClock, type Clock, type Timer } from '../common/clock.ts';
import { describeError } from '../common/errors.ts';
import { realFileSystem, type FileSystem } from '../common/fs-world.ts';
import { stillChanging, readLimited, SETTLE_MS } from '../common/input.ts';
import type { Log } from '../log/logger.ts';
import { fileProblem, filePolicyFrom, statProblem, type FilePolicy } from '../system/security.ts';
import { watchDir, type DirWatch, type DirWatchOptions, type DirWorld } from '../common/watch-dir.ts';

export type Apply = (name: string, descriptor: Descriptor | null) => void;

// After a file event, its name is looked at once more when its events have been quiet this long:
// in a fast burst (add, change, remove) an event can be taken for another — the lstat for an earlier
// one races the unlink — and the process would otherwise run on until the backup rescan.
export const RECHECK_MS = 100;

// The process names a directory listing stands for (skipped entries left out; NAME and NAME.json are one name).
export function descriptorNames(files: string[]): Set<string> {
  const names = new Set<string>();
  for (const f of files) if (!skipReason(f)) names.add(processName(f));
  return names;
}

// `unparsed`: the file was read but its content is not a valid descriptor (it may be half-written).
export type Lookup = { kind: 'absent' } | { kind: 'ok'; descriptor: Descriptor; file: string; warnings: string[] } | { kind: 'error'; file: string; error: string; refused?: boolean; unparsed?: boolean };

export class ConfigDir {
  private readonly dir: string;
  private readonly apply: Apply;
  private readonly log: Log;
  private readonly frequencyMs: number;
  // Last outcome per name: the good definition applied, and the last error reported (to report each once).
  private readonly applied = new Map<string, string>();
  private readonly reported = new Map<string, string>();
  // Names with a look pending after their last event (see RECHECK_MS).
  private readonly rechecks = new Map<string, Timer>();
  private watcher: DirWatch | undefined;
  private missingReported = false;
  private scanned = false;
  private readonly absentIsNormal: boolean;
  private readonly policy: FilePolicy;
  private readonly clock: Clock;
  private readonly fs: FileSystem;
  private readonly watch: (o: DirWatchOptions) => DirWatch;

  // `batch` wraps a full rescan, so that the supervisor sees the whole directory before it starts anything.
  private readonly batch: (fn: () => void) => void;

  // `policy`: which files are trusted (see system/security.ts); by default strict when colony runs as root.
  // `absentIsNormal`: a directory that does not exist is said at info, not as a warning (a main
  // command's image that has no processes of its own). `world`: the clock (rechecks, file ages, the
  // backup rescan), the file system (listing, file ages) and the watcher; the real ones by default.
  constructor(dir: string, apply: Apply, log: Log, frequencyMs: number, batch: (fn: () => void) => void = (fn) => fn(), policy: FilePolicy = filePolicyFrom(process.env, undefined), absentIsNormal = false, world: DirWorld = {}) {
    this.clock = world.clock ?? realClock();
    this.fs = world.fs ?? realFileSystem;
    this.watch = world.watch ?? watchDir;
    this.absentIsNormal = absentIsNormal;
    this.dir = dir;
    this.policy = policy;
    this.apply = apply;
    this.batch = batch;
    this.log = log;
    this.frequencyMs = frequencyMs;
  }

  // Names whose file is refused now (metrics).
  get badFiles(): number {
    return this.reported.size;
  }

  // Scans once, then follows changes. Resolves once the watcher is armed; a rescan then catches anything written while it was being set up.
  start(): Promise<void> {
    this.rescan();
    this.watcher = this.watch({
      dir: this.dir,
      what: 'config',
      events: ['add', 'change', 'unlink'],
      onFile: (file) => {
        if (!skipReason(file)) this.changed(processName(file));
      },
      rescan: () => this.rescan(),
      frequencyMs: this.frequencyMs,
      log: this.log,
      clock: this.clock,
    });
    return this.watcher.ready;
  }

  async close(): Promise<void> {
    for (const t of this.rechecks.values()) this.clock.clearTimeout(t);
    this.rechecks.clear();
    await this.watcher?.close();
  }

  // A file event for a name: looked at now, and once more when its events have gone quiet.
  private changed(name: string): void {
    this.reload(name, true);
    this.recheckLater(name);
  }

  private recheckLater(name: string): void {
    const pending = this.rechecks.get(name);
    if (pending) this.clock.clearTimeout(pending);
    const timer = this.clock.setTimeout(() => {
      this.rechecks.delete(name);
      if (this.reload(name, true) === 'unsettled') this.recheckLater(name);
    }, RECHECK_MS);
    this.rechecks.set(name, timer);
  }

  // Every name in the directory, and every name applied before, looked at afresh.
  rescan(): void {
    let files: string[] = [];
    try {
      files = this.fs.readdir(this.dir);
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
      if (settle && found.unparsed && stillChanging(found.file, SETTLE_MS, this.clock.wallNow(), this.fs)) return 'unsettled';
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
