// sd_notify: the protocol systemd's Type=notify services speak (gunicorn, and anything using
// sd_notify(3), python's sdnotify or systemd-notify). colony opens one datagram socket, gives its
// address as NOTIFY_SOCKET to the processes that ask for it (`"ready": {"notify": true}` or
// "watchdog"), and routes each message to the process it comes from: the kernel names the sender's
// pid (SCM_CREDENTIALS), which must be the process's main pid, one of its descendants, or in its
// process group. Anything else is ignored with a warning: no process can speak for another.
import { describeError } from '../common/errors.ts';
import type { Descriptor } from '../descriptor/parse.ts';
import type { Log } from '../log/logger.ts';
import type { NotifyDatagram, NotifySocket } from '../system/libc.ts';

// Whether a definition asks for NOTIFY_SOCKET.
export function wantsNotify(d: Pick<Descriptor, 'ready' | 'watchdogMs'>): boolean {
  return d.ready?.kind === 'notify' || d.watchdogMs !== undefined;
}

// The variables of sd_notify's protocol in a child's environment: colony's own (a colony that is
// itself a systemd service) are never passed on; a process that asks gets colony's socket.
export function notifyEnvironment(env: Record<string, string>, d: Pick<Descriptor, 'ready' | 'watchdogMs' | 'env'>, address: () => string | undefined): void {
  for (const key of ['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID']) if (d.env?.[key] === undefined) delete env[key];
  if (!wantsNotify(d)) return;
  const a = address();
  if (a === undefined) return;
  env.NOTIFY_SOCKET = a;
  if (d.watchdogMs !== undefined) env.WATCHDOG_USEC = String(d.watchdogMs * 1000);
}

// One message: its assignments in order ("READY=1", "STATUS=..."), and who sent it.
export interface NotifyMessage {
  fields: Map<string, string>;
  pid: number;
  // Lines that are not KEY=VALUE.
  malformed: string[];
}

// The assignments of a message. A key given twice keeps its last value (as systemd does).
export function parseNotify(text: string): { fields: Map<string, string>; malformed: string[] } {
  const fields = new Map<string, string>();
  const malformed: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const eq = line.indexOf('=');
    if (eq <= 0) malformed.push(line);
    else fields.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return { fields, malformed };
}

// What /proc says of a sender: its parent and process group (undefined once it is gone and reaped).
export interface ProcInfo {
  ppid: number;
  pgrp: number;
}

// A process that may receive messages.
export interface NotifyTarget {
  readonly name: string;
  // Its main pid, and the pids it accepts as its own besides its descendants (a successor in waiting).
  readonly notifyPids: readonly number[];
  // Its process group, while it may have members.
  readonly processGroup: number | undefined;
  notified(message: NotifyMessage): void;
}

export interface NotifyWorld {
  open(onMessage: (d: NotifyDatagram) => void): NotifySocket;
  procInfo(pid: number): ProcInfo | undefined;
  log: Log;
  // colony's own pid: where a walk up the process tree ends.
  self: number;
}

// How far up the process tree a sender is followed (a worker's worker's child is 3).
const MAX_DEPTH = 32;
// At most this many senders are warned about (a flood of forged messages is not a flood of lines).
const MAX_WARNED = 100;

export class NotifyHub {
  private readonly world: NotifyWorld;
  private readonly targets = new Set<NotifyTarget>();
  private socket: NotifySocket | undefined;
  private failed = false;
  private readonly warned = new Set<number>();
  // Messages taken, and ignored (unknown sender), for metrics.
  readonly counts = { received: 0, ignored: 0 };

  constructor(world: NotifyWorld) {
    this.world = world;
  }

  // NOTIFY_SOCKET's value, the socket opened at the first call; undefined when it cannot be (said once).
  address(): string | undefined {
    if (this.socket) return this.socket.address;
    if (this.failed) return undefined;
    try {
      this.socket = this.world.open((d) => this.receive(d));
      this.world.log.debug('notify socket open', { address: this.socket.address });
      return this.socket.address;
    } catch (err) {
      this.failed = true;
      this.world.log.error('cannot open the notify socket: processes with "ready": {"notify": true} or "watchdog" get no NOTIFY_SOCKET', { error: describeError(err) });
      return undefined;
    }
  }

  register(t: NotifyTarget): void {
    this.targets.add(t);
  }

  unregister(t: NotifyTarget): void {
    this.targets.delete(t);
  }

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }

  // A datagram: to the process it belongs to, or ignored.
  receive(d: NotifyDatagram): void {
    this.counts.received++;
    const { fields, malformed } = parseNotify(d.text);
    const target = d.pid > 0 ? this.owner(d.pid) : undefined;
    if (!target) {
      this.counts.ignored++;
      if (this.warned.size < MAX_WARNED && !this.warned.has(d.pid)) {
        this.warned.add(d.pid);
        this.world.log.warn('notify message ignored: its sender is no supervised process nor one of their descendants', { pid: d.pid, uid: d.uid, keys: [...fields.keys()].slice(0, 10) });
      }
      return;
    }
    if (d.truncated) this.world.log.warn('notify message longer than 4096 bytes: cut', { proc: target.name, pid: d.pid });
    if (malformed.length > 0) this.world.log.warn('notify message has lines that are not KEY=VALUE: they are ignored', { proc: target.name, pid: d.pid, lines: malformed.slice(0, 5) });
    target.notified({ fields, pid: d.pid, malformed });
  }

  // The process a sender belongs to: the one whose main pid (or accepted pid) is the sender or an
  // ancestor of it, else the one whose process group the sender is in.
  private owner(pid: number): NotifyTarget | undefined {
    const byPid = new Map<number, NotifyTarget>();
    for (const t of this.targets) for (const p of t.notifyPids) byPid.set(p, t);
    const direct = byPid.get(pid);
    if (direct) return direct;
    const first = this.world.procInfo(pid);
    if (!first) return undefined;
    let info: ProcInfo | undefined = first;
    for (let depth = 0; info && depth < MAX_DEPTH; depth++) {
      const parent = info.ppid;
      if (parent <= 1 || parent === this.world.self) break;
      const t = byPid.get(parent);
      if (t) return t;
      info = this.world.procInfo(parent);
    }
    for (const t of this.targets) if (t.processGroup !== undefined && t.processGroup === first.pgrp) return t;
    return undefined;
  }
}
