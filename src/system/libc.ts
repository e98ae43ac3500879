// The libc calls Node does not offer: waitpid (to reap orphans), prctl (to become a subreaper), job
// control for a main command on a terminal (setpgid, tcsetpgrp, signal dispositions) and pipe2
// (children's output through real pipes: Node's own 'pipe' stdio is a socketpair, where every write a
// line-buffered child makes is a separate buffer the reader must walk and free — measured here as most
// of colony's CPU time when relaying a flood of lines).
// Through koffi. In the bundle, koffi's native file sits beside dist/colony.cjs (see scripts/build.ts).
import { createRequire } from 'node:module';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { singleExecutable, type Sea } from './self.ts';

export interface Libc {
  // waitpid(pid, NULL, WNOHANG): the pid when reaped, 0 when still running, -1 on error.
  waitpidNoHang(pid: number): number;
  // prctl(PR_SET_CHILD_SUBREAPER, 1): true on success.
  setChildSubreaper(): boolean;
  // pipe2(fds, O_CLOEXEC): [read end, write end]; throws with the errno's code on failure.
  pipe(): [number, number];
  // Job control, for a main command that gets the terminal (src/main-command/).
  // setpgid(pid, pgid): 0 on success, else the errno's code.
  setpgid(pid: number, pgid: number): 0 | string;
  getpgrp(): number;
  // tcgetpgrp(fd): the terminal's foreground process group, or the errno's code (ENOTTY: fd is not
  // this process's controlling terminal).
  tcgetpgrp(fd: number): number | string;
  // tcsetpgrp(fd, pgrp): 0 on success, else the errno's code.
  tcsetpgrp(fd: number, pgrp: number): 0 | string;
  // signal(sig, SIG_IGN or SIG_DFL): a disposition Node cannot set (it has handlers, not "ignore").
  setDisposition(signal: number, disposition: 'ignore' | 'default'): void;
  // execve(path, argv, envp) with fds 0-2 inherited (their FD_CLOEXEC cleared first): returns only
  // when it failed, with the errno's code. (Node's process.execve aborts the process on a failure.)
  execve(path: string, argv: readonly string[], env: readonly string[]): string;
}

const WNOHANG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const O_CLOEXEC = 0o2000000; // the same on x86-64 and arm64

declare const COLONY_BUNDLE: boolean | undefined;

interface KoffiLike {
  load(path: string): { func(signature: string): (...args: unknown[]) => number };
  errno(): number;
}

// The errno names these calls can fail with.
function errnoCode(n: number): string {
  const names: Record<number, string> = { 1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 8: 'ENOEXEC', 9: 'EBADF', 12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 20: 'ENOTDIR', 22: 'EINVAL', 23: 'ENFILE', 24: 'EMFILE', 25: 'ENOTTY', 26: 'ETXTBSY', 40: 'ELOOP' };
  return names[n] ?? `errno ${n}`;
}

const SIG_DFL = 0;
const SIG_IGN = 1;
const F_GETFD = 1;
const F_SETFD = 2;
const FD_CLOEXEC = 1;

// Finds koffi: inside the single executable (an asset), beside the bundle, or the koffi package (running from source).
function loadKoffi(): KoffiLike {
  const bundled = typeof COLONY_BUNDLE !== 'undefined' && COLONY_BUNDLE;
  if (!bundled) return createRequire(import.meta.url)('koffi') as KoffiLike;
  const sea = singleExecutable();
  if (sea) return loadFromSea(sea);
  const here = typeof __filename === 'string' ? dirname(__filename) : process.cwd();
  const req = createRequire(join(here, 'colony.cjs'));
  // glibc first, then musl (Alpine): loading the wrong one fails, so each is tried in turn.
  const candidates = [process.env.COLONY_KOFFI_NATIVE, join(here, 'koffi', `linux_${process.arch}`, 'koffi.node'), join(here, 'koffi', `musl_${process.arch}`, 'koffi.node')];
  const errors: string[] = [];
  for (const file of candidates) {
    if (!file || !existsSync(file)) continue;
    try {
      return req(file) as KoffiLike;
    } catch (err) {
      errors.push(`${file}: ${(err as Error).message}`);
    }
  }
  throw new Error(`koffi's native module could not be loaded from beside the bundle (${errors.join('; ') || `none of ${candidates.filter(Boolean).join(', ')} exists`})`);
}

// Where the native module may be written to be dlopen()ed: the first that is writable and allows exec
// wins. /dev last: on a read-only root whose tmpfs mounts are all noexec (Docker's --read-only with
// --tmpfs, Kubernetes' readOnlyRootFilesystem with emptyDirs), Docker's and Kubernetes' /dev is still a
// tmpfs that root may write and exec from.
export function extractionDirs(env: NodeJS.ProcessEnv, euid: number = process.geteuid?.() ?? -1): string[] {
  return [...new Set([env.TMPDIR, '/dev/shm', '/tmp', '/run', ...(euid === 0 ? ['/dev'] : [])].filter((d): d is string => !!d))];
}

