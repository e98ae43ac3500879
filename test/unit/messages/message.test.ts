import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseMessage, type Message } from '../../../src/messages/message.ts';

function ok(value: unknown): Message {
  const result = parseMessage(typeof value === 'string' ? value : JSON.stringify(value));
  if (!result.ok) assert.fail(`expected ${JSON.stringify(value)} to parse, got: ${result.error}`);
  return result.message;
}

function error(value: unknown): string {
  const result = parseMessage(typeof value === 'string' ? value : JSON.stringify(value));
  if (result.ok) assert.fail(`expected ${JSON.stringify(value)} to be rejected, got ${JSON.stringify(result.message)}`);
  return result.error;
}

describe('valid messages', () => {
  test('RESTART with a name', () => {
    assert.deepEqual(ok({ type: 'RESTART', name: 'web' }), { type: 'RESTART', name: 'web' });
  });

  test('RESTART-ALL', () => {
    assert.deepEqual(ok({ type: 'RESTART-ALL' }), { type: 'RESTART-ALL' });
  });

  test('RESTART-GROUP with a group', () => {
    assert.deepEqual(ok({ type: 'RESTART-GROUP', group: 'workers' }), { type: 'RESTART-GROUP', group: 'workers' });
  });

  test('SIGNAL to a name', () => {
    assert.deepEqual(ok({ type: 'SIGNAL', name: 'web', signal: 'SIGHUP' }), { type: 'SIGNAL', signal: 'SIGHUP', name: 'web' });
  });

  test('SIGNAL to a group', () => {
    assert.deepEqual(ok({ type: 'SIGNAL', group: 'workers', signal: 'SIGUSR1' }), { type: 'SIGNAL', signal: 'SIGUSR1', group: 'workers' });
  });

  for (const form of ['SIGHUP', 'HUP', 'hup', 'SigHup', '1', 1]) {
    test(`the signal ${JSON.stringify(form)} is SIGHUP`, () => {
      assert.deepEqual(ok({ type: 'SIGNAL', name: 'web', signal: form }), { type: 'SIGNAL', signal: 'SIGHUP', name: 'web' });
    });
  }

  test('unknown keys are ignored', () => {
    assert.deepEqual(ok({ type: 'RESTART', name: 'web', from: 'ctl' }), { type: 'RESTART', name: 'web' });
  });

  test('bytes are accepted', () => {
    const result = parseMessage(Buffer.from('{"type":"RESTART-ALL"}\n'));
    assert.deepEqual(result, { ok: true, message: { type: 'RESTART-ALL' } });
  });
});

describe('bad messages', () => {
  test('not JSON', () => {
    assert.match(error('RESTART web'), /^not valid JSON: /);
  });

  test('empty', () => {
    assert.equal(error(''), 'file is empty');
  });

  test('not an object', () => {
    assert.equal(error(['RESTART', 'web']), 'must be a JSON object, got ["RESTART","web"]');
    assert.equal(error('null'), 'must be a JSON object, got null');
  });

  test('unknown type', () => {
    assert.match(error({ type: 'PAUSE', name: 'web' }), /^unknown message type "PAUSE" \(known: RESTART, RELOAD, UPGRADE, RESTART-ALL, RESTART-GROUP, SIGNAL, STOP, START\)$/);
    assert.match(error({ type: 'restart', name: 'web' }), /unknown message type "restart"/);
  });

  test('missing type', () => {
    assert.match(error({ name: 'web' }), /^unknown message type undefined/);
  });

  test('RESTART without a name', () => {
    assert.match(error({ type: 'RESTART' }), /^"name" must be a string/);
  });

  test("a name with '/'", () => {
    assert.equal(error({ type: 'RESTART', name: '../web' }), `"name" must not contain '/': "../web"`);
  });

  test("a name with a leading '.'", () => {
    assert.equal(error({ type: 'RESTART', name: '.web' }), `"name" must not start with '.': ".web"`);
  });

  test('an empty name', () => {
    assert.equal(error({ type: 'RESTART', name: '' }), '"name" must not be empty');
  });

  test('a name that is not a string', () => {
    assert.match(error({ type: 'RESTART', name: 3 }), /^"name" must be a string, got 3$/);
  });

  test('RESTART-GROUP without a group, or with a bad one', () => {
    assert.match(error({ type: 'RESTART-GROUP', name: 'web' }), /^"group" must be a string/);
    assert.match(error({ type: 'RESTART-GROUP', group: 'a/b' }), /^"group" must not contain '\/'/);
  });

  test('SIGNAL with both name and group', () => {
    assert.equal(error({ type: 'SIGNAL', signal: 'HUP', name: 'web', group: 'workers' }), 'a SIGNAL message needs exactly one of "name" or "group"');
  });

  test('SIGNAL with neither name nor group', () => {
    assert.equal(error({ type: 'SIGNAL', signal: 'HUP' }), 'a SIGNAL message needs exactly one of "name" or "group"');
  });

  for (const bad of ['SIGNOPE', 'NOPE', '0', '99', '', 0, 1.5, -1, null]) {
    test(`SIGNAL with the bad signal ${JSON.stringify(bad)}`, () => {
      assert.equal(error({ type: 'SIGNAL', name: 'web', signal: bad }), `"signal" must be a signal name such as "SIGHUP", got ${JSON.stringify(bad)}`);
    });
  }

  test('SIGNAL without a signal', () => {
    assert.match(error({ type: 'SIGNAL', name: 'web' }), /^"signal" must be a signal name/);
  });

  test('SIGNAL to a bad name', () => {
    assert.match(error({ type: 'SIGNAL', signal: 'HUP', name: '.x' }), /^"name" must not start with '\.'/);
  });
});

describe('RELOAD', () => {
  test('a valid RELOAD names a process', () => {
    assert.deepEqual(parseMessage(JSON.stringify({ type: 'RELOAD', name: 'web' })), { ok: true, message: { type: 'RELOAD', name: 'web' } });
  });
  test('a RELOAD without a usable name is rejected, naming the field and the value', () => {
    assert.match(error({ type: 'RELOAD' }), /^"name" must be a string, got undefined$/);
    assert.match(error({ type: 'RELOAD', name: '../x' }), /^"name" must not contain '\/': "\.\.\/x"$/);
  });
});

describe('STOP and START', () => {
  for (const type of ['STOP', 'START'] as const) {
    test(`${type} with a name or a group`, () => {
      assert.deepEqual(ok({ type, name: 'web' }), { type, name: 'web' });
      assert.deepEqual(ok({ type, group: 'front' }), { type, group: 'front' });
    });
    test(`${type} needs exactly one of name and group, each a valid name`, () => {
      assert.equal(error({ type }), `a ${type} message needs exactly one of "name" or "group"`);
      assert.equal(error({ type, name: 'a', group: 'b' }), `a ${type} message needs exactly one of "name" or "group"`);
      assert.match(error({ type, name: '' }), /^"name" /);
      assert.match(error({ type, group: 7 }), /^"group" /);
    });
  }
});
