// Helpers for bench/run.ts: timestamped line feeds, FIFOs, PID 1 in a fresh PID namespace, /proc readers, stats.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, writeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';

import { setTimeout as sleep } from 'node:timers/promises';
import { children as childrenOf, stateOf } from '../test/helpers/proc.ts';

export { sleep };

// The bench's clock: milliseconds, monotonic.
export const now = (): number => performance.now();

// Calls onLine for every complete line the stream delivers.
function eachLine(stream: Readable, onLine: (line: string) => void): void {
  let rest = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    const parts = (rest + chunk).split('\n');
    rest = parts.pop() ?? '';
    for (const p of parts) onLine(p);
  });
}

export interface Stamped<T> {
  value: T;
  at: number; // performance.now() when the bench received it
}

// Items received over time, each stamped on arrival; waitFor finds one, or rejects once the source failed.
export class Feed<T> {
  readonly items: Array<Stamped<T>> = [];
  private readonly waiters = new Set<() => void>();
  private failure: Error | undefined;

  // Records one item and wakes the waiters.
  push(value: T): void {
    this.items.push({ value, at: now() });
    for (const w of [...this.waiters]) w();
  }

  // Marks the source as broken: every pending and future waitFor rejects.
  fail(err: Error): void {
    this.failure ??= err;
    for (const w of [...this.waiters]) w();
  }

  // Resolves with the first item at index >= from that matches; rejects on failure or after timeoutMs.
  waitFor(match: (v: T) => boolean, what: string, timeoutMs: number, from = 0): Promise<Stamped<T>> {
    return new Promise((resolve, reject) => {
      let i = from;
      const finish = (settle: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      const check = (): void => {
        for (; i < this.items.length; i++) {
          const item = this.items[i]!;
          if (match(item.value)) return finish(() => resolve(item));
        }
        const failure = this.failure;
        if (failure) finish(() => reject(new Error(`${what}: ${failure.message}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${what}: not seen within ${timeoutMs / 1000} s`))), timeoutMs);
      this.waiters.add(check);
      check();
    });
  }
}

// A named pipe: fixtures write "WORD WORD..." lines into it; the bench reads them without blocking (epoll), or writes into it.
export class Fifo {
  readonly path: string;
  readonly feed = new Feed<string[]>();
  private readonly socket: Socket | undefined;
  private readonly fd: number;

  constructor(path: string, listen: boolean) {
    this.path = path;
    const made = spawnSync('mkfifo', ['-m', '600', path]);
    if (made.status !== 0) throw new Error(`mkfifo ${path} failed: ${made.stderr?.toString().trim() ?? made.error?.message}`);
    // O_RDWR: opening never blocks, and the pipe never reads EOF when a writer closes it.
    this.fd = openSync(path, constants.O_RDWR | constants.O_NONBLOCK);
    if (listen) {
      this.socket = new Socket({ fd: this.fd, readable: true, writable: false });
      this.socket.unref();
      eachLine(this.socket, (line) => this.feed.push(line.trim().split(/\s+/)));
    }
  }

  // Writes text into the pipe (for a fixture blocked reading it).
  send(text: string): void {
    writeSync(this.fd, text);
  }

  // Closes the bench's end of the pipe.
  close(): void {
    if (this.socket) this.socket.destroy();
    else closeSync(this.fd);
  }
}

// /proc readers shared with the tests: children of a process (host side) and its state letter (R, S, Z...).
export { childrenOf, stateOf };

// VmRSS of a process, in KiB.
export function rssKiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  if (!m) throw new Error(`no VmRSS in /proc/${pid}/status`);
  return Number(m[1]);
}

// Everything the bench started and has not seen exit.
interface Tracked {
  kill(): void;
  readonly exited: Promise<unknown>;
}
const live = new Set<Tracked>();

// SIGKILLs everything the bench started (synchronous: usable in an 'exit' handler).
export function killAll(): void {
  for (const p of live) p.kill();
}

// Kills everything the bench started and waits (up to 5 s) until it is gone, so the bench reaps it itself.
export async function stopAll(): Promise<void> {
  const all = [...live];
  killAll();
  await Promise.race([Promise.all(all.map((p) => p.exited)), sleep(5000)]);
}

