import { constants } from 'node:os';

// How a process ended: an exit code, a signal, or a failure to start (errno code such as ENOENT).
export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
  spawnError?: string;
}

// The shell's convention for an exit status as one number: the code, 128+signal, 127 not found, 126 not executable.
export function exitCode(status: ExitStatus): number {
  if (status.spawnError !== undefined) return status.spawnError === 'ENOENT' ? 127 : 126;
  if (status.code !== null) return status.code;
  if (status.signal !== null) return 128 + ((constants.signals as Record<string, number>)[status.signal] ?? 0);
  return 1;
}

// A short human description for log lines: 'exit code 3', 'killed by SIGKILL', 'not found (ENOENT)'.
export function describeExit(status: ExitStatus): string {
  if (status.spawnError !== undefined) {
    const what = status.spawnError === 'ENOENT' ? 'executable not found' : status.spawnError === 'EACCES' ? 'not executable (permission denied)' : 'could not start';
    return `${what} (${status.spawnError})`;
  }
  if (status.code !== null) return `exit code ${status.code}`;
  if (status.signal !== null) return `killed by ${status.signal}`;
  return 'ended';
}
