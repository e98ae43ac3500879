// `colony run`: the supervisor's world (spawn, kill, clock, log, libc, process signals) and its life
// until a shutdown signal or the end of the main command. Loaded by main.ts only for `run`, so that the
// ctl commands start without it.
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isatty } from 'node:tty';
import { onExit } from 'signal-exit';
import { Acks } from './messages/acks.ts';
import { writeNote } from './messages/note.ts';
import { realClock } from './common/clock.ts';
import { ConfigDir } from './descriptor/directory.ts';
import { describeError } from './common/errors.ts';
import { loadLibc } from './system/libc.ts';
import { createLog, type RealLog } from './log/logger.ts';
import { KeptLogs, LOGS_DIR, type KeptWriter } from './log/kept.ts';
import { LineBatch } from './log/lines.ts';
import { EVENTS_BYTES, EVENTS_NAME, EventWatch, type ProcessFacts } from './status/events.ts';
import { MessagesDir } from './messages/watcher.ts';
import type { RunOptions } from './cli/options.ts';
import { defaultPolicy } from './process/policy.ts';
import { childSpawner } from './process/spawner.ts';
import { groupHasLive, listChildren, procInfo, procStart, procStat } from './system/proc.ts';
import { MemoryTrim, v8Trim } from './system/memory-trim.ts';
import { createReaper, type ExitWatch } from './system/reaper.ts';
import { NotifyHub } from './process/notify.ts';
import type { Successors } from './process/world.ts';
import { HookRunner } from './process/hooks.ts';
import { startHook } from './process/hook-spawn.ts';
import { filePolicyFrom } from './system/security.ts';
import { launcherCommand } from './system/self.ts';
import { handledSignals, signalAction } from './system/signals.ts';
import { processStatus, StatusFile } from './status/file.ts';
import { Replicas } from './supervisor/replicas.ts';
import { MAIN_NAME, Supervisor } from './supervisor/supervisor.ts';
import type { SupervisedProcess } from './process/supervised.ts';
import type { ProcessView } from './metrics/registry.ts';
import { ignoreJobControlSignals, takeBackTerminal, terminalRefusal } from './main-command/terminal.ts';

// Runs colony with these options, its log on fd 1 (fd 2 beside a main command that has the stdout); resolves with the exit code once everything it wrote is out.
export async function runColony(o: RunOptions, version: string): Promise<number> {
  const log = createLog(o.logFormat, 'info', o.logFd, o.logOnly);
  const last = (what: string) => (err: unknown) => log.fatal(`${what} (colony keeps running)`, { error: describeError(err), stack: err instanceof Error ? err.stack : undefined });
  process.on('uncaughtException', last('uncaught exception'));
  process.on('unhandledRejection', last('unhandled promise rejection'));
  try {
    return await run(o, log, version);
  } catch (err) {
    log.fatal(describeError(err));
    throw Object.assign(err instanceof Error ? err : new Error(String(err)), { logged: true });
  } finally {
    await log.end(); // every line written before colony exits
  }
}

