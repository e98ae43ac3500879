// The main command as `docker run IMAGE CMD` runs it, without a terminal: colony's stdin reaches it,
// colony's stdout is exactly what it wrote, colony's log keeps to stderr (silent when all is well),
// the signals colony receives reach it unchanged, and --only / COLONY_ONLY choose which of the
// image's processes run beside it. (On a terminal: terminal.test.ts.)
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FIXTURES, scratch } from '../helpers/colony.ts';
import { MainColony } from '../helpers/main-command.ts';
import { waitFor } from '../helpers/wait.ts';

const SIGNALS_PY = join(FIXTURES, 'all-signals.py');
const sleeper = (s: number) => ({ args: ['sleep', String(s)] });

describe('the main command without a terminal', () => {
  const started: MainColony[] = [];
  const start = (o: ConstructorParameters<typeof MainColony>[0]): MainColony => {
    const c = new MainColony(o);
    started.push(c);
    return c;
  };
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it("reads colony's stdin; colony prints nothing of its own when all is well", async () => {
    const c = start({ main: ['/bin/sh', '-c', 'read x; echo "got:$x"; exit 3'], stdin: 'pipe' });
    c.child.stdin!.end('hi\n');
    assert.deepEqual(await c.wait(), { code: 3, signal: null });
    assert.equal(c.text, 'got:hi\n');
    assert.equal(c.stderr, '', "no colony record: the command's exit is passed on, not reported");
  });

  it("colony's stdout is byte for byte what the command wrote (100 MB of binary, no final newline), while other processes print lines, one with output: inherit", async () => {
    const d = scratch();
    const file = join(d.dir, 'data.bin');
    const all = Buffer.alloc(256);
    for (let i = 0; i < 256; i++) all[i] = i;
    const data = Buffer.concat([all, randomBytes(100 * 1024 * 1024 - 256 - 1), Buffer.from([0x41])]); // ends in "A", not "\n"
    writeFileSync(file, data);
    const c = start({
      main: ['/bin/cat', file],
      files: {
        chatty: { args: ['/bin/sh', '-c', 'while :; do echo chatty-line; sleep 0.01; done'] },
        // output: inherit writes to colony's own fds: here its stderr, never the command's stdout
        direct: { args: ['/bin/sh', '-c', 'while :; do echo direct-line; echo direct-err >&2; sleep 0.01; done'], output: 'inherit' },
      },
    });
    assert.deepEqual(await c.wait(60_000), { code: 0, signal: null });
    assert.match(c.stderr, /^direct-line$/m);
    assert.match(c.stderr, /^direct-err$/m);
    assert.equal(c.bytes, data.length);
    assert.equal(createHash('sha256').update(c.stdout).digest('hex'), createHash('sha256').update(data).digest('hex'));
    assert.ok(c.records().some((r) => r.proc === 'chatty' && r.msg === 'chatty-line'), "the other process's lines are in colony's log, on stderr");
  });

  it("a problem is still said: warnings and errors on stderr, the command's output untouched", async () => {
    const c = start({ main: ['/bin/sh', '-c', 'sleep 0.5; echo done'], files: { broken: { args: 'not-a-list' } as unknown as object } });
    assert.deepEqual(await c.wait(), { code: 0, signal: null });
    assert.equal(c.text, 'done\n');
    assert.ok(c.records().some((r) => r.level === 'error' && /broken/.test(String(r.file ?? r.msg))), c.stderr);
  });

  it('each signal colony receives reaches the command unchanged; SIGINT and the main-only ones reach nothing else', async () => {
    const c = start({ main: [SIGNALS_PY], files: { other: { args: [SIGNALS_PY] } }, args: ['--log-only', 'all'] });
    await c.waitOutput('READY');
    await waitFor('the other process READY', () => c.records().some((r) => r.proc === 'other' && String(r.msg).startsWith('READY')));
    const broadcast = ['SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGWINCH', 'SIGTTIN', 'SIGTTOU'] as const;
    const mainOnly = ['SIGINT', 'SIGALRM', 'SIGCONT', 'SIGPWR', 'SIGURG', 'SIGVTALRM', 'SIGXCPU', 'SIGXFSZ', 'SIGIO', 'SIGSTKFLT'] as const;
    for (const sig of [...broadcast, ...mainOnly]) {
      c.signal(sig);
      await c.waitOutput(`got ${sig}\n`);
    }
    for (const sig of broadcast) await waitFor(`${sig} reached the other process`, () => c.records().some((r) => r.proc === 'other' && r.msg === `got ${sig}`));
    c.signal('SIGTERM');
    assert.deepEqual(await c.wait(), { code: 0, signal: null });
    assert.ok(c.text.endsWith('got SIGTERM\n'), 'SIGTERM last: it started the shutdown');
    const other = c.records().filter((r) => r.proc === 'other' && String(r.msg).startsWith('got ')).map((r) => r.msg);
    for (const sig of mainOnly) assert.ok(!other.includes(`got ${sig}`), `${sig} went to the main command alone`);
    assert.ok(other.includes('got SIGTERM'), 'the other process got its stop signal');
    assert.equal(c.records().filter((r) => r.proc === 'main' && r.msg === 'started').length, 1, 'never restarted');
  });

  it('SIGQUIT stops the container, and the command gets SIGQUIT itself', async () => {
    const c = start({ main: [SIGNALS_PY], files: { other: { args: [SIGNALS_PY] } }, args: ['--killtime', '1', '--log-only', 'all'] });
    await c.waitOutput('READY');
    await waitFor('the other process READY', () => c.records().some((r) => r.proc === 'other' && String(r.msg).startsWith('READY')));
    c.signal('SIGQUIT');
    await c.wait();
    assert.match(c.text, /got SIGQUIT\n/);
    assert.ok(c.records().some((r) => r.proc === 'other' && r.msg === 'got SIGTERM'), 'the others get their stop signal');
  });

  it('a Python command killed by the SIGINT colony passed on shows KeyboardInterrupt; colony exits 130', async () => {
    const c = start({ main: ['python3', '-c', "import time; print('READY', flush=True); time.sleep(60)"], files: { other: sleeper(60) } });
    await c.waitOutput('READY');
    c.signal('SIGINT');
    assert.deepEqual(await c.wait(), { code: 130, signal: null });
    assert.match(c.stderr, /KeyboardInterrupt/);
  });

  it('a second signal during the shutdown goes to the command (Ctrl-C twice)', async () => {
    const py = "import signal, sys, time\nsignal.signal(signal.SIGTERM, lambda *a: print('got SIGTERM', flush=True))\nsignal.signal(signal.SIGINT, lambda *a: (print('got SIGINT', flush=True), sys.exit(9)))\nprint('READY', flush=True)\nwhile True: time.sleep(1)";
    const c = start({ main: ['python3', '-c', py], args: ['--killtime', '30', '--stop-timeout', '30'] });
    await c.waitOutput('READY');
    const t0 = Date.now();
    c.signal('SIGTERM');
    await c.waitOutput('got SIGTERM');
    c.signal('SIGINT');
    assert.deepEqual(await c.wait(), { code: 9, signal: null });
    assert.equal(c.text, 'READY\ngot SIGTERM\ngot SIGINT\n');
    assert.ok(Date.now() - t0 < 20_000, 'ended by the second signal, not by the kill time');
  });

  it("--main-output log: the command's lines in colony's JSON log on stdout, as a supervised process's", async () => {
    const c = start({ main: ['/bin/sh', '-c', 'echo hello; echo oops >&2'], args: ['--main-output', 'log', '--log-format', 'json'] });
    assert.deepEqual(await c.wait(), { code: 0, signal: null });
    const recs = c.text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(recs.some((r) => r.proc === 'main' && r.stream === 'stdout' && r.msg === 'hello'));
    assert.ok(recs.some((r) => r.proc === 'main' && r.stream === 'stderr' && r.msg === 'oops'));
    assert.ok(recs.some((r) => /colony .* starting/.test(String(r.msg))), "colony's own records too");
  });
});

