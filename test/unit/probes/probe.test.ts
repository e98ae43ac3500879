// runProbe against real loopback servers, real files and real commands; the exec probe's timeout, SIGKILL
// and kill wait on a virtual clock with fake commands; parseTcpTarget.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { describeProbe, formatDuration, KILL_WAIT_MS, parseTcpTarget, runProbe, type ProbeOptions, type ProbeResult } from '../../../src/probes/probe.ts';
import type { ExitStatus } from '../../../src/process/exit-status.ts';
import { realSpawner, type Spawner } from '../../../src/process/spawner.ts';
import { waitFor } from '../../helpers/wait.ts';
import { advance, fakeExecWorld, FakeCommand, flush } from '../helpers/probe-fakes.ts';

const T = { timeoutMs: 3000 };

function portOf(server: HttpServer | TcpServer): number {
  return (server.address() as AddressInfo).port;
}

function listen<S extends HttpServer | TcpServer>(server: S, host = '127.0.0.1'): Promise<S> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, () => resolve(server));
  });
}

function close(server: HttpServer | TcpServer): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

// A port nothing listens on: bound, then closed.
async function closedPort(): Promise<number> {
  const s = await listen(createTcpServer());
  const port = portOf(s);
  await close(s);
  return port;
}

describe('http probe', () => {
  let server: HttpServer;
  let base = '';
  const hits = new Map<string, number>();

  before(async () => {
    server = createHttpServer((req, res) => {
      const path = req.url ?? '';
      hits.set(path, (hits.get(path) ?? 0) + 1);
      if (path === '/ok') res.end('fine');
      else if (path === '/fail') res.writeHead(503).end('down');
      else if (path === '/moved') res.writeHead(302, { location: '/fail' }).end();
      else if (path === '/missing') res.writeHead(404).end();
      else if (path === '/stream') res.writeHead(200).write('headers sent, body never ends');
      else if (path === '/hang') return; // never answers
      else res.writeHead(500).end();
    });
    await listen(server);
    base = `http://127.0.0.1:${portOf(server)}`;
  });

  after(async () => {
    server.closeAllConnections();
    await close(server);
  });

  test('200 is healthy', async () => {
    assert.deepEqual(await runProbe({ kind: 'http', url: `${base}/ok` }, T), { ok: true, detail: 'HTTP 200' });
  });

  test('503 is a failure (NColony counted 5xx as healthy)', async () => {
    assert.deepEqual(await runProbe({ kind: 'http', url: `${base}/fail` }, T), { ok: false, detail: 'HTTP 503' });
  });

  test('404 is a failure', async () => {
    assert.deepEqual(await runProbe({ kind: 'http', url: `${base}/missing` }, T), { ok: false, detail: 'HTTP 404' });
  });

  test('302 is healthy and the redirect is not followed', async () => {
    hits.delete('/fail');
    assert.deepEqual(await runProbe({ kind: 'http', url: `${base}/moved` }, T), { ok: true, detail: 'HTTP 302' });
    assert.equal(hits.get('/fail'), undefined, 'the redirect target (a 503) was requested');
  });

  test('the answer counts as soon as its status arrives; an endless body is not waited for', async () => {
    const begun = Date.now();
    assert.deepEqual(await runProbe({ kind: 'http', url: `${base}/stream` }, { timeoutMs: 2000 }), { ok: true, detail: 'HTTP 200' });
    assert.ok(Date.now() - begun < 1500, `took ${Date.now() - begun} ms`);
  });

  test('a server that never answers times out after timeoutMs', async () => {
    const begun = Date.now();
    const r = await runProbe({ kind: 'http', url: `${base}/hang` }, { timeoutMs: 300 });
    const took = Date.now() - begun;
    assert.deepEqual(r, { ok: false, detail: 'timed out after 300 ms' });
    assert.ok(took >= 290 && took < 2000, `took ${took} ms`);
  });

  test('a closed port is "connection refused"', async () => {
    const port = await closedPort();
    assert.deepEqual(await runProbe({ kind: 'http', url: `http://127.0.0.1:${port}/` }, T), { ok: false, detail: 'connection refused' });
  });

  test('with a clock given, the timeout is on that clock: a server that never answers times out at exactly timeoutMs', async () => {
    const clock = new FakeClock();
    hits.delete('/hang');
    let result: ProbeResult | undefined;
    void runProbe({ kind: 'http', url: `${base}/hang` }, { timeoutMs: 50, clock }).then((r) => (result = r));
    // A real timer of the same delay set after the probe's: had the probe used real time, it would have fired first.
    await new Promise((r) => setTimeout(r, 50));
    await waitFor('the request to reach the server', () => hits.get('/hang') === 1);
    assert.equal(result, undefined, 'settled on real time');
    await advance(clock, 49);
    assert.equal(result, undefined);
    await advance(clock, 1);
    assert.deepEqual(result, { ok: false, detail: 'timed out after 50 ms' });
    assert.equal(clock.pending(), 0);
  });

  test('a bad URL or scheme is a failure, not a rejection', async () => {
    assert.deepEqual(await runProbe({ kind: 'http', url: 'not a url' }, T), { ok: false, detail: 'invalid URL "not a url"' });
    const r = await runProbe({ kind: 'http', url: 'ftp://127.0.0.1/' }, T);
    assert.equal(r.ok, false);
    assert.match(r.detail, /unsupported URL scheme "ftp:"/);
  });
});

