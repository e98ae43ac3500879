// Probes: one check of whether a process is ready or healthy — a TCP connect, an HTTP GET, a file's
// existence or a command's exit code. A failed check is a result ({ok: false, detail}), never a rejection.
// The 'log' kind (a pattern matched against the process's output lines) is matched elsewhere.
import type { ClientRequest, IncomingMessage } from 'node:http';
import { isIPv6, connect as netConnect } from 'node:net';
import { stat } from 'node:fs/promises';
import { realClock, type Clock, type Timer } from '../common/clock.ts';
import { describeError } from '../common/errors.ts';
import { describeExit, type ExitStatus } from '../process/exit-status.ts';
import { realSpawner, type Child, type Spawner } from '../process/spawner.ts';

export type ProbeSpec =
  | { kind: 'tcp'; host: string; port: number }
  | { kind: 'http'; url: string }
  | { kind: 'file'; path: string }
  | { kind: 'exec'; args: string[] }
  | { kind: 'log'; pattern: RegExp };

export interface ProbeResult {
  ok: boolean;
  // A short human reason: 'HTTP 200', 'connection refused', 'timed out after 2 s', 'exit code 3', 'no such file'.
  detail: string;
}

export interface ProbeOptions {
  timeoutMs: number;
  // For exec probes: the command's environment (exactly this; colony's own is used when absent), cwd, user and group.
  env?: Record<string, string> | undefined;
  cwd?: string | undefined;
  uid?: number | undefined;
  gid?: number | undefined;
  // For exec probes: the set of pids colony's reaper must leave alone (the pid is in it while the command runs,
  // so that the reaper does not steal the exit status libuv waits for).
  own?: Set<number> | undefined;
  // For exec probes: how the command is started (default: the real spawner; tests inject fake children).
  spawner?: Spawner | undefined;
  // The timers of every timeout (default: the real clock; tests pass a FakeClock).
  clock?: Clock | undefined;
  // For exec probes: kill(2), for the SIGKILL to the command's process group at the timeout (default: process.kill).
  kill?: ((pid: number, signal: NodeJS.Signals) => void) | undefined;
}

// How long an exec probe waits for its command to die after the SIGKILL before giving up on it.
export const KILL_WAIT_MS = 2000;

// The real clock, made on first use, for callers that pass none.
let defaultClock: Clock | undefined;
const clockOf = (opts: ProbeOptions): Clock => opts.clock ?? (defaultClock ??= realClock());

