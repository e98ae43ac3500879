// Helpers shared by bench/run.ts and the workloads: timestamped line feeds, FIFOs, PID 1 in a fresh PID
// namespace, colony's command line, /proc readers, stats.
import { spawn, spawnSync, type ChildProcess, type StdioOptions } from 'node:child_process';
import { closeSync, constants, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { Agent, get as httpGet } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';

import { setTimeout as sleep } from 'node:timers/promises';
import { NODE_FLAGS } from '../scripts/node-flags.ts';
import { alive, children as childrenOf, cmdline, descendants, stateOf } from '../test/helpers/proc.ts';

export { sleep };

export const ROOT = resolve(import.meta.dirname, '..');
export const BUNDLE = join(ROOT, 'dist', 'colony.cjs');
export const SEA = join(ROOT, 'dist', 'colony');
export const BUNDLE_CMD = [process.execPath, ...NODE_FLAGS, BUNDLE]; // colony's bundle as bin/colony runs it (its #! line's flags)
export const FIXTURES = join(import.meta.dirname, 'fixtures');
const ANNOUNCE = join(FIXTURES, 'announce.sh');

// announce.sh's command line: writes "NAME PID" into the FIFO as soon as it runs, then idles as the same pid.
export const announce = (fifo: string, name: string): string[] => ['/bin/sh', ANNOUNCE, fifo, name];

// sh starting n `sleep infinity` in the background and waiting for them: the child a plain init (tini, dumb-init) runs.
export const sleepers = (n: number): string[] => ['/bin/sh', '-c', `i=0; while [ $i -lt ${n} ]; do sleep infinity & i=$((i + 1)); done; wait`];

// The bench's clock: milliseconds, monotonic.
export const now = (): number => performance.now();

// Calls onLine for every complete line the stream delivers.
export function eachLine(stream: Readable, onLine: (line: string) => void): void {
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

// A real pipe (a FIFO unlinked once both ends are open): Node's stdio 'pipe' is a socketpair, and a
// program that opens /dev/fd/1 (supervisord's stdout_logfile) gets ENXIO on a socket.
function realPipe(): { read: number; write: number } {
  const dir = mkdtempSync(join(tmpdir(), 'colony-bench-pipe-'));
  try {
    const fifo = new Fifo(join(dir, 'pipe'), false);
    const read = openSync(fifo.path, constants.O_RDONLY | constants.O_NONBLOCK);
    const write = openSync(fifo.path, constants.O_WRONLY);
    fifo.close();
    return { read, write };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// /proc readers shared with the tests (host side): children and descendants of a process, its state letter
// (R, S, Z...), whether it runs (not a zombie), its command line.
export { alive, childrenOf, cmdline, descendants, stateOf };

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
export function startTracked(file: string, args: string[], stdio: StdioOptions = 'ignore'): ChildProcess & { exited: Promise<unknown> } {
  const child = spawn(file, args, { stdio });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const entry: Tracked = { kill: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')), exited };
  live.add(entry);
  void exited.then(() => live.delete(entry));
  return Object.assign(child, { exited });
}

export type LogRecord = Record<string, unknown>;

// What Pid1 does with the command's stdout: 'json' parses its lines into `out` and fails on a fatal/error
// record (colony's --log-format json); 'pipe' connects it to a real pipe whose read end is `Pid1.stdout`,
// for the caller to read; 'ignore' discards it.
export type Pid1Stdout = 'json' | 'pipe' | 'ignore';

// A command run as PID 1 of a new PID namespace (`unshare --pid --fork --mount-proc`). With stdout 'json',
// its JSON lines land in `out`; its exit (or a fatal/error record) fails `out`, so waiters reject at once.
export class Pid1 {
  readonly label: string;
  readonly unshare: ChildProcess;
  readonly out = new Feed<LogRecord>();
  readonly stdout: Readable | undefined; // with stdout 'pipe': the read end of the pipe (it ends when PID 1 exits)
  readonly exited: Promise<number | string>;
  exitedAt: number | undefined; // now() when the exit of unshare (which follows PID 1's) was seen
  readonly broken: Promise<Error>; // resolves with the reason when PID 1 exits unexpectedly (or logs an error, with 'json')
  private markBroken!: (err: Error) => void;
  private stderr = '';
  private stopping = false;
  private readonly guarded: Array<Feed<string[]>> = [];
  private hostPidCache: number | undefined;

  constructor(label: string, argv: string[], stdout: Pid1Stdout = 'json') {
    this.label = label;
    this.broken = new Promise((resolve) => (this.markBroken = resolve));
    const pipe = stdout === 'pipe' ? realPipe() : undefined;
    const stdio: StdioOptions = ['ignore', pipe?.write ?? (stdout === 'ignore' ? 'ignore' : 'pipe'), 'pipe'];
    this.unshare = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...argv], { stdio, detached: true });
    live.add(this);
    if (pipe) {
      closeSync(pipe.write); // PID 1's namespace holds the only write ends now, so the read end ends when it is gone
      this.stdout = new Socket({ fd: pipe.read, readable: true, writable: false });
    }
    if (stdout === 'json') {
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
    }
    eachLine(this.unshare.stderr!, (line) => {
      this.stderr = `${this.stderr}${line}\n`.slice(-2000);
    });
    this.unshare.once('error', (err) => this.failAll(new Error(`${label}: cannot run unshare: ${err.message}`)));
    this.exited = new Promise((resolve) => {
      this.unshare.once('exit', (code, signal) => {
        this.exitedAt = now();
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
    this.markBroken(err);
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

  // SIGTERM to PID 1, then waits for it to exit; throws unless it exits with `expected` (0 by default) within
  // the deadline. Returns the milliseconds from just before the kill() until the exit was seen.
  async stop(deadlineMs = 15000, expected: number | string = 0): Promise<number> {
    this.stopping = true;
    const pid = await this.hostPid();
    const t0 = now();
    process.kill(pid, 'SIGTERM');
    const timeout = new Promise<'timeout'>((r) => setTimeout(r, deadlineMs, 'timeout').unref());
    const how = await Promise.race([this.exited, timeout]);
    if (how === 'timeout') throw new Error(`${this.label} did not exit within ${deadlineMs / 1000} s of SIGTERM`);
    if (how !== expected) throw new Error(`${this.label} exited with ${how} after SIGTERM${this.stderr ? `; stderr: ${this.stderr.trim()}` : ''}`);
    return this.exitedAt! - t0;
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

// Median and p95 of a list of samples.
export interface Timing {
  samplesMs: number[];
  medianMs: number;
  p95Ms: number;
}
export function timing(samplesMs: number[]): Timing {
  return { samplesMs, medianMs: median(samplesMs), p95Ms: percentile(samplesMs, 95) };
}

// Table values from timings: f (e.g. the median) of each contender's timing, `methods` mapping a contender to
// the key of its timing (by default, the same key). A contender without a timing is left out (skipped).
export function valuesOf(t: Partial<Record<string, Timing>>, f: (x: Timing) => number, methods?: Record<string, string>): Record<string, number> {
  const pairs = Object.entries(methods ?? Object.fromEntries(Object.keys(t).map((k) => [k, k])));
  return Object.fromEntries(pairs.flatMap(([contender, key]) => (t[key] ? [[contender, f(t[key])]] : [])));
}

// Runs every variant `runs` times (after `warmup` discarded rounds), taking turns within each round in a
// rotating order so that a slow patch of the (shared) machine hits them all; returns the samples by key.
export async function takeTurns<K extends string>(runs: number, variants: Array<{ key: K; once: (round: number) => Promise<number> }>, warmup = 0): Promise<Record<K, Timing>> {
  const samples = new Map(variants.map((v) => [v.key, [] as number[]]));
  for (let round = 0; round < warmup + runs; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length]!;
      const took = await v.once(round);
      if (round >= warmup) samples.get(v.key)!.push(took);
    }
  }
  return Object.fromEntries([...samples].map(([key, xs]) => [key, timing(xs)])) as Record<K, Timing>;
}

// Writes a file the way a careful writer does: a dotfile temp renamed into place; returns when the rename was done.
export function writeAtomically(dir: string, name: string, content: string): number {
  const temp = join(dir, `.${name}.new`);
  writeFileSync(temp, content);
  renameSync(temp, join(dir, name));
  return now();
}

export interface ColonyDirs {
  config: string;
  messages: string;
  state: string;
}

// A descriptor: its args alone, or the whole JSON object.
export type Descriptor = string[] | Record<string, unknown>;

// Fresh config/messages/state dirs under `dir`, the config dir holding these descriptors.
export function colonyDirs(dir: string, descriptors: Record<string, Descriptor>): ColonyDirs {
  const [config, messages, state] = ['config', 'messages', 'state'].map((d) => join(dir, d)) as [string, string, string];
  for (const d of [config, messages, state]) mkdirSync(d, { recursive: true });
  for (const [name, d] of Object.entries(descriptors)) writeFileSync(join(config, name), JSON.stringify(Array.isArray(d) ? { args: d } : d));
  return { config, messages, state };
}

export interface ColonyOptions {
  command?: string[]; // BUNDLE_CMD (default) or [SEA]
  label?: string; // 'colony' by default
  logFormat?: 'json' | 'text'; // json by default
  stdout?: Pid1Stdout; // what Pid1 does with colony's stdout: 'json' by default
}

// colony's command line: `command` (node and the bundle, or the single executable), the three dirs, the log format.
export function colonyArgv(command: string[], d: ColonyDirs, logFormat: 'json' | 'text' = 'json'): string[] {
  return [...command, 'run', '--config', d.config, '--messages', d.messages, '--state', d.state, '--log-format', logFormat, ...scrapeArgs()];
}

// --scrape: every colony the bench starts serves --metrics on a port of its own, and this process
// GETs /metrics from it 10 times a second (a keep-alive connection, as Prometheus scrapes) for as long
// as it answers — to compare each workload with and without a scraper, in one session.
let scraping = false;
let nextPort = 19_300;
export function scrapeEveryColony(): void {
  scraping = true;
}

function scrapeArgs(): string[] {
  if (!scraping) return [];
  const port = nextPort++;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  let answered = false;
  let refused = 0;
  const timer = setInterval(() => {
    const req = httpGet({ host: '127.0.0.1', port, path: '/metrics', agent }, (res) => {
      answered = true;
      refused = 0;
      res.resume();
    });
    req.on('error', () => {
      // Not up yet, or gone: given up after 10 s of refusals once it has answered (60 s before).
      if (++refused > (answered ? 100 : 600)) {
        clearInterval(timer);
        agent.destroy();
      }
    });
  }, 100);
  timer.unref();
  return ['--metrics', `127.0.0.1:${port}`];
}

// Starts colony as PID 1, with fresh config/messages/state dirs under `dir` holding these descriptors.
export function startColony(dir: string, descriptors: Record<string, Descriptor>, opts: ColonyOptions = {}): ColonyDirs & { colony: Pid1 } {
  const dirs = colonyDirs(dir, descriptors);
  const colony = new Pid1(opts.label ?? 'colony', colonyArgv(opts.command ?? BUNDLE_CMD, dirs, opts.logFormat), opts.stdout);
  return { colony, ...dirs };
}

// The floor for restart, add and scale (floors/supervise.cjs): a bare Node script that spawns the same
// descriptors and sees the same renamed-in files, with no supervisor logic; PID 1 of its own namespace.
export const FLOOR_SUPERVISE = join(import.meta.dirname, 'floors', 'supervise.cjs');
export function startFloor(dir: string, descriptors: Record<string, Descriptor>): ColonyDirs & { floor: Pid1 } {
  const dirs = colonyDirs(dir, descriptors);
  const floor = new Pid1('floor', floorArgv(dirs), 'ignore');
  return { floor, ...dirs };
}
export function floorArgv(d: ColonyDirs): string[] {
  return [process.execPath, FLOOR_SUPERVISE, d.config, d.messages];
}

// Whether colony met a goal in a row's values: every colony variant measured (the bundle, the single executable).
export function colonyMeets(values: Record<string, number | undefined>, ok: (v: number) => boolean): boolean | undefined {
  const measured = [values.colony, values['colony-sea']].filter((v) => v !== undefined);
  return measured.length > 0 ? measured.every(ok) : undefined;
}

// Whether colony's figure (each variant measured) is within `factor` times the floor's in a row's values.
export function floorMet(values: Record<string, number | undefined>, factor = 1.5): boolean | undefined {
  const floor = values.floor;
  return floor === undefined ? undefined : colonyMeets(values, (v) => v <= factor * floor);
}

// Times one request: from just before `request()` (a message file written, a ctl spawned, a command sent to an
// API client) until the FIFO delivers a line matching `match`; the request's own promise (the ctl's exit, the
// API's answer) must then settle without error. Returns the milliseconds, the start and the line.
export async function timeRequest(fifo: Fifo, match: (v: string[]) => boolean, what: string, request: () => Promise<unknown> | void): Promise<{ ms: number; t0: number; line: string[] }> {
  const from = fifo.feed.items.length;
  const t0 = now();
  const done = Promise.resolve(request());
  const failed = done.then(() => new Promise<never>(() => {})); // a request that fails ends the wait at once
  const seen = await Promise.race([fifo.feed.waitFor(match, what, 10000, from), failed]);
  await done;
  return { ms: seen.at - t0, t0, line: seen.value };
}

// Runs `command` (e.g. colony's ctl) to completion; rejects unless it exits with 0.
export async function runTracked(command: string[]): Promise<void> {
  const child = startTracked(command[0]!, command.slice(1));
  const code = await child.exited;
  if (code !== 0) throw new Error(`${command.join(' ')} exited with ${String(code ?? child.signalCode)}`);
}

// Compiles a C fixture from bench/fixtures into `dir` with gcc -O2; returns the executable's path.
export function compileC(source: string, dir: string): string {
  const exe = join(dir, source.replace(/\.c$/, ''));
  const cc = spawnSync('gcc', ['-O2', '-Wall', '-o', exe, join(FIXTURES, source)], { encoding: 'utf8' });
  if (cc.status !== 0) throw new Error(`gcc ${source} failed: ${cc.error?.message ?? cc.stderr.trim()}`);
  return exe;
}

// ---- /proc readers and clean-up for workloads 7–10 (idle, memory, relay, scale) ----

// The kernel's clock ticks per second: utime and stime in /proc/PID/stat count them.
export const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout?.trim()) || 100;

// The fields of a /proc/.../stat file after the command name: [0] is the state (field 3), [11] utime, [12] stime.
function statFields(path: string): string[] {
  const stat = readFileSync(path, 'latin1');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

// CPU time (user + system, every thread) a process has used so far, in milliseconds (CLK_TCK resolution).
export function cpuMs(pid: number): number {
  const f = statFields(`/proc/${pid}/stat`);
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

export interface ThreadCounters {
  tid: number;
  name: string; // comm: MainThread, V8Worker, libuv-worker...
  switches: number; // voluntary + nonvoluntary context switches so far: each one is the thread waking up (or being preempted)
  cpuMs: number; // utime + stime
}

// Every thread's counters (/proc/PID/task/*/status and stat); a thread that exits meanwhile is left out.
export function threadCounters(pid: number): ThreadCounters[] {
  const out: ThreadCounters[] = [];
  for (const t of readdirSync(`/proc/${pid}/task`)) {
    try {
      const status = readFileSync(`/proc/${pid}/task/${t}/status`, 'latin1');
      const field = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
      const f = statFields(`/proc/${pid}/task/${t}/stat`);
      out.push({
        tid: Number(t),
        name: /^Name:\s+(.*)$/m.exec(status)?.[1] ?? '?',
        switches: field('voluntary_ctxt_switches') + field('nonvoluntary_ctxt_switches'),
        cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK,
      });
    } catch {
      // the thread exited meanwhile
    }
  }
  return out;
}

export interface RssSplit {
  vmRssKiB: number;
  anonKiB: number; // RssAnon: heap, stacks, V8's heap
  fileKiB: number; // RssFile: mapped files (the executable, shared libraries)
  shmemKiB: number; // RssShmem
}

// Drops files' clean pages from the page cache (posix_fadvise DONTNEED, through python3: Node has no
// fadvise). A process's RssFile counts the pages of its executable it maps, and the kernel maps a
// faulting page's cached neighbours with it (fault-around): a just-built executable, wholly cached,
// shows ~17 MiB more RssFile than the same code in a partly cached one. Evicted first, every
// contender's file pages are the ones it touched (and the readahead around them).
export function evictFromPageCache(paths: string[]): void {
  const existing = paths.filter((p) => existsSync(p));
  if (existing.length === 0) return;
  // os.sync() first: dirty pages (a file just written by the build) are not dropped.
  const r = spawnSync('python3', ['-c', 'import os,sys\nos.sync()\nfor f in sys.argv[1:]:\n  fd=os.open(f,os.O_RDONLY); os.posix_fadvise(fd,0,0,os.POSIX_FADV_DONTNEED); os.close(fd)', ...existing], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`evicting ${existing.join(', ')} from the page cache failed: ${String(r.stderr ?? r.error)}`);
}

// VmRSS and its split (/proc/PID/status), in KiB.
export function rssSplit(pid: number): RssSplit {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const kib = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`no ${key} in /proc/${pid}/status`);
    return Number(m[1]);
  };
  return { vmRssKiB: kib('VmRSS'), anonKiB: kib('RssAnon'), fileKiB: kib('RssFile'), shmemKiB: kib('RssShmem') };
}

// The children of a process that are running (not zombies).
export function liveChildren(pid: number): number[] {
  return childrenOf(pid).filter((p) => ![undefined, 'Z'].includes(stateOf(p)));
}

// Polls `holds` every `everyMs` until it is true and returns now(); rejects after timeoutMs, or as soon as `broken` (a Pid1's) resolves.
export async function until(holds: () => boolean, what: string, timeoutMs: number, broken?: Promise<Error>, everyMs = 20): Promise<number> {
  let failure: Error | undefined;
  void broken?.then((err) => void (failure = err));
  for (const deadline = now() + timeoutMs; ; await sleep(everyMs)) {
    if (failure) throw new Error(`${what}: ${failure.message}`);
    if (holds()) return now();
    if (now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s`);
  }
}

// Kills what a workload started whatever state it is in (for `finally`): a Pid1's whole namespace, a tracked
// child; then waits (up to 5 s) until they are gone.
export async function killEach(started: Iterable<Pid1 | { kill(signal: 'SIGKILL'): unknown; exited: Promise<unknown> }>): Promise<void> {
  const all = [...started];
  for (const s of all) {
    if (s instanceof Pid1) s.kill();
    else s.kill('SIGKILL');
  }
  await Promise.race([Promise.all(all.map((s) => s.exited)), sleep(5000)]);
}
