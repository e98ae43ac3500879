import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { usage } from '../helpers/usage.ts';
import { directory, listen, logFormat, mainOutput, only, runOptions, seconds, size } from '../../../src/cli/options.ts';


describe('seconds', () => {
  test('the fallback (in seconds) when not given', () => {
    assert.equal(seconds('killtime', undefined, 5), 5000);
  });

  test('seconds as milliseconds, fractions included', () => {
    assert.equal(seconds('killtime', '10', 5), 10_000);
    assert.equal(seconds('threshold', '0.25', 1), 250);
    assert.equal(seconds('threshold', 1.5, 1), 1500);
    assert.equal(seconds('killtime', '0', 5), 0);
  });

  test('not a number: the error names the option and the value', () => {
    assert.throws(() => seconds('killtime', 'ten', 5), usage(/^--killtime must be a non-negative number of seconds \(such as 5 or 0\.5\), got "ten"$/));
    assert.throws(() => seconds('threshold', '5s', 1), usage(/^--threshold .* got "5s"$/));
  });

  test('empty or blank', () => {
    assert.throws(() => seconds('minrestartdelay', '', 1), usage(/^--minrestartdelay must be a non-negative number of seconds .*, got ""$/));
    assert.throws(() => seconds('minrestartdelay', '  ', 1), usage(/^--minrestartdelay must be a non-negative number of seconds/));
  });

  test('negative', () => {
    assert.throws(() => seconds('maxrestartdelay', '-1', 60), usage(/^--maxrestartdelay must be a non-negative number of seconds .*, got "-1"$/));
  });

  test('infinite', () => {
    assert.throws(() => seconds('frequency', 'Infinity', 60), usage(/^--frequency .* got "Infinity"$/));
  });

  test('zero when zero is not allowed', () => {
    assert.throws(() => seconds('frequency', '0', 60, { allowZero: false }), usage(/^--frequency must be a positive number of seconds .*, got "0"$/));
  });
});

