// A process's effective policy: colony's defaults (command-line options) overridden by its descriptor.
import type { Descriptor } from '../descriptor/parse.ts';
import type { Policy } from './state.ts';

// The defaults colony runs with when a descriptor says nothing.
export function defaultPolicy(o: { killTimeMs: number; thresholdMs: number; minDelayMs: number; maxDelayMs: number }): Policy {
  return { restart: 'always', successExitCodes: [0], maxFastRestarts: undefined, stopSignal: 'SIGTERM', stopGroup: false, ...o, maxDelayMs: Math.max(o.maxDelayMs, o.minDelayMs) };
}

// The descriptor's keys over the defaults (what no key sets, such as exitIsResult, stays the default's).
export function policyFor(defaults: Policy, d: Descriptor): Policy {
  const minDelayMs = d.minRestartDelayMs ?? defaults.minDelayMs;
  return {
    ...defaults,
    restart: d.schedule !== undefined ? 'never' : (d.restart ?? defaults.restart),
    successExitCodes: d.successExitCodes,
    maxFastRestarts: d.maxFastRestarts ?? defaults.maxFastRestarts,
    killTimeMs: d.killTimeMs ?? defaults.killTimeMs,
    stopSignal: d.stopSignal ?? defaults.stopSignal,
    stopGroup: d.stopGroup,
    thresholdMs: d.thresholdMs ?? defaults.thresholdMs,
    minDelayMs,
    maxDelayMs: Math.max(d.maxRestartDelayMs ?? defaults.maxDelayMs, minDelayMs),
  };
}
