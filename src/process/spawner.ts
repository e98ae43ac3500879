// Starting a child: the only place that calls execa. Each child gets its own session and process
// group (detached), stdin from /dev/null, and stdout/stderr pipes that colony reads line by line.
import { execa } from 'execa';
import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import type { ExitStatus } from './exit-status.ts';

export interface SpawnRequest {
  args: string[];
  env: Record<string, string>;
  uid?: number | undefined;
  gid?: number | undefined;
  cwd?: string | undefined;
  // 'inherit': the child writes straight to colony's stdout/stderr (output: inherit).
  output?: 'pipe' | 'inherit';
}

export interface Child {
  // Undefined when the spawn failed; onExit then reports the error.
  readonly pid: number | undefined;
  readonly stdout: Readable | null;
  readonly stderr: Readable | null;
  // Called once, when the main pid has exited (not when its pipes close: grandchildren may hold them).
  onExit(cb: (status: ExitStatus) => void): void;
}

export type Spawner = (req: SpawnRequest) => Child;

// The real spawner, through execa.
export const execaSpawner: Spawner = (req) => {
  const [file, ...args] = req.args as [string, ...string[]];
  const sub = execa(file, args, {
    env: req.env,
    extendEnv: false,
    detached: true,
    cleanup: false,
    stdin: 'ignore',
    stdout: req.output === 'inherit' ? 'inherit' : 'pipe',
    stderr: req.output === 'inherit' ? 'inherit' : 'pipe',
    buffer: false,
    reject: false,
    stripFinalNewline: false,
    ...(req.uid !== undefined ? { uid: req.uid } : {}),
    ...(req.gid !== undefined ? { gid: req.gid } : {}),
    ...(req.cwd !== undefined ? { cwd: req.cwd } : {}),
  });
  // execa's promise waits for the pipes to close; colony must not (a grandchild may hold them).
  // The result is consumed here only so that it never becomes an unhandled rejection.
  sub.catch(() => undefined);
  const proc: ChildProcess = sub.nodeChildProcess;
  return {
    pid: sub.pid,
    stdout: sub.stdout,
    stderr: sub.stderr,
    onExit(cb) {
      let done = false;
      const finish = (status: ExitStatus): void => {
        if (done) return;
        done = true;
        cb(status);
      };
      proc.once('exit', (code, signal) => finish({ code, signal }));
      proc.once('error', (err: NodeJS.ErrnoException) => {
        if (sub.pid === undefined) finish({ code: null, signal: null, spawnError: err.code ?? 'EUNKNOWN' });
      });
    },
  };
};