describe('size (--keep-logs)', () => {
  test('bytes, KiB and MiB (K and M the same), case and blanks aside; 0 for none', () => {
    assert.equal(size('keep-logs', '1MiB'), 1024 * 1024);
    assert.equal(size('keep-logs', '256 KiB'), 256 * 1024);
    assert.equal(size('keep-logs', '2m'), 2 * 1024 * 1024);
    assert.equal(size('keep-logs', '4096'), 4096);
    assert.equal(size('keep-logs', '0'), 0);
  });

  test('anything else, or less than 1 KiB: the error names the option and the value', () => {
    for (const bad of ['', '1.5MiB', '-1', '10GB', 'lots', '100']) assert.throws(() => size('keep-logs', bad), usage(new RegExp(`^--keep-logs must be a size of at least 1KiB .*got ${JSON.stringify(bad).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)));
  });

  test('the default is 1 MiB; COLONY_KEEP_LOGS sets it, the flag wins', () => {
    assert.equal(runOptions({}, [], {}, () => false).keepLogsBytes, 1024 * 1024);
    assert.equal(runOptions({}, [], { COLONY_KEEP_LOGS: '0' }, () => false).keepLogsBytes, 0);
    assert.equal(runOptions({ keepLogs: '64K' }, [], { COLONY_KEEP_LOGS: '0' }, () => false).keepLogsBytes, 65536);
  });
});

describe('logFormat', () => {
  test('json and text as given', () => {
    assert.equal(logFormat('json', true), 'json');
    assert.equal(logFormat('text', false), 'text');
  });

  test('auto (and the default): text on a terminal, JSON otherwise', () => {
    assert.equal(logFormat('auto', true), 'text');
    assert.equal(logFormat('auto', false), 'json');
    assert.equal(logFormat(undefined, true), 'text');
    assert.equal(logFormat(undefined, false), 'json');
  });

  test('anything else is an error naming the value', () => {
    assert.throws(() => logFormat('yaml', false), usage(/^--log-format must be json, text or auto, got "yaml"$/));
    assert.throws(() => logFormat('JSON', false), usage(/got "JSON"/));
  });
});

describe('directory', () => {
  test('the flag, else the environment variable, else the default', () => {
    assert.equal(directory('/flag', 'COLONY_CONFIG', '/default', { COLONY_CONFIG: '/env' }), '/flag');
    assert.equal(directory(undefined, 'COLONY_CONFIG', '/default', { COLONY_CONFIG: '/env' }), '/env');
    assert.equal(directory(undefined, 'COLONY_CONFIG', '/default', {}), '/default');
  });

  test('an empty environment variable counts as unset', () => {
    assert.equal(directory(undefined, 'COLONY_CONFIG', '/default', { COLONY_CONFIG: '' }), '/default');
  });
});

describe('a main command and --only', () => {
  const noTty = (): boolean => false;
  test("with a main command that has the stdout, colony's log goes to stderr with only its warnings and errors", () => {
    const o = runOptions({}, ['python3'], {}, noTty);
    assert.equal(o.mainOutput, 'inherit');
    assert.equal(o.logFd, 2);
    assert.equal(o.logOnly, 'processes');
  });
  test('--main-output log (or COLONY_MAIN_OUTPUT=log) keeps everything in the log on stdout', () => {
    for (const o of [runOptions({ mainOutput: 'log' }, ['x'], {}, noTty), runOptions({}, ['x'], { COLONY_MAIN_OUTPUT: 'log' }, noTty)]) {
      assert.equal(o.logFd, 1);
      assert.equal(o.logOnly, 'all');
    }
  });
  test('without a main command: stdout, everything', () => {
    const o = runOptions({}, [], {}, noTty);
    assert.equal(o.logFd, 1);
    assert.equal(o.logOnly, 'all');
    assert.equal(o.only, undefined);
  });
  test('--log-only given wins; auto format follows the fd the log goes to', () => {
    assert.equal(runOptions({ logOnly: 'all' }, ['x'], {}, noTty).logOnly, 'all');
    assert.equal(runOptions({}, ['x'], {}, (fd) => fd === 2).logFormat, 'text');
    assert.equal(runOptions({}, ['x'], {}, (fd) => fd === 1).logFormat, 'json');
  });
  test('which directories are the defaults (neither a flag nor a variable)', () => {
    assert.deepEqual(runOptions({ state: '/s' }, ['x'], { COLONY_MESSAGES: '/m' }, noTty).defaulted, { config: true, messages: false, state: false });
    assert.deepEqual(runOptions({}, ['x'], { COLONY_CONFIG: '' }, noTty).defaulted, { config: true, messages: true, state: true }, 'an empty variable counts as unset');
  });
  test('--only and COLONY_ONLY: unset runs all, empty runs none, the flag wins', () => {
    assert.deepEqual(runOptions({}, [], { COLONY_ONLY: '' }, noTty).only, []);
    assert.deepEqual(runOptions({}, [], { COLONY_ONLY: 'redis, web' }, noTty).only, ['redis', 'web']);
    assert.deepEqual(runOptions({ only: 'web' }, [], { COLONY_ONLY: 'redis' }, noTty).only, ['web']);
    assert.equal(only(undefined), undefined);
  });
  test('bad values are usage errors naming the option and the value', () => {
    assert.throws(() => mainOutput('stdout'), usage(/^--main-output must be inherit or log, got "stdout"$/));
    assert.throws(() => only('web,../x'), usage(/^--only: a process name .*\.\.\/x/));
  });
});

test('--metrics: HOST:PORT, [IPv6]:PORT, :PORT; anything else names the option and the value', () => {
  assert.deepEqual(listen('metrics', '127.0.0.1:9100'), { host: '127.0.0.1', port: 9100 });
  assert.deepEqual(listen('metrics', '0.0.0.0:9100'), { host: '0.0.0.0', port: 9100 });
  assert.deepEqual(listen('metrics', '[::1]:9100'), { host: '::1', port: 9100 });
  assert.deepEqual(listen('metrics', ':9100'), { host: undefined, port: 9100 });
  assert.equal(listen('metrics', undefined), undefined);
  assert.equal(listen('metrics', ''), undefined, 'COLONY_METRICS= (empty) is off');
  for (const bad of ['9100', 'x', 'host:', '1.2.3.4:70000', 'a:b:9', '[::1]']) assert.throws(() => listen('metrics', bad), (e: Error) => e.message.includes('--metrics') && e.message.includes(JSON.stringify(bad)), bad);
});
