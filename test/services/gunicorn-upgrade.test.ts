// gunicorn's zero-downtime upgrade under colony as PID 1 (Debian's gunicorn): READY=1 over
// NOTIFY_SOCKET makes it ready; USR2 starts a new master beside the old one, and when the old one
// exits the new one is the main pid — no restart, exactly one master, the port serving throughout
// (a client loop sees no failed request) — by hand (ctl signal) and with `colony ctl upgrade`, which
// also rolls back when the new code does not import. colony's SIGTERM then stops the new master
// gracefully.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, runCli, type Rec } from '../helpers/colony.ts';
import { freePort, get, serving } from '../helpers/http.ts';
import { cmdline, nsPid } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';
import type { ProcessStatus } from '../../src/status/file.ts';

const GUNICORN = '/usr/bin/gunicorn';
const APP = join(FIXTURES, 'services/upgradeapp');
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const START_MS = 60_000;
const STEP_MS = 30_000;

const skip = existsSync(GUNICORN) ? false : 'Debian package gunicorn missing: run scripts/test-deps.sh as root';

const webStatus = (c: Colony): ProcessStatus => c.processStatus('web')!;

// GET every 20 ms until stopped: how many requests failed (refused, reset, not 200), and the versions served.
function clientLoop(url: string): { stop: () => Promise<{ ok: number; failed: string[]; versions: Set<string> }> } {
  let running = true;
  const failed: string[] = [];
  const versions = new Set<string>();
  let ok = 0;
  const done = (async () => {
    while (running) {
      try {
        const r = await get(url, 10_000);
        if (r.status === 200) {
          ok++;
          versions.add(/^version (\S+)/.exec(r.body)?.[1] ?? '?');
        } else failed.push(`status ${r.status}`);
      } catch (err) {
        failed.push(String(err));
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await done;
      return { ok, failed, versions };
    },
  };
}

describe('gunicorn upgraded in place under colony as PID 1', { skip }, () => {
  const started: Colony[] = [];
  const dirs: string[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  async function startWeb(): Promise<{ c: Colony; url: string; appDir: string; masters: () => number[] }> {
    const appDir = mkdtempSync(join(tmpdir(), 'colony-upgrade-'));
    dirs.push(appDir);
    writeFileSync(join(appDir, 'version'), '1\n');
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const pidfile = join(appDir, 'web.pid');
    const web = {
      args: [GUNICORN, '--chdir', APP, '--bind', `127.0.0.1:${port}`, '--workers', '2', '--preload', '--pid', pidfile, '--graceful-timeout', '10', 'upgradeapp:app'],
      env: { PATH, UPGRADE_DIR: appDir },
      ready: { notify: true, timeout: 30 },
      pidfile,
      kill_time: 15,
    };
    const c = await Colony.start({ files: { web } });
    started.push(c);
    await c.waitRecord('web ready', (r) => r.proc === 'web' && r.msg === 'ready', START_MS);
    await serving(url, /^version 1 /, 'gunicorn serving version 1');
    // gunicorn masters: the gunicorn processes whose parent is colony (workers are the masters' children).
    const masters = (): number[] => c.processes().filter((p) => cmdline(p).some((a) => a.endsWith('gunicorn')) && readFileSync(`/proc/${p}/stat`, 'latin1').split(') ')[1]!.split(' ')[1] === String(c.pid));
    return { c, url, appDir, masters };
  }

  // After an upgrade: one master, the status's pid, no restart, the same uptime, version 2 served.
  async function upgradedTo2(c: Colony, url: string, masters: () => number[], before: ProcessStatus): Promise<void> {
    const only = await waitFor('exactly one master, the one colony names', () => {
      const m = masters();
      return m.length === 1 && nsPid(m[0]!) === webStatus(c).pid ? m[0] : undefined;
    }, STEP_MS);
    assert.notEqual(nsPid(only), before.pid);
    const now = webStatus(c);
    assert.equal(now.state, 'running');
    assert.equal(now.restarts, 0);
    assert.equal(now.since, before.since);
    assert.equal(c.count((r: Rec) => r.proc === 'web' && r.msg === 'started'), 1);
    await serving(url, new RegExp(`^version 2 master ${now.pid}$`, 'm'), 'version 2 served by the new master');
  }

  async function stopsGracefully(c: Colony): Promise<void> {
    const pid = webStatus(c).pid;
    const exit = await c.stop(STEP_MS);
    assert.equal(exit.code, 0, c.log());
    assert.ok(c.find((r) => r.proc === 'web' && r.pid === pid && r.msg === 'exit code 0'), `the new master did not exit 0 on colony's SIGTERM:\n${c.log()}`);
  }

  it('by hand: USR2, then TERM to the old master (ctl signal): the new master is the main pid, no request fails', async () => {
    const { c, url, appDir, masters } = await startWeb();
    const before = webStatus(c);
    writeFileSync(join(appDir, 'version'), '2\n');
    const loop = clientLoop(url);
    const ctl = (...args: string[]): Promise<{ code: number | null; stderr: string }> => runCli(['ctl', '--messages', c.dirs.messages, '--state', c.dirs.state, ...args]);
    assert.equal((await ctl('signal', 'web', 'USR2')).code, 0);
    await c.waitRecord('the new master ready', (r) => r.proc === 'web' && /^a new main process is ready \(READY=1 from pid \d+\)/.test(String(r.msg)), STEP_MS);
    assert.equal((await ctl('signal', 'web', 'TERM')).code, 0);
    await c.waitRecord('handed over', (r) => r.proc === 'web' && /^main pid handed over: \d+ → \d+ \(READY=1 from it\)/.test(String(r.msg)), STEP_MS);
    await upgradedTo2(c, url, masters, before);
    const seen = await loop.stop();
    assert.deepEqual(seen.failed, [], `requests failed during the upgrade (${seen.ok} succeeded)`);
    assert.ok(seen.ok > 10);
    await stopsGracefully(c);
  });

  it('ctl upgrade --wait does it in one command; a new version that does not import is rolled back', async () => {
    const { c, url, appDir, masters } = await startWeb();
    const ctl = (...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => runCli(['ctl', '--messages', c.dirs.messages, '--state', c.dirs.state, ...args]);
    // Broken new code: the new master fails at import, before READY=1; the old one goes on.
    const first = webStatus(c);
    writeFileSync(join(appDir, 'broken'), '');
    const failed = await ctl('upgrade', 'web', '--wait', '--timeout', '60');
    assert.notEqual(failed.code, 0);
    assert.match(failed.stderr, /upgrade of web failed: the new main process \(pid \d+\) exited before it was ready; .*the old main process \(pid \d+\) goes on/);
    assert.equal(webStatus(c).pid, first.pid);
    assert.equal(webStatus(c).restarts, 0);
    await serving(url, /^version 1 /, 'the old master still serving');
    rmSync(join(appDir, 'broken'));

    writeFileSync(join(appDir, 'version'), '2\n');
    const loop = clientLoop(url);
    const r = await ctl('upgrade', 'web', '--wait', '--timeout', '60');
    assert.equal(r.code, 0, r.stderr);
    await upgradedTo2(c, url, masters, first);
    const seen = await loop.stop();
    assert.deepEqual(seen.failed, [], `requests failed during the upgrade (${seen.ok} succeeded)`);
    assert.deepEqual(webStatus(c).upgrades, { done: 1, failed: 1, last: `done: main pid ${webStatus(c).pid}`, running: false });
    // The pidfile follows: gunicorn's new master renames its own into place once promoted.
    await waitFor('the pidfile names the new master', () => readFileSync(join(appDir, 'web.pid'), 'utf8').trim() === String(webStatus(c).pid), STEP_MS);
    await stopsGracefully(c);
  });
});
