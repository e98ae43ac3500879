// The descriptor's keys, declared once (zod): the validation colony runs and the JSON Schema editors
// use (scripts/schema.ts writes docs/descriptor.schema.json from this). NColony's keys keep their
// meaning; colony's own are snake_case beside them, all optional. Unknown top-level keys are kept
// (other tools read them through NCOLONY_CONFIG); unknown keys inside colony's objects are errors.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { signalName } from '../system/signals.ts';
import { MAX_TIMER_MS } from '../common/clock.ts';
import { shown } from '../common/text.ts';

// zod/mini, the functional API: checks are values (.check(z.minLength(1))), not methods. Imported as a
// namespace so that the bundle keeps only what is used here (under 50 KB of zod rather than ~290 KB), which is
// most of what validating costs at start-up. It has no default locale: zod's English one words the issues
// colony leaves to zod (e.g. an exit code over 255) as the classic API did. Set only when none was chosen.
// (z.number() refuses Infinity and NaN itself, with its own message: classic's .finite() was a no-op.)
if (!z.config().localeError) z.config(en());

// Node's timers fire at once (with a TimeoutOverflowWarning) for 2^31 ms or more: longer durations
// would turn into 1 ms timers (a kill_time of 1e10 s would SIGKILL at once, a health interval of
// 1e10 s would probe a thousand times a second). 2147483 s is 24.8 days.
export const MAX_SECONDS = Math.floor(MAX_TIMER_MS / 1000);
const tooLong = { error: `must be at most ${MAX_SECONDS} seconds (24.8 days)` };
const seconds = z.number({ error: 'must be a number of seconds' }).check(z.nonnegative({ error: 'must not be negative' }), z.lte(MAX_SECONDS, tooLong));
const positiveSeconds = z.number({ error: 'must be a number of seconds' }).check(z.positive({ error: 'must be more than 0 seconds' }), z.lte(MAX_SECONDS, tooLong));
const noNul = () => z.refine<string>((s) => !s.includes('\0'), { error: 'must not contain a NUL byte' });
// Names, paths and globs: no NUL byte either (the kernel would cut the string there).
const name = z.string({ error: 'must be a non-empty string' }).check(z.minLength(1, { error: 'must be a non-empty string' }), noNul());
export const MAX_REPLICAS = 1000;
const count = (what: string) => z.int({ error: `must be a whole number (${what})` }).check(z.positive({ error: `must be at least 1 (${what})` }));
const signal = z.pipe(
  z.string({ error: 'must be a signal name such as "SIGTERM"' }).check(z.refine((s) => signalName(s) !== undefined, { error: 'is not a signal name (e.g. "SIGTERM", "SIGHUP", "SIGINT")' })),
  z.transform((s: string) => signalName(s)!),
);

function validRegex(s: string): boolean {
  try {
    new RegExp(s);
    return true;
  } catch {
    return false;
  }
}

export const PROBE_KINDS = ['tcp', 'http', 'file', 'log', 'exec', 'notify'] as const;

// A readiness/health probe: exactly one of the kinds, plus timing.
function probe<T extends z.core.$ZodLooseShape>(timing: T) {
  return z
    .strictObject(
      {
        tcp: z.optional(z.string({ error: 'must be "HOST:PORT"' }).check(z.regex(/^(\[[0-9a-fA-F:]+\]|[^:\s]*):\d{1,5}$/, { error: 'must be "HOST:PORT" (e.g. "127.0.0.1:6379")' }), noNul())),
        http: z.optional(z.string({ error: 'must be a URL' }).check(z.regex(/^https?:\/\/\S+$/, { error: 'must be an http:// or https:// URL' }), noNul())),
        file: z.optional(name),
        log: z.optional(z.string({ error: 'must be a regular expression' }).check(z.refine(validRegex, { error: 'is not a valid regular expression' }))),
        exec: z.optional(z.array(name, { error: 'must be a list of strings (a command and its arguments)' }).check(z.minLength(1, { error: 'must not be empty' }))),
        notify: z.optional(z.literal(true, { error: 'must be true (the process says READY=1 over NOTIFY_SOCKET)' })),
        timeout: z.optional(positiveSeconds),
        ...timing,
      },
      { error: `must be an object with one of ${PROBE_KINDS.map((k) => `"${k}"`).join(', ')}` },
    )
    .check(z.refine((p) => PROBE_KINDS.filter((k) => (p as Record<string, unknown>)[k] !== undefined).length === 1, { error: `needs exactly one of ${PROBE_KINDS.map((k) => `"${k}"`).join(', ')}` }));
}

