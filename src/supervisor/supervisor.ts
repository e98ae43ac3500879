// Reconciles the desired state (the config directory, the main command) with running processes;
// acts on messages and signals; runs the shutdown and decides colony's exit code.
import type { Clock } from '../common/clock.ts';
import { commandDescriptor, PROBE_DEFAULTS, type Descriptor } from '../descriptor/parse.ts';
import { EXIT_OK, EXIT_SYSTEM } from '../common/errors.ts';
import { MainGate } from '../main-command/gate.ts';
import type { Message } from '../messages/message.ts';
import { describeExit, exitCode } from '../process/exit-status.ts';
import type { Policy } from '../process/state.ts';
import { SupervisedProcess, type ProcessWorld } from '../process/supervised.ts';
import { procStat } from '../system/reaper.ts';
import { Scheduler } from '../schedule/schedule.ts';
import { selectedNames } from './selection.ts';
import { SHUTDOWN_SIGNALS } from '../system/signals.ts';
import type { FSWatcher } from 'chokidar';

// The name the main command (Docker's CMD, given after `--`) runs under.
export const MAIN_NAME = 'main';

// How the main command is run: its output to colony's stdout/stderr ('inherit') or to the log, and
// whether it gets the terminal.
export interface MainIo {
  output: 'inherit' | 'log';
  terminal: boolean;
}

export interface SupervisorWorld extends ProcessWorld {
  // colony's children it did not spawn (adopted orphans).
  adopted(): number[];
}

export class Supervisor {
  private readonly procs = new Map<string, SupervisedProcess>();
  // Processes whose descriptor was removed, until they have stopped.
  private readonly leaving = new Map<string, SupervisedProcess>();
  private main: SupervisedProcess | undefined;
  private readonly world: SupervisorWorld;
  private readonly policy: Policy;
  private shutdownPromise: Promise<number> | undefined;
  private shutdownRequested = false;
  private mainClashReported = false;
  // Problems with "after" (unknown names, cycles) last reported per process, to report each once.
  private readonly orderProblems = new Map<string, string>();
  private readonly waitingReported = new Map<string, string>();
  private readonly schedulers = new Map<string, Scheduler>();
  private readonly watchers = new Map<string, { watcher: FSWatcher | undefined; timer: ReturnType<typeof setTimeout> | undefined; closed: boolean }>();
  private readonly runTimers = new Map<string, ReturnType<Clock['setTimeout']>>();
  private batching = false;
  // The whole shutdown's budget (--stop-timeout): each process gets min(its kill time, what is left).
  stopBudgetMs = Infinity;
  private readonly budgetWarned = new Set<string>();
  private readonly finalWaiters = new Set<() => void>();
  // Called once when colony should end on its own (the main process ended).
  onFinished: ((code: number, reason: string) => void) | undefined;
  // --only: the names asked for (undefined: every process runs), and what that selects now.
  private readonly only: readonly string[] | undefined;
  private selection: Set<string> | undefined;
  private readonly leftOutReported = new Set<string>();
  // Processes stopped because --only stopped selecting them (started again if it selects them again).
  private readonly deselected = new Set<string>();
  // With --only, the main command waits for what it selects to be ready (see main-command/gate.ts).
  private mainGate: MainGate | undefined;
  private scanned = false;

  constructor(policy: Policy, world: SupervisorWorld, only?: readonly string[]) {
    this.policy = policy;
    this.world = world;
    this.only = only;
  }

  // Whether a process of the config directory may run (--only selects it, or there is no --only).
  isSelected(name: string): boolean {
    if (this.only === undefined) return true;
    this.selection ??= selectedNames(this.only, (n) => this.procs.get(n)?.descriptor.after);
    return this.selection.has(name);
  }

  // Names given to --only that no descriptor defines.
  unknownOnly(): string[] {
    return (this.only ?? []).filter((n) => !this.procs.has(n));
  }

  // The main command has been started and has not ended.
  get mainRunning(): boolean {
    return this.main !== undefined && this.main.phase !== 'idle' && !this.main.isFinal;
  }

  get shuttingDown(): boolean {
    return this.shutdownPromise !== undefined;
  }