// Starts a plain process that killAll() will SIGKILL.
export function startTracked(file: string, args: string[]): ChildProcess & { exited: Promise<unknown> } {
  const child = spawn(file, args, { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const entry: Tracked = { kill: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')), exited };
  live.add(entry);
  void exited.then(() => live.delete(entry));
  return Object.assign(child, { exited });
}

export type LogRecord = Record<string, unknown>;

// A command run as PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`). Its stdout's
// JSON lines land in `out`; its exit (or a fatal/error record) fails `out`, so waiters reject at once.
export class Pid1 {
  readonly label: string;
  readonly unshare: ChildProcess;
  readonly out = new Feed<LogRecord>();
  readonly exited: Promise<number | string>;
  private stderr = '';
  private stopping = false;
  private readonly guarded: Array<Feed<string[]>> = [];
  private hostPidCache: number | undefined;

  constructor(label: string, argv: string[]) {
    this.label = label;
    this.unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...argv], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    live.add(this);
    eachLine(this.unshare.stdout!, (line) => {
      let rec: LogRecord;
      try {
        rec = JSON.parse(line) as LogRecord;
      } catch {
        rec = { msg: line, raw: true };
      }
      this.out.push(rec);
      if (rec.level === 'fatal' || rec.level === 'error') this.failAll(new Error(`${label} logged ${String(rec.level)}: ${line}`));
    });
    eachLine(this.unshare.stderr!, (line) => {
      this.stderr = `${this.stderr}${line}\n`.slice(-2000);
    });
    this.unshare.once('error', (err) => this.failAll(new Error(`${label}: cannot run unshare: ${err.message}`)));
    this.exited = new Promise((resolve) => {
      this.unshare.once('exit', (code, signal) => {
        live.delete(this);
        const how = code ?? signal ?? 'unknown';
        if (!this.stopping) this.failAll(new Error(`${label} exited unexpectedly (${how})${this.stderr ? `; stderr: ${this.stderr.trim()}` : ''}`));
        resolve(how);
      });
    });
  }

  // Makes waiters on a fixture's FIFO fail too when this PID 1 breaks.
  guard(feed: Feed<string[]>): void {
    this.guarded.push(feed);
  }

  // Fails the log feed and every guarded feed.
  private failAll(err: Error): void {
    this.out.fail(err);
    for (const f of this.guarded) f.fail(err);
  }

  // The host pid of the namespace's PID 1 (the unshare process's only child).
  async hostPid(): Promise<number> {
    for (let i = 0; this.hostPidCache === undefined; i++) {
      const kids = this.unshare.pid === undefined ? [] : childrenOf(this.unshare.pid);
      if (kids[0] !== undefined) this.hostPidCache = kids[0];
      else if (i > 500) throw new Error(`${this.label}: unshare has no child after 5 s${this.stderr ? ` (stderr: ${this.stderr.trim()})` : ''}`);
      else await new Promise((r) => setTimeout(r, 10));
    }
    return this.hostPidCache;
  }

  // SIGTERM to PID 1, then waits for it to exit; throws unless it exits with 0 within the deadline.
  async stop(deadlineMs = 15000): Promise<void> {
    this.stopping = true;
    const pid = await this.hostPid();
    process.kill(pid, 'SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(r, deadlineMs, 'timeout').unref());
    const how = await Promise.race([this.exited, timeout]);
    if (how === 'timeout') throw new Error(`${this.label} did not exit within ${deadlineMs / 1000} s of SIGTERM`);
    if (how !== 0) throw new Error(`${this.label} exited with ${how} after SIGTERM${this.stderr ? `; stderr: ${this.stderr.trim()}` : ''}`);
  }

  // SIGKILL to PID 1 (the kernel then kills the whole namespace) and to the unshare process.
  kill(): void {
    this.stopping = true;
    const unsharePid = this.unshare.pid;
    if (unsharePid === undefined || this.unshare.exitCode !== null || this.unshare.signalCode !== null) return;
    for (const pid of [...childrenOf(unsharePid), -unsharePid]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}

// The median of a list of numbers.
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// The p-th percentile (0..100), nearest rank.
export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)]!;
}
