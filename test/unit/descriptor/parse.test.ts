import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { canonicalJson, MAX_FILE_BYTES, parseDescriptor, type Descriptor } from '../../../src/descriptor/parse.ts';

// The errors for a file's text (the test fails if it parses).
function errorsOf(text: string | Buffer): string[] {
  const result = parseDescriptor(text);
  assert.equal(result.ok, false, `expected ${JSON.stringify(String(text).slice(0, 100))} to be rejected`);
  return result.ok ? [] : result.errors;
}

// The single error for an otherwise valid descriptor with these fields.
function errorFor(fields: Record<string, unknown>): string {
  const errors = errorsOf(JSON.stringify({ args: ['/bin/true'], ...fields }));
  assert.equal(errors.length, 1, `expected one error, got ${JSON.stringify(errors)}`);
  return errors[0]!;
}

function parsed(text: string | Buffer): Descriptor {
  const result = parseDescriptor(text);
  if (!result.ok) assert.fail(`expected to parse, got ${JSON.stringify(result.errors)}`);
  return result.descriptor;
}

describe('a valid descriptor', () => {
  test('NColony fields are read', () => {
    const text = JSON.stringify({ args: ['/usr/bin/python3', '-m', 'http.server'], env: { A: '1' }, env_inherit: ['PATH'], uid: 1000, gid: 0, group: ['web'] });
    const d = parsed(text);
    assert.deepEqual(d.args, ['/usr/bin/python3', '-m', 'http.server']);
    assert.deepEqual(d.env, { A: '1' });
    assert.deepEqual(d.envInherit, ['PATH']);
    assert.equal(d.uid, 1000);
    assert.equal(d.gid, 0);
    assert.deepEqual(d.groups, ['web']);
    assert.equal(d.raw, text);
  });

  test('optional fields are undefined (groups empty) when absent', () => {
    const d = parsed('{"args": ["/bin/true"]}');
    assert.equal(d.env, undefined);
    assert.equal(d.envInherit, undefined);
    assert.equal(d.uid, undefined);
    assert.equal(d.gid, undefined);
    assert.deepEqual(d.groups, []);
  });

  test('bytes are read as UTF-8', () => {
    assert.deepEqual(parsed(Buffer.from('{"args": ["/bin/echo", "héllo"]}', 'utf8')).args, ['/bin/echo', 'héllo']);
  });

  test('unknown keys are kept in the canonical form and are not errors', () => {
    const d = parsed('{"args": ["/bin/true"], "x-owner": "ops", "nested": {"b": 1, "a": 2}}');
    assert.match(d.canonical, /"x-owner":"ops"/);
    assert.match(d.canonical, /"nested":\{"a":2,"b":1\}/);
  });

  test('key order and whitespace do not change the canonical form', () => {
    const a = parsed('{"args": ["/bin/x", "1"], "env": {"A": "1", "B": "2"}, "extra": {"y": 1, "x": 2}}');
    const b = parsed('{\n  "extra": {"x": 2, "y": 1},\n  "env": {"B": "2", "A": "1"},\n  "args": ["/bin/x", "1"]\n}\n');
    assert.equal(a.canonical, b.canonical);
    assert.notEqual(a.raw, b.raw);
  });

  test('a different value, argument order or unknown key changes the canonical form', () => {
    const base = parsed('{"args": ["/bin/x", "1", "2"]}').canonical;
    assert.notEqual(parsed('{"args": ["/bin/x", "2", "1"]}').canonical, base);
    assert.notEqual(parsed('{"args": ["/bin/x", "1", "2"], "note": "v2"}').canonical, base);
  });
});

