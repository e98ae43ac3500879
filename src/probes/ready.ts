// Waiting for a process to be ready: its readiness probe is run at once, then everyMs after each failed
// check (never two at once), until one succeeds or timeoutMs has passed since the wait began.
import type { Clock, Timer } from '../common/clock.ts';
import { describeError } from '../common/errors.ts';
import { formatDuration, type ProbeResult } from './probe.ts';

export interface WaitReadyOptions {
  probe: () => Promise<ProbeResult>;
  timeoutMs: number;
  everyMs?: number;
  clock: Clock;
}

export interface ReadyWait {
  // The successful check's result; on timeout ok:false with the last failed check's detail
  // (or 'no check completed within …' if none did); after cancel() ok:false, 'cancelled'.
  promise: Promise<ProbeResult>;
  // Stops waiting (e.g. the process died): no further checks, the result of one in flight is ignored.
  cancel(): void;
}

// Polls the probe until it succeeds or the timeout passes.
export function waitReady({ probe, timeoutMs, everyMs = 100, clock }: WaitReadyOptions): ReadyWait {
  let done = false;
  let last: string | undefined;
  let retry: Timer | undefined;
  let resolve: (r: ProbeResult) => void = () => undefined;
  const promise = new Promise<ProbeResult>((r) => {
    resolve = r;
  });

  const finish = (r: ProbeResult): void => {
    if (done) return;
    done = true;
    clock.clearTimeout(deadline);
    if (retry) clock.clearTimeout(retry);
    retry = undefined;
    resolve(r);
  };

  const attempt = (): void => {
    retry = undefined;
    if (done) return;
    let result: Promise<ProbeResult>;
    try {
      result = Promise.resolve(probe());
    } catch (err) {
      result = Promise.reject(err);
    }
    const settle = (r: ProbeResult): void => {
      if (done) return;
      if (r.ok) {
        finish(r);
        return;
      }
      last = r.detail;
      retry = clock.setTimeout(attempt, everyMs);
    };
    result.then(settle, (err: unknown) => settle({ ok: false, detail: `check failed: ${describeError(err)}` }));
  };

  const deadline = clock.setTimeout(() => finish({ ok: false, detail: last ?? `no check completed within ${formatDuration(timeoutMs)}` }), timeoutMs);
  attempt();
  return { promise, cancel: () => finish({ ok: false, detail: 'cancelled' }) };
}
