// EventWatch: the records for what changed since a process was last seen.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventWatch, type ProcessFacts } from '../../../src/status/events.ts';

const T = Date.UTC(2026, 0, 1);
const facts = (over: Partial<ProcessFacts>): ProcessFacts => ({ name: 'web', phase: 'running', pid: 10, health: undefined, ready: true, restarts: 0, exitCount: 0, lastExit: undefined, lastExitReason: undefined, ...over });

test('first sight, then only differences; an exit carries its code, signal and reason', () => {
  const w = new EventWatch();
  const key = {};
  assert.deepEqual(w.changes(key, facts({}), T).map((r) => [r.event, r.from, r.to]), [['state', null, 'running'], ['ready', 'false', 'true']]);
  assert.deepEqual(w.changes(key, facts({}), T), [], 'nothing changed: no record');
  const exited = w.changes(key, facts({ phase: 'backoff', pid: undefined, ready: false, exitCount: 1, lastExit: { code: 3, signal: null }, lastExitReason: 'failure' }), T + 1);
  assert.deepEqual(exited[0], { time: new Date(T + 1).toISOString(), proc: 'web', pid: null, restarts: 0, event: 'state', from: 'running', to: 'backoff', code: 3, signal: null, reason: 'failure' });
  assert.deepEqual(exited[1]!.event, 'ready');
});

test('ended and started again within one change: running → running with the exit and the new pid', () => {
  const w = new EventWatch();
  const key = {};
  w.changes(key, facts({}), T);
  const r = w.changes(key, facts({ pid: 11, restarts: 1, exitCount: 1, lastExit: { code: null, signal: 'SIGKILL' }, lastExitReason: 'signal' }), T + 1);
  assert.deepEqual(r.map((x) => [x.event, x.from, x.to, x.pid, x.signal, x.reason]), [['state', 'running', 'running', 11, 'SIGKILL', 'signal']]);
});

test('health changes; a new process object under the same name starts afresh', () => {
  const w = new EventWatch();
  const a = {};
  w.changes(a, facts({ health: 'starting' }), T);
  assert.deepEqual(w.changes(a, facts({ health: 'unhealthy' }), T).map((x) => [x.event, x.from, x.to]), [['health', 'starting', 'unhealthy']]);
  assert.equal(w.changes({}, facts({}), T)[0]!.from, null, 'added again: first sight');
});
