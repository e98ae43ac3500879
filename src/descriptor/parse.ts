// A process descriptor: NColony's JSON format plus colony's keys (schema.ts), validated with errors
// that name the field and the value. Pure: bytes in, descriptor or errors out; no I/O.
import { parseNcolonyExtras, type NcolonyExtras } from '../probes/ncolony.ts';
import { parseSchedule, type Schedule } from '../schedule/parse.ts';
import { signalName } from '../system/signals.ts';
import { shown } from '../common/text.ts';
import { expand } from './expand.ts';
import { PROBE_KINDS, validateFields } from './schema.ts';

// Files larger than this are refused rather than parsed (a descriptor is a few hundred bytes).
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export type ProbeKind = 'tcp' | 'http' | 'file' | 'log' | 'exec' | 'notify';

// A readiness or health probe as written in the descriptor (seconds turned into ms).
export interface ProbeDef {
  kind: ProbeKind;
  target: string | string[] | true; // HOST:PORT, URL, path, regex, argv for exec, or true for notify
  timeoutMs: number;
}

export interface HealthDef extends ProbeDef {
  intervalMs: number;
  retries: number;
  startPeriodMs: number;
}

export type OutputDef = { kind: 'log' } | { kind: 'inherit' } | { kind: 'file'; path: string; maxBytes: number | undefined; keep: number | undefined };

export interface Hooks {
  exit: string[] | undefined;
  unhealthy: string[] | undefined;
  failed: string[] | undefined;
  timeoutMs: number;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;

export interface Descriptor {
  args: string[];
  env: Record<string, string> | undefined;
  // dotenv files read at each start (a missing one that is not required is skipped).
  envFiles: Array<{ path: string; required: boolean }>;
  // ${NAME} in args and cwd replaced from the process's environment at each start.
  expandEnv: boolean;
  envInherit: string[] | undefined;
  uid: number | undefined;
  gid: number | undefined;
  groups: string[];
  cwd: string | undefined;
  user: string | number | undefined;
  umask: number | undefined;
  // Stopping: undefined means colony's default (SIGTERM, --killtime).
  stopSignal: NodeJS.Signals | undefined;
  killTimeMs: number | undefined;
  stopGroup: boolean;
  // Restarting: undefined means colony's default (always, --threshold, --min/maxrestartdelay, never give up).
  restart: 'always' | 'on-failure' | 'never' | undefined;
  successExitCodes: number[];
  thresholdMs: number | undefined;
  minRestartDelayMs: number | undefined;
  maxRestartDelayMs: number | undefined;
  maxFastRestarts: number | undefined;
  critical: boolean;
  // false: started only by request (ctl start, or a restart by name).
  autostart: boolean;
  // How many instances the file asks for (supervisor/replicas.ts makes them); undefined: one, named as the file.
  replicas: number | undefined;
  // Set on an instance of a replicated process: the file's name and which instance (1...).
  replica?: { of: string; index: number };
  // Forwarded signals: a received signal → what this process gets (null: nothing). Undefined: the default set, unchanged.
  signals: Record<string, NodeJS.Signals | null> | undefined;
  reloadSignal: NodeJS.Signals | undefined;
  // ctl upgrade's signal (default SIGUSR2).
  upgradeSignal: NodeJS.Signals | undefined;
  // Where a successor's pid is written (process/handover.ts).
  pidfile: string | undefined;
  // WATCHDOG=1 expected at least this often (ms).
  watchdogMs: number | undefined;
  after: string[];
  ready: ProbeDef | undefined;
  health: HealthDef | undefined;
  schedule: Schedule | undefined;
  // NColony's "ncolony.beatcheck" / "ncolony.httpcheck", honoured as health checks.
  ncolony: NcolonyExtras;
  watch: { paths: string[]; action: 'restart' | 'reload'; debounceMs: number } | undefined;
  output: OutputDef;
  pythonUnbuffered: boolean;
  // Commands run on its state changes (process/hooks.ts); undefined: none.
  hooks?: Hooks;
  // The canonical JSON of the whole parsed file (unknown keys included): equal means unchanged.
  canonical: string;
  // The file's raw text, passed to the child as NCOLONY_CONFIG.
  raw: string;
  // Where it came from (the file's path), for log lines.
  source?: string;
}

// warnings: problems that do not stop the process (e.g. a malformed NColony extra, which is then ignored).
export type ParseResult = { ok: true; descriptor: Descriptor; warnings: string[] } | { ok: false; errors: string[] };

// The most one environment variable can hold (Linux's MAX_ARG_STRLEN, 32 pages), "NCOLONY_CONFIG="
// and the NUL included: a bigger descriptor is not passed in NCOLONY_CONFIG, or execve fails (E2BIG).
export const MAX_NCOLONY_CONFIG_BYTES = 32 * 4096 - 'NCOLONY_CONFIG='.length - 1;

// Default probe timeout, readiness wait and health timings (ms).
export const PROBE_DEFAULTS = { timeoutMs: 5_000, readyTimeoutMs: 60_000, intervalMs: 30_000, retries: 3, startPeriodMs: 0 };

// How deep JSON arrays and objects may nest in a descriptor or message: far more than any real one,
// and little enough for JSON.stringify and the validators, which recurse, never to run out of stack.
export const MAX_NESTING = 64;

// The deepest nesting of arrays/objects in JSON text (brackets inside strings do not count).
export function jsonNesting(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \\ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 /* [ */ || c === 123 /* { */) max = Math.max(max, ++depth);
    else if (c === 93 /* ] */ || c === 125 /* } */) depth--;
  }
  return max;
}

