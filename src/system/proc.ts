// What /proc says about processes: their state, their start time, colony's children.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

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

// colony's direct children (or another process's), from /proc/PID/task/*/children (orphans land on
// the main thread; any thread is read to be safe).
export function listChildren(of: number | 'self' = 'self'): number[] {
  const pids: number[] = [];
  try {
    for (const tid of readdirSync(`/proc/${of}/task`)) {
      let text: string;
      try {
        text = readFileSync(`/proc/${of}/task/${tid}/children`, 'latin1');
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

// A process's state letter, parent and process group; undefined when it is gone.
export function procInfo(pid: number): { state: string; ppid: number; pgrp: number } | undefined {
  const f = procStat(pid);
  return f ? { state: f[0]!, ppid: Number(f[1]), pgrp: Number(f[2]) } : undefined;
}

// The kernel's start time of a process (field 22 of /proc/PID/stat): with the pid, it names one process for good.
export function procStart(pid: number | 'self'): string | undefined {
  return procStat(pid)?.[19];
}

// A zombie has ended but not been reaped (the reaper takes care of it); a process that is gone counts too.
export function isZombie(pid: number): boolean {
  const fields = procStat(pid);
  return fields === undefined || fields[0] === 'Z';
}

// Whether a process group has a member that has not ended. A zombie has ended: where nothing reaps it
// (no reaper could be loaded), it stays in its group for good, and kill(-pgid, 0) still finds the
// group — counting it alive would make colony wait for it forever. Undefined when /proc is not this
// pid namespace's (or not mounted): the caller keeps kill's answer.
export function groupHasLive(pgid: number): boolean | undefined {
  let pids: string[];
  try {
    if (readlinkSync('/proc/self') !== String(process.pid)) return undefined;
    pids = readdirSync('/proc');
  } catch {
    return undefined;
  }
  const group = String(pgid);
  for (const p of pids) {
    const c = p.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const f = procStat(Number(p));
    if (f !== undefined && f[2] === group && f[0] !== 'Z') return true;
  }
  return false;
}
