// The lifecycle of one supervised process as a pure state machine: transition(state, event) → state + effects.
// Every (phase, event) pair is decided here, from the steps in steps.ts; the I/O shell (supervised.ts) only performs the effects
// and feeds the results back as events.
import type { BackoffPolicy } from './backoff.ts';
import type { ExitStatus } from './exit-status.ts';
import { afterGone, beginStop, formatMs, killGroup, log, mainGone, same, spawn, stopAgain, unreachable } from './steps.ts';

export type Phase =
  | 'idle' // created, never started
  | 'starting' // spawn requested, pid not known yet
  | 'running' // main pid alive
  | 'stopping' // stop signal sent to the main pid, waiting for it to exit
  | 'draining' // main pid gone, other members of its process group still alive
  | 'backoff' // waiting to restart after a fast death
  | 'stopped' // stopped on request, for good (final)
  | 'exited' // ended by itself and not to be restarted (final)
  | 'failed'; // gave up after max_fast_restarts fast deaths in a row (final until a restart or a new definition)

// What happens once the process and its group are gone: start again, stay down, or decide by the restart policy.
export type Then = 'restart' | 'stop' | 'policy';

export interface Policy extends BackoffPolicy {
  restart: 'always' | 'on-failure' | 'never';
  successExitCodes: readonly number[];
  maxFastRestarts: number | undefined; // undefined: never give up
  killTimeMs: number;
  stopSignal: NodeJS.Signals;
  stopGroup: boolean; // the stop signal to the whole process group (SIGKILL always goes to the group)
  // Its exit is colony's result, passed on as colony's exit code (the main command): reported as
  // information, never as a warning.
  exitIsResult?: boolean;
}

export interface State {
  phase: Phase;
  then: Then;
  pid: number | undefined;
  startedAt: number | undefined;
  exitedAt: number | undefined;
  delayMs: number;
  killSent: boolean;
  lastExit: ExitStatus | undefined;
  starts: number;
  fastDeaths: number; // fast deaths in a row
  stopSignal: NodeJS.Signals | undefined; // for this stop only (a shutdown may ask for another signal)
  stopKillMs: number | undefined; // the kill time of this stop (a shutdown gives what is left of its budget)
  killAt: number | undefined; // when the kill timer fires (while stopping or draining)
}

export type Event =
  | { type: 'start' }
  | { type: 'spawned'; pid: number }
  | { type: 'spawn-failed'; status: ExitStatus }
  | { type: 'exited'; status: ExitStatus; groupAlive: boolean }
  | { type: 'group-empty' }
  | { type: 'stop'; signal?: NodeJS.Signals; killTimeMs?: number }
  | { type: 'restart' }
  | { type: 'kill-timeout' }
  | { type: 'kill-now' } // the shutdown budget is spent: SIGKILL to the group without waiting for the kill time
  | { type: 'restart-timeout' }
  // The main pid exited and left a successor (handover.ts): it is the main pid now, same run.
  | { type: 'handover'; pid: number; by: string };

export type TimerName = 'kill' | 'restart';

export type Effect =
  | { type: 'spawn' }
  | { type: 'signal'; signal: NodeJS.Signals; target: 'main' | 'group' }
  | { type: 'set-timer'; timer: TimerName; ms: number }
  | { type: 'clear-timer'; timer: TimerName }
  | { type: 'watch-group' }
  | { type: 'unwatch-group' }
  | { type: 'log'; level: 'info' | 'warn' | 'error'; msg: string; fields?: Record<string, unknown> };

export interface Transition {
  state: State;
  effects: Effect[];
}

export const FINAL_PHASES: ReadonlySet<Phase> = new Set(['stopped', 'exited', 'failed']);

// The state of a process that was never started.
export function initialState(policy: Policy): State {
  return { phase: 'idle', then: 'policy', pid: undefined, startedAt: undefined, exitedAt: undefined, delayMs: policy.minDelayMs, killSent: false, lastExit: undefined, starts: 0, fastDeaths: 0, stopSignal: undefined, stopKillMs: undefined, killAt: undefined };
}

