import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childEnvironment } from '../../../src/process/environment.ts';

const COLONY_ENV: NodeJS.ProcessEnv = { PATH: '/usr/bin', HOME: '/root', SECRET: 's3cret', LANG: 'C.UTF-8' };
const RAW = '{"args": ["/bin/app"]}\n';

describe('childEnvironment', () => {
  test("without env_inherit the whole of colony's environment is inherited", () => {
    const env = childEnvironment('app', { env: undefined, envInherit: undefined, raw: RAW }, COLONY_ENV);
    assert.equal(env.PATH, '/usr/bin');
    assert.equal(env.SECRET, 's3cret');
    assert.equal(env.LANG, 'C.UTF-8');
  });

  test('with env_inherit only those names are inherited', () => {
    const env = childEnvironment('app', { env: undefined, envInherit: ['PATH', 'LANG'], raw: RAW }, COLONY_ENV);
    assert.deepEqual(Object.keys(env).sort(), ['COLONY_NAME', 'LANG', 'NCOLONY_CONFIG', 'NCOLONY_NAME', 'PATH', 'PYTHONUNBUFFERED']);
  });

  test('PYTHONUNBUFFERED=1 unless the environment sets it or python_unbuffered is false', () => {
    assert.equal(childEnvironment('app', { env: undefined, envInherit: undefined, raw: RAW }, {}).PYTHONUNBUFFERED, '1');
    assert.equal(childEnvironment('app', { env: undefined, envInherit: undefined, raw: RAW }, { PYTHONUNBUFFERED: '' }).PYTHONUNBUFFERED, '');
    assert.equal(childEnvironment('app', { env: { PYTHONUNBUFFERED: '0' }, envInherit: undefined, raw: RAW }, {}).PYTHONUNBUFFERED, '0');
    assert.equal(childEnvironment('app', { env: undefined, envInherit: undefined, raw: RAW, pythonUnbuffered: false }, {}).PYTHONUNBUFFERED, undefined);
  });

  test('an env_inherit name that colony does not have becomes ""', () => {
    const env = childEnvironment('app', { env: undefined, envInherit: ['MISSING'], raw: RAW }, COLONY_ENV);
    assert.equal(env.MISSING, '');
  });

  test('an empty env_inherit list inherits nothing', () => {
    const env = childEnvironment('app', { env: undefined, envInherit: [], raw: RAW }, COLONY_ENV);
    assert.equal(env.PATH, undefined);
  });

  test('env overrides the inherited environment', () => {
    const env = childEnvironment('app', { env: { PATH: '/opt/bin', EXTRA: '1' }, envInherit: undefined, raw: RAW }, COLONY_ENV);
    assert.equal(env.PATH, '/opt/bin');
    assert.equal(env.EXTRA, '1');
    assert.equal(env.HOME, '/root');
  });

  test('env overrides env_inherit', () => {
    const env = childEnvironment('app', { env: { PATH: '/opt/bin' }, envInherit: ['PATH'], raw: RAW }, COLONY_ENV);
    assert.equal(env.PATH, '/opt/bin');
  });

  test('NCOLONY_NAME, NCOLONY_CONFIG (the raw text) and COLONY_NAME are set', () => {
    const env = childEnvironment('app', { env: undefined, envInherit: [], raw: RAW }, COLONY_ENV);
    assert.equal(env.NCOLONY_NAME, 'app');
    assert.equal(env.NCOLONY_CONFIG, RAW);
    assert.equal(env.COLONY_NAME, 'app');
  });

  test('the NCOLONY_* and COLONY_NAME variables win over env and the inherited environment', () => {
    const env = childEnvironment('app', { env: { NCOLONY_NAME: 'fake', COLONY_NAME: 'fake' }, envInherit: undefined, raw: RAW }, { ...COLONY_ENV, NCOLONY_CONFIG: 'old' });
    assert.equal(env.NCOLONY_NAME, 'app');
    assert.equal(env.COLONY_NAME, 'app');
    assert.equal(env.NCOLONY_CONFIG, RAW);
  });

  test("colony's environment is not modified", () => {
    const before = { ...COLONY_ENV };
    childEnvironment('app', { env: { X: '1' }, envInherit: undefined, raw: RAW }, COLONY_ENV);
    assert.deepEqual(COLONY_ENV, before);
  });

  test('undefined values in colony\'s environment are skipped', () => {
    const env = childEnvironment('app', { env: undefined, envInherit: undefined, raw: RAW }, { A: undefined, B: 'b' });
    assert.ok(!('A' in env));
    assert.equal(env.B, 'b');
  });
});
