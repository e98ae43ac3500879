// Reaping orphans, PID 1's duty that Node does not do: libuv waits only for the pids it spawned.
// On SIGCHLD, every child of colony that was not spawned through libuv is waitpid()ed by pid —
// never waitpid(-1), which would steal exit statuses libuv is waiting for.
import { readdirSync, readFileSync } from 'node:fs';
import type { Libc } from './libc.ts';
import type { Log } from '../log/logger.ts';

export interface Reaper {
  // Reaps every zombie child not in `own`; returns how many were reaped.
  sweep(): number;
  // Asks for a sweep soon (coalesces a burst of SIGCHLDs into one sweep).
  schedule(): void;
  // colony's children that it did not spawn (adopted orphans), alive or zombie.
  adopted(): number[];
  readonly total: number;
}

// The fields of /proc/PID/stat after the command name (index 0 is the state: 'R', 'S', 'Z', ...),
// or undefined when the process is gone.
export function procStat(pid: number | 'self'): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

// colony's direct children, from /proc/self/task/*/children (orphans land on the main thread; any thread is read to be safe).
export function listChildren(): number[] {
  const pids: number[] = [];
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      let text: string;
      try {
        text = readFileSync(`/proc/self/task/${tid}/children`, 'latin1');
      } catch {
        continue;
      }
      for (const p of text.split(' ')) if (p) pids.push(Number(p));
    }
  } catch {
    // /proc not mounted: nothing can be listed
  }
  return pids;
}

// Creates the reaper; `onReaped` runs after every sweep that reaped something.
export function createReaper(libc: Libc, own: Set<number>, log: Log, onReaped: () => void, list: () => number[] = listChildren): Reaper {
  let scheduled = false;
  let total = 0;
  const reaper: Reaper = {
    sweep() {
      let reaped = 0;
      for (const pid of list()) {
        if (own.has(pid)) continue;
        const r = libc.waitpidNoHang(pid);
        if (r === pid) reaped++;
      }
      if (reaped > 0) {
        total += reaped;
        log.debug('reaped orphans', { count: reaped });
        onReaped();
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
    adopted: () => list().filter((pid) => !own.has(pid)),
    get total() {
      return total;
    },
  };
  return reaper;
}