// The whole table: for each phase, what each event does. Every event is named in every phase.
export function transition(state: State, event: Event, policy: Policy, now: number): Transition {
  switch (state.phase) {
    case 'idle':
    case 'stopped':
    case 'exited':
    case 'failed':
      switch (event.type) {
        case 'start':
        case 'restart':
          return spawn({ ...state, delayMs: policy.minDelayMs, fastDeaths: 0 }, now, state.phase === 'failed' ? [log('info', 'revived: starting again')] : []);
        case 'stop':
          return state.phase === 'idle' ? { state: { ...state, phase: 'stopped' }, effects: [] } : same(state);
        case 'spawned': // events of an earlier run, or of none
        case 'spawn-failed':
        case 'exited':
        case 'group-empty':
        case 'kill-timeout':
        case 'kill-now':
        case 'restart-timeout':
        case 'handover':
          return same(state);
        default:
          return unreachable(event);
      }

    case 'starting':
      switch (event.type) {
        case 'spawned': {
          const running: State = { ...state, phase: 'running', pid: event.pid };
          const started = log('info', 'started', { pid: event.pid });
          if (state.then !== 'policy') {
            // stopped (or changed) while it was starting: stop it now, then stay down or start again
            const t = beginStop(running, policy, now, state.then);
            return { state: t.state, effects: [started, ...t.effects] };
          }
          return { state: { ...running, then: 'policy' }, effects: [started] };
        }
        case 'spawn-failed':
          return mainGone(state, policy, now, event.status, false);
        case 'stop': // its signal and kill time (a shutdown's) are kept for the stop once it runs
          return same({ ...state, then: 'stop', stopSignal: event.signal ?? state.stopSignal, stopKillMs: event.killTimeMs ?? state.stopKillMs });
        case 'kill-now':
          return same({ ...state, then: 'stop', stopKillMs: 0 });
        case 'restart': // e.g. a new definition arrived: the one being started is already out of date
          return same({ ...state, then: 'restart' });
        case 'start': // already starting; timers and group events belong to an earlier run
        case 'exited':
        case 'group-empty':
        case 'kill-timeout':
        case 'restart-timeout':
        case 'handover':
          return same(state);
        default:
          return unreachable(event);
      }

    case 'running':
      switch (event.type) {
        case 'exited':
          return mainGone(state, policy, now, event.status, event.groupAlive);
        case 'handover':
          return { state: { ...state, pid: event.pid }, effects: [log('info', `main pid handed over: ${state.pid} → ${event.pid} (${event.by}), no restart`, { pid: event.pid, from: state.pid })] };
        case 'stop':
          return beginStop(state, policy, now, 'stop', event.signal, event.killTimeMs);
        case 'restart':
          return beginStop(state, policy, now, 'restart');
        case 'kill-now':
          return killGroup({ ...state, phase: 'stopping', then: 'stop' }, 'the shutdown budget is spent: SIGKILL to its process group', true);
        case 'start':
        case 'spawned':
        case 'spawn-failed':
        case 'group-empty':
        case 'kill-timeout':
        case 'restart-timeout':
          return same(state);
        default:
          return unreachable(event);
      }

    case 'stopping':
      switch (event.type) {
        case 'exited':
          return mainGone(state, policy, now, event.status, event.groupAlive);
        case 'kill-timeout':
          return killGroup(state, `still running ${formatMs(state.stopKillMs ?? policy.killTimeMs)} after ${state.stopSignal ?? policy.stopSignal}, sending SIGKILL to its process group`);
        case 'kill-now':
          return state.killSent ? same(state) : killGroup(state, 'the shutdown budget is spent: SIGKILL to its process group', true);
        case 'stop':
          return stopAgain(state, now, 'stop', event.killTimeMs);
        case 'restart':
          return same({ ...state, then: 'restart' });
        case 'start':
        case 'spawned':
        case 'spawn-failed':
        case 'group-empty':
        case 'restart-timeout':
        case 'handover':
          return same(state);
        default:
          return unreachable(event);
      }

    case 'draining':
      switch (event.type) {
        case 'group-empty':
          return afterGone(state, policy, now, [{ type: 'clear-timer', timer: 'kill' }, { type: 'unwatch-group' }]);
        case 'kill-timeout':
          return killGroup(state, 'process group still alive after the kill time, sending SIGKILL');
        case 'kill-now':
          return state.killSent ? same(state) : killGroup(state, 'the shutdown budget is spent: SIGKILL to what is left of its process group', true);
        case 'stop':
          return stopAgain(state, now, 'stop', event.killTimeMs);
        case 'restart':
          return same({ ...state, then: 'restart' });
        case 'start':
        case 'spawned':
        case 'spawn-failed':
        case 'exited':
        case 'restart-timeout':
        case 'handover':
          return same(state);
        default:
          return unreachable(event);
      }

    case 'backoff':
      switch (event.type) {
        case 'restart-timeout':
          return spawn(state, now, [log('info', 'restarting')]);
        case 'restart':
        case 'start':
          return spawn({ ...state, delayMs: policy.minDelayMs, fastDeaths: 0 }, now, [{ type: 'clear-timer', timer: 'restart' }, log('info', 'restarting on request')]);
        case 'stop':
        case 'kill-now':
          return { state: { ...state, phase: 'stopped' }, effects: [{ type: 'clear-timer', timer: 'restart' }, log('info', 'stopped')] };
        case 'spawned':
        case 'spawn-failed':
        case 'exited':
        case 'group-empty':
        case 'kill-timeout':
        case 'handover':
          return same(state);
        default:
          return unreachable(event);
      }
  }
}
