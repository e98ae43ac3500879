// Everything decided before a process is spawned: its environment, the user it runs as (and whether
// colony may switch to it), its working directory and umask, where its output goes — and, when the
// start fails, one line that names the executable, the descriptor file and the reason.
import { parse as parseDotenv } from 'dotenv';
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { describeError } from '../common/errors.ts';
import { expand } from '../descriptor/expand.ts';
import type { Descriptor } from '../descriptor/parse.ts';
import { canSwitchTo } from '../system/security.ts';
import { childEnvironment } from './environment.ts';
import { notifyEnvironment } from './notify.ts';
import type { Child, SpawnRequest } from './spawner.ts';
import { resolveUser } from './users.ts';
import type { ProcessWorld } from './world.ts';

// How the main command differs from the others: colony's stdin, and the terminal (see spawner.ts).
export type MainIo = Pick<SpawnRequest, 'stdin' | 'terminal'>;

// A start refused before any child exists: the errno-like code, the line to log, the descriptor field at fault.
export interface LaunchRefusal {
  code: string;
  message: string;
  field: string;
}

// The spawn request for this definition, or why it cannot start.
export function launchRequest(name: string, d: Descriptor, world: Pick<ProcessWorld, 'env' | 'ids' | 'stdoutTaken' | 'notify'>, io: MainIo): SpawnRequest | LaunchRefusal {
  const fromFiles = readEnvFiles(d.envFiles);
  if (isRefusal(fromFiles)) return fromFiles;
  const env = childEnvironment(name, d, world.env, fromFiles.vars);
  notifyEnvironment(env, d, () => world.notify?.address());
  let uid = d.uid;
  let gid = d.gid;
  if (d.user !== undefined) {
    const who = resolveUser(d.user);
    if (!who) return { code: 'EINVAL', message: `cannot start: no user ${JSON.stringify(d.user)} in /etc/passwd`, field: 'user' };
    ({ uid, gid } = who);
    // The user's HOME, USER and LOGNAME, unless the descriptor's env sets them.
    if (d.env?.HOME === undefined) env.HOME = who.home;
    if (d.env?.USER === undefined) env.USER = who.name;
    if (d.env?.LOGNAME === undefined) env.LOGNAME = who.name;
  }
  const ids = world.ids ?? { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 };
  const cannot = canSwitchTo(uid, gid, ids.uid, ids.gid);
  if (cannot) {
    const field = d.user !== undefined ? 'user' : uid !== undefined && uid !== ids.uid ? 'uid' : 'gid';
    const asked = field === 'user' ? `"user": ${JSON.stringify(d.user)} (uid ${uid}, gid ${gid})` : `"${field}": ${field === 'uid' ? uid : gid}`;
    return { code: 'EPERM', message: `cannot start: ${asked} is refused: ${cannot}`, field };
  }
  let { args, cwd } = d;
  if (d.expandEnv) {
    const expanded = expandAll(d, env);
    if (isRefusal(expanded)) return expanded;
    ({ args, cwd } = expanded);
    if (cwd !== undefined && !cwd.startsWith('/')) return { code: 'EINVAL', message: `cannot start: cwd ${JSON.stringify(cwd)} (expanded from ${JSON.stringify(d.cwd)}) is not an absolute path`, field: 'cwd' };
  }
  if (cwd !== undefined && !(existsSync(cwd) && statSync(cwd).isDirectory())) return { code: 'ENOENT', message: `cannot start: cwd ${JSON.stringify(cwd)} is not a directory`, field: 'cwd' };
  return { args, env, uid, gid, cwd, output: outputKind(d, world, io), ...io };
}

