// Config churn: one descriptor added, changed and removed 1,000 times as fast as possible,
// alternately renamed into place and written in place (a writer that does not rename: colony may read
// it half-written), while another process runs undisturbed. colony runs as PID 1.
import assert from 'node:assert/strict';
import { closeSync, openSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeAtomic } from '../helpers/colony.ts';
import { descendants } from '../helpers/proc.ts';
import { assertClean, destroyAll, liveByName, readState, secs, settle, StreamColony } from '../helpers/stress.ts';

const CYCLES = 1000;
// `sleep N` names each version of the churned descriptor in /proc; the anchor is `sleep 600000`.
const ANCHOR = 600_000;
const version = (cycle: number, changed: boolean): number => 610_000 + cycle * 2 + (changed ? 1 : 0);
const FINAL = 609_999;
const nameOf = (argv: string[]): string | undefined => (argv[0] !== 'sleep' ? undefined : Number(argv[1]) === ANCHOR ? 'anchor' : `churn:${argv[1]}`);

// A plain write can be read half-written; colony must look again rather than report it (counted, and
// refused by assertClean like any other error record).
const HALF_WRITTEN = [/^bad descriptor .*churn/];

describe('config churn', () => {
  after(destroyAll);

  // Churns the descriptor through cycles [from, to) (add, change, remove); `end` says what the
  // directory holds at the end. `seen`, when given, is awaited after each operation (colony acting on
  // it), so that the operations land on the process in every phase rather than being read as one batch.
  async function churn(dir: string, from: number, to: number, end: 'absent' | 'present', seen?: (op: 'added' | 'changed' | 'removed') => Promise<void>): Promise<void> {
    const path = join(dir, 'churn');
    for (let i = from; i < to; i++) {
      const put = (n: number): void => {
        const d = { args: ['sleep', String(n)] };
        if (i % 2 === 0) writeAtomic(dir, 'churn', d);
        else writeFileSync(path, JSON.stringify(d));
      };
      put(version(i, false));
      await seen?.('added');
      put(version(i, true));
      await seen?.('changed');
      unlinkSync(path);
      await seen?.('removed');
    }
    if (end === 'present') writeAtomic(dir, 'churn', { args: ['sleep', String(FINAL)] });
  }

  // Nothing lost: the final directory is what runs — the churned process absent (ends removed) or
  // running exactly once with the final definition (ends present) — with no orphan or duplicate
  // below colony, the state file agreeing, and the anchor process never restarted. The fast churn
  // runs in rounds, each checked: the end of a burst is where an event can be lost, and SETTLE_MS is
  // well under the 60 s backup rescan, which would otherwise hide a lost event.
  const SETTLE_MS = 10_000;
  const cases = [
    { end: 'absent', paced: false, rounds: 10 },
    { end: 'present', paced: false, rounds: 10 },
    { end: 'present', paced: true, rounds: 1 },
  ] as const;
  for (const { end, paced, rounds } of cases) {
    const how = paced ? ', each seen by colony before the next' : ` as fast as possible (${rounds} rounds)`;
    it(`${CYCLES} × add/change/remove of one descriptor${how}, ending ${end}: the final state matches the directory`, async (t) => {
      const c = await StreamColony.start({ files: { anchor: { args: ['sleep', String(ANCHOR)] } } });
      const d = c.dirs;
      await c.waitRecord('anchor started', (r) => r.proc === 'anchor' && r.msg === 'started', 20_000);
      const anchorPid = liveByName(c.pid, nameOf).get('anchor')?.[0];
      // Paced: wait for colony's record of each operation (one of these per operation it saw).
      const RECORD = { added: /^descriptor (added|added back|changed)/, changed: /^descriptor (changed|added|added back)/, removed: /^descriptor removed/ };
      const seen = async (op: keyof typeof RECORD): Promise<void> => {
        const from = c.mark;
        await c.waitRecord(`colony to see the descriptor ${op}`, (r) => r.proc === 'churn' && RECORD[op].test(String(r.msg)), 10_000, from);
      };
      const want = end === 'present' ? ['anchor', `churn:${FINAL}`] : ['anchor'];
      const per = CYCLES / rounds;
      let writeMs = 0;
      let settleMs = 0;
      for (let r = 0; r < rounds; r++) {
        const t1 = Date.now();
        await churn(d.config, r * per, (r + 1) * per, end, paced ? seen : undefined);
        writeMs += Date.now() - t1;
        settleMs = Math.max(settleMs, await settle(c, nameOf, want, SETTLE_MS).catch((err: Error) => assert.fail(`round ${r + 1} of ${rounds}: the processes did not come to match the directory within ${SETTLE_MS / 1000} s (a lost event?): ${err.message}\n${JSON.stringify([...liveByName(c.pid, nameOf).keys()])}`)));
      }

      const live = liveByName(c.pid, nameOf);
      assert.deepEqual(live.get('anchor'), [anchorPid], 'the anchor process was never restarted');
      assert.deepEqual(descendants(c.pid).sort(), [...live.values()].flat().sort(), 'no orphan or duplicate: below colony are exactly the processes the directory names');
      await c.until('the state file to agree with the directory', () => {
        const st = (readState(d.state) ?? []).map((p) => `${p.name}:${p.state}`).sort();
        return JSON.stringify(st) === JSON.stringify(end === 'present' ? ['anchor:running', 'churn:running'] : ['anchor:running']);
      }, 10_000);
      const starts = c.count((r) => r.proc === 'churn' && r.msg === 'started');
      const halfRead = c.problems.filter((r) => HALF_WRITTEN.some((re) => re.test(String(r.msg)))).length;
      t.diagnostic(`churn (${paced ? 'paced' : `fast, ${rounds} rounds`}, ending ${end}): ${CYCLES * 3 + (end === 'present' ? rounds : 0)} file operations in ${writeMs} ms; settled at most ${secs(settleMs)} after a round; the churned process was started ${starts} times; ${halfRead} half-written reads reported`);
      assertClean(c);
      assert.equal((await c.stop()).code, 0);
    });
  }

  // A writer that does not rename into place (cp, an editor saving in place) may leave the file
  // half-written for a moment: colony must read it again rather than report a bad descriptor (as it
  // does for messages). Nothing lost: the process starts with the complete definition, and no error.
  it('a descriptor written in place in two steps is read once complete, not reported as bad', async (t) => {
    const c = await StreamColony.start({ files: { anchor: { args: ['sleep', String(ANCHOR)] } } });
    await c.waitRecord('anchor started', (r) => r.proc === 'anchor' && r.msg === 'started', 20_000);
    const text = JSON.stringify({ args: ['sleep', String(FINAL)] });
    const fd = openSync(join(c.dirs.config, 'slow'), 'w');
    writeSync(fd, text.slice(0, 10));
    await new Promise((r) => setTimeout(r, 300)); // the slow writer's pause (the scenario, not a synchronisation)
    writeSync(fd, text.slice(10));
    closeSync(fd);
    await c.waitRecord('slow started', (r) => r.proc === 'slow' && r.msg === 'started', 10_000);
    const bad = c.problems.filter((r) => r.proc === 'slow');
    t.diagnostic(`half-written descriptor: ${bad.length} error records (${bad.map((r) => String(r.msg).slice(0, 80)).join('; ')})`);
    assert.deepEqual(bad.map((r) => r.msg), [], 'no error record for a descriptor that was being written');
    assertClean(c);
    assert.equal((await c.stop()).code, 0);
  });
});
