// The recipes (config.example/recipes/) run as written, under colony as PID 1, with Debian's
// packages, and do what docs/python.md says they do. Each file is read as it ships; the test
// changes only what a machine running many tests at once must: the ports (8000 and 6379 become free
// ones), /run/colony/ and /tmp/ (a scratch directory), the cwd /app (the fixture app; Django's
// project for runserver) and PATH (Debian's python3 rather than one earlier in the tests' PATH).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { capture, Colony, FIXTURES, ROOT, runCli, scratch, type Rec } from '../helpers/colony.ts';
import { freePort, get, serving } from '../helpers/http.ts';
import { alive, children, groups, nsPid } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';
import type { ProcessStatus } from '../../src/status/file.ts';

const RECIPES = join(ROOT, 'config.example/recipes');
const APP = join(FIXTURES, 'services/recipeapp');
const DJANGO = join(FIXTURES, 'services/djangosite');
const PY = '/usr/bin/python3';
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';
const START_MS = 60_000;
const STEP_MS = 30_000;

// Every recipe, and the test below that runs it.
const TESTED = ['celery-beat', 'celery-worker', 'gunicorn', 'redis', 'rq-worker', 'runserver', 'uvicorn'];

const needed = [PY, '/usr/bin/gunicorn', '/usr/bin/celery', '/usr/bin/redis-server', '/usr/bin/rq', '/usr/lib/python3/dist-packages/celery', '/usr/lib/python3/dist-packages/django', '/usr/lib/python3/dist-packages/uvicorn', '/usr/lib/python3/dist-packages/rq'];
const missing = needed.filter((p) => !existsSync(p));
const skip = missing.length > 0 ? `Debian packages missing (${missing.join(', ')}): run scripts/test-deps.sh as root` : false;

interface Ports {
  web: number;
  redis: number;
}

// A recipe as it ships, placed on this machine (see the header).
function recipe(name: string, ports: Ports, dir: string): Record<string, unknown> {
  const text = readFileSync(join(RECIPES, `${name}.json`), 'utf8')
    .replaceAll('/tmp/', `${dir}/`) // first: dir is in /tmp too
    .replaceAll('/run/colony/', `${dir}/`)
    .replace(/\b8000\b/g, String(ports.web))
    .replace(/\b6379\b/g, String(ports.redis));
  const d = JSON.parse(text) as Record<string, unknown>;
  assert.equal(d.cwd ?? '/app', '/app', `${name}: a recipe's app is in /app`);
  if (d.cwd !== undefined) d.cwd = name === 'runserver' ? DJANGO : APP;
  d.env = { ...(d.env as object | undefined), PATH };
  return d;
}

async function ports(): Promise<Ports> {
  return { web: await freePort(), redis: await freePort() };
}

const isProc = (name: string, msg: string | RegExp) => (r: Rec): boolean => r.proc === name && r.stream === undefined && (typeof msg === 'string' ? r.msg === msg : msg.test(String(r.msg)));
const exitOf = (name: string) => (r: Rec): boolean => r.proc === name && r.stream === undefined && (typeof r.code === 'number' || typeof r.signal === 'string');
const sigkill = (r: Rec): boolean => r.stream === undefined && /sending SIGKILL/.test(String(r.msg));

const statusOf = (c: Colony, name: string): ProcessStatus => c.processStatus(name)!;

