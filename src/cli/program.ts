// The command line (commander): parses into calls on injected handlers; no side effects of its own
// beyond --help and --version.
import { Command, Option } from 'commander';
import { DEFAULTS, ENV } from './options.ts';
import type { AddOptions } from '../ctl/add.ts';

export interface DirFlags {
  config?: string;
  messages?: string;
  state?: string;
}

export interface RunFlags extends DirFlags {
  killtime?: string;
  threshold?: string;
  minrestartdelay?: string;
  maxrestartdelay?: string;
  frequency?: string;
  logFormat?: string;
  insecureFiles?: boolean;
  stopTimeout?: string;
  logOnly?: string;
  mainOutput?: string;
  only?: string;
  keepLogs?: string;
  metrics?: string;
}

export interface LogsFlags {
  lines?: string;
  follow?: boolean;
  json?: boolean;
}

export interface WaitFlags {
  wait?: boolean;
  timeout?: string;
  // ctl restart of a replicated process: one instance at a time, each running and ready before the next.
  rolling?: boolean;
}

export interface Handlers {
  run(flags: RunFlags, command: string[]): Promise<void> | void;
  nativeModule(path: string | undefined): Promise<void> | void;
  ctl: {
    add(dirs: DirFlags, name: string, opts: AddOptions, command: string[]): Promise<void> | void;
    remove(dirs: DirFlags, name: string): Promise<void> | void;
    restart(dirs: DirFlags, name: string, w: WaitFlags): Promise<void>;
    reload(dirs: DirFlags, name: string, w: WaitFlags): Promise<void>;
    upgrade(dirs: DirFlags, name: string, w: WaitFlags): Promise<void>;
    restartAll(dirs: DirFlags, w: WaitFlags): Promise<void>;
    restartGroup(dirs: DirFlags, group: string, w: WaitFlags): Promise<void>;
    signal(dirs: DirFlags, target: string, signal: string, isGroup: boolean, w: WaitFlags): Promise<void>;
    stopStart(dirs: DirFlags, type: 'STOP' | 'START', names: string[], groups: string[], w: WaitFlags): Promise<void>;
    status(dirs: DirFlags, json: boolean): Promise<void> | void;
    logs(dirs: DirFlags, names: string[], opts: LogsFlags): Promise<void>;
    events(dirs: DirFlags, names: string[], opts: Omit<LogsFlags, 'json'>): Promise<void>;
    check(dirs: DirFlags): Promise<void> | void;
    validate(dirs: DirFlags): Promise<void> | void;
  };
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

// --wait [--timeout S] for the subcommands that send a message.
function waitOptions(cmd: Command): Command {
  return cmd
    .option('--wait', 'wait until colony has handled the message (and restarted processes run again, ready; stopped ones have stopped); non-zero exit with the reason if not')
    .option('--timeout <s>', 'with --wait: give up after this many seconds (default 30)');
}

function dirOptions(cmd: Command, withState: boolean): Command {
  cmd
    .option('--config <dir>', `descriptor directory (env ${ENV.config}, default ${DEFAULTS.config})`)
    .option('--messages <dir>', `messages directory (env ${ENV.messages}, default ${DEFAULTS.messages})`);
  if (withState) cmd.option('--state <dir>', `state directory (env ${ENV.state}, default ${DEFAULTS.state})`);
  return cmd;
}

// Options given before the subcommand, overridden by the same options given after it.
function merged(cmd: Command): DirFlags {
  const chain: Command[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) chain.unshift(c);
  const out: Record<string, unknown> = {};
  for (const c of chain) for (const [k, v] of Object.entries(c.opts())) if (v !== undefined) out[k] = v;
  return out as DirFlags;
}

export function buildProgram(version: string, handlers: Handlers): Command {
  const program = new Command('colony')
    .description('A container init and process supervisor: runs a directory of process descriptors as PID 1.')
    .version(version, '-V, --version')
    .enablePositionalOptions()
    .showHelpAfterError('(add --help for usage)');
  dirOptions(program, true);

  const run = dirOptions(new Command('run'), true)
    .description('supervise the processes of the config directory (as PID 1: also reap orphans and handle signals)')
    .option('--killtime <s>', `seconds between the stop signal and SIGKILL (default ${DEFAULTS.killtime})`)
    .option('--threshold <s>', `a process that lived less than this died fast (default ${DEFAULTS.threshold})`)
    .option('--minrestartdelay <s>', `first restart delay after a fast death (default ${DEFAULTS.minrestartdelay})`)
    .option('--maxrestartdelay <s>', `the delay doubles after each fast death up to this (default ${DEFAULTS.maxrestartdelay})`)
    .option('--frequency <s>', `period of the full rescan backing up the watchers, 0 for none (default ${DEFAULTS.frequency})`)
    .addOption(new Option('--log-format <format>', `json, text, or auto: text on a terminal (env ${ENV.logFormat})`))
    .option('--log-only <which>', `all, colony (its own records only: route processes with their "output"), or processes (their lines, with colony's warnings and errors; the default beside a main command that has the stdout) (env ${ENV.logOnly}, default all)`)
    .option('--main-output <where>', `the main command's stdout and stderr: inherit (colony's own, untouched; colony's log then goes to stderr) or log (relayed into the log, on stdout) (env ${ENV.mainOutput}, default inherit)`)
    .option('--only <names>', `run only these processes of the config directory (comma-separated), with the ones they are "after"; "" runs none (env ${ENV.only})`)
    .option('--stop-timeout <s>', `the whole shutdown's budget: each process gets min(its kill time, what is left), then SIGKILL (env ${ENV.stopTimeout}, default ${DEFAULTS.stopTimeout})`)
    .option('--metrics <host:port>', `serve GET /metrics (Prometheus/OpenMetrics) there, such as 127.0.0.1:9100 or 0.0.0.0:9100 (env ${ENV.metrics}, default off)`)
    .option('--keep-logs <size>', `each process's recent lines kept for "colony ctl logs" (in the state directory), such as 1MiB or 256KiB; 0 keeps none (env ${ENV.keepLogs}, default ${DEFAULTS.keepLogs})`)
    .option('--insecure-files', 'as root, accept descriptor and message files writable by group/others or owned by another user (development only; env COLONY_INSECURE_FILES=1)')
    .argument('[command...]', 'a main command (after --): when it ends, colony stops everything and exits with its code')
    .action(async (command: string[], _opts, cmd: Command) => {
      await handlers.run(merged(cmd) as RunFlags, command);
    });
  program.addCommand(run);

  program
    .command('native-module')
    .description("single executable: write its native module (koffi) where it finds it at start-up — for a non-root colony on a read-only root, run at image build time (RUN colony native-module)")
    .argument('[path]', 'where (default: the executable\'s path + ".koffi.node", or COLONY_KOFFI_NATIVE)')
    .action((path: string | undefined) => handlers.nativeModule(path));

  const ctl = dirOptions(new Command('ctl'), true)
    .description('change the config directory or send messages to a running colony')
    .enablePositionalOptions();

  ctl
    .command('add')
    .description('write a descriptor: add NAME --cmd CMD [--arg A]... or add NAME [options] -- CMD ARGS...')
    .argument('<name>', 'process name')
    .argument('[command...]', 'the command and its arguments (after --)')
    .option('--cmd <cmd>', 'the executable')
    .option('--arg <arg>', 'an argument (repeatable; --arg=-m for one that starts with a dash)', collect)
    .option('--env <name=value>', 'an environment variable (repeatable)', collect)
    .option('--env-inherit <name>', "a variable taken from colony's environment (repeatable)", collect)
    .option('--uid <uid>', 'run as this user id')
    .option('--gid <gid>', 'run as this group id')
    .option('--group <group>', 'a group the process belongs to, for restart-group and signal --group (repeatable)', collect)
    .option('--extras <file>', 'a JSON file whose object is merged into the descriptor')
    .action((name: string, command: string[], opts: AddOptions, cmd: Command) => handlers.ctl.add(merged(cmd), name, opts, command));

  ctl
    .command('remove')
    .description('delete a descriptor: the process is stopped for good')
    .argument('<name>')
    .action((name: string, _o, cmd: Command) => handlers.ctl.remove(merged(cmd), name));

  waitOptions(ctl.command('restart').description("restart one process (a replicated one's name: all its instances)").argument('<name>'))
    .option('--rolling', 'a replicated process: its instances one at a time, each running and ready (--timeout each) before the next is restarted')
    .action((name: string, w: WaitFlags, cmd: Command) => handlers.ctl.restart(merged(cmd), name, w));

  waitOptions(ctl.command('reload').description("reload one process: its reload_signal (e.g. gunicorn's SIGHUP), or a restart when it has none").argument('<name>')).action((name: string, w: WaitFlags, cmd: Command) =>
    handlers.ctl.reload(merged(cmd), name, w),
  );

  waitOptions(
    ctl
      .command('upgrade')
      .description("upgrade a server in place (gunicorn): its upgrade_signal (USR2) starts a new main process, whose READY=1 stops the old one; rolled back if it is not ready in time. --wait: until it is done")
      .argument('<name>'),
  ).action((name: string, w: WaitFlags, cmd: Command) => handlers.ctl.upgrade(merged(cmd), name, w));

  waitOptions(ctl.command('restart-all').description('restart every process')).action((w: WaitFlags, cmd: Command) => handlers.ctl.restartAll(merged(cmd), w));

  waitOptions(ctl.command('restart-group').description('restart every process of a group').argument('<group>')).action((group: string, w: WaitFlags, cmd: Command) => handlers.ctl.restartGroup(merged(cmd), group, w));

  waitOptions(
    ctl
      .command('signal')
      .description("send a signal to a process's main pid (or to every process of a group with --group)")
      .argument('<target>', 'process name (group name with --group)')
      .argument('<signal>', 'e.g. SIGHUP, HUP or 1')
      .option('--group', 'the target is a group'),
  ).action((target: string, sig: string, opts: WaitFlags & { group?: boolean }, cmd: Command) => handlers.ctl.signal(merged(cmd), target, sig, opts.group === true, opts));

  for (const [type, what] of [
    ['STOP', 'stop processes and keep them down (through restart-all, rescans and descriptor changes) until ctl start or a restart by name'],
    ['START', 'start processes stopped by ctl stop or defined with "autostart": false (a scheduled one: arm its schedule)'],
  ] as const) {
    waitOptions(
      ctl
        .command(type.toLowerCase())
        .description(what)
        .argument('[names...]', 'process names')
        .option('--group <group>', 'every process of this group (repeatable)', collect),
    ).action((names: string[], opts: WaitFlags & { group?: string[] }, cmd: Command) => handlers.ctl.stopStart(merged(cmd), type, names, opts.group ?? [], opts));
  }

  ctl
    .command('status')
    .description('show every process: state, pid, uptime, restarts, last exit, health (from the state file)')
    .option('--json', 'print the state file (for scripts)')
    .action((opts: { json?: boolean }, cmd: Command) => handlers.ctl.status(merged(cmd), opts.json === true));

  ctl
    .command('logs')
    .description("the recent lines of processes (all of them without a name; a replicated one's instances by its name), kept by colony in its state directory; several interleave as 'name | line'")
    .argument('[names...]', 'process names')
    .option('-n, --lines <n>', 'how many of the last lines to show (default 30; 0 for none)')
    .option('-f, --follow', 'then print new lines as they come, until Ctrl-C')
    .option('--json', "colony's JSON records (time, proc, stream, msg or json) instead of the lines")
    .action((names: string[], opts: LogsFlags, cmd: Command) => handlers.ctl.logs(merged(cmd), names, opts));

  ctl
    .command('events')
    .description('state changes as JSON lines (time, proc, event: state/health/ready, from, to, pid, restarts; code, signal and reason when a run ended): those kept, or with --follow the new ones as they come')
    .argument('[names...]', 'only these processes (a replicated one: its instances)')
    .option('-n, --lines <n>', 'the last N kept records (default: all of them; with --follow, none)')
    .option('-f, --follow', 'then print new records as they come, until Ctrl-C')
    .action((names: string[], opts: Omit<LogsFlags, 'json'>, cmd: Command) => handlers.ctl.events(merged(cmd), names, opts));

  ctl
    .command('check')
    .description('exit 0 when colony is alive and every critical process is running, ready and healthy (Docker HEALTHCHECK, Kubernetes probes)')
    .action((_o, cmd: Command) => handlers.ctl.check(merged(cmd)));

  ctl
    .command('validate')
    .description('check every descriptor of the config directory without a running colony; non-zero exit on any error')
    .action((_o, cmd: Command) => handlers.ctl.validate(merged(cmd)));

  program.addCommand(ctl);
  // Every command, not only the top one, throws instead of exiting: a usage error is colony's exit
  // 100 wherever it is (commander's addCommand does not pass the setting on).
  const throwing = (c: Command): void => {
    c.exitOverride();
    for (const sub of c.commands) throwing(sub);
  };
  throwing(program);
  return program;
}
