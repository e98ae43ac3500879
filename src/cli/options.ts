// colony run's settings: defaults, COLONY_* environment variables, validation (errors name the option and the value).
import type { DirFlags, RunFlags } from './program.ts';
import { invalidNameReason } from '../descriptor/name.ts';
import { usageError } from '../common/errors.ts';
import { parseOnly } from '../supervisor/selection.ts';
import type { LogFormat } from '../log/logger.ts';

export const DEFAULTS = {
  config: '/etc/colony/config',
  messages: '/run/colony/messages',
  state: '/run/colony',
  // NColony's meanings; container-friendly values where NColony's do not fit (see docs/cli.md).
  killtime: 5,
  threshold: 1,
  minrestartdelay: 1,
  maxrestartdelay: 60,
  frequency: 60,
  // Docker waits 10 s between docker stop's SIGTERM and its SIGKILL: the whole shutdown fits in 9.
  stopTimeout: 9,
  // Each process's recent lines kept for ctl logs (log/kept.ts).
  keepLogs: '1MiB',
} as const;

export const ENV = {
  config: 'COLONY_CONFIG',
  messages: 'COLONY_MESSAGES',
  state: 'COLONY_STATE',
  logFormat: 'COLONY_LOG_FORMAT',
  stopTimeout: 'COLONY_STOP_TIMEOUT',
  logOnly: 'COLONY_LOG_ONLY',
  mainOutput: 'COLONY_MAIN_OUTPUT',
  only: 'COLONY_ONLY',
  keepLogs: 'COLONY_KEEP_LOGS',
  metrics: 'COLONY_METRICS',
} as const;

export interface RunOptions {
  config: string;
  messages: string;
  state: string;
  killTimeMs: number;
  thresholdMs: number;
  minRestartDelayMs: number;
  maxRestartDelayMs: number;
  frequencyMs: number;
  logFormat: LogFormat;
  main: string[] | undefined;
  insecureFiles: boolean;
  stopTimeoutMs: number;
  logOnly: 'all' | 'colony' | 'processes';
  // The main command's stdout and stderr: colony's own ('inherit') or relayed into the log ('log').
  mainOutput: 'inherit' | 'log';
  // The fd colony's log goes to: 2 when the main command has stdout (what it prints is all there is), else 1.
  logFd: 1 | 2;
  // --only: the processes of the config directory that run (with what they are "after"); undefined: all.
  only: string[] | undefined;
  // Bytes of recent lines kept per process for ctl logs; 0: none.
  keepLogsBytes: number;
  // --metrics: where GET /metrics is served (metrics/server.ts); undefined: nowhere.
  metrics: Listen | undefined;
  // Which directories are colony's defaults (neither a flag nor a variable names them).
  defaulted: { config: boolean; messages: boolean; state: boolean };
}

// A directory from the flag, else the environment variable, else the default.
export function directory(flag: string | undefined, envName: string, fallback: string, env: NodeJS.ProcessEnv): string {
  return flag ?? (env[envName] || fallback);
}

// The config, messages and state directories (flag, else variable, else default), and which of them
// are the defaults.
export function directories(flags: DirFlags, env: NodeJS.ProcessEnv): Pick<RunOptions, 'config' | 'messages' | 'state' | 'defaulted'> {
  const isDefault = (k: 'config' | 'messages' | 'state'): boolean => flags[k] === undefined && !env[ENV[k]];
  return {
    config: directory(flags.config, ENV.config, DEFAULTS.config, env),
    messages: directory(flags.messages, ENV.messages, DEFAULTS.messages, env),
    state: directory(flags.state, ENV.state, DEFAULTS.state, env),
    defaulted: { config: isDefault('config'), messages: isDefault('messages'), state: isDefault('state') },
  };
}

// Seconds given on the command line, as milliseconds.
export function seconds(option: string, value: string | number | undefined, fallback: number, { allowZero = true } = {}): number {
  if (value === undefined) return fallback * 1000;
  if (typeof value === 'string' && !/^\d+(\.\d+)?$|^\.\d+$/.test(value.trim())) throw usageError(`--${option} must be a non-negative number of seconds (such as 5 or 0.5), got ${JSON.stringify(value)}`);
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isFinite(n) || n < 0 || (!allowZero && n === 0)) throw usageError(`--${option} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds (such as 5 or 0.5), got ${JSON.stringify(value)}`);
  return Math.round(n * 1000);
}

// Which records the log holds: all, colony's own only, or the processes' lines (with colony's warnings and errors).
// `fallback` applies when nothing is given ('processes' beside a main command that has the stdout).
export function logOnly(value: string | undefined, fallback: 'all' | 'processes' = 'all'): 'all' | 'colony' | 'processes' {
  const v = value ?? fallback;
  if (v === 'all' || v === 'colony' || v === 'processes') return v;
  throw usageError(`--log-only must be all, colony or processes, got ${JSON.stringify(value)}`);
}

