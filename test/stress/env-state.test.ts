// Environment faults as PID 1: a state directory that cannot be written — read-only (a
// read-only bind mount in colony's own mount namespace, from the start or while running), full (a
// 64 KiB tmpfs filled up), or holding a directory where the state file goes. "Handled" means: every
// message is still carried out and every process still supervised; colony says so once — one line
// for the state file, at most one for the acknowledgements (a separate file), however many changes
// follow; nothing fatal; and once the directory can be written again, the state file is current.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { Colony, writeAtomic } from '../helpers/colony.ts';
import { assertNoLastResort, inMountNamespace, isRoot, msgOf } from '../helpers/hostile.ts';
import { waitFor } from '../helpers/wait.ts';

const idle = (tag: string): object => ({ args: ['/bin/sh', '-c', `echo ${tag}; exec sleep 1000${tag.length}`] });
const STATE_LINE = /^cannot write the state file/;
const ACKS_LINE = /^cannot write message acknowledgements/;

// The state file as colony's mount namespace sees it (a mount made there is invisible from here).
function statusIn(pid: number, state: string): { processes: Array<{ name: string; pid: number | null }> } {
  return JSON.parse(readFileSync(`/proc/${pid}/root${state}/status.json`, 'utf8')) as { processes: Array<{ name: string; pid: number | null }> };
}

// Sends `n` RESTART messages for `name` one after the other; each must restart it. Returns the last pid.
async function restarts(c: Colony, name: string, n: number, tag: string): Promise<number> {
  let pid = 0;
  for (let i = 0; i < n; i++) {
    const m = c.mark;
    writeAtomic(c.dirs.messages, `${tag}-${i}`, { type: 'RESTART', name });
    pid = await c.started(name, m, 10_000);
  }
  return pid;
}

// The fault's lines: exactly one for the state file, at most one for the acknowledgements, no other error.
function assertSaidOnce(c: Colony, from: number, what: string): { state: number; acks: number; lines: string } {
  const errors = c.records.slice(from).filter((r) => r.level === 'error' || r.level === 'fatal');
  const state = errors.filter((r) => STATE_LINE.test(msgOf(r))).length;
  const acks = errors.filter((r) => ACKS_LINE.test(msgOf(r))).length;
  assert.equal(state, 1, `${what}: one line says the state file cannot be written: ${JSON.stringify(errors)}`);
  assert.ok(acks <= 1, `${what}: at most one line says the acknowledgements cannot be written: ${JSON.stringify(errors)}`);
  assert.equal(errors.length, state + acks, `${what}: no other error line: ${JSON.stringify(errors)}`);
  return { state, acks, lines: errors.map((r) => `${msgOf(r)} (${String(r.error)})`).join(' | ') };
}