describe('canonicalJson', () => {
  test('sorts keys at every depth and keeps array order', () => {
    assert.equal(canonicalJson({ b: [3, { d: 1, c: 2 }], a: null }), '{"a":null,"b":[3,{"c":2,"d":1}]}');
  });

  // Known src bug (reported, not fixed here): the sorted copy is built by assignment, so a "__proto__"
  // key (an own property after JSON.parse) sets the copy's prototype instead and vanishes.
  test('keeps a "__proto__" key, so that a change in it is noticed', () => {
    const a = parsed('{"args": ["/bin/x"], "__proto__": {"v": 1}}');
    const b = parsed('{"args": ["/bin/x"], "__proto__": {"v": 2}}');
    assert.notEqual(a.canonical, b.canonical);
  });
});

describe('bad files', () => {
  test('not JSON', () => {
    assert.match(errorsOf('{"args": ["/bin/true"]')[0]!, /^not valid JSON: /);
    assert.match(errorsOf('args = ["/bin/true"]')[0]!, /^not valid JSON: /);
  });

  test('empty or blank', () => {
    assert.deepEqual(errorsOf(''), ['file is empty']);
    assert.deepEqual(errorsOf('  \n\t\n'), ['file is empty']);
  });

  for (const [text, shown] of [
    ['["/bin/true"]', '["/bin/true"]'],
    ['42', '42'],
    ['null', 'null'],
    ['"/bin/true"', '"/bin/true"'],
    ['true', 'true'],
  ] as const) {
    test(`JSON that is not an object: ${text}`, () => {
      const errors = errorsOf(text);
      assert.equal(errors.length, 1);
      assert.match(errors[0]!, /must be a JSON object, got /);
      assert.ok(errors[0]!.endsWith(`got ${shown}`), errors[0]);
    });
  }

  test(`a file over MAX_FILE_BYTES (${MAX_FILE_BYTES}) is refused without being parsed`, () => {
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, 0x20);
    const errors = errorsOf(big);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, new RegExp(`^file is ${MAX_FILE_BYTES + 1} bytes, over the ${MAX_FILE_BYTES}-byte limit$`));
  });

  test('a file of exactly MAX_FILE_BYTES is parsed', () => {
    const head = '{"args": ["/bin/true"]}';
    const text = head + ' '.repeat(MAX_FILE_BYTES - head.length);
    assert.equal(parseDescriptor(Buffer.from(text)).ok, true);
  });

  test('every error is reported, not just the first', () => {
    const errors = errorsOf('{"args": [], "uid": -1, "env": []}');
    assert.equal(errors.length, 3, JSON.stringify(errors));
  });
});