// A command: the executable and its arguments (args, and the hooks).
const argv = () => z.array(z.string({ error: 'must be a string' }).check(noNul()), { error: 'must be a non-empty list of strings' }).check(z.minLength(1, { error: 'must be a non-empty list of strings' }), z.refine((a) => a[0] !== '', { error: 'must start with the executable, not ""' }));
const absolute = z.string({ error: 'must be an absolute path' }).check(z.startsWith('/', { error: 'must be an absolute path' }), noNul());
const envFile = z.union([absolute, z.strictObject({ path: absolute, required: z.optional(z.boolean({ error: 'must be true or false' })) })], { error: 'must be an absolute path or {"path": PATH, "required": false}' });
const globs = z.array(name, { error: 'must be a list of paths or globs' }).check(z.minLength(1, { error: 'must not be empty' }));
const id = () => z.optional(z.int({ error: 'must be a non-negative integer' }).check(z.gte(0, { error: 'must be a non-negative integer' }), z.lte(0xfffffffe, { error: 'is too large' })));
const bool = () => z.optional(z.boolean({ error: 'must be true or false' }));

export const descriptorSchema = z.looseObject(
  {
    // NColony's keys
    args: argv(),
    env: z.optional(
      z.record(
        z.string().check(z.refine((k) => k !== '' && !k.includes('=') && !k.includes('\0') && k !== '__proto__', { error: 'is not a valid variable name' })),
        z.string({ error: 'must be a string' }).check(noNul()),
        { error: 'must be an object of strings' },
      ),
    ),
    env_file: z.optional(z.union([envFile, z.array(envFile).check(z.minLength(1, { error: 'must not be empty' }))], { error: 'must be an absolute path, {"path": PATH, "required": false}, or a list of them' })),
    expand_env: bool(),
    env_inherit: z.optional(z.array(name.check(z.refine((k) => !k.includes('='), { error: 'is not a valid variable name' })), { error: 'must be a list of strings' })),
    uid: id(),
    gid: id(),
    group: z.optional(z.array(name, { error: 'must be a list of strings' })),
    // Where and as whom
    // With expand_env it may start with ${VAR} (checked once expanded).
    cwd: z.optional(z.string({ error: 'must be an absolute path' }).check(z.refine((s) => s.startsWith('/') || s.startsWith('${'), { error: 'must be an absolute path' }), noNul())),
    user: z.optional(z.union([name, z.int().check(z.gte(0))], { error: 'must be a user name or a numeric uid' })),
    umask: z.optional(z.union([z.string().check(z.regex(/^0?[0-7]{3}$/, { error: 'must be an octal string such as "022"' })), z.int().check(z.gte(0), z.lte(0o777, { error: 'must be at most 511 (0o777)' }))], { error: 'must be an octal string such as "022", or a number up to 511' })),
    // Stopping
    stop_signal: z.optional(signal),
    kill_time: z.optional(seconds),
    stop_group: bool(),
    // Restarting
    restart: z.optional(z.enum(['always', 'on-failure', 'never'], { error: 'must be "always", "on-failure" or "never"' })),
    success_exit_codes: z.optional(z.array(z.int().check(z.gte(0), z.lte(255)), { error: 'must be a list of exit codes (0-255)' })),
    threshold: z.optional(seconds),
    min_restart_delay: z.optional(seconds),
    max_restart_delay: z.optional(seconds),
    max_fast_restarts: z.optional(count('fast deaths in a row before giving up')),
    critical: bool(),
    autostart: bool(),
    replicas: z.optional(z.int({ error: 'must be a whole number of instances (1 to 1000)' }).check(z.gte(1, { error: 'must be at least 1' }), z.lte(MAX_REPLICAS, { error: `must be at most ${MAX_REPLICAS}` }))),
    // Signals
    signals: z.optional(z.record(z.string().check(z.refine((s) => signalName(s) !== undefined, { error: 'is not a signal name' })), z.union([signal, z.null()], { error: 'must be a signal name or null' }), { error: 'must be an object mapping signal names to a signal name or null' })),
    reload_signal: z.optional(signal),
    upgrade_signal: z.optional(signal),
    // The main pid handed over to another process (process/handover.ts), and sd_notify's watchdog
    pidfile: z.optional(absolute),
    watchdog: z.optional(positiveSeconds),
    // Order, readiness, health
    after: z.optional(z.array(name, { error: 'must be a list of process names' })),
    ready: z.optional(probe({})),
    health: z.optional(probe({ interval: z.optional(positiveSeconds), retries: z.optional(count('failures in a row')), start_period: z.optional(seconds) })),
    // Periodic runs, watched files, output
    schedule: z.optional(z.union([z.string(), z.looseObject({})], { error: 'must be a cron expression or an object such as {"every": 3600} or {"cron": "0 * * * *", "timeout": 600}' })),
    watch: z.optional(z.union([globs, z.strictObject({ paths: globs, action: z.optional(z.enum(['restart', 'reload'], { error: 'must be "restart" or "reload"' })), debounce: z.optional(seconds) })], { error: 'must be a list of globs or {"paths": [...], "action": "restart"|"reload", "debounce": S}' })),
    output: z.optional(
      z.union(
        [
          z.enum(['log', 'inherit']),
          z.string().check(z.startsWith('/', { error: 'must be "log", "inherit" or an absolute file path' }), noNul()),
          z.strictObject({ file: z.string().check(z.startsWith('/', { error: 'must be an absolute path' }), noNul()), max_bytes: z.optional(z.int().check(z.positive())), keep: z.optional(z.int().check(z.gte(1))) }),
        ],
        { error: 'must be "log", "inherit", an absolute file path, or {"file": PATH, "max_bytes": N, "keep": N}' },
      ),
    ),
    python_unbuffered: bool(),
    // Hooks: commands run when the process's state changes (process/hooks.ts)
    on_exit: z.optional(argv()),
    on_unhealthy: z.optional(argv()),
    on_failed: z.optional(argv()),
    hook_timeout: z.optional(positiveSeconds),
  },
  { error: 'must be a JSON object' },
);

