// colony on a real pseudo-terminal (test/helpers/pty.py): what a person sees and types in
// `docker run -it IMAGE CMD`. The terminal's screen is kept as text; keys are typed as bytes.
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { BUNDLE, NODE, ROOT, scratch, writeAtomic, type Dirs } from './colony.ts';
import { cmdline, descendants } from './proc.ts';
import { UNSHARE, type Exit } from './pid1.ts';
import { waitFor } from './wait.ts';

const PTY = join(ROOT, 'test/helpers/pty.py');
// Debian's python3 runs it (a version manager's shim in PATH would only be slower).
export const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

export interface TerminalOptions {
  // colony's `run` arguments after the directories (`-- CMD...` included).
  args: string[];
  // true (default): PID 1 of new namespaces, session leader of the terminal as runc makes it;
  // false: a job of a shell (`sh -c`) that has the terminal, not PID 1; `after` is shell code run
  // after colony has exited, still on the terminal.
  pid1?: boolean;
  after?: string;
  // The command that runs colony (default: Node and the bundle).
  colony?: string[];
  // false: no --config/--messages/--state (colony's defaults, e.g. inside a root); default true.
  dirs?: boolean;
  // More options for unshare (e.g. --root=DIR); with pid1 only.
  unshare?: string[];
  files?: Record<string, object>;
  env?: NodeJS.ProcessEnv;
}

export class TerminalColony {
  readonly dirs: Dirs = scratch();
  readonly child: ChildProcess;
  readonly exited: Promise<Exit>;
  exitInfo: Exit | undefined;
  screen = '';

  constructor(o: TerminalOptions) {
    for (const [name, content] of Object.entries(o.files ?? {})) writeAtomic(this.dirs.config, name, content);
    const dirFlags = o.dirs === false ? [] : ['--config', this.dirs.config, '--messages', this.dirs.messages, '--state', this.dirs.state];
    const colony = [...(o.colony ?? [NODE, BUNDLE]), 'run', ...dirFlags, ...o.args];
    const quoted = colony.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const argv = o.pid1 === false ? ['setsid', '-c', '/bin/sh', '-c', `${quoted}\necho "colony exited $?"\n${o.after ?? ''}`] : [...UNSHARE, ...(o.unshare ?? []), 'setsid', '-c', ...colony];
    this.child = spawn(PYTHON, [PTY, '--', ...argv], { stdio: ['pipe', 'pipe', 'pipe', 'pipe'], env: { ...process.env, ...o.env } });
    this.child.stdout!.setEncoding('utf8').on('data', (d: string) => (this.screen += d));
    this.child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.screen += `[pty.py] ${d}`));
    this.exited = new Promise((res) =>
      this.child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal };
        res(this.exitInfo);
      }),
    );
  }

  // Types on the keyboard ('\x03' is Ctrl-C).
  type(keys: string): void {
    this.child.stdin!.write(keys);
  }

  // Resizes the terminal (the kernel sends SIGWINCH to its foreground process group).
  resize(rows: number, cols: number): void {
    (this.child.stdio[3] as Writable).write(`winsize ${rows} ${cols}\n`);
  }

  get mark(): number {
    return this.screen.length;
  }

  // Waits until the screen shows `what` after position `from`; returns the position after it.
  async see(what: string | RegExp, from = 0, timeoutMs = 20_000): Promise<number> {
    try {
      return await waitFor(`the terminal to show ${String(what)}`, () => {
        const rest = this.screen.slice(from);
        const m = typeof what === 'string' ? (rest.includes(what) ? { index: rest.indexOf(what), 0: what } : null) : what.exec(rest);
        return m ? from + m.index + m[0].length : undefined;
      }, timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n--- screen ---\n${this.screen.slice(-3000)}`);
    }
  }

  // The host pid of the process running `argv0` below the terminal's command (colony's main command).
  pidOf(argv0: string): number | undefined {
    return descendants(this.child.pid!).find((p) => cmdline(p)[0] === argv0);
  }

  wait(timeoutMs = 20_000): Promise<Exit> {
    return Promise.race([this.exited, new Promise<never>((_, rej) => setTimeout(() => rej(new Error(`the terminal's command did not end within ${timeoutMs} ms\n--- screen ---\n${this.screen.slice(-3000)}`)), timeoutMs).unref())]);
  }

  // Teardown: everything below the terminal is killed.
  async destroy(): Promise<void> {
    if (this.exitInfo) return;
    for (const p of [...descendants(this.child.pid!).reverse(), this.child.pid!]) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone
      }
    }
    await this.exited;
  }
}
