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
  // Told first, every time things went quiet: buffers kept for reuse can go (the log sink's).
  quiet?(): void;
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
    this.world.quiet?.();
    if (this.world.slack() < SLACK_BYTES) return;
    this.world.collect();
  }
}

type Gc = (o: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void;

// V8's garbage collector as a function, asked for at the first collection: `globalThis.gc` when Node
// runs with --expose-gc, else V8's flag set then and the function taken from a fresh context. Not a
// start-up flag: --expose-gc changes V8's flag hash, so Node's code cache of its own modules is
// rejected and every built-in colony loads is compiled again (measured: +10 ms of colony's start-up).
export function exposedGc(): Gc {
  const ready = (globalThis as { gc?: Gc }).gc;
  if (typeof ready === 'function') return ready;
  const v8 = process.getBuiltinModule('node:v8') as typeof import('node:v8');
  const vm = process.getBuiltinModule('node:vm') as typeof import('node:vm');
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as Gc;
}

// V8's own: its heap figures, and its collector (`gc`, obtained when first needed).
export function v8Trim(clock: Clock, getHeapStatistics: () => { total_physical_size: number; used_heap_size: number }, gc: () => Gc = exposedGc): TrimWorld {
  let collector: Gc | undefined;
  return {
    clock,
    slack: () => {
      const h = getHeapStatistics();
      return h.total_physical_size - h.used_heap_size;
    },
    collect: () => {
      collector ??= gc();
      collector({ type: 'major', execution: 'sync', flavor: 'last-resort' });
    },
  };
}