describe('bad fields: the error names the field and the value', () => {
  test('args missing', () => {
    const errors = errorsOf('{"env": {}}');
    assert.deepEqual(errors.length, 1);
    assert.match(errors[0]!, /^"args" is required/);
  });

  test('args empty', () => {
    assert.match(errorFor({ args: [] }), /^"args" must be a non-empty list of strings, got \[\]$/);
  });

  test('args not a list', () => {
    assert.match(errorFor({ args: '/bin/true' }), /^"args" must be a non-empty list of strings, got "\/bin\/true"$/);
    assert.match(errorFor({ args: { 0: 'x' } }), /^"args" .* got \{"0":"x"\}$/);
  });

  test('args with a non-string element', () => {
    assert.match(errorFor({ args: ['/bin/sleep', 5] }), /^"args\[1\]" must be a string, got 5$/);
    assert.match(errorFor({ args: ['/bin/x', null] }), /^"args\[1\]" must be a string, got null$/);
  });

  test('args with a NUL byte', () => {
    assert.match(errorFor({ args: ['/bin/echo', 'a\0b'] }), /^"args\[1\]" must not contain a NUL byte, got "a\\u0000b"$/);
  });

  test('args[0] empty', () => {
    assert.match(errorFor({ args: ['', 'x'] }), /^"args" must start with the executable, not "", got \["","x"\]$/);
  });

  test('env not an object', () => {
    assert.match(errorFor({ env: ['A=1'] }), /^"env" must be an object of strings, got \["A=1"\]$/);
    assert.match(errorFor({ env: 'A=1' }), /^"env" must be an object of strings, got "A=1"$/);
    assert.match(errorFor({ env: null }), /^"env" must be an object of strings, got null$/);
  });

  test('env with a non-string value', () => {
    assert.match(errorFor({ env: { PORT: 8080 } }), /^"env\.PORT" must be a string, got 8080$/);
    assert.match(errorFor({ env: { DEBUG: true } }), /^"env\.DEBUG" must be a string, got true$/);
  });

  test('env with a NUL byte in a value', () => {
    assert.match(errorFor({ env: { A: 'x\0y' } }), /^"env\.A" must not contain a NUL byte, got "x\\u0000y"$/);
  });

  test('env with a bad variable name', () => {
    assert.match(errorFor({ env: { 'A=B': '1' } }), /^"env" has an invalid variable name "A=B"$/);
    assert.match(errorFor({ env: { '': '1' } }), /^"env" has an invalid variable name ""$/);
  });

  test('env_inherit not a list of strings', () => {
    assert.match(errorFor({ env_inherit: 'PATH' }), /^"env_inherit" must be a list of strings, got "PATH"$/);
    assert.match(errorFor({ env_inherit: ['PATH', 3] }), /^"env_inherit\[1\]" must be a non-empty string, got 3$/);
    assert.match(errorFor({ env_inherit: [''] }), /^"env_inherit\[0\]" must be a non-empty string, got ""$/);
  });

  test('group not a list of strings', () => {
    assert.match(errorFor({ group: 'web' }), /^"group" must be a list of strings, got "web"$/);
    assert.match(errorFor({ group: [['web']] }), /^"group\[0\]" must be a non-empty string, got \["web"\]$/);
  });

  for (const key of ['uid', 'gid'] as const) {
    test(`${key} negative, fractional, a string or too large`, () => {
      assert.match(errorFor({ [key]: -1 }), new RegExp(`^"${key}" must be a non-negative integer, got -1$`));
      assert.match(errorFor({ [key]: 1.5 }), new RegExp(`^"${key}" must be a non-negative integer, got 1\\.5$`));
      assert.match(errorFor({ [key]: '1000' }), new RegExp(`^"${key}" must be a non-negative integer, got "1000"$`));
      assert.match(errorFor({ [key]: 2 ** 32 }), new RegExp(`^"${key}" is too large, got 4294967296$`));
    });
  }

  test('a long bad value is shortened in the message', () => {
    const error = errorFor({ args: 'x'.repeat(500) });
    assert.ok(error.length < 200, error);
    assert.match(error, /\.\.\.$/);
  });
});

import { descriptorSchema, KEY_DESCRIPTIONS } from '../../../src/descriptor/schema.ts';
import { descriptorJsonSchema } from '../../../src/descriptor/json-schema.ts';

describe('JSON Schema (same source as the validation)', () => {
  test('every key is described, and every described key exists', () => {
    assert.deepEqual(Object.keys(KEY_DESCRIPTIONS).sort(), Object.keys(descriptorSchema.shape).sort());
  });
  test('the generated schema lists every key with its description, and probes need exactly one kind', () => {
    const s = descriptorJsonSchema() as { properties: Record<string, { description?: string; oneOf?: unknown[] }>; required?: string[] };
    for (const key of Object.keys(descriptorSchema.shape)) assert.equal(s.properties[key]?.description, KEY_DESCRIPTIONS[key], key);
    assert.deepEqual(s.required, ['args']);
    assert.equal(s.properties.ready?.oneOf?.length, 6);
  });
});

