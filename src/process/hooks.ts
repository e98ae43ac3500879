// Hooks: commands a descriptor asks to run when its process's state changes — `on_exit` when a run
// ends, `on_unhealthy` when its health check turns unhealthy, `on_failed` when colony gives up on it
// (supervisord's event listeners, s6's finish scripts). Each gets the change in COLONY_HOOK_*
// variables, runs in its own process group, is killed (SIGKILL to the group) after the descriptor's
// hook_timeout, and has its lines in colony's log as `NAME/on_exit` etc. Never in supervision's way:
// nothing waits for a hook, and a hook still running when the next change comes is not started a
// second time (that change is logged as skipped), so a crash loop cannot pile hooks up.
import type { Clock, Timer } from '../common/clock.ts';
import type { Hooks } from '../descriptor/parse.ts';
import type { Log } from '../log/logger.ts';
import type { EventRecord } from '../status/events.ts';

export type HookKind = 'exit' | 'unhealthy' | 'failed';

// The hooks a record calls for (a run that ends by failing calls both on_exit and on_failed).
export function hooksFor(r: EventRecord): HookKind[] {
  const kinds: HookKind[] = [];
  if (r.event === 'state' && r.reason !== undefined) kinds.push('exit');
  if (r.event === 'state' && r.to === 'failed' && r.from !== 'failed') kinds.push('failed');
  if (r.event === 'health' && r.to === 'unhealthy') kinds.push('unhealthy');
  return kinds;
}

// What a hook is told, in its environment.
export function hookEnv(kind: HookKind, r: EventRecord): Record<string, string> {
  const env: Record<string, string> = {
    COLONY_HOOK: kind,
    COLONY_HOOK_PROCESS: r.proc,
    COLONY_HOOK_FROM: r.from ?? '',
    COLONY_HOOK_TO: r.to,
    COLONY_HOOK_RESTARTS: String(r.restarts),
    COLONY_HOOK_EVENT: JSON.stringify(r),
  };
  if (r.pid !== null) env.COLONY_HOOK_PID = String(r.pid);
  if (r.reason !== undefined) env.COLONY_HOOK_EXIT_REASON = r.reason;
  if (r.code !== undefined && r.code !== null) env.COLONY_HOOK_EXIT_CODE = String(r.code);
  if (r.signal !== undefined && r.signal !== null) env.COLONY_HOOK_EXIT_SIGNAL = r.signal;
  return env;
}

export interface RunningHook {
  // SIGKILL to its process group.
  kill(): void;
  // Resolves when it has ended (and its output is relayed).
  readonly ended: Promise<{ code: number | null; signal: string | null; error?: string }>;
}

export interface HookWorld {
  clock: Clock;
  log: Log;
  // Starts argv with these variables added to colony's environment; its lines go to the log as `label`.
  start(argv: string[], env: Record<string, string>, label: string): RunningHook;
}

export class HookRunner {
  private readonly world: HookWorld;
  private readonly running = new Map<string, { hook: RunningHook; timer: Timer }>();

  constructor(world: HookWorld) {
    this.world = world;
  }

  // Runs the hooks `r` calls for, of the descriptor's `hooks`.
  handle(hooks: Hooks | undefined, r: EventRecord): void {
    if (!hooks) return;
    for (const kind of hooksFor(r)) {
      const argv = hooks[kind];
      if (argv) this.run(kind, argv, hooks.timeoutMs, r);
    }
  }

  // How many hooks are running now.
  get active(): number {
    return this.running.size;
  }

  // Kills every hook still running (colony is exiting).
  killAll(): void {
    for (const [, { hook, timer }] of this.running) {
      this.world.clock.clearTimeout(timer);
      hook.kill();
    }
    this.running.clear();
  }

  private run(kind: HookKind, argv: string[], timeoutMs: number, r: EventRecord): void {
    const label = `${r.proc}/on_${kind}`;
    const log = this.world.log;
    if (this.running.has(label)) {
      log.warn(`hook on_${kind} is still running: not started again for this change`, { proc: r.proc, hook: `on_${kind}`, event: r });
      return;
    }
    let hook: RunningHook;
    try {
      hook = this.world.start(argv, hookEnv(kind, r), label);
    } catch (err) {
      log.error(`hook on_${kind} could not be started: ${(err as Error).message}`, { proc: r.proc, hook: `on_${kind}`, args: argv });
      return;
    }
    let timedOut = false;
    const timer = this.world.clock.setTimeout(() => {
      timedOut = true;
      hook.kill();
    }, timeoutMs);
    this.running.set(label, { hook, timer });
    void hook.ended.then(({ code, signal, error }) => {
      if (this.running.get(label)?.hook === hook) {
        this.world.clock.clearTimeout(timer);
        this.running.delete(label);
      }
      const fields = { proc: r.proc, hook: `on_${kind}`, code, signal };
      if (error !== undefined) log.error(`hook on_${kind} could not be started: ${error}`, { ...fields, args: argv });
      else if (timedOut) log.warn(`hook on_${kind} ran longer than hook_timeout (${timeoutMs / 1000} s): killed (SIGKILL to its process group)`, fields);
      else if (code === 0) log.info(`hook on_${kind} done`, fields);
      else log.warn(`hook on_${kind} ended with ${code !== null ? `exit code ${code}` : `signal ${signal}`}`, fields);
    });
  }
}
