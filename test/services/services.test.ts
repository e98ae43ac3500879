// Real Python services under colony as PID 1 (Debian's packages, on /usr/bin/python3): gunicorn
// reloaded by SIGHUP without losing its master, a celery worker after a supervised redis that
// finishes its running task on stop (warm shutdown: SIGTERM to the main pid only), and Django's
// runserver whose autoreloader child never outlives a restart. Ports are chosen free at runtime.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES, ROOT, runCli, scratch, writeAtomic, type Rec } from '../helpers/colony.ts';
import { freePort, serving } from '../helpers/http.ts';
import { alive, children, nsPid } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const PY = '/usr/bin/python3';
const GUNICORN = '/usr/bin/gunicorn';
const CELERY = '/usr/bin/celery';
const REDIS = '/usr/bin/redis-server';
const SERVICES = join(FIXTURES, 'services');
const WSGI_APP = join(ROOT, 'example/app'); // wsgi.py: "/" answers the worker's and the master's pid
const DJANGO = join(SERVICES, 'djangosite');
const TASKS = join(SERVICES, 'recipeapp'); // tasks.py: the celery app with the slow task (a marker file when it finishes)
// /usr/bin/celery runs `python3` from PATH: Debian's, not a pyenv or venv one earlier in the tests' PATH.
const PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

// Services start slowly on a small machine: generous deadlines everywhere (none is a sleep).
const START_MS = 60_000;
const STEP_MS = 30_000;

const missing = [PY, GUNICORN, CELERY, REDIS, '/usr/lib/python3/dist-packages/celery', '/usr/lib/python3/dist-packages/redis', '/usr/lib/python3/dist-packages/django'].filter((p) => !existsSync(p));
const skip = missing.length > 0 ? `Debian packages missing (${missing.join(', ')}): run scripts/test-deps.sh as root` : false;

