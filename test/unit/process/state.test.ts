import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatMs } from '../../../src/process/steps.ts';
import { initialState, transition, type Effect, type Event, type Phase, type Policy, type State, type Then } from '../../../src/process/state.ts';

// kill time 5 s, threshold 1 s, delays 1 s .. 60 s.
const POLICY: Policy = { restart: 'always', successExitCodes: [0], maxFastRestarts: undefined, stopGroup: false, killTimeMs: 5000, stopSignal: 'SIGTERM', thresholdMs: 1000, minDelayMs: 1000, maxDelayMs: 60_000 };

// Every run in the table started at t=0 and the events arrive at t=500: a death now is a fast one.
const NOW = 500;

const PHASES: Phase[] = ['idle', 'starting', 'running', 'stopping', 'draining', 'backoff', 'stopped', 'exited', 'failed'];

const EVENTS = {
  start: { type: 'start' },
  spawned: { type: 'spawned', pid: 43 },
  'spawn-failed': { type: 'spawn-failed', status: { code: null, signal: null, spawnError: 'ENOENT' } },
  'exited+group': { type: 'exited', status: { code: 1, signal: null }, groupAlive: true },
  'exited-alone': { type: 'exited', status: { code: 1, signal: null }, groupAlive: false },
  'group-empty': { type: 'group-empty' },
  stop: { type: 'stop' },
  restart: { type: 'restart' },
  'kill-timeout': { type: 'kill-timeout' },
  'kill-now': { type: 'kill-now' },
  'restart-timeout': { type: 'restart-timeout' },
  handover: { type: 'handover', pid: 77, by: 'pidfile /run/app.pid' },
} satisfies Record<string, Event>;
type EventName = keyof typeof EVENTS;
const EVENT_NAMES = Object.keys(EVENTS) as EventName[];

// A typical state in each phase.
function stateIn(phase: Phase): State {
  const base = initialState(POLICY);
  const ran = { startedAt: 0, starts: 1 };
  switch (phase) {
    case 'idle':
      return base;
    case 'starting':
      return { ...base, ...ran, phase };
    case 'running':
      return { ...base, ...ran, phase, pid: 42 };
    case 'stopping':
      return { ...base, ...ran, phase, pid: 42, then: 'stop' };
    case 'draining':
      return { ...base, ...ran, phase, pid: 42, exitedAt: 400, lastExit: { code: 1, signal: null } };
    case 'backoff':
      return { ...base, ...ran, phase, exitedAt: 100, delayMs: 2000, lastExit: { code: 1, signal: null } };
    case 'stopped':
      return { ...base, ...ran, phase, then: 'stop', exitedAt: 100, lastExit: { code: null, signal: 'SIGTERM' } };
    case 'exited':
      return { ...base, ...ran, phase, exitedAt: 100, lastExit: { code: 0, signal: null } };
    case 'failed':
      return { ...base, ...ran, phase, exitedAt: 100, fastDeaths: 4, lastExit: { code: 1, signal: null } };
  }
}

// Effects other than log lines, as short strings: 'spawn', 'SIGTERM main', 'set kill 5000', 'clear restart', 'watch-group'.
function brief(effects: Effect[]): string[] {
  const out: string[] = [];
  for (const e of effects) {
    if (e.type === 'log') continue;
    if (e.type === 'signal') out.push(`${e.signal} ${e.target}`);
    else if (e.type === 'set-timer') out.push(`set ${e.timer} ${e.ms}`);
    else if (e.type === 'clear-timer') out.push(`clear ${e.timer}`);
    else out.push(e.type);
  }
  return out;
}

type Row = readonly [from: Phase, event: EventName, to: Phase, then: Then, effects: readonly string[]];

