// The one atomic write (temp file beside the target, renamed into place) and mkdir -p with the real reason.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeDir, writeFileAtomically } from '../../../src/common/files.ts';
import { FaultyFs, scratchDir } from './fake-files.ts';

describe('writeFileAtomically', () => {
  test('writes a dotfile temp beside the target, named with the pid, then renames it into place', () => {
    const dir = scratchDir('files');
    const fs = new FaultyFs();
    const final = join(dir, 'status.json');
    writeFileAtomically(final, 'new', { fs });
    const temp = join(dir, `.status.json.${process.pid}.tmp`);
    assert.deepEqual(
      fs.calls.filter((c) => c.op !== 'mkdir'),
      [
        { op: 'writeFile', path: temp },
        { op: 'rename', path: temp, to: final },
      ],
    );
    assert.equal(readFileSync(final, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['status.json']);
  });

  test('makes the missing directories, and uses the temp name and mode given', () => {
    const dir = join(scratchDir('files'), 'a', 'b');
    writeFileAtomically(join(dir, 'web'), 'x', { temp: join(dir, '.web.abc.new'), mode: 0o600 });
    assert.deepEqual(readdirSync(dir), ['web']);
    assert.equal(statSync(join(dir, 'web')).mode & 0o777, 0o600 & ~process.umask());
  });

  test('a full disk: the error is thrown, the partial temp file removed, the old content left whole', () => {
    const dir = scratchDir('files');
    const final = join(dir, 'status.json');
    writeFileSync(final, 'old');
    const fs = new FaultyFs();
    fs.fail.writeFile = 'ENOSPC';
    assert.throws(() => writeFileAtomically(final, 'new content', { fs }), { code: 'ENOSPC' });
    assert.deepEqual(readdirSync(dir), ['status.json']);
    assert.equal(readFileSync(final, 'utf8'), 'old');
  });

  test('a rename that fails (a directory where the file goes) removes the temp file', () => {
    const dir = scratchDir('files');
    mkdirSync(join(dir, 'status.json', 'busy'), { recursive: true });
    assert.throws(() => writeFileAtomically(join(dir, 'status.json'), 'x'), (err: NodeJS.ErrnoException) => /^(EISDIR|ENOTEMPTY|EEXIST)$/.test(err.code ?? ''));
    assert.deepEqual(readdirSync(dir), ['status.json']);
  });
});

describe('makeDir', () => {
  test('makes every missing directory on the way; an existing one is fine', () => {
    const dir = join(scratchDir('files'), 'a', 'b', 'c');
    makeDir(dir);
    makeDir(dir);
    assert.ok(statSync(dir).isDirectory());
  });

  test('on a read-only file system the reason is EROFS, not the ENOENT of a missing parent', () => {
    const dir = join(scratchDir('files'), 'state', 'acks');
    const fs = new FaultyFs();
    fs.fail.mkdir = 'EROFS';
    assert.throws(() => makeDir(dir, fs), { code: 'EROFS' });
    assert.equal(existsSync(dir), false);
  });

  test('a file where the directory goes is left for the write to report (ENOTDIR)', () => {
    const dir = join(scratchDir('files'), 'acks');
    writeFileSync(dir, '');
    makeDir(dir);
    assert.throws(() => writeFileAtomically(join(dir, 'x.json'), '{}'), { code: 'ENOTDIR' });
  });
});
