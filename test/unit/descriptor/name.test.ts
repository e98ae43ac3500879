import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { invalidNameReason, processName, skipReason } from '../../../src/descriptor/name.ts';

describe('skipReason', () => {
  for (const [file, reason] of [
    ['.hidden', 'dotfile'],
    ['.web.json', 'dotfile'],
    ['.web.1a2b3c.new', 'dotfile'],
    ['web.new', 'temporary file (.new)'],
    ['web~', 'temporary file (~)'],
    ['web.json~', 'temporary file (~)'],
    ['web.swp', 'temporary file (.swp)'],
    ['web.swx', 'temporary file (.swx)'],
    ['web.tmp', 'temporary file (.tmp)'],
    ['web.bak', 'temporary file (.bak)'],
    ['#web#', 'editor autosave'],
    ['', 'empty name'],
  ] as const) {
    test(`${JSON.stringify(file)} is skipped: ${reason}`, () => {
      assert.equal(skipReason(file), reason);
    });
  }

  for (const file of ['web', 'web.json', 'worker-1', 'new', 'web.news', 'a.tmp.json', '#web', '1700000000-12-0-abcdef.message']) {
    test(`${JSON.stringify(file)} is an entry`, () => {
      assert.equal(skipReason(file), undefined);
    });
  }
});

describe('processName', () => {
  test('strips a trailing .json', () => {
    assert.equal(processName('web.json'), 'web');
    assert.equal(processName('my.app.json'), 'my.app');
  });

  test('keeps a name without .json as it is', () => {
    assert.equal(processName('web'), 'web');
    assert.equal(processName('web.yaml'), 'web.yaml');
    assert.equal(processName('web.json.bak'), 'web.json.bak');
  });

  test('a file named just ".json" keeps its name (no empty process name)', () => {
    assert.equal(processName('.json'), '.json');
  });
});

describe('invalidNameReason', () => {
  test('ordinary names are fine', () => {
    for (const name of ['web', 'worker-1', 'my_app', 'app.v2', 'UPPER']) assert.equal(invalidNameReason(name), undefined, name);
  });

  test('not a string', () => {
    assert.match(invalidNameReason(42)!, /must be a string, got 42/);
    assert.match(invalidNameReason(undefined)!, /must be a string/);
  });

  test('empty', () => {
    assert.equal(invalidNameReason(''), 'must not be empty');
  });

  test("with '/'", () => {
    assert.equal(invalidNameReason('a/b'), `must not contain '/': "a/b"`);
    assert.match(invalidNameReason('../etc')!, /must not contain '\/'/);
  });

  test('with a NUL byte', () => {
    assert.match(invalidNameReason('a\0b')!, /must not contain a NUL byte/);
  });

  test("with a leading '.'", () => {
    assert.equal(invalidNameReason('.web'), `must not start with '.': ".web"`);
    assert.match(invalidNameReason('..')!, /must not start with '\.'/);
  });

  test('a name colony would skip as a temporary file', () => {
    assert.equal(invalidNameReason('web.new'), 'would be skipped as a temporary file (.new): "web.new"');
    assert.match(invalidNameReason('web~')!, /would be skipped as a temporary file \(~\)/);
  });
});