describe('--only and COLONY_ONLY', () => {
  const started: MainColony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });
  const files = { redis: sleeper(101), web: { ...sleeper(102), after: ['redis'] }, worker: sleeper(103) };
  const statusOf = (c: MainColony) => JSON.parse(readFileSync(join(c.dirs.state, 'status.json'), 'utf8')) as { processes: Array<{ name: string; state: string; leftOut: boolean; lastExit: unknown }> };
  // The processes of the config directory running now, known by their sleep's length.
  const running = (c: MainColony): string[] => {
    const names: Record<string, string> = { '101': 'redis', '102': 'web', '103': 'worker' };
    return c.childArgvs().flatMap((argv) => (argv[0] === 'sleep' && names[argv[1]!] ? [names[argv[1]!]!] : []));
  };

  const ways: Array<[string, { env?: NodeJS.ProcessEnv; args?: string[] }]> = [
    ['COLONY_ONLY=web', { env: { COLONY_ONLY: 'web' } }],
    ['--only web', { args: ['--only', 'web'] }],
  ];
  for (const [how, o] of ways) {
    it(`${how}: web and redis (web is "after" it) run, worker is left out and shown so`, async () => {
      const c = new MainColony({ main: ['sleep', '60'], files, ...o });
      started.push(c);
      await waitFor('redis and web running', () => {
        const r = running(c);
        return r.includes('redis') && r.includes('web');
      }, 15_000);
      await waitFor('status shows worker left out', () => statusOf(c).processes.find((p) => p.name === 'worker')?.leftOut === true);
      assert.deepEqual(running(c).sort(), ['redis', 'web']);
      assert.equal(statusOf(c).processes.find((p) => p.name === 'worker')?.state, 'idle');
      c.signal('SIGTERM');
      assert.equal((await c.wait()).code, 0);
    });
  }

  it('COLONY_ONLY=redis: the command starts once redis is ready (its tcp probe passes), not before', async () => {
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    // A "redis" that listens only after a second: a command started at once would be refused.
    const server = `import socket, time\ntime.sleep(1)\ns = socket.socket()\ns.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)\ns.bind(('127.0.0.1', ${port}))\ns.listen()\nwhile True: s.accept()[0].close()`;
    const c = new MainColony({
      main: ['python3', '-c', `import socket; socket.create_connection(('127.0.0.1', ${port}), timeout=5).close(); print('connected')`],
      files: { redis: { args: ['python3', '-c', server], ready: { tcp: `127.0.0.1:${port}` } }, worker: sleeper(103) },
      env: { COLONY_ONLY: 'redis' },
    });
    started.push(c);
    assert.deepEqual(await c.wait(), { code: 0, signal: null }, c.stderr);
    assert.equal(c.text, 'connected\n');
  });

  it('Ctrl-C while the command still waits for them: colony stops, the command never runs', async () => {
    const c = new MainColony({
      main: ['/bin/echo', 'should not run'],
      files: { redis: { ...sleeper(104), ready: { tcp: '127.0.0.1:1', timeout: 300 } } }, // never ready
      env: { COLONY_ONLY: 'redis' },
    });
    started.push(c);
    await waitFor('redis running', () => c.childArgvs().some((a) => a[0] === 'sleep' && a[1] === '104'), 15_000);
    c.signal('SIGINT');
    assert.deepEqual(await c.wait(), { code: 0, signal: null });
    assert.equal(c.text, '');
  });

  it('COLONY_ONLY= (empty) runs none of them: just the command', async () => {
    const c = new MainColony({ main: ['/bin/sh', '-c', 'sleep 1; echo migrated'], files, env: { COLONY_ONLY: '' } });
    started.push(c);
    assert.deepEqual(await c.wait(), { code: 0, signal: null });
    assert.equal(c.text, 'migrated\n');
    const st = statusOf(c);
    assert.deepEqual(st.processes.filter((p) => p.name !== 'main').map((p) => [p.name, p.leftOut, p.lastExit]).sort(), [['redis', true, null], ['web', true, null], ['worker', true, null]], 'defined, left out, never run');
  });
});
