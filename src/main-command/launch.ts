// The launcher: how the main command gets the terminal. Node's spawn runs no code of ours between
// fork and exec, and a process group can only be given the terminal once it exists; so on a terminal
// colony starts itself in this mode (`colony __launch-main FILE ARGV0 ARGS...`), which puts itself in
// a process group of its own, makes that group the terminal's foreground group, restores the signal
// dispositions that Node changed, and replaces itself with the command (execve): the pid colony
// spawned is the command's. Errors go to stderr as one line; the command's exit status is colony's
// to report.
import { constants } from 'node:os';
import { loadLibc, type Libc } from '../libc.ts';
import { LAUNCH_COMMAND } from '../self.ts';

const SIG = constants.signals;

// Runs the launcher with the arguments after LAUNCH_COMMAND; returns an exit code only when the
// command could not be executed (126, 127 when it is gone).
export function launch(argv: string[]): number {
  const [file, ...args] = argv;
  if (file === undefined || args.length === 0) {
    process.stderr.write(`colony: ${LAUNCH_COMMAND} is colony's own: it needs FILE ARGV0 [ARGS...]\n`);
    return 126;
  }
  let libc: Libc | undefined;
  try {
    libc = loadLibc();
  } catch (err) {
    process.stderr.write(`colony: the main command runs without the terminal (cannot load libc: ${(err as Error).message})\n`);
  }
  if (libc) takeTerminal(libc);
  try {
    process.execve!(file, args, process.env as Record<string, string>);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    process.stderr.write(`colony: cannot start ${JSON.stringify(args[0])}: ${(err as Error).message}\n`);
    return code === 'ENOENT' ? 127 : 126;
  }
  return 126; // execve does not return
}

// A process group of its own, made the terminal's foreground group (on fd 0); then the signal
// dispositions the command must start with: Node ignores SIGPIPE and SIGXFSZ, and execve keeps what is
// ignored (a shell could not even trap them then).
function takeTerminal(libc: Libc): void {
  const failed = (what: string, code: string): void => {
    process.stderr.write(`colony: the main command runs without the terminal's job control (${what}: ${code})\n`);
  };
  const grouped = libc.setpgid(0, 0);
  if (grouped !== 0) failed('setpgid', grouped);
  else {
    // A background process group that changes the foreground group gets SIGTTOU (which stops it)
    // unless it ignores SIGTTOU.
    libc.setDisposition(SIG.SIGTTOU, 'ignore');
    const given = libc.tcsetpgrp(0, process.pid);
    if (given !== 0) failed('tcsetpgrp', given);
  }
  for (const sig of [SIG.SIGTTOU, SIG.SIGPIPE, SIG.SIGXFSZ]) libc.setDisposition(sig, 'default');
}
