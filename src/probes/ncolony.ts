// NColony's health-check extras, honoured natively and fixed (NColony runs them as separate programs that
// send RESTART messages; colony turns each into a HealthChecker plan for the process it belongs to):
// - "ncolony.beatcheck": {period, grace, status} — the process touches its status file (status, or
//   status/NAME when status is a directory) at least every `period` s. NColony crashed for good when the
//   file did not exist yet and restarted at every check with no grace after a restart; here a missing or
//   stale file is not counted during period×grace s after each (re)start, then one failed check is unhealthy.
// - "ncolony.httpcheck": {url, period, grace, maxBad, timeout} — GET url every `period` s; more than maxBad
//   failures in a row is unhealthy. NColony counted HTTP 5xx as healthy; here only 2xx/3xx are.
import { stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describeError } from '../common/errors.ts';
import { MAX_TIMER_MS, type Clock } from '../common/clock.ts';
import type { HealthCheckPlan } from './checker.ts';
import { formatDuration, runProbe, type ProbeOptions, type ProbeResult } from './probe.ts';
import { shown } from '../common/text.ts';

export const BEATCHECK_KEY = 'ncolony.beatcheck';
export const HTTPCHECK_KEY = 'ncolony.httpcheck';

export interface BeatcheckConfig {
  period: number; // seconds
  grace: number; // periods
  status: string; // a file, or a directory holding one file per process name
}

export interface HttpcheckConfig {
  url: string;
  period: number; // seconds
  grace: number; // periods
  maxBad: number; // failures in a row that are still tolerated
  timeout: number; // seconds (capped at period, as NColony does)
}

export interface NcolonyExtras {
  beatcheck?: BeatcheckConfig;
  httpcheck?: HttpcheckConfig;
}

export type NcolonyExtrasResult = { ok: true; extras: NcolonyExtras } | { ok: false; errors: string[] };

// The longest timer Node can set, in seconds: a period above it would fire at once.
const MAX_PERIOD_S = Math.floor(MAX_TIMER_MS / 1000);

// The health check plan for a process with "ncolony.beatcheck" (a relative status path is taken from opts.cwd).
export function beatcheckProbe(cfg: BeatcheckConfig, name: string, opts: { cwd?: string | undefined; clock?: Pick<Clock, 'wallNow'> | undefined } = {}): HealthCheckPlan {
  // cwd: the process's working directory, where its heart client resolves a relative path too (else colony's own).
  // clock: its wallNow() is what file mtimes are compared with (default Date.now; tests pass a FakeClock).
  const periodMs = cfg.period * 1000;
  const clock = opts.clock;
  const now = clock ? () => clock.wallNow() : Date.now;
  const base = resolve(opts.cwd ?? process.cwd(), cfg.status);
  const probe = async (): Promise<ProbeResult> => {
    let file = base;
    try {
      let st = await stat(file);
      if (st.isDirectory()) {
        file = join(base, name);
        st = await stat(file);
      }
      const age = now() - st.mtimeMs;
      if (age > periodMs) return { ok: false, detail: `last heartbeat ${formatDuration(age)} ago, over the ${formatDuration(periodMs)} period (${file})` };
      return { ok: true, detail: `heartbeat ${formatDuration(Math.max(0, age))} ago` };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { ok: false, detail: `no heartbeat: no such file ${file}` };
      return { ok: false, detail: `cannot read the heartbeat file ${file}: ${describeError(err)}` };
    }
  };
  return { probe, intervalMs: periodMs, timeoutMs: periodMs, retries: 1, startPeriodMs: periodMs * cfg.grace };
}

