// What launchRequest decides from env_file and expand_env: the environment's order (inherited, env
// files, env), the expanded args and cwd, and a refusal naming the field for what cannot be done.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isRefusal, launchRequest, type LaunchRefusal } from '../../../src/process/launch.ts';
import type { SpawnRequest } from '../../../src/process/spawner.ts';
import { descriptorOf } from '../helpers/fake-world.ts';

const dir = mkdtempSync(join(tmpdir(), 'colony-launch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const world = { env: { PATH: '/usr/bin', FROM_COLONY: 'colony', BOTH: 'colony' }, stdoutTaken: false };

const request = (d: Record<string, unknown>): SpawnRequest => {
  const r = launchRequest('p', descriptorOf(d), world, {});
  if (isRefusal(r)) assert.fail(r.message);
  return r;
};
const refusal = (d: Record<string, unknown>): LaunchRefusal => {
  const r = launchRequest('p', descriptorOf(d), world, {});
  if (!isRefusal(r)) assert.fail(`started: ${JSON.stringify(r.args)}`);
  return r;
};

describe('env_file', () => {
  test('inherited, then the files in order, then env', () => {
    const a = join(dir, 'a.env');
    const b = join(dir, 'b.env');
    writeFileSync(a, 'field=x\nBOTH=a\nONLY_A=a\nLAST=a\nPINNED=a\n');
    writeFileSync(b, 'LAST=b\n# a comment\nQUOTED="two words"\n');
    const env = request({ args: ['/bin/true'], env_file: [a, b], env: { PINNED: 'env' } }).env;
    assert.equal(env.FROM_COLONY, 'colony');
    assert.equal(env.BOTH, 'a', 'a file wins over the inherited value');
    assert.equal(env.LAST, 'b', 'a later file wins');
    assert.equal(env.PINNED, 'env', 'env wins over the files');
    assert.equal(env.QUOTED, 'two words');
  });

  test('read at each start', () => {
    const f = join(dir, 'changing.env');
    writeFileSync(f, 'V=1\n');
    const d = { args: ['/bin/true'], env_file: f };
    assert.equal(request(d).env.V, '1');
    writeFileSync(f, 'V=2\n');
    assert.equal(request(d).env.V, '2');
  });

  test('a missing file is a refusal naming it; an optional one is skipped', () => {
    const missing = join(dir, 'missing.env');
    const r = refusal({ args: ['/bin/true'], env_file: missing });
    assert.equal(r.field, 'env_file');
    assert.ok(r.message.includes(missing), r.message);
    assert.equal(refusal({ args: ['/bin/true'], env_file: ['/dev/null', missing] }).field, 'env_file[1]');
    assert.equal(request({ args: ['/bin/true'], env_file: { path: missing, required: false } }).args[0], '/bin/true');
  });
});

describe('expand_env', () => {
  test('args and cwd from the final environment (inherited, files, env)', () => {
    const f = join(dir, 'port.env');
    writeFileSync(f, 'PORT=8000\n');
    const r = request({ args: ['/bin/serve', '--port=${PORT}', '--who=${FROM_COLONY}', '--level=${LEVEL:-info}', '$$'], cwd: '${DIR}', env: { DIR: dir }, env_file: f, expand_env: true });
    assert.deepEqual(r.args, ['/bin/serve', '--port=8000', '--who=colony', '--level=info', '$']);
    assert.equal(r.cwd, dir);
  });

  test('an unset variable is a refusal naming the key and the variable; a cwd that expands to a relative path too', () => {
    const r = refusal({ args: ['/bin/serve', 'x', '${NOT_SET_ANYWHERE}'], expand_env: true });
    assert.equal(r.field, 'args[2]');
    assert.match(r.message, /NOT_SET_ANYWHERE/);
    assert.equal(refusal({ args: ['/bin/true'], cwd: '${REL}', env: { REL: 'rel' }, expand_env: true }).field, 'cwd');
  });
});
