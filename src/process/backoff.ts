// NColony's restart rule (Twisted's ProcessMonitor), as a pure function.
// A process that lived at least `threshold` restarts at once and its delay resets to the minimum;
// after each fast death it waits the current delay, which then doubles up to the maximum.

export interface BackoffPolicy {
  thresholdMs: number;
  minDelayMs: number;
  maxDelayMs: number;
}

// The wait before the next start, and the delay to use after the next fast death.
export function nextRestart(policy: BackoffPolicy, currentDelayMs: number, livedMs: number): { waitMs: number; nextDelayMs: number } {
  if (livedMs >= policy.thresholdMs) return { waitMs: 0, nextDelayMs: policy.minDelayMs };
  const waitMs = Math.min(Math.max(currentDelayMs, policy.minDelayMs), policy.maxDelayMs);
  return { waitMs, nextDelayMs: Math.min(Math.max(waitMs * 2, policy.minDelayMs), policy.maxDelayMs) };
}
