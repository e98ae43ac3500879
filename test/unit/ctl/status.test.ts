// ctl status and ctl check on a state file: a process --only leaves out.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { check, statusTable } from '../../../src/ctl/status.ts';
import { STATUS_FILE, type ProcessStatus, type Status } from '../../../src/status/file.ts';
import { procStart } from '../../../src/system/proc.ts';

const dir = mkdtempSync(join(tmpdir(), 'colony-status-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const proc = (over: Partial<ProcessStatus>): ProcessStatus => ({ name: 'p', state: 'running', pid: 10, since: new Date().toISOString(), restarts: 0, lastExit: null, health: null, ready: true, failed: false, critical: false, nextRun: null, leftOut: false, held: null, ...over });

function status(processes: ProcessStatus[]): Status {
  return { colony: { pid: process.pid, version: 't', started: new Date().toISOString(), procStart: procStart(process.pid)!, mode: 'pid1', updated: new Date().toISOString(), shuttingDown: false }, processes };
}

test('a left-out process shows as such in the table', () => {
  const table = statusTable(status([proc({ name: 'redis' }), proc({ name: 'web', state: 'idle', pid: null, ready: false, leftOut: true })]));
  assert.match(table, /^web\s+left out \(--only\)/m);
  assert.match(table, /^redis\s+running/m);
});

test('ctl check: a critical process --only leaves out is not meant to run; one that is selected and idle is a problem', () => {
  writeFileSync(join(dir, STATUS_FILE), JSON.stringify(status([proc({ name: 'redis' }), proc({ name: 'web', state: 'idle', pid: null, ready: false, critical: true, leftOut: true })])));
  assert.equal(check(dir), undefined);
  writeFileSync(join(dir, STATUS_FILE), JSON.stringify(status([proc({ name: 'web', state: 'idle', pid: null, ready: false, critical: true })])));
  assert.equal(check(dir), 'critical process web is idle');
});

test('held processes: "stopped (by request)" and "not started (autostart off)"; ctl check does not count a held critical process', () => {
  const table = statusTable(status([proc({ name: 'web', state: 'stopped', pid: null, held: 'stopped' }), proc({ name: 'tool', state: 'idle', pid: null, ready: false, held: 'autostart-off' }), proc({ name: 'db', state: 'stopping', held: 'stopped' })]));
  assert.match(table, /^web\s+stopped \(by request\)/m);
  assert.match(table, /^tool\s+not started \(autostart off\)/m);
  assert.match(table, /^db\s+stopping \(stop requested\)/m);
  writeFileSync(join(dir, STATUS_FILE), JSON.stringify(status([proc({ name: 'web', state: 'stopped', pid: null, critical: true, held: 'stopped' })])));
  assert.equal(check(dir), undefined);
  writeFileSync(join(dir, STATUS_FILE), JSON.stringify(status([proc({ name: 'web', state: 'stopped', pid: null, critical: true })])));
  assert.equal(check(dir), 'critical process web is stopped');
});
