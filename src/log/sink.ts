// colony's stdout. Everything colony prints goes through one ordered queue, written by libuv's thread
// pool (fs.write) so that a slow or stalled reader never blocks the event loop: reaping, signals and
// stops go on meanwhile. Above the high-water mark the sink is `full` and the children's pipes are
// paused (see `throttle`), so the children block on their own pipes (backpressure) instead of colony
// buffering without bound. fd 1 is never made non-blocking: processes with `output: inherit` share it.
import { writeSync, writev } from 'node:fs';

export interface Pausable {
  pause(): unknown;
  resume(): unknown;
}

export interface SinkOptions {
  highWaterMark?: number; // queued bytes above which sources are paused (default 1 MiB)
  // Called once when fd 1 cannot be written at all (EPIPE, EBADF...): later output is dropped.
  onBroken?: (err: NodeJS.ErrnoException) => void;
}

export class Sink {
  private queue: Buffer[] = [];
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
    this.high = opts.highWaterMark ?? 1024 * 1024;
    this.onBroken = opts.onBroken;
  }

  write(text: string): void {
    if (this.broken || text.length === 0) return;
    const buf = Buffer.from(text, 'utf8'); // encoded now, while the string is small and fresh
    this.queue.push(buf);
    this.queued += buf.length;
    if (!this.writing) {
      this.writing = this.drain();
      this.onBusy?.();
    }
    if (!this.paused && this.queued + this.inFlight > this.high) this.setPaused(true);
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
    const rest = this.take(Infinity);
    if (rest.length > 0) this.writeAllSync(Buffer.concat(rest));
  }

  // Takes up to `max` buffers from the head of the queue.
  private take(max: number): Buffer[] {
    const batch = max >= this.queue.length ? this.queue : this.queue.slice(0, max);
    this.queue = batch === this.queue ? [] : this.queue.slice(max);
    for (const b of batch) this.queued -= b.length;
    return batch;
  }

  // Writes the queue, batch after batch, until it is empty.
  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.broken) {
        const batch = this.take(IOV_MAX);
        this.inFlight = batch.reduce((n, b) => n + b.length, 0);
        await this.writeAll(batch);
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
    this.queue = [];
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
