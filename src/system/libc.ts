// The libc calls Node does not offer: waitpid (to reap orphans), prctl (to become a subreaper), job
// control for a main command on a terminal (setpgid, tcsetpgrp, signal dispositions) and pipe2
// (children's output through real pipes: Node's own 'pipe' stdio is a socketpair, where every write a
// line-buffered child makes is a separate buffer the reader must walk and free — measured here as most
// of colony's CPU time when relaying a flood of lines).
// Through koffi. In the bundle, koffi's native file sits beside dist/colony.cjs (see scripts/build.ts).
import { createRequire } from 'node:module';
import { constants as osConstants } from 'node:os';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { singleExecutable, type Sea } from './self.ts';

export interface Libc {
  // waitpid(pid, NULL, WNOHANG): the pid when reaped, 0 when still running, -1 on error.
  waitpidNoHang(pid: number): number;
  // waitpid(pid, &status, WNOHANG) for a process whose exit status matters (a main pid colony took
  // over, process/handover.ts): how it ended once reaped, undefined while it runs (or on error).
  waitpidExit(pid: number): { code: number | null; signal: NodeJS.Signals | null } | undefined;
  // A datagram socket in the abstract namespace receiving sd_notify messages with their sender's
  // credentials (SO_PASSCRED): `onMessage` for each. Its address is what NOTIFY_SOCKET gets ("@...").
  // Throws with the errno's code when it cannot be made.
  notifySocket(onMessage: (m: NotifyDatagram) => void): NotifySocket;
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

// One datagram on the notify socket: its text, and the sender's pid and uid as the kernel tells them.
export interface NotifyDatagram {
  text: string;
  pid: number;
  uid: number;
  // Longer than the buffer (or with more ancillary data than credentials): cut.
  truncated: boolean;
}

export interface NotifySocket {
  readonly address: string;
  close(): void;
}

const WNOHANG = 1;
const PR_SET_CHILD_SUBREAPER = 36;
const O_CLOEXEC = 0o2000000; // the same on x86-64 and arm64

declare const COLONY_BUNDLE: boolean | undefined;

type KoffiFunction = ((...args: unknown[]) => number) & { async(...args: unknown[]): void };
interface KoffiLike {
  load(path: string): { func(signature: string): KoffiFunction };
  errno(): number;
  alloc(type: string, length: number): unknown;
  address(ptr: unknown): bigint;
  view(ptr: unknown, length: number): ArrayBuffer;
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
  const waitpidInto = lib.func('int waitpid(int pid, _Out_ int *status, int options)');
  const errno = koffi.errno;
  const status = (r: number): 0 | string => (r === 0 ? 0 : errnoCode(errno()));
  return {
    waitpidNoHang: (pid) => waitpid(pid, null, WNOHANG),
    waitpidExit: (pid) => {
      const st = new Int32Array(1);
      if (waitpidInto(pid, st, WNOHANG) !== pid) return undefined;
      return decodeWaitStatus(st[0]!);
    },
    notifySocket: (onMessage) => openNotifySocket(koffi, lib, onMessage),
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

// A wait status as Node reports a child's end: the exit code, or the signal that killed it.
export function decodeWaitStatus(raw: number): { code: number | null; signal: NodeJS.Signals | null } {
  const sig = raw & 0x7f;
  if (sig === 0) return { code: (raw >> 8) & 0xff, signal: null };
  const name = Object.entries(osConstants.signals).find(([, n]) => n === sig)?.[0] as NodeJS.Signals | undefined;
  return { code: null, signal: name ?? ('SIGKILL' as NodeJS.Signals) };
}

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_PASSCRED = 16; // the same on x86-64 and arm64
const SCM_CREDENTIALS = 2;
const SHUT_RDWR = 2;
const MSG_TRUNC = 0x20;
const MSG_CTRUNC = 0x08;
const DATAGRAM_BYTES = 4096; // sd_notify's messages are short; systemd reads at most a page too
const CONTROL_BYTES = 64; // CMSG_SPACE(sizeof(struct ucred)) is 32
// struct msghdr on LP64 (glibc and musl alike, little-endian): name 0, namelen 8, iov 16, iovlen 24,
// control 32, controllen 40, flags 48; then one struct iovec (base, len) at 56.
const MSGHDR = 56;
const IOVEC = 16;

// Node has no datagram unix sockets: the socket is made through libc, and one recvmsg at a time runs
// blocking on a worker thread (koffi's async call), so an idle colony wakes for nothing. shutdown()
// ends the pending call (it returns 0) when the socket is closed.
function openNotifySocket(koffi: KoffiLike, lib: ReturnType<KoffiLike['load']>, onMessage: (m: NotifyDatagram) => void): NotifySocket {
  const socket = lib.func('int socket(int domain, int type, int protocol)');
  const bind = lib.func('int bind(int fd, const void *addr, uint32_t len)');
  const setsockopt = lib.func('int setsockopt(int fd, int level, int name, const void *val, uint32_t len)');
  const recvmsg = lib.func('intptr_t recvmsg(int fd, void *msg, int flags)');
  const shutdown = lib.func('int shutdown(int fd, int how)');
  const close = lib.func('int close(int fd)');
  const fail = (what: string): never => {
    const code = errnoCode(koffi.errno());
    throw Object.assign(new Error(`${what} failed (${code})`), { code });
  };
  const fd = socket(AF_UNIX, SOCK_DGRAM | O_CLOEXEC, 0);
  if (fd < 0) fail('socket(AF_UNIX, SOCK_DGRAM)');
  // node:crypto only here (a process with "ready": {"notify": true}): loading it costs ~3 ms of every start.
  const { randomBytes } = process.getBuiltinModule('node:crypto');
  const name = `colony/${process.pid}/${randomBytes(6).toString('hex')}/notify`;
  const addr = Buffer.alloc(3 + Buffer.byteLength(name));
  addr.writeUInt16LE(AF_UNIX, 0); // sun_family, then a NUL (the abstract namespace) and the name
  addr.write(name, 3);
  const on = Buffer.alloc(4);
  on.writeInt32LE(1, 0);
  if (bind(fd, addr, addr.length) !== 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, on, 4) !== 0) {
    close(fd);
    fail('binding the notify socket');
  }
  // The message header, its iovec, the data and the control buffer in one block that lives as long as
  // colony (one socket per colony): the worker thread writes into it, the main thread reads it only
  // once the call has returned.
  const size = MSGHDR + IOVEC + DATAGRAM_BYTES + CONTROL_BYTES;
  const mem = koffi.alloc('uint8_t', size);
  const base = koffi.address(mem);
  const buf = Buffer.from(koffi.view(mem, size));
  const data = MSGHDR + IOVEC;
  const control = data + DATAGRAM_BYTES;
  let closed = false;
  let failures = 0;
  const arm = (): void => {
    buf.fill(0, 0, MSGHDR + IOVEC);
    buf.writeBigUInt64LE(base + BigInt(MSGHDR), 16);
    buf.writeBigUInt64LE(1n, 24);
    buf.writeBigUInt64LE(base + BigInt(control), 32);
    buf.writeBigUInt64LE(BigInt(CONTROL_BYTES), 40);
    buf.writeBigUInt64LE(base + BigInt(data), MSGHDR);
    buf.writeBigUInt64LE(BigInt(DATAGRAM_BYTES), MSGHDR + 8);
    recvmsg.async(fd, mem, 0, (err: unknown, n: number) => {
      if (closed) return void close(fd);
      if (err || n < 0) {
        // EINTR and the like (the worker thread's errno is not readable here): tried again, but a
        // socket that keeps failing is given up rather than spun on.
        if (++failures < 100) arm();
        return;
      }
      failures = 0;
      const flags = buf.readInt32LE(48);
      const controlLength = Number(buf.readBigUInt64LE(40));
      let pid = 0;
      let uid = -1;
      // The first (and only, with CONTROL_BYTES) control message: cmsg_len 8 bytes, level, type, then struct ucred.
      if (controlLength >= 28 && buf.readInt32LE(control + 8) === SOL_SOCKET && buf.readInt32LE(control + 12) === SCM_CREDENTIALS) {
        pid = buf.readInt32LE(control + 16);
        uid = buf.readUInt32LE(control + 20);
      }
      const text = buf.toString('utf8', data, data + Math.min(n, DATAGRAM_BYTES));
      arm();
      onMessage({ text, pid, uid, truncated: (flags & (MSG_TRUNC | MSG_CTRUNC)) !== 0 });
    });
  };
  arm();
  return {
    address: `@${name}`,
    close: () => {
      if (closed) return;
      closed = true;
      shutdown(fd, SHUT_RDWR);
    },
  };
}
