// The launcher: how the main command gets the terminal. Node's spawn runs no code of ours between
// fork and exec, and a process group can only be given the terminal once it exists; so on a terminal
// colony starts itself in this mode (`colony __launch-main PGID FILE ARGV0 ARGS...`, PGID being
// colony's process group), which puts itself in a process group of its own, makes that group the
// terminal's foreground group, restores the signal dispositions that Node changed, and replaces
// itself with the command (execve): the pid colony spawned is the command's. Errors go to stderr as
// one line; the command's exit status is colony's to report.
import { existsSync, readFileSync, writeSync } from 'node:fs';
import { constants } from 'node:os';
import { loadLibc, type Libc } from '../system/libc.ts';
import { LAUNCH_COMMAND } from '../system/self.ts';

const SIG = constants.signals;

// One line on stderr, written directly: a stream would make a pipe on fd 2 non-blocking, and the
// command inherits it.
function say(line: string): void {
  try {
    writeSync(2, `colony: ${line}\n`);
  } catch {
    // no stderr
  }
}

// Runs the launcher with the arguments after LAUNCH_COMMAND; returns only when the command could not
// be executed, with 127 (not found) or 126 (found, not executable), the shell's codes.
export function launch(argv: string[]): number {
  const [pgid, file, ...args] = argv;
  if (!/^\d+$/.test(pgid ?? '') || file === undefined || args.length === 0) {
    say(`${LAUNCH_COMMAND} is colony's own: it needs PGID FILE ARGV0 [ARGS...]`);
    return 126;
  }
  let libc: Libc;
  try {
    libc = loadLibc();
  } catch (err) {
    say(`cannot start ${JSON.stringify(args[0])}: cannot load libc (${(err as Error).message})`);
    return 126;
  }
  takeTerminal(libc, Number(pgid));
  const env = Object.entries(process.env).map(([k, v]) => `${k}=${v ?? ''}`);
  let failed = libc.execve(file, args, env);
  // execvp's rule: a file the kernel cannot execute (no #! line, not a binary) is a shell script.
  if (failed === 'ENOEXEC') failed = libc.execve('/bin/sh', ['/bin/sh', file, ...args.slice(1)], env);
  say(`cannot start ${JSON.stringify(args[0])}: execve ${file}: ${failed === 'ENOENT' ? missingWhat(file) : failed}`);
  return failed === 'ENOENT' ? 127 : 126;
}

// What is missing when execve of a file that exists says ENOENT.
function missingWhat(file: string): string {
  if (!existsSync(file)) return 'ENOENT';
  let head = '';
  try {
    head = readFileSync(file).subarray(0, 4).toString('latin1');
  } catch {
    // unreadable: execve said what it knew
  }
  if (head.startsWith('#!')) return 'the interpreter its #! line names does not exist (ENOENT)';
  if (head === '\x7fELF') return 'its program loader does not exist: a binary for another C library or architecture? (ENOENT)';
  return '/bin/sh, to run it as a script, does not exist (ENOENT)';
}

// A process group of its own, made the terminal's foreground group (on fd 0); then the signal
// dispositions the command must start with: Node ignores SIGPIPE and SIGXFSZ, and execve keeps what is
// ignored (a shell could not even trap them then).
// Should that fail, it goes back into colony's process group `colonyGroup`, the foreground: in a group
// of its own in the background its first read of the terminal would stop it (SIGTTIN).
function takeTerminal(libc: Libc, colonyGroup: number): void {
  const failed = (what: string, code: string): void => say(`the main command runs in colony's process group, without the terminal's job control (${what}: ${code})`);
  const grouped = libc.setpgid(0, 0);
  if (grouped !== 0) failed('setpgid', grouped);
  else {
    // A background process group that changes the foreground group gets SIGTTOU (which stops it)
    // unless it ignores SIGTTOU.
    libc.setDisposition(SIG.SIGTTOU, 'ignore');
    const given = libc.tcsetpgrp(0, process.pid);
    if (given !== 0) {
      failed('tcsetpgrp', given);
      libc.setpgid(0, colonyGroup);
    }
  }
  for (const sig of [SIG.SIGTTOU, SIG.SIGPIPE, SIG.SIGXFSZ]) libc.setDisposition(sig, 'default');
}
