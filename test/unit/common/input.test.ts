// Reading handed-in files: bounded, never blocking, and a file's age measured on the given wall clock.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { stillChanging, readLimited } from '../../../src/common/input.ts';
import { scratchDir, touchAt } from './fake-files.ts';

const T = Date.UTC(2026, 0, 1);

describe('stillChanging', () => {
  test("compares the given wall-clock time with the file's mtime", () => {
    const file = join(scratchDir('input'), 'web');
    writeFileSync(file, '');
    touchAt(file, T);
    assert.equal(stillChanging(file, 1000, T + 999), true);
    assert.equal(stillChanging(file, 1000, T + 1000), false);
  });

  test('a file gone since it was read is still changing (look again); one that cannot be stat\'ed otherwise is not', () => {
    const dir = scratchDir('input');
    assert.equal(stillChanging(join(dir, 'gone'), 1000, T), true);
    const file = join(dir, 'plain');
    writeFileSync(file, '');
    assert.equal(stillChanging(join(file, 'below'), 1000, T), false, 'ENOTDIR');
  });
});

describe('readLimited', () => {
  test('reads a whole regular file', () => {
    const file = join(scratchDir('input'), 'web');
    writeFileSync(file, 'x'.repeat(10_000));
    assert.equal(readLimited(file, 10_000).length, 10_000);
  });

  test('refuses a file over the limit, a directory, a FIFO (without blocking) and what the check refuses', () => {
    const dir = scratchDir('input');
    writeFileSync(join(dir, 'big'), 'x'.repeat(101));
    assert.throws(() => readLimited(join(dir, 'big'), 100), { code: 'EFBIG', message: 'file is 101 bytes, over the 100-byte limit' });
    mkdirSync(join(dir, 'sub'));
    assert.throws(() => readLimited(join(dir, 'sub')), { code: 'EISDIR' });
    execFileSync('mkfifo', [join(dir, 'fifo')]);
    assert.throws(() => readLimited(join(dir, 'fifo')), { code: 'ENOTFILE', message: 'a FIFO, not a regular file' });
    writeFileSync(join(dir, 'web'), '{}');
    assert.throws(() => readLimited(join(dir, 'web'), 100, () => 'refused: not yours'), { code: 'EREFUSED', message: 'refused: not yours' });
  });
});
