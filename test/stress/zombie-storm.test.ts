// Zombie storm: 10,000 orphans re-parented to colony (PID 1) must all be reaped, while a
// supervised process keeps exiting and being restarted (the reaper must not take exit statuses that
// belong to colony's own children). colony runs as PID 1.
import assert from 'node:assert/strict';
import { existsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { cmdline, descendants, zombies } from '../helpers/proc.ts';
import type { Rec } from '../helpers/colony.ts';
import { assertClean, cpuMs, destroyAll, mb, peakRssMB, rssMB, secs, StreamColony } from '../helpers/stress.ts';

const ORPHANS = 10_000;
const ORPHANS_SH = join(import.meta.dirname, '..', 'fixtures', 'orphans.sh'); // shared with the integration tests

describe('zombie storm', () => {
  after(destroyAll);

  // Nothing lost: zero zombies once the storm is over (every orphan reaped), and every exit of the
  // supervised "exiter" is reported with its real status (exit code 7: never lost to the reaper).
  it(`${ORPHANS} orphans: zero zombies after, colony's own children's exit statuses intact`, async (t) => {
    const c = await StreamColony.start({
      files: (d) => ({
        storm: { args: ['/bin/sh', ORPHANS_SH, String(ORPHANS), join(d.dir, 'storm.done')] },
        // Lives 0.1 s (over its 0.05 s threshold): restarted at once, again and again, during the storm.
        exiter: { args: ['/bin/sh', '-c', 'sleep 0.1; exit 7'], threshold: 0.05 },
      }),
    });
    const done = join(c.dirs.dir, 'storm.done');
    const rss0 = rssMB(c.pid);
    const cpu0 = cpuMs(c.pid);
    const t0 = Date.now();
    let peak = 0;
    let samples = 0;
    await c.until('the storm to end', () => {
      samples++;
      peak = Math.max(peak, zombies(c.pid).length);
      return existsSync(done);
    }, 300_000, 100);
    const stormMs = Date.now() - t0;
    await c.until('zero zombies', () => zombies(c.pid).length === 0, 30_000, 50);
    const reapedMs = Date.now() - t0;
    const cpu = cpuMs(c.pid) - cpu0;

    // The exiter is removed before the final count: while it runs, its shell (colony's child, until libuv
    // waits for it) and its sleep (the shell's child) are zombies for a moment at every exit, which a
    // single look can catch. With it gone nothing under colony exits any more, so a zombie seen now is
    // one colony failed to reap — and none may be seen in any of 20 looks.
    const removedAt = c.mark;
    unlinkSync(join(c.dirs.config, 'exiter'));
    // Its shell, and its sleep (which may outlive a shell stopped by SIGTERM, as an orphan of colony's).
    const isExiter = (p: number) => {
      const argv = cmdline(p);
      return argv.includes('sleep 0.1; exit 7') || (argv[0] === 'sleep' && argv[1] === '0.1');
    };
    await c.until('the exiter and its sleep to be gone', () => !descendants(c.pid).some(isExiter), 20_000, 20);
    const isExit = (r: Rec) => r.proc === 'exiter' && /^(exit code|killed by|ended)/.test(String(r.msg));
    const exits = c.records.slice(0, removedAt).filter(isExit);
    const wrong = exits.filter((r) => r.msg !== 'exit code 7');
    assert.ok(exits.length >= 10, `the exiter kept exiting during the storm (${exits.length} exits)`);
    assert.deepEqual(wrong.slice(0, 5), [], `nothing lost: every exit of colony's own child reported as exit code 7 (${wrong.length} of ${exits.length} not)`);
    // Exits logged after the removal: code 7 each, but the very last may be the stop's SIGTERM.
    const late = c.records.slice(removedAt).filter(isExit).map((r) => r.msg);
    assert.ok(late.every((m, i) => m === 'exit code 7' || (i === late.length - 1 && m === 'killed by SIGTERM')), `the exiter's exits after its removal: ${JSON.stringify(late)}`);
    // A zombie has no cmdline, so "gone" above may still be a zombie not yet waited for: give it time.
    await c.until('zero zombies once the exiter is gone', () => zombies(c.pid).length === 0, 10_000, 20);
    for (let i = 0; i < 20; i++) {
      assert.deepEqual(zombies(c.pid), [], `zero zombies (look ${i + 1} of 20)`);
      await new Promise((r) => setTimeout(r, 25));
    }
    t.diagnostic(`zombie storm: ${ORPHANS} orphans in ${secs(stormMs)}, zero zombies ${secs(reapedMs)} after the start; peak ${peak} zombies in ${samples} samples; colony CPU ${secs(cpu)}, RSS ${mb(rss0)} → ${mb(rssMB(c.pid))} (peak ${mb(peakRssMB(c.pid))}); exiter exited ${exits.length} times, all with code 7`);
    assertClean(c);
    assert.equal((await c.stop()).code, 0);
  });
});
