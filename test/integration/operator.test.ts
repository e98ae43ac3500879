// The operator's toolkit against colony as PID 1: ctl stop/start (a stopped process stays down through
// restart-all, a rescan and a descriptor change), "autostart": false, ctl finding the running colony
// from --messages (or --state) alone, "expand_env", "env_file" and ctl logs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUNDLE, Colony, NODE, runCli, writeAtomic } from '../helpers/colony.ts';
import { waitFor } from '../helpers/wait.ts';

// A process that prints a line (shell words expanded by sh) and then idles.
const says = (line: string, extra: object = {}): object => ({ args: ['/bin/sh', '-c', `echo "${line}"; exec sleep 100000`], ...extra });

describe('operating processes by request', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });
  const start = async (o: Parameters<typeof Colony.start>[0]): Promise<Colony> => {
    const c = await Colony.start(o);
    started.push(c);
    return c;
  };
  // ctl against this colony, naming only its messages directory.
  const ctl = async (c: Colony, ...args: string[]) => runCli(['ctl', '--messages', c.dirs.messages, ...args]);
  const ok = async (c: Colony, ...args: string[]): Promise<string> => {
    const r = await ctl(c, ...args);
    assert.equal(r.code, 0, `ctl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const stateOf = async (c: Colony, name: string): Promise<string> => {
    const table = await ok(c, 'status');
    return table.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}  `))?.replace(/^\S+( \*)?\s+/, '').split(/\s{2,}/)[0] ?? `(no row for ${name})`;
  };

  it('ctl stop keeps a process down through restart-all, a rescan and a descriptor change; ctl start brings it back', async () => {
    const c = await start({ files: { web: says('web up', { critical: true }), worker: says('worker up') }, args: ['--frequency', '0.3'] });
    await c.started('web');
    await c.started('worker');
    let m = c.mark;
    assert.match(await ok(c, 'stop', 'web', '--wait'), /done\n$/);
    await c.waitRecord('web stopped', (r) => r.proc === 'web' && r.msg === 'stopped', 10_000, m);
    assert.equal(await stateOf(c, 'web'), 'stopped (by request)');
    const held = (JSON.parse(await ok(c, 'status', '--json')) as { processes: Array<{ name: string; held: string | null }> }).processes.find((p) => p.name === 'web')?.held;
    assert.equal(held, 'stopped', 'the state file says why it is down (ctl check, inside the container, skips it)');
    assert.equal(c.exitInfo, undefined, 'a stopped critical process does not end colony');
    m = c.mark;
    await ok(c, 'restart-all', '--wait');
    await c.started('worker', m);
    writeAtomic(c.dirs.config, 'web', says('web v2', { critical: true }));
    await c.waitRecord('the change seen', (r) => r.proc === 'web' && /descriptor changed/.test(String(r.msg)), 10_000, m);
    // Something that does not happen needs a window: three rescans (--frequency 0.3) go by in it.
    await new Promise((r) => setTimeout(r, 1000));
    assert.equal(c.records.slice(m).filter((r) => r.proc === 'web' && r.msg === 'started').length, 0, 'web stayed down');
    assert.equal(await stateOf(c, 'web'), 'stopped (by request)');
    m = c.mark;
    assert.match(await ok(c, 'start', 'web', '--wait'), /done\n$/);
    await c.started('web', m);
    await waitFor('web runs its new definition', () => c.output('web').includes('web v2'));
    assert.equal(await stateOf(c, 'web'), 'running');
    await c.stop();
  });

  it('stop and start a group; restart NAME starts a stopped process too', async () => {
    const c = await start({ files: { a: says('a up', { group: ['g'] }), b: says('b up', { group: ['g'] }) } });
    await c.started('a');
    await c.started('b');
    await ok(c, 'stop', '--group', 'g', '--wait');
    assert.equal(await stateOf(c, 'a'), 'stopped (by request)');
    assert.equal(await stateOf(c, 'b'), 'stopped (by request)');
    const m = c.mark;
    await ok(c, 'start', '--group', 'g', '--wait');
    await c.started('a', m);
    await c.started('b', m);
    await ok(c, 'stop', 'a', '--wait');
    const m2 = c.mark;
    await ok(c, 'restart', 'a', '--wait');
    await c.started('a', m2);
    const refused = await ctl(c, 'stop', 'nope', '--wait');
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /no process named "nope"/);
    await c.stop();
  });

  it('"autostart": false: defined and shown, started only by ctl start', async () => {
    const c = await start({ files: { tool: says('tool up', { autostart: false }), web: says('web up') } });
    await c.started('web');
    assert.equal(await stateOf(c, 'tool'), 'not started (autostart off)');
    const m = c.mark;
    await ok(c, 'restart-all', '--wait');
    await c.started('web', m);
    assert.equal(c.count((r) => r.proc === 'tool' && r.msg === 'started'), 0, 'restart-all left it alone');
    await ok(c, 'start', 'tool', '--wait');
    await waitFor('tool printed', () => c.output('tool').includes('tool up'));
    assert.equal(await stateOf(c, 'tool'), 'running');
    await c.stop();
  });

  it('ctl finds the running colony from --messages alone, or --state alone; two colonies mixed are refused at once', async () => {
    const c = await start({ files: { web: says('web up') } });
    await c.started('web');
    // --messages only: the acknowledgement is found in this colony's state directory (not the default one).
    let m = c.mark;
    const r = await runCli(['ctl', '--messages', c.dirs.messages, 'restart', 'web', '--wait', '--timeout', '20']);
    assert.equal(r.code, 0, r.stderr);
    await c.started('web', m);
    const st = await runCli(['ctl', '--messages', c.dirs.messages, 'status', '--json']);
    assert.equal(st.code, 0, st.stderr);
    assert.equal((JSON.parse(st.stdout) as { colony: { pid: number } }).colony.pid > 0, true);
    // --state only (the variable): the messages directory comes from the state file.
    m = c.mark;
    const s = await runCli(['ctl', 'restart', 'web', '--wait'], { COLONY_STATE: c.dirs.state });
    assert.equal(s.code, 0, s.stderr);
    await c.started('web', m);
    // both, from two colonies: exit 100 at once, naming the state directory this colony uses
    const t0 = Date.now();
    const mixed = await runCli(['ctl', '--messages', c.dirs.messages, '--state', join(c.dirs.dir, 'elsewhere'), 'restart', 'web', '--wait']);
    assert.equal(mixed.code, 100, mixed.stderr);
    assert.ok(mixed.stderr.includes(c.dirs.state), mixed.stderr);
    assert.ok(Date.now() - t0 < 10_000, 'refused at once, not after a timeout');
    await c.stop();
  });

  it('"expand_env": ${NAME}, ${NAME:-default} and $$ in args; an unset name is an error naming the file, the key and the variable', async () => {
    const c = await start({
      env: { COLONY_TEST_A: 'alpha' },
      files: {
        x: { args: ['/bin/sh', '-c', 'echo "A=$1 B=$2 C=$3 D=$4"; exec sleep 100000', 'sh', '${COLONY_TEST_A}', '${COLONY_TEST_B:-bee}', '$$lit', '${LOCAL}'], expand_env: true, env: { LOCAL: 'from-env' } },
        raw: { args: ['/bin/echo', '${COLONY_TEST_A}'] },
        bad: { args: ['/bin/echo', 'ok', '${COLONY_TEST_UNSET}'], expand_env: true },
      },
    });
    await waitFor('x printed', () => c.output('x').includes('A=alpha B=bee C=$lit D=from-env'));
    await waitFor('raw printed its argument untouched', () => c.output('raw').includes('${COLONY_TEST_A}'));
    const err = await c.waitRecord('the unset variable named', (r) => r.proc === 'bad' && /COLONY_TEST_UNSET/.test(String(r.msg)));
    assert.equal(err.field, 'args[2]');
    assert.match(String(err.file), /config\/bad$/);
    assert.match(String(err.msg), /not set/);
    await c.stop();
  });

  it('"env_file": read at each start (a change is picked up by a restart), env wins, a missing file is an error naming it', async () => {
    const c = await start({ files: {} });
    const envFile = join(c.dirs.dir, 'app.env');
    writeFileSync(envFile, '# settings\nGREETING=hello\nexport TARGET="world"\nOVERRIDDEN=file\n');
    writeAtomic(c.dirs.config, 'app', says('$GREETING $TARGET $OVERRIDDEN', { env_file: [envFile, { path: join(c.dirs.dir, 'optional.env'), required: false }], env: { OVERRIDDEN: 'env' } }));
    await waitFor('app printed', () => c.output('app').includes('hello world env'));
    writeFileSync(envFile, 'GREETING=bonjour\nTARGET=monde\n');
    const m = c.mark;
    await ok(c, 'restart', 'app', '--wait');
    await c.started('app', m);
    await waitFor('the new values after the restart', () => c.output('app').includes('bonjour monde env'));
    writeAtomic(c.dirs.config, 'lost', says('never', { env_file: join(c.dirs.dir, 'missing.env') }));
    const err = await c.waitRecord('the missing file named', (r) => r.proc === 'lost' && /missing\.env/.test(String(r.msg)));
    assert.equal(err.field, 'env_file');
    await c.stop();
  });

  it('ctl logs: the last lines as printed, several processes interleaved, --json records, -f until Ctrl-C; output inherit is named', async () => {
    const c = await start({
      files: {
        web: { args: ['/bin/sh', '-c', 'for i in $(seq 1 50); do echo "web $i"; done; echo \'{"k":  1}\'; sleep 0.3; echo oops >&2; exec sleep 100000'] },
        ticker: { args: ['/bin/sh', '-c', 'i=0; while :; do i=$((i+1)); echo "tick $i"; sleep 0.05; done'] },
        raw: { args: ['/bin/sh', '-c', 'echo raw; exec sleep 100000'], output: 'inherit' },
      },
    });
    await waitFor('web printed everything', () => c.output('web').includes('oops'));
    assert.equal(await ok(c, 'logs', 'web', '-n', '3'), 'web 50\n{"k":  1}\noops\n', 'as printed: a JSON line verbatim, stderr in its place');
    const records = (await ok(c, 'logs', 'web', '-n', '2', '--json')).trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(records.map((r) => [r.proc, r.stream, r.msg ?? r.json]), [['web', 'stdout', { k: 1 }], ['web', 'stderr', 'oops']]);
    assert.equal(typeof records[0]!.time, 'number');
    const all = (await ok(c, 'logs', '-n', '1000')).trim().split('\n');
    assert.ok(all.includes('web | web 1') && all.some((l) => /^ticker \| tick \d+$/.test(l)), all.join('\n'));
    assert.ok(!all.some((l) => l.startsWith('raw |')), 'inherit: nothing kept');
    const inherit = await ctl(c, 'logs', 'raw');
    assert.equal(inherit.code, 1);
    assert.match(inherit.stderr, /raw: "output": "inherit" .*not kept/);

    // -f: new lines as they come, whole and in order, until SIGINT (exit 0).
    const f = spawn(NODE, [BUNDLE, 'ctl', '--messages', c.dirs.messages, 'logs', '-f', '-n', '1', 'ticker'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    f.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const closed = new Promise<number | null>((r) => f.on('close', r));
    await waitFor('ten new ticks followed', () => out.split('\n').length > 11);
    f.kill('SIGINT');
    assert.equal(await closed, 0);
    const ticks = out.trim().split('\n').map((l) => Number(/^tick (\d+)$/.exec(l)?.[1]));
    for (let i = 1; i < ticks.length; i++) assert.equal(ticks[i], ticks[i - 1]! + 1, `every tick, in order:\n${out}`);
    // A process gone for good takes its kept lines with it.
    assert.ok(existsSync(join(c.dirs.state, 'logs', 'web.log')));
    await ok(c, 'remove', 'web');
    await waitFor('web.log deleted once web has stopped', () => !existsSync(join(c.dirs.state, 'logs', 'web.log')));
    await c.stop();
  });

  it("ctl logs answers while colony's stdout is stalled", async () => {
    const c = await start({ files: { idle: says('idle up') } });
    await c.started('idle');
    // Nobody reads colony's stdout from here on: its queue fills, then the children block on their pipes.
    c.child.stdout!.pause();
    writeAtomic(c.dirs.config, 'chatty', { args: ['/bin/sh', '-c', 'i=0; while [ $i -lt 200000 ]; do i=$((i+1)); echo "chatty $i"; done; echo LAST; exec sleep 100000'] });
    await waitFor('chatty has lines kept', async () => /^chatty \d+\n$/.test(await ok(c, 'logs', 'chatty', '-n', '1')), 20_000);
    const kept = Number((await ok(c, 'logs', 'chatty', '-n', '1')).trim().split(' ')[1]);
    await new Promise((r) => setTimeout(r, 500));
    const later = Number((await ok(c, 'logs', 'chatty', '-n', '1')).trim().split(' ')[1]);
    assert.ok(later < 200000, `chatty is held back by the stalled stdout (at ${later})`);
    assert.ok(later >= kept);
    assert.match(await ok(c, 'status'), /chatty\s+running/, 'colony answers meanwhile');
    c.child.stdout!.resume();
    await waitFor('chatty done once stdout flows again', async () => (await ok(c, 'logs', 'chatty', '-n', '1')) === 'LAST\n', 60_000);
    await c.stop();
  });

  it('a 100 MB flood keeps the files within the --keep-logs budget', async () => {
    // The lines are kept only (--log-only colony): not 100 MB of records through this test's parser.
    const c = await start({ args: ['--keep-logs', '256KiB', '--log-only', 'colony'] });
    writeAtomic(c.dirs.config, 'flood', { args: ['/bin/sh', '-c', 'yes "flood flood flood flood flood flood flood flood flood flood flood" | head -c 100000000; echo FLOOD-DONE; exec sleep 100000'] });
    const logsDir = join(c.dirs.state, 'logs');
    const sizes = (): number => readdirSync(logsDir).filter((f) => f.startsWith('flood.')).reduce((n, f) => n + statSync(join(logsDir, f)).size, 0);
    let most = 0;
    await waitFor('the flood is over', async () => {
      most = Math.max(most, sizes());
      return (await ok(c, 'logs', 'flood', '-n', '1')).endsWith('FLOOD-DONE\n'); // after the cut last line of yes
    }, 120_000);
    assert.ok(most <= 256 * 1024 + 128 * 1024, `kept at most the budget and a chunk: ${most} bytes`);
    assert.ok(sizes() >= 128 * 1024, 'and at least half of it');
    await c.stop();
  });

  it('"replicas": instances NAME:1…N with COLONY_REPLICA; changing N touches only the instances added or removed; NAME in after, restart (--rolling), stop NAME:i, logs', async () => {
    // Ready a second after it starts (its "port=" line).
    const web = (n: number): object => ({ args: ['/bin/sh', '-c', 'sleep 1; echo "port=$1 replica=$COLONY_REPLICA"; exec sleep 100000', 'sh', '80${COLONY_REPLICA}'], expand_env: true, replicas: n, ready: { log: 'port=' } });
    const c = await start({ files: { web: web(3), proxy: says('proxy up', { after: ['web'] }) } });
    await c.started('proxy');
    const at = (proc: string, msg: string, from = 0): number => c.records.findIndex((r, i) => i >= from && r.proc === proc && r.msg === msg);
    for (const i of [1, 2, 3]) {
      assert.ok(at(`web:${i}`, 'started') >= 0 && at(`web:${i}`, 'started') < at('proxy', 'started'), `proxy started after web:${i}`);
      assert.deepEqual(c.output(`web:${i}`), [`port=80${i} replica=${i}`]);
    }
    const pids = async (): Promise<Record<string, number | null>> => Object.fromEntries((JSON.parse(await ok(c, 'status', '--json')) as { processes: Array<{ name: string; pid: number | null }> }).processes.map((p) => [p.name, p.pid]));
    const before = await pids();
    let m = c.mark;
    writeAtomic(c.dirs.config, 'web', web(4));
    await c.started('web:4', m);
    const four = await pids();
    for (const i of [1, 2, 3]) assert.equal(four[`web:${i}`], before[`web:${i}`], `web:${i} untouched`);
    writeAtomic(c.dirs.config, 'web', web(2));
    await waitFor('web:3 and web:4 gone', async () => !('web:3' in (await pids())) && !('web:4' in (await pids())));
    const two = await pids();
    assert.equal(two['web:1'], before['web:1']);
    assert.equal(two['web:2'], before['web:2']);
    assert.equal(two.proxy, before.proxy, 'proxy untouched');

    // --rolling: web:2 is stopped only once web:1 runs again and is ready (a second later).
    m = c.mark;
    await ok(c, 'restart', 'web', '--rolling');
    const ready1 = at('web:1', 'ready', m);
    const killed2 = c.records.findIndex((r, i) => i >= m && r.proc === 'web:2' && /SIGTERM/.test(String(r.msg)));
    assert.ok(ready1 >= 0 && killed2 > ready1, `web:1 ready again (${ready1}) before web:2 is stopped (${killed2})`);
    const after = await pids();
    assert.notEqual(after['web:1'], two['web:1']);
    assert.notEqual(after['web:2'], two['web:2']);

    await ok(c, 'stop', 'web:2', '--wait');
    assert.equal(await stateOf(c, 'web:2'), 'stopped (by request)');
    assert.equal(await stateOf(c, 'web:1'), 'running');
    const logs = await ok(c, 'logs', 'web', '-n', '100');
    assert.ok(logs.includes('web:1 | port=801 replica=1') && logs.includes('web:2 | port=802 replica=2'), logs);
    assert.ok(!logs.includes('proxy'), logs);
    assert.deepEqual(await c.stop(), { code: 0, signal: null });
  });
});
