// ctl's atomic writes: through a random '.<name>.<random>.new' temp file (skipped by colony), mode
// 0644; a failure is a system error naming the file, with no temp file left behind.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ColonyError, EXIT_SYSTEM } from '../../../src/common/errors.ts';
import { sendMessage, writeAtomically } from '../../../src/ctl/write.ts';
import { parseMessage } from '../../../src/messages/message.ts';
import { FaultyFs, scratchDir } from '../common/fake-files.ts';

test('writes through a random .<name>.<random>.new temp file, mode 0644, and returns the path', () => {
  const dir = join(scratchDir('ctl-write'), 'config');
  const fs = new FaultyFs();
  assert.equal(writeAtomically(dir, 'web', '{}', fs), join(dir, 'web'));
  const write = fs.calls.find((c) => c.op === 'writeFile')!;
  assert.match(write.path, /\/\.web\.[a-z0-9]+\.new$/);
  assert.equal(write.mode, 0o644);
  assert.deepEqual(fs.calls.find((c) => c.op === 'rename'), { op: 'rename', path: write.path, to: join(dir, 'web') });
  assert.deepEqual(readdirSync(dir), ['web']);
  assert.equal(statSync(join(dir, 'web')).mode & 0o777, 0o644 & ~process.umask());
});

test('a failure is a system error naming the file; no temp file is left', () => {
  const dir = scratchDir('ctl-write');
  const fs = new FaultyFs();
  fs.fail.writeFile = 'ENOSPC';
  assert.throws(
    () => writeAtomically(dir, 'web', '{"args": ["/bin/true"]}', fs),
    (err: unknown) => err instanceof ColonyError && err.exitCode === EXIT_SYSTEM && err.message === `cannot write ${join(dir, 'web')}: ENOSPC: injected fault, writeFile '${fs.calls.find((c) => c.op === 'writeFile')!.path}'`,
  );
  assert.deepEqual(readdirSync(dir), []);
});

test('sendMessage drops a message colony can parse, under a name it does not skip', () => {
  const dir = scratchDir('ctl-write');
  const file = sendMessage(dir, { type: 'RESTART', name: 'web' });
  assert.match(file, /\/\d+-\d+-\d+-[a-z0-9]+\.message$/);
  assert.deepEqual(parseMessage(readFileSync(file)), { ok: true, message: { type: 'RESTART', name: 'web' } });
});