// prettier-ignore
const TABLE: readonly Row[] = [
  // idle: only start/restart spawn; stop makes it stopped without a process.
  ['idle', 'start', 'starting', 'policy', ['spawn']],
  ['idle', 'spawned', 'idle', 'policy', []],
  ['idle', 'spawn-failed', 'idle', 'policy', []],
  ['idle', 'exited+group', 'idle', 'policy', []],
  ['idle', 'exited-alone', 'idle', 'policy', []],
  ['idle', 'group-empty', 'idle', 'policy', []],
  ['idle', 'stop', 'stopped', 'policy', []],
  ['idle', 'restart', 'starting', 'policy', ['spawn']],
  ['idle', 'kill-timeout', 'idle', 'policy', []],
  ['idle', 'kill-now', 'idle', 'policy', []],
  ['idle', 'restart-timeout', 'idle', 'policy', []],
  ['idle', 'handover', 'idle', 'policy', []],

  // starting: waits for spawned/spawn-failed; a stop is remembered for later.
  ['starting', 'start', 'starting', 'policy', []],
  ['starting', 'spawned', 'running', 'policy', []],
  ['starting', 'spawn-failed', 'backoff', 'policy', ['clear kill', 'set restart 1000']],
  ['starting', 'exited+group', 'starting', 'policy', []],
  ['starting', 'exited-alone', 'starting', 'policy', []],
  ['starting', 'group-empty', 'starting', 'policy', []],
  ['starting', 'stop', 'starting', 'stop', []],
  ['starting', 'restart', 'starting', 'restart', []],
  ['starting', 'kill-timeout', 'starting', 'policy', []],
  ['starting', 'kill-now', 'starting', 'stop', []],
  ['starting', 'restart-timeout', 'starting', 'policy', []],
  ['starting', 'handover', 'starting', 'policy', []],

  // running: exit drains the group or backs off; stop/restart send the stop signal and arm the kill timer.
  ['running', 'start', 'running', 'policy', []],
  ['running', 'spawned', 'running', 'policy', []],
  ['running', 'spawn-failed', 'running', 'policy', []],
  ['running', 'exited+group', 'draining', 'policy', ['SIGTERM group', 'set kill 5000', 'watch-group']],
  ['running', 'exited-alone', 'backoff', 'policy', ['clear kill', 'set restart 1000']],
  ['running', 'group-empty', 'running', 'policy', []],
  ['running', 'stop', 'stopping', 'stop', ['SIGTERM main', 'set kill 5000']],
  ['running', 'restart', 'stopping', 'restart', ['SIGTERM main', 'set kill 5000']],
  ['running', 'kill-timeout', 'running', 'policy', []],
  ['running', 'kill-now', 'stopping', 'stop', ['clear kill', 'SIGKILL group']],
  ['running', 'restart-timeout', 'running', 'policy', []],
  ['running', 'handover', 'running', 'policy', []],

  // stopping (then: stop): the kill timer already runs, so draining does not arm it again.
  ['stopping', 'start', 'stopping', 'stop', []],
  ['stopping', 'spawned', 'stopping', 'stop', []],
  ['stopping', 'spawn-failed', 'stopping', 'stop', []],
  ['stopping', 'exited+group', 'draining', 'stop', ['SIGTERM group', 'watch-group']],
  ['stopping', 'exited-alone', 'stopped', 'stop', ['clear kill']],
  ['stopping', 'group-empty', 'stopping', 'stop', []],
  ['stopping', 'stop', 'stopping', 'stop', []],
  ['stopping', 'restart', 'stopping', 'restart', []],
  ['stopping', 'kill-timeout', 'stopping', 'stop', ['SIGKILL group']],
  ['stopping', 'kill-now', 'stopping', 'stop', ['clear kill', 'SIGKILL group']],
  ['stopping', 'restart-timeout', 'stopping', 'stop', []],
  ['stopping', 'handover', 'stopping', 'stop', []],

  // draining: waits for the group to empty; SIGKILL at the kill time.
  ['draining', 'start', 'draining', 'policy', []],
  ['draining', 'spawned', 'draining', 'policy', []],
  ['draining', 'spawn-failed', 'draining', 'policy', []],
  ['draining', 'exited+group', 'draining', 'policy', []],
  ['draining', 'exited-alone', 'draining', 'policy', []],
  ['draining', 'group-empty', 'backoff', 'policy', ['clear kill', 'unwatch-group', 'set restart 1000']],
  ['draining', 'stop', 'draining', 'stop', []],
  ['draining', 'restart', 'draining', 'restart', []],
  ['draining', 'kill-timeout', 'draining', 'policy', ['SIGKILL group']],
  ['draining', 'kill-now', 'draining', 'policy', ['clear kill', 'SIGKILL group']],
  ['draining', 'restart-timeout', 'draining', 'policy', []],
  ['draining', 'handover', 'draining', 'policy', []],

  // backoff: the restart timer spawns; a request spawns at once; stop cancels the timer.
  ['backoff', 'start', 'starting', 'policy', ['clear restart', 'spawn']],
  ['backoff', 'spawned', 'backoff', 'policy', []],
  ['backoff', 'spawn-failed', 'backoff', 'policy', []],
  ['backoff', 'exited+group', 'backoff', 'policy', []],
  ['backoff', 'exited-alone', 'backoff', 'policy', []],
  ['backoff', 'group-empty', 'backoff', 'policy', []],
  ['backoff', 'stop', 'stopped', 'policy', ['clear restart']],
  ['backoff', 'restart', 'starting', 'policy', ['clear restart', 'spawn']],
  ['backoff', 'kill-timeout', 'backoff', 'policy', []],
  ['backoff', 'kill-now', 'stopped', 'policy', ['clear restart']],
  ['backoff', 'restart-timeout', 'starting', 'policy', ['spawn']],
  ['backoff', 'handover', 'backoff', 'policy', []],

  // stopped: final, but start/restart bring it back.
  ['stopped', 'start', 'starting', 'policy', ['spawn']],
  ['stopped', 'spawned', 'stopped', 'stop', []],
  ['stopped', 'spawn-failed', 'stopped', 'stop', []],
  ['stopped', 'exited+group', 'stopped', 'stop', []],
  ['stopped', 'exited-alone', 'stopped', 'stop', []],
  ['stopped', 'group-empty', 'stopped', 'stop', []],
  ['stopped', 'stop', 'stopped', 'stop', []],
  ['stopped', 'restart', 'starting', 'policy', ['spawn']],
  ['stopped', 'kill-timeout', 'stopped', 'stop', []],
  ['stopped', 'kill-now', 'stopped', 'stop', []],
  ['stopped', 'restart-timeout', 'stopped', 'stop', []],
  ['stopped', 'handover', 'stopped', 'stop', []],

  // exited: final, but start/restart bring it back.
  ['exited', 'start', 'starting', 'policy', ['spawn']],
  ['exited', 'spawned', 'exited', 'policy', []],
  ['exited', 'spawn-failed', 'exited', 'policy', []],
  ['exited', 'exited+group', 'exited', 'policy', []],
  ['exited', 'exited-alone', 'exited', 'policy', []],
  ['exited', 'group-empty', 'exited', 'policy', []],
  ['exited', 'stop', 'exited', 'policy', []],
  ['exited', 'restart', 'starting', 'policy', ['spawn']],
  ['exited', 'kill-timeout', 'exited', 'policy', []],
  ['exited', 'kill-now', 'exited', 'policy', []],
  ['exited', 'restart-timeout', 'exited', 'policy', []],
  ['exited', 'handover', 'exited', 'policy', []],
  // failed (gave up after max_fast_restarts): like exited; start/restart revive it.
  ['failed', 'start', 'starting', 'policy', ['spawn']],
  ['failed', 'spawned', 'failed', 'policy', []],
  ['failed', 'spawn-failed', 'failed', 'policy', []],
  ['failed', 'exited+group', 'failed', 'policy', []],
  ['failed', 'exited-alone', 'failed', 'policy', []],
  ['failed', 'group-empty', 'failed', 'policy', []],
  ['failed', 'stop', 'failed', 'policy', []],
  ['failed', 'restart', 'starting', 'policy', ['spawn']],
  ['failed', 'kill-timeout', 'failed', 'policy', []],
  ['failed', 'kill-now', 'failed', 'policy', []],
  ['failed', 'restart-timeout', 'failed', 'policy', []],
  ['failed', 'handover', 'failed', 'policy', []],
];

