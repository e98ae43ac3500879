import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { RotatingFile } from '../../../src/log/file-output.ts';

let dir = '';
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'colony-file-output-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const read = (p: string): string => readFileSync(p, 'utf8');
const lines = (p: string): string[] => read(p).split('\n').slice(0, -1);

describe('RotatingFile', () => {
  test('appends lines with a newline, to an existing file too', () => {
    const path = join(dir, 'app.log');
    writeFileSync(path, 'before\n');
    const f = new RotatingFile(path);
    f.write('one');
    f.write('');
    f.write('three ✓');
    f.close();
    assert.equal(read(path), 'before\none\n\nthree ✓\n');
  });

  test('creates missing parent directories', () => {
    const path = join(dir, 'a', 'b', 'c', 'app.log');
    const f = new RotatingFile(path);
    f.write('hello');
    f.close();
    assert.equal(read(path), 'hello\n');
  });

  test('rotates path -> path.1 -> path.2 before a line would pass maxBytes', () => {
    const path = join(dir, 'app.log');
    // Each line is 10 bytes with its newline; 3 fit in 30 bytes.
    const f = new RotatingFile(path, { maxBytes: 30, keep: 5 });
    for (let i = 0; i < 8; i++) f.write(`line-${i}xxx`);
    f.close();
    assert.deepEqual(lines(`${path}.2`), ['line-0xxx', 'line-1xxx', 'line-2xxx']);
    assert.deepEqual(lines(`${path}.1`), ['line-3xxx', 'line-4xxx', 'line-5xxx']);
    assert.deepEqual(lines(path), ['line-6xxx', 'line-7xxx']);
    assert.equal(statSync(`${path}.1`).size, 30, 'filled up to exactly maxBytes');
    assert.deepEqual(readdirSync(dir).sort(), ['app.log', 'app.log.1', 'app.log.2']);
  });

  test('keeps at most `keep` rotated files, dropping the oldest', () => {
    const path = join(dir, 'app.log');
    const f = new RotatingFile(path, { maxBytes: 10, keep: 3 }); // one 10-byte line a file
    for (let i = 0; i < 10; i++) f.write(`line-${i}xxx`);
    f.close();
    assert.deepEqual(readdirSync(dir).sort(), ['app.log', 'app.log.1', 'app.log.2', 'app.log.3']);
    assert.deepEqual(lines(path), ['line-9xxx']);
    assert.deepEqual(lines(`${path}.1`), ['line-8xxx']);
    assert.deepEqual(lines(`${path}.2`), ['line-7xxx']);
    assert.deepEqual(lines(`${path}.3`), ['line-6xxx']);
  });

  test('keep 0 keeps only the current file', () => {
    const path = join(dir, 'app.log');
    const f = new RotatingFile(path, { maxBytes: 10, keep: 0 });
    for (let i = 0; i < 4; i++) f.write(`line-${i}xxx`);
    f.close();
    assert.deepEqual(readdirSync(dir), ['app.log']);
    assert.deepEqual(lines(path), ['line-3xxx']);
  });

  test('a line is never split across files; one longer than maxBytes gets a file of its own', () => {
    const path = join(dir, 'app.log');
    const f = new RotatingFile(path, { maxBytes: 64, keep: 200 });
    const written: string[] = [];
    for (let i = 0; i < 200; i++) {
      const line = `${i}:${'é'.repeat(i % 30)}`; // varied lengths, multi-byte characters
      written.push(line);
      f.write(line);
    }
    const long = 'L'.repeat(200);
    f.write(long);
    f.write('after');
    f.close();
    const files = readdirSync(dir)
      .map((n) => ({ n, i: n === 'app.log' ? 0 : Number(n.split('.').pop()) }))
      .sort((a, b) => b.i - a.i)
      .map(({ n }) => join(dir, n));
    const all: string[] = [];
    for (const file of files) {
      const text = read(file);
      assert.ok(text.endsWith('\n'), `${file} ends on a whole line`);
      const ls = lines(file);
      if (ls[0] !== long) assert.ok(Buffer.byteLength(text) <= 64, `${file} is ${Buffer.byteLength(text)} bytes`);
      all.push(...ls);
    }
    assert.deepEqual(all, [...written, long, 'after'], 'every line whole and in order');
    // Each file was rotated only because the next line did not fit.
    for (let k = 0; k + 1 < files.length; k++) {
      const size = Buffer.byteLength(read(files[k]!));
      const nextLine = Buffer.byteLength(`${lines(files[k + 1]!)[0]}\n`);
      assert.ok(size + nextLine > 64, `${files[k]} (${size} bytes) rotated with room for ${nextLine} more`);
    }
    assert.deepEqual(lines(`${path}.1`), [long]);
    assert.deepEqual(lines(path), ['after']);
  });

  test('an oversized line into an empty file leaves no empty rotated file', () => {
    const path = join(dir, 'app.log');
    const f = new RotatingFile(path, { maxBytes: 10 });
    f.write('A'.repeat(30));
    f.write('B'.repeat(30));
    f.close();
    assert.deepEqual(readdirSync(dir).sort(), ['app.log', 'app.log.1']);
    assert.equal(read(`${path}.1`), `${'A'.repeat(30)}\n`);
    assert.equal(read(path), `${'B'.repeat(30)}\n`);
  });

  test('a file already past maxBytes is rotated before the first write', () => {
    const path = join(dir, 'app.log');
    writeFileSync(path, 'x'.repeat(100) + '\n');
    const f = new RotatingFile(path, { maxBytes: 50 });
    f.write('new');
    f.close();
    assert.equal(read(path), 'new\n');
    assert.equal(read(`${path}.1`).length, 101);
  });

  test('an unwritable path reports once through onError, never throws, and recovers', () => {
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, 'a regular file\n');
    const path = join(blocker, 'app.log'); // a path under a regular file
    const errors: Error[] = [];
    const f = new RotatingFile(path, { onError: (e) => errors.push(e) });
    assert.doesNotThrow(() => {
      f.write('one');
      f.write('two');
      f.write('three');
    });
    assert.equal(errors.length, 1, 'reported once');
    assert.match((errors[0] as NodeJS.ErrnoException).code ?? '', /^(ENOTDIR|EEXIST)$/);

    // The obstacle goes away: later writes get through.
    rmSync(blocker);
    f.write('four');
    assert.equal(read(path), 'four\n');
    assert.equal(errors.length, 1);
    f.close();
  });

  test('without onError, failures are silent', () => {
    const blocker = join(dir, 'file');
    writeFileSync(blocker, '');
    const f = new RotatingFile(join(blocker, 'x.log'));
    assert.doesNotThrow(() => f.write('line'));
    f.close();
  });

  test('a failing rotation is reported, not thrown, and retried on the next write', () => {
    const path = join(dir, 'app.log');
    const errors: Error[] = [];
    const f = new RotatingFile(path, { maxBytes: 10, keep: 1, onError: (e) => errors.push(e) });
    f.write('line-0xxx');
    mkdirSync(join(`${path}.1`, 'busy'), { recursive: true }); // rename onto a non-empty directory fails
    assert.doesNotThrow(() => f.write('line-1xxx'));
    assert.doesNotThrow(() => f.write('line-2xxx'));
    assert.equal(errors.length, 1, 'reported once');
    assert.match((errors[0] as NodeJS.ErrnoException).code ?? '', /^(EISDIR|ENOTEMPTY|EEXIST)$/);
    rmSync(`${path}.1`, { recursive: true });
    f.write('line-3xxx');
    assert.deepEqual(lines(path), ['line-3xxx']);
    assert.deepEqual(lines(`${path}.1`), ['line-0xxx']);
    assert.equal(errors.length, 1);
    // A success ends the episode: the next failure is reported again.
    mkdirSync(join(`${path}.1.tmp`, 'busy'), { recursive: true });
    rmSync(`${path}.1`);
    renameSync(`${path}.1.tmp`, `${path}.1`);
    f.write('line-4xxx');
    assert.equal(errors.length, 2);
    f.close();
  });

  test('writes after close() are ignored', () => {
    const path = join(dir, 'app.log');
    const f = new RotatingFile(path);
    f.write('kept');
    f.close();
    f.write('dropped');
    f.close();
    assert.equal(read(path), 'kept\n');
  });

  test('nothing is created before the first write', () => {
    const path = join(dir, 'sub', 'app.log');
    const f = new RotatingFile(path);
    f.close();
    assert.equal(existsSync(join(dir, 'sub')), false);
  });

  test('bad options are refused', () => {
    assert.throws(() => new RotatingFile(join(dir, 'x'), { maxBytes: 0 }), RangeError);
    assert.throws(() => new RotatingFile(join(dir, 'x'), { keep: -1 }), RangeError);
    assert.throws(() => new RotatingFile(join(dir, 'x'), { keep: 1.5 }), RangeError);
  });
});