describe('tcp probe', () => {
  let server: TcpServer;
  const sockets = new Set<Socket>();

  before(async () => {
    server = createTcpServer((s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await listen(server);
  });

  after(async () => {
    for (const s of sockets) s.destroy();
    await close(server);
  });

  test('a listening port is healthy', async () => {
    assert.deepEqual(await runProbe({ kind: 'tcp', host: '127.0.0.1', port: portOf(server) }, T), { ok: true, detail: 'connected' });
  });

  test('a closed port is "connection refused"', async () => {
    assert.deepEqual(await runProbe({ kind: 'tcp', host: '127.0.0.1', port: await closedPort() }, T), { ok: false, detail: 'connection refused' });
  });

  test('an IPv6 loopback listener, given as [::1]:PORT', async (t) => {
    let v6: TcpServer;
    try {
      v6 = await listen(createTcpServer(), '::1');
    } catch {
      t.skip('no IPv6 loopback here');
      return;
    }
    try {
      const target = parseTcpTarget(`[::1]:${portOf(v6)}`);
      assert.ok(typeof target !== 'string', String(target));
      assert.deepEqual(await runProbe({ kind: 'tcp', ...target }, T), { ok: true, detail: 'connected' });
    } finally {
      await close(v6);
    }
  });
});

describe('file probe', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'colony-probe-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('an existing file or directory is healthy', async () => {
    writeFileSync(join(dir, 'ready'), '');
    assert.deepEqual(await runProbe({ kind: 'file', path: join(dir, 'ready') }, T), { ok: true, detail: 'exists' });
    assert.deepEqual(await runProbe({ kind: 'file', path: dir }, T), { ok: true, detail: 'exists' });
  });

  test('a missing file, or a path through a file, is "no such file"', async () => {
    assert.deepEqual(await runProbe({ kind: 'file', path: join(dir, 'absent') }, T), { ok: false, detail: 'no such file' });
    writeFileSync(join(dir, 'plain'), '');
    assert.deepEqual(await runProbe({ kind: 'file', path: join(dir, 'plain', 'below') }, T), { ok: false, detail: 'no such file' });
  });
});