// The health check plan for a process with "ncolony.httpcheck" (opts.clock times the GET's timeout; default the real clock).
export function httpcheckProbe(cfg: HttpcheckConfig, opts: Pick<ProbeOptions, 'clock'> = {}): HealthCheckPlan {
  const periodMs = cfg.period * 1000;
  const timeoutMs = Math.min(cfg.period, cfg.timeout) * 1000;
  return {
    probe: () => runProbe({ kind: 'http', url: cfg.url }, { timeoutMs, clock: opts.clock }),
    intervalMs: periodMs,
    timeoutMs,
    retries: cfg.maxBad + 1,
    startPeriodMs: periodMs * cfg.grace,
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// Reads and validates "ncolony.beatcheck" and "ncolony.httpcheck" from a parsed descriptor, with errors naming key, field and value.
export function parseNcolonyExtras(obj: unknown): NcolonyExtrasResult {
  // Other keys are ignored, and so is a key whose value is null (as NColony reads it: no check).
  if (!isObject(obj)) return { ok: false, errors: [`must be a JSON object, got ${shown(obj)}`] };
  const errors: string[] = [];
  const extras: NcolonyExtras = {};

  const beat = obj[BEATCHECK_KEY];
  if (beat !== undefined && beat !== null) {
    const at = fields(BEATCHECK_KEY, beat, errors);
    if (at) {
      const period = seconds(at, 'period', errors);
      const grace = nonNegative(at, 'grace', errors);
      const status = nonEmptyString(at, 'status', errors);
      if (period !== undefined && grace !== undefined && status !== undefined) extras.beatcheck = { period, grace, status };
    }
  }

  const http = obj[HTTPCHECK_KEY];
  if (http !== undefined && http !== null) {
    const at = fields(HTTPCHECK_KEY, http, errors);
    if (at) {
      const url = httpUrl(at, 'url', errors);
      const period = seconds(at, 'period', errors);
      const grace = nonNegative(at, 'grace', errors);
      const maxBad = count(at, 'maxBad', errors);
      const timeout = seconds(at, 'timeout', errors);
      if (url !== undefined && period !== undefined && grace !== undefined && maxBad !== undefined && timeout !== undefined) {
        extras.httpcheck = { url, period, grace, maxBad, timeout };
      }
    }
  }

  return errors.length > 0 ? { ok: false, errors } : { ok: true, extras };
}

interface Fields {
  key: string;
  obj: Record<string, unknown>;
}

function fields(key: string, value: unknown, errors: string[]): Fields | undefined {
  if (!isObject(value)) {
    errors.push(`"${key}" must be an object, got ${shown(value)}`);
    return undefined;
  }
  return { key, obj: value };
}

// The field's value, or an error saying it is required.
function required(at: Fields, field: string, errors: string[], what: string): unknown {
  const v = at.obj[field];
  if (v === undefined) errors.push(`"${at.key}.${field}" is required (${what})`);
  return v;
}

function seconds(at: Fields, field: string, errors: string[]): number | undefined {
  const what = 'a positive number of seconds';
  const v = required(at, field, errors, what);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
    errors.push(`"${at.key}.${field}" must be ${what}, got ${shown(v)}`);
    return undefined;
  }
  if (v > MAX_PERIOD_S) {
    errors.push(`"${at.key}.${field}" must be at most ${MAX_PERIOD_S} seconds, got ${shown(v)}`);
    return undefined;
  }
  return v;
}

function nonNegative(at: Fields, field: string, errors: string[]): number | undefined {
  const what = 'a number of periods, 0 or more';
  const v = required(at, field, errors, what);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
    errors.push(`"${at.key}.${field}" must be ${what}, got ${shown(v)}`);
    return undefined;
  }
  return v;
}

function count(at: Fields, field: string, errors: string[]): number | undefined {
  const what = 'a whole number, 0 or more';
  const v = required(at, field, errors, what);
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 1_000_000) {
    errors.push(`"${at.key}.${field}" must be ${what}, got ${shown(v)}`);
    return undefined;
  }
  return v;
}

function nonEmptyString(at: Fields, field: string, errors: string[]): string | undefined {
  const what = 'a non-empty path';
  const v = required(at, field, errors, what);
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || v === '' || v.includes('\0')) {
    errors.push(`"${at.key}.${field}" must be ${what}, got ${shown(v)}`);
    return undefined;
  }
  return v;
}

function httpUrl(at: Fields, field: string, errors: string[]): string | undefined {
  const what = 'an http:// or https:// URL';
  const v = required(at, field, errors, what);
  if (v === undefined) return undefined;
  let ok = false;
  if (typeof v === 'string') {
    try {
      const u = new URL(v);
      ok = u.protocol === 'http:' || u.protocol === 'https:';
    } catch {
      ok = false;
    }
  }
  if (!ok) {
    errors.push(`"${at.key}.${field}" must be ${what}, got ${shown(v)}`);
    return undefined;
  }
  return v as string;
}