describe('environment faults: the state directory', { skip: isRoot ? false : 'needs root (mounts)' }, () => {
  const started: Array<Colony> = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('read-only while running (bind mount, remount ro): 10 restarts carried out, said once; writable again, the state file is current', async (t: TestContext) => {
    const c = await Colony.start({ files: { web: idle('web'), db: idle('db') } });
    started.push(c);
    await c.started('web');
    const db = await c.started('db');
    await waitFor('the state file', () => statusIn(c.pid, c.dirs.state).processes.length === 2);
    inMountNamespace(c.pid, ['mount', '--bind', c.dirs.state, c.dirs.state]);
    inMountNamespace(c.pid, ['mount', '-o', 'remount,bind,ro', c.dirs.state]);
    const m = c.mark;
    await restarts(c, 'web', 10, 'ro');
    const said = assertSaidOnce(c, m, 'read-only');
    assert.equal(c.count((r) => r.proc === 'db' && r.msg === 'started'), 1, 'db undisturbed');

    inMountNamespace(c.pid, ['umount', c.dirs.state]);
    const m2 = c.mark;
    const web = await restarts(c, 'web', 1, 'rw');
    await c.waitRecord('said writable again', (r) => /state file can be written again/.test(msgOf(r)), 5000, m2);
    await waitFor('the state file shows the current pids', () => {
      const s = statusIn(c.pid, c.dirs.state);
      return s.processes.find((p) => p.name === 'web')?.pid === web && s.processes.find((p) => p.name === 'db')?.pid === db;
    }, 5000);
    assertNoLastResort(c, c.log());
    t.diagnostic(`read-only state directory: 10 restarts carried out, ${said.state} state-file line, ${said.acks} acknowledgement line: ${said.lines}`);
    assert.equal((await c.stop()).code, 0);
  });

  it('read-only from the start, holding an earlier colony\'s files: colony starts, supervises and carries out messages, and says so once', async (t: TestContext) => {
    // What an earlier colony left there (its events and kept lines), which this one would clear.
    const earlier = 'mkdir -p "$STATE_DIR/logs" && echo old > "$STATE_DIR/events.log" && echo old > "$STATE_DIR/logs/web.log"';
    const c = await Colony.start({
      files: { web: idle('web'), db: idle('db') },
      prelude: `${earlier} && mount --bind "$STATE_DIR" "$STATE_DIR" && mount -o remount,bind,ro "$STATE_DIR"`,
    });
    started.push(c);
    await c.started('web');
    await c.started('db');
    await restarts(c, 'web', 5, 'ro-start');
    const said = assertSaidOnce(c, 0, 'read-only from the start');
    assert.equal(c.count((r) => r.proc === 'db' && r.msg === 'started'), 1, 'db undisturbed');
    assertNoLastResort(c, c.log());
    t.diagnostic(`read-only from the start: 5 restarts carried out, ${said.state} state-file line, ${said.acks} acknowledgement line: ${said.lines}`);
    assert.equal((await c.stop()).code, 0);
  });

  it('full (a 64 KiB tmpfs, filled): 10 restarts carried out, said once; space freed, the state file is current', async (t: TestContext) => {
    const c = await Colony.start({ files: { web: idle('web'), db: idle('db') } });
    started.push(c);
    await c.started('web');
    const db = await c.started('db');
    inMountNamespace(c.pid, ['mount', '-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', c.dirs.state]);
    inMountNamespace(c.pid, ['sh', '-c', `dd if=/dev/zero of=${c.dirs.state}/fill bs=4k 2>/dev/null; true`]);
    const free = inMountNamespace(c.pid, ['stat', '-f', '-c', '%a', c.dirs.state]).trim();
    assert.equal(free, '0', 'the tmpfs is full');
    const m = c.mark;
    await restarts(c, 'web', 10, 'full');
    const said = assertSaidOnce(c, m, 'full');
    assert.equal(c.count((r) => r.proc === 'db' && r.msg === 'started'), 1, 'db undisturbed');

    inMountNamespace(c.pid, ['rm', `${c.dirs.state}/fill`]);
    const m2 = c.mark;
    const web = await restarts(c, 'web', 1, 'space');
    await c.waitRecord('said writable again', (r) => /state file can be written again/.test(msgOf(r)), 5000, m2);
    await waitFor('the state file shows the current pids', () => {
      const s = statusIn(c.pid, c.dirs.state);
      return s.processes.find((p) => p.name === 'web')?.pid === web && s.processes.find((p) => p.name === 'db')?.pid === db;
    }, 5000);
    const left = inMountNamespace(c.pid, ['find', c.dirs.state, '-name', '*.tmp']).trim().split('\n').filter(Boolean);
    assertNoLastResort(c, c.log());
    t.diagnostic(`full state directory: 10 restarts carried out, ${said.state} state-file line, ${said.acks} acknowledgement line; temp files left behind: ${left.length}: ${said.lines}`);
    assert.equal((await c.stop()).code, 0);
  });

  it('a directory where the state file goes, a file where the acknowledgements go: supervision goes on, each said once', async (t: TestContext) => {
    const c = await Colony.start({
      files: { web: idle('web') },
      prelude: 'mkdir -p "$STATE_DIR/status.json" && : > "$STATE_DIR/acks"',
    });
    started.push(c);
    await c.started('web');
    await restarts(c, 'web', 5, 'dir');
    const said = assertSaidOnce(c, 0, 'status.json a directory');
    assertNoLastResort(c, c.log());
    t.diagnostic(`status.json a directory, acks a file: 5 restarts carried out, ${said.state} state-file line, ${said.acks} acknowledgement line: ${said.lines}`);
    assert.equal((await c.stop()).code, 0);
  });
});
