// ConfigDir's settle rule on a rescan: after the first scan, a descriptor read while it is being
// written in place (empty, modified moments ago) is looked at again instead of reported; the first
// scan, and any scan of a broken file that has not changed for a while, report at once.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ConfigDir } from '../../../src/descriptor/directory.ts';
import type { Descriptor } from '../../../src/descriptor/parse.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import type { FilePolicy } from '../../../src/system/security.ts';
import { waitFor } from '../../helpers/wait.ts';

// Files are not checked for their owner and mode here (security.test.ts does that).
const LAX: FilePolicy = { strict: false, euid: 0 };
const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const fresh = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'colony-configdir-'));
  dirs.push(d);
  return d;
};

test('a rescan that reads a file being written in place looks again instead of reporting it', async () => {
  const dir = fresh();
  const log = memoryLog();
  const applied: Array<[string, Descriptor | null]> = [];
  const config = new ConfigDir(dir, (name, d) => applied.push([name, d]), log, 0, undefined, LAX);
  config.rescan(); // the first scan: an empty directory
  writeFileSync(join(dir, 'web'), ''); // truncated by its writer, the content not written yet
  config.rescan();
  assert.deepEqual(log.records.filter((r) => r.level === 'error'), [], 'not reported while it may still be written');
  writeFileSync(join(dir, 'web'), JSON.stringify({ args: ['sleep', '1'] }));
  await waitFor('the second look applies it', () => applied.some(([n, d]) => n === 'web' && d !== null), 5000);
  assert.deepEqual(log.records.filter((r) => r.level === 'error'), []);
  await config.close();
});

test('the first scan reports a broken file at once, however new', async () => {
  const dir = fresh();
  const log = memoryLog();
  const config = new ConfigDir(dir, () => undefined, log, 0, undefined, LAX);
  writeFileSync(join(dir, 'web'), '');
  config.rescan();
  assert.ok(log.records.some((r) => r.level === 'error' && /file is empty/.test(r.msg)), JSON.stringify(log.records));
  await config.close();
});

test('a broken file that has not changed for a while is reported by a rescan at once', async () => {
  const dir = fresh();
  const log = memoryLog();
  const config = new ConfigDir(dir, () => undefined, log, 0, undefined, LAX);
  config.rescan();
  writeFileSync(join(dir, 'web'), '');
  const old = new Date(Date.now() - 60_000);
  utimesSync(join(dir, 'web'), old, old);
  config.rescan();
  assert.ok(log.records.some((r) => r.level === 'error' && /file is empty/.test(r.msg)), JSON.stringify(log.records));
  await config.close();
});