// One line per key, for the JSON Schema (editors show it) and docs/descriptor.md.
export const KEY_DESCRIPTIONS: Record<string, string> = {
  args: 'The command and its arguments; args[0] is the executable (searched in PATH when it has no "/"). No shell.',
  env: 'Variables set for the process; they override inherited ones.',
  env_file: 'dotenv files (absolute paths; {"path": P, "required": false} for one that may be missing) read at each start: their variables come after the inherited ones, "env" wins over them.',
  expand_env: 'true: ${NAME} and ${NAME:-default} in args and cwd are replaced from the process\'s own environment at each start ($$ is a literal $; an unset NAME without a default is a start error). Default false: args are passed as written.',
  env_inherit: "When present, only these variables come from colony's environment (an unset one becomes \"\").",
  uid: 'Run as this numeric user id (colony must be root).',
  gid: 'Run as this numeric group id (colony must be root).',
  group: 'Groups this process belongs to, for RESTART-GROUP and SIGNAL messages.',
  cwd: 'Working directory (absolute).',
  user: 'Run as this user (name or uid), resolved in /etc/passwd: uid, primary gid, HOME, USER, LOGNAME.',
  umask: 'File mode creation mask, e.g. "022".',
  stop_signal: 'Signal that asks the process to stop (default SIGTERM).',
  kill_time: 'Seconds between the stop signal and SIGKILL to the whole process group (default: --killtime).',
  stop_group: 'Send the stop signal to the whole process group instead of the main pid only (default false: celery pools must not get SIGTERM).',
  restart: 'always (default), on-failure (exit code not in success_exit_codes, or killed by a signal), or never.',
  success_exit_codes: 'Exit codes that count as success for restart: on-failure (default [0]).',
  threshold: 'Seconds: a process that lived less than this died fast (default: --threshold).',
  min_restart_delay: 'Seconds before the first restart after a fast death (default: --minrestartdelay).',
  max_restart_delay: 'The restart delay doubles after each fast death up to this (default: --maxrestartdelay).',
  max_fast_restarts: 'After this many fast deaths in a row the process is marked failed and not restarted; a restart message or a descriptor change revives it.',
  autostart: 'false: defined (and shown by ctl status) but started only by `colony ctl start` or `ctl restart` (default true). For a scheduled process: its schedule is armed only then.',
  replicas: 'Run N instances, NAME:1 ... NAME:N, each with COLONY_REPLICA=i in its environment. ctl restart NAME restarts them all (--rolling: one at a time, each ready before the next); NAME:i names one; "after": ["NAME"] waits for all. Changing N adds or removes instances, the others untouched.',
  critical: 'When this process ends and will not be restarted (policy, or failed), colony stops everything and exits with its code.',
  signals: 'Which signals colony forwards to this process and how they are rewritten, e.g. {"SIGINT": "SIGTERM", "SIGUSR1": null}.',
  reload_signal: 'What `colony ctl reload NAME` sends (gunicorn: SIGHUP); without it a reload is a restart.',
  after: 'Start only once these processes are ready; stop before them at shutdown.',
  ready: 'When the process counts as ready: one of {"tcp": "HOST:PORT"}, {"http": URL}, {"file": PATH}, {"log": REGEX}, {"exec": [...]}, {"notify": true} (it sends READY=1 over NOTIFY_SOCKET, as systemd\'s Type=notify), with "timeout": how long to wait (s, default 60).',
  pidfile: 'A file where the process writes its main pid when another process takes over (gunicorn\'s --pid after a USR2 upgrade): when the main pid exits, the live colony child the file names (re-read for up to 5 s) becomes the main pid: no restart, same uptime.',
  watchdog: 'Seconds: the process must send WATCHDOG=1 over NOTIFY_SOCKET at least this often (WATCHDOG_USEC is set), or it is restarted (systemd\'s WatchdogSec).',
  upgrade_signal: 'The signal that makes the process start a new copy of itself beside the old one, for `colony ctl upgrade` (default SIGUSR2, gunicorn\'s).',
  health: 'A periodic check (same kinds as ready) with interval, timeout, retries, start_period (s); failing retries times in a row restarts the process.',
  schedule: 'Run periodically instead of keeping it up: a cron expression, {"cron": EXPR, "timeout": S} or {"every": S, "timeout": S}. Runs never overlap.',
  watch: 'Paths or globs; a change restarts (or, with "action": "reload", reloads) the process, debounced.',
  on_exit: 'A command run each time a run of the process ends (COLONY_HOOK_* variables say how), bounded by hook_timeout; its output goes to colony\'s log.',
  on_unhealthy: 'A command run when the process\'s health check turns unhealthy.',
  on_failed: 'A command run when colony gives up restarting the process (max_fast_restarts).',
  hook_timeout: 'Seconds a hook may run before SIGKILL to its process group (default 30).',
  python_unbuffered: 'Add PYTHONUNBUFFERED=1 to the environment unless it is already set (default true), so that Python\'s lines arrive when printed.',
  output: '"log" (default: through colony\'s log), "inherit" (raw passthrough), or a file path / {"file", "max_bytes", "keep"} with size-based rotation.',
};