// The variables of the descriptor's env files, in order (a later file wins), read now: a Secret
// mounted as a file is picked up at the next start.
function readEnvFiles(files: Descriptor['envFiles']): { vars: Record<string, string> } | LaunchRefusal {
  const vars: Record<string, string> = {};
  for (const [i, f] of files.entries()) {
    let text: string;
    try {
      text = readFileSync(f.path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      if (code === 'ENOENT' && !f.required) continue;
      return { code, message: `cannot start: env_file ${JSON.stringify(f.path)} cannot be read: ${describeError(err)}`, field: files.length > 1 ? `env_file[${i}]` : 'env_file' };
    }
    for (const [key, value] of Object.entries(parseDotenv(text))) {
      if (key.includes('\0') || value.includes('\0')) return { code: 'EINVAL', message: `cannot start: env_file ${JSON.stringify(f.path)} has a NUL byte in ${JSON.stringify(key)}`, field: files.length > 1 ? `env_file[${i}]` : 'env_file' };
      vars[key] = value;
    }
  }
  return { vars };
}

// args and cwd with ${NAME} replaced from the process's environment, or the first one that cannot be.
function expandAll(d: Descriptor, env: Record<string, string>): { args: string[]; cwd: string | undefined } | LaunchRefusal {
  const args: string[] = [];
  for (const [i, a] of d.args.entries()) {
    const r = expand(a, env);
    if (!r.ok) return { code: 'EINVAL', message: `cannot start: "args[${i}]" ${r.error}`, field: `args[${i}]` };
    args.push(r.value);
  }
  if (d.cwd === undefined) return { args, cwd: undefined };
  const r = expand(d.cwd, env);
  if (!r.ok) return { code: 'EINVAL', message: `cannot start: "cwd" ${r.error}`, field: 'cwd' };
  return { args, cwd: r.value };
}

// Whether launchRequest refused.
export function isRefusal<T extends object>(r: T | LaunchRefusal): r is LaunchRefusal {
  return 'field' in r;
}

// Where the child's output goes: colony's pipes, or colony's own fds (output: inherit) — for all but
// the main command (the one process with colony's stdin), stderr alone when the main command has stdout.
function outputKind(d: Descriptor, world: Pick<ProcessWorld, 'stdoutTaken'>, io: MainIo): SpawnRequest['output'] {
  if (d.output.kind !== 'inherit') return 'pipe';
  return world.stdoutTaken && io.stdin !== 'inherit' ? 'stderr' : 'inherit';
}

// Spawns with the descriptor's umask in force for the fork (umask is process-wide: set and restored around it).
export function spawnWithUmask(world: Pick<ProcessWorld, 'spawn'>, request: SpawnRequest, umask: number | undefined): Child {
  const old = umask !== undefined ? process.umask(umask) : undefined;
  try {
    return world.spawn(request);
  } finally {
    if (old !== undefined) process.umask(old);
  }
}

// The line for a start that failed: the executable, the descriptor file and the reason, in words.
export function spawnFailure(d: Descriptor, env: NodeJS.ProcessEnv, code: string, detail?: string): { message: string; fields: Record<string, unknown> } {
  const exe = d.args[0];
  // Not the executable's fault: the system could not make a process (pids limit, RLIMIT_NPROC, memory).
  const systemFault = code === 'EAGAIN' || code === 'ENOMEM';
  let why = code === 'ENOENT' ? (exe?.includes('/') ? 'no such file' : 'not found in PATH') : code === 'EACCES' ? 'permission denied (not executable?)' : (detail ?? code);
  if (code === 'ENOENT' && exe?.includes('/')) {
    const interpreter = missingInterpreter(exe);
    if (interpreter) why = `its interpreter ${JSON.stringify(interpreter)} (the #! line) does not exist`;
  }
  if (code === 'EAGAIN') why = 'fork failed: too many processes (EAGAIN: the pids limit of the container or RLIMIT_NPROC)';
  if (code === 'ENOMEM') why = 'fork failed: out of memory (ENOMEM)';
  return {
    message: `cannot start ${JSON.stringify(exe)}: ${why}`,
    fields: {
      error: code,
      ...(d.source ? { file: d.source, ...(systemFault ? {} : { field: 'args[0]' }) } : {}),
      ...(code === 'ENOENT' && !exe?.includes('/') ? { PATH: env.PATH } : {}),
    },
  };
}

// The error code and words of a spawn that threw.
export function thrownSpawnError(err: unknown): { code: string; detail: string } {
  return { code: (err as NodeJS.ErrnoException).code ?? 'EINVAL', detail: describeError(err) };
}

// The interpreter a script's #! line names, when the script exists but that interpreter does not
// (execve then fails with ENOENT, which would otherwise read as "no such file" for the script).
function missingInterpreter(path: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const head = Buffer.alloc(256);
    const n = readSync(fd, head, 0, head.length, 0);
    const line = head.subarray(0, n).toString('latin1').split('\n')[0]!;
    if (!line.startsWith('#!')) return undefined;
    const interpreter = line.slice(2).trim().split(/\s+/)[0];
    return interpreter && !existsSync(interpreter) ? interpreter : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}