describe('transition table', () => {
  test('lists every (phase, event) pair exactly once', () => {
    const listed = TABLE.map(([from, event]) => `${from} × ${event}`);
    const expected = PHASES.flatMap((p) => EVENT_NAMES.map((e) => `${p} × ${e}`));
    assert.deepEqual([...listed].sort(), [...expected].sort());
  });

  for (const [from, event, to, then, effects] of TABLE) {
    test(`${from} × ${event} → ${to} (then ${then}) [${effects.join(', ')}]`, () => {
      const before = stateIn(from);
      const result = transition(before, EVENTS[event], POLICY, NOW);
      assert.equal(result.state.phase, to, 'phase');
      assert.equal(result.state.then, then, 'then');
      assert.deepEqual(brief(result.effects), effects, 'effects');
      // A no-op changes nothing at all (a hand-over while running changes the pid only: see below).
      if (to === from && effects.length === 0 && then === before.then && !(from === 'running' && event === 'handover')) assert.deepEqual(result.state, before);
    });
  }
});

describe('transition details', () => {
  test('spawn records the start time, counts the start and forgets the old pid', () => {
    const { state } = transition(stateIn('exited'), EVENTS.start, POLICY, 7000);
    assert.equal(state.startedAt, 7000);
    assert.equal(state.starts, 2);
    assert.equal(state.pid, undefined);
    assert.equal(state.exitedAt, undefined);
  });

  test('spawned records the pid and logs "started"', () => {
    const { state, effects } = transition(stateIn('starting'), EVENTS.spawned, POLICY, NOW);
    assert.equal(state.pid, 43);
    assert.deepEqual(
      effects.filter((e) => e.type === 'log').map((e) => e.msg),
      ['started'],
    );
  });

  test('an exit records the status and the time', () => {
    const { state } = transition(stateIn('running'), EVENTS['exited-alone'], POLICY, NOW);
    assert.deepEqual(state.lastExit, { code: 1, signal: null });
    assert.equal(state.exitedAt, NOW);
    assert.equal(state.pid, undefined);
  });

  test('a fast death logs a warning with the delay', () => {
    const { effects } = transition(stateIn('running'), EVENTS['exited-alone'], POLICY, NOW);
    const warning = effects.find((e) => e.type === 'log' && e.msg.startsWith('died after'));
    assert.ok(warning && warning.type === 'log');
    assert.equal(warning.level, 'warn');
    assert.equal(warning.msg, 'died after 500 ms, restarting in 1 s');
    assert.deepEqual(warning.fields, { delay_s: 1 });
  });

  test('a process that lived at least the threshold restarts at once with the delay reset', () => {
    const running: State = { ...stateIn('running'), delayMs: 8000 };
    const { state, effects } = transition(running, EVENTS['exited-alone'], POLICY, 1000);
    assert.equal(state.phase, 'starting');
    assert.deepEqual(brief(effects), ['clear kill', 'spawn']);
    assert.equal(state.delayMs, POLICY.minDelayMs);
  });

  test('a fast death waits the current delay and doubles it', () => {
    const running: State = { ...stateIn('running'), delayMs: 4000 };
    const { state, effects } = transition(running, EVENTS['exited-alone'], POLICY, NOW);
    assert.deepEqual(brief(effects), ['clear kill', 'set restart 4000']);
    assert.equal(state.delayMs, 8000);
  });

  test('draining measures the life up to the main pid exit, not up to the group emptying', () => {
    // The main pid died at 400 (fast); the group took until 9000 to empty.
    const { state } = transition(stateIn('draining'), EVENTS['group-empty'], POLICY, 9000);
    assert.equal(state.phase, 'backoff');
  });

  test('the restart timer keeps the grown delay; a requested restart resets it', () => {
    const fromTimer = transition(stateIn('backoff'), EVENTS['restart-timeout'], POLICY, 2100).state;
    assert.equal(fromTimer.delayMs, 2000);
    const onRequest = transition(stateIn('backoff'), EVENTS.restart, POLICY, 200).state;
    assert.equal(onRequest.delayMs, POLICY.minDelayMs);
  });

  test('the stop signal comes from the policy', () => {
    const { effects } = transition(stateIn('running'), EVENTS.stop, { ...POLICY, stopSignal: 'SIGINT' }, NOW);
    assert.deepEqual(brief(effects), ['SIGINT main', 'set kill 5000']);
  });

  test('after the kill timeout, a main pid exit with a live group sends SIGKILL (not SIGTERM) to the group', () => {
    const killed = transition(stateIn('stopping'), EVENTS['kill-timeout'], POLICY, 5000).state;
    assert.equal(killed.killSent, true);
    const { state, effects } = transition(killed, EVENTS['exited+group'], POLICY, 5001);
    assert.equal(state.phase, 'draining');
    assert.deepEqual(brief(effects), ['SIGKILL group', 'watch-group']);
  });
});