// `colony run`: supervises until a shutdown signal or the end of the main command; resolves with the exit code.
async function run(o: RunOptions, log: RealLog, version: string): Promise<number> {
  const isPid1 = process.pid === 1;
  const own = new Set<number>();
  const clock = realClock();
  const kill = (pid: number, sig: NodeJS.Signals | 0): void => {
    process.kill(pid, sig);
  };
  let libc;
  try {
    libc = loadLibc();
  } catch (err) {
    log.error("cannot load libc through koffi: orphans will not be reaped (and output goes through Node's socketpairs, slower than pipes)", { error: describeError(err) });
  }
  // The main command gets the terminal when colony has one and is its foreground (docker run -it).
  const refusal = o.main ? terminalRefusal(libc, isatty(0)) : 'no main command';
  const terminal = refusal === undefined;
  if (o.main && isatty(0) && !terminal) log.warn(`the main command reads the terminal but is not its foreground (no job control, no Ctrl-C from it): ${refusal}`);
  // colony writing its log to a terminal from the background (the command has it, or colony was put
  // there by a shell): SIGTTIN and SIGTTOU are ignored, not forwarded (src/system/signals.ts says why).
  const jobControlIgnored = libc !== undefined && (terminal || isatty(o.logFd));
  if (jobControlIgnored) ignoreJobControlSignals(libc!);
  const world = { clock, spawn: childSpawner(libc?.pipe, terminal ? launcherCommand(libc!.getpgrp()) : undefined), kill, env: process.env, log, sink: log.sink, own, adopted: () => listChildren().filter((p) => !own.has(p)), stdoutTaken: o.logFd === 2, keeper: undefined as KeptLogs | undefined, liveInGroup: undefined as typeof groupHasLive | undefined, counts: { relayed: 0, dropped: 0 }, notify: undefined as NotifyHub | undefined, successors: undefined as Successors | undefined };
  const policy = defaultPolicy({ killTimeMs: o.killTimeMs, thresholdMs: o.thresholdMs, minDelayMs: o.minRestartDelayMs, maxDelayMs: o.maxRestartDelayMs });
  const supervisor = new Supervisor(policy, world, o.only);
  supervisor.stopBudgetMs = o.stopTimeoutMs;
  if (o.killTimeMs > o.stopTimeoutMs) log.warn(`--killtime ${o.killTimeMs / 1000} s is longer than the ${o.stopTimeoutMs / 1000} s shutdown budget (--stop-timeout): at shutdown a process gets what is left of the budget`);

  // Reaping. COLONY_REAPER=off exists only to prove, in tests, that the reaper is what reaps.
  let subreaper = false;
  let reaping = false;
  let orphansReaped = 0;
  if (libc) {
    if (process.env.COLONY_REAPER === 'off') log.warn('orphan reaping is OFF (COLONY_REAPER=off): zombies will accumulate');
    else {
      // Main pids taken over from an exited one (process/handover.ts): their exit status is theirs.
      const watched = new Map<number, ExitWatch>();
      const reaper = createReaper(
        libc,
        own,
        log,
        (n) => {
          orphansReaped += n;
          supervisor.reaped();
        },
        listChildren,
        watched,
      );
      process.on('SIGCHLD', () => reaper.schedule());
      reaper.sweep();
      reaping = true;
      world.successors = {
        clock,
        readFile: (path) => readFileSync(path, 'utf8'),
        procState: (pid) => procInfo(pid),
        procGroup: (pid) => procInfo(pid)?.pgrp,
        children: (pid) => listChildren(pid),
        argStart: (pid) => procStat(pid)?.[45],
        self: process.pid,
        taken: (pid) => own.has(pid) || watched.has(pid),
        adopt: (pid, watch) => {
          watched.set(pid, watch);
          reaper.schedule(); // it may have ended already
        },
      };
    }
    if (isPid1) log.info('running as PID 1: reaping orphans');
    else if (libc.setChildSubreaper()) {
      subreaper = true;
      log.info(`not PID 1 (pid ${process.pid}): became a child subreaper, so orphans of its processes are reaped here`);
    }
    else log.warn(`not PID 1 (pid ${process.pid}) and could not become a child subreaper: orphans go to the real init`);
  }
  // Without a reaper, zombies stay in their process groups for good: whether a group still has a live
  // member is then asked of /proc (kill(-pgid, 0) counts zombies). With one, a zombie is reaped and the
  // group checked again, so kill's answer stands and /proc is never scanned.
  if (!reaping) world.liveInGroup = groupHasLive;
  // sd_notify (process/notify.ts): the socket is opened when a process first asks for it.
  if (libc) world.notify = new NotifyHub({ open: (onMessage) => libc.notifySocket(onMessage), procInfo, log, self: process.pid });

  // A main command (a one-off `docker run IMAGE CMD`, maybe as another user) with colony's default
  // directories that cannot be made: the command is what matters. colony says so once, at info, and
  // goes without the state file and the messages directory (ctl cannot reach it).
  const oneOff = (key: 'state' | 'messages' | 'config'): boolean => o.main !== undefined && o.defaulted[key];
  const usable = { state: true, messages: true };
  for (const key of ['state', 'messages'] as const) {
    try {
      mkdirSync(o[key], { recursive: true });
      if (oneOff(key)) accessSync(o[key], constants.W_OK); // there but not colony's to write (another user's)
    } catch (err) {
      if (!oneOff(key)) log.error('cannot create directory', { dir: o[key], error: describeError(err) });
      else {
        usable[key] = false;
        log.info(`no ${key} directory (${describeError(err)}): colony ctl cannot reach this colony`, { dir: o[key] });
      }
    }
  }

  // Each process's recent lines, for ctl logs (log/kept.ts).
  if (usable.state && o.keepLogsBytes > 0) {
    const keeper = new KeptLogs(join(o.state, LOGS_DIR), o.keepLogsBytes, (name, err) => log.warn('cannot keep its lines for ctl logs', { proc: name, dir: keeper.dir, error: describeError(err) }));
    try {
      keeper.clear();
      world.keeper = keeper;
    } catch (err) {
      log.warn('cannot keep the processes\' lines for ctl logs', { dir: keeper.dir, error: describeError(err) });
    }
  }

  // ctl given --messages alone finds the state directory here (ctl/locate.ts).
  if (usable.messages && usable.state) {
    try {
      writeNote(o, process.pid);
    } catch (err) {
      log.warn('cannot write the note for ctl in the messages directory (ctl needs --state too)', { dir: o.messages, error: describeError(err) });
    }
  }

  // When not PID 1, colony may die without running its shutdown (uncatchable signals aside, a signal
  // it does not handle): last-chance SIGKILL of every process group it started. As PID 1 the kernel does that.
  if (!isPid1) {
    onExit(() => {
      for (const p of supervisor.all()) {
        const g = p.processGroup;
        if (g !== undefined && !p.isFinal) {
          try {
            process.kill(-g, 'SIGKILL');
          } catch {
            // gone
          }
        }
      }
    });
  }

  const done = new Promise<number>((resolve) => {
    const finish = (reason: string, requested: boolean, code?: number, received?: NodeJS.Signals): void => {
      void supervisor.shutdown(reason, requested, code, received).then(resolve);
    };
    const main = o.main !== undefined;
    for (const sig of handledSignals({ main, jobControlIgnored })) {
      process.on(sig, () => {
        switch (signalAction(sig, { main, mainRunning: supervisor.mainRunning, shuttingDown: supervisor.shuttingDown })) {
          case 'shutdown':
            return finish(`received ${sig}`, true, undefined, sig);
          case 'broadcast':
            return void supervisor.forward(sig, 'all');
          case 'main':
            if (!supervisor.forward(sig, 'main')) log.warn(`${sig} received while the main command is not running: not passed on`);
            return;
          case 'again':
            return log.warn(`${sig} received again; shutdown already under way`);
        }
      });
    }
    supervisor.finished.on(({ code, reason }) => finish(reason, false, code));
  });

  log.info(`colony ${version} starting`, { config: o.config, messages: o.messages, state: o.state, main: o.main, ...(o.main ? { main_output: o.mainOutput, terminal } : {}), ...(o.only ? { only: o.only } : {}) });
  const filePolicy = filePolicyFrom(process.env, o.insecureFiles);
  if (!filePolicy.strict && filePolicy.euid === 0) log.warn('descriptor and message files are not checked for their owner and mode (--insecure-files / COLONY_INSECURE_FILES=1)');
  const replicas = new Replicas((name, d) => supervisor.apply(name, d), log); // "replicas": N → NAME:1 … NAME:N
  const config = new ConfigDir(o.config, (name, d) => replicas.set(name, d), log, o.frequencyMs, (fn) => supervisor.batch(fn), filePolicy, oneOff('config'), { clock });
  const started = new Date().toISOString();
  const selfStart = procStart('self') ?? '';
  const status = !usable.state
    ? undefined
    : new StatusFile(o.state, log, () => ({
        colony: { pid: process.pid, version, started, procStart: selfStart, mode: isPid1 ? 'pid1' : subreaper ? 'subreaper' : 'child', updated: new Date().toISOString(), shuttingDown: supervisor.shuttingDown, ...(usable.messages ? { messages: resolve(o.messages) } : {}), config: resolve(o.config), logs: world.keeper ? { dir: resolve(world.keeper.dir), maxBytes: world.keeper.maxBytes } : null },
        processes: supervisor.all().map((p) => processStatus(p, { nextRun: supervisor.nextRun(p.name), leftOut: p.name !== MAIN_NAME && !supervisor.isSelected(p.name), held: supervisor.heldBy(p.name) })),
      }), { clock });
  if (status) supervisor.changes.on(() => status.touch());
  // State changes as records, for ctl events (status/events.ts), kept in the state directory.
  const eventWatch = new EventWatch();
  let eventWriter: KeptWriter | undefined;
  if (usable.state) {
    const kept = new KeptLogs(o.state, EVENTS_BYTES, (_, err) => log.warn('cannot keep the state changes for ctl events', { dir: o.state, error: describeError(err) }));
    try {
      kept.remove(EVENTS_NAME); // an earlier colony's, with this state directory
      eventWriter = kept.open(EVENTS_NAME);
    } catch (err) {
      log.warn('cannot keep the state changes for ctl events', { dir: o.state, error: describeError(err) });
    }
  }
  // Hooks (process/hooks.ts): not started once colony is shutting down; those running are killed at exit.
  const hooks = new HookRunner({ clock, log, start: (argv, env, label) => startHook(argv, env, label, log, own) });
  supervisor.processChanged.on((p) => {
    const now = clock.wallNow();
    const records = eventWatch.changes(p, processFacts(p), now);
    if (records.length === 0) return;
    eventWriter?.block(now, 'stdout', LineBatch.of(records.map((r) => JSON.stringify(r))));
    if (!supervisor.shuttingDown) for (const r of records) hooks.handle(p.descriptor.hooks, r);
  });
  const acks = new Acks(o.state, log, { clock });
  const messages = !usable.messages ? undefined : new MessagesDir(
    o.messages,
    (m, file) => {
      const outcome = supervisor.handle(m);
      acks.record(file, outcome.ok ? outcome : { ...outcome, restarting: [] });
      return outcome.ok ? undefined : outcome.error;
    },
    log,
    o.frequencyMs,
    filePolicy,
    { clock },
  );
  if (o.main) {
    supervisor.startMain(o.main, JSON.stringify({ args: o.main }), { output: o.mainOutput, terminal });
    // The terminal back to colony's group when the command has ended (a shell it ran as a job may
    // have it): Ctrl-C then reaches colony during the shutdown, and a parent shell gets it back as it was.
    if (terminal) {
      let back = false;
      supervisor.get(MAIN_NAME)!.changes.on((p) => {
        if (back || !p.isFinal) return;
        back = true;
        const failed = takeBackTerminal(libc!);
        if (failed) log.warn(`could not take the terminal back from the main command's process group (tcsetpgrp: ${failed})`);
      });
    }
  }
  const watching = Promise.all([config.start(), messages?.start()]);
  supervisor.firstScanDone(); // config.start() applies its first scan before it returns
  await watching;
  // GET /metrics (metrics/), loaded only when asked for.
  let metrics: { close(): Promise<void> } | undefined;
  if (o.metrics) {
    const [{ metricsRegistry }, { serveMetrics }] = await Promise.all([import('./metrics/registry.ts'), import('./metrics/server.ts')]);
    const registry = metricsRegistry({
      processes: () => supervisor.all().map(processView),
      orphansReaped: () => orphansReaped,
      messages: () => messages?.counts ?? { handled: 0, rejected: 0 },
      badDescriptors: () => config.badFiles,
      notify: () => ({ taken: (world.notify?.counts.received ?? 0) - (world.notify?.counts.ignored ?? 0), ignored: world.notify?.counts.ignored ?? 0 }),
      output: () => world.counts,
    });
    const server = serveMetrics(o.metrics, registry, log);
    metrics = server;
    await server.listening;
  }
  const unknown = supervisor.unknownOnly();
  if (unknown.length > 0) log.warn(`--only names no process of the config directory: ${unknown.join(', ')} (started if one is added)`, { config: o.config });
  status?.write();
  if (!supervisor.shuttingDown) log.info('ready: watching the config and messages directories');

  // Memory back to the kernel once things go quiet (system/memory-trim.ts): after start-up, after
  // processes change state, after output.
  const trim = new MemoryTrim({ ...v8Trim(clock, () => (process.getBuiltinModule('node:v8') as typeof import('node:v8')).getHeapStatistics()), quiet: () => log.sink.releaseSpares() }); // node:v8 loaded when first asked: ~1.7 ms of start-up
  supervisor.changes.on(() => trim.poke());
  log.sink.onBusy = () => trim.poke();
  trim.poke();

  const code = await done;
  trim.close();
  world.notify?.close();
  await metrics?.close();
  eventWriter?.close();
  hooks.killAll();
  status?.write();
  await Promise.allSettled([config.close(), messages?.close()]);
  return code;
}

// What a metrics scrape reads of one process.
function processView(p: SupervisedProcess): ProcessView {
  const s = p.snapshot;
  return {
    name: p.name,
    groups: p.groups,
    phase: p.phase,
    ready: p.ready,
    healthy: p.health === undefined ? undefined : p.health === 'healthy',
    startedAt: p.phase === 'running' ? p.since : undefined,
    lastExitCode: s.lastExit?.code ?? undefined,
    restarts: Math.max(0, s.starts - 1),
    exits: p.exits,
    lines: p.lines,
  };
}

// What the events compare of one process.
function processFacts(p: SupervisedProcess): ProcessFacts {
  const s = p.snapshot;
  let exitCount = 0;
  for (const n of p.exits.values()) exitCount += n;
  return { name: p.name, phase: p.phase, pid: s.pid, health: p.health, ready: p.ready, restarts: Math.max(0, s.starts - 1), exitCount, lastExit: s.lastExit ? { code: s.lastExit.code, signal: s.lastExit.signal } : undefined, lastExitReason: p.lastExitReason };
}
