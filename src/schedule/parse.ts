// A descriptor's `schedule` key: run the command periodically instead of keeping it up
// (what NColony's scheduler did, e.g. Django's `clearsessions` every hour).
//
// Forms:
//   "0 * * * *"                         cron, 5 fields (minute precision) or 6 (seconds first)
//   {"cron": "0 * * * *", "timeout": 600}
//   {"every": 3600, "timeout": 600}     an interval in seconds; the first run is one interval
//                                       after the scheduler starts
// `timeout` (seconds) limits a run: the caller sends SIGTERM when it passes, then SIGKILL after
// the process's kill_time. Cron expressions are read by croner (standard day-of-month OR
// day-of-week semantics, names such as MON and JAN, nicknames such as @hourly, L for last) in
// the local time zone of colony's process: UTC in a container unless TZ (or /etc/localtime)
// says otherwise.
import { Cron } from 'croner';
import { MAX_TIMER_MS } from '../common/clock.ts';
import { shown } from '../common/text.ts';

export type Schedule =
  | { kind: 'cron'; expression: string; timeoutMs?: number }
  | { kind: 'interval'; everyMs: number; timeoutMs?: number };

export type ParseScheduleResult = { ok: true; schedule: Schedule } | { ok: false; error: string };


const OBJECT_KEYS = ['cron', 'every', 'timeout'];

// Reads a descriptor's `schedule` value; errors name the field and quote the value.
export function parseSchedule(value: unknown): ParseScheduleResult {
  if (typeof value === 'string') return parseCron('schedule', value, undefined);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail(`"schedule" must be a cron expression string or an object with "cron" or "every", got ${shown(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const unknown = Object.keys(obj).filter((k) => !OBJECT_KEYS.includes(k));
  if (unknown.length > 0) {
    return fail(`"schedule" has unknown key ${shown(unknown[0])} (allowed: "cron", "every", "timeout")`);
  }
  const hasCron = obj.cron !== undefined;
  const hasEvery = obj.every !== undefined;
  if (hasCron === hasEvery) {
    return fail(`"schedule" must have exactly one of "cron" and "every", got ${shown(value)}`);
  }
  let timeoutMs: number | undefined;
  if (obj.timeout !== undefined) {
    const seconds = positiveSeconds(obj.timeout);
    if (seconds === undefined) {
      return fail(`"schedule.timeout" must be a positive number of seconds, got ${shown(obj.timeout)}`);
    }
    if (seconds * 1000 > MAX_TIMER_MS) {
      return fail(`"schedule.timeout" must be at most ${Math.floor(MAX_TIMER_MS / 1000)} seconds (24.8 days), got ${shown(obj.timeout)}`);
    }
    timeoutMs = seconds * 1000;
  }
  if (hasCron) {
    if (typeof obj.cron !== 'string') {
      return fail(`"schedule.cron" must be a cron expression string, got ${shown(obj.cron)}`);
    }
    return parseCron('schedule.cron', obj.cron, timeoutMs);
  }
  const every = positiveSeconds(obj.every);
  if (every === undefined) {
    return fail(`"schedule.every" must be a positive number of seconds, got ${shown(obj.every)}`);
  }
  return ok({ kind: 'interval', everyMs: every * 1000, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}

// The next due time strictly after `after` (cron: the next matching second; interval: after + every).
export function nextRun(schedule: Schedule, after: Date): Date {
  if (schedule.kind === 'interval') return new Date(after.getTime() + schedule.everyMs);
  const next = compile(schedule.expression).nextRun(after);
  // parseSchedule rejected expressions that never match, so this is only a hand-made Schedule.
  if (!next) throw new Error(`cron expression never matches: ${JSON.stringify(schedule.expression)}`);
  return next;
}

function parseCron(field: string, expression: string, timeoutMs: number | undefined): ParseScheduleResult {
  const trimmed = expression.trim();
  let cron: Cron;
  try {
    cron = compile(trimmed);
  } catch (err) {
    const why = (err instanceof Error ? err.message : String(err)).replace(/^CronPattern: /, '');
    return fail(`"${field}" is not a valid cron expression: ${shown(expression)} (${why})`);
  }
  if (cron.nextRun(new Date()) === null) {
    return fail(`"${field}" is a cron expression that never matches: ${shown(expression)}`);
  }
  return ok({ kind: 'cron', expression: trimmed, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
}

// A croner object used only for computing times (no function, so it schedules nothing).
function compile(expression: string): Cron {
  return new Cron(expression, { mode: '5-or-6-parts', paused: true });
}

function positiveSeconds(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined;
}

const ok = (schedule: Schedule): ParseScheduleResult => ({ ok: true, schedule });
const fail = (error: string): ParseScheduleResult => ({ ok: false, error });
