// Entry point: parses the command line and runs the command; the only module that exits. Each
// command's modules are loaded when that command runs (`run` needs none of ctl's, ctl none of run's
// supervisor, log and watchers): less to initialise before colony's first child starts.
import { CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { buildProgram, type DirFlags, type Handlers, type WaitFlags } from './cli/program.ts';
import { ColonyError, EXIT_SYSTEM, EXIT_USAGE, describeError, usageError } from './common/errors.ts';
import { LAUNCH_COMMAND } from './system/self.ts';
import { directories, runOptions, seconds } from './cli/options.ts';

declare const COLONY_VERSION: string | undefined;

function version(): string {
  if (typeof COLONY_VERSION === 'string') return COLONY_VERSION;
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}


// Runs the command line; resolves with the exit code.
// --lines N of ctl logs and ctl events: a whole number, or undefined when not given.
function wholeNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw usageError(`--lines must be a whole number, got ${JSON.stringify(value)}`);
  return Number(value);
}

// Resolves at Ctrl-C (or SIGTERM, SIGHUP): what ends a --follow.
function interrupted(): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve());
  });
}

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  // colony's launcher for a main command on a terminal (src/main-command/launch.ts): not a command for users.
  if (argv[0] === LAUNCH_COMMAND) return (await import('./main-command/launch.ts')).launch(argv.slice(1));
  let exitCode = 0;
  const ctl = (out: string | string[]): void => {
    for (const line of Array.isArray(out) ? out : [out]) process.stdout.write(`${line}\n`);
  };
  const commands = (): Promise<typeof import('./ctl/commands.ts')> => import('./ctl/commands.ts');
  // The running colony's directories, from what was given (ctl/locate.ts).
  type Dirs = ReturnType<typeof import('./ctl/locate.ts').locate>;
  let located: Dirs | undefined;
  const where = async (d: DirFlags): Promise<Dirs> => (located ??= (await import('./ctl/locate.ts')).locate(directories(d, env)));
  // Writes a message; with --wait, waits for colony's acknowledgement (and restarted processes to run).
  const sendAndWait = async (d: DirFlags, w: WaitFlags, send: (c: Awaited<ReturnType<typeof commands>>, messages: string) => string | string[]): Promise<void> => {
    const timeoutMs = seconds('timeout', w.timeout, 30, { allowZero: false }); // a bad value fails before anything is sent
    const sent = send(await commands(), (await where(d)).messages);
    const files = Array.isArray(sent) ? sent : [sent];
    for (const file of files) process.stdout.write(`${file}\n`);
    if (!w.wait) return;
    const { waitFor } = await import('./ctl/wait.ts');
    const deadline = Date.now() + timeoutMs;
    for (const file of files) {
      const problem = await waitFor((await where(d)).state, file, Math.max(1, deadline - Date.now()));
      if (problem) throw new ColonyError(problem, 1);
    }
    process.stdout.write('done\n');
  };
  const handlers: Handlers = {
    async run(flags, command) {
      // isatty(fd), not process.stdout.isTTY: touching process.stdout would make a piped fd 1 non-blocking.
      const o = runOptions(flags, command, env, isatty);
      const { runColony } = await import('./run.ts');
      exitCode = await runColony(o, version());
    },
    async nativeModule(path) {
      const { placedModule, seaModule } = await import('./system/libc.ts');
      const bytes = seaModule();
      if (!bytes) throw usageError('native-module is for the single executable (dist/colony): the bundle finds koffi beside it');
      const target = path ?? placedModule(env);
      // Atomically: a colony starting meanwhile never sees half a module.
      (await import('./common/files.ts')).writeFileAtomically(target, bytes, { mode: 0o755 });
      process.stdout.write(`${target}\n`);
    },
    ctl: {
      add: async (d, name, opts, command) => ctl((await import('./ctl/add.ts')).add((await where(d)).config, name, opts, command)),
      remove: async (d, name) => ctl((await commands()).remove((await where(d)).config, name)),
      restart: async (d, name, w) => {
        if (!w.rolling) return sendAndWait(d, w, (c, m) => c.restart(m, name));
        // One instance at a time, each waited for (running and ready) before the next.
        const { instanceNames } = await import('./ctl/status.ts');
        for (const instance of instanceNames((await where(d)).state, name)) await sendAndWait(d, { ...w, wait: true }, (c, m) => c.restart(m, instance));
      },
      reload: (d, name, w) => sendAndWait(d, w, (c, m) => c.reload(m, name)),
      upgrade: (d, name, w) => sendAndWait(d, w, (c, m) => c.upgrade(m, name)),
      restartAll: (d, w) => sendAndWait(d, w, (c, m) => c.restartAll(m)),
      restartGroup: (d, group, w) => sendAndWait(d, w, (c, m) => c.restartGroup(m, group)),
      signal: (d, target, sig, isGroup, w) => sendAndWait(d, w, (c, m) => c.signal(m, target, sig, isGroup)),
      stopStart: (d, type, names, groups, w) => sendAndWait(d, w, (c, m) => c.stopStart(m, type, names, groups)),
      status: async (d, json) => ctl((await import('./ctl/status.ts')).status((await where(d)).state, json)),
      logs: async (d, names, opts) => {
        const lines = wholeNumber(opts.lines);
        const { logs, DEFAULT_LINES, writeOut } = await import('./ctl/logs.ts');
        const stopped = interrupted();
        await logs((await where(d)).state, names, { lines: lines ?? DEFAULT_LINES, follow: opts.follow === true, json: opts.json === true }, { out: writeOut, note: (t) => process.stderr.write(`colony: ${t}\n`), stopped: () => stopped });
      },
      events: async (d, names, opts) => {
        const lines = wholeNumber(opts.lines);
        const [{ events }, { writeOut }] = await Promise.all([import('./ctl/events.ts'), import('./ctl/logs.ts')]);
        const stopped = interrupted();
        await events((await where(d)).state, names, { lines, follow: opts.follow === true }, { out: writeOut, stopped: () => stopped });
      },
      check: async (d) => {
        const problem = (await import('./ctl/status.ts')).check((await where(d)).state);
        if (problem) throw new ColonyError(`unhealthy: ${problem}`, 1);
        process.stdout.write('ok\n');
      },
      validate: async (d) => {
        const r = (await import('./ctl/validate.ts')).validate((await where(d)).config);
        process.stdout.write(`${r.lines.join('\n')}\n`);
        if (r.errors > 0) throw usageError(`${r.errors} invalid descriptor(s) in ${(await where(d)).config}`);
      },
    },
  };
  const program = buildProgram(version(), handlers);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help' ? 0 : EXIT_USAGE;
    // runColony has already logged what ended it; anything else goes to stderr.
    if (!(err as { logged?: boolean }).logged) process.stderr.write(`colony: ${describeError(err)}\n`);
    return err instanceof ColonyError ? err.exitCode : EXIT_SYSTEM;
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
