// colony's stdout. Everything colony prints goes through one ordered queue, written by libuv's thread
// pool (fs.write) so that a slow or stalled reader never blocks the event loop: reaping, signals and
// stops go on meanwhile. Above the high-water mark the sink is `full` and the children's pipes are
// paused (see `throttle`), so the children block on their own pipes (backpressure) instead of colony
// buffering without bound. fd 1 is never made non-blocking: processes with `output: inherit` share it.
// The relay builds its records straight into the sink's slabs (reserve/commit): a few fixed buffers,
// used again once written, rather than fresh ones per chunk (which, under a flood of output, kept V8's
// garbage collector busy with external memory).
import { writeSync, writev } from 'node:fs';

// Where bytes are built in place: reserve room, fill it, commit what was used (in order, whole records).
export interface ByteOut {
  // A buffer with room for at least `n` bytes (often more: fill what fits, then commit and reserve again).
  reserve(n: number): Buffer;
  // The first `used` bytes of the buffer reserve() returned are ready to be written.
  commit(buf: Buffer, used: number): void;
}

// Bytes queued above which the children's pipes are paused. More would stall the relay less behind a
// reader that reads in bursts (measured, 10 children flooding JSON lines to a reader that sleeps 1 ms
// between reads: 2.3M lines/s with 1 MiB, 2.6M with 4 MiB, 2.8M with 8 MiB), but costs memory under a
// flood (the 1 GB stress test's peak RSS: 92 MB with 1 MiB, 127 MB with 4 MiB).
export const HIGH_WATER_MARK = 1024 * 1024;
const SLAB = 256 * 1024; // bytes per slab
const SPARE_SLABS = 8; // slabs kept for reuse once written (releaseSpares() lets them go)

interface Slab {
  buf: Buffer;
  used: number; // bytes handed out (committed)
  queued: number; // committed views not yet written
}

export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export interface SinkOptions {
  highWaterMark?: number; // queued bytes above which sources are paused (default HIGH_WATER_MARK)
  // Called once when fd 1 cannot be written at all (EPIPE, EBADF...): later output is dropped.
  onBroken?: (err: NodeJS.ErrnoException) => void;
}

export class Sink implements ByteOut {
  private queue: Buffer[] = [];
  private slabsOf: Array<Slab | undefined> = []; // the slab of each queued buffer (undefined: a buffer of its own)
  private slab: Slab | undefined; // the one being filled
  private readonly spare: Slab[] = [];
  private queued = 0; // bytes in `queue`
  private inFlight = 0; // bytes being written
  private writing: Promise<void> | undefined;
  private broken = false;
  private paused = false;
  private readonly sources = new Set<Pausable>();
  private readonly high: number;
  private readonly onBroken: ((err: NodeJS.ErrnoException) => void) | undefined;
  private readonly fd: number;
  // Told when a burst of output begins (a drain starts), not per write: activity for memory-trim.ts.
  onBusy: (() => void) | undefined;

  constructor(fd: number, opts: SinkOptions = {}) {
    this.fd = fd;
    this.high = opts.highWaterMark ?? HIGH_WATER_MARK;
    this.onBroken = opts.onBroken;
  }

  write(text: string): void {
    if (this.broken || text.length === 0) return;
    this.writeBytes(Buffer.from(text, 'utf8')); // encoded now, while the string is small and fresh
  }

  // Bytes the caller hands over: they must not change afterwards.
  writeBytes(buf: Buffer): void {
    this.enqueue(buf, undefined);
  }

  reserve(n: number): Buffer {
    const current = this.slab;
    if (current && current.buf.length - current.used >= n) return current.buf.subarray(current.used);
    if (n > SLAB) return Buffer.allocUnsafeSlow(n); // a record longer than a slab: a buffer of its own
    this.seal();
    const next = this.spare.pop() ?? { buf: Buffer.allocUnsafeSlow(SLAB), used: 0, queued: 0 };
    this.slab = next;
    return next.buf;
  }

  commit(buf: Buffer, used: number): void {
    const slab = this.slab;
    if (slab && buf.buffer === slab.buf.buffer && buf.byteOffset === slab.buf.byteOffset + slab.used) {
      if (used === 0) return;
      slab.used += used;
      slab.queued++;
      this.enqueue(buf.subarray(0, used), slab);
    } else if (used > 0) this.enqueue(buf.subarray(0, used), undefined);
  }

  // The slab being filled is done with: it goes back to the spares once all of it is written.
  private seal(): void {
    const slab = this.slab;
    this.slab = undefined;
    if (slab && slab.queued === 0) this.recycle(slab);
  }

  private recycle(slab: Slab): void {
    slab.used = 0;
    if (this.spare.length < SPARE_SLABS) this.spare.push(slab);
  }