// Parses and validates one descriptor file's bytes.
export function parseDescriptor(bytes: Buffer | string): ParseResult {
  if (bytes.length > MAX_FILE_BYTES) return { ok: false, errors: [`file is ${bytes.length} bytes, over the ${MAX_FILE_BYTES}-byte limit`] };
  const raw = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  if (raw.trim() === '') return { ok: false, errors: ['file is empty'] };
  if (jsonNesting(raw) > MAX_NESTING) return { ok: false, errors: [`nested more than ${MAX_NESTING} levels deep`] };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, errors: [`not valid JSON: ${(err as Error).message}`] };
  }
  return validateDescriptor(value, raw);
}

// A descriptor for a bare command (the main command, tests): every optional key at its default.
export function commandDescriptor(args: string[], raw = JSON.stringify({ args })): Descriptor {
  const r = validateDescriptor({ args }, raw);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.descriptor;
}

const ms = (s: number | undefined): number | undefined => (s === undefined ? undefined : Math.round(s * 1000));

function probeOf(p: Record<string, unknown>): ProbeDef {
  const kind = PROBE_KINDS.find((k) => p[k] !== undefined)!;
  return { kind, target: p[kind] as string | string[] | true, timeoutMs: ms(p.timeout as number | undefined) ?? PROBE_DEFAULTS.timeoutMs };
}

