// Shared by the hostile-input and environment-fault stress tests (test/stress/fuzz-*.test.ts and
// test/stress/env-*.test.ts): the checks every one of them makes (no last-resort record, the lines
// naming a file), colony as PID 1 with a command put before it (setpriv) or a shell prelude run as
// PID 1 of its namespaces first (mounts), commands run in colony's mount namespace, and a cgroup
// with a PID limit (fork failing with EAGAIN).
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE, NODE, scratch, writeAtomic, type Rec } from './colony.ts';
import { onLines, parseRecord } from './lines.ts';
import { children } from './proc.ts';
import { waitFor } from './wait.ts';

export const isRoot = process.geteuid?.() === 0;

// What the tests read of a running colony (Colony and WrappedColony both have it).
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

export interface WrappedOptions {
  args?: string[]; // extra `run` options
  files?: Record<string, string | object>; // config files written before start
  // Put before node inside the namespaces, e.g. ['setpriv', ...]; it must exec its arguments.
  wrap?: string[];
  // Shell commands run as PID 1 of the new namespaces before colony execs in their place (e.g. mounts),
  // with $CONFIG_DIR, $MESSAGES_DIR and $STATE_DIR set to colony's directories.
  prelude?: string;
}

// colony's bundle as PID 1 (unshare --pid --fork --mount-proc), like test/helpers/colony.ts's
// Colony, with a command or a shell prelude before it.
export class WrappedColony implements Observed {
  readonly records: Rec[] = [];
  readonly rawLines: string[] = [];
  stderr = '';
  readonly dirs = scratch();
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;

  private constructor(o: WrappedOptions) {
    for (const [name, content] of Object.entries(o.files ?? {})) writeAtomic(this.dirs.config, name, content);
    const colony = [NODE, BUNDLE, 'run', '--config', this.dirs.config, '--messages', this.dirs.messages, '--state', this.dirs.state, '--log-format', 'json', ...(o.args ?? [])];
    const inner = [...(o.wrap ?? []), ...colony];
    const pid1 = o.prelude === undefined ? inner : ['/bin/sh', '-c', `${o.prelude}\nexec "$@"`, 'sh', ...inner];
    const env = { ...process.env, CONFIG_DIR: this.dirs.config, MESSAGES_DIR: this.dirs.messages, STATE_DIR: this.dirs.state };
    this.child = spawn('unshare', ['--pid', '--fork', '--mount-proc', ...pid1], { stdio: ['ignore', 'pipe', 'pipe'], env });
    onLines(this.child.stdout!, (line) => {
      this.rawLines.push(line);
      this.records.push(parseRecord<Rec>(line, 'unparsed'));
    });
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
    this.exited = new Promise((res) =>
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        res(this.exitInfo);
      }),
    );
  }

  static async start(o: WrappedOptions = {}): Promise<WrappedColony> {
    const c = new WrappedColony(o);
    await waitFor('colony to start', () => c.exitInfo !== undefined || c.records.some((r) => msgOf(r).startsWith('ready: watching')), 15_000);
    if (c.exitInfo) throw new Error(`colony exited at start: ${JSON.stringify(c.exitInfo)}\n${c.log()}`);
    return c;
  }

  get pid(): number {
    const kids = children(this.child.pid!);
    if (kids.length !== 1) throw new Error(`expected colony as the only child of unshare, found ${kids.join(',')}`);
    return kids[0]!;
  }

  get mark(): number {
    return this.records.length;
  }

  count(pred: (r: Rec) => boolean): number {
    return this.records.filter(pred).length;
  }

  waitRecord(what: string, pred: (r: Rec) => boolean, timeoutMs = 10_000, from = 0): Promise<Rec> {
    return waitFor(what, () => this.records.slice(from).find(pred), timeoutMs);
  }

  async started(proc: string, from = 0, timeoutMs = 10_000): Promise<number> {
    return (await this.waitRecord(`${proc} to start`, (r) => r.proc === proc && r.msg === 'started', timeoutMs, from)).pid!;
  }

  log(): string {
    return `${this.rawLines.join('\n')}\n--- stderr ---\n${this.stderr}`;
  }

  async stop(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (!this.exitInfo) process.kill(this.pid, 'SIGTERM');
    return Promise.race([this.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`colony did not exit within ${timeoutMs} ms\n${this.log()}`)), timeoutMs).unref())]);
  }

  // SIGKILL to colony as PID 1 takes its whole namespace with it.
  async destroy(): Promise<void> {
    if (!this.exitInfo) {
      for (const p of [...children(this.child.pid!), this.child.pid!]) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
      await this.exited;
    }
  }
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
