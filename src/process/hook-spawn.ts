// The real start of a hook (process/hooks.ts): its own process group (so that the timeout's SIGKILL
// reaches what it started), colony's environment plus the hook's variables, stdin from /dev/null, its
// lines to colony's log under `label`. Its pid is colony's own while it runs (the reaper leaves it to libuv).
import { spawn } from 'node:child_process';
import { LineSplitter } from '../log/lines.ts';
import type { Log } from '../log/logger.ts';
import type { RunningHook } from './hooks.ts';

export function startHook(argv: string[], env: Record<string, string>, label: string, log: Log, own: Set<number>): RunningHook {
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const pid = child.pid;
  if (pid !== undefined) own.add(pid);
  for (const stream of ['stdout', 'stderr'] as const) {
    const lines = new LineSplitter();
    const pipe = child[stream];
    pipe.on('data', (chunk: Buffer) => {
      const batch = lines.push(chunk);
      if (batch) log.output(label, stream, batch);
    });
    pipe.on('end', () => {
      const rest = lines.end();
      if (rest) log.output(label, stream, rest);
    });
    pipe.on('error', () => undefined);
  }
  const ended = new Promise<{ code: number | null; signal: string | null; error?: string }>((resolve) => {
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (pid === undefined) resolve({ code: null, signal: null, error: `${argv[0]}: ${err.code ?? err.message}` });
    });
    child.once('exit', (code, signal) => {
      if (pid !== undefined) own.delete(pid);
      resolve({ code, signal });
    });
  });
  return {
    ended,
    kill: () => {
      if (pid === undefined) return;
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // gone already
      }
    },
  };
}
