// Soak: continuous churn — RESTART messages, descriptor changes and removals, processes
// that exit and are restarted by policy, orphans, steady output — for COLONY_SOAK_SECONDS (default
// 120; 600 for the full run), with colony's RSS, fd count and CPU sampled every second. colony runs as PID 1.
import assert from 'node:assert/strict';
import { readdirSync, unlinkSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { messageFiles, writeAtomic, type Rec } from '../helpers/colony.ts';
import { descendants } from '../helpers/proc.ts';
import { assertClean, destroyAll, fdCount, liveByName, mb, median, Sampler, secs, settle, StreamColony } from '../helpers/stress.ts';

const SECONDS = Number(process.env.COLONY_SOAK_SECONDS ?? 120);
const FIXTURES = join(import.meta.dirname, 'fixtures');
// No steady growth: the median RSS of the last quarter of the samples may exceed the first quarter's
// by at most this; the fd count, with the same processes running, must return to its baseline (± FD_SLACK).
const RSS_GROWTH_MB = 20;
const FD_SLACK = 2;
const MESSAGE_EVERY_MS = 100;
const CHANGE_EVERY_MS = 300;
const CHATTY_RATE = 2000; // lines a second, each of two processes

const SVCS = Array.from({ length: 5 }, (_, i) => `svc${i}`);
const CFG_FINAL = 5_099_999;
// Names in /proc: svcN is `sleep 500000N`, cfg is `sleep 51xxxxx` (its version), chatty by its argv.
function nameOf(argv: string[]): string | undefined {
  if (argv[0] === 'sleep') {
    const n = Number(argv[1]);
    return n >= 5_000_000 ? `cfg:${n}` : SVCS[n - 500_000];
  }
  const script = argv.findIndex((a) => a.endsWith('/chatty.py')); // python3 may be a shim that execs the real one
  return script === -1 ? undefined : argv[script + 1];
}

// Checks "NAME SEQ" lines arrive consecutively from 0.
class Counter {
  next = 0;
  errors = 0;
  first = '';
  add(r: Rec): void {
    const seq = Number(String(r.msg).split(' ')[1]);
    if (seq !== this.next) {
      this.errors++;
      this.first ||= `expected ${this.next}, got ${String(r.msg)}`;
    }
    this.next = seq + 1;
  }
}

const quarter = (xs: number[], q: 0 | 3): number[] => xs.slice(q === 0 ? 0 : Math.floor((xs.length * 3) / 4), q === 0 ? Math.ceil(xs.length / 4) : xs.length);

describe('soak', () => {
  after(destroyAll);

  // Nothing lost: every message sent is handled exactly once and none is left; the steady output
  // arrives complete and in order; at the end exactly the processes the directory names run, once
  // each, nothing else below colony.
  it(`${SECONDS} s of continuous churn: RSS and fd count stable`, async (t) => {
    const chatty = new Map([
      ['chatty0', new Counter()],
      ['chatty1', new Counter()],
    ]);
    const handled = new Map<string, number>(); // message file → "message handled" records
    const handledAt = new Map<string, number>(); // message file → colony's time of handling
    const c = await StreamColony.start({
      files: {
        ...Object.fromEntries(SVCS.map((n, i) => [n, { args: ['sleep', String(500_000 + i)] }])),
        cfg: { args: ['sleep', String(CFG_FINAL)] },
        ...Object.fromEntries([...chatty.keys()].map((n) => [n, { args: ['python3', join(FIXTURES, 'chatty.py'), n, String(CHATTY_RATE)] }])),
      },
      keep: (r) => {
        if (r.msg === 'message handled') {
          const f = basename(String(r.file));
          handled.set(f, (handled.get(f) ?? 0) + 1);
          handledAt.set(f, Number(r.time));
        }
        return r.msg === 'ready: watching the config and messages directories';
      },
      onOutput: (r) => chatty.get(String(r.proc))?.add(r),
    });
    const d = c.dirs;
    const steady = [...SVCS, `cfg:${CFG_FINAL}`, ...chatty.keys()];
    await settle(c, nameOf, steady);
    const fdBaseline = fdCount(c.pid);
    // Processes that come and go by themselves: one ends every 0.5 s (restarted at once), one makes 50 orphans every 2 s.
    writeAtomic(d.config, 'blinker', { args: ['/bin/sh', '-c', 'echo up; sleep 0.5'], threshold: 0.2 });
    writeAtomic(d.config, 'orphaner', { args: ['/bin/sh', '-c', 'i=0; while [ $i -lt 50 ]; do ( true & ); i=$((i + 1)); done; sleep 2'], threshold: 0.2 });

    const sampler = new Sampler(c.pid, 1000);
    const sent = new Map<string, number>(); // message file → when written
    let changes = 0;
    let removals = 0;
    let cfgPresent = true;
    const t0 = Date.now();
    const end = t0 + SECONDS * 1000;
    // Two paced drivers until the end: RESTART messages, and changes of cfg's descriptor (every 10th a removal, re-added next time).
    const messages = (async () => {
      for (let i = 0; Date.now() < end; i++) {
        const file = `soak-${i}`;
        sent.set(file, Date.now());
        writeAtomic(d.messages, file, { type: 'RESTART', name: SVCS[i % SVCS.length] });
        await new Promise((r) => setTimeout(r, MESSAGE_EVERY_MS));
      }
    })();
    const config = (async () => {
      for (let i = 0; Date.now() < end; i++) {
        if (i % 10 === 9 && cfgPresent) {
          unlinkSync(join(d.config, 'cfg'));
          cfgPresent = false;
          removals++;
        } else {
          writeAtomic(d.config, 'cfg', { args: ['sleep', String(5_100_000 + i)] });
          cfgPresent = true;
          changes++;
        }
        await new Promise((r) => setTimeout(r, CHANGE_EVERY_MS));
      }
    })();
    await Promise.all([messages, config]);
    const churnMs = Date.now() - t0;

    // Wind down to the starting set: cfg back to its first definition, the self-ending processes removed.
    writeAtomic(d.config, 'cfg', { args: ['sleep', String(CFG_FINAL)] });
    unlinkSync(join(d.config, 'blinker'));
    unlinkSync(join(d.config, 'orphaner'));
    await c.until(`all ${sent.size} messages handled`, () => [...sent.keys()].every((f) => handled.has(f)), 60_000, 50);
    await settle(c, nameOf, steady);
    await c.until('the fd count back to its baseline', () => fdCount(c.pid) <= fdBaseline + FD_SLACK, 10_000, 100);
    const samples = sampler.stop();
    const fdEnd = fdCount(c.pid);

    // Nothing lost.
    assert.deepEqual([...handled].filter(([, n]) => n !== 1), [], 'no message handled twice');
    assert.deepEqual(messageFiles(d.messages), [], 'no message file left');
    for (const [n, k] of chatty) {
      assert.equal(k.errors, 0, `nothing lost: ${n}'s lines arrive consecutively (${k.first})`);
      assert.ok(k.next > (SECONDS * CHATTY_RATE) / 4, `${n} kept printing (${k.next} lines)`);
    }
    const live = liveByName(c.pid, nameOf);
    assert.deepEqual(descendants(c.pid).sort(), [...live.values()].flat().sort(), 'no orphan or stray process below colony');

    // No steady growth.
    const rss = samples.map((s) => s.rssMB);
    const [rssFirst, rssLast] = [median(quarter(rss, 0)), median(quarter(rss, 3))];
    const cpuPerS = samples.slice(1).map((s, i) => (s.cpuMs - samples[i]!.cpuMs) / ((s.t - samples[i]!.t) / 1000));
    const [cpuFirst, cpuLast] = [median(quarter(cpuPerS, 0)), median(quarter(cpuPerS, 3))];
    const latency = [...sent].map(([f, at]) => handledAt.get(f)! - at);
    const [latFirst, latLast] = [median(quarter(latency, 0)), median(quarter(latency, 3))];
    t.diagnostic(`soak: ${secs(churnMs)} of churn: ${sent.size} RESTART messages, ${changes} descriptor changes, ${removals} removals, ${[...chatty.values()].reduce((a, k) => a + k.next, 0)} output lines; ${c.count(() => true)} kept records`);
    t.diagnostic(`soak: RSS median first quarter ${mb(rssFirst)}, last quarter ${mb(rssLast)} (growth ${mb(rssLast - rssFirst)}, bound ${RSS_GROWTH_MB} MB); min ${mb(Math.min(...rss))}, peak ${mb(Math.max(...rss))} over ${rss.length} samples`);
    const tenths = Array.from({ length: 10 }, (_, i) => median(rss.slice(Math.floor((rss.length * i) / 10), Math.floor((rss.length * (i + 1)) / 10))).toFixed(0));
    t.diagnostic(`soak: RSS median by tenth of the run (MB): ${tenths.join(' ')}`);
    t.diagnostic(`soak: fds baseline ${fdBaseline}, end ${fdEnd}, peak ${Math.max(...samples.map((s) => s.fds))}; colony CPU median ${cpuFirst.toFixed(0)} ms/s first quarter, ${cpuLast.toFixed(0)} ms/s last; message → handled median ${latFirst} ms first quarter, ${latLast} ms last`);
    assert.ok(rssLast <= rssFirst + RSS_GROWTH_MB, `no steady RSS growth: last-quarter median ${mb(rssLast)} must be ≤ first-quarter median ${mb(rssFirst)} + ${RSS_GROWTH_MB} MB`);
    assert.ok(fdEnd <= fdBaseline + FD_SLACK, `the fd count returns to its baseline: ${fdEnd} vs ${fdBaseline} (± ${FD_SLACK})`);
    assertClean(c);
    assert.equal((await c.stop()).code, 0);
  });
});
