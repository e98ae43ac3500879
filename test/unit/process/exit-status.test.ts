import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeExit, exitCode } from '../../../src/process/exit-status.ts';

test('exitCode: the code, 128+signal, 127 not found, 126 otherwise unstartable', () => {
  assert.equal(exitCode({ code: 3, signal: null }), 3);
  assert.equal(exitCode({ code: 0, signal: null }), 0);
  assert.equal(exitCode({ code: null, signal: 'SIGTERM' }), 143);
  assert.equal(exitCode({ code: null, signal: 'SIGKILL' }), 137);
  assert.equal(exitCode({ code: null, signal: null, spawnError: 'ENOENT' }), 127);
  assert.equal(exitCode({ code: null, signal: null, spawnError: 'EACCES' }), 126);
});

test('describeExit', () => {
  assert.equal(describeExit({ code: 3, signal: null }), 'exit code 3');
  assert.equal(describeExit({ code: null, signal: 'SIGKILL' }), 'killed by SIGKILL');
  assert.equal(describeExit({ code: null, signal: null, spawnError: 'ENOENT' }), 'executable not found (ENOENT)');
  assert.equal(describeExit({ code: null, signal: null, spawnError: 'EACCES' }), 'not executable (permission denied) (EACCES)');
  assert.equal(describeExit({ code: null, signal: null, spawnError: 'E2BIG' }), 'could not start (E2BIG)');
});