describe("colony's keys: garbage in each gives one error naming the key and the value", () => {
  // [fields, expected message] — the policy, readiness, health, schedule and output keys.
  const cases: Array<[Record<string, unknown>, RegExp]> = [
    [{ cwd: 'relative/dir' }, /^"cwd" must be an absolute path, got "relative\/dir"$/],
    [{ user: '' }, /^"user" must be a non-empty string, got ""$/],
    [{ umask: '999' }, /^"umask" must be an octal string such as "022", got "999"$/],
    [{ stop_signal: 'SIGFOO' }, /^"stop_signal" is not a signal name .*, got "SIGFOO"$/],
    [{ kill_time: '5s' }, /^"kill_time" must be a number of seconds, got "5s"$/],
    [{ stop_group: 'yes' }, /^"stop_group" must be true or false, got "yes"$/],
    [{ restart: 'sometimes' }, /^"restart" must be "always", "on-failure" or "never", got "sometimes"$/],
    [{ success_exit_codes: [0, 300] }, /^"success_exit_codes\[1\]" .*, got 300$/],
    [{ threshold: -1 }, /^"threshold" must not be negative, got -1$/],
    [{ max_fast_restarts: 0 }, /^"max_fast_restarts" must be at least 1 .*, got 0$/],
    [{ critical: 1 }, /^"critical" must be true or false, got 1$/],
    [{ signals: { SIGHUP: 'NOPE' } }, /^"signals\.SIGHUP" must be a signal name or null, got "NOPE"$/],
    [{ signals: { BOGUS: 'SIGTERM' } }, /^"signals" has an invalid signal name "BOGUS"$/],
    [{ reload_signal: 7.5 }, /^"reload_signal" must be a signal name .*, got 7\.5$/],
    [{ after: 'redis' }, /^"after" must be a list of process names, got "redis"$/],
    [{ ready: 'tcp' }, /^"ready" must be an object with one of .*, got "tcp"$/],
    [{ ready: { tcp: '127.0.0.1' } }, /^"ready\.tcp" must be "HOST:PORT" .*, got "127\.0\.0\.1"$/],
    [{ ready: { log: '(' } }, /^"ready\.log" is not a valid regular expression, got "\("$/],
    [{ health: { http: 'ftp://x' } }, /^"health\.http" must be an http:\/\/ or https:\/\/ URL, got "ftp:\/\/x"$/],
    [{ health: { exec: ['/bin/true'], interval: 0 } }, /^"health\.interval" must be more than 0 seconds, got 0$/],
    [{ schedule: '61 * * * *' }, /^"schedule" is not a valid cron expression: "61 \* \* \* \*"/],
    [{ schedule: { every: 0 } }, /^"schedule\.every" must be a positive number of seconds, got 0$/],
    [{ watch: [] }, /^"watch" must not be empty, got \[\]$/],
    [{ output: 'relative.log' }, /^"output" must be "log", "inherit" or an absolute file path, got "relative\.log"$/],
    [{ python_unbuffered: 'no' }, /^"python_unbuffered" must be true or false, got "no"$/],
    [{ pidfile: 'run/web.pid' }, /^"pidfile" must be an absolute path, got "run\/web\.pid"$/],
    [{ pidfile: 5 }, /^"pidfile" must be an absolute path, got 5$/],
    [{ watchdog: 0 }, /^"watchdog" must be more than 0 seconds, got 0$/],
    [{ watchdog: -5 }, /^"watchdog" must be more than 0 seconds, got -5$/],
    [{ watchdog: '30' }, /^"watchdog" must be a number of seconds, got "30"$/],
    [{ upgrade_signal: 'SIGFOO' }, /^"upgrade_signal" is not a signal name .*, got "SIGFOO"$/],
    [{ upgrade_signal: 12 }, /^"upgrade_signal" must be a signal name .*, got 12$/],
    [{ ready: { notify: false } }, /^"ready\.notify" must be true \(the process says READY=1 over NOTIFY_SOCKET\), got false$/],
    [{ ready: { notify: 'yes' } }, /^"ready\.notify" must be true .*, got "yes"$/],
    [{ ready: { notify: true, tcp: '127.0.0.1:80' } }, /^"ready" needs exactly one of .*"notify", got /],
    [{ health: { notify: true } }, /^"health" cannot be \{"notify": true\}: readiness is told over NOTIFY_SOCKET/],
  ];
  for (const [fields, pattern] of cases) {
    test(Object.keys(fields)[0]!, () => assert.match(errorFor(fields), pattern));
  }
});

