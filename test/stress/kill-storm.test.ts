// Kill storm: 1,000 random `kill -9` of supervised processes from outside (host pids),
// with small back-off settings. colony runs as PID 1.
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { descendants } from '../helpers/proc.ts';
import { assertClean, destroyAll, liveByName, readState, secs, StreamColony } from '../helpers/stress.ts';

const KILLS = 1000;
const PROCS = 10;
// Back-off (run flags): a process that lived less than 50 ms waits 10 ms, then 20, then 40 at most.
const THRESHOLD_S = 0.05;
const MIN_DELAY_S = 0.01;
const MAX_DELAY_S = 0.04;

describe('kill storm', () => {
  after(destroyAll);

  // Nothing lost: every kill is followed by exactly one restart (starts = 1 + kills, per process),
  // each after a back-off within the configured bounds, with never two live instances of a name at
  // any sampled moment, and all processes running (once each, nothing else below colony) at the end.
  it(`${KILLS} random kill -9 of ${PROCS} supervised processes: each restarted per policy, never two at once`, async (t) => {
    const names = Array.from({ length: PROCS }, (_, i) => `k${i}`);
    const BASE = 800_000;
    const nameOf = (argv: string[]): string | undefined => (argv[0] === 'sleep' ? names[Number(argv[1]) - BASE] : undefined);
    // Half always restart, half on-failure (a death by SIGKILL is a failure: restarted too).
    const files = Object.fromEntries(names.map((n, i) => [n, { args: ['sleep', String(BASE + i)], restart: i % 2 ? 'on-failure' : 'always' }]));
    const c = await StreamColony.start({ files, args: ['--threshold', String(THRESHOLD_S), '--minrestartdelay', String(MIN_DELAY_S), '--maxrestartdelay', String(MAX_DELAY_S)] });
    await c.until('all processes running', () => names.every((n) => liveByName(c.pid, nameOf).get(n)?.length === 1), 20_000);

    const kills = new Map(names.map((n) => [n, 0]));
    const killed = new Set<number>();
    let samples = 0;
    let doubles = 0;
    let worst = '';
    const t0 = Date.now();
    let total = 0;
    let chase: string | undefined;
    while (total < KILLS) {
      const live = liveByName(c.pid, nameOf);
      samples++;
      for (const [n, pids] of live) {
        if (pids.length > 1) {
          doubles++;
          worst ||= `${n}: ${pids.join(', ')}`;
        }
      }
      // A random name — or, after every tenth kill, that same name again as soon as it runs again, so
      // that it dies well within the threshold (random picks alone may all outlive it on a loaded
      // machine) — killed when it runs (not a pid already killed), else looked at again later.
      const name = chase ?? names[Math.floor(Math.random() * PROCS)]!;
      const pid = live.get(name)?.[0];
      if (pid === undefined || killed.has(pid)) {
        await new Promise((r) => setImmediate(r));
        continue;
      }
      process.kill(pid, 'SIGKILL'); // cannot fail: nothing else ends them, and colony reaps only after the exit
      killed.add(pid);
      kills.set(name, kills.get(name)! + 1);
      total++;
      chase = chase === undefined && total % 10 === 0 ? name : undefined;
      // Random pacing (0-8 ms) between the random picks, so that most processes outlive the threshold.
      if (chase === undefined) await new Promise((r) => setTimeout(r, Math.random() * 8));
    }
    const killMs = Date.now() - t0;
    await c.until('every process running again, once each', () => {
      const live = liveByName(c.pid, nameOf);
      return names.every((n) => live.get(n)?.length === 1) && live.size === PROCS;
    }, 60_000, 20);
    await c.until('a "started" record for every restart', () => names.every((n) => c.count((r) => r.proc === n && r.msg === 'started') >= 1 + kills.get(n)!), 30_000);

    assert.equal(doubles, 0, `never two live instances of one name (${samples} samples; first: ${worst})`);
    for (const n of names) assert.equal(c.count((r) => r.proc === n && r.msg === 'started'), 1 + kills.get(n)!, `nothing lost: ${n} was killed ${kills.get(n)} times and started exactly once more than that`);
    assert.equal(c.count((r) => r.msg === 'killed by SIGKILL'), KILLS, 'every kill was seen as a death by SIGKILL');
    const delays = c.records.filter((r) => /^died after .*, restarting in /.test(String(r.msg))).map((r) => Number(r.delay_s));
    assert.ok(delays.every((s) => s >= MIN_DELAY_S && s <= MAX_DELAY_S), `every back-off delay within [${MIN_DELAY_S}, ${MAX_DELAY_S}] s: ${[...new Set(delays)].join(', ')}`);
    const live = liveByName(c.pid, nameOf);
    assert.deepEqual(descendants(c.pid).sort(), [...live.values()].flat().sort(), 'nothing else below colony');
    // The state file is rewritten a little after changes (coalesced): wait for it to agree.
    const want = JSON.stringify(names.map((n) => `${n}:running:${kills.get(n)}`).sort());
    const stateNow = (): string => JSON.stringify((readState(c.dirs.state) ?? []).map((p) => `${p.name}:${p.state}:${p.restarts}`).sort());
    await c.until('the state file to agree: each running, restarts = kills', () => stateNow() === want, 10_000, 50).catch(() => assert.equal(stateNow(), want, 'the state file agrees: each running, restarts = kills'));

    const fast = delays.length;
    assert.ok(fast > 0 && fast < KILLS, `both paths taken: ${fast} fast deaths waited a back-off, ${KILLS - fast} restarted at once`);
    t.diagnostic(`kill storm: ${KILLS} kill -9 in ${secs(killMs)} (${Math.round(KILLS / (killMs / 1000))}/s), per process ${[...kills.values()].join('/')}; ${fast} fast deaths waited a back-off (${[...new Set(delays)].sort().join('/')} s), ${KILLS - fast} restarted at once; ${samples} samples, never two instances`);
    assertClean(c);
    assert.equal((await c.stop()).code, 0);
  });
});
