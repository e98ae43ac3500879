// The image test: dist/colony (the single executable) in a Debian bookworm minbase root without
// Node.js, with the example app's descriptors and Debian's gunicorn, celery and redis, as PID 1 of
// new PID and mount namespaces (and its own network namespace), with the default directories —
// what `docker run` of the example image does, without a Docker engine.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT as REPO } from '../helpers/colony.ts';
import { onLines, parseRecord } from '../helpers/lines.ts';
import { Launch } from '../helpers/pid1.ts';
import { TerminalColony } from '../helpers/terminal.ts';
import { groups, zombies } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const BINARY = join(REPO, 'dist/colony');
const ENV = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOME: '/root', LANG: 'C.UTF-8' };
type Rec = Record<string, unknown> & { msg?: string; proc?: string; pid?: number; stream?: string };

// The cached root from root.sh, or the reason it cannot be had.
function debianRoot(): { root?: string; why?: string } {
  const r = spawnSync(join(REPO, 'test/image/root.sh'), { encoding: 'utf8' });
  if (r.status === 0) return { root: r.stdout.trim() };
  return { why: `${r.stderr.trim()} (exit ${r.status})` };
}

// colony as PID 1 inside `root`, in network namespace `netns`; its JSON log collected.
class Contained {
  readonly records: Rec[] = [];
  private readonly launch: Launch;
  readonly exited: Promise<number | null>;
  // `cmd` must end in (or exec into) `unshare --pid --fork ... colony run`.
  constructor(cmd: string[]) {
    this.launch = new Launch(['env', '-i', ...Object.entries(ENV).map(([k, v]) => `${k}=${v}`), ...cmd], { stderr: 'inherit' });
    onLines(this.launch.child.stdout!, (line) => this.records.push(parseRecord<Rec>(line, 'msg')));
    this.exited = this.launch.exited.then((e) => e.code);
  }
  // colony's host pid: the only child of `unshare --pid --fork` (env, ip netns exec, sh -c 'exec ...' all exec).
  get pid(): number {
    return this.launch.pid;
  }
  destroy(): Promise<void> {
    return this.launch.destroy();
  }
  find(pred: (r: Rec) => boolean, from = 0): Rec | undefined {
    return this.records.slice(from).find(pred);
  }
  output(proc: string): string[] {
    return this.records.filter((r) => r.proc === proc && r.stream).map((r) => String(r.msg));
  }
  started(proc: string, from = 0): Promise<number> {
    return waitFor(`${proc} started`, () => this.find((r) => r.proc === proc && r.msg === 'started', from)?.pid, 30_000);
  }
  // A command inside the container (docker exec): colony's PID, mount, network namespaces and root.
  exec(...cmd: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync('nsenter', ['-t', String(this.pid), '-p', '-m', '-n', '-r', '-w', ...cmd], { encoding: 'utf8', env: ENV, timeout: 30_000 });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }
  http(path: string, port = 8000): string | undefined {
    const r = this.exec('/usr/bin/python3', '-c', `import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:${port}${path}', timeout=3).read().decode(), end='')`);
    return r.status === 0 ? r.stdout : undefined;
  }
  log(): string {
    return this.records.map((r) => JSON.stringify(r)).join('\n');
  }
}

