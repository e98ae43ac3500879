// Signals colony passes on: to every process's main pid (through its descriptor's `signals` map), or to the main command alone.
import type { Log } from '../log/logger.ts';
import type { SupervisedProcess } from '../process/supervised.ts';

// Sends `signal` (or what each descriptor maps it to) to every running process; logs who got it.
export function forwardToAll(signal: NodeJS.Signals, procs: SupervisedProcess[], log: Log): void {
  const sent: string[] = [];
  for (const p of procs) {
    const map = p.descriptor.signals;
    const target = map && signal in map ? map[signal] : signal;
    if (target && p.signal(target)) sent.push(target === signal ? p.name : `${p.name} (as ${target})`);
  }
  log.info(`forwarded ${signal}`, { to: sent });
}

// Passes a signal on to the main command, unchanged; false when it is not running.
export function forwardToMain(signal: NodeJS.Signals, main: SupervisedProcess | undefined, log: Log): boolean {
  const sent = main?.signal(signal) ?? false;
  if (sent) log.info(`forwarded ${signal} to the main command`);
  return sent;
}
