import assert from 'node:assert/strict';
import { test } from 'node:test';
import { constants } from 'node:os';
import { signalName, signalNumber } from '../../../src/system/signals.ts';

test('signalNumber accepts SIGHUP, HUP, hup, 1 and "1"', () => {
  for (const form of ['SIGHUP', 'HUP', 'hup', 1, '1']) assert.equal(signalNumber(form), constants.signals.SIGHUP, String(form));
});

test('signalNumber refuses what is not a signal', () => {
  for (const bad of ['', 'SIG', 'NOPE', '0', '65', 0, 65, 1.5, -9, null, undefined, {}, 'constructor', '__proto__']) {
    assert.equal(signalNumber(bad), undefined, JSON.stringify(bad));
  }
});

test('signalName gives the canonical name', () => {
  assert.equal(signalName('term'), 'SIGTERM');
  assert.equal(signalName('9'), 'SIGKILL');
  assert.equal(signalName('SIGUSR1'), 'SIGUSR1');
  assert.equal(signalName('bogus'), undefined);
});
