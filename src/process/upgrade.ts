// `colony ctl upgrade NAME`: an in-place upgrade of a server that can start a new copy of itself
// beside the old one (gunicorn's USR2): the upgrade signal to the main pid, then, once the new main
// process says READY=1 over NOTIFY_SOCKET, the stop signal to the old one — whose exit hands the main
// pid over (handover.ts). If no new main process is ready in time, or it exits first, the new
// processes are stopped and the old one goes on: a rollback, said as such.
import type { Clock, Timer } from '../common/clock.ts';

// How often the old main pid's children are looked at (to see a new one die before it was ready).
export const UPGRADE_POLL_MS = 100;

export type UpgradeOutcome = { ok: true; pid: number } | { ok: false; reason: string };

export interface UpgradeWorld {
  clock: Clock;
  // The pids whose parent is `pid` (/proc).
  children(pid: number): number[];
  // Where a process's arguments start in its memory (/proc/PID/stat's arg_start): a child that only
  // forked (a worker) has its parent's; one that has executed a program (a new master) has its own.
  argStart(pid: number): string | undefined;
  // kill(2) of one pid; false when it is gone.
  send(pid: number, signal: NodeJS.Signals): boolean;
}

export interface UpgradePlan {
  old: number;
  signal: NodeJS.Signals;
  stopSignal: NodeJS.Signals;
  // How long the new main process has to be ready.
  timeoutMs: number;
  // After a rollback's stop signal, SIGKILL to what is left of the new processes.
  killTimeMs: number;
}

export class Upgrade {
  private readonly plan: UpgradePlan;
  private readonly world: UpgradeWorld;
  private readonly finished: (o: UpgradeOutcome) => void;
  private readonly before: Set<number>;
  private readonly oldArgs: string | undefined;
  private readonly seen = new Set<number>();
  private timeout: Timer | undefined;
  private poll: Timer | undefined;
  private successor: number | undefined;
  private over = false;

  constructor(plan: UpgradePlan, world: UpgradeWorld, finished: (o: UpgradeOutcome) => void) {
    this.plan = plan;
    this.world = world;
    this.finished = finished;
    this.before = new Set(world.children(plan.old));
    this.oldArgs = world.argStart(plan.old);
  }

  // The old main pid's children that appeared since the upgrade signal and have executed a program:
  // the new main process (workers it forks meanwhile are not).
  private fresh(): number[] {
    return this.world.children(this.plan.old).filter((p) => {
      if (this.before.has(p)) return false;
      const args = this.world.argStart(p);
      return args !== undefined && args !== this.oldArgs;
    });
  }

  get active(): boolean {
    return !this.over;
  }

  // The new main process, once it said it is ready.
  get newPid(): number | undefined {
    return this.successor;
  }

  // Sends the upgrade signal; false when the main pid is gone.
  start(): boolean {
    if (!this.world.send(this.plan.old, this.plan.signal)) {
      this.over = true;
      return false;
    }
    this.timeout = this.world.clock.setTimeout(() => this.rollback(`no new main process was ready within ${Math.round(this.plan.timeoutMs / 1000)} s`), this.plan.timeoutMs);
    this.schedulePoll();
    return true;
  }

  // READY=1 from a process other than the old main pid: the new main process is up; the old one is
  // asked to stop (its exit hands the main pid over).
  ready(pid: number): void {
    if (this.over || this.successor !== undefined || pid === this.plan.old) return;
    this.successor = pid;
    this.clearTimers();
    this.world.send(this.plan.old, this.plan.stopSignal);
  }

  // The main pid was handed over: done.
  handedOver(pid: number): void {
    if (this.over) return;
    this.end({ ok: true, pid });
  }

  // The process went down (or was stopped, restarted) before the upgrade ended.
  abandon(reason: string): void {
    if (this.over) return;
    this.end({ ok: false, reason });
  }

  private schedulePoll(): void {
    this.poll = this.world.clock.setTimeout(() => {
      this.poll = undefined;
      if (this.over || this.successor !== undefined) return;
      const now = this.fresh();
      for (const p of now) this.seen.add(p);
      if (this.seen.size > 0 && now.length === 0) return this.rollback(`the new main process (pid ${[...this.seen].join(', ')}) exited before it was ready`);
      this.schedulePoll();
    }, UPGRADE_POLL_MS);
  }

  // The new processes are stopped (then killed after the kill time); the old main pid goes on.
  private rollback(reason: string): void {
    if (this.over) return;
    const fresh = this.fresh();
    for (const p of fresh) this.world.send(p, 'SIGTERM');
    if (fresh.length > 0) {
      this.world.clock.setTimeout(() => {
        for (const p of fresh) this.world.send(p, 'SIGKILL');
      }, this.plan.killTimeMs);
    }
    this.end({ ok: false, reason: `${reason}; ${fresh.length > 0 ? `stopped the new process${fresh.length > 1 ? 'es' : ''} (pid ${fresh.join(', ')}), ` : ''}the old main process (pid ${this.plan.old}) goes on` });
  }

  private clearTimers(): void {
    if (this.timeout) this.world.clock.clearTimeout(this.timeout);
    if (this.poll) this.world.clock.clearTimeout(this.poll);
    this.timeout = undefined;
    this.poll = undefined;
  }

  private end(o: UpgradeOutcome): void {
    this.over = true;
    this.clearTimers();
    this.finished(o);
  }
}