function run(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    execFile(cmd, args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeout: STEP_MS }, (err, stdout, stderr) => res({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

// The host pid of the process that has pid `ns` inside colony's namespace.
function hostPid(c: Colony, ns: number): number {
  const p = c.processes().find((h) => nsPid(h) === ns);
  if (p === undefined) throw new Error(`no process with namespace pid ${ns} under colony`);
  return p;
}

// Process group id (host side) of a process, or undefined when it is gone.
function pgrpOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
  } catch {
    return undefined;
  }
}

const sorted = (a: number[]): number[] => [...a].sort((x, y) => x - y);
const isProc = (name: string, msg: string | RegExp) => (r: Rec): boolean => r.proc === name && (typeof msg === 'string' ? r.msg === msg : msg.test(String(r.msg)));
// colony escalating: "... sending SIGKILL ..." (not "killed by SIGKILL", the exit of a process killed from outside).
const killed = (name: string) => isProc(name, /sending SIGKILL/);
const exitRecord = (name: string) => (r: Rec): boolean => r.proc === name && r.stream === undefined && (typeof r.code === 'number' || typeof r.signal === 'string');

describe('real services under colony as PID 1', { skip }, () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('gunicorn: ctl signal SIGHUP and ctl reload replace both workers under the same master, which keeps serving; SIGTERM stops it gracefully', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const web = {
      args: [GUNICORN, '--chdir', WSGI_APP, '--bind', `127.0.0.1:${port}`, '--workers', '2', '--graceful-timeout', '15', 'wsgi:app'],
      env: { PATH },
      reload_signal: 'SIGHUP',
      kill_time: 20,
      ready: { http: `${url}health` },
    };
    const c = await Colony.start({ files: { web } });
    started.push(c);
    const master = await c.started('web', 0, START_MS);
    await c.waitRecord('web ready', isProc('web', 'ready'), START_MS);
    const booted = (): number[] => c.output('web').flatMap((l) => /Booting worker with pid: (\d+)/.exec(l)?.slice(1).map(Number) ?? []);
    // The master's children, as pids inside the namespace (what gunicorn logs).
    const masterHost = hostPid(c, master);
    const workers = (): number[] => sorted(children(masterHost).map(nsPid));
    await waitFor('two workers booted', () => booted().length === 2 && workers().length === 2, STEP_MS);
    assert.deepEqual(workers(), sorted(booted()));
    const hello = /hello from gunicorn worker (\d+) \(master (\d+)\)/;
    const first = await serving(url, hello, 'gunicorn serving');
    assert.equal(Number(first[2]), master, "the worker's parent is the pid colony started");
    assert.ok(booted().includes(Number(first[1])));

    for (const how of ['signal', 'reload'] as const) {
      const before = workers();
      const n = booted().length;
      const m = c.mark;
      const r = how === 'signal' ? await runCli(['ctl', '--messages', c.dirs.messages, 'signal', 'web', 'SIGHUP']) : await runCli(['ctl', '--messages', c.dirs.messages, 'reload', 'web']);
      assert.equal(r.code, 0, `ctl ${how}: ${r.stderr}`);
      await waitFor(`two new workers booted after ctl ${how}`, () => booted().length >= n + 2, STEP_MS);
      const fresh = sorted(booted().slice(n));
      assert.equal(fresh.length, 2, `exactly two workers booted after ctl ${how}: ${fresh.join(', ')}`);
      assert.ok(fresh.every((p) => !before.includes(p)), `new worker pids (${fresh.join(', ')}) differ from the old ones (${before.join(', ')})`);
      await waitFor(`the old workers gone, the new ones the master's children (ctl ${how})`, () => JSON.stringify(workers()) === JSON.stringify(fresh), STEP_MS);
      assert.ok(alive(masterHost), 'the master is still running');
      assert.equal(c.count(isProc('web', 'started')), 1, 'colony did not restart the master');
      assert.equal(c.records.slice(m).find(exitRecord('web')), undefined, 'no exit of web was recorded');
      const now = await serving(url, hello, `gunicorn serving after ctl ${how}`);
      assert.equal(Number(now[2]), master, 'same master');
      assert.ok(fresh.includes(Number(now[1])), `answered by a new worker (${now[1]})`);
      if (how === 'reload') assert.ok(c.records.slice(m).some(isProc('web', 'reloading with SIGHUP')), 'colony says it reloaded with SIGHUP');
    }

    const m = c.mark;
    const t0 = Date.now();
    const st = await c.stop(40_000);
    assert.equal(st.code, 0, c.log());
    const exit = c.records.slice(m).find(exitRecord('web'));
    assert.equal(exit?.code, 0, `gunicorn exited 0 after SIGTERM: ${JSON.stringify(exit)}`);
    assert.equal(c.records.find(killed('web')), undefined, 'no SIGKILL was needed');
    assert.ok(Date.now() - t0 < 20_000, 'stopped within the kill time');
    assert.ok(c.output('web').some((l) => /Handling signal: term/.test(l)), 'gunicorn got SIGTERM');
  });

  // redis on a free port (ready when it accepts connections) and a celery worker after it.
  async function celeryColony(workerExtra: Record<string, unknown> = {}): Promise<{ c: Colony; broker: string; worker: object; enqueue: (marker: string) => Promise<void> }> {
    const port = await freePort();
    const broker = `redis://127.0.0.1:${port}/0`;
    const redis = {
      args: [REDIS, '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', scratch().dir],
      ready: { tcp: `127.0.0.1:${port}` },
      kill_time: 20,
    };
    const worker = {
      args: [CELERY, '-A', 'tasks', 'worker', '--pool', 'prefork', '--concurrency', '1', '--loglevel', 'INFO', '--without-gossip', '--without-mingle', '--without-heartbeat', '--hostname', `test-${port}@%h`],
      cwd: TASKS,
      env: { PATH, CELERY_BROKER_URL: broker },
      after: ['redis'],
      kill_time: 20,
      ready: { log: 'ready\\.' },
      ...workerExtra,
    };
    const c = await Colony.start({ files: { redis, worker } });
    started.push(c);
    const enqueue = async (marker: string): Promise<void> => {
      const r = await run(PY, ['-c', 'import sys, tasks; tasks.slow.delay(sys.argv[1], 3.0)', marker], { cwd: TASKS, env: { PATH, CELERY_BROKER_URL: broker } });
      assert.equal(r.code, 0, `enqueue: ${r.stderr}`);
    };
    return { c, broker, worker, enqueue };
  }

  // Enqueues the 3 s task and waits until the worker runs it (its log line), from record `from` on.
  async function runningTask(c: Colony, enqueue: (marker: string) => Promise<void>, marker: string, from: number): Promise<void> {
    await enqueue(marker);
    await c.waitRecord('the task running', isProc('worker', new RegExp(`slow task running in pid \\d+, marker ${marker}`)), STEP_MS, from);
    assert.ok(!existsSync(marker), 'the task has not finished yet');
  }

  it('celery: the worker starts after redis is ready; stopped mid-task (ctl remove, then SIGTERM to colony) it finishes the task and exits without SIGKILL', async () => {
    const { c, worker, enqueue } = await celeryColony();
    await c.started('worker', 0, START_MS);
    const redisReady = c.records.findIndex(isProc('redis', 'ready'));
    const workerStarted = c.records.findIndex(isProc('worker', 'started'));
    assert.ok(redisReady >= 0 && redisReady < workerStarted, `redis "ready" (record ${redisReady}) comes before the worker's "started" (record ${workerStarted})\n${c.log()}`);
    assert.ok(c.records.findIndex(isProc('redis', 'started')) < redisReady);
    await c.waitRecord('worker ready', isProc('worker', 'ready'), START_MS);
    const dir = scratch().dir;

    // 1. ctl remove: SIGTERM to the worker's main pid only → warm shutdown, the task completes.
    const marker1 = join(dir, 'task1.done');
    await runningTask(c, enqueue, marker1, 0);
    const m1 = c.mark;
    const t1 = Date.now();
    const rm = await runCli(['ctl', '--config', c.dirs.config, 'remove', 'worker']);
    assert.equal(rm.code, 0, rm.stderr);
    await c.waitRecord('worker stopped', isProc('worker', 'stopped'), STEP_MS, m1);
    const took1 = Date.now() - t1;
    assert.ok(existsSync(marker1), `the running task finished before the worker exited (warm shutdown)\n${c.output('worker').join('\n')}`);
    assert.equal(c.records.slice(m1).find(exitRecord('worker'))?.code, 0, 'the worker exited 0');
    assert.equal(c.records.slice(m1).find(killed('worker')), undefined, 'no SIGKILL');
    assert.ok(took1 < 20_000, `stopped within kill_time (took ${took1} ms)`);
    assert.ok(c.output('worker').slice(-50).some((l) => /Warm shutdown/.test(l)), 'celery reports a warm shutdown');

    // 2. Back again; SIGTERM to colony: the worker (after redis) stops first and finishes its task, then redis.
    const m2 = c.mark;
    writeAtomic(c.dirs.config, 'worker', worker);
    await c.started('worker', m2, START_MS);
    await c.waitRecord('worker ready again', isProc('worker', 'ready'), START_MS, m2);
    const marker2 = join(dir, 'task2.done');
    await runningTask(c, enqueue, marker2, m2);
    const m3 = c.mark;
    const t2 = Date.now();
    const st = await c.stop(40_000);
    assert.equal(st.code, 0, c.log());
    assert.ok(existsSync(marker2), 'the task running at shutdown finished');
    const workerStopped = c.records.findIndex((r, i) => i >= m3 && isProc('worker', 'stopped')(r));
    const redisExit = c.records.findIndex((r, i) => i >= m3 && exitRecord('redis')(r));
    assert.ok(workerStopped >= 0 && workerStopped < redisExit, `the worker stopped (record ${workerStopped}) before redis exited (record ${redisExit})`);
    assert.equal(c.records[redisExit]?.code, 0, 'redis exited 0');
    assert.equal(c.records.slice(m3).find(exitRecord('worker'))?.code, 0, 'the worker exited 0');
    assert.equal(c.records.find((r) => /SIGKILL/.test(String(r.msg)) && r.stream === undefined), undefined, 'no SIGKILL anywhere');
    assert.ok(Date.now() - t2 < 20_000, 'shut down within kill_time');
  });

  it('celery control: with "stop_group": true the SIGTERM reaches the pool child and the running task is lost', async () => {
    const { c, enqueue } = await celeryColony({ stop_group: true });
    await c.waitRecord('worker ready', isProc('worker', 'ready'), START_MS);
    const marker = join(scratch().dir, 'task.done');
    await runningTask(c, enqueue, marker, 0);
    const m = c.mark;
    const rm = await runCli(['ctl', '--config', c.dirs.config, 'remove', 'worker']);
    assert.equal(rm.code, 0, rm.stderr);
    // "stopped" comes once the main pid and its whole process group are gone: nobody can write the marker later.
    await c.waitRecord('worker stopped', isProc('worker', 'stopped'), STEP_MS, m);
    assert.ok(!existsSync(marker), 'the task was killed with its pool process');
    assert.ok(c.output('worker').some((l) => /WorkerLostError: Worker exited prematurely: signal 15/.test(l)), `celery reports the lost pool process\n${c.output('worker').slice(-30).join('\n')}`);
    assert.equal((await c.stop(40_000)).code, 0);
  });

  // runserver (autoreloader parent + serving child) up and answering; returns its pid in the namespace.
  async function runserver(c: Colony, url: string, from: number): Promise<{ ns: number; host: number; group: number[] }> {
    const ns = await c.started('runserver', from, START_MS);
    await c.waitRecord('runserver ready', isProc('runserver', 'ready'), START_MS, from);
    const hello = await serving(url, /hello from runserver pid (\d+) \(parent (\d+)\)/, 'runserver serving');
    assert.equal(Number(hello[2]), ns, "the serving process is the autoreloader's child of the pid colony started");
    assert.notEqual(Number(hello[1]), ns);
    const host = hostPid(c, ns);
    const group = c.processes().filter((p) => pgrpOf(p) === host);
    assert.ok(group.length >= 2, `the reloader and its child share a process group (${group.join(', ')})`);
    return { ns, host, group };
  }

  it('Django runserver: ctl restart leaves nothing of the old process group (its child held the port) and the port serves from the new one; so does a SIGKILLed reloader', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const desc = {
      args: [PY, 'manage.py', 'runserver', `127.0.0.1:${port}`],
      cwd: DJANGO,
      env: { PATH, PYTHONUNBUFFERED: '1' },
      ready: { http: url },
      kill_time: 15,
    };
    const c = await Colony.start({ files: { runserver: desc } });
    started.push(c);
    const gone = (old: { host: number; group: number[] }): boolean => old.group.every((p) => !alive(p)) && c.processes().every((p) => pgrpOf(p) !== old.host);

    // ctl restart: stop signal to the reloader, then the next one once the whole old group is gone.
    const one = await runserver(c, url, 0);
    const m = c.mark;
    const r = await runCli(['ctl', '--messages', c.dirs.messages, 'restart', 'runserver']);
    assert.equal(r.code, 0, r.stderr);
    const two = await runserver(c, url, m);
    assert.notEqual(two.ns, one.ns);
    assert.ok(gone(one), `no process of the old group is left (old ${one.group.join(', ')}; now ${c.processes().join(', ')})`);
    assert.equal(c.records.slice(m).find(killed('runserver')), undefined, 'no SIGKILL was needed');

    // The reloader SIGKILLed from outside: its child keeps the port until colony stops the old group.
    const m2 = c.mark;
    process.kill(two.host, 'SIGKILL');
    const three = await runserver(c, url, m2);
    assert.ok(c.records.slice(m2).some(isProc('runserver', 'stopping what is left of its process group')), 'colony stopped the orphaned child with its group');
    assert.ok(gone(two), `no process of the old group is left (old ${two.group.join(', ')}; now ${c.processes().join(', ')})`);
    assert.ok(!c.output('runserver').some((l) => /already in use/i.test(l)), 'the port was free for the new server');
    assert.equal(c.records.slice(m2).find(killed('runserver')), undefined, 'SIGTERM to the group was enough');

    assert.equal((await c.stop(40_000)).code, 0);
    assert.ok(three.group.every((p) => !alive(p)), 'nothing left after the stop');
  });
});
