// Reconciles the desired state (the config directory, the main command) with running processes and
// composes the policies around them, one module each: "after" order (order.ts), --only
// (selection.ts), schedules and watched files (schedules.ts, watches.ts), messages (messages.ts),
// signal forwarding (forward.ts), the shutdown and its budget (shutdown.ts).
import { EXIT_SYSTEM } from '../common/errors.ts';
import { Listeners } from '../common/listeners.ts';
import type { Descriptor } from '../descriptor/parse.ts';
import { MainCommand, MAIN_NAME, type MainIo } from '../main-command/main-process.ts';
import type { Message } from '../messages/message.ts';
import type { Policy } from '../process/state.ts';
import { SupervisedProcess, type ProcessWorld } from '../process/supervised.ts';
import { forwardToAll, forwardToMain } from './forward.ts';
import { carryOut, type Outcome } from './messages.ts';
import { criticalEnded, criticalUnhealthy, type Ending } from './endings.ts';
import { afterOf, instancesOf } from './replicas.ts';
import { Selection } from './selection.ts';
import { Holds, type Hold } from './holds.ts';
import { Budget, budgetWarning, shutDown, type ShutdownWorld } from './shutdown.ts';
import { StartOrder } from './start-order.ts';
import { Waits } from './until.ts';
import { Triggers } from './triggers.ts';
import type { WatchFiles } from './watches.ts';

export { MAIN_NAME, type MainIo } from '../main-command/main-process.ts';

export interface SupervisorWorld extends ProcessWorld, ShutdownWorld {
  watchFiles?: WatchFiles;
}

export class Supervisor {
  private readonly procs = new Map<string, SupervisedProcess>();
  // Processes whose descriptor was removed, until they have stopped.
  private readonly leaving = new Map<string, SupervisedProcess>();
  private main: MainCommand | undefined;
  private readonly world: SupervisorWorld;
  private readonly policy: Policy;
  private readonly selection: Selection;
  private readonly triggers: Triggers;
  private readonly waits: Waits;
  private readonly order: StartOrder;
  private readonly holds = new Holds();
  private shutdownPromise: Promise<number> | undefined;
  private batching = false;
  private scanned = false;
  private mainClashReported = false;
  // The whole shutdown's budget (--stop-timeout): each process gets min(its kill time, what is left).
  stopBudgetMs = Infinity;
  // After any change of any process (the status file listens).
  readonly changes = new Listeners<void>();
  // After any change of one process (or the main command), with it: the events (status/events.ts) listen.
  readonly processChanged = new Listeners<SupervisedProcess>();
  // Once, when colony should end on its own (the main command or a critical process ended).
  readonly finished = new Listeners<{ code: number; reason: string }>();

  constructor(policy: Policy, world: SupervisorWorld, only?: readonly string[]) {
    this.policy = policy;
    this.world = world;
    this.selection = new Selection(only);
    this.waits = new Waits(world.clock);
    this.order = new StartOrder(world.log);
    this.triggers = new Triggers(world, () => !this.shuttingDown);
  }

  // Whether a process of the config directory may run (--only selects it, or there is no --only).
  isSelected(name: string): boolean {
    return this.selection.has(name, (n) => afterOf(n, this.procs));
  }

  // Names given to --only that no descriptor defines.
  unknownOnly(): string[] {
    return (this.selection.only ?? []).filter((n) => afterOf(n, this.procs) === undefined);
  }

  // The main command has been started and has not ended.
  get mainRunning(): boolean {
    return this.main?.running ?? false;
  }

  get shuttingDown(): boolean {
    return this.shutdownPromise !== undefined;
  }

  // All supervised processes, the main one included.
  all(): SupervisedProcess[] {
    return [...(this.main ? [this.main.process] : []), ...this.procs.values(), ...this.leaving.values()];
  }

  get(name: string): SupervisedProcess | undefined {
    return name === MAIN_NAME && this.main ? this.main.process : this.procs.get(name);
  }

  // Why a process of the config directory does not start on its own (stopped by request, autostart off).
  heldBy(name: string): Hold | undefined {
    const p = this.procs.get(name);
    return p ? this.holds.hold(name, p.descriptor) : undefined;
  }

  // The scheduler's next run of a scheduled process.
  nextRun(name: string): Date | undefined {
    return this.triggers.next(name);
  }