// A duration for humans: '2 s', '1.5 s', '250 ms'.
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${Number((ms / 1000).toFixed(3))} s`;
}

// Runs one probe; resolves with its result and never rejects. Throws at once for a 'log' probe, which is not run.
export function runProbe(spec: ProbeSpec, opts: ProbeOptions): Promise<ProbeResult> {
  switch (spec.kind) {
    case 'tcp':
      return tcpProbe(spec.host, spec.port, opts.timeoutMs, clockOf(opts));
    case 'http':
      return httpProbe(spec.url, opts.timeoutMs, clockOf(opts));
    case 'file':
      return fileProbe(spec.path, opts.timeoutMs, clockOf(opts));
    case 'exec':
      return execProbe(spec.args, opts);
    case 'log':
      throw new Error('a log probe is matched against the output lines of the process, it cannot be run');
  }
}

// A one-line description of a probe for log lines: 'tcp 127.0.0.1:6379', 'http http://x/health', ...
export function describeProbe(spec: ProbeSpec): string {
  switch (spec.kind) {
    case 'tcp':
      return `tcp ${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}`;
    case 'http':
      return `http ${spec.url}`;
    case 'file':
      return `file ${spec.path}`;
    case 'exec':
      return `exec ${JSON.stringify(spec.args)}`;
    case 'log':
      return `log ${String(spec.pattern)}`;
  }
}

const DEFAULT_TCP_HOST = '127.0.0.1';
const HOSTNAME = /^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_.])?$/;

// Parses a TCP target ('127.0.0.1:6379', 'localhost:80', '[::1]:8080', ':6379', '6379'); an error message if it is not one.
export function parseTcpTarget(s: string): { host: string; port: number } | string {
  const expected = 'expected HOST:PORT, e.g. 127.0.0.1:6379, [::1]:8080 or :6379';
  if (typeof s !== 'string' || s.trim() === '') return `empty TCP target (${expected})`;
  if (s !== s.trim()) return `TCP target ${JSON.stringify(s)} has spaces around it`;
  let host: string;
  let portText: string;
  if (/^\d+$/.test(s)) {
    host = DEFAULT_TCP_HOST;
    portText = s;
  } else if (s.startsWith('[')) {
    const m = /^\[([^\]]*)\]:(.*)$/.exec(s);
    if (!m) return `TCP target ${JSON.stringify(s)} is not [IPV6]:PORT (${expected})`;
    host = m[1] ?? '';
    portText = m[2] ?? '';
    if (!isIPv6(host)) return `TCP target ${JSON.stringify(s)}: ${JSON.stringify(host)} is not an IPv6 address`;
  } else {
    const colon = s.lastIndexOf(':');
    if (colon < 0) return `TCP target ${JSON.stringify(s)} has no port (${expected})`;
    host = s.slice(0, colon);
    portText = s.slice(colon + 1);
    if (host.includes(':')) return `TCP target ${JSON.stringify(s)}: an IPv6 address must be in brackets, e.g. [::1]:8080`;
    if (host === '') host = DEFAULT_TCP_HOST;
    else if (!HOSTNAME.test(host)) return `TCP target ${JSON.stringify(s)}: ${JSON.stringify(host)} is not a host name or address`;
  }
  if (!/^\d+$/.test(portText)) return `TCP target ${JSON.stringify(s)}: port ${JSON.stringify(portText)} is not a number (${expected})`;
  const port = Number(portText);
  if (port < 1 || port > 65535) return `TCP target ${JSON.stringify(s)}: port ${port} is out of range (1-65535)`;
  return { host, port };
}

function timedOut(timeoutMs: number): ProbeResult {
  return { ok: false, detail: `timed out after ${formatDuration(timeoutMs)}` };
}

// Network and file errors in a few words; anything unexpected keeps its own message.
function describeFailure(err: unknown): string {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'EAI_NONAME':
      return 'host not found';
    case 'EHOSTUNREACH':
      return 'host unreachable';
    case 'ENETUNREACH':
      return 'network unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EADDRNOTAVAIL':
      return 'address not available';
    case 'ENOENT':
    case 'ENOTDIR':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      if (err instanceof Error && err.message === 'socket hang up') return 'connection closed without a response';
      return describeError(err);
  }
}

// A promise settled by the first of `run`'s result and a timeout; `cleanup` runs once either way.
function withTimeout(timeoutMs: number, clock: Clock, run: (finish: (r: ProbeResult) => void) => () => void): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let done = false;
    let cleanup: () => void = () => undefined;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      clock.clearTimeout(timer);
      cleanup();
      resolve(r);
    };
    const timer = clock.setTimeout(() => finish(timedOut(timeoutMs)), Math.max(0, timeoutMs));
    try {
      const c = run(finish);
      if (done) c();
      else cleanup = c;
    } catch (err) {
      finish({ ok: false, detail: describeFailure(err) });
    }
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number, clock: Clock): Promise<ProbeResult> {
  return withTimeout(timeoutMs, clock, (finish) => {
    const socket = netConnect({ host, port });
    socket.once('connect', () => finish({ ok: true, detail: 'connected' }));
    socket.once('error', (err) => finish({ ok: false, detail: describeFailure(err) }));
    return () => socket.destroy();
  });
}

function httpProbe(url: string, timeoutMs: number, clock: Clock): Promise<ProbeResult> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return Promise.resolve({ ok: false, detail: `invalid URL ${JSON.stringify(url)}` });
  }
  // Loaded on first use: node:https (with tls) costs ~6 ms of colony's start-up otherwise.
  const send =
    target.protocol === 'http:'
      ? (process.getBuiltinModule('node:http') as typeof import('node:http')).request
      : target.protocol === 'https:'
        ? (process.getBuiltinModule('node:https') as typeof import('node:https')).request
        : undefined;
  if (!send) return Promise.resolve({ ok: false, detail: `unsupported URL scheme ${JSON.stringify(target.protocol)} (http: or https: only)` });
  return withTimeout(timeoutMs, clock, (finish) => {
    // agent: false — a fresh connection each time, closed after the answer: nothing pooled between checks.
    // Redirects are not followed (node:http never does): a 3xx answer is itself a success.
    const req: ClientRequest = send(target, { method: 'GET', agent: false, headers: { 'user-agent': 'colony-probe', connection: 'close' } });
    req.once('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      res.resume(); // the body is not needed; the request is destroyed by the cleanup
      finish({ ok: status >= 200 && status < 400, detail: `HTTP ${status}` });
    });
    req.once('error', (err) => finish({ ok: false, detail: describeFailure(err) }));
    req.end();
    return () => req.destroy();
  });
}

function fileProbe(path: string, timeoutMs: number, clock: Clock): Promise<ProbeResult> {
  return withTimeout(timeoutMs, clock, (finish) => {
    stat(path).then(
      () => finish({ ok: true, detail: 'exists' }),
      (err: unknown) => finish({ ok: false, detail: describeFailure(err) }),
    );
    return () => undefined;
  });
}

function inheritedEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return env;
}

// Runs the command in its own process group; on timeout the whole group gets SIGKILL, and the result
// comes once the command has died (or KILL_WAIT_MS later if it somehow does not).
function execProbe(args: string[], opts: ProbeOptions): Promise<ProbeResult> {
  if (args.length === 0 || args[0] === '') return Promise.resolve({ ok: false, detail: 'no command to run' });
  const spawn = opts.spawner ?? realSpawner;
  const kill = opts.kill ?? ((target: number, signal: NodeJS.Signals) => process.kill(target, signal));
  const clock = clockOf(opts);
  return new Promise((resolve) => {
    let done = false;
    let timedOutAt = false;
    let timer: Timer | undefined;
    let killWait: Timer | undefined;
    const finish = (r: ProbeResult): void => {
      if (done) return;
      done = true;
      if (timer) clock.clearTimeout(timer);
      if (killWait) clock.clearTimeout(killWait);
      resolve(r);
    };
    let child: Child;
    try {
      child = spawn({ args, env: opts.env ?? inheritedEnv(), uid: opts.uid, gid: opts.gid, cwd: opts.cwd });
    } catch (err) {
      resolve({ ok: false, detail: `could not start: ${describeError(err)}` });
      return;
    }
    const pid = child.pid;
    if (pid !== undefined) opts.own?.add(pid);
    // The probe's output is not used: read and dropped, so that it never blocks on a full pipe.
    child.stdout?.onChunk(() => undefined);
    child.stderr?.onChunk(() => undefined);
    timer = clock.setTimeout(() => {
      timer = undefined;
      timedOutAt = true;
      if (pid !== undefined) killGroup(kill, pid);
      killWait = clock.setTimeout(() => finish(timedOut(opts.timeoutMs)), KILL_WAIT_MS);
    }, Math.max(0, opts.timeoutMs));
    child.onExit((status: ExitStatus) => {
      if (pid !== undefined) opts.own?.delete(pid);
      if (timedOutAt) finish(timedOut(opts.timeoutMs));
      else if (status.code === 0) finish({ ok: true, detail: 'exit code 0' });
      else finish({ ok: false, detail: describeExit(status) });
    });
  });
}

// SIGKILL to the command's process group; to the pid alone if there is no such group (ESRCH), and nothing if
// the process is gone too (ESRCH again).
function killGroup(kill: (pid: number, signal: NodeJS.Signals) => void, pid: number): void {
  try {
    kill(-pid, 'SIGKILL');
  } catch {
    try {
      kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
}
