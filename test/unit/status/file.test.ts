// The state file's writer on virtual time: touches within WRITE_DELAY_MS make one write; a state
// directory that cannot be written is reported once, and said again when it can be written again.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import { readStatus, STATUS_FILE, StatusFile, WRITE_DELAY_MS, type Status } from '../../../src/status/file.ts';
import { FaultyFs, scratchDir } from '../common/fake-files.ts';

function setup() {
  const dir = scratchDir('status');
  const clock = new FakeClock();
  const log = memoryLog();
  const fs = new FaultyFs();
  let builds = 0;
  const build = (): Status => ({
    colony: { pid: 1, version: 'test', started: '', procStart: '', mode: 'pid1', updated: new Date(clock.wallNow()).toISOString(), shuttingDown: false },
    processes: [],
  });
  const status = new StatusFile(dir, log, () => (builds++, build()), { clock, fs });
  const writes = (): number => fs.calls.filter((c) => c.op === 'rename').length;
  return { dir, clock, log, fs, status, writes, builds: () => builds };
}

test('touches within WRITE_DELAY_MS make one write, WRITE_DELAY_MS after the first; a later touch makes another', () => {
  const { dir, clock, status, writes, builds } = setup();
  status.touch();
  clock.advance(10);
  status.touch();
  clock.advance(WRITE_DELAY_MS - 11);
  status.touch();
  assert.equal(writes(), 0);
  clock.advance(1);
  assert.equal(writes(), 1);
  assert.equal(builds(), 1);
  assert.equal(readStatus(dir).colony.updated, '2026-01-01T00:00:00.025Z');
  clock.advance(10 * WRITE_DELAY_MS);
  assert.equal(writes(), 1);
  status.touch();
  clock.advance(WRITE_DELAY_MS);
  assert.equal(writes(), 2);
  assert.equal(readStatus(dir).colony.updated, '2026-01-01T00:00:00.300Z');
  assert.deepEqual(readdirSync(dir), [STATUS_FILE]);
});

test('a state directory that cannot be written is reported once; said again when it can be, and when it fails anew', () => {
  const { dir, clock, log, fs, status } = setup();
  const lines = (): string[] => log.records.map((r) => `${r.level} ${r.msg}`);
  fs.fail.writeFile = 'ENOSPC';
  for (let i = 0; i < 3; i++) {
    status.touch();
    clock.advance(WRITE_DELAY_MS);
  }
  status.write();
  assert.deepEqual(lines(), ['error cannot write the state file (supervision goes on; ctl status/check will not see changes)']);
  assert.equal(log.records[0]!.file, join(dir, STATUS_FILE));
  assert.match(String(log.records[0]!.error), /^ENOSPC/);
  assert.deepEqual(readdirSync(dir), [], 'no partial temp file left');
  fs.fail = {};
  status.write();
  status.write();
  assert.deepEqual(lines().slice(1), ['info the state file can be written again']);
  assert.equal(JSON.parse(readFileSync(join(dir, STATUS_FILE), 'utf8')).colony.version, 'test');
  fs.fail.rename = 'EROFS';
  status.write();
  status.write();
  assert.deepEqual(lines().slice(2), ['error cannot write the state file (supervision goes on; ctl status/check will not see changes)']);
});
