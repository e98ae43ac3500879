// resolveCommand: execvp's search, with the errors a failed spawn reports.
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { resolveCommand } from '../../../src/process/command-path.ts';

const dir = mkdtempSync(join(tmpdir(), 'colony-path-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const a = join(dir, 'a');
const b = join(dir, 'b');
mkdirSync(a);
mkdirSync(b);
writeFileSync(join(a, 'tool'), '#!/bin/sh\n', { mode: 0o644 }); // not executable
writeFileSync(join(b, 'tool'), '#!/bin/sh\n', { mode: 0o755 });
writeFileSync(join(a, 'only-here'), '#!/bin/sh\n', { mode: 0o644 });
mkdirSync(join(b, 'adir'));
chmodSync(join(b, 'adir'), 0o755);

const code = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code;
  }
};

describe('resolveCommand', () => {
  test('the first executable file in PATH, skipping one that is not executable', () => {
    assert.equal(resolveCommand('tool', `${a}:${b}`), join(b, 'tool'));
  });
  test('a path with a slash is used as it is', () => {
    assert.equal(resolveCommand(join(b, 'tool'), ''), join(b, 'tool'));
  });
  test('ENOENT when nothing is found, EACCES when only a file that cannot be executed is', () => {
    assert.equal(code(() => resolveCommand('nothing', `${a}:${b}`)), 'ENOENT');
    assert.equal(code(() => resolveCommand('only-here', `${a}:${b}`)), 'EACCES');
    assert.equal(code(() => resolveCommand(join(a, 'tool'), undefined)), 'EACCES');
    assert.equal(code(() => resolveCommand(join(a, 'missing'), undefined)), 'ENOENT');
    assert.equal(code(() => resolveCommand('adir', b)), 'EACCES');
    assert.equal(code(() => resolveCommand('', b)), 'ENOENT');
  });
  test('without PATH, /bin:/usr/bin as execvp', () => {
    assert.equal(resolveCommand('sh', undefined), '/bin/sh');
  });
});