describe('sd_notify and hand-over keys', () => {
  test('defaults: no pidfile, no watchdog, no upgrade signal', () => {
    const d = parsed('{"args": ["/bin/true"]}');
    assert.equal(d.pidfile, undefined);
    assert.equal(d.watchdogMs, undefined);
    assert.equal(d.upgradeSignal, undefined);
  });

  test('"ready": {"notify": true} with its timeout; watchdog in ms; pidfile and upgrade_signal as given', () => {
    const d = parsed(JSON.stringify({ args: ['/bin/true'], ready: { notify: true, timeout: 20 }, watchdog: 1.5, pidfile: '/run/colony/web.pid', upgrade_signal: 'SIGHUP' }));
    assert.deepEqual(d.ready, { kind: 'notify', target: true, timeoutMs: 20_000 });
    assert.equal(d.watchdogMs, 1500);
    assert.equal(d.pidfile, '/run/colony/web.pid');
    assert.equal(d.upgradeSignal, 'SIGHUP');
  });

  test('"ready": {"notify": true} waits 60 s by default', () => {
    assert.equal(parsed('{"args": ["/bin/true"], "ready": {"notify": true}}').ready?.timeoutMs, 60_000);
  });
});

describe('autostart, env_file, expand_env', () => {
  test('defaults: autostart true, no env files, no expansion', () => {
    const d = parsed('{"args": ["/bin/true"]}');
    assert.equal(d.autostart, true);
    assert.deepEqual(d.envFiles, []);
    assert.equal(d.expandEnv, false);
  });

  test('env_file: one path, an optional one, or a list of both', () => {
    assert.deepEqual(parsed('{"args": ["/bin/true"], "env_file": "/app/.env"}').envFiles, [{ path: '/app/.env', required: true }]);
    assert.deepEqual(parsed('{"args": ["/bin/true"], "env_file": ["/a.env", {"path": "/b.env", "required": false}]}').envFiles, [
      { path: '/a.env', required: true },
      { path: '/b.env', required: false },
    ]);
  });

  test('bad env_file, autostart and expand_env values name the key', () => {
    assert.match(errorFor({ env_file: 'app.env' }), /^"env_file" must be an absolute path/);
    assert.match(errorFor({ env_file: [] }), /^"env_file" /);
    assert.match(errorFor({ env_file: [{ path: '/a', optional: true }] }), /^"env_file/);
    assert.match(errorFor({ autostart: 'no' }), /^"autostart" must be true or false, got "no"$/);
    assert.match(errorFor({ expand_env: 1 }), /^"expand_env" must be true or false, got 1$/);
  });

  test('with expand_env, a malformed reference in args or cwd is an error naming the key; without it, $ is plain text', () => {
    assert.match(errorFor({ args: ['/bin/echo', '${PORT'], expand_env: true }), /^"args\[1\]" "\$\{" at offset 0 has no closing "\}"/);
    assert.match(errorFor({ cwd: '${A B}', expand_env: true }), /^"cwd" "\$\{A B\}" is not a variable reference/);
    assert.deepEqual(parsed('{"args": ["/bin/echo", "${PORT"]}').args, ['/bin/echo', '${PORT']);
    assert.equal(parsed('{"args": ["/bin/true"], "cwd": "${HOME}/app", "expand_env": true}').cwd, '${HOME}/app');
    assert.match(errorFor({ cwd: '${HOME}/app' }), /^"cwd" must be an absolute path \(\$\{\.\.\.\} needs "expand_env": true\)/);
  });
});
