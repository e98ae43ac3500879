// A process's `output` file: its lines appended to a file that rotates by size
// (path -> path.1 -> path.2 ... path.<keep>, the oldest dropped). Writes are synchronous, like
// colony's own log: PID 1 may exit at any moment and child output is already split into lines,
// so a line is never split across two files.
import { closeSync, fstatSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

export interface RotatingFileOptions {
  maxBytes?: number; // rotate before a line would take the file past this size; default 10 MiB
  keep?: number; // rotated files kept besides the current one; default 5; 0 keeps none
  // A write or rotation failed (disk full, EACCES, ...): called once, then not again until a
  // write succeeds. Later writes keep trying (reopening the file).
  onError?: (err: Error) => void;
}

export const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
export const DEFAULT_KEEP = 5;

// Appends lines to a file, rotating it by size; never throws from write().
export class RotatingFile {
  readonly path: string;
  readonly maxBytes: number;
  readonly keep: number;
  private readonly onError: ((err: Error) => void) | undefined;
  private fd: number | undefined;
  private size = 0;
  private failing = false;
  private closed = false;

  constructor(path: string, options: RotatingFileOptions = {}) {
    this.path = path;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.keep = options.keep ?? DEFAULT_KEEP;
    this.onError = options.onError;
    if (!(this.maxBytes > 0)) throw new RangeError(`maxBytes must be positive, got ${this.maxBytes}`);
    if (!Number.isInteger(this.keep) || this.keep < 0) {
      throw new RangeError(`keep must be a whole number >= 0, got ${this.keep}`);
    }
  }

  // Appends the line and a newline; a line longer than maxBytes gets a file of its own.
  // Does nothing after close().
  write(line: string): void {
    this.append(`${line}\n`);
  }

  // Appends whole lines (`data` ends with a newline) in one write, never split across two files: a
  // block longer than maxBytes gets a file of its own. Does nothing after close().
  append(data: string | Buffer): void {
    if (this.closed) return;
    const bytes = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    try {
      if (this.fd === undefined) this.open();
      if (this.size > 0 && this.size + bytes > this.maxBytes) this.rotate();
      // A string is written as it is (encoded once, by writeSync); a short write (rare: a full disk)
      // writes the rest from its bytes.
      const n = typeof data === 'string' ? writeSync(this.fd!, data) : writeSync(this.fd!, data); // one overload each
      if (n < bytes) {
        const rest = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
        let off = n;
        while (off < rest.length) off += writeSync(this.fd!, rest, off, rest.length - off);
      }
      this.size += bytes;
      this.failing = false;
    } catch (err) {
      this.closeFd(); // reopen (and re-read the size) on the next write
      if (!this.failing) {
        this.failing = true;
        this.onError?.(err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  // Closes the file; later writes are ignored.
  close(): void {
    this.closed = true;
    this.closeFd();
  }

  private open(): void {
    mkdirSync(dirname(this.path), { recursive: true });
    const fd = openSync(this.path, 'a');
    try {
      this.size = fstatSync(fd).size;
    } catch (err) {
      closeSync(fd);
      throw err;
    }
    this.fd = fd;
  }

  private rotate(): void {
    this.closeFd();
    if (this.keep === 0) {
      rmSync(this.path, { force: true });
    } else {
      for (let i = this.keep - 1; i >= 1; i--) renameIfExists(`${this.path}.${i}`, `${this.path}.${i + 1}`);
      renameIfExists(this.path, `${this.path}.1`);
    }
    this.open();
  }

  private closeFd(): void {
    if (this.fd === undefined) return;
    try {
      closeSync(this.fd);
    } catch {
      // already gone; nothing to do
    }
    this.fd = undefined;
  }
}

// rename(2) replaces the target, so the oldest kept file drops out as the next one moves over it.
function renameIfExists(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