describe('the single executable in a Debian root without Node.js', { timeout: 600_000 }, () => {
  let root: string | undefined;
  let skip: string | undefined;
  let work: string | undefined;
  const netns = `colony-image-${process.pid}`;
  const running: Contained[] = [];

  before(() => {
    if (!existsSync(BINARY)) throw new Error(`${BINARY} is missing: run npm run build:sea first`);
    const base = debianRoot();
    if (!base.root) {
      skip = `no Debian root: ${base.why}`;
      console.log(`# SKIPPED: ${skip}`);
      return;
    }
    // A private copy of the cached root, with colony and the example installed as the Dockerfile does.
    work = mkdtempSync(join(tmpdir(), 'colony-image-'));
    root = join(work, 'root');
    const cp = spawnSync('cp', ['-a', base.root, root]);
    assert.equal(cp.status, 0, String(cp.stderr));
    cpSync(BINARY, join(root, 'usr/local/bin/colony'));
    cpSync(join(REPO, 'example/app'), join(root, 'app'), { recursive: true });
    mkdirSync(join(root, 'etc/colony/config'), { recursive: true });
    for (const f of readdirSync(join(REPO, 'config.example/python'))) {
      cpSync(join(REPO, 'config.example/python', f), join(root, 'etc/colony/config', f));
      chmodSync(join(root, 'etc/colony/config', f), 0o644); // the Dockerfile's `RUN chmod -R go-w`
    }
    cpSync(join(REPO, 'test/fixtures/orphans.sh'), join(root, 'usr/local/bin/orphans.sh'));
    assert.ok(!existsSync(join(root, 'usr/bin/node')), 'the root has no Node.js');
    spawnSync('ip', ['netns', 'del', netns]);
    for (const cmd of [['netns', 'add', netns], ['netns', 'exec', netns, 'ip', 'link', 'set', 'lo', 'up']]) {
      const r = spawnSync('ip', cmd, { encoding: 'utf8' });
      assert.equal(r.status, 0, `ip ${cmd.join(' ')}: ${r.stderr}`);
    }
  });

  after(async () => {
    for (const c of running) await c.destroy();
    spawnSync('ip', ['netns', 'del', netns]);
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('runs gunicorn, celery worker and beat, and redis; restarts, stops and starts through ctl; reaps; stops with 0', async (t) => {
    if (skip) return t.skip(skip);
    const c = new Contained(['ip', 'netns', 'exec', netns, 'unshare', '--pid', '--fork', '--mount-proc', `--root=${root!}`, '/usr/bin/env', 'COLONY_METRICS=0.0.0.0:9100', '/usr/local/bin/colony', 'run']); // the Dockerfile's ENV COLONY_METRICS
    running.push(c);
    await waitFor('colony ready', () => c.find((r) => String(r.msg).startsWith('ready: watching')), 30_000);
    assert.ok(c.find((r) => r.msg === 'running as PID 1: reaping orphans'), c.log());
    assert.ok(c.find((r) => r.config === '/etc/colony/config' && r.messages === '/run/colony/messages'), 'default directories');

    // gunicorn serves on loopback
    const master1 = await c.started('web');
    const body1 = await waitFor('gunicorn to answer', () => c.http('/'), 60_000);
    assert.match(body1, new RegExp(`\\(master ${master1}\\)`));

    // `colony ctl restart web` from inside the container: a new master that serves again
    const mark = c.records.length;
    const ctl = c.exec('/usr/local/bin/colony', 'ctl', 'restart', 'web');
    assert.equal(ctl.status, 0, ctl.stderr);
    assert.match(ctl.stdout, /^\/run\/colony\/messages\//);
    const master2 = await c.started('web', mark);
    assert.notEqual(master2, master1);
    const body2 = await waitFor('the new master to answer', () => {
      const b = c.http('/');
      return b && b.includes(`(master ${master2})`) ? b : undefined;
    }, 60_000);
    assert.match(body2, /hello from gunicorn worker/);

    // ctl upgrade web: gunicorn's USR2 and READY=1 through the single executable; the new master is the main pid, no restart
    const upMark = c.records.length;
    const upgrade = c.exec('/usr/local/bin/colony', 'ctl', 'upgrade', 'web', '--wait', '--timeout', '25');
    assert.equal(upgrade.status, 0, `${JSON.stringify(upgrade)}\n${c.log().slice(-3000)}`);
    // (exec blocks this process: colony's log is read on once it returns)
    const handed = await waitFor('the hand-over in the log', () => c.records.slice(upMark).find((r) => r.proc === 'web' && /^main pid handed over: \d+ → \d+ \(READY=1 from it\)/.test(String(r.msg))), 30_000);
    const master3 = Number(handed.pid);
    assert.notEqual(master3, master2);
    assert.equal(c.records.slice(upMark).find((r) => r.proc === 'web' && r.msg === 'started'), undefined, 'no restart');
    await waitFor('the upgraded master to answer', () => c.http('/')?.includes(`(master ${master3})`), 60_000);

    // celery: redis up, the worker runs a task queued by the web app; beat is up
    await waitFor('redis ready', () => c.output('redis').some((l) => /Ready to accept connections/.test(l)), 60_000);
    await waitFor('celery worker ready', () => c.output('worker').some((l) => /ready\./.test(l)), 90_000);
    await waitFor('beat started', () => c.output('beat').some((l) => /beat: Starting/.test(l)), 60_000);
    // after: ["redis"] with redis's ready tcp probe: the worker and beat start only once redis accepts connections
    const at = (pred: (r: Rec) => boolean): number => c.records.findIndex(pred);
    const redisReady = at((r) => r.proc === 'redis' && r.msg === 'ready');
    assert.ok(redisReady >= 0, 'redis became ready');
    for (const n of ['worker', 'beat']) assert.ok(at((r) => r.proc === n && r.msg === 'started') > redisReady, `${n} started after redis was ready`);
    const queued = await waitFor('a task queued', () => c.http('/enqueue'), 30_000);
    assert.match(queued, /^queued /);
    await waitFor('the worker ran the task', () => c.output('worker').some((l) => /add\(2, 3\) = 5/.test(l)), 60_000);

    // the image's HEALTHCHECK: `colony ctl check` inside the container; and `ctl status`
    const health = await waitFor('ctl check ok', () => {
      const r = c.exec('/usr/local/bin/colony', 'ctl', 'check');
      return r.status === 0 ? r : undefined;
    }, 60_000);
    assert.equal(health.stdout.trim(), 'ok');
    const table = c.exec('/usr/local/bin/colony', 'ctl', 'status');
    assert.equal(table.status, 0, table.stderr);
    assert.match(table.stdout, /^web \*\s+running/m);
    assert.match(table.stdout, /^worker\s+running/m);

    // ctl stop keeps beat down, ctl start brings it back (the single executable, inside the root)
    const stop = c.exec('/usr/local/bin/colony', 'ctl', 'stop', 'beat', '--wait', '--timeout', '25');
    assert.equal(stop.status, 0, stop.stderr);
    assert.match(c.exec('/usr/local/bin/colony', 'ctl', 'status').stdout, /^beat\s+stopped \(by request\)/m);
    const beatMark = c.records.length;
    const start = c.exec('/usr/local/bin/colony', 'ctl', 'start', 'beat', '--wait', '--timeout', '25');
    assert.equal(start.status, 0, start.stderr);
    await c.started('beat', beatMark);

    // ctl events: beat's stop and start as state changes; the metrics endpoint the image serves
    const events = c.exec('/usr/local/bin/colony', 'ctl', 'events', 'beat');
    assert.equal(events.status, 0, events.stderr);
    const beatStates = events.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; to: string; reason?: string }).filter((e) => e.event === 'state');
    assert.deepEqual(beatStates.slice(-3).map((e) => [e.to, e.reason ?? '']), [['stopping', ''], ['stopped', 'requested'], ['running', '']]);
    const metrics = await waitFor('the metrics endpoint', () => c.http('/metrics', 9100), 10_000);
    assert.match(metrics, /^colony_process_up\{name="web",group="app"\} 1$/m);
    assert.match(metrics, /^colony_process_restarts_total\{name="web",group="app"\} 1$/m, 'the ctl restart of web');

    // ctl logs: one process's recent lines, kept by colony inside the root
    const beatLogs = c.exec('/usr/local/bin/colony', 'ctl', 'logs', 'beat', '-n', '200');
    assert.equal(beatLogs.status, 0, beatLogs.stderr);
    assert.match(beatLogs.stdout, /beat: Starting/);
    assert.doesNotMatch(beatLogs.stdout, /^(web|worker|redis) \|/m, 'beat alone, no prefix');

    // "replicas": two instances, each with its own COLONY_REPLICA; a rolling restart; their kept lines
    writeFileSync(join(root!, 'etc/colony/config/echo.json'), JSON.stringify({ args: ['/bin/sh', '-c', 'echo "replica $COLONY_REPLICA"; exec sleep 100000'], replicas: 2 }));
    await c.started('echo:1');
    await c.started('echo:2');
    const echoMark = c.records.length;
    const rolling = c.exec('/usr/local/bin/colony', 'ctl', 'restart', 'echo', '--rolling', '--timeout', '25');
    assert.equal(rolling.status, 0, rolling.stderr);
    await c.started('echo:2', echoMark);
    const echoLogs = c.exec('/usr/local/bin/colony', 'ctl', 'logs', 'echo');
    assert.equal(echoLogs.status, 0, echoLogs.stderr);
    assert.deepEqual(echoLogs.stdout.trim().split('\n').sort(), ['echo:1 | replica 1', 'echo:1 | replica 1', 'echo:2 | replica 2', 'echo:2 | replica 2']);

    // an orphan storm inside the root leaves no zombies
    const add = c.exec('/usr/local/bin/colony', 'ctl', 'add', 'storm', '--', '/bin/sh', '/usr/local/bin/orphans.sh', '1000');
    assert.equal(add.status, 0, add.stderr);
    await waitFor('the storm to end', () => c.output('storm').includes('DONE'), 60_000);
    await waitFor('zero zombies', () => zombies(c.pid).length === 0, 15_000);

    // docker stop: SIGTERM → every process stopped gracefully, exit 0
    process.kill(c.pid, 'SIGTERM');
    const code = await Promise.race([c.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
    assert.equal(code, 0, c.log().slice(-4000));
    for (const name of ['web', 'worker', 'beat', 'redis', 'storm', 'echo:1', 'echo:2']) {
      assert.ok(c.find((r) => r.proc === name && r.msg === 'stopped'), `${name} stopped`);
    }
    assert.ok(!c.find((r) => /sending SIGKILL/.test(String(r.msg))), 'every process stopped on SIGTERM, within its kill time');
  });

  it('on a terminal (docker run -it IMAGE python3, COLONY_ONLY= for a one-off): the REPL is the foreground, Ctrl-C reaches it, its exit code is colony\'s', async (t) => {
    if (skip) return t.skip(skip);
    const env = Object.entries({ ...ENV, COLONY_ONLY: '' }).map(([k, v]) => `${k}=${v}`);
    const term = new TerminalColony({ pid1: true, unshare: [`--root=${root!}`], dirs: false, colony: ['/usr/bin/env', '-i', ...env, '/usr/local/bin/colony'], args: ['--', '/usr/bin/python3', '-q'] });
    try {
      let at = await term.see('>>> ', 0, 30_000);
      assert.equal(term.screen, '>>> ', 'nothing of colony before the prompt');
      const py = term.pidOf('/usr/bin/python3')!;
      assert.equal(groups(py).tpgid, py, "the REPL's process group is the terminal's foreground");
      term.type('import time; time.sleep(30)\n');
      await waitFor('the REPL asleep', () => term.screen.slice(at).includes('time.sleep(30)\r\n'));
      term.type('\x03');
      at = await term.see(/KeyboardInterrupt\r\n>>> /, at);
      term.type('print(6*7); raise SystemExit(7)\n');
      at = await term.see('42', at);
      assert.deepEqual(await term.wait(), { code: 7, signal: null });
    } finally {
      await term.destroy();
    }
  });

  it('a read-only root with nowhere to extract the native module: a clear error, supervision goes on without reaping', async (t) => {
    if (skip) return t.skip(skip);
    const ro = join(work!, 'ro');
    mkdirSync(ro);
    mkdirSync(join(root!, 'etc/colony/ro'), { recursive: true });
    writeFileSync(join(root!, 'etc/colony/ro/hello'), JSON.stringify({ args: ['/bin/sh', '-c', 'echo hello from a read-only root; exec sleep 1000'] }));
    // A private mount namespace in which the root is bind-mounted read-only (no /dev/shm, /tmp and /run read-only).
    const script = `mount --bind "$1" "$2" && mount -o remount,bind,ro "$2" && exec unshare --pid --fork --mount-proc --root="$2" /usr/local/bin/colony run --config /etc/colony/ro`;
    const c = new Contained(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root!, ro]);
    running.push(c);
    await waitFor('hello runs', () => c.output('hello').includes('hello from a read-only root'), 30_000);
    const err = c.find((r) => /cannot load libc through koffi: orphans will not be reaped/.test(String(r.msg)));
    assert.ok(err, c.log());
    assert.match(String(err.error), /no directory to extract koffi's native module into/);
    assert.match(String(err.error), /\/tmp: /);
    process.kill(c.pid, 'SIGTERM');
    assert.equal(await c.exited, 0);
  });

  // Docker's --read-only with --tmpfs /run --tmpfs /tmp (noexec by default, as is its /dev/shm) and its
  // /dev (a writable tmpfs with the device nodes); Kubernetes' readOnlyRootFilesystem with emptyDirs alike.
  const HARDEN = [
    'set -e; R="$2"',
    'mount --bind "$1" "$R"; mount -o remount,bind,ro "$R"',
    'for d in tmp run; do mount -t tmpfs -o noexec,nosuid,nodev tmpfs "$R/$d"; done',
    'mount -t tmpfs -o nosuid,mode=755 tmpfs "$R/dev"; mkdir "$R/dev/shm"; mount -t tmpfs -o noexec,nosuid,nodev tmpfs "$R/dev/shm"',
    'for n in null zero random urandom; do touch "$R/dev/$n"; mount --bind "/dev/$n" "$R/dev/$n"; done',
    'shift 2; exec unshare --pid --fork --mount-proc --root="$R" "$@"',
  ].join('\n');
  // A one-off command that leaves 1,000 orphans, counts the zombies left, and exits 5.
  const ORPHANS = 'i=0; while [ $i -lt 1000 ]; do ( /bin/true & ); i=$((i + 1)); done; sleep 2; echo "zombies=$(grep -l "^State:.Z" /proc/[0-9]*/status 2>/dev/null | wc -l)"; exit 5';
  const hardened = async (as: string[]): Promise<Contained> => {
    const dir = mkdtempSync(join(work!, 'hard-'));
    const colony = [...as, '/usr/local/bin/colony', 'run', '--only', '', '--main-output', 'log', '--', '/bin/sh', '-c', ORPHANS];
    const c = new Contained(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', HARDEN, 'sh', root!, dir, ...colony]);
    running.push(c);
    const code = await Promise.race([c.exited, new Promise<string>((r) => setTimeout(() => r('timeout'), 60_000))]);
    assert.equal(code, 5, c.records.map((r) => JSON.stringify(r)).join('\n'));
    return c;
  };

  it('a hardened root (read-only, noexec tmpfs on /tmp, /run and /dev/shm, Docker\'s /dev): 1,000 orphans reaped, as root and as a non-root user, and colony exits with the command\'s code', async (t) => {
    if (skip) return t.skip(skip);
    // As root: the native module goes to /dev, the one place that allows exec.
    const asRoot = await hardened([]);
    assert.deepEqual(asRoot.output('main'), ['zombies=0'], asRoot.records.map((r) => JSON.stringify(r)).join('\n'));
    assert.ok(!asRoot.find((r) => /cannot load libc/.test(String(r.msg))));
    // As nobody, without the module put in place: nowhere to extract it — said clearly, no reaping, and still on time.
    const bare = await hardened(['--setuid', '65534', '--setgid', '65534']);
    const err = bare.find((r) => /cannot load libc through koffi: orphans will not be reaped/.test(String(r.msg)));
    assert.ok(err, bare.records.map((r) => JSON.stringify(r)).join('\n'));
    assert.match(String(err.error), /colony native-module/);
    assert.notDeepEqual(bare.output('main'), ['zombies=0'], 'the control: without a reaper the zombies stay');
    // The image build step for non-root colonies: `RUN colony native-module` (the root still writable).
    const placed = spawnSync('chroot', [root!, '/usr/local/bin/colony', 'native-module'], { encoding: 'utf8' });
    assert.equal(placed.status, 0, placed.stderr);
    assert.equal(placed.stdout.trim(), '/usr/local/bin/colony.koffi.node');
    try {
      const asNobody = await hardened(['--setuid', '65534', '--setgid', '65534']);
      assert.deepEqual(asNobody.output('main'), ['zombies=0'], asNobody.records.map((r) => JSON.stringify(r)).join('\n'));
      assert.ok(!asNobody.find((r) => /cannot load libc/.test(String(r.msg))));
    } finally {
      rmSync(join(root!, 'usr/local/bin/colony.koffi.node'), { force: true });
    }
  });
});
