// Why a run ended, as colony_process_exits_total counts it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exitReason } from '../../../src/process/exit-reason.ts';

test('exit reasons: asked to stop, spawn failure, signal, success codes, failure', () => {
  const st = (code: number | null, signal: NodeJS.Signals | null = null) => ({ code, signal });
  assert.equal(exitReason('stopping', st(null, 'SIGTERM'), [0]), 'requested');
  assert.equal(exitReason('stopping', st(1), [0]), 'requested', 'whatever the status of a run colony stopped');
  assert.equal(exitReason('running', { code: null, signal: null, spawnError: 'ENOENT' }, [0]), 'spawn_error');
  assert.equal(exitReason('running', st(null, 'SIGKILL'), [0]), 'signal');
  assert.equal(exitReason('running', st(0), [0]), 'success');
  assert.equal(exitReason('running', st(2), [0, 2]), 'success', "the descriptor's success codes");
  assert.equal(exitReason('running', st(0), [2]), 'failure');
  assert.equal(exitReason('running', st(3), [0]), 'failure');
});