  // Starts the main command (see main-command/main-process.ts); when it ends, colony stops everything and exits with its code.
  startMain(args: string[], raw: string, io: MainIo = { output: 'log', terminal: false }): void {
    const only = this.selection.only;
    this.main = new MainCommand({
      args,
      raw,
      io,
      policy: this.policy,
      world: this.world,
      waitFor: only,
      ended: (code, reason) => {
        if (!this.shuttingDown) this.finished.emit({ code, reason });
      },
    });
    this.main.process.changes.on((p) => {
      this.processChanged.emit(p);
      this.notify();
    });
    this.main.start();
  }

  // The config directory's first scan is applied: the processes the main command waits for are known.
  firstScanDone(): void {
    this.scanned = true;
    this.checkMainGate();
  }

  // The main command's gate looks again at what --only selects (not at what the operator holds down).
  private checkMainGate(): void {
    if (this.main && !this.shuttingDown) this.main.check(this.scanned ? this.selected().filter((p) => !this.holds.hold(p.name, p.descriptor)) : undefined, this.procs);
  }

  // Applies one entry of the config directory: a descriptor to run, or null when the file is gone.
  apply(name: string, descriptor: Descriptor | null): void {
    if (this.shuttingDown) return;
    if (name === MAIN_NAME && this.main) {
      if (descriptor && !this.mainClashReported) this.world.log.error(`descriptor "${name}" ignored: that name is the main command's`, { proc: name });
      this.mainClashReported = descriptor !== null;
      return;
    }
    const current = this.procs.get(name);
    this.selection.forget(); // "after" lists may change what --only selects
    if (descriptor === null) {
      if (!current) return;
      this.procs.delete(name);
      this.leaving.set(name, current);
      this.triggers.disarm(name);
      this.world.log.info('descriptor removed, stopping for good', { proc: name });
      current.stop();
      const forget = (): void => {
        if (current.isFinal && this.leaving.get(name) === current && this.leaving.delete(name)) current.discard();
      };
      current.changes.on(forget);
      forget();
    } else if (current) {
      if (current.descriptor.canonical === descriptor.canonical) return;
      const held = this.holds.isStopped(name);
      this.world.log.info(held ? 'descriptor changed (stopped by request: it stays down)' : 'descriptor changed, restarting with the new definition', { proc: name });
      this.triggers.disarm(name);
      this.renew(current, descriptor);
      this.arm(current);
    } else if (this.leaving.has(name)) {
      // Re-added while it was being stopped: keep the instance, start it again with this definition.
      const returning = this.leaving.get(name)!;
      this.leaving.delete(name);
      this.procs.set(name, returning);
      this.world.log.info('descriptor added back', { proc: name });
      this.renew(returning, descriptor);
      this.arm(returning);
      return;
    } else {
      const p = new SupervisedProcess(name, descriptor, this.policy, this.world);
      const warning = budgetWarning(p, this.stopBudgetMs);
      if (warning) this.world.log.warn(warning.message, warning.fields);
      this.procs.set(name, p);
      p.changes.on(() => this.changed(p));
      p.unhealthy.on((detail) => this.end(criticalUnhealthy(p, detail)));
      this.world.log.info(descriptor.schedule ? 'descriptor added (scheduled)' : 'descriptor added', { proc: name });
      this.arm(p);
    }
    this.startWhatIsReady();
  }

  // Applies a whole scan of the config directory before deciding what can start (so that "after"
  // does not name a process that is merely later in the scan).
  batch(fn: () => void): void {
    const outer = this.batching;
    this.batching = true;
    try {
      fn();
    } finally {
      this.batching = outer;
    }
    if (!outer) this.startWhatIsReady();
  }

  // A new definition for a defined process: taken at its next start when it is held down, never
  // started or scheduled; else the process is started again with it (at once if it is down).
  private renew(p: SupervisedProcess, descriptor: Descriptor): void {
    if (p.phase === 'idle' || descriptor.schedule || this.holds.isStopped(p.name)) p.redefine(descriptor);
    else p.renew(descriptor);
  }

