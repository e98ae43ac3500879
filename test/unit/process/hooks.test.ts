// HookRunner on virtual time with a fake start: which changes call which hook, what a hook is told,
// its bound, and that a hook still running is not started twice.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import type { Hooks } from '../../../src/descriptor/parse.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import { hookEnv, HookRunner, hooksFor } from '../../../src/process/hooks.ts';
import type { EventRecord } from '../../../src/status/events.ts';

const rec = (over: Partial<EventRecord>): EventRecord => ({ time: '2026-01-01T00:00:00.000Z', proc: 'web', event: 'state', from: 'running', to: 'backoff', pid: null, restarts: 2, ...over });
const HOOKS: Hooks = { exit: ['on-exit'], unhealthy: ['on-unhealthy'], failed: ['on-failed'], timeoutMs: 1000 };

function setup() {
  const clock = new FakeClock();
  const log = memoryLog();
  const started: Array<{ argv: string[]; env: Record<string, string>; label: string; killed: number; end: (r: { code: number | null; signal: string | null }) => void }> = [];
  const runner = new HookRunner({
    clock,
    log,
    start: (argv, env, label) => {
      let end!: (r: { code: number | null; signal: string | null }) => void;
      const ended = new Promise<{ code: number | null; signal: string | null }>((r) => (end = r));
      const s = { argv, env, label, killed: 0, end };
      started.push(s);
      return { ended, kill: () => (s.killed++, end({ code: null, signal: 'SIGKILL' })) };
    },
  });
  return { clock, log, started, runner };
}

test('which hooks a change calls', () => {
  assert.deepEqual(hooksFor(rec({ code: 3, signal: null, reason: 'failure' })), ['exit']);
  assert.deepEqual(hooksFor(rec({ to: 'failed', code: 3, signal: null, reason: 'failure' })), ['exit', 'failed']);
  assert.deepEqual(hooksFor(rec({ event: 'health', from: 'healthy', to: 'unhealthy' })), ['unhealthy']);
  assert.deepEqual(hooksFor(rec({ from: 'backoff', to: 'running' })), [], 'a start calls none');
  assert.deepEqual(hooksFor(rec({ event: 'health', from: 'unhealthy', to: 'healthy' })), []);
});

test('what a hook is told', () => {
  const env = hookEnv('exit', rec({ pid: 42, code: null, signal: 'SIGKILL', reason: 'signal' }));
  assert.equal(env.COLONY_HOOK, 'exit');
  assert.equal(env.COLONY_HOOK_PROCESS, 'web');
  assert.equal(env.COLONY_HOOK_EXIT_SIGNAL, 'SIGKILL');
  assert.equal(env.COLONY_HOOK_EXIT_REASON, 'signal');
  assert.equal(env.COLONY_HOOK_PID, '42');
  assert.equal(env.COLONY_HOOK_EXIT_CODE, undefined);
  assert.equal(env.COLONY_HOOK_RESTARTS, '2');
  assert.equal(JSON.parse(env.COLONY_HOOK_EVENT!).to, 'backoff');
});

test('bounded: killed at hook_timeout, said once; a hook still running is not started again', async () => {
  const { clock, log, started, runner } = setup();
  runner.handle(HOOKS, rec({ code: 1, signal: null, reason: 'failure' }));
  runner.handle(HOOKS, rec({ code: 1, signal: null, reason: 'failure' }));
  assert.equal(started.length, 1, 'not piled up');
  assert.ok(log.records.some((r) => r.level === 'warn' && /still running/.test(r.msg)));
  clock.advance(999);
  assert.equal(started[0]!.killed, 0);
  clock.advance(1);
  assert.equal(started[0]!.killed, 1);
  await new Promise((r) => setImmediate(r));
  assert.ok(log.records.some((r) => /ran longer than hook_timeout \(1 s\): killed/.test(r.msg)));
  assert.equal(runner.active, 0);
  runner.handle(HOOKS, rec({ code: 1, signal: null, reason: 'failure' }));
  assert.equal(started.length, 2, 'once ended, the next change runs it again');
  started[1]!.end({ code: 0, signal: null });
  await new Promise((r) => setImmediate(r));
  assert.ok(log.records.some((r) => r.msg === 'hook on_exit done'));
  assert.equal(clock.pending(), 0, 'its timer cleared');
});

test('no hooks, or a start that throws: supervision is not disturbed', () => {
  const { started, runner, log } = setup();
  runner.handle(undefined, rec({ code: 1, signal: null, reason: 'failure' }));
  assert.equal(started.length, 0);
  const throwing = new HookRunner({ clock: new FakeClock(), log, start: () => { throw new Error('EACCES'); } });
  throwing.handle(HOOKS, rec({ code: 1, signal: null, reason: 'failure' }));
  assert.ok(log.records.some((r) => r.level === 'error' && /could not be started: EACCES/.test(r.msg)));
});
