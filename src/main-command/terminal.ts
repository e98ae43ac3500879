// colony's side of a main command on a terminal: whether it can give the command the terminal, and
// taking it back when the command ends. The command is made the terminal's foreground by the
// launcher (launch.ts), in colony's session; colony stays in its own process group, in the
// background, where it ignores SIGTTIN and SIGTTOU (src/system/signals.ts says why).
import { constants } from 'node:os';
import type { Libc } from '../system/libc.ts';
import { JOB_CONTROL_SIGNALS } from '../system/signals.ts';

export type TerminalJobControl = Pick<Libc, 'getpgrp' | 'tcgetpgrp' | 'tcsetpgrp' | 'setDisposition'>;

// Why the main command cannot have the terminal on fd 0, or undefined when it can: fd 0 is colony's
// controlling terminal and colony's process group is its foreground (not a background job).
export function terminalRefusal(libc: TerminalJobControl | undefined, isatty0: boolean): string | undefined {
  if (!isatty0) return 'stdin is not a terminal';
  if (!libc) return 'no libc (koffi) to hand the terminal over with';
  const fg = libc.tcgetpgrp(0);
  if (typeof fg === 'string') return `stdin is a terminal but not colony's controlling terminal (tcgetpgrp: ${fg})`;
  if (fg !== libc.getpgrp()) return `colony runs in the terminal's background (foreground process group ${fg})`;
  return undefined;
}

// Ignores SIGTTIN and SIGTTOU: colony writes to the terminal and takes it back from the background.
export function ignoreJobControlSignals(libc: TerminalJobControl): void {
  for (const sig of JOB_CONTROL_SIGNALS) libc.setDisposition(constants.signals[sig], 'ignore');
}

// Makes colony's process group the terminal's foreground again (the main command has ended); returns
// the errno's code when that fails, undefined when done or nothing to do.
export function takeBackTerminal(libc: TerminalJobControl): string | undefined {
  const own = libc.getpgrp();
  if (libc.tcgetpgrp(0) === own) return undefined;
  const r = libc.tcsetpgrp(0, own);
  return r === 0 ? undefined : r;
}