describe('the recipes, run as they ship, under colony as PID 1', { skip }, () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });
  const start = async (files: Record<string, object>): Promise<Colony> => {
    const c = await Colony.start({ files });
    started.push(c);
    return c;
  };
  const ctl = (c: Colony, ...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> => runCli(['ctl', '--messages', c.dirs.messages, '--state', c.dirs.state, ...args]);

  it('every recipe is run below, and docs/python.md shows each one as it ships', () => {
    const files = readdirSync(RECIPES).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -5)).sort();
    assert.deepEqual(files, TESTED);
    const doc = readFileSync(join(ROOT, 'docs/python.md'), 'utf8');
    for (const name of files) {
      const block = new RegExp(`\`config\\.example/recipes/${name}\\.json\`:?\\n\\n\`\`\`json\\n([^]*?)\\n\`\`\``).exec(doc);
      assert.ok(block, `docs/python.md has no block for recipes/${name}.json`);
      assert.deepEqual(JSON.parse(block[1]!), JSON.parse(readFileSync(join(RECIPES, `${name}.json`), 'utf8')), `docs/python.md's ${name}.json differs from the file`);
    }
  });

  it('redis, celery worker and beat, rq worker: after redis is ready; beat schedules, the worker runs; stopped mid-task, both workers finish their task and nothing is killed', async () => {
    const p = await ports();
    const dir = scratch().dir;
    const names = ['redis', 'celery-worker', 'celery-beat', 'rq-worker'];
    const c = await start(Object.fromEntries(names.map((n) => [n, recipe(n, p, dir)])));
    for (const n of ['celery-worker', 'rq-worker']) await c.waitRecord(`${n} ready`, isProc(n, 'ready'), START_MS);
    await c.started('celery-beat', 0, START_MS);
    const redisReady = c.records.findIndex(isProc('redis', 'ready'));
    for (const n of ['celery-worker', 'celery-beat', 'rq-worker']) {
      const s = c.records.findIndex(isProc(n, 'started'));
      assert.ok(redisReady >= 0 && redisReady < s, `redis ready (record ${redisReady}) before ${n} started (record ${s})`);
    }
    // beat sends tick every second; the worker runs it. Its schedule file is where the recipe puts it.
    await waitFor('two ticks from beat run by the worker', () => c.output('celery-worker').filter((l) => /tick from beat run in pid \d+/.test(l)).length >= 2, STEP_MS, 100);
    assert.ok(readdirSync(dir).some((f) => f.startsWith('celerybeat-schedule')), `beat's schedule file in ${dir}: ${readdirSync(dir).join(', ')}`);

    // A task and a job of 3 s each, running when colony is told to stop.
    const broker = `redis://127.0.0.1:${p.redis}/0`;
    const celeryDone = join(dir, 'celery.done');
    const rqDone = join(dir, 'rq.done');
    const enqueue = await capture(PY, ['-c', `import sys; sys.path.insert(0, sys.argv[1])
import tasks; tasks.slow.delay(sys.argv[2], 3.0)
from redis import Redis; from rq import Queue; import jobs
Queue(connection=Redis.from_url(sys.argv[4])).enqueue(jobs.slow, sys.argv[3], 3.0)`, APP, celeryDone, rqDone, broker], { CELERY_BROKER_URL: broker, PATH });
    assert.equal(enqueue.code, 0, enqueue.stderr);
    await waitFor('the task and the job running', () => c.output('celery-worker').some((l) => l.includes(`slow task running in pid`) && l.includes(celeryDone)) && c.output('rq-worker').some((l) => l.includes(`slow job running in pid`) && l.includes(rqDone)), STEP_MS, 50);
    assert.ok(!existsSync(celeryDone) && !existsSync(rqDone), 'neither has finished yet');
    const m = c.mark;
    const st = await c.stop(40_000);
    assert.equal(st.code, 0, c.log());
    assert.ok(existsSync(celeryDone), `celery's warm shutdown let the running task finish\n${c.output('celery-worker').slice(-20).join('\n')}`);
    assert.ok(existsSync(rqDone), `rq's warm shutdown let the running job finish\n${c.output('rq-worker').slice(-20).join('\n')}`);
    for (const n of names) assert.equal(c.records.slice(m).find(exitOf(n))?.code, 0, `${n} exited 0\n${c.log()}`);
    // Each worker waited for its task: the task's last line comes before the worker's exit.
    for (const [n, line] of [['celery-worker', `slow task finished, marker ${celeryDone}`], ['rq-worker', `slow job finished, marker ${rqDone}`]] as const) {
      const finished = c.records.findIndex((r) => r.proc === n && typeof r.msg === 'string' && r.msg.includes(line));
      const exited = c.records.findIndex((r, i) => i >= m && exitOf(n)(r));
      assert.ok(finished >= 0 && finished < exited, `${n}: its task finished (record ${finished}) before it exited (record ${exited})`);
    }
    assert.equal(c.records.slice(m).find(sigkill), undefined, 'no SIGKILL');
    const redisExit = c.records.findIndex((r, i) => i >= m && exitOf('redis')(r));
    for (const n of ['celery-worker', 'celery-beat', 'rq-worker']) {
      const stopped = c.records.findIndex((r, i) => i >= m && isProc(n, 'stopped')(r));
      assert.ok(stopped >= 0 && stopped < redisExit, `${n} stopped (record ${stopped}) before redis exited (record ${redisExit})`);
    }
  });

  it('gunicorn: ready by READY=1; ctl reload keeps the master; ctl upgrade hands over to a new master; SIGTERM stops it gracefully', async () => {
    const p = await ports();
    const dir = scratch().dir;
    const c = await start({ gunicorn: recipe('gunicorn', p, dir) });
    const url = `http://127.0.0.1:${p.web}/`;
    const ready = await c.waitRecord('gunicorn ready', isProc('gunicorn', 'ready'), START_MS);
    assert.equal(ready.probe, 'READY=1');
    const master = statusOf(c, 'gunicorn').pid!;
    const hello = /hello from gunicorn worker (\d+) \(master (\d+)\)/;
    assert.equal(Number((await serving(url, hello, 'gunicorn serving'))[2]), master);
    await waitFor('the pidfile names the master', () => existsSync(join(dir, 'gunicorn.pid')) && readFileSync(join(dir, 'gunicorn.pid'), 'utf8').trim() === String(master), STEP_MS, 50);

    // reload: new workers, the same master.
    const hostMaster = c.processes().find((h) => nsPid(h) === master)!;
    const before = children(hostMaster).sort();
    const r = await ctl(c, 'reload', 'gunicorn');
    assert.equal(r.code, 0, r.stderr);
    await waitFor('two new workers, none of the old', () => {
      const now = children(hostMaster);
      return now.length === 2 && now.every((w) => !before.includes(w));
    }, STEP_MS, 100);
    assert.equal(Number((await serving(url, hello, 'serving after the reload'))[2]), master);

    // upgrade: a new master, the main pid; no restart.
    const u = await ctl(c, 'upgrade', 'gunicorn', '--wait', '--timeout', '60');
    assert.equal(u.code, 0, u.stderr);
    const now = statusOf(c, 'gunicorn');
    assert.notEqual(now.pid, master);
    assert.equal(now.restarts, 0);
    assert.equal(now.state, 'running');
    await serving(url, new RegExp(`\\(master ${now.pid}\\)`), 'the new master serving');
    await waitFor('the pidfile names the new master', () => readFileSync(join(dir, 'gunicorn.pid'), 'utf8').trim() === String(now.pid), STEP_MS, 50);

    const m = c.mark;
    assert.equal((await c.stop(STEP_MS)).code, 0, c.log());
    assert.equal(c.records.slice(m).find(exitOf('gunicorn'))?.code, 0, 'gunicorn exited 0');
    assert.equal(c.records.slice(m).find(sigkill), undefined, 'no SIGKILL');
  });

  it('uvicorn: ready when /health answers; a request in flight when colony stops is answered, and it exits 0', async () => {
    const p = await ports();
    const c = await start({ uvicorn: recipe('uvicorn', p, scratch().dir) });
    const base = `http://127.0.0.1:${p.web}`;
    await c.waitRecord('uvicorn ready', isProc('uvicorn', 'ready'), START_MS);
    const pid = statusOf(c, 'uvicorn').pid!;
    await serving(`${base}/`, new RegExp(`hello from uvicorn pid ${pid}\\b`), 'uvicorn serving');
    const slow = get(`${base}/slow`, 20_000);
    await waitFor('the slow request in flight', () => c.output('uvicorn').includes('asgi app: slow request started'), STEP_MS, 20);
    const m = c.mark;
    const st = await c.stop(STEP_MS);
    assert.deepEqual(await slow, { status: 200, body: 'slow request finished\n' });
    assert.equal(st.code, 0, c.log());
    assert.equal(c.records.slice(m).find(exitOf('uvicorn'))?.code, 0, 'uvicorn exited 0');
    assert.equal(c.records.slice(m).find(sigkill), undefined, 'no SIGKILL');
    assert.ok(c.output('uvicorn').includes('asgi app: lifespan shutdown'), "the app's shutdown ran");
  });

  it("runserver: ctl restart leaves nothing of the old process group (the autoreloader's child held the port), and it serves again", async () => {
    const p = await ports();
    const c = await start({ runserver: recipe('runserver', p, scratch().dir) });
    const url = `http://127.0.0.1:${p.web}/`;
    const hello = /hello from runserver pid (\d+) \(parent (\d+)\)/;
    const up = async (from: number): Promise<{ host: number; group: number[] }> => {
      const ns = await c.started('runserver', from, START_MS);
      await c.waitRecord('runserver ready', isProc('runserver', 'ready'), START_MS, from);
      assert.equal(Number((await serving(url, hello, 'runserver serving'))[2]), ns, 'the server is the reloader’s child');
      const host = c.processes().find((h) => nsPid(h) === ns)!;
      const group = c.processes().filter((h) => alive(h) && groups(h).pgrp === host);
      assert.ok(group.length >= 2, `the reloader and its child share a group (${group.join(', ')})`);
      return { host, group };
    };
    const one = await up(0);
    const m = c.mark;
    const r = await ctl(c, 'restart', 'runserver');
    assert.equal(r.code, 0, r.stderr);
    const two = await up(m);
    assert.notEqual(two.host, one.host);
    assert.ok(one.group.every((h) => !alive(h)), `nothing of the old group is left (${one.group.join(', ')})`);
    assert.ok(!c.output('runserver').some((l) => /already in use/i.test(l)), 'the port was free for the new server');
    assert.equal(c.records.slice(m).find(sigkill), undefined, 'no SIGKILL');
    assert.equal((await c.stop(STEP_MS)).code, 0, c.log());
  });
});
