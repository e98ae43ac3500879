// Giving memory back once colony goes quiet. Start-up (loading the modules, the first scan) and bursts
// of output grow V8's heap — its young generation up to --max-semi-space-size — and V8 keeps those pages
// for good: its memory reducer, which would give them back, is off (it wakes an idle colony every 8 s,
// docs/design.md). Instead, when activity (start-up, a process changing state, output) has been quiet
// for QUIET_MS, one full collection of the "last resort" kind gives the unused pages back to the
// kernel — only when the heap holds at least SLACK_BYTES more than it uses. An idle colony is never
// woken for it: the timer is armed by activity only, and re-armed at most once per QUIET_MS while
// activity goes on (a poke during a pending wait only marks it).
import type { Clock, Timer } from '../common/clock.ts';

export const QUIET_MS = 5000;
export const SLACK_BYTES = 4 * 1024 * 1024;

export interface TrimWorld {
  clock: Clock;
  // Bytes the heap holds beyond what it uses (V8's physical size minus its used size).
  slack(): number;
  // A full collection that returns free pages to the kernel.
  collect(): void;
}

export class MemoryTrim {
  private timer: Timer | undefined;
  private again = false;
  private closed = false;
  private readonly world: TrimWorld;
  private readonly quietMs: number;

  constructor(world: TrimWorld, quietMs = QUIET_MS) {
    this.world = world;
    this.quietMs = quietMs;
  }

  // Activity: the trim waits until QUIET_MS after the last of it.
  poke(): void {
    if (this.closed) return;
    if (this.timer) this.again = true;
    else this.arm();
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.world.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = this.world.clock.setTimeout(() => this.fire(), this.quietMs);
  }

  private fire(): void {
    this.timer = undefined;
    if (this.again) {
      this.again = false;
      this.arm();
      return;
    }
    if (this.world.slack() < SLACK_BYTES) return;
    this.world.collect();
  }
}

// V8's own, when colony runs with --expose-gc (bin/colony's #! line, the single executable's
// execArgv); undefined without it (the bundle run by a bare `node`): then nothing is trimmed.
export function v8Trim(clock: Clock, getHeapStatistics: () => { total_physical_size: number; used_heap_size: number }): TrimWorld | undefined {
  const gc = (globalThis as { gc?: (o: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void }).gc;
  if (typeof gc !== 'function') return undefined;
  return {
    clock,
    slack: () => {
      const h = getHeapStatistics();
      return h.total_physical_size - h.used_heap_size;
    },
    collect: () => gc({ type: 'major', execution: 'sync', flavor: 'last-resort' }),
  };
}
