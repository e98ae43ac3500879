// The policy decisions as pure functions: the effective policy from a descriptor, and what the
// state machine does after an exit under each restart mode, max_fast_restarts, stop_group and stop signals.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { defaultPolicy, policyFor } from '../../../src/process/policy.ts';
import { succeeded } from '../../../src/process/steps.ts';
import { initialState, transition, type Event, type Policy, type State } from '../../../src/process/state.ts';
import { descriptorOf } from '../helpers/fake-world.ts';

const DEFAULTS = defaultPolicy({ killTimeMs: 5000, thresholdMs: 1000, minDelayMs: 1000, maxDelayMs: 60_000 });

// Runs events through the machine from a fresh state; returns the final state and every effect's short form.
function run(policy: Policy, steps: Array<[Event, number]>): { state: State; effects: string[] } {
  let state = initialState(policy);
  const effects: string[] = [];
  for (const [event, now] of steps) {
    const t = transition(state, event, policy, now);
    state = t.state;
    for (const e of t.effects) effects.push(e.type === 'signal' ? `${e.signal} ${e.target}` : e.type === 'log' ? `log ${e.level}: ${e.msg}` : e.type);
  }
  return { state, effects };
}

const started = (pid: number, at: number): Array<[Event, number]> => [
  [{ type: 'start' }, at],
  [{ type: 'spawned', pid }, at],
];
const exit = (code: number | null, at: number, signal: NodeJS.Signals | null = null): [Event, number] => [{ type: 'exited', status: { code, signal }, groupAlive: false }, at];

describe('policyFor: the descriptor over colony defaults', () => {
  test('no keys: the defaults', () => {
    assert.deepEqual(policyFor(DEFAULTS, descriptorOf({ args: ['/x'] })), DEFAULTS);
  });
  test('every key overrides its default', () => {
    const p = policyFor(DEFAULTS, descriptorOf({ args: ['/x'], restart: 'on-failure', success_exit_codes: [0, 3], max_fast_restarts: 2, kill_time: 30, stop_signal: 'INT', stop_group: true, threshold: 2, min_restart_delay: 0.5, max_restart_delay: 10 }));
    assert.deepEqual(p, { restart: 'on-failure', successExitCodes: [0, 3], maxFastRestarts: 2, killTimeMs: 30_000, stopSignal: 'SIGINT', stopGroup: true, thresholdMs: 2000, minDelayMs: 500, maxDelayMs: 10_000 });
  });
  test('a scheduled process is never restarted by policy', () => {
    assert.equal(policyFor(DEFAULTS, descriptorOf({ args: ['/x'], schedule: { every: 60 } })).restart, 'never');
  });
  test('max_restart_delay below a per-process min_restart_delay is raised to it', () => {
    assert.equal(policyFor(DEFAULTS, descriptorOf({ args: ['/x'], min_restart_delay: 120 })).maxDelayMs, 120_000);
  });
});

describe('restart modes', () => {
  test('succeeded(): a listed exit code, never a signal or a spawn failure', () => {
    const p = { ...DEFAULTS, successExitCodes: [0, 3] };
    assert.equal(succeeded({ code: 3, signal: null }, p), true);
    assert.equal(succeeded({ code: 1, signal: null }, p), false);
    assert.equal(succeeded({ code: null, signal: 'SIGKILL' }, p), false);
    assert.equal(succeeded({ code: null, signal: null, spawnError: 'ENOENT' }, p), false);
  });
  test('on-failure: success → exited; failure → restarted (at once when it lived long enough)', () => {
    const p = { ...DEFAULTS, restart: 'on-failure' as const };
    assert.equal(run(p, [...started(1, 0), exit(0, 5000)]).state.phase, 'exited');
    const failed = run(p, [...started(1, 0), exit(2, 5000)]);
    assert.equal(failed.state.phase, 'starting');
    assert.ok(failed.effects.includes('spawn'));
    assert.equal(run(p, [...started(1, 0), exit(null, 5000, 'SIGSEGV')]).state.phase, 'starting');
  });
  test('never: any end → exited', () => {
    const p = { ...DEFAULTS, restart: 'never' as const };
    assert.equal(run(p, [...started(1, 0), exit(1, 5000)]).state.phase, 'exited');
  });
  test('always (NColony): a success is restarted too', () => {
    assert.equal(run(DEFAULTS, [...started(1, 0), exit(0, 5000)]).state.phase, 'starting');
  });
});

describe('max_fast_restarts', () => {
  const p = { ...DEFAULTS, maxFastRestarts: 2, minDelayMs: 0 };
  const fastDeaths = (n: number): Array<[Event, number]> => {
    const steps: Array<[Event, number]> = [];
    for (let i = 0; i < n; i++) steps.push(...started(100 + i, i * 10), exit(1, i * 10 + 5));
    return steps;
  };
  test('N fast deaths in a row are restarted; the N+1th marks the process failed, logged as an error', () => {
    assert.notEqual(run(p, fastDeaths(2)).state.phase, 'failed');
    const r = run(p, fastDeaths(3));
    assert.equal(r.state.phase, 'failed');
    assert.ok(r.effects.some((e) => e.startsWith('log error: failed: died fast 3 times in a row')), r.effects.join('\n'));
  });
  test('a long life resets the count', () => {
    const steps = [...fastDeaths(2), ...started(500, 100), exit(1, 5000), ...started(501, 5000), exit(1, 5001)];
    assert.equal(run(p, steps).state.fastDeaths, 1);
  });
  test('a restart request revives a failed process, with the count reset', () => {
    const r = run(p, [...fastDeaths(3), [{ type: 'restart' }, 100]]);
    assert.equal(r.state.phase, 'starting');
    assert.equal(r.state.fastDeaths, 0);
  });
});

describe('stopping', () => {
  test('stop_group sends the stop signal to the group; by default to the main pid', () => {
    assert.ok(run({ ...DEFAULTS, stopGroup: true }, [...started(1, 0), [{ type: 'stop' }, 10]]).effects.includes('SIGTERM group'));
    assert.ok(run(DEFAULTS, [...started(1, 0), [{ type: 'stop' }, 10]]).effects.includes('SIGTERM main'));
  });
  test('stop_signal, and a stop that asks for another signal (shutdown mapping)', () => {
    assert.ok(run({ ...DEFAULTS, stopSignal: 'SIGINT' }, [...started(1, 0), [{ type: 'stop' }, 10]]).effects.includes('SIGINT main'));
    assert.ok(run(DEFAULTS, [...started(1, 0), [{ type: 'stop', signal: 'SIGQUIT' }, 10]]).effects.includes('SIGQUIT main'));
  });
  test('SIGKILL after the kill time always goes to the group', () => {
    const r = run({ ...DEFAULTS, stopSignal: 'SIGINT' }, [...started(1, 0), [{ type: 'stop' }, 10], [{ type: 'kill-timeout' }, 5010]]);
    assert.ok(r.effects.includes('SIGKILL group'));
  });
});