// Validates an already parsed value as a descriptor.
export function validateDescriptor(value: unknown, raw: string): ParseResult {
  const r = validateFields(value);
  if (!r.ok) return r;
  const f = r.fields;
  const errors: string[] = [];
  if (f.user !== undefined && (f.uid !== undefined || f.gid !== undefined)) errors.push('"user" and "uid"/"gid" are both given: use one or the other');
  if (f.schedule !== undefined && f.restart !== undefined) errors.push('"schedule" and "restart" are both given: a scheduled process runs on its schedule, not under a restart policy');
  if (f.min_restart_delay !== undefined && f.max_restart_delay !== undefined && f.max_restart_delay < f.min_restart_delay) {
    errors.push(`"max_restart_delay" (${f.max_restart_delay}) must not be less than "min_restart_delay" (${f.min_restart_delay})`);
  }
  if (f.expand_env) {
    for (const [key, text] of [...f.args.map((a, i) => [`args[${i}]`, a] as const), ...(f.cwd !== undefined ? [['cwd', f.cwd] as const] : [])]) {
      const r = expand(text, undefined);
      if (!r.ok) errors.push(`"${key}" ${r.error}, got ${shown(text)}`);
    }
  } else if (f.cwd !== undefined && !f.cwd.startsWith('/')) errors.push(`"cwd" must be an absolute path (\${...} needs "expand_env": true), got ${shown(f.cwd)}`);
  if (f.health?.notify) errors.push('"health" cannot be {"notify": true}: readiness is told over NOTIFY_SOCKET, health is checked (use "watchdog" for a process that reports it is alive)');
  if (f.replicas !== undefined && f.schedule !== undefined) errors.push('"replicas" and "schedule" are both given: a scheduled job runs as one instance');
  if (f.replicas !== undefined && f.output !== undefined && f.output !== 'log' && f.output !== 'inherit') errors.push('"replicas" with an output file: every instance would write (and rotate) the same file; use "log" or "inherit"');
  let schedule: Schedule | undefined;
  if (f.schedule !== undefined) {
    const sch = parseSchedule(f.schedule);
    if (sch.ok) schedule = sch.schedule;
    else errors.push(sch.error);
  }
  // NColony's extras belong to its helper programs: a malformed one disables that check, not the process.
  const extras = parseNcolonyExtras(value);
  const warnings = extras.ok ? [] : extras.errors.map((e) => `${e}: this health check is ignored`);
  const size = Buffer.byteLength(raw);
  if (size > MAX_NCOLONY_CONFIG_BYTES) warnings.push(`the file is ${size} bytes, more than one environment variable can hold (${MAX_NCOLONY_CONFIG_BYTES}): NCOLONY_CONFIG is not set for this process`);
  if (errors.length > 0) return { ok: false, errors };
  const signals = f.signals === undefined ? undefined : Object.fromEntries(Object.entries(f.signals).map(([k, v]) => [signalName(k)!, v]));
  const watch =
    f.watch === undefined
      ? undefined
      : Array.isArray(f.watch)
        ? { paths: f.watch, action: 'restart' as const, debounceMs: 500 }
        : { paths: f.watch.paths, action: f.watch.action ?? 'restart', debounceMs: ms(f.watch.debounce) ?? 500 };
  const output: OutputDef =
    f.output === undefined || f.output === 'log'
      ? { kind: 'log' }
      : f.output === 'inherit'
        ? { kind: 'inherit' }
        : typeof f.output === 'string'
          ? { kind: 'file', path: f.output, maxBytes: undefined, keep: undefined }
          : { kind: 'file', path: f.output.file, maxBytes: f.output.max_bytes, keep: f.output.keep };
  return {
    ok: true,
    descriptor: {
      args: f.args,
      env: f.env,
      envFiles: (f.env_file === undefined ? [] : Array.isArray(f.env_file) ? f.env_file : [f.env_file]).map((e) => (typeof e === 'string' ? { path: e, required: true } : { path: e.path, required: e.required ?? true })),
      expandEnv: f.expand_env ?? false,
      envInherit: f.env_inherit,
      uid: f.uid,
      gid: f.gid,
      groups: f.group ?? [],
      cwd: f.cwd,
      user: f.user,
      umask: typeof f.umask === 'string' ? parseInt(f.umask, 8) : f.umask,
      stopSignal: f.stop_signal,
      killTimeMs: ms(f.kill_time),
      stopGroup: f.stop_group ?? false,
      restart: f.restart,
      successExitCodes: f.success_exit_codes ?? [0],
      thresholdMs: ms(f.threshold),
      minRestartDelayMs: ms(f.min_restart_delay),
      maxRestartDelayMs: ms(f.max_restart_delay),
      maxFastRestarts: f.max_fast_restarts,
      critical: f.critical ?? false,
      autostart: f.autostart ?? true,
      replicas: f.replicas,
      signals,
      reloadSignal: f.reload_signal,
      upgradeSignal: f.upgrade_signal,
      pidfile: f.pidfile,
      watchdogMs: ms(f.watchdog),
      after: f.after ?? [],
      // For ready, "timeout" is the whole wait (default 60 s); each check is bounded by min(5 s, it).
      ready: f.ready ? { ...probeOf(f.ready), timeoutMs: ms(f.ready.timeout) ?? PROBE_DEFAULTS.readyTimeoutMs } : undefined,
      health: f.health
        ? {
            ...probeOf(f.health),
            intervalMs: ms(f.health.interval) ?? PROBE_DEFAULTS.intervalMs,
            retries: f.health.retries ?? PROBE_DEFAULTS.retries,
            startPeriodMs: ms(f.health.start_period) ?? PROBE_DEFAULTS.startPeriodMs,
          }
        : undefined,
      schedule,
      ncolony: extras.ok ? extras.extras : {},
      watch,
      output,
      pythonUnbuffered: f.python_unbuffered ?? true,
      ...(f.on_exit || f.on_unhealthy || f.on_failed ? { hooks: { exit: f.on_exit, unhealthy: f.on_unhealthy, failed: f.on_failed, timeoutMs: ms(f.hook_timeout) ?? DEFAULT_HOOK_TIMEOUT_MS } } : {}),
      canonical: canonicalJson(value),
      raw,
    },
    warnings,
  };
}

// JSON with object keys sorted, so that two files that parse the same compare equal.
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>; // keeps a "__proto__" key as a key
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}