  // After any change of a process: wake waiters, start processes whose dependencies became ready,
  // and end colony when a critical process has ended for good.
  private changed(p: SupervisedProcess): void {
    this.processChanged.emit(p);
    this.notify();
    if (this.shuttingDown) return;
    if (this.procs.get(p.name) === p && this.end(criticalEnded(p))) return;
    if (p.ready) this.startWhatIsReady();
    this.checkMainGate();
  }

  // colony ends on its own (once: the shutdown ignores later endings); false when there is no ending.
  private end(e: Ending | undefined): boolean {
    if (!e || this.shuttingDown) return false;
    this.world.log.error(e.message, e.fields);
    this.finished.emit({ code: e.code, reason: e.reason });
    return true;
  }

  // Starts every process that has not started yet and whose "after" processes are all ready.
  private startWhatIsReady(): void {
    if (this.shuttingDown || this.batching) return;
    this.order.pass(() => {
      if (this.shuttingDown) return;
      this.selection.follow({ log: this.world.log, procs: this.procs, isArmed: (n) => this.triggers.isArmed(n), arm: (p) => this.arm(p), disarm: (n) => this.triggers.disarm(n) });
      this.order.startReady(this.selected().filter((p) => p.phase === 'idle' && !p.descriptor.schedule && !this.holds.hold(p.name, p.descriptor)), this.procs);
    });
  }

  // Schedules and watched files of a process (none for a process --only leaves out or that is held down).
  private arm(p: SupervisedProcess): void {
    if (this.isSelected(p.name) && !this.holds.hold(p.name, p.descriptor) && !this.triggers.isArmed(p.name)) this.triggers.arm(p);
  }

  // Acts on a message: refused and why, or carried out and which processes it restarts.
  handle(message: Message): Outcome {
    return carryOut(message, {
      shuttingDown: this.shuttingDown,
      main: this.main?.process,
      named: (name) => (this.procs.has(name) ? [this.procs.get(name)!] : instancesOf(name, this.procs)),
      isSelected: (name) => this.isSelected(name),
      selected: () => this.selected(),
      only: this.selection.only !== undefined,
      hold: (p) => this.holds.hold(p.name, p.descriptor),
      stopByRequest: (p) => (this.holds.stop(p.name), this.triggers.disarm(p.name), p.stop()),
      startByRequest: (p) => (this.holds.start(p.name), this.arm(p)),
    });
  }

  // The config directory's processes that --only selects (all of them without --only).
  private selected(): SupervisedProcess[] {
    return [...this.procs.values()].filter((p) => this.isSelected(p.name));
  }

  // Passes a signal colony received on, unchanged: to the main command (false when it is not
  // running), or to every process's main pid.
  forward(signal: NodeJS.Signals, to: 'main' | 'all'): boolean {
    if (to === 'main') return forwardToMain(signal, this.main?.process, this.world.log);
    forwardToAll(signal, this.all(), this.world.log);
    return true;
  }

  // After a reap: process groups being drained may be empty now.
  reaped(): void {
    for (const p of this.all()) p.checkGroup();
    this.notify();
  }

  // Stops everything (shutdown.ts), then the adopted orphans; resolves with colony's exit code:
  // `code` when given, else the main command's (0 without one: a requested stop is not a failure).
  shutdown(reason: string, requested: boolean, code?: number, received?: NodeJS.Signals): Promise<number> {
    if (this.shutdownPromise) return this.shutdownPromise;
    this.world.log.info(`shutting down: ${reason}`);
    // Assigned before any process is stopped: stopping them calls back into this object.
    let resolve!: (code: number) => void;
    this.shutdownPromise = new Promise<number>((r) => (resolve = r));
    this.runShutdown(received).then(
      () => {
        const result = code ?? this.main?.exitCode(requested) ?? 0;
        this.world.log.info('all processes stopped', { exit_code: result });
        resolve(result);
      },
      (err: unknown) => {
        this.world.log.error('shutdown failed', { error: String(err) });
        resolve(EXIT_SYSTEM);
      },
    );
    return this.shutdownPromise;
  }

  private runShutdown(received: NodeJS.Signals | undefined): Promise<void> {
    this.main?.cancel();
    this.triggers.disarmAll();
    return shutDown(this.all(), { received, budget: new Budget(this.world.clock, this.stopBudgetMs), killTimeMs: this.policy.killTimeMs, waits: this.waits, world: this.world });
  }

  private notify(): void {
    this.changes.emit();
    this.waits.poke();
  }
}
