// Entry point: builds the real world (spawn, kill, clock, log, libc, process signals), runs the CLI.
// The only module that touches `process` for signals and exits.
import { CommanderError } from 'commander';
import { mkdirSync, readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { onExit } from 'signal-exit';
import { buildProgram, type DirFlags, type Handlers, type RunFlags, type WaitFlags } from './cli.ts';
import { check, status as ctlStatus } from './ctl/status.ts';
import { validate } from './ctl/validate.ts';
import { waitFor } from './ctl/wait.ts';
import { realClock } from './clock.ts';
import { ConfigDir } from './config-dir.ts';
import { add } from './ctl/add.ts';
import { reload, remove, restart, restartAll, restartGroup, signal } from './ctl/commands.ts';
import { ColonyError, EXIT_SYSTEM, EXIT_USAGE, describeError, usageError } from './errors.ts';
import { loadLibc } from './libc.ts';
import { createLog, type RealLog } from './log/logger.ts';
import { MessagesDir } from './messages/watcher.ts';
import { DEFAULTS, ENV, directory, logFormat, logOnly, seconds, type RunOptions } from './options.ts';
import { defaultPolicy } from './process/policy.ts';
import { childSpawner } from './process/spawner.ts';
import { createReaper, listChildren } from './reaper.ts';
import { FORWARDED_SIGNALS, SHUTDOWN_SIGNALS } from './signals.ts';
import { Supervisor } from './supervisor.ts';
import { procStart, processStatus, StatusFile } from './status.ts';
import { Acks } from './acks.ts';
import { filePolicyFrom } from './security.ts';

declare const COLONY_VERSION: string | undefined;

function version(): string {
  if (typeof COLONY_VERSION === 'string') return COLONY_VERSION;
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

// Turns run's flags and the environment into settings.
export function runOptions(flags: RunFlags, command: string[], env: NodeJS.ProcessEnv, isTty: boolean): RunOptions {
  return {
    config: directory(flags.config, ENV.config, DEFAULTS.config, env),
    messages: directory(flags.messages, ENV.messages, DEFAULTS.messages, env),
    state: directory(flags.state, ENV.state, DEFAULTS.state, env),
    killTimeMs: seconds('killtime', flags.killtime, DEFAULTS.killtime),
    thresholdMs: seconds('threshold', flags.threshold, DEFAULTS.threshold),
    minRestartDelayMs: seconds('minrestartdelay', flags.minrestartdelay, DEFAULTS.minrestartdelay),
    maxRestartDelayMs: seconds('maxrestartdelay', flags.maxrestartdelay, DEFAULTS.maxrestartdelay),
    frequencyMs: seconds('frequency', flags.frequency, DEFAULTS.frequency),
    logFormat: logFormat(flags.logFormat ?? env[ENV.logFormat], isTty),
    main: command.length > 0 ? command : undefined,
    insecureFiles: flags.insecureFiles === true,
    logOnly: logOnly(flags.logOnly ?? env[ENV.logOnly]),
    stopTimeoutMs: seconds('stop-timeout', flags.stopTimeout ?? env[ENV.stopTimeout], DEFAULTS.stopTimeout, { allowZero: false }),
  };
}

function dirsOf(flags: DirFlags, env: NodeJS.ProcessEnv): { config: string; messages: string; state: string } {
  return {
    config: directory(flags.config, ENV.config, DEFAULTS.config, env),
    messages: directory(flags.messages, ENV.messages, DEFAULTS.messages, env),
    state: directory(flags.state, ENV.state, DEFAULTS.state, env),
  };
}

// `colony run`: supervises until a shutdown signal or the end of the main command; resolves with the exit code.
async function run(o: RunOptions, log: RealLog): Promise<number> {
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
  const world = { clock, spawn: childSpawner(libc?.pipe), kill, env: process.env, log, sink: log.sink, own, adopted: () => listChildren().filter((p) => !own.has(p)) };
  const policy = defaultPolicy({ killTimeMs: o.killTimeMs, thresholdMs: o.thresholdMs, minDelayMs: o.minRestartDelayMs, maxDelayMs: o.maxRestartDelayMs });
  const supervisor = new Supervisor(policy, world);
  supervisor.stopBudgetMs = o.stopTimeoutMs;
  if (o.killTimeMs > o.stopTimeoutMs) log.warn(`--killtime ${o.killTimeMs / 1000} s is longer than the ${o.stopTimeoutMs / 1000} s shutdown budget (--stop-timeout): at shutdown a process gets what is left of the budget`);

  // Reaping. COLONY_REAPER=off exists only to prove, in tests, that the reaper is what reaps.
  let subreaper = false;
  if (libc) {
    if (process.env.COLONY_REAPER === 'off') log.warn('orphan reaping is OFF (COLONY_REAPER=off): zombies will accumulate');
    else {
      const reaper = createReaper(libc, own, log, () => supervisor.reaped());
      process.on('SIGCHLD', () => reaper.schedule());
      reaper.sweep();
    }
    if (isPid1) log.info('running as PID 1: reaping orphans');
    else if (libc.setChildSubreaper()) {
      subreaper = true;
      log.info(`not PID 1 (pid ${process.pid}): became a child subreaper, so orphans of its processes are reaped here`);
    }
    else log.warn(`not PID 1 (pid ${process.pid}) and could not become a child subreaper: orphans go to the real init`);
  }

  for (const dir of [o.state, o.messages]) {
    try {
      mkdirSync(dir, { recursive: true });
    } catch (err) {
      log.error('cannot create directory', { dir, error: describeError(err) });
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
    let signalled = 0;
    for (const sig of SHUTDOWN_SIGNALS) {
      process.on(sig, () => {
        signalled++;
        if (signalled > 1) log.warn(`${sig} received again; shutdown already under way`);
        finish(`received ${sig}`, true, undefined, sig);
      });
    }
    for (const sig of FORWARDED_SIGNALS) process.on(sig, () => supervisor.forward(sig));
    supervisor.onFinished = (code, reason) => finish(reason, false, code);
  });

  log.info(`colony ${version()} starting`, { config: o.config, messages: o.messages, state: o.state, main: o.main });
  const filePolicy = filePolicyFrom(process.env, o.insecureFiles);
  if (!filePolicy.strict && filePolicy.euid === 0) log.warn('descriptor and message files are not checked for their owner and mode (--insecure-files / COLONY_INSECURE_FILES=1)');
  const config = new ConfigDir(o.config, (name, d) => supervisor.apply(name, d), log, o.frequencyMs, (fn) => supervisor.batch(fn), filePolicy);
  const started = new Date().toISOString();
  const status = new StatusFile(o.state, log, () => ({
    colony: { pid: process.pid, version: version(), started, procStart: procStart('self') ?? '', mode: isPid1 ? 'pid1' : subreaper ? 'subreaper' : 'child', updated: new Date().toISOString(), shuttingDown: supervisor.shuttingDown },
    processes: supervisor.all().map((p) => processStatus(p, supervisor.nextRun(p.name))),
  }));
  supervisor.onAnyChange(() => status.touch());
  const acks = new Acks(o.state, log);
  const messages = new MessagesDir(
    o.messages,
    (m, file) => {
      const restarting = supervisor.restartTargets(m).map((p) => ({ name: p.name, starts: p.snapshot.starts }));
      const problem = supervisor.handle(m);
      acks.record(file, problem ? { ok: false, error: problem, restarting: [] } : { ok: true, restarting });
      return problem;
    },
    log,
    o.frequencyMs,
    filePolicy,
  );
  if (o.main) supervisor.startMain(o.main, JSON.stringify({ args: o.main }));
  await Promise.all([config.start(), messages.start()]);
  status.write();
  if (!supervisor.shuttingDown) log.info('ready: watching the config and messages directories');

  const code = await done;
  status.write();
  await Promise.allSettled([config.close(), messages.close()]);
  return code;
}

// Runs the command line; resolves with the exit code.
export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  let exitCode = 0;
  let log: RealLog | undefined;
  const ctl = (f: () => string | string[]): void => {
    const out = f();
    for (const line of Array.isArray(out) ? out : [out]) process.stdout.write(`${line}\n`);
  };
  // Writes a message; with --wait, waits for colony's acknowledgement (and restarted processes to run).
  const sendAndWait = async (d: DirFlags, w: WaitFlags, send: () => string): Promise<void> => {
    const timeoutMs = seconds('timeout', w.timeout, 30, { allowZero: false }); // a bad value fails before anything is sent
    const file = send();
    process.stdout.write(`${file}\n`);
    if (!w.wait) return;
    const problem = await waitFor(dirsOf(d, env).state, file, timeoutMs);
    if (problem) throw new ColonyError(problem, 1);
    process.stdout.write('done\n');
  };
  const handlers: Handlers = {
    async run(flags, command) {
      // isatty(1), not process.stdout.isTTY: touching process.stdout would make a piped fd 1 non-blocking.
      const o = runOptions(flags, command, env, isatty(1));
      const real = createLog(o.logFormat, 'info', 1, o.logOnly);
      log = real;
      const last = (what: string) => (err: unknown) => real.fatal(`${what} (colony keeps running)`, { error: describeError(err), stack: err instanceof Error ? err.stack : undefined });
      process.on('uncaughtException', last('uncaught exception'));
      process.on('unhandledRejection', last('unhandled promise rejection'));
      try {
        exitCode = await run(o, real);
      } finally {
        await real.end(); // every line written before colony exits
      }
    },
    ctl: {
      add: (d, name, opts, command) => ctl(() => add(dirsOf(d, env).config, name, opts, command)),
      remove: (d, name) => ctl(() => remove(dirsOf(d, env).config, name)),
      restart: (d, name, w) => sendAndWait(d, w, () => restart(dirsOf(d, env).messages, name)),
      reload: (d, name, w) => sendAndWait(d, w, () => reload(dirsOf(d, env).messages, name)),
      restartAll: (d, w) => sendAndWait(d, w, () => restartAll(dirsOf(d, env).messages)),
      restartGroup: (d, group, w) => sendAndWait(d, w, () => restartGroup(dirsOf(d, env).messages, group)),
      signal: (d, target, sig, isGroup, w) => sendAndWait(d, w, () => signal(dirsOf(d, env).messages, target, sig, isGroup)),
      status: (d, json) => ctl(() => ctlStatus(dirsOf(d, env).state, json)),
      check: (d) => {
        const problem = check(dirsOf(d, env).state);
        if (problem) throw new ColonyError(`unhealthy: ${problem}`, 1);
        process.stdout.write('ok\n');
      },
      validate: (d) => {
        const r = validate(dirsOf(d, env).config);
        process.stdout.write(`${r.lines.join('\n')}\n`);
        if (r.errors > 0) throw usageError(`${r.errors} invalid descriptor(s) in ${dirsOf(d, env).config}`);
      },
    },
  };
  const program = buildProgram(version(), handlers).exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : EXIT_USAGE;
    const code = err instanceof ColonyError ? err.exitCode : EXIT_SYSTEM;
    if (log) {
      log.fatal(describeError(err));
      await log.end();
    }
    else process.stderr.write(`colony: ${describeError(err)}\n`);
    return code;
  }
}

// Only main.ts exits.
main(process.argv.slice(2), process.env).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`colony: ${describeError(err)}\n`);
    process.exit(EXIT_SYSTEM);
  },
);