  // All supervised processes, the main one included.
  all(): SupervisedProcess[] {
    return [...(this.main ? [this.main] : []), ...this.procs.values(), ...this.leaving.values()];
  }

  get(name: string): SupervisedProcess | undefined {
    return name === MAIN_NAME && this.main ? this.main : this.procs.get(name);
  }

  // Starts the main command; when it ends, colony stops everything and exits with its code. It reads
  // colony's stdin and, unless its output goes to the log, writes to colony's stdout and stderr; on a
  // terminal it is the terminal's foreground (see spawner.ts). A shutdown signal colony receives is
  // the signal it gets (SIGQUIT stops it with SIGQUIT).
  startMain(args: string[], raw: string, io: MainIo = { output: 'log', terminal: false }): void {
    const inherit = io.output === 'inherit';
    const d: Descriptor = {
      ...commandDescriptor(args, raw),
      ...(inherit ? { output: { kind: 'inherit' }, pythonUnbuffered: false } : {}), // its stdout is not a pipe of colony's
      signals: Object.fromEntries(SHUTDOWN_SIGNALS.map((s) => [s, s])),
    };
    const main = new SupervisedProcess(MAIN_NAME, d, { ...this.policy, restart: 'never', exitIsResult: true }, this.world, { stdin: 'inherit', terminal: io.terminal });
    this.main = main;
    if (this.only !== undefined && this.only.length > 0) {
      this.mainGate = new MainGate({ clock: this.world.clock, log: this.world.log, boundMs: () => this.readyBoundMs(), open: () => main.start() });
      this.world.log.info(`the main command starts once ${this.only.join(', ')} (--only) and what they are "after" are ready`);
    }
    let reported = false;
    main.onChange((p) => {
      this.notify();
      if (p.phase === 'exited' && !this.shuttingDown && !reported) {
        reported = true;
        const status = p.snapshot.lastExit!;
        this.world.log.info(`main process ended (${describeExit(status)}), stopping everything`);
        this.onFinished?.(exitCode(status), 'the main command ended');
      }
    });
    if (!this.mainGate) main.start();
  }

  // The config directory's first scan is applied: the processes the main command waits for are known.
  firstScanDone(): void {
    this.scanned = true;
    this.checkMainGate();
  }

  // The selected processes not ready yet (ended ones excepted: they will not be), to the main command's gate.
  private checkMainGate(): void {
    if (!this.mainGate || this.shuttingDown) return;
    const waiting = this.selected().filter((p) => !p.descriptor.schedule && !p.ready && !p.isFinal);
    this.mainGate.check(this.scanned ? waiting.map((p) => p.name) : undefined);
  }

  // The longest the main command waits: the longest chain of readiness timeouts along "after" among
  // the selected processes (each waits for the ones before it), and never less than the default one (60 s).
  private readyBoundMs(): number {
    const chain = new Map<string, number>();
    const along = (p: SupervisedProcess, seen: Set<string>): number => {
      const known = chain.get(p.name);
      if (known !== undefined) return known;
      seen.add(p.name);
      const before = p.descriptor.after.map((d) => this.procs.get(d)).filter((q): q is SupervisedProcess => q !== undefined && !seen.has(q.name));
      const ms = (p.descriptor.ready?.timeoutMs ?? 0) + Math.max(0, ...before.map((q) => along(q, seen)));
      seen.delete(p.name);
      chain.set(p.name, ms);
      return ms;
    };
    return Math.max(PROBE_DEFAULTS.readyTimeoutMs, ...this.selected().map((p) => along(p, new Set())));
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
    this.selection = undefined; // "after" lists may change what --only selects
    if (descriptor === null) {
      if (!current) return;
      this.procs.delete(name);
      this.leaving.set(name, current);
      this.disarm(name);
      this.world.log.info('descriptor removed, stopping for good', { proc: name });
      current.stop();
      this.forgetWhenFinal(name, current);
      this.startWhatIsReady();
      return;
    }
    if (current) {
      if (current.descriptor.canonical === descriptor.canonical) return;
      this.world.log.info('descriptor changed, restarting with the new definition', { proc: name });
      this.disarm(name);
      if (current.phase === 'idle' || descriptor.schedule) current.redefine(descriptor);
      else redefine(current, descriptor);
      this.arm(current);
      this.startWhatIsReady();
      return;
    }
    const returning = this.leaving.get(name);
    if (returning) {
      // Re-added while it was being stopped: keep the instance, start it again with this definition.
      this.leaving.delete(name);
      this.procs.set(name, returning);
      this.world.log.info('descriptor added back, restarting', { proc: name });
      redefine(returning, descriptor);
      this.arm(returning);
      return;
    }
    const p = new SupervisedProcess(name, descriptor, this.policy, this.world);
    this.warnBudget(p);
    this.procs.set(name, p);
    p.onChange(() => this.changed(p));
    p.onUnhealthy = (proc, detail) => this.unhealthy(proc, detail);
    this.world.log.info(descriptor.schedule ? 'descriptor added (scheduled)' : 'descriptor added', { proc: name });
    this.arm(p);
    this.startWhatIsReady();
  }

