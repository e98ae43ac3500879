// The one source of time and timers; a fake in unit tests drives back-off and kill timers virtually.
export interface Clock {
  now(): number; // milliseconds, monotonic
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer): void;
}

export interface Timer {
  readonly id: number;
}

// The real clock: performance.now() and Node's timers.
export function realClock(): Clock {
  let next = 1;
  const handles = new Map<number, NodeJS.Timeout>();
  return {
    now: () => performance.now(),
    setTimeout(fn, ms) {
      const id = next++;
      // Clamped to what a Node timer holds (2^31 - 1 ms, 24.8 days): a longer delay must not fire at once.
      const handle = setTimeout(() => {
        handles.delete(id);
        fn();
      }, Math.min(Math.max(0, ms), 2 ** 31 - 1));
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

// A virtual clock for tests: time moves only through advance().
export class FakeClock implements Clock {
  private time = 0;
  private next = 1;
  private timers = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
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
