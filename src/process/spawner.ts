// Starting a child: the only place that spawns. Each child gets its own session and process
// group (detached), stdin from /dev/null, and stdout/stderr pipes that colony reads line by line.
// The main command may have colony's stdin, and on a terminal it is started through colony's
// launcher (src/main-command/launch.ts), which gives it a process group of its own in colony's
// session and the terminal's foreground.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { resolveCommand } from './command-path.ts';
import type { ExitStatus } from './exit-status.ts';

export interface SpawnRequest {
  args: string[];
  env: Record<string, string>;
  uid?: number | undefined;
  gid?: number | undefined;
  cwd?: string | undefined;
  // 'inherit': the child writes straight to colony's stdout/stderr (output: inherit); 'stderr': both
  // of its streams to colony's stderr (output: inherit while the main command has colony's stdout).
  output?: 'pipe' | 'inherit' | 'stderr';
  // 'inherit': the child reads colony's stdin (the main command); default /dev/null.
  stdin?: 'ignore' | 'inherit';
  // Through the launcher, with the terminal on fd 0 (the main command on a terminal).
  terminal?: boolean;
}

// One of a child's output pipes. `stream` carries the pipe's life ('end', 'close', 'error') and is
// paused and resumed for backpressure; every read is handed to the `onChunk` callback instead of
// 'data' events. A chunk may be a view of a buffer that the next read reuses: it is valid only during
// the call (copy what must be kept).
export interface Output<S extends Readable = Readable> {
  readonly stream: S;
  onChunk(cb: (chunk: Buffer) => void): void;
}

// A plain stream's chunks, through 'data' events (each a fresh buffer).
export function streamOutput<S extends Readable>(stream: S): Output<S> {
  return { stream, onChunk: (cb) => stream.on('data', cb) };
}

// Bytes per read from a child's pipe (as Node reads a stream by default).
const READ_BYTES = 64 * 1024;
// The one buffer every child's pipe is read into. Node's streams allocate a fresh 64 KiB buffer per
// read, which under a flood of output fills V8's young generation faster than it is collected
// (measured: peak RSS 130–195 MB while relaying 1 GB; with this and a smaller young generation, see
// docs/design.md, ~100 MB at the same throughput). Sharing it is safe: reads happen one at a time on
// the event loop thread, and each is handed over — what is kept, copied — before the next.
let readBuffer: Buffer | undefined;

// A child printing a flood of lines (each its own write) would otherwise be read as fast as it writes:
// a read, a wake-up and a chunk to relay for every few lines, and the child's every write waking colony.
// So a busy pipe — read less than READ_GAP_MS after its previous read, or a read of BUSY_READ bytes or
// more — is left alone until READ_GAP_MS has gone by: the lines gather in the pipe (64 KiB: at most 64 MB/s per pipe) and are read in one go. A line that
// comes after a quiet spell is read at once; the gap delays a busy pipe's lines by 1 ms at most.
// (Measured, 10 children × 200,000 lines: colony's CPU time for the relay 500 → 320 ms, reads 44,000 →
// a few thousand; bench/README.md.)
export const READ_GAP_MS = 1;
const BUSY_READ = 4096; // a read this large: the pipe is busy (the lines gathered while it rested)
const resting = new Set<Socket>(); // pipes left alone until the next wake
let wake: NodeJS.Timeout | undefined;

function rest(stream: Socket): void {
  resting.add(stream);
  wake ??= setTimeout(() => {
    wake = undefined;
    // A pipe the sink paused meanwhile (backpressure) stays paused: the sink resumes it.
    for (const s of resting) if (!s.isPaused() && !s.destroyed) s.resume();
    resting.clear();
  }, READ_GAP_MS);
}

