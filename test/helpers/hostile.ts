// Shared by the hostile-input and environment-fault stress tests (test/stress/fuzz-*.test.ts and
// test/stress/env-*.test.ts): the checks every one of them makes (no last-resort record, the lines
// naming a file), commands run in colony's mount namespace, and a cgroup with a PID limit (fork
// failing with EAGAIN). (colony with setpriv or a shell prelude before it: Colony's `wrap` and `prelude`.)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Rec } from './colony.ts';
import { waitFor } from './wait.ts';

export const isRoot = process.geteuid?.() === 0;

// What the tests read of a running colony.
export interface Observed {
  readonly records: Rec[];
  readonly stderr: string;
}

export const msgOf = (r: Rec | undefined): string => String(r?.msg);
export const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// colony's last-resort handlers log `fatal` "uncaught exception (colony keeps running)" and
// "unhandled promise rejection (colony keeps running)"; an error that ends `colony run` is logged
// `fatal` too. Every hostile-input and fault test asserts that none of that happened.
export function assertNoLastResort(c: Observed, context = ''): void {
  const fatal = c.records.filter((r) => r.level === 'fatal').map((r) => `${msgOf(r)}${r.error ? `: ${String(r.error)}` : ''}`);
  assert.deepEqual(fatal, [], `no fatal record (no uncaught exception, no unhandled promise rejection, no error ending colony)${context ? `: ${context}` : ''}`);
}

// colony's warning and error lines naming one file — in their `file` field or anywhere in their text
// (`msg`, `error`) — from position `from` on.
export function linesAbout(c: Observed, file: string, from = 0): Rec[] {
  const path = new RegExp(`${escapeRe(file)}(?=$|['":; ,)])`);
  const names = (v: unknown): boolean => typeof v === 'string' && path.test(v);
  return c.records.slice(from).filter((r) => (r.level === 'warn' || r.level === 'error' || r.level === 'fatal') && (r.file === file || names(r.msg) || names(r.error)));
}

// Runs a command in the mount namespace of `pid` (colony's own: mounts made there vanish with it).
export function inMountNamespace(pid: number, args: string[]): string {
  return execFileSync('nsenter', ['-t', String(pid), '-m', '--', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

// A cgroup with the pids controller (v1 hierarchy or v2), whose pids.max makes fork/clone fail with
// EAGAIN for the processes in it.
export class PidsCgroup {
  readonly path: string;

  private constructor(path: string) {
    this.path = path;
  }

  // A new cgroup, or the reason there can be none on this machine (for a test's skip).
  static create(name: string): PidsCgroup | string {
    if (!isRoot) return 'needs root';
    const v1 = '/sys/fs/cgroup/pids';
    try {
      if (existsSync(join(v1, 'cgroup.procs'))) {
        mkdirSync(join(v1, name));
        return new PidsCgroup(join(v1, name));
      }
      const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1];
      if (own === undefined || !existsSync('/sys/fs/cgroup/cgroup.controllers')) return 'no cgroup v1 pids hierarchy and no cgroup v2';
      const parent = join('/sys/fs/cgroup', own);
      if (!readFileSync(join(parent, 'cgroup.subtree_control'), 'utf8').includes('pids')) writeFileSync(join(parent, 'cgroup.subtree_control'), '+pids');
      mkdirSync(join(parent, name));
      if (!existsSync(join(parent, name, 'pids.max'))) {
        rmdirSync(join(parent, name));
        return `the pids controller is not enabled below ${parent}`;
      }
      return new PidsCgroup(join(parent, name));
    } catch (err) {
      return `cannot create a pids cgroup: ${String(err)}`;
    }
  }

  // Moves a process (all its threads) into the cgroup; its children are born in it.
  add(pid: number): void {
    writeFileSync(join(this.path, 'cgroup.procs'), String(pid));
  }

  limit(max: number | 'max'): void {
    writeFileSync(join(this.path, 'pids.max'), String(max));
  }

  tasks(): number {
    return Number(readFileSync(join(this.path, 'pids.current'), 'utf8').trim());
  }

  // How many times a fork or clone was refused because of pids.max.
  refusals(): number {
    return Number(/max (\d+)/.exec(readFileSync(join(this.path, 'pids.events'), 'utf8'))?.[1] ?? 0);
  }

  // Removes the cgroup once every process in it is gone.
  async remove(): Promise<void> {
    if (!existsSync(this.path)) return;
    await waitFor(`${this.path} to be empty`, () => readFileSync(join(this.path, 'cgroup.procs'), 'utf8').trim() === '', 10_000);
    rmdirSync(this.path);
  }
}
