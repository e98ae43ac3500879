// Shared by the stress suite (test/stress/): colony as a real PID 1 whose JSON stdout is read as a
// stream (children's lines go to a callback and are not kept: an output flood is bigger than memory),
// a reader that can be stalled to test backpressure, /proc samplers (RSS, peak RSS, fds, CPU) and
// the checks every stress test makes (no last-resort handler fired, no unexpected error record).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { BUNDLE, Launched, NODE, writeAtomic, type Dirs, type Rec } from './colony.ts';
import { NODE_FLAGS } from '../../scripts/node-flags.ts';
import { Launch, pid1Argv, type Exit } from './pid1.ts';
import { children, cmdline, stateOf } from './proc.ts';
import { waitFor } from './wait.ts';

export { waitFor };

export type { Dirs };


export interface StreamStart {
  args?: string[]; // extra `run` options
  env?: NodeJS.ProcessEnv;
  // Config files written before start (a function gets the scratch directories, for paths inside them).
  files?: Record<string, string | object> | ((dirs: Dirs) => Record<string, string | object>);
  // A child's line (a record with `stream`): handed over, never kept.
  onOutput?: (r: Rec) => void;
  // Which of colony's own records to keep in `records` (default: all). Errors and fatals are always kept.
  keep?: (r: Rec) => boolean;
}

// Splits a byte stream into lines without decoding what it does not need to: `cb` gets each line's
// bytes (a view, valid only during the call). Lines are kept whole however long.
export function onByteLines(stream: Readable, cb: (line: Buffer) => void): void {
  let pending: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => {
    let start = 0;
    let nl = chunk.indexOf(10);
    if (nl === -1) {
      pending.push(chunk);
      return;
    }
    if (pending.length > 0) {
      pending.push(chunk.subarray(0, nl));
      cb(Buffer.concat(pending));
      pending = [];
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    while (nl !== -1) {
      cb(chunk.subarray(start, nl));
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  });
}

// Every colony started here, so that a test that fails half-way leaves none behind (see destroyAll).
const live = new Set<StreamColony>();

// For after(): SIGKILL to every colony still running.
export async function destroyAll(): Promise<void> {
  for (const c of [...live]) await c.destroy();
}

// colony as PID 1 (unshare --pid --fork --mount-proc) with a streamed, stallable JSON stdout.
// COLONY_TEST_BUNDLE runs another build of colony (e.g. a patched copy) instead of dist/colony.cjs.
export class StreamColony extends Launched {
  // colony's own records (those `keep` accepts, plus every error and fatal).
  readonly records: Rec[] = [];
  // Every error/fatal record colony printed.
  readonly problems: Rec[] = [];
  ownCount = 0; // colony's own records seen
  outputCount = 0; // children's lines seen
  bytesRead = 0; // bytes of colony's stdout read so far
  unparsed = 0; // stdout lines that were not JSON records
  private readonly keep: (r: Rec) => boolean;
  // Where children's lines go (may be replaced while colony runs).
  onOutput: (r: Rec) => void;

  private constructor(o: StreamStart) {
    super((dirs) => {
      const files = typeof o.files === 'function' ? o.files(dirs) : (o.files ?? {});
      for (const [name, content] of Object.entries(files)) writeAtomic(dirs.config, name, content);
      const colonyArgs = ['run', '--config', dirs.config, '--messages', dirs.messages, '--state', dirs.state, '--log-format', 'json', ...(o.args ?? [])];
      return new Launch(pid1Argv({ node: NODE, nodeFlags: NODE_FLAGS, bundle: process.env.COLONY_TEST_BUNDLE ?? BUNDLE, args: colonyArgs }), { env: { ...process.env, ...o.env } });
    });
    this.keep = o.keep ?? (() => true);
    this.onOutput = o.onOutput ?? (() => undefined);
    this.child.stdout!.on('data', (c: Buffer) => (this.bytesRead += c.length));
    onByteLines(this.child.stdout!, (line) => this.line(line));
  }

  static async start(o: StreamStart = {}): Promise<StreamColony> {
    const c = new StreamColony(o);
    live.add(c);
    await waitFor('colony to start', () => c.exitInfo !== undefined || c.records.some((r) => String(r.msg).startsWith('ready: watching')), 20_000);
    if (c.exitInfo) throw new Error(`colony exited at start: ${JSON.stringify(c.exitInfo)}\n${c.stderr}`);
    return c;
  }

  private line(bytes: Buffer): void {
    let r: Rec;
    try {
      r = JSON.parse(bytes.toString('utf8')) as Rec;
    } catch {
      this.unparsed++;
      return;
    }
    if (r.stream !== undefined) {
      this.outputCount++;
      this.onOutput(r);
      return;
    }
    this.ownCount++;
    const bad = r.level === 'error' || r.level === 'fatal';
    if (bad) this.problems.push(r);
    if (bad || this.keep(r)) this.records.push(r);
  }

  // Stops reading colony's stdout (its pipe fills up) / reads again.
  stall(): void {
    this.child.stdout!.pause();
  }
  resume(): void {
    this.child.stdout!.resume();
  }

  get mark(): number {
    return this.records.length;
  }

  // Waits for a condition with a deadline, failing at once when colony has exited.
  async until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 10_000, everyMs = 10): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = probe();
      if (v !== undefined && v !== false) return v;
      if (this.exitInfo) throw new Error(`colony exited (${JSON.stringify(this.exitInfo)}) while waiting for: ${what}\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
      await new Promise((r) => setTimeout(r, everyMs));
    }
  }

  async waitRecord(what: string, pred: (r: Rec) => boolean, timeoutMs = 10_000, from = 0): Promise<Rec> {
    return this.until(what, () => this.records.slice(from).find(pred), timeoutMs);
  }

  count(pred: (r: Rec) => boolean): number {
    return this.records.filter(pred).length;
  }

  // Stops colony with SIGTERM and waits for its exit.
  stop(timeoutMs = 30_000): Promise<Exit> {
    this.resume();
    return this.launch.stop(timeoutMs, () => this.stderr);
  }

  // Teardown: SIGKILL to colony (as PID 1 it takes its namespace with it).
  async destroy(): Promise<void> {
    live.delete(this);
    this.resume();
    await this.launch.destroy();
  }
}

// --- /proc readers for colony's figures ---

function statusField(pid: number, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+)`).exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) : 0;
}