describe('handover: the main pid exited and left a successor', () => {
  test('while running: the pid changes, nothing else (same phase, start time and count: no restart), and it is logged', () => {
    const before: State = { ...stateIn('running'), startedAt: 120, starts: 3, delayMs: 4000, fastDeaths: 2 };
    const { state, effects } = transition(before, EVENTS.handover, POLICY, 9000);
    assert.deepEqual(state, { ...before, pid: 77 });
    assert.deepEqual(effects, [{ type: 'log', level: 'info', msg: 'main pid handed over: 42 → 77 (pidfile /run/app.pid), no restart', fields: { pid: 77, from: 42 } }]);
  });

  for (const phase of PHASES.filter((p) => p !== 'running')) {
    test(`in ${phase} it changes nothing and says nothing`, () => {
      const before = stateIn(phase);
      assert.deepEqual(transition(before, EVENTS.handover, POLICY, NOW), { state: before, effects: [] });
    });
  }

  test('the successor\'s exit is then handled as the main pid\'s', () => {
    const handed = transition(stateIn('running'), EVENTS.handover, POLICY, 9000).state;
    const { state } = transition(handed, EVENTS['exited-alone'], POLICY, 9500);
    assert.equal(state.phase, 'starting', 'a long run: restarted at once');
    assert.equal(state.starts, 2);
  });
});

