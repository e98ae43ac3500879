// The messages directory: each message file is handled once, on arrival (inotify, common/watch-dir.ts) or
// at start-up / rescan, then deleted. A message that cannot be carried out is logged with its file
// name and reason and renamed aside to '.rejected.<name>' (a dotfile: never read again).
import { join } from 'node:path';
import { skipReason } from '../descriptor/name.ts';
import { MAX_FILE_BYTES } from '../descriptor/parse.ts';
import { realClock, type Clock, type Timer } from '../common/clock.ts';
import { describeError } from '../common/errors.ts';
import { makeDir } from '../common/files.ts';
import { realFileSystem, type FileSystem } from '../common/fs-world.ts';
import { stillChanging, readLimited, SETTLE_MS } from '../common/input.ts';
import type { Log } from '../log/logger.ts';
import { fileProblem, filePolicyFrom, statProblem, type FilePolicy } from '../system/security.ts';
import { watchDir, type DirWatch, type DirWatchOptions, type DirWorld } from '../common/watch-dir.ts';
import { parseMessage, type Message } from './message.ts';

export type Handler = (message: Message, file: string) => string | undefined;

// A file that does not parse yet may still be being written by a writer that does not rename into
// place: it is looked at again this often until it is SETTLE_MS old, then rejected.
export const RETRY_MS = 100;

export class MessagesDir {
  // Messages carried out and rejected (metrics).
  readonly counts = { handled: 0, rejected: 0 };
  private readonly dir: string;
  private readonly handler: Handler;
  private readonly log: Log;
  private readonly frequencyMs: number;
  private watcher: DirWatch | undefined;
  private readonly retries = new Map<string, Timer>();
  private failureReported = false;
  private readonly policy: FilePolicy;
  private readonly clock: Clock;
  private readonly fs: FileSystem;
  private readonly watch: (o: DirWatchOptions) => DirWatch;

  // `policy`: which files are trusted (see system/security.ts); by default strict when colony runs as root.
  // `world`: the clock (retries, file ages, the backup rescan), the file system (listing, claiming,
  // deleting, file ages) and the watcher; the real ones by default.
  constructor(dir: string, handler: Handler, log: Log, frequencyMs: number, policy: FilePolicy = filePolicyFrom(process.env, undefined), world: DirWorld = {}) {
    this.clock = world.clock ?? realClock();
    this.fs = world.fs ?? realFileSystem;
    this.watch = world.watch ?? watchDir;
    this.dir = dir;
    this.policy = policy;
    this.handler = handler;
    this.log = log;
    this.frequencyMs = frequencyMs;
  }

  // Resolves once the watcher is armed; a rescan then catches anything written while it was being set up.
  start(): Promise<void> {
    this.rescan();
    this.watcher = this.watch({
      dir: this.dir,
      what: 'messages',
      events: ['add', 'change'],
      onFile: (file) => this.consider(file),
      rescan: () => this.rescan(),
      frequencyMs: this.frequencyMs,
      log: this.log,
      clock: this.clock,
    });
    return this.watcher.ready;
  }

  async close(): Promise<void> {
    for (const t of this.retries.values()) this.clock.clearTimeout(t);
    this.retries.clear();
    await this.watcher?.close();
  }

  // Handles every message present (creating the directory if it went missing).
  rescan(): void {
    let files: string[];
    try {
      makeDir(this.dir, this.fs);
      files = this.fs.readdir(this.dir);
      this.failureReported = false;
    } catch (err) {
      if (!this.failureReported) this.log.error('cannot read the messages directory', { dir: this.dir, error: describeError(err) });
      this.failureReported = true;
      return;
    }
    for (const f of files.sort()) this.consider(f);
  }

  private consider(file: string): void {
    if (skipReason(file) || this.retries.has(file)) return;
    this.handleFile(file);
  }

  private handleFile(file: string): void {
    const path = join(this.dir, file);
    // A message restarts and signals processes: only from someone trusted (see system/security.ts).
    const refused = fileProblem(path, this.dir, this.policy);
    if (refused) return this.reject(file, refused);
    let bytes: Buffer;
    try {
      bytes = readLimited(path, MAX_FILE_BYTES, (st) => statProblem(path, st, this.policy));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return; // handled already (or withdrawn)
      if (code === 'EREFUSED') return this.reject(file, (err as Error).message);
      if (code === 'EISDIR') return this.reject(file, 'a directory, not a message file');
      return this.reject(file, `cannot be read: ${describeError(err)}`);
    }
    let parsed: ReturnType<typeof parseMessage>;
    try {
      parsed = parseMessage(bytes);
    } catch (err) {
      // Never expected (parsing returns its errors): the file is rejected, the supervisor goes on.
      parsed = { ok: false, error: `cannot be parsed: ${describeError(err)}` };
    }
    if (!parsed.ok) {
      if (stillChanging(path, SETTLE_MS, this.clock.wallNow(), this.fs)) return this.retryLater(file);
      return this.reject(file, parsed.error);
    }
    // Claim it by renaming: whoever renames it handles it, so a message is never carried out twice.
    const claimed = join(this.dir, `.handling.${file}`);
    try {
      this.fs.rename(path, claimed);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.log.error('cannot claim message file (rename failed); it is not carried out', { file: path, error: describeError(err) });
      return;
    }
    const problem = this.handler(parsed.message, path);
    if (problem) return this.reject(`.handling.${file}`, problem, file);
    this.log.info('message handled', { file: path, message: parsed.message });
    this.counts.handled++;
    try {
      this.fs.unlink(claimed);
    } catch (err) {
      this.log.error('cannot delete handled message file', { file: claimed, error: describeError(err) });
    }
  }

  private retryLater(file: string): void {
    this.retries.set(
      file,
      this.clock.setTimeout(() => {
        this.retries.delete(file);
        this.handleFile(file);
      }, RETRY_MS),
    );
  }

  // Renames a bad message to '.rejected.<name>' and says why, naming the file.
  private reject(file: string, reason: string, original = file): void {
    this.counts.rejected++;
    const path = join(this.dir, file);
    const shown = join(this.dir, original);
    const aside = join(this.dir, `.rejected.${original}`);
    try {
      this.fs.rename(path, aside);
      this.log.error(`message rejected: ${reason}; moved to ${aside}`, { file: shown });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      this.log.error(`message rejected: ${reason}; could not move it aside (${describeError(err)})`, { file: shown });
    }
  }
}
