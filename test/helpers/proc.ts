// Reading processes from the host side of a PID namespace, through /proc.
import { readdirSync, readFileSync } from 'node:fs';
import { procStat } from '../../src/system/proc.ts';

export function children(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[] = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const t of tasks) {
    try {
      for (const p of readFileSync(`/proc/${pid}/task/${t}/children`, 'latin1').split(' ')) if (p.trim()) out.push(Number(p));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

export function descendants(pid: number): number[] {
  const out: number[] = [];
  const todo = [pid];
  while (todo.length > 0) {
    for (const c of children(todo.pop()!)) {
      out.push(c);
      todo.push(c);
    }
  }
  return out;
}

// 'R', 'S', 'Z', ... or undefined when the process is gone.
export function stateOf(pid: number): string | undefined {
  return procStat(pid)?.[0];
}

// A process's process group (field 5) and the foreground process group of its terminal (field 8).
export function groups(pid: number): { pgrp: number; tpgid: number } {
  const f = procStat(pid);
  if (!f) throw new Error(`process ${pid} is gone`);
  return { pgrp: Number(f[2]), tpgid: Number(f[5]) };
}

export function alive(pid: number): boolean {
  const s = stateOf(pid);
  return s !== undefined && s !== 'Z';
}

export function zombies(pid: number): number[] {
  return descendants(pid).filter((p) => stateOf(p) === 'Z');
}

export function rssKiB(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  return m ? Number(m[1]) : 0;
}

// The pid this process has inside its own (innermost) PID namespace.
export function nsPid(pid: number): number {
  const m = /NSpid:\s+([\d\s]+)/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
  const ids = m ? m[1]!.trim().split(/\s+/) : [String(pid)];
  return Number(ids[ids.length - 1]);
}

export function cmdline(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').filter(Boolean);
  } catch {
    return [];
  }
}