  // Once per process: a kill time that cannot fit the shutdown budget (it will get what is left).
  private warnBudget(p: SupervisedProcess): void {
    if (p.policy.killTimeMs <= this.stopBudgetMs || this.budgetWarned.has(p.name)) return;
    this.budgetWarned.add(p.name);
    this.world.log.warn(`kill time ${p.policy.killTimeMs / 1000} s cannot fit the ${this.stopBudgetMs / 1000} s shutdown budget (--stop-timeout): at shutdown it gets what is left of the budget`, { proc: p.name, ...(p.descriptor.source ? { file: p.descriptor.source, field: 'kill_time' } : {}) });
  }

  // After any change of a process: wake waiters, start processes whose dependencies became ready,
  // and end colony when a critical process has ended for good.
  private changed(p: SupervisedProcess): void {
    this.notify();
    if (this.shuttingDown) return;
    if (p.descriptor.critical && !p.descriptor.schedule && (p.phase === 'exited' || p.phase === 'failed') && this.procs.get(p.name) === p) {
      const status = p.snapshot.lastExit;
      const code = status ? exitCode(status) : 1;
      this.world.log.error(`critical process ${p.phase === 'failed' ? 'failed' : `ended (${status ? describeExit(status) : 'unknown'})`} and will not be restarted: stopping everything`, { proc: p.name, exit_code: code });
      this.onFinished?.(code, `critical process ${p.name} ended`);
      return;
    }
    if (p.ready) this.startWhatIsReady();
    this.checkMainGate();
  }

  private unhealthy(p: SupervisedProcess, detail: string): void {
    if (!p.descriptor.critical || this.shuttingDown) return;
    this.world.log.error(`critical process is unhealthy (${detail}): stopping everything`, { proc: p.name, exit_code: 1 });
    this.onFinished?.(1, `critical process ${p.name} is unhealthy`);
  }

