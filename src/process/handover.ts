// The main pid handed over (systemd's PIDFile= and MAINPID=): a server that upgrades in place
// (gunicorn's USR2: the old master forks a new one with the new code, then exits) leaves a successor
// behind. When the main pid exits, the successor it names — a MAINPID= or a READY=1 from one of its
// descendants over NOTIFY_SOCKET, or the descriptor's "pidfile" re-read for a bounded time — becomes
// the main pid: no restart, the same state and uptime. It must be colony's child by then (orphans
// are re-parented to colony as PID 1 or as a subreaper), so that its exit can be waited for.
import type { Clock, Timer } from '../common/clock.ts';

// How long a pidfile is re-read for after the main pid exits (gunicorn's new master renames its
// pidfile into place within a second of the old one's exit), and how often.
export const PIDFILE_WAIT_MS = 5_000;
export const PIDFILE_POLL_MS = 50;

export interface HandoverWorld {
  clock: Clock;
  // The file's text; throws when it cannot be read.
  readFile(path: string): string;
  // /proc/PID/stat's state letter and parent; undefined when there is no such process.
  procState(pid: number): { state: string; ppid: number } | undefined;
  // colony's pid: a successor must be its child.
  self: number;
  // pids colony already supervises (started, or taken over by another process).
  taken(pid: number): boolean;
}

// Why `pid` cannot become the main pid in place of `old`, or undefined when it can.
export function refuseSuccessor(pid: number, old: number | undefined, world: HandoverWorld): string | undefined {
  if (!Number.isSafeInteger(pid) || pid <= 1) return `${pid} is not a pid`;
  if (pid === old) return `pid ${pid} is the one that exited`;
  if (pid === world.self) return `pid ${pid} is colony's own`;
  if (world.taken(pid)) return `pid ${pid} is already supervised`;
  const st = world.procState(pid);
  if (!st || st.state === 'Z' || st.state === 'X') return `pid ${pid} is not running`;
  if (st.ppid !== world.self) return `pid ${pid} is not colony's child (its parent is ${st.ppid}): colony can supervise only a process it can wait for — run colony as PID 1, or where it can become a subreaper`;
  return undefined;
}

// The pid a pidfile names, or why it names none.
export function readPidfile(path: string, world: Pick<HandoverWorld, 'readFile'>): number | string {
  let text: string;
  try {
    text = world.readFile(path);
  } catch (err) {
    return `pidfile ${path} cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  const t = text.trim();
  if (!/^\d{1,10}$/.test(t)) return `pidfile ${path} does not hold a pid (${JSON.stringify(t.slice(0, 40))})`;
  return Number(t);
}

// A successor found, and what named it.
export type Found = { pid: number; by: string } | { reason: string };

// Looks for a successor of `old` among `candidates` (each with what named it), then in the pidfile;
// the pidfile is re-read every PIDFILE_POLL_MS until `waitMs` has passed. `done` is called once.
export class HandoverWait {
  private readonly world: HandoverWorld;
  private readonly old: number;
  private readonly candidates: () => Array<{ pid: number; by: string }>;
  private readonly pidfile: string | undefined;
  private readonly deadline: number;
  private readonly done: (f: Found) => void;
  private timer: Timer | undefined;
  private finished = false;

  // `heirs`: whether a process that could still take over is left (a child of colony in the old main
  // pid's process group): without one the pidfile is not waited for — a crash is restarted at once.
  private readonly heirs: () => boolean;

  constructor(o: { world: HandoverWorld; old: number; candidates: () => Array<{ pid: number; by: string }>; pidfile: string | undefined; waitMs?: number; heirs?: () => boolean; done: (f: Found) => void }) {
    this.heirs = o.heirs ?? (() => true);
    this.world = o.world;
    this.old = o.old;
    this.candidates = o.candidates;
    this.pidfile = o.pidfile;
    this.deadline = o.world.clock.now() + (o.pidfile ? (o.waitMs ?? PIDFILE_WAIT_MS) : 0);
    this.done = o.done;
    this.attempt();
  }

  get pending(): boolean {
    return !this.finished;
  }

  // One last look now (a stop or restart will not wait), then done either way.
  settle(): void {
    if (this.finished) return;
    if (this.timer) this.world.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const r = this.look();
    this.finish('pid' in r ? r : { reason: `${r.reason} (not waited for: a stop or restart was asked)` });
  }

  cancel(): void {
    if (this.timer) this.world.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.finished = true;
  }

  private attempt(): void {
    this.timer = undefined;
    const r = this.look();
    if ('pid' in r || this.world.clock.now() >= this.deadline) return this.finish(r);
    if (!this.heirs()) return this.finish({ reason: `${r.reason}; no process of its group is left to take over` });
    this.timer = this.world.clock.setTimeout(() => this.attempt(), PIDFILE_POLL_MS);
  }

  private look(): Found {
    const reasons: string[] = [];
    for (const c of this.candidates()) {
      const why = refuseSuccessor(c.pid, this.old, this.world);
      if (why === undefined) return c;
      reasons.push(`${c.by}: ${why}`);
    }
    if (this.pidfile) {
      const pid = readPidfile(this.pidfile, this.world);
      const why = typeof pid === 'string' ? pid : refuseSuccessor(pid, this.old, this.world);
      if (why === undefined) return { pid: pid as number, by: `pidfile ${this.pidfile}` };
      reasons.push(why);
    }
    return { reason: reasons.join('; ') || 'no successor named' };
  }

  private finish(f: Found): void {
    if (this.finished) return;
    this.finished = true;
    this.done(f);
  }
}