// A pipe's read end, read into the shared buffer.
function pipeOutput(fd: number): Output<Socket> {
  let deliver: ((chunk: Buffer) => void) | undefined;
  const early: Buffer[] = []; // reads before a consumer was attached (copied)
  const buffer = (readBuffer ??= Buffer.allocUnsafe(READ_BYTES));
  let lastRead = -Infinity;
  const stream: Socket = new Socket({
    fd,
    readable: true,
    writable: false,
    onread: {
      buffer,
      callback: (n) => {
        if (deliver) deliver(buffer.subarray(0, n));
        else early.push(Buffer.from(buffer.subarray(0, n)));
        const now = performance.now();
        const busy = n >= BUSY_READ || now - lastRead < READ_GAP_MS;
        lastRead = now;
        if (!busy) return true; // go on reading (pausing for backpressure is the sink's, through stream.pause())
        rest(stream);
        return false; // reading stops until the wake
      },
    },
  });
  return {
    stream,
    onChunk(cb) {
      deliver = cb;
      for (const chunk of early.splice(0)) cb(chunk);
    },
  };
}

export interface Child {
  // Undefined when the spawn failed; onExit then reports the error.
  readonly pid: number | undefined;
  readonly stdout: Output | null;
  readonly stderr: Output | null;
  // Called once, when the main pid has exited (not when its pipes close: grandchildren may hold them).
  onExit(cb: (status: ExitStatus) => void): void;
}

export type Spawner = (req: SpawnRequest) => Child;

// The real spawner: node:child_process directly. (execa was the first choice; measured here it cost
// ~25 MB of RSS with 100 children and most of colony's start-up time, for features colony does not use.)
// With `pipe` (pipe2 through libc), the children's stdout and stderr are real pipes instead of Node's
// socketpairs, which are several times costlier to read when a child writes many small lines.
// `launcher` is the command that runs colony's launcher (launcherCommand()), for `terminal` requests.
export function childSpawner(pipe?: () => [number, number], launcher?: string[]): Spawner {
  return (req) => {
    let [file, ...args] = req.args as [string, ...string[]];
    if (req.terminal && launcher) {
      // The launcher executes the path as it is: the PATH search (and its errors) happen here.
      args = [...launcher.slice(1), resolveCommand(file, req.env.PATH), ...req.args];
      file = launcher[0]!;
    }
    const stdin = req.stdin ?? 'ignore';
    const opts = {
      env: req.env,
      // The launcher must stay in colony's session: only there can its group be given the terminal.
      detached: !(req.terminal && launcher),
      ...(req.uid !== undefined ? { uid: req.uid } : {}),
      ...(req.gid !== undefined ? { gid: req.gid } : {}),
      ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
    };
    if (req.output === 'inherit') return wrap(spawn(file, args, { ...opts, stdio: [stdin, 'inherit', 'inherit'] }));
    if (req.output === 'stderr') return wrap(spawn(file, args, { ...opts, stdio: [stdin, 2, 2] }));
    if (!pipe) return wrap(spawn(file, args, { ...opts, stdio: [stdin, 'pipe', 'pipe'] }));
    const out = pipe();
    let err: [number, number];
    try {
      err = pipe();
    } catch (e) {
      out.forEach((fd) => closeSync(fd));
      throw e;
    }
    let proc: ChildProcess;
    try {
      proc = spawn(file, args, { ...opts, stdio: [stdin, out[1], err[1]] });
    } catch (e) {
      closeSync(out[0]);
      closeSync(err[0]);
      throw e;
    } finally {
      closeSync(out[1]); // the child has its copies: the read ends see EOF once it (and its descendants) closed them
      closeSync(err[1]);
    }
    return wrap(proc, pipeOutput(out[0]), pipeOutput(err[0]));
  };
}

// Without libc (koffi not loadable): Node's own pipes.
export const realSpawner: Spawner = childSpawner();

function wrap(proc: ChildProcess, stdout = proc.stdout && streamOutput(proc.stdout), stderr = proc.stderr && streamOutput(proc.stderr)): Child {
  return {
    pid: proc.pid,
    stdout,
    stderr,
    onExit(cb) {
      let done = false;
      const finish = (status: ExitStatus): void => {
        if (done) return;
        done = true;
        cb(status);
      };
      proc.once('exit', (code, signal) => finish({ code, signal }));
      proc.once('error', (e: NodeJS.ErrnoException) => {
        if (proc.pid === undefined) finish({ code: null, signal: null, spawnError: e.code ?? 'EUNKNOWN' });
      });
    },
  };
}
