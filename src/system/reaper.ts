// Reaping orphans, PID 1's duty that Node does not do: libuv waits only for the pids it spawned.
// On SIGCHLD, every child of colony that was not spawned through libuv is waitpid()ed by pid —
// never waitpid(-1), which would steal exit statuses libuv is waiting for.
import type { Libc } from './libc.ts';
import type { Log } from '../log/logger.ts';
import { listChildren } from './proc.ts';

export interface Reaper {
  // Reaps every zombie child not in `own`; returns how many were reaped.
  sweep(): number;
  // Asks for a sweep soon (coalesces a burst of SIGCHLDs into one sweep).
  schedule(): void;
}

export type ExitWatch = (status: { code: number | null; signal: NodeJS.Signals | null }) => void;

// Creates the reaper; `onReaped` runs with the count after every sweep that reaped something.
// `watched`: children colony took over as a process's main pid (process/handover.ts), whose exit
// status is handed to their watcher instead of being discarded.
export function createReaper(libc: Pick<Libc, 'waitpidNoHang' | 'waitpidExit'>, own: Set<number>, log: Log, onReaped: (count: number) => void, list: () => number[] = listChildren, watched: Map<number, ExitWatch> = new Map()): Reaper {
  let scheduled = false;
  const reaper: Reaper = {
    sweep() {
      let reaped = 0;
      for (const pid of list()) {
        if (own.has(pid)) continue;
        const watch = watched.get(pid);
        if (watch) {
          const status = libc.waitpidExit(pid);
          if (status) {
            watched.delete(pid);
            watch(status);
          }
          continue;
        }
        const r = libc.waitpidNoHang(pid);
        if (r === pid) reaped++;
      }
      if (reaped > 0) {
        log.debug('reaped orphans', { count: reaped });
        onReaped(reaped);
      }
      return reaped;
    },
    schedule() {
      if (scheduled) return;
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        reaper.sweep();
      });
    },
  };
  return reaper;
}
