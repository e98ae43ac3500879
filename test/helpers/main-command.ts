// colony as a real PID 1 with a main command that has its stdin and stdout, as `docker run IMAGE CMD`
// runs it: what colony's stdout carries is kept as raw bytes (it must be exactly what the command
// wrote), colony's log is read from stderr.
import { BUNDLE, Launched, NODE, writeAtomic, type Rec } from './colony.ts';
import { parseRecord } from './lines.ts';
import { children, cmdline } from './proc.ts';
import { Launch, pid1Argv, type Exit } from './pid1.ts';
import { waitFor } from './wait.ts';

export interface MainOptions {
  main: string[];
  args?: string[]; // more `run` options
  files?: Record<string, object>; // config files
  env?: NodeJS.ProcessEnv;
  stdin?: 'ignore' | 'pipe';
}

export class MainColony extends Launched {
  private readonly chunks: Buffer[] = [];
  bytes = 0;

  constructor(o: MainOptions) {
    super((dirs) => {
      for (const [name, content] of Object.entries(o.files ?? {})) writeAtomic(dirs.config, name, content);
      const args = ['run', '--config', dirs.config, '--messages', dirs.messages, '--state', dirs.state, ...(o.args ?? []), '--', ...o.main];
      return new Launch(pid1Argv({ node: NODE, bundle: BUNDLE, args }), { env: { ...process.env, ...o.env }, stdin: o.stdin ?? 'ignore' });
    });
    this.child.stdout!.on('data', (c: Buffer) => {
      this.chunks.push(c);
      this.bytes += c.length;
    });
  }

  // Everything colony wrote to its stdout so far.
  get stdout(): Buffer {
    return Buffer.concat(this.chunks);
  }

  get text(): string {
    return this.stdout.toString('utf8');
  }

  // colony's log (JSON lines on stderr).
  records(): Rec[] {
    return this.stderr
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => parseRecord<Rec>(l, 'unparsed'));
  }

  // Waits until colony's stdout holds `text`; the error shows what colony printed.
  async waitOutput(text: string, timeoutMs = 15_000): Promise<void> {
    try {
      await waitFor(`${JSON.stringify(text)} on colony's stdout`, () => this.text.includes(text), timeoutMs);
    } catch (err) {
      throw new Error(`${(err as Error).message}\nstdout: ${this.text.slice(-2000)}\nstderr: ${this.stderr.slice(-2000)}`);
    }
  }

  // The command lines of colony's children.
  childArgvs(): string[][] {
    return children(this.pid).map(cmdline);
  }

  signal(sig: NodeJS.Signals): void {
    process.kill(this.pid, sig);
  }

  wait(timeoutMs = 20_000): Promise<Exit> {
    return this.launch.wait(timeoutMs, () => `stdout: ${this.text.slice(-2000)}\nstderr: ${this.stderr.slice(-4000)}`);
  }

  async destroy(): Promise<void> {
    await this.launch.destroy();
  }
}
