// Who may drive colony. Run as root, colony runs commands as root from whatever is in its config
// and messages directories, so (like sshd's StrictModes) it refuses a descriptor or message file
// that someone other than root (or colony's own user) could have written: one writable by group or
// others, one owned by another user, or one reached through a symlink that leaves the directory
// tree and is not root's. Run as another user, colony can only start processes as that user.
import { lstatSync, readlinkSync, realpathSync, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { resolveUser } from '../process/users.ts';

export interface FilePolicy {
  // Refuse files that others could have written (meant for colony running as root).
  strict: boolean;
  // colony's effective uid: its own files are trusted like root's.
  euid: number;
}

export const INSECURE_ENV = 'COLONY_INSECURE_FILES';
const HOW_TO_TURN_OFF = `--insecure-files or ${INSECURE_ENV}=1 turns this check off`;

// The policy for this run: strict when colony runs as root, unless --insecure-files or COLONY_INSECURE_FILES=1.
export function filePolicyFrom(env: NodeJS.ProcessEnv, insecureFlag: boolean | undefined, euid: number = process.geteuid?.() ?? 0): FilePolicy {
  const insecure = insecureFlag === true || env[INSECURE_ENV] === '1';
  return { strict: euid === 0 && !insecure, euid };
}

// A symlink-loop guard, as the kernel's (40 links per lookup).
const MAX_LINKS = 40;

const ownerName = (uid: number): string => {
  const who = resolveUser(uid);
  return who && who.name !== String(uid) ? `uid ${uid} (${who.name})` : `uid ${uid}`;
};
const octal = (mode: number): string => `0${(mode & 0o7777).toString(8).padStart(3, '0')}`;
const why = (text: string): string => `refused: ${text}; with colony running as root, that would let another user run commands as root (${HOW_TO_TURN_OFF})`;

// Why the file `path` (already followed to a regular file: `st`) must not be trusted, or undefined.
// Also used on an opened file's fstat, so that a file swapped in after the path checks is caught.
export function statProblem(path: string, st: Stats, policy: FilePolicy): string | undefined {
  if (!policy.strict || !st.isFile()) return undefined;
  const byGroup = (st.mode & 0o020) !== 0;
  const byOthers = (st.mode & 0o002) !== 0;
  if (byGroup || byOthers) return why(`${path} is writable by ${byGroup && byOthers ? 'group and others' : byGroup ? 'its group' : 'others'} (mode ${octal(st.mode)})`);
  if (st.uid !== 0 && st.uid !== policy.euid) return why(`${path} is owned by ${ownerName(st.uid)}, not by root`);
  return undefined;
}

interface Walk {
  resolved: string;
  links: Array<{ path: string; uid: number }>;
}

// Resolves `rest` (path components) from the symlink-free directory `from`, like realpath(3), noting every symlink on the way.
function walk(from: string, rest: string[]): Walk {
  const links: Walk['links'] = [];
  const pending = [...rest].reverse();
  let current = from;
  while (pending.length > 0) {
    const part = pending.pop()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      current = dirname(current);
      continue;
    }
    const next = join(current, part);
    const st = lstatSync(next);
    if (!st.isSymbolicLink()) {
      current = next;
      continue;
    }
    if (links.length >= MAX_LINKS) throw Object.assign(new Error(`too many levels of symbolic links: ${next}`), { code: 'ELOOP' });
    links.push({ path: next, uid: st.uid });
    const target = readlinkSync(next);
    if (isAbsolute(target)) current = '/';
    pending.push(...target.split('/').reverse());
  }
  return { resolved: current, links };
}

const inside = (path: string, root: string): boolean => path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);

// Why the descriptor or message file `path` (an entry of the directory `dirRoot`) must not be read,
// or undefined. Not strict: always undefined. A file that does not exist (or vanished) is not a
// problem here: the read that follows reports it.
export function fileProblem(path: string, dirRoot: string, policy: FilePolicy): string | undefined {
  if (!policy.strict) return undefined;
  let root: string;
  let w: Walk;
  try {
    root = realpathSync(dirRoot);
    const rel = relative(resolve(dirRoot), resolve(path));
    w = rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel) ? walk('/', resolve(path).split('/')) : walk(root, rel.split(sep));
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    if (code === 'ELOOP') return `refused: ${path}: ${(err as Error).message}`;
    return undefined; // EACCES and the like: the read reports them
  }
  if (w.links.length > 0 && !inside(w.resolved, root)) {
    const foreign = w.links.find((l) => l.uid !== 0 && l.uid !== policy.euid);
    if (foreign) {
      const via = foreign.path === resolve(path) ? `${path} is a symlink` : `${path} goes through the symlink ${foreign.path}, which is`;
      return why(`${via} owned by ${ownerName(foreign.uid)} (not root) and leads out of ${root} (to ${w.resolved})`);
    }
  }
  let st: Stats;
  try {
    st = lstatSync(w.resolved);
  } catch {
    return undefined;
  }
  const shown = w.resolved === resolve(path) ? path : `${path} (→ ${w.resolved})`;
  return statProblem(shown, st, policy);
}

// Why colony, running as `euid`/`egid`, cannot start a process as `uid`/`gid`, or undefined. Root
// can be anyone; another user can only start processes as itself (setuid/setgid would fail with EPERM).
export function canSwitchTo(uid: number | undefined, gid: number | undefined, euid: number, egid: number = process.getegid?.() ?? euid): string | undefined {
  if (euid === 0) return undefined;
  if (uid !== undefined && uid !== euid) return `colony runs as uid ${euid}, not root, so it can only start processes as uid ${euid}, not as uid ${uid}`;
  if (gid !== undefined && gid !== egid) return `colony runs as uid ${euid} with gid ${egid}, not root, so it can only start processes with gid ${egid}, not with gid ${gid}`;
  return undefined;
}
