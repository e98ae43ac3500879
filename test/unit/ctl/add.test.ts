import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { usage } from '../helpers/usage.ts';
import { add, buildDescriptor } from '../../../src/ctl/add.ts';

const scratch = mkdtempSync(join(tmpdir(), 'colony-ctl-add-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

let fileCount = 0;
function jsonFile(content: string): string {
  const path = join(scratch, `extras-${fileCount++}.json`);
  writeFileSync(path, content);
  return path;
}

// A usage error (exit 100) whose message matches.

describe("buildDescriptor: NColony's options", () => {
  test('--cmd alone writes only args', () => {
    assert.deepEqual(buildDescriptor({ cmd: '/bin/sleep' }, []), { args: ['/bin/sleep'] });
  });

  test('--arg values follow --cmd in order', () => {
    assert.deepEqual(buildDescriptor({ cmd: '/usr/bin/python3', arg: ['-m', 'http.server', '8000'] }, []), { args: ['/usr/bin/python3', '-m', 'http.server', '8000'] });
  });

  test('--env NAME=VALUE pairs, the value split at the first "="', () => {
    const d = buildDescriptor({ cmd: '/bin/app', env: ['A=1', 'URL=http://x/?a=b', 'EMPTY='] }, []);
    assert.deepEqual(d.env, { A: '1', URL: 'http://x/?a=b', EMPTY: '' });
  });

  test('--env-inherit, --uid, --gid and --group', () => {
    const d = buildDescriptor({ cmd: '/bin/app', envInherit: ['PATH', 'HOME'], uid: '1000', gid: '0', group: ['web', 'frontend'] }, []);
    assert.deepEqual(d, { args: ['/bin/app'], env_inherit: ['PATH', 'HOME'], uid: 1000, gid: 0, group: ['web', 'frontend'] });
  });

  test('keys are written only when given', () => {
    const d = buildDescriptor({ cmd: '/bin/app', arg: undefined, env: [], envInherit: [], uid: undefined, gid: undefined, group: [] }, []);
    assert.deepEqual(Object.keys(d), ['args']);
  });
});

describe('buildDescriptor: -- CMD ARGS', () => {
  test('the command after -- becomes args', () => {
    assert.deepEqual(buildDescriptor({}, ['/bin/echo', 'hello', '--not-an-option']), { args: ['/bin/echo', 'hello', '--not-an-option'] });
  });

  test('combines with the other options', () => {
    assert.deepEqual(buildDescriptor({ env: ['A=1'] }, ['/bin/app']), { args: ['/bin/app'], env: { A: '1' } });
  });
});

describe('buildDescriptor: errors', () => {
  test('--cmd and -- CMD together', () => {
    assert.throws(() => buildDescriptor({ cmd: '/bin/a' }, ['/bin/b']), usage(/either with --cmd .* or after --, not both/));
  });

  test('no command at all', () => {
    assert.throws(() => buildDescriptor({}, []), usage(/a command is needed/));
  });

  test('--env without "="', () => {
    assert.throws(() => buildDescriptor({ cmd: '/bin/a', env: ['NOVALUE'] }, []), usage(/^--env must be NAME=VALUE, got "NOVALUE"$/));
  });

  test('--env with an empty name', () => {
    assert.throws(() => buildDescriptor({ cmd: '/bin/a', env: ['=x'] }, []), usage(/^--env must be NAME=VALUE, got "=x"$/));
  });

  test('--uid / --gid that are not non-negative integers', () => {
    assert.throws(() => buildDescriptor({ cmd: '/bin/a', uid: '-1' }, []), usage(/^--uid must be a non-negative integer, got "-1"$/));
    assert.throws(() => buildDescriptor({ cmd: '/bin/a', gid: 'staff' }, []), usage(/^--gid must be a non-negative integer, got "staff"$/));
    assert.throws(() => buildDescriptor({ cmd: '/bin/a', uid: '1.5' }, []), usage(/^--uid .* got "1\.5"$/));
  });
});

describe('buildDescriptor: --extras', () => {
  test("merges the file's JSON object, unknown keys included", () => {
    const extras = jsonFile('{"group": ["batch"], "x-team": "data"}');
    assert.deepEqual(buildDescriptor({ cmd: '/bin/app', extras }, []), { args: ['/bin/app'], group: ['batch'], 'x-team': 'data' });
  });

  test('extras override what the options wrote', () => {
    const extras = jsonFile('{"env": {"B": "2"}}');
    assert.deepEqual(buildDescriptor({ cmd: '/bin/app', env: ['A=1'], extras }, []).env, { B: '2' });
  });

  test('a file that is not a JSON object', () => {
    const extras = jsonFile('["not", "an", "object"]');
    assert.throws(() => buildDescriptor({ cmd: '/bin/app', extras }, []), usage(/--extras .*: must hold a JSON object$/));
  });

  test('a file that is not JSON', () => {
    const extras = jsonFile('{nope');
    assert.throws(() => buildDescriptor({ cmd: '/bin/app', extras }, []), usage(/^--extras .*extras-\d+\.json: /));
  });

  test('a missing file', () => {
    const missing = join(scratch, 'missing.json');
    assert.throws(() => buildDescriptor({ cmd: '/bin/app', extras: missing }, []), usage(/^--extras .*missing\.json: .*ENOENT/));
  });
});

describe('add', () => {
  test('writes config/NAME with one line of JSON', () => {
    const dir = mkdtempSync(join(scratch, 'config-'));
    const path = add(dir, 'web', { cmd: '/bin/web' }, []);
    assert.equal(path, join(dir, 'web'));
    assert.equal(readFileSync(path, 'utf8'), '{"args":["/bin/web"]}\n');
    assert.deepEqual(readdirSync(dir), ['web'], 'no temporary file is left');
  });

  test('writes NAME.json when that file is already there', () => {
    const dir = mkdtempSync(join(scratch, 'config-'));
    writeFileSync(join(dir, 'web.json'), '{"args":["/bin/old"]}');
    const path = add(dir, 'web', { cmd: '/bin/new' }, []);
    assert.equal(path, join(dir, 'web.json'));
    assert.deepEqual(readdirSync(dir), ['web.json']);
  });

  test('refuses a bad process name', () => {
    const dir = mkdtempSync(join(scratch, 'config-'));
    assert.throws(() => add(dir, '../web', { cmd: '/bin/web' }, []), usage(/^process name must not contain '\/'/));
  });

  test('refuses a descriptor colony would reject', () => {
    const dir = mkdtempSync(join(scratch, 'config-'));
    const extras = jsonFile('{"uid": -5}');
    assert.throws(() => add(dir, 'web', { cmd: '/bin/web', extras }, []), usage(/the descriptor would be invalid: "uid" must be a non-negative integer, got -5/));
    assert.deepEqual(readdirSync(dir), []);
  });
});