export type DescriptorInput = z.input<typeof descriptorSchema>;
export type DescriptorFields = z.output<typeof descriptorSchema>;

// "args[0]", "env.A", "ready.tcp".
function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

function at(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const p of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[p] : undefined;
  return v;
}

// Validates a parsed file against the schema: the fields, or one message per problem naming the key and the value.
export function validateFields(value: unknown): { ok: true; fields: DescriptorFields } | { ok: false; errors: string[] } {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, errors: [`must be a JSON object, got ${shown(value)}`] };
  const r = descriptorSchema.safeParse(value);
  if (r.success) return { ok: true, fields: r.data };
  const errors: string[] = [];
  for (const issue of r.error.issues) {
    const where = pathText(issue.path);
    if (issue.code === 'unrecognized_keys') {
      errors.push(`"${where}" has unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`);
      continue;
    }
    const v = at(value, issue.path);
    if (v === undefined && issue.path.length === 1 && issue.path[0] === 'args') errors.push('"args" is required (the command and its arguments, e.g. ["/usr/bin/python3", "app.py"])');
    else if (issue.code === 'invalid_key') {
      const what = issue.path[0] === 'env' ? 'variable name' : issue.path[0] === 'signals' ? 'signal name' : 'key';
      errors.push(`"${pathText(issue.path.slice(0, -1))}" has an invalid ${what} ${shown(issue.path[issue.path.length - 1])}`);
    }
    else errors.push(`"${where}" ${issue.message}, got ${shown(v)}`);
  }
  return { ok: false, errors: [...new Set(errors)] };
}
