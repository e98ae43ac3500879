// The recent output of each process, kept for `colony ctl logs`: its lines in $STATE/logs/NAME.log,
// which rotates to NAME.log.1 at half the budget — so a process always has between half and all of
// its budget of recent lines (plus at most one chunk), never more. The state directory is a tmpfs
// in a container (/run): the files are memory, bounded per process.
// Written by colony itself, not through its stdout: a stalled stdout reader does not hold them back.
// The relay's cost is kept small (measured: a write per chunk read cost 8-16 % of relay throughput,
// as a busy relay reads many small chunks): the format is the lines as they are, joined — a block
// per chunk, a line `#TIME o|e COUNT` and then COUNT lines (a line holds no newline) — and each
// process's blocks are queued and written together once per event-loop turn (or at FLUSH_BYTES).
// ctl builds colony's JSON records from them (records.ts).
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { RotatingFile } from './file-output.ts';
import type { LineBatch } from './lines.ts';

export const LOGS_DIR = 'logs';

// The files of one process's kept output, the newest last.
export function keptFiles(dir: string, name: string): [string, string] {
  const current = join(dir, `${name}.log`);
  return [`${current}.1`, current];
}

// One block: the lines a process printed on one stream at `time` (ms since the epoch).
export function keptBlock(time: number, stream: 'stdout' | 'stderr', lines: readonly string[]): string {
  return `${keptHeader(time, stream, lines.length)}${lines.join('\n')}\n`;
}

function keptHeader(time: number, stream: 'stdout' | 'stderr', count: number): string {
  return `#${time} ${stream === 'stdout' ? 'o' : 'e'} ${count}\n`;
}

// The same block as bytes, from a batch: a clean batch's bytes are copied as they are.
export function keptBlockBytes(time: number, stream: 'stdout' | 'stderr', batch: LineBatch): Buffer {
  if (!batch.clean) return Buffer.from(keptBlock(time, stream, batch.strings));
  const header = keptHeader(time, stream, batch.count);
  const src = batch.bytes;
  const out = Buffer.allocUnsafe(header.length + src.length + 1);
  out.write(header, 0, 'latin1');
  src.copy(out, header.length);
  out[out.length - 1] = 10;
  return out;
}

export interface KeptLine {
  time: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

// The lines of the whole blocks in `text`, and where the unfinished rest begins (a block being
// written). Anything that is not a block header where one is expected is skipped up to the next one.
export function parseKept(text: string): { lines: KeptLine[]; end: number } {
  const lines: KeptLine[] = [];
  let pos = 0;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl < 0) return { lines, end: pos };
    const m = /^#(\d+) ([oe]) (\d+)$/.exec(text.slice(pos, nl));
    if (!m) {
      pos = nl + 1; // not a header: skipped
      continue;
    }
    const count = Number(m[3]);
    const block: KeptLine[] = [];
    let at = nl + 1;
    for (let i = 0; i < count; i++) {
      const end = text.indexOf('\n', at);
      if (end < 0) return { lines, end: pos }; // not all written yet
      block.push({ time: Number(m[1]), stream: m[2] === 'o' ? 'stdout' : 'stderr', line: text.slice(at, end) });
      at = end + 1;
    }
    lines.push(...block);
    pos = at;
  }
}

// Queued text above which a process's blocks are written at once.
const FLUSH_BYTES = 64 * 1024;

export interface KeptWriter {
  // One block (keptBlock), written by the end of this event-loop turn.
  block(time: number, stream: 'stdout' | 'stderr', batch: LineBatch): void;
  // Writes what is queued and closes the file; later appends are ignored.
  close(): void;
}

export interface Keeper {
  // Where a process's blocks go (the file is opened at the first write).
  open(name: string): KeptWriter;
  // A process gone for good: its files are deleted.
  remove(name: string): void;
}

// One process's queue in front of its file.
class QueuedFile implements KeptWriter {
  private pending: Buffer[] = []; // blocks (keptBlockBytes)
  private size = 0; // bytes queued
  private closed = false;
  private readonly file: RotatingFile;
  private readonly flushAt: number;
  private readonly later: (q: QueuedFile) => void;

  constructor(file: RotatingFile, flushAt: number, later: (q: QueuedFile) => void) {
    this.file = file;
    this.flushAt = flushAt;
    this.later = later;
  }

  block(time: number, stream: 'stdout' | 'stderr', batch: LineBatch): void {
    if (this.closed) return;
    const first = this.pending.length === 0;
    const block = keptBlockBytes(time, stream, batch);
    this.pending.push(block);
    this.size += block.length;
    if (this.size >= this.flushAt) this.flush();
    else if (first) this.later(this);
  }

  flush(): void {
    if (this.pending.length === 0) return;
    const blocks = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.size);
    this.pending = [];
    this.size = 0;
    this.file.append(blocks);
  }

  close(): void {
    this.flush();
    this.closed = true;
    this.file.close();
  }
}

export class KeptLogs implements Keeper {
  readonly dir: string;
  readonly maxBytes: number;
  private readonly onError: (name: string, err: Error) => void;
  private readonly due = new Set<QueuedFile>();

  // `maxBytes`: the budget of each process (both files together).
  constructor(dir: string, maxBytes: number, onError: (name: string, err: Error) => void) {
    if (!(maxBytes >= 2)) throw new RangeError(`maxBytes must be at least 2, got ${maxBytes}`);
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.onError = onError;
  }

  // Makes the directory, emptied of what an earlier colony with this state directory left.
  clear(): void {
    mkdirSync(this.dir, { recursive: true });
    for (const f of readdirSync(this.dir)) if (f.endsWith('.log') || f.endsWith('.log.1')) rmSync(join(this.dir, f), { force: true });
  }

  open(name: string): KeptWriter {
    const half = Math.floor(this.maxBytes / 2);
    const file = new RotatingFile(keptFiles(this.dir, name)[1], { maxBytes: half, keep: 1, onError: (err) => this.onError(name, err) });
    return new QueuedFile(file, Math.min(FLUSH_BYTES, Math.max(1, Math.floor(half / 2))), (q) => this.later(q));
  }

  // Writes every queue now.
  flush(): void {
    for (const q of this.due) q.flush();
    this.due.clear();
  }

  private later(q: QueuedFile): void {
    if (this.due.size === 0) setImmediate(() => this.flush());
    this.due.add(q);
  }

  remove(name: string): void {
    for (const f of keptFiles(this.dir, name)) rmSync(f, { force: true });
  }
}
