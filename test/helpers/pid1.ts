// Starting colony as a real PID 1 — the plumbing every test harness shares: the command line
// (`unshare --pid --fork --mount-proc`, optionally a shell prelude run as PID 1 first and a command
// such as setpriv put before node), the exit, colony's host pid, stopping and killing it. What a
// harness does with colony's stdout (keep every record, stream it, stall it) is its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { children } from './proc.ts';

export type Exit = { code: number | null; signal: NodeJS.Signals | null };

export const UNSHARE = ['unshare', '--pid', '--fork', '--mount-proc'];

export interface ColonyCommand {
  node: string;
  nodeFlags?: string[];
  bundle: string;
  args: string[]; // after the bundle: `run ...`
  // Put before node inside the namespaces, e.g. ['setpriv', ...]; it must exec its arguments.
  wrap?: string[];
  // Shell commands run as PID 1 of the new namespaces before colony execs in their place (e.g. mounts).
  prelude?: string;
}

// The argv that runs colony as PID 1 of new PID and mount namespaces.
export function pid1Argv(c: ColonyCommand): string[] {
  const inner = [...(c.wrap ?? []), c.node, ...(c.nodeFlags ?? []), c.bundle, ...c.args];
  return [...UNSHARE, ...(c.prelude === undefined ? inner : ['/bin/sh', '-c', `${c.prelude}\nexec "$@"`, 'sh', ...inner])];
}

export interface LaunchOptions {
  // true (default): argv starts a process whose only child is colony (unshare --fork, or a chain of
  // commands that exec into it); false: argv is colony itself.
  pid1?: boolean;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  stderr?: 'pipe' | 'inherit';
  stdin?: 'ignore' | 'pipe';
}

export class Launch {
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  exitInfo: Exit | undefined;
  readonly pid1: boolean;
  private colonyPid: number | undefined;

  constructor(argv: string[], o: LaunchOptions = {}) {
    this.pid1 = o.pid1 !== false;
    const [cmd, ...args] = argv as [string, ...string[]];
    this.child = spawn(cmd, args, { stdio: [o.stdin ?? 'ignore', 'pipe', o.stderr ?? 'pipe'], env: o.env ?? process.env, ...(o.cwd ? { cwd: o.cwd } : {}) });
    this.exited = new Promise((res) =>
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        res(this.exitInfo);
      }),
    );
  }

  get running(): boolean {
    return this.exitInfo === undefined;
  }

  // colony's host pid: as PID 1, the only child of unshare.
  get pid(): number {
    if (!this.pid1) return this.child.pid!;
    if (this.colonyPid !== undefined) return this.colonyPid;
    const kids = children(this.child.pid!);
    if (kids.length !== 1) throw new Error(`expected colony as the only child of unshare, found ${kids.join(',')}`);
    this.colonyPid = kids[0]!;
    return this.colonyPid;
  }

  // Waits for the exit, failing after timeoutMs (with `context()` in the error).
  wait(timeoutMs = 20_000, context: () => string = () => ''): Promise<Exit> {
    return Promise.race([this.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`colony did not exit within ${timeoutMs} ms\n${context()}`)), timeoutMs).unref())]);
  }

  // SIGTERM to colony, then waits for its exit.
  stop(timeoutMs = 20_000, context?: () => string): Promise<Exit> {
    if (this.running) {
      try {
        process.kill(this.pid, 'SIGTERM');
      } catch {
        // gone
      }
    }
    return this.wait(timeoutMs, context);
  }

  // Teardown: SIGKILL to colony and to what started it (as PID 1, colony takes its namespace with
  // it; not as PID 1, `also` names its processes to kill first).
  async destroy(also: () => number[] = () => []): Promise<void> {
    if (!this.running) return;
    let own: number[];
    try {
      own = this.pid1 ? [this.pid] : [...also(), this.pid];
    } catch {
      own = this.pid1 ? children(this.child.pid!) : []; // not found as the one child: whatever is there
    }
    for (const p of [...own, this.child.pid!]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await this.exited;
  }
}