  // Written (or dropped): each slab no longer needed is reused.
  private written(slabs: Array<Slab | undefined>): void {
    for (const slab of slabs) {
      if (slab === undefined || --slab.queued > 0) continue;
      if (slab !== this.slab) this.recycle(slab);
      else slab.used = 0; // the slab being filled, now empty: filled again from its start
    }
  }

  private enqueue(buf: Buffer, slab: Slab | undefined): void {
    if (this.broken || buf.length === 0) {
      if (slab) this.written([slab]);
      return;
    }
    this.queue.push(buf);
    this.slabsOf.push(slab);
    this.queued += buf.length;
    if (!this.writing) {
      this.writing = this.drain();
      this.onBusy?.();
    }
    if (!this.paused && this.queued + this.inFlight > this.high) this.setPaused(true);
  }

  // Lets the spare slabs go (when output has been quiet for a while: memory back to the kernel).
  releaseSpares(): void {
    this.spare.length = 0;
    if (this.slab?.queued === 0) this.slab = undefined;
  }

  // Whether fd 1 cannot be written at all: what is written from now on is dropped.
  get isBroken(): boolean {
    return this.broken;
  }

  // Bytes accepted but not yet written.
  get backlog(): number {
    return this.queued + this.inFlight;
  }

  // Whether the sources are paused because the backlog is above the high-water mark.
  get full(): boolean {
    return this.paused;
  }

  // A source (a child's pipe) to pause while the sink is full; `release` when it has ended.
  throttle(source: Pausable): void {
    this.sources.add(source);
    if (this.paused) source.pause();
  }

  release(source: Pausable): void {
    this.sources.delete(source);
  }

  // Resolves when everything accepted so far has been written (or the sink is broken).
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  // At exit: waits for the write in flight (order matters), then writes the rest synchronously.
  async end(): Promise<void> {
    if (this.writing) await this.flush();
    const [rest, slabs] = this.take(Infinity);
    if (rest.length > 0) this.writeAllSync(Buffer.concat(rest));
    this.written(slabs);
  }

  // Takes up to `max` buffers from the head of the queue, and their slabs.
  private take(max: number): [Buffer[], Array<Slab | undefined>] {
    const all = max >= this.queue.length;
    const batch = all ? this.queue : this.queue.slice(0, max);
    const slabs = all ? this.slabsOf : this.slabsOf.slice(0, max);
    this.queue = all ? [] : this.queue.slice(max);
    this.slabsOf = all ? [] : this.slabsOf.slice(max);
    for (const b of batch) this.queued -= b.length;
    return [batch, slabs];
  }

  // Writes the queue, batch after batch, until it is empty.
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.broken) {
        const [batch, slabs] = this.take(IOV_MAX);
        this.inFlight = batch.reduce((n, b) => n + b.length, 0);
        await this.writeAll(batch);
        this.written(slabs);
        this.inFlight = 0;
        if (this.paused && this.queued < this.high / 2) this.setPaused(false);
      }
    } finally {
      this.inFlight = 0;
      this.writing = undefined;
      if (this.paused) this.setPaused(false);
    }
  }

  private async writeAll(batch: Buffer[]): Promise<void> {
    let rest = batch;
    while (rest.length > 0 && !this.broken) {
      try {
        rest = after(rest, await writevAsync(this.fd, rest));
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code === 'EAGAIN') await new Promise((r) => setTimeout(r, 5)); // someone made fd 1 non-blocking
        else if (e.code !== 'EINTR') this.fail(e);
      }
    }
  }

  private writeAllSync(buf: Buffer): void {
    let off = 0;
    while (off < buf.length && !this.broken) {
      try {
        off += writeSync(this.fd, buf, off);
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        if (e.code !== 'EAGAIN' && e.code !== 'EINTR') this.fail(e);
      }
    }
  }

  private fail(err: NodeJS.ErrnoException): void {
    this.broken = true;
    this.written(this.slabsOf);
    this.queue = [];
    this.slabsOf = [];
    this.queued = 0;
    this.onBroken?.(err);
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    for (const s of this.sources) {
      if (paused) s.pause();
      else s.resume();
    }
  }
}

const IOV_MAX = 1024; // Linux's limit on the buffers of one writev

function writevAsync(fd: number, bufs: Buffer[]): Promise<number> {
  return new Promise((resolve, reject) => {
    writev(fd, bufs, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

// What is left of `bufs` once the first `n` bytes were written.
function after(bufs: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < bufs.length && n >= bufs[i]!.length) n -= bufs[i++]!.length;
  if (i === bufs.length) return [];
  return [bufs[i]!.subarray(n), ...bufs.slice(i + 1)];
}