describe("a stop's own signal and kill time", () => {
  test('a stop that arrives while starting keeps its signal and kill time for when the process runs', () => {
    const asked = transition(stateIn('starting'), { type: 'stop', signal: 'SIGQUIT', killTimeMs: 1200 }, POLICY, NOW).state;
    const { state, effects } = transition(asked, EVENTS.spawned, POLICY, 600);
    assert.equal(state.phase, 'stopping');
    assert.deepEqual(brief(effects), ['SIGQUIT main', 'set kill 1200']);
    assert.equal(state.killAt, 1800);
  });

  test('the SIGKILL line names the signal and kill time of this stop', () => {
    const stopping = transition(stateIn('running'), { type: 'stop', signal: 'SIGINT', killTimeMs: 2500 }, POLICY, NOW).state;
    const { effects } = transition(stopping, EVENTS['kill-timeout'], POLICY, 3000);
    const line = effects.find((e) => e.type === 'log');
    assert.match(line?.type === 'log' ? line.msg : '', /still running 2\.5 s after SIGINT/);
  });

  test('a shorter stop during a restart brings the SIGKILL forward; a longer one changes nothing', () => {
    const restarting = transition(stateIn('running'), EVENTS.restart, POLICY, 0).state; // SIGKILL due at 5000
    const sooner = transition(restarting, { type: 'stop', killTimeMs: 1000 }, POLICY, 1000);
    assert.deepEqual(brief(sooner.effects), ['set kill 1000']);
    assert.equal(sooner.state.killAt, 2000);
    assert.equal(sooner.state.then, 'stop');
    const later = transition(restarting, { type: 'stop', killTimeMs: 9000 }, POLICY, 1000);
    assert.deepEqual(brief(later.effects), []);
    assert.equal(later.state.killAt, 5000);
  });

  test('draining keeps the kill time it was given and can be brought forward too', () => {
    const draining = transition(stateIn('running'), EVENTS['exited+group'], POLICY, 100).state;
    assert.equal(draining.killAt, 5100);
    const sooner = transition(draining, { type: 'stop', killTimeMs: 0 }, POLICY, 200);
    assert.deepEqual(brief(sooner.effects), ['set kill 0']);
  });

  test('kill-now after the SIGKILL was sent does nothing more', () => {
    const killed = transition(stateIn('stopping'), EVENTS['kill-timeout'], POLICY, 5000).state;
    assert.deepEqual(transition(killed, EVENTS['kill-now'], POLICY, 5001).effects, []);
  });
});

describe("restart policy 'never'", () => {
  const never: Policy = { ...POLICY, restart: 'never' };

  test('an exit ends in exited, with no restart timer', () => {
    const { state, effects } = transition(stateIn('running'), EVENTS['exited-alone'], never, NOW);
    assert.equal(state.phase, 'exited');
    assert.deepEqual(brief(effects), ['clear kill']);
  });

  test('a long-lived process is not restarted either', () => {
    const { state } = transition(stateIn('running'), EVENTS['exited-alone'], never, 60_000);
    assert.equal(state.phase, 'exited');
  });

  test('the group emptying after the exit ends in exited', () => {
    const { state } = transition(stateIn('draining'), EVENTS['group-empty'], never, NOW);
    assert.equal(state.phase, 'exited');
  });

  test('a requested restart still restarts', () => {
    const stopping = transition(stateIn('running'), EVENTS.restart, never, NOW).state;
    const { state, effects } = transition(stopping, EVENTS['exited-alone'], never, NOW + 10);
    assert.equal(state.phase, 'starting');
    assert.ok(brief(effects).includes('spawn'));
  });
});

