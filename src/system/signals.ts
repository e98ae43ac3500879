import { constants } from 'node:os';

// Signals that make colony shut down gracefully (docker stop sends SIGTERM, a terminal SIGINT).
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

// Signals colony passes on to every process's main pid (gunicorn: HUP reload, TTIN/TTOU workers, USR1 reopen logs).
export const FORWARDED_SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGTTIN', 'SIGTTOU'] as const;

// What a process that writes to a terminal from the background must not handle: a handled SIGTTOU
// makes each of its writes retry forever (the kernel sends it again each time when TOSTOP is set), and
// taking the terminal back from the background would stop it. colony ignores both whenever its log
// goes to a terminal or the main command has it, and does not forward them then.
export const JOB_CONTROL_SIGNALS = ['SIGTTIN', 'SIGTTOU'] as const;

// With a main command, the other signals a process can catch go to it alone, unchanged, as tini
// forwards them. Not these: SIGCHLD (reaping), SIGTSTP (a terminal's Ctrl-Z suspends colony as any
// job when it is not PID 1), the synchronous ones (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGABRT,
// SIGSYS: a fault of colony's own), SIGPIPE (Node ignores it) and SIGPROF (V8's profiler needs it).
export const MAIN_ONLY_SIGNALS = ['SIGALRM', 'SIGCONT', 'SIGPWR', 'SIGURG', 'SIGVTALRM', 'SIGXCPU', 'SIGXFSZ', 'SIGIO', 'SIGSTKFLT'] as const;

// What colony does with a signal it received: start its shutdown, pass it to the main command only,
// pass it to every process, or (a shutdown signal while the shutdown is under way, no main command
// to pass it to) only say so.
export type SignalAction = 'shutdown' | 'main' | 'broadcast' | 'again';

// Decides what a received signal does. With a main command colony is the command's init, as tini
// is: SIGINT (Ctrl-C through `docker run`, `docker kill -s INT`) goes to the command alone, which
// decides (a REPL goes on, a server quits, and then colony stops the rest); SIGTERM and SIGQUIT (a
// stop of the container) start the shutdown, in which the command gets that very signal; once the
// shutdown is under way, each shutdown signal goes to the command again (Ctrl-C twice forces a quit).
// Without one — or while it is not running: not started yet (waiting for --only's processes), or
// ended — a shutdown signal is colony's: it starts the shutdown.
export function signalAction(signal: NodeJS.Signals, o: { main: boolean; mainRunning: boolean; shuttingDown: boolean }): SignalAction {
  if ((SHUTDOWN_SIGNALS as readonly string[]).includes(signal)) {
    if (!o.main || !o.mainRunning) return o.shuttingDown ? 'again' : 'shutdown';
    return signal === 'SIGINT' || o.shuttingDown ? 'main' : 'shutdown';
  }
  if ((FORWARDED_SIGNALS as readonly string[]).includes(signal)) return 'broadcast';
  return o.main ? 'main' : 'again';
}

// The signals colony handles: with a main command also MAIN_ONLY_SIGNALS; while colony's log goes to
// a terminal (the main command's, or one colony may write to from a shell's background), not
// JOB_CONTROL_SIGNALS (ignored instead).
export function handledSignals(o: { main: boolean; jobControlIgnored: boolean }): NodeJS.Signals[] {
  const forwarded = FORWARDED_SIGNALS.filter((s) => !(o.jobControlIgnored && (JOB_CONTROL_SIGNALS as readonly string[]).includes(s)));
  return [...SHUTDOWN_SIGNALS, ...forwarded, ...(o.main ? MAIN_ONLY_SIGNALS : [])];
}

const byName = constants.signals as Record<string, number>;

// The number of a signal given as 'SIGHUP', 'HUP', 'hup' or '1'; undefined when it is not one.
export function signalNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value > 0 && value < 65 ? value : undefined;
  if (typeof value !== 'string' || value === '') return undefined;
  if (/^\d+$/.test(value)) return signalNumber(Number(value));
  const upper = value.toUpperCase();
  return byName[upper.startsWith('SIG') ? upper : `SIG${upper}`];
}

// The canonical name ('SIGHUP') of a signal given in any form signalNumber accepts.
export function signalName(value: unknown): NodeJS.Signals | undefined {
  const n = signalNumber(value);
  if (n === undefined) return undefined;
  for (const [name, num] of Object.entries(byName)) if (num === n) return name as NodeJS.Signals;
  return undefined;
}
