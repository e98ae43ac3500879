// colony's bundle started as a real PID 1 (unshare --pid --fork --mount-proc), with its JSON log
// collected and parsed, and helpers to wait for records, find its processes and stop it.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, renameSync } from 'node:fs';
import { NOTE_FILE } from '../../src/messages/note.ts';
import { STATUS_FILE, type ProcessStatus, type Status } from '../../src/status/file.ts';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { onLines, parseRecord } from './lines.ts';
import { descendants } from './proc.ts';
import { Launch, pid1Argv, type Exit } from './pid1.ts';
import { waitFor } from './wait.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const BUNDLE = join(ROOT, 'dist/colony.cjs');
export const FIXTURES = join(ROOT, 'test/fixtures');
export const NODE = process.execPath;

// A command run by /bin/sh -c, and a descriptor that runs it (with more keys).
export const shArgs = (script: string): string[] => ['/bin/sh', '-c', script];
export const shDescriptor = (script: string, extra: object = {}): object => ({ args: shArgs(script), ...extra });

export type Rec = Record<string, unknown> & { level?: string; msg?: string; proc?: string; stream?: string; pid?: number };

export interface StartOptions {
  args?: string[]; // extra `run` options
  main?: string[]; // -- CMD ARGS
  env?: NodeJS.ProcessEnv;
  pid1?: boolean; // default true; false runs colony as a plain child (subreaper mode)
  files?: Record<string, string | object>; // config files to write before start
  messages?: Record<string, string | object>; // message files present at start
  dirsFromEnv?: boolean; // pass the directories as COLONY_* variables instead of flags
  started?: (c: Colony) => boolean; // what says colony is up (default: its "ready: watching" record)
  // Put before node inside the namespaces, e.g. ['setpriv', ...]; it must exec its arguments.
  wrap?: string[];
  // Shell commands run as PID 1 of the new namespaces before colony execs in their place (e.g. mounts),
  // with $CONFIG_DIR, $MESSAGES_DIR and $STATE_DIR set to colony's directories.
  prelude?: string;
}