export const rssMB = (pid: number): number => statusField(pid, 'VmRSS') / 1024;
// The kernel's high-water mark of the RSS: the true peak, not just the peak of our samples.
export const peakRssMB = (pid: number): number => statusField(pid, 'VmHWM') / 1024;
export const fdCount = (pid: number): number => readdirSync(`/proc/${pid}/fd`).length;

const CLK_TCK = 100; // Linux's USER_HZ on every architecture colony targets
// CPU time (user + system, all threads) of a process, in ms.
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / CLK_TCK;
}

export interface Sample {
  t: number; // ms since the sampler started
  rssMB: number;
  fds: number;
  cpuMs: number;
}

// Samples colony's RSS, fd count and CPU time every `everyMs` until stopped.
export class Sampler {
  readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly t0 = Date.now();
  private readonly pid: number;

  constructor(pid: number, everyMs = 100) {
    this.pid = pid;
    this.take();
    this.timer = setInterval(() => this.take(), everyMs);
    this.timer.unref(); // a failed test must not be kept alive by its sampler
  }

  take(): Sample | undefined {
    try {
      const s = { t: Date.now() - this.t0, rssMB: rssMB(this.pid), fds: fdCount(this.pid), cpuMs: cpuMs(this.pid) };
      this.samples.push(s);
      return s;
    } catch {
      return undefined; // colony gone: the test will say so
    }
  }

  stop(): Sample[] {
    clearInterval(this.timer);
    this.take();
    return this.samples;
  }

  get peakRssMB(): number {
    return Math.max(...this.samples.map((s) => s.rssMB));
  }
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const mb = (x: number): string => `${x.toFixed(1)} MB`;
export const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

// --- processes in the namespace ---

// colony's live (not zombie) children, by the name `nameOf` gives them (from their command line).
export function liveByName(colonyPid: number, nameOf: (argv: string[]) => string | undefined): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const pid of children(colonyPid)) {
    const st = stateOf(pid);
    if (st === undefined || st === 'Z') continue;
    // A process that is exiting has released its memory before it becomes a zombie: its cmdline is
    // already empty. It is no live instance of anything (two such would read as "?: pid, pid").
    const argv = cmdline(pid);
    if (argv.length === 0) continue;
    const name = nameOf(argv) ?? `?${argv.join(' ')}`;
    out.set(name, [...(out.get(name) ?? []), pid]);
  }
  return out;
}

// Waits until colony's live children are exactly `want` (by name), one each, unchanged for 1 s;
// returns how long that took.
export async function settle(c: StreamColony, nameOf: (argv: string[]) => string | undefined, want: string[], timeoutMs = 60_000): Promise<number> {
  const t0 = Date.now();
  const wanted = JSON.stringify([...want].sort());
  let last = '';
  let since = Date.now();
  await c.until(
    `exactly ${want.join(', ')} running, once each, for 1 s`,
    () => {
      const live = liveByName(c.pid, nameOf);
      const key = JSON.stringify([...live.entries()].sort());
      if (key !== last) [last, since] = [key, Date.now()];
      return JSON.stringify([...live.keys()].sort()) === wanted && [...live.values()].every((p) => p.length === 1) && Date.now() - since >= 1000;
    },
    timeoutMs,
    50,
  );
  return Date.now() - t0;
}

// --- colony's state file, read without going through its stdout ---

export interface ProcState {
  name: string;
  state: string;
  pid: number | null;
  restarts: number;
  lastExit: { code: number | null; signal: string | null } | null;
}

export function readState(stateDir: string): ProcState[] | undefined {
  try {
    return (JSON.parse(readFileSync(join(stateDir, 'status.json'), 'utf8')) as { processes: ProcState[] }).processes;
  } catch {
    return undefined; // not written yet (or being replaced)
  }
}

export function stateOfProc(stateDir: string, name: string): ProcState | undefined {
  return readState(stateDir)?.find((p) => p.name === name);
}

// --- the checks every stress test makes ---

// colony's last-resort handlers never fired, and every error record is one the test expects.
export function assertClean(c: StreamColony, expectedErrors: RegExp[] = []): void {
  const fatal = c.problems.filter((r) => r.level === 'fatal');
  assert.deepEqual(fatal, [], `colony's last-resort handlers fired (uncaught exception / unhandled rejection): ${JSON.stringify(fatal).slice(0, 2000)}`);
  const unexpected = c.problems.filter((r) => r.level === 'error' && !expectedErrors.some((re) => re.test(String(r.msg))));
  assert.deepEqual(unexpected, [], `unexpected error records: ${JSON.stringify(unexpected.slice(0, 10)).slice(0, 2000)}`);
  assert.equal(c.unparsed, 0, 'every line colony printed is a JSON record');
}