// Where the main command's output goes: 'inherit' (colony's stdout and stderr, the default) or 'log'.
export function mainOutput(value: string | undefined): 'inherit' | 'log' {
  const v = value ?? 'inherit';
  if (v === 'inherit' || v === 'log') return v;
  throw usageError(`--main-output must be inherit or log, got ${JSON.stringify(value)}`);
}

// --only's names (comma-separated; '' selects none), or undefined when neither the flag nor the variable is set.
export function only(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const r = parseOnly(value, invalidNameReason);
  if ('error' in r) throw usageError(`--only: a ${r.error}`);
  return r.names;
}

// A size: bytes, or with a unit (KiB, MiB; K and M mean the same). 0 turns the kept logs off.
export function size(option: string, value: string): number {
  const m = /^(\d+)\s*(|b|k|kib|m|mib)$/i.exec(value.trim());
  const unit = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 * 1024, mib: 1024 * 1024 }[m?.[2]?.toLowerCase() ?? ''];
  const n = m ? Number(m[1]) * (unit ?? 1) : NaN;
  if (!Number.isSafeInteger(n) || (n > 0 && n < 1024)) throw usageError(`--${option} must be a size of at least 1KiB (such as 1MiB, 512KiB or 0 for none), got ${JSON.stringify(value)}`);
  return n;
}

// An address to listen on: HOST:PORT, [IPv6]:PORT, or :PORT (every interface); port 0: any free one.
export interface Listen {
  host: string | undefined; // undefined: every interface
  port: number;
}

export function listen(option: string, value: string | undefined): Listen | undefined {
  if (value === undefined || value === '') return undefined;
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\s[\]]*))?:?(\d{1,5})$/.exec(value.trim());
  const host = m ? (m[1] ?? m[2]) || undefined : undefined;
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535) || (!value.includes(':') && m[2])) throw usageError(`--${option} must be HOST:PORT (such as 127.0.0.1:9100, 0.0.0.0:9100, [::1]:9100 or :9100 for every interface), got ${JSON.stringify(value)}`);
  return { host, port };
}

// 'json', 'text', or 'auto' (text on a terminal, JSON otherwise).
export function logFormat(value: string | undefined, isTty: boolean): LogFormat {
  const v = value ?? 'auto';
  if (v === 'json' || v === 'text') return v;
  if (v === 'auto') return isTty ? 'text' : 'json';
  throw usageError(`--log-format must be json, text or auto, got ${JSON.stringify(value)}`);
}

// Turns run's flags and the environment into settings. `isTty` tells whether an fd is a terminal.
export function runOptions(flags: RunFlags, command: string[], env: NodeJS.ProcessEnv, isTty: (fd: number) => boolean): RunOptions {
  const main = command.length > 0 ? command : undefined;
  const output = mainOutput(flags.mainOutput ?? env[ENV.mainOutput]);
  // What the main command prints is all that colony's stdout holds: the log goes to stderr, and holds
  // only colony's warnings and errors (and the other processes' lines) unless asked for more.
  const logFd = main && output === 'inherit' ? 2 : 1;
  return {
    ...directories(flags, env),
    killTimeMs: seconds('killtime', flags.killtime, DEFAULTS.killtime),
    thresholdMs: seconds('threshold', flags.threshold, DEFAULTS.threshold),
    minRestartDelayMs: seconds('minrestartdelay', flags.minrestartdelay, DEFAULTS.minrestartdelay),
    maxRestartDelayMs: seconds('maxrestartdelay', flags.maxrestartdelay, DEFAULTS.maxrestartdelay),
    frequencyMs: seconds('frequency', flags.frequency, DEFAULTS.frequency),
    logFormat: logFormat(flags.logFormat ?? env[ENV.logFormat], isTty(logFd)),
    main,
    insecureFiles: flags.insecureFiles === true,
    logOnly: logOnly(flags.logOnly ?? env[ENV.logOnly], logFd === 2 ? 'processes' : 'all'),
    mainOutput: output,
    logFd,
    only: only(flags.only ?? env[ENV.only]),
    metrics: listen('metrics', flags.metrics ?? env[ENV.metrics]),
    keepLogsBytes: size('keep-logs', flags.keepLogs ?? (env[ENV.keepLogs] || DEFAULTS.keepLogs)),
    stopTimeoutMs: seconds('stop-timeout', flags.stopTimeout ?? env[ENV.stopTimeout], DEFAULTS.stopTimeout, { allowZero: false }),
  };
}