const scratchDirs: string[] = [];
process.once('exit', () => {
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

// A scratch directory with config/, messages/ and state/ (removed when the test process exits).
export function scratch(): { dir: string; config: string; messages: string; state: string } {
  const dir = mkdtempSync(join(tmpdir(), 'colony-test-'));
  scratchDirs.push(dir);
  const d = { dir, config: join(dir, 'config'), messages: join(dir, 'messages'), state: join(dir, 'state') };
  mkdirSync(d.config);
  return d;
}

// Writes a file the way careful writers do: a dotfile then a rename into place.
export function writeAtomic(dir: string, name: string, content: string | object): string {
  mkdirSync(dir, { recursive: true });
  const text = typeof content === 'string' ? content : JSON.stringify(content);
  const tmp = join(dir, `.${name}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`);
  writeFileSync(tmp, text);
  renameSync(tmp, join(dir, name));
  return join(dir, name);
}

export type Dirs = ReturnType<typeof scratch>;

// What every harness that runs colony has: its scratch directories, the launched process
// (test/helpers/pid1.ts) and colony's stderr. What it does with colony's stdout is its own.
export abstract class Launched {
  readonly dirs: Dirs = scratch();
  stderr = '';
  protected readonly launch: Launch;

  // `launch` gets the scratch directories (to write files into and to name on the command line).
  protected constructor(launch: (dirs: Dirs) => Launch) {
    this.launch = launch(this.dirs);
    this.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
  }

  get child(): ChildProcess {
    return this.launch.child;
  }

  get exited(): Promise<Exit> {
    return this.launch.exited;
  }

  get exitInfo(): Exit | undefined {
    return this.launch.exitInfo;
  }

  // colony's pid as seen from here.
  get pid(): number {
    return this.launch.pid;
  }

  // A process's entry in colony's status file as it is now (undefined: not there).
  processStatus(name: string): ProcessStatus | undefined {
    const status = JSON.parse(readFileSync(join(this.dirs.state, STATUS_FILE), 'utf8')) as Status;
    return status.processes.find((p) => p.name === name);
  }
}

export class Colony extends Launched {
  readonly records: Rec[] = [];
  readonly rawLines: string[] = [];

  private constructor(opts: StartOptions) {
    super((dirs) => {
      for (const [name, content] of Object.entries(opts.files ?? {})) writeAtomic(dirs.config, name, content);
      for (const [name, content] of Object.entries(opts.messages ?? {})) writeAtomic(dirs.messages, name, content);
      const dirFlags = opts.dirsFromEnv ? [] : ['--config', dirs.config, '--messages', dirs.messages, '--state', dirs.state];
      const dirEnv = opts.dirsFromEnv ? { COLONY_CONFIG: dirs.config, COLONY_MESSAGES: dirs.messages, COLONY_STATE: dirs.state } : {};
      const preludeEnv = { CONFIG_DIR: dirs.config, MESSAGES_DIR: dirs.messages, STATE_DIR: dirs.state };
      // This harness reads colony's JSON log on stdout: a main command's lines are relayed into it
      // (--main-output log). test/helpers/main-command.ts runs a main command that has the stdout.
      const mainArgs = opts.main ? ['--main-output', 'log', '--', ...opts.main] : [];
      const command = { node: NODE, bundle: BUNDLE, args: ['run', ...dirFlags, '--log-format', 'json', ...(opts.args ?? []), ...mainArgs], wrap: opts.wrap, prelude: opts.prelude };
      const argv = opts.pid1 === false ? [NODE, BUNDLE, ...command.args] : pid1Argv(command);
      return new Launch(argv, { pid1: opts.pid1 !== false, env: { ...process.env, ...preludeEnv, ...dirEnv, ...opts.env } });
    });
    onLines(this.child.stdout!, (line) => {
      this.rawLines.push(line);
      this.records.push(parseRecord<Rec>(line, 'unparsed'));
    });
  }

  static async start(opts: StartOptions = {}): Promise<Colony> {
    const c = new Colony(opts);
    const up = opts.started ?? ((x: Colony) => x.records.some((r) => typeof r.msg === 'string' && r.msg.startsWith('ready: watching')) || x.rawLines.some((l) => l.startsWith('colony | ready: watching')));
    await waitFor('colony to start', () => up(c) || c.exitInfo !== undefined, 15_000);
    if (c.exitInfo) throw new Error(`colony exited at start: ${JSON.stringify(c.exitInfo)}\n${c.rawLines.join('\n')}\n${c.stderr}`);
    return c;
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  // Every process below colony (host pids).
  processes(): number[] {
    return descendants(this.pid);
  }

  find(pred: (r: Rec) => boolean): Rec | undefined {
    return this.records.find(pred);
  }

  count(pred: (r: Rec) => boolean): number {
    return this.records.filter(pred).length;
  }

  async waitRecord(what: string, pred: (r: Rec) => boolean, timeoutMs = 10_000, from = 0): Promise<Rec> {
    return waitFor(what, () => this.records.slice(from).find(pred), timeoutMs);
  }

  // The output lines printed by a process (by its name).
  output(proc: string, stream?: string): string[] {
    // A line that was a JSON object is embedded under `json`: shown here as compact JSON.
    return this.records.filter((r) => r.proc === proc && r.stream !== undefined && (stream === undefined || r.stream === stream)).map((r) => (r.msg === undefined && r.json !== undefined ? JSON.stringify(r.json) : String(r.msg)));
  }

  // Waits for a process's "started" record after position `from`; returns its pid inside the namespace.
  async started(proc: string, from = 0, timeoutMs = 10_000): Promise<number> {
    const r = await this.waitRecord(`${proc} to start`, (x) => x.proc === proc && x.msg === 'started', timeoutMs, from);
    return r.pid!;
  }

  get mark(): number {
    return this.records.length;
  }

  log(): string {
    return `${this.rawLines.join('\n')}\n--- stderr ---\n${this.stderr}`;
  }

  // Stops colony (SIGTERM) and waits for it; returns its exit status.
  stop(timeoutMs = 20_000): Promise<Exit> {
    return this.launch.stop(timeoutMs, () => this.log());
  }

  wait(timeoutMs = 20_000): Promise<Exit> {
    return this.launch.wait(timeoutMs, () => this.log());
  }

  // Last resort in test teardown: kill everything.
  async destroy(): Promise<void> {
    await this.launch.destroy(() => this.processes().reverse());
    rmSync(this.dirs.dir, { recursive: true, force: true });
  }
}

// Runs a command to its end; resolves with its code and all its output. 'close', not 'exit': a
// process can exit before its last output has been read from the pipes.
export function capture(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    c.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    c.on('close', (code) => res({ code, stdout, stderr }));
  });
}

// Runs colony (not as PID 1) for a ctl command or a usage check; resolves with code and output.
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return capture(NODE, [BUNDLE, ...args], env);
}

// What is in a messages directory besides colony's note for ctl (src/messages/note.ts).
export function messageFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f !== NOTE_FILE);
}