describe('"then": what happens once the process is gone', () => {
  test('stop while starting: once spawned, it is sent the stop signal, and its exit ends in stopped', () => {
    let s = stateIn('starting');
    s = transition(s, EVENTS.stop, POLICY, 10).state;
    const spawned = transition(s, EVENTS.spawned, POLICY, 20);
    assert.equal(spawned.state.phase, 'stopping');
    assert.equal(spawned.state.pid, 43);
    assert.deepEqual(brief(spawned.effects), ['SIGTERM main', 'set kill 5000']);
    const exited = transition(spawned.state, EVENTS['exited-alone'], POLICY, 30);
    assert.equal(exited.state.phase, 'stopped');
  });

  test('stop while starting, then the spawn fails: stopped, not backoff', () => {
    const s = transition(stateIn('starting'), EVENTS.stop, POLICY, 10).state;
    const { state, effects } = transition(s, EVENTS['spawn-failed'], POLICY, 20);
    assert.equal(state.phase, 'stopped');
    assert.ok(!brief(effects).includes('set restart 1000'));
  });

  test('restart while stopping: it starts again at once after the exit, delay reset', () => {
    let s: State = { ...stateIn('stopping'), delayMs: 16_000 };
    s = transition(s, EVENTS.restart, POLICY, 100).state;
    const { state, effects } = transition(s, EVENTS['exited-alone'], POLICY, 200);
    assert.equal(state.phase, 'starting');
    assert.deepEqual(brief(effects), ['clear kill', 'spawn']);
    assert.equal(state.delayMs, POLICY.minDelayMs);
    assert.equal(state.then, 'policy');
  });

  test('restart then stop while stopping: the last request wins, it stays stopped', () => {
    let s = stateIn('stopping');
    s = transition(s, EVENTS.restart, POLICY, 100).state;
    s = transition(s, EVENTS.stop, POLICY, 110).state;
    const { state } = transition(s, EVENTS['exited-alone'], POLICY, 200);
    assert.equal(state.phase, 'stopped');
  });

  test('restart while draining: it starts again once the group is empty', () => {
    let s = stateIn('draining');
    s = transition(s, EVENTS.restart, POLICY, 450).state;
    const { state, effects } = transition(s, EVENTS['group-empty'], POLICY, NOW);
    assert.equal(state.phase, 'starting');
    assert.deepEqual(brief(effects), ['clear kill', 'unwatch-group', 'spawn']);
  });

  test('stop while draining: stopped once the group is empty', () => {
    let s = stateIn('draining');
    s = transition(s, EVENTS.stop, POLICY, 450).state;
    const { state } = transition(s, EVENTS['group-empty'], POLICY, NOW);
    assert.equal(state.phase, 'stopped');
  });

  // A stop then a restart while starting: the restart wins, as it does while stopping and draining.
  test('stop then restart while starting: the restart wins, as it does while stopping', () => {
    let s = stateIn('starting');
    s = transition(s, EVENTS.stop, POLICY, 10).state;
    s = transition(s, EVENTS.restart, POLICY, 20).state;
    const { state } = transition(s, EVENTS['spawn-failed'], POLICY, 30);
    assert.notEqual(state.phase, 'stopped');
  });

  test('a new run forgets the previous run\'s "then"', () => {
    let s = stateIn('running');
    s = transition(s, EVENTS.restart, POLICY, 100).state; // then: restart
    s = transition(s, EVENTS['exited-alone'], POLICY, 200).state; // spawns again
    s = transition(s, EVENTS.spawned, POLICY, 200).state;
    // This run dies fast by itself: the policy applies (back-off), it is not restarted "on request".
    const { state } = transition(s, EVENTS['exited-alone'], POLICY, 300);
    assert.equal(state.phase, 'backoff');
  });
});

describe('formatMs', () => {
  test('milliseconds under a second, seconds from there', () => {
    assert.equal(formatMs(250), '250 ms');
    assert.equal(formatMs(1000), '1 s');
    assert.equal(formatMs(1500), '1.5 s');
    assert.equal(formatMs(60_000), '60 s');
  });
});