// Where a native module put in place at image build time is looked for (`colony native-module`): for a
// non-root colony on a read-only root, which has nowhere to write one.
export function placedModule(env: NodeJS.ProcessEnv, execPath: string = process.execPath): string {
  return env.COLONY_KOFFI_NATIVE || `${execPath}.koffi.node`;
}

// The native module the single executable carries (undefined outside one).
export function seaModule(): Buffer | undefined {
  const sea = singleExecutable();
  return sea ? Buffer.from(sea.getRawAsset('koffi.node')) : undefined;
}

// The single executable carries koffi.node as an asset. A copy put in place at image build time
// (placedModule) is loaded where it is, when it is the same bytes; else the asset is written to a
// private temp file (a 0700 directory), dlopen()ed, and deleted at once (the mapping stays). A
// directory mounted noexec fails at dlopen and the next one is tried.
function loadFromSea(sea: Sea): KoffiLike {
  const bytes = Buffer.from(sea.getRawAsset('koffi.node'));
  const errors: string[] = [];
  const placed = placedModule(process.env);
  if (existsSync(placed)) {
    try {
      if (!readFileSync(placed).equals(bytes)) throw new Error('it is not this colony\'s (another version?): run `colony native-module` again');
      const mod = { exports: {} as KoffiLike };
      process.dlopen(mod, placed);
      return mod.exports;
    } catch (err) {
      errors.push(`${placed}: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  for (const dir of extractionDirs(process.env)) {
    let tmp: string | undefined;
    try {
      tmp = mkdtempSync(join(dir, 'colony-'));
      const file = join(tmp, 'koffi.node');
      writeFileSync(file, bytes, { mode: 0o700 });
      const mod = { exports: {} as KoffiLike };
      process.dlopen(mod, file);
      return mod.exports;
    } catch (err) {
      errors.push(`${dir}: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    }
  }
  throw new Error(`no directory to extract koffi's native module into (needs one that is writable and allows exec; set TMPDIR or mount a tmpfs on /tmp, or put the module in place at image build time with \`colony native-module\`): ${errors.join('; ')}`);
}

// Loads libc through koffi.
export function loadLibc(): Libc {
  const koffi = loadKoffi();
  const lib = koffi.load('libc.so.6');
  const waitpid = lib.func('int waitpid(int pid, int *status, int options)');
  const prctl = lib.func('int prctl(int option, unsigned long arg2, unsigned long arg3, unsigned long arg4, unsigned long arg5)');
  const pipe2 = lib.func('int pipe2(_Out_ int *fds, int flags)');
  const setpgid = lib.func('int setpgid(int pid, int pgid)');
  const getpgrp = lib.func('int getpgrp()');
  const tcgetpgrp = lib.func('int tcgetpgrp(int fd)');
  const tcsetpgrp = lib.func('int tcsetpgrp(int fd, int pgrp)');
  // The handler argument and result are pointers; SIG_DFL and SIG_IGN are the integers 0 and 1.
  const signal = lib.func('intptr_t signal(int signum, intptr_t handler)');
  const fcntl = lib.func('int fcntl(int fd, int cmd, ...)'); // variadic: each extra argument's type is named in the call
  const execve = lib.func('int execve(const char *path, const char **argv, const char **envp)');
  const errno = koffi.errno;
  const status = (r: number): 0 | string => (r === 0 ? 0 : errnoCode(errno()));
  return {
    waitpidNoHang: (pid) => waitpid(pid, null, WNOHANG),
    setChildSubreaper: () => prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) === 0,
    pipe: () => {
      const fds = new Int32Array(2);
      if (pipe2(fds, O_CLOEXEC) !== 0) throw Object.assign(new Error(`pipe2 failed (errno ${errno()})`), { code: errnoCode(errno()) });
      return [fds[0]!, fds[1]!];
    },
    setpgid: (pid, pgid) => status(setpgid(pid, pgid)),
    getpgrp: () => getpgrp(),
    tcgetpgrp: (fd) => {
      const g = tcgetpgrp(fd);
      return g >= 0 ? g : errnoCode(errno());
    },
    tcsetpgrp: (fd, pgrp) => status(tcsetpgrp(fd, pgrp)),
    setDisposition: (sig, d) => {
      signal(sig, d === 'ignore' ? SIG_IGN : SIG_DFL);
    },
    execve: (path, argv, env) => {
      for (const fd of [0, 1, 2]) {
        const flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && flags & FD_CLOEXEC) fcntl(fd, F_SETFD, 'int', flags & ~FD_CLOEXEC);
      }
      execve(path, [...argv, null], [...env, null]);
      return errnoCode(errno());
    },
  };
}
