// The main command (`colony run -- CMD`) as a supervised process: never restarted, its exit colony's
// result, colony's stdin (and terminal) its own; with --only it starts once what --only selects is
// ready (gate.ts).
import { afterNames } from '../supervisor/replicas.ts';
import { describeExit, exitCode } from '../process/exit-status.ts';
import { commandDescriptor, PROBE_DEFAULTS, type Descriptor } from '../descriptor/parse.ts';
import type { Policy } from '../process/state.ts';
import { SupervisedProcess, type ProcessWorld } from '../process/supervised.ts';
import { longestChain } from '../supervisor/order.ts';
import { SHUTDOWN_SIGNALS } from '../system/signals.ts';
import { MainGate } from './gate.ts';

// The name the main command (Docker's CMD, given after `--`) runs under.
export const MAIN_NAME = 'main';

// How the main command is run: its output to colony's stdout/stderr ('inherit') or to the log, and
// whether it gets the terminal.
export interface MainIo {
  output: 'inherit' | 'log';
  terminal: boolean;
}

export interface MainOptions {
  args: string[];
  raw: string;
  io: MainIo;
  policy: Policy;
  world: ProcessWorld;
  // --only's names: the command waits for them (and what they are "after") to be ready.
  waitFor?: readonly string[] | undefined;
  // It ended by itself: colony stops everything and exits with `code`.
  ended: (code: number, reason: string) => void;
}

export class MainCommand {
  readonly process: SupervisedProcess;
  private readonly gate: MainGate | undefined;
  private readonly policy: Policy;
  // What --only selects, and every process of the config directory, as last seen.
  private seen: { selected: SupervisedProcess[]; procs: ReadonlyMap<string, SupervisedProcess> } = { selected: [], procs: new Map() };

  constructor(o: MainOptions) {
    const inherit = o.io.output === 'inherit';
    const d: Descriptor = {
      ...commandDescriptor(o.args, o.raw),
      ...(inherit ? { output: { kind: 'inherit' }, pythonUnbuffered: false } : {}), // its stdout is not a pipe of colony's
      // A shutdown signal colony receives is the one it gets (SIGQUIT stops it with SIGQUIT).
      signals: Object.fromEntries(SHUTDOWN_SIGNALS.map((s) => [s, s])),
    };
    this.policy = { ...o.policy, restart: 'never', exitIsResult: true };
    const p = new SupervisedProcess(MAIN_NAME, d, this.policy, o.world, { stdin: 'inherit', terminal: o.io.terminal });
    this.process = p;
    if (o.waitFor && o.waitFor.length > 0) {
      this.gate = new MainGate({ clock: o.world.clock, log: o.world.log, boundMs: () => this.readyBoundMs(), open: () => p.start() });
      o.world.log.info(`the main command starts once ${o.waitFor.join(', ')} (--only) and what they are "after" are ready`);
    }
    let reported = false;
    p.changes.on(() => {
      if (p.phase !== 'exited' || reported) return;
      reported = true;
      const status = p.snapshot.lastExit!;
      o.world.log.info(`main process ended (${describeExit(status)}), stopping everything`);
      o.ended(exitCode(status), 'the main command ended');
    });
  }

  // Starts it now, or once the processes it waits for are ready.
  start(): void {
    if (!this.gate) this.process.start();
  }

  // Whether it has been started and has not ended.
  get running(): boolean {
    return this.process.phase !== 'idle' && !this.process.isFinal;
  }

  // With --only, looks again at what it waits for: the selected processes not ready yet (ended ones
  // excepted: they will not be). `selected` is undefined until the config directory's first scan is applied.
  check(selected: SupervisedProcess[] | undefined, procs: ReadonlyMap<string, SupervisedProcess>): void {
    if (!this.gate) return;
    if (selected) this.seen = { selected, procs };
    this.gate.check(selected?.filter((p) => !p.descriptor.schedule && !p.ready && !p.isFinal).map((p) => p.name));
  }

  // The longest it waits: the longest chain of readiness timeouts along "after" among the selected
  // processes (each waits for the ones before it), and never less than the default one (60 s).
  private readyBoundMs(): number {
    const { selected, procs } = this.seen;
    const after = new Map([...procs].map(([n, p]) => [n, afterNames(p.descriptor.after, procs)]));
    const chain = longestChain(selected.map((p) => p.name), after, (n) => procs.get(n)?.descriptor.ready?.timeoutMs ?? 0);
    return Math.max(PROBE_DEFAULTS.readyTimeoutMs, chain);
  }

  // It will not be started (colony is shutting down).
  cancel(): void {
    this.gate?.cancel();
  }

  // colony's exit code: the command's, except that a command killed by the shutdown signal colony passed on (docker stop) ended as asked.
  exitCode(shutdownRequested: boolean): number {
    const status = this.process.snapshot.lastExit;
    if (!status) return 0;
    if (shutdownRequested && status.signal && (SHUTDOWN_SIGNALS as readonly string[]).concat(this.policy.stopSignal).includes(status.signal)) return 0;
    return exitCode(status);
  }
}