  // Problems in the "after" graph: unknown names and cycles, per process (only those processes are affected).
  private orderErrors(): Map<string, string> {
    const errors = new Map<string, string>();
    for (const p of this.procs.values()) {
      const unknown = p.descriptor.after.filter((d) => !this.procs.has(d));
      if (unknown.length > 0) errors.set(p.name, `"after" names no such process: ${unknown.map((u) => JSON.stringify(u)).join(', ')}`);
    }
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (name: string): void => {
      if (state.get(name) === 'done') return;
      if (state.get(name) === 'visiting') {
        const cycle = stack.slice(stack.indexOf(name));
        for (const n of cycle) errors.set(n, `"after" makes a cycle: ${[...cycle, name].join(' → ')}`);
        return;
      }
      state.set(name, 'visiting');
      stack.push(name);
      for (const d of this.procs.get(name)?.descriptor.after ?? []) if (this.procs.has(d)) visit(d);
      stack.pop();
      state.set(name, 'done');
    };
    for (const name of this.procs.keys()) visit(name);
    return errors;
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

  // Starts every process that has not started yet and whose "after" processes are all ready.
  private startWhatIsReady(): void {
    if (this.shuttingDown || this.batching) return;
    if (this.only !== undefined) this.followSelection();
    // The common case after start-up: nothing waits to start, so the "after" graph need not be walked
    // (this runs on every change of a ready process).
    if (![...this.procs.values()].some((p) => p.phase === 'idle' && !p.descriptor.schedule && this.isSelected(p.name))) return;
    const errors = this.orderErrors();
    for (const p of this.procs.values()) {
      if (p.phase !== 'idle' || p.descriptor.schedule || !this.isSelected(p.name)) continue;
      const problem = errors.get(p.name);
      if (problem) {
        if (this.orderProblems.get(p.name) !== problem) this.world.log.error(`not started: ${problem}`, { proc: p.name, ...(p.descriptor.source ? { file: p.descriptor.source, field: 'after' } : {}) });
        this.orderProblems.set(p.name, problem);
        continue;
      }
      this.orderProblems.delete(p.name);
      const waiting = p.descriptor.after.filter((d) => !this.procs.get(d)!.ready);
      if (waiting.length > 0) {
        const text = waiting.join(', ');
        if (this.waitingReported.get(p.name) !== text) this.world.log.info(`waiting for ${text} to be ready`, { proc: p.name });
        this.waitingReported.set(p.name, text);
        continue;
      }
      this.waitingReported.delete(p.name);
      p.start();
    }
  }

  // Once --only's selection is known (after a whole scan): each process it leaves out is said once,
  // and follows it as it changes (an "after" list edited): one it no longer selects is stopped and
  // disarmed, one it has come to select is armed, and started again if it was stopped that way.
  private followSelection(): void {
    for (const p of this.procs.values()) {
      if (!this.isSelected(p.name)) {
        const up = p.phase !== 'idle' && !p.isFinal;
        if (!this.leftOutReported.has(p.name)) this.world.log.info(up ? 'no longer selected by --only: stopping' : 'left out by --only: not started', { proc: p.name });
        this.leftOutReported.add(p.name);
        if (this.schedulers.has(p.name) || this.watchers.has(p.name)) this.disarm(p.name);
        if (up) {
          p.stop();
          if (!p.descriptor.schedule) this.deselected.add(p.name);
        }
        continue;
      }
      this.leftOutReported.delete(p.name);
      if (!this.schedulers.has(p.name) && !this.watchers.has(p.name)) this.arm(p);
      if (this.deselected.has(p.name) && p.isFinal && p.descriptor.after.every((d) => this.procs.get(d)?.ready)) {
        this.deselected.delete(p.name);
        this.world.log.info('selected by --only again: starting', { proc: p.name });
        p.start();
      }
    }
  }

  // Schedules and watched files of a process (none for a process --only leaves out).
  private arm(p: SupervisedProcess): void {
    if (!this.isSelected(p.name)) return;
    const d = p.descriptor;
    if (d.schedule) {
      const timeoutMs = d.schedule.timeoutMs;
      const sch = new Scheduler({
        schedule: d.schedule,
        clock: this.world.clock,
        isRunning: () => !p.isFinal && p.phase !== 'idle',
        onSkip: (due) => this.world.log.warn(`scheduled run at ${due.toISOString()} skipped: the previous run is still going`, { proc: p.name }),
        run: () => {
          this.world.log.info('scheduled run', { proc: p.name, next: sch.next?.toISOString() });
          const old = this.runTimers.get(p.name);
          if (old) this.world.clock.clearTimeout(old);
          this.runTimers.delete(p.name);
          p.start();
          const run = p.snapshot.starts;
          if (timeoutMs !== undefined) {
            const t = this.world.clock.setTimeout(() => {
              this.runTimers.delete(p.name);
              // Only the run this timer was set for: a later run has its own.
              if (!p.isFinal && p.snapshot.starts === run) {
                this.world.log.warn(`scheduled run still going after its ${timeoutMs / 1000} s timeout: stopping it`, { proc: p.name });
                p.stop();
              }
            }, timeoutMs);
            this.runTimers.set(p.name, t);
          }
        },
      });
      this.schedulers.set(p.name, sch);
      sch.start();
      this.world.log.info('scheduled', { proc: p.name, next: sch.next?.toISOString() });
    }
    if (d.watch) {
      const w = d.watch;
      const entry = { watcher: undefined as FSWatcher | undefined, timer: undefined as ReturnType<typeof setTimeout> | undefined, closed: false };
      this.watchers.set(p.name, entry);
      // chokidar and picomatch are loaded on first use: most colonies watch no files, and start faster without them.
      void Promise.all([import('chokidar'), import('picomatch')]).then(([{ watch }, { default: picomatch }]) => {
        if (entry.closed) return;
        // chokidar watches paths, not globs: watch each glob's base directory, keep events that match.
        const scans = w.paths.map((g) => picomatch.scan(g));
        const bases = [...new Set(scans.map((x) => (x.isGlob ? x.base || '.' : x.input)))];
        const matchers = w.paths.map((g, i) => (scans[i]!.isGlob ? picomatch(g, { dot: true }) : (path: string) => path === g || path.startsWith(`${g}/`)));
        entry.watcher = watch(bases, { ignoreInitial: true, persistent: true, ignorePermissionErrors: true });
        entry.watcher.on('all', (event, path) => {
          if (!matchers.some((m) => m(path))) return;
          if (entry.timer) clearTimeout(entry.timer);
          entry.timer = setTimeout(() => {
            entry.timer = undefined;
            if (this.shuttingDown || p.phase === 'idle') return;
            this.world.log.info(`watched file changed (${event} ${path}): ${w.action === 'reload' ? 'reloading' : 'restarting'}`, { proc: p.name });
            if (w.action === 'reload') p.reload();
            else p.restart();
          }, w.debounceMs);
        });
        entry.watcher.on('error', (err) => this.world.log.error('watching files failed', { proc: p.name, error: String(err) }));
      });
    }
  }

  private disarm(name: string): void {
    this.schedulers.get(name)?.stop();
    this.schedulers.delete(name);
    const t = this.runTimers.get(name);
    if (t) this.world.clock.clearTimeout(t);
    this.runTimers.delete(name);
    const w = this.watchers.get(name);
    if (w) {
      w.closed = true;
      if (w.timer) clearTimeout(w.timer);
      void w.watcher?.close();
    }
    this.watchers.delete(name);
  }

  private forgetWhenFinal(name: string, p: SupervisedProcess): void {
    const check = (): void => {
      if (p.isFinal && this.leaving.get(name) === p) this.leaving.delete(name);
    };
    p.onChange(check);
    check();
  }

  // Acts on a message; returns why it cannot be carried out, or undefined when it was.
  handle(message: Message): string | undefined {
    if (this.shuttingDown) return 'colony is shutting down';
    switch (message.type) {
      case 'RESTART': {
        if (message.name === MAIN_NAME && this.main) return 'the main command cannot be restarted (its end is the end of colony)';
        const p = this.procs.get(message.name);
        if (!p) return `no process named "${message.name}"`;
        if (!this.isSelected(p.name)) return leftOut(p.name);
        p.restart();
        return undefined;
      }
      case 'RELOAD': {
        const p = this.procs.get(message.name);
        if (!p) return `no process named "${message.name}"`;
        if (!this.isSelected(p.name)) return leftOut(p.name);
        p.reload();
        return undefined;
      }
      case 'RESTART-ALL':
        for (const p of this.selected()) p.restart();
        return undefined;
      case 'RESTART-GROUP': {
        const members = this.selected().filter((p) => p.groups.includes(message.group));
        if (members.length === 0) return `no process in group "${message.group}"${this.only === undefined ? '' : ' that --only selects'}`;
        for (const p of members) p.restart();
        return undefined;
      }
      case 'SIGNAL': {
        if ('name' in message) {
          const p = this.get(message.name);
          if (!p) return `no process named "${message.name}"`;
          if (p !== this.main && !this.isSelected(p.name)) return leftOut(p.name);
          return p.signal(message.signal) ? undefined : `process "${message.name}" is not running (${p.phase})`;
        }
        const members = this.selected().filter((p) => p.groups.includes(message.group));
        if (members.length === 0) return `no process in group "${message.group}"`;
        const sent = members.filter((p) => p.signal(message.signal)).length;
        return sent > 0 ? undefined : `no process in group "${message.group}" is running`;
      }
    }
  }

  // The processes a message would restart (for acknowledgements: ctl --wait waits for them to run again).
  restartTargets(message: Message): SupervisedProcess[] {
    switch (message.type) {
      case 'RESTART':
        return [this.procs.get(message.name)].filter((p): p is SupervisedProcess => p !== undefined && this.isSelected(p.name));
      case 'RELOAD': {
        const p = this.procs.get(message.name);
        return p && this.isSelected(p.name) && !(p.descriptor.reloadSignal && p.phase === 'running') ? [p] : [];
      }
      case 'RESTART-ALL':
        return this.selected().filter((p) => !p.descriptor.schedule);
      case 'RESTART-GROUP':
        return this.selected().filter((p) => p.groups.includes(message.group) && !p.descriptor.schedule);
      case 'SIGNAL':
        return [];
    }
  }

  // The config directory's processes that --only selects (all of them without --only).
  private selected(): SupervisedProcess[] {
    return [...this.procs.values()].filter((p) => this.isSelected(p.name));
  }

  // Passes a signal colony received on to the main command, unchanged; false when it is not running.
  forwardToMain(signal: NodeJS.Signals): boolean {
    const sent = this.main?.signal(signal) ?? false;
    if (sent) this.world.log.info(`forwarded ${signal} to the main command`);
    return sent;
  }

  // Passes a signal colony received on to every process's main pid.
  forward(signal: NodeJS.Signals): void {
    const sent: string[] = [];
    for (const p of this.all()) {
      const map = p.descriptor.signals;
      const target = map && signal in map ? map[signal] : signal;
      if (target && p.signal(target)) sent.push(target === signal ? p.name : `${p.name} (as ${target})`);
    }
    this.world.log.info(`forwarded ${signal}`, { to: sent });
  }

  // After a reap: process groups being drained may be empty now.
  reaped(): void {
    for (const p of this.all()) p.checkGroup();
    this.notify();
  }

  // Stops everything in parallel (stop signal, kill time, SIGKILL), then the adopted orphans; resolves with the exit code.
  shutdown(reason: string, requested: boolean, code?: number, received?: NodeJS.Signals): Promise<number> {
    if (this.shutdownPromise) return this.shutdownPromise;
    this.shutdownRequested = requested;
    this.world.log.info(`shutting down: ${reason}`);
    // Assigned before any process is stopped: stopping them calls back into this object.
    let resolve!: (code: number) => void;
    this.shutdownPromise = new Promise<number>((r) => (resolve = r));
    this.runShutdown(code, received).then(resolve, (err: unknown) => {
      this.world.log.error('shutdown failed', { error: String(err) });
      resolve(EXIT_SYSTEM);
    });
    return this.shutdownPromise;
  }

  private shutdownDeadline = Infinity;

  private budgetLeft(): number {
    return this.shutdownDeadline - this.world.clock.now();
  }

  private async runShutdown(code: number | undefined, received: NodeJS.Signals | undefined): Promise<number> {
    this.shutdownDeadline = this.world.clock.now() + this.stopBudgetMs;
    this.mainGate?.cancel();
    for (const name of [...this.schedulers.keys(), ...this.watchers.keys()]) this.disarm(name);
    // Reverse dependency order: a process is stopped once nothing that starts "after" it is still up;
    // processes without such ties are stopped at once, in parallel.
    const all = this.all();
    const pending = new Set(all);
    const deadline = this.world.clock.now() + this.stopBudgetMs;
    const left = (): number => Math.max(0, deadline - this.world.clock.now());
    const stopWhatCan = (): void => {
      for (const p of [...pending]) {
        if (all.some((q) => q !== p && !q.isFinal && q.descriptor.after.includes(p.name))) continue;
        pending.delete(p);
        const map = p.descriptor.signals;
        const mapped = received && map && received in map ? map[received] : undefined;
        p.stop(mapped ?? undefined, Math.min(p.policy.killTimeMs, left()));
      }
    };
    stopWhatCan();
    const inTime = await this.until(() => {
      stopWhatCan();
      return all.every((p) => p.isFinal);
    }, this.stopBudgetMs);
    if (!inTime) {
      const late = all.filter((p) => !p.isFinal);
      this.world.log.warn(`the ${this.stopBudgetMs / 1000} s shutdown budget is spent: SIGKILL to what is left`, { procs: late.map((p) => p.name) });
      for (const p of late) {
        if (pending.has(p)) p.stop(undefined, 0);
        p.killNow();
      }
      await this.until(() => all.every((p) => p.isFinal), 2000);
    }
    await this.stopAdopted();
    // Lines still in the pipes of processes that have exited: read them before exiting (bounded:
    // a process outside colony's reach may hold a pipe open).
    await this.until(() => this.all().every((p) => p.outputOpen === 0), 2000);
    const result = code ?? this.exitCode();
    this.world.log.info('all processes stopped', { exit_code: result });
    return result;
  }

  // The exit code: the main command's in main mode, else 0 (a requested stop is not a failure).
  private exitCode(): number {
    const status = this.main?.snapshot.lastExit;
    if (!this.main || !status) return EXIT_OK;
    // The main command killed by the stop signal colony passed on after `docker stop` ended as asked.
    if (this.shutdownRequested && status.signal && (SHUTDOWN_SIGNALS as readonly string[]).concat(this.policy.stopSignal).includes(status.signal)) return EXIT_OK;
    return exitCode(status);
  }

  // Orphans colony adopted: SIGTERM, the kill time, then SIGKILL; each is reaped as it ends.
  private async stopAdopted(): Promise<void> {
    const orphans = this.world.adopted().filter((pid) => !isZombie(pid));
    if (orphans.length === 0) return;
    this.world.log.info(`stopping ${orphans.length} adopted orphan process(es)`, { pids: orphans.slice(0, 20) });
    for (const pid of orphans) this.kill(pid, 'SIGTERM');
    const gone = await this.until(() => this.world.adopted().every(isZombie), Math.min(this.policy.killTimeMs, Math.max(0, this.stopBudgetMs === Infinity ? Infinity : this.budgetLeft())));
    if (!gone) {
      const left = this.world.adopted().filter((pid) => !isZombie(pid));
      this.world.log.warn(`${left.length} adopted orphan(s) still running after the kill time, sending SIGKILL`, { pids: left.slice(0, 20) });
      for (const pid of left) this.kill(pid, 'SIGKILL');
      await this.until(() => this.world.adopted().every(isZombie), 1000);
    }
  }

  private kill(pid: number, signal: NodeJS.Signals): void {
    try {
      this.world.kill(pid, signal);
    } catch {
      // gone already
    }
  }

  private readonly changeListeners: Array<() => void> = [];

  // Called after any change of any process (the status file listens).
  onAnyChange(cb: () => void): void {
    this.changeListeners.push(cb);
  }

  // The scheduler's next run of a scheduled process.
  nextRun(name: string): Date | undefined {
    return this.schedulers.get(name)?.next;
  }

  private notify(): void {
    for (const cb of this.changeListeners) cb();
    for (const w of [...this.finalWaiters]) w();
  }

  // Resolves true when cond() holds (checked on every change and every 20 ms), false at the deadline.
  private until(cond: () => boolean, deadlineMs = Infinity): Promise<boolean> {
    return new Promise((resolve) => {
      if (cond()) return resolve(true);
      const clock = this.world.clock;
      const started = clock.now();
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const check = (): void => {
        if (cond()) finish(true);
        else if (clock.now() - started >= deadlineMs) finish(false);
      };
      const tick = (): void => {
        timer = clock.setTimeout(() => {
          check();
          if (timer) tick();
        }, 20);
      };
      const finish = (ok: boolean): void => {
        this.finalWaiters.delete(check);
        if (timer) clock.clearTimeout(timer);
        timer = undefined;
        resolve(ok);
      };
      this.finalWaiters.add(check);
      tick();
    });
  }
}

function leftOut(name: string): string {
  return `process "${name}" is left out by --only (COLONY_ONLY)`;
}

// Gives a process a new definition: started again with it (at once if it is down, after a stop if it runs).
function redefine(p: SupervisedProcess, descriptor: Descriptor): void {
  if (p.isFinal) {
    p.redefine(descriptor);
    p.start();
  } else p.replace(descriptor);
}

// A zombie has ended but not been reaped; the reaper takes care of it. A process that is gone counts too.
function isZombie(pid: number): boolean {
  const fields = procStat(pid);
  return fields === undefined || fields[0] === 'Z';
}
