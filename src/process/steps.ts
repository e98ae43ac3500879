// The steps of a process's lifecycle that the table (state.ts) is made of: spawning, stopping,
// killing, and deciding what follows an exit (restart policy, back-off, max_fast_restarts). Pure.
import { nextRestart } from './backoff.ts';
import { describeExit, type ExitStatus } from './exit-status.ts';
import type { Effect, Policy, State, Then, Transition } from './state.ts';

export const log = (level: 'info' | 'warn' | 'error', msg: string, fields?: Record<string, unknown>): Effect => ({ type: 'log', level, msg, ...(fields ? { fields } : {}) });

// Begins a spawn: the shell answers with 'spawned' or 'spawn-failed'.
export function spawn(state: State, now: number, extra: Effect[] = []): Transition {
  return {
    state: { ...state, phase: 'starting', then: 'policy', pid: undefined, startedAt: now, exitedAt: undefined, killSent: false, starts: state.starts + 1 },
    effects: [...extra, { type: 'spawn' }],
  };
}

// Sends the stop signal (to the main pid, or the group with stop_group) and arms the kill timer. The
// signal and kill time are this stop's own (a shutdown's), else the ones a stop asked for while the
// process was starting, else the policy's.
export function beginStop(state: State, policy: Policy, now: number, then: Then, signal?: NodeJS.Signals, killTimeMs?: number): Transition {
  const sig = signal ?? state.stopSignal ?? policy.stopSignal;
  const ms = killTimeMs ?? state.stopKillMs ?? policy.killTimeMs;
  return {
    state: { ...state, phase: 'stopping', then, killSent: false, stopSignal: sig, stopKillMs: ms, killAt: now + ms },
    effects: [
      { type: 'signal', signal: sig, target: policy.stopGroup ? 'group' : 'main' },
      { type: 'set-timer', timer: 'kill', ms },
    ],
  };
}

// A stop asked for while one is under way: remembered, and its kill time taken when it ends sooner
// (a shutdown whose budget is shorter than the kill time of a restart in progress).
export function stopAgain(state: State, now: number, then: Then, killTimeMs: number | undefined): Transition {
  const next: State = { ...state, then };
  if (killTimeMs === undefined || state.killSent || (state.killAt !== undefined && now + killTimeMs >= state.killAt)) return same(next);
  return { state: { ...next, stopKillMs: killTimeMs, killAt: now + killTimeMs }, effects: [{ type: 'set-timer', timer: 'kill', ms: killTimeMs }] };
}

// SIGKILL to the whole process group: at the kill time, or at once when the shutdown budget is spent.
export function killGroup(state: State, msg: string, early = false): Transition {
  const clear: Effect[] = early ? [{ type: 'clear-timer', timer: 'kill' }] : [];
  return { state: { ...state, killSent: true, killAt: undefined }, effects: [...clear, log('warn', msg), { type: 'signal', signal: 'SIGKILL', target: 'group' }] };
}

// A switch over events that must list every event type: a new one does not compile until it is decided.
export function unreachable(event: never): never {
  throw new Error(`unhandled event ${JSON.stringify(event)}`);
}

// Whether an exit counts as a success for restart: on-failure.
export function succeeded(status: ExitStatus, policy: Policy): boolean {
  return status.spawnError === undefined && status.code !== null && policy.successExitCodes.includes(status.code);
}

// The main pid and its whole group are gone: restart, stay stopped, or apply the restart policy.
export function afterGone(state: State, policy: Policy, now: number, extra: Effect[]): Transition {
  const down: State = { ...state, pid: undefined, killSent: false, stopSignal: undefined, stopKillMs: undefined, killAt: undefined };
  if (state.then === 'stop') return { state: { ...down, phase: 'stopped' }, effects: [...extra, log('info', 'stopped')] };
  if (state.then === 'restart') return spawn({ ...down, delayMs: policy.minDelayMs, fastDeaths: 0 }, now, [...extra, log('info', 'restarting')]);
  if (policy.restart === 'never') return { state: { ...down, phase: 'exited' }, effects: [...extra, log('info', 'not restarted (restart: never)')] };
  if (policy.restart === 'on-failure' && state.lastExit && succeeded(state.lastExit, policy)) {
    return { state: { ...down, phase: 'exited' }, effects: [...extra, log('info', 'ended successfully, not restarted (restart: on-failure)')] };
  }
  const lived = (state.exitedAt ?? now) - (state.startedAt ?? now);
  const fast = lived < policy.thresholdMs;
  const fastDeaths = fast ? state.fastDeaths + 1 : 0;
  if (fast && policy.maxFastRestarts !== undefined && fastDeaths > policy.maxFastRestarts) {
    return {
      state: { ...down, phase: 'failed', fastDeaths },
      effects: [...extra, log('error', `failed: died fast ${fastDeaths} times in a row (max_fast_restarts ${policy.maxFastRestarts}); not restarted until a restart message or a new definition`, { fast_deaths: fastDeaths })],
    };
  }
  const { waitMs, nextDelayMs } = nextRestart(policy, state.delayMs, lived);
  if (waitMs <= 0) return spawn({ ...down, delayMs: nextDelayMs, fastDeaths }, now, [...extra, log('info', 'restarting')]);
  return {
    state: { ...down, phase: 'backoff', delayMs: nextDelayMs, fastDeaths },
    effects: [...extra, log('warn', `died after ${formatMs(lived)}, restarting in ${formatMs(waitMs)}`, { delay_s: waitMs / 1000 }), { type: 'set-timer', timer: 'restart', ms: waitMs }],
  };
}

// The main pid exited (or never started): drain its group if members are left, else finish.
export function mainGone(state: State, policy: Policy, now: number, status: ExitStatus, groupAlive: boolean): Transition {
  const ended: State = { ...state, lastExit: status, exitedAt: now };
  const level = state.phase === 'stopping' || status.code === 0 || policy.exitIsResult ? 'info' : 'warn';
  const report = log(level, describeExit(status), { pid: state.pid, code: status.code, signal: status.signal, ...(status.spawnError ? { error: status.spawnError } : {}) });
  if (groupAlive) {
    const term: Effect = { type: 'signal', signal: state.killSent ? 'SIGKILL' : 'SIGTERM', target: 'group' };
    const timer: Effect[] = state.phase === 'stopping' ? [] : [{ type: 'set-timer', timer: 'kill', ms: policy.killTimeMs }];
    const killAt = state.phase === 'stopping' ? state.killAt : now + policy.killTimeMs;
    return { state: { ...ended, phase: 'draining', killAt }, effects: [report, log('info', 'stopping what is left of its process group'), term, ...timer, { type: 'watch-group' }] };
  }
  return afterGone(ended, policy, now, [report, { type: 'clear-timer', timer: 'kill' }]);
}

export function same(state: State): Transition {
  return { state, effects: [] };
}

// '250 ms', '1.5 s'.
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${Number((ms / 1000).toFixed(2))} s`;
}
