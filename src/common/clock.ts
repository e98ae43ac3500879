// The one source of time and timers; a fake in unit tests drives back-off, kill, settle and debounce timers virtually.
export interface Clock {
  now(): number; // milliseconds, monotonic: for durations and timers
  wallNow(): number; // milliseconds since the epoch: for what is shown (status, acknowledgements, file ages)
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

// The longest delay a Node timer holds (24.8 days): a longer one fires at once, so every delay is capped at it.
export const MAX_TIMER_MS = 2 ** 31 - 1;

export interface Timer {
  readonly id: number;
}

// The real clock: performance.now() and Node's timers.
export function realClock(): Clock {
  let next = 1;
  const handles = new Map<number, NodeJS.Timeout>();
  return {
    now: () => performance.now(),
    wallNow: () => Date.now(),
    setTimeout(fn, ms) {
      const id = next++;
      // Clamped to what a Node timer holds (2^31 - 1 ms, 24.8 days): a longer delay must not fire at once.
      const handle = setTimeout(() => {
        handles.delete(id);
        fn();
      }, Math.min(Math.max(0, ms), MAX_TIMER_MS));
      handles.set(id, handle);
      return { id };
    },
    clearTimeout(timer) {
      const handle = handles.get(timer.id);
      if (handle) clearTimeout(handle);
      handles.delete(timer.id);
    },
  };
}

// A virtual clock for tests: time moves only through advance(); wall time is `epoch` plus the same.
export class FakeClock implements Clock {
  private time = 0;
  private next = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();
  readonly epoch: number;

  constructor(epoch = Date.UTC(2026, 0, 1)) {
    this.epoch = epoch;
  }

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.epoch + this.time;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const id = this.next++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), fn });
    return { id };
  }

  clearTimeout(timer: Timer): void {
    this.timers.delete(timer.id);
  }

  // Moves time forward, firing due timers in order of their due time.
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let dueId = -1;
      let dueAt = Infinity;
      for (const [id, t] of this.timers) {
        if (t.at <= end && t.at < dueAt) {
          dueAt = t.at;
          dueId = id;
        }
      }
      if (dueId < 0) break;
      const t = this.timers.get(dueId)!;
      this.timers.delete(dueId);
      this.time = t.at;
      t.fn();
    }
    this.time = end;
  }

  pending(): number {
    return this.timers.size;
  }
}