// Whether a pid is gone (or only a zombie left for its parent to reap).
function dead(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

describe('exec probe', () => {
  let dir = '';
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'colony-probe-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin' };

  test('exit 0 is healthy, any other exit code a failure', async () => {
    assert.deepEqual(await runProbe({ kind: 'exec', args: ['true'] }, { ...T, env }), { ok: true, detail: 'exit code 0' });
    assert.deepEqual(await runProbe({ kind: 'exec', args: ['false'] }, { ...T, env }), { ok: false, detail: 'exit code 1' });
    assert.deepEqual(await runProbe({ kind: 'exec', args: ['sh', '-c', 'exit 3'] }, { ...T, env }), { ok: false, detail: 'exit code 3' });
  });

  test('a command that does not exist is a failure, not a rejection', async () => {
    const r = await runProbe({ kind: 'exec', args: [join(dir, 'no-such-command')] }, { ...T, env });
    assert.deepEqual(r, { ok: false, detail: 'executable not found (ENOENT)' });
  });

  test('runs with exactly the given environment and working directory', async () => {
    const script = `test "$FOO" = bar && test -z "$HOME_OF_TEST" && test "$(pwd -P)" = "${realpathSync(dir)}"`;
    process.env.HOME_OF_TEST = 'not inherited';
    try {
      assert.deepEqual(await runProbe({ kind: 'exec', args: ['sh', '-c', script] }, { ...T, env: { ...env, FOO: 'bar' }, cwd: dir }), { ok: true, detail: 'exit code 0' });
      assert.deepEqual(await runProbe({ kind: 'exec', args: ['sh', '-c', script] }, { ...T, env: { ...env, FOO: 'baz' }, cwd: dir }), { ok: false, detail: 'exit code 1' });
    } finally {
      delete process.env.HOME_OF_TEST;
    }
  });

  test('runs as the given uid and gid', { skip: process.getuid?.() !== 0 && 'needs root' }, async () => {
    const args = ['sh', '-c', 'test "$(id -u):$(id -g)" = 65534:65533'];
    assert.deepEqual(await runProbe({ kind: 'exec', args }, { ...T, env, uid: 65534, gid: 65533, cwd: '/' }), { ok: true, detail: 'exit code 0' });
    assert.deepEqual(await runProbe({ kind: 'exec', args }, { ...T, env, cwd: '/' }), { ok: false, detail: 'exit code 1' });
  });

  test('on timeout the whole process group is killed with SIGKILL (SIGTERM ignored)', async () => {
    const statuses: ExitStatus[] = [];
    const recording: Spawner = (req) => {
      const child = realSpawner(req);
      child.onExit((s) => statuses.push(s));
      return child;
    };
    const own = new Set<number>();
    const script = `trap '' TERM; sleep 30 & echo $! > kid; echo $$ > me; wait; wait`;
    const begun = Date.now();
    const pending = runProbe({ kind: 'exec', args: ['sh', '-c', script] }, { timeoutMs: 400, env, cwd: dir, own, spawner: recording });
    const kid = await waitFor('the background sleep pid', () => {
      try {
        return Number(readFileSync(join(dir, 'kid'), 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    });
    // `me` is written after `kid`: wait for it too (reading it at once raced with the shell).
    const me = await waitFor('the command pid', () => {
      try {
        return Number(readFileSync(join(dir, 'me'), 'utf8')) || undefined;
      } catch {
        return undefined;
      }
    });
    assert.deepEqual([...own], [me], 'the command pid is in `own` while it runs');
    const r = await pending;
    const took = Date.now() - begun;
    assert.deepEqual(r, { ok: false, detail: 'timed out after 400 ms' });
    assert.ok(took >= 390 && took < 5000, `took ${took} ms`);
    assert.deepEqual(statuses, [{ code: null, signal: 'SIGKILL' }]);
    assert.ok(dead(me), `the command ${me} still runs`);
    await waitFor(`the grandchild ${kid} is killed too`, () => dead(kid), 3000);
    assert.equal(own.size, 0, 'the pid is released from `own` at its exit');
  });

  test('output is drained: a chatty command does not block on a full pipe', async () => {
    const r = await runProbe({ kind: 'exec', args: ['sh', '-c', 'head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2'] }, { ...T, env });
    assert.deepEqual(r, { ok: true, detail: 'exit code 0' });
  });
});

describe('exec probe on virtual time', () => {
  // Starts an exec probe of `timeoutMs` on a fake clock with fake commands; `result` is set when it settles.
  function start(timeoutMs = 500, over: Partial<ProbeOptions> = {}) {
    const clock = new FakeClock();
    const world = fakeExecWorld(clock);
    const own = new Set<number>();
    const run: { result: ProbeResult | undefined; settledAt: number | undefined } = { result: undefined, settledAt: undefined };
    void runProbe({ kind: 'exec', args: ['check', '--quick'] }, { timeoutMs, env: { PATH: '/bin' }, cwd: '/srv', uid: 7, gid: 8, own, clock, spawner: world.spawner, kill: world.kill, ...over }).then((r) => {
      run.result = r;
      run.settledAt = clock.now();
    });
    return { clock, world, own, run };
  }

  test('the command is started as asked and its pid is in `own` while it runs', async () => {
    const { world, own } = start();
    await flush();
    assert.equal(world.commands.length, 1);
    const request = world.commands[0]!.request;
    assert.deepEqual({ args: request.args, env: request.env, cwd: request.cwd, uid: request.uid, gid: request.gid }, { args: ['check', '--quick'], env: { PATH: '/bin' }, cwd: '/srv', uid: 7, gid: 8 });
    assert.deepEqual([...own], [4000]);
  });

  test('a command that outlives its timeout: SIGKILL to its process group exactly at the timeout, the result once it dies', async () => {
    const { clock, world, own, run } = start(500);
    await advance(clock, 499);
    assert.deepEqual(world.signals, [], 'no signal before the timeout');
    await advance(clock, 1);
    assert.deepEqual(world.signals, [{ pid: -4000, signal: 'SIGKILL', at: 500 }]);
    assert.equal(run.result, undefined, 'the result waits for the command to die');
    await advance(clock, 100);
    world.commands[0]!.exit({ code: null, signal: 'SIGKILL' });
    await flush();
    assert.deepEqual(run.result, { ok: false, detail: 'timed out after 500 ms' });
    assert.equal(run.settledAt, 600);
    assert.equal(own.size, 0, 'the pid is released at its exit');
    assert.equal(clock.pending(), 0, 'the kill wait is cleared');
  });

  test('a command that does not die after the SIGKILL: the result is a timeout KILL_WAIT_MS later', async () => {
    const { clock, world, run } = start(500);
    await advance(clock, 500 + KILL_WAIT_MS - 1);
    assert.equal(run.result, undefined);
    await advance(clock, 1);
    assert.deepEqual(run.result, { ok: false, detail: 'timed out after 500 ms' });
    assert.equal(run.settledAt, 500 + KILL_WAIT_MS);
    assert.deepEqual(world.signals, [{ pid: -4000, signal: 'SIGKILL', at: 500 }], 'one SIGKILL, not repeated');
    assert.equal(clock.pending(), 0);
    world.commands[0]!.exit({ code: 0, signal: null }); // a late exit changes nothing
    await flush();
    assert.deepEqual(run.result, { ok: false, detail: 'timed out after 500 ms' });
  });

  test('no such process group (ESRCH): the SIGKILL goes to the pid itself', async () => {
    const { clock, world } = start(500);
    world.noGroup = true;
    await advance(clock, 500);
    assert.deepEqual(world.signals, [
      { pid: -4000, signal: 'SIGKILL', at: 500 },
      { pid: 4000, signal: 'SIGKILL', at: 500 },
    ]);
  });

  const exits: Array<[string, { code: number | null; signal: NodeJS.Signals | null }, ProbeResult]> = [
    ['exit code 0 is ok', { code: 0, signal: null }, { ok: true, detail: 'exit code 0' }],
    ['a non-zero exit code is a failure naming it', { code: 3, signal: null }, { ok: false, detail: 'exit code 3' }],
    ['a death by a signal is a failure naming it', { code: null, signal: 'SIGSEGV' }, { ok: false, detail: 'killed by SIGSEGV' }],
  ];
  for (const [name, status, expected] of exits) {
    test(`in time: ${name}, at once and with no signal sent`, async () => {
      const { clock, world, own, run } = start(500);
      await advance(clock, 499);
      world.commands[0]!.exit(status);
      await flush();
      assert.deepEqual(run.result, expected);
      assert.equal(run.settledAt, 499);
      await advance(clock, 5000);
      assert.deepEqual(world.signals, []);
      assert.equal(own.size, 0);
      assert.equal(clock.pending(), 0, 'the timeout is cleared');
    });
  }

  test('a spawn that throws is a failure saying so, with nothing left running', async () => {
    const clock = new FakeClock();
    const world = fakeExecWorld(clock);
    world.failSpawn = Object.assign(new Error('spawn EAGAIN'), { code: 'EAGAIN' });
    const own = new Set<number>();
    const r = await runProbe({ kind: 'exec', args: ['check'] }, { timeoutMs: 500, own, clock, spawner: world.spawner, kill: world.kill });
    assert.deepEqual(r, { ok: false, detail: 'could not start: spawn EAGAIN' });
    assert.equal(clock.pending(), 0);
    assert.equal(own.size, 0);
    assert.deepEqual(world.signals, []);
  });

  test('a command that cannot be started (no pid, a spawn error at its exit) is a failure naming the error, never signalled', async () => {
    const clock = new FakeClock();
    const world = fakeExecWorld(clock);
    let command: FakeCommand | undefined;
    let result: ProbeResult | undefined;
    const spawner = (req: Parameters<typeof world.spawner>[0]): FakeCommand => (command = new FakeCommand(undefined, req));
    void runProbe({ kind: 'exec', args: ['missing'] }, { timeoutMs: 500, clock, spawner, kill: world.kill }).then((r) => (result = r));
    await advance(clock, 10);
    command!.exit({ code: null, signal: null, spawnError: 'ENOENT' });
    await flush();
    assert.deepEqual(result, { ok: false, detail: 'executable not found (ENOENT)' });
    await advance(clock, 5000);
    assert.deepEqual(world.signals, []);
    assert.equal(clock.pending(), 0);
  });

  test('an empty command is a failure, and nothing is started', async () => {
    const clock = new FakeClock();
    const world = fakeExecWorld(clock);
    assert.deepEqual(await runProbe({ kind: 'exec', args: [] }, { timeoutMs: 500, clock, spawner: world.spawner }), { ok: false, detail: 'no command to run' });
    assert.equal(world.commands.length, 0);
  });
});

describe('log probe', () => {
  test('is not run: runProbe throws at once', () => {
    assert.throws(() => runProbe({ kind: 'log', pattern: /ready/ }, T), /log probe/);
  });
});

describe('parseTcpTarget', () => {
  const good: Array<[string, string, number]> = [
    ['127.0.0.1:6379', '127.0.0.1', 6379],
    ['localhost:80', 'localhost', 80],
    ['[::1]:8080', '::1', 8080],
    [':6379', '127.0.0.1', 6379],
    ['6379', '127.0.0.1', 6379],
    ['db.internal:5432', 'db.internal', 5432],
    ['[fe80::1]:1', 'fe80::1', 1],
    ['host:65535', 'host', 65535],
  ];
  for (const [input, host, port] of good) {
    test(`${input} → ${host} port ${port}`, () => {
      assert.deepEqual(parseTcpTarget(input), { host, port });
    });
  }

  const bad: Array<[string, RegExp]> = [
    ['', /empty/],
    ['localhost', /has no port/],
    ['localhost:', /port "" is not a number/],
    ['localhost:http', /port "http" is not a number/],
    ['localhost:0', /out of range/],
    ['localhost:65536', /out of range/],
    ['::1:8080', /must be in brackets/],
    ['[::1]', /not \[IPV6\]:PORT/],
    ['[127.0.0.1]:80', /not an IPv6 address/],
    ['bad host:80', /not a host name or address/],
    [' localhost:80', /spaces/],
  ];
  for (const [input, message] of bad) {
    test(`${JSON.stringify(input)} is refused`, () => {
      const r = parseTcpTarget(input);
      assert.equal(typeof r, 'string', `parsed as ${JSON.stringify(r)}`);
      assert.match(r as string, message);
    });
  }
});

describe('formatting', () => {
  test('durations', () => {
    assert.equal(formatDuration(2000), '2 s');
    assert.equal(formatDuration(1500), '1.5 s');
    assert.equal(formatDuration(250), '250 ms');
  });

  test('probe descriptions', () => {
    assert.equal(describeProbe({ kind: 'tcp', host: '::1', port: 80 }), 'tcp [::1]:80');
    assert.equal(describeProbe({ kind: 'exec', args: ['pg_isready', '-q'] }), 'exec ["pg_isready","-q"]');
  });
});
