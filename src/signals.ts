import { constants } from 'node:os';

// Signals that make colony shut down gracefully (docker stop sends SIGTERM, a terminal SIGINT).
export const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT'] as const;

// Signals colony passes on to every process's main pid (gunicorn: HUP reload, TTIN/TTOU workers, USR1 reopen logs).
export const FORWARDED_SIGNALS = ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGTTIN', 'SIGTTOU'] as const;

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
