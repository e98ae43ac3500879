// Config churn (issue 7): one descriptor added, changed and removed 1,000 times as fast as possible,
// alternately renamed into place and written in place (a writer that does not rename: colony may read
// it half-written), while another process runs undisturbed. colony runs as PID 1.
import assert from 'node:assert/strict';
import { unlinkSync, writeFileSync } from 'node:fs';
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

// A plain write can be read half-written: reported as a bad descriptor, then read again when complete.
const HALF_WRITTEN = [/^bad descriptor .*churn/];

describe('config churn', () => {
  after(destroyAll);

  // Churns the descriptor CYCLES times (add, change, remove); `end` says what the directory holds at
  // the end. `seen`, when given, is awaited after each operation (colony acting on it), so that the
  // operations land on the process in every phase rather than being read as one batch.
  async function churn(dir: string, end: 'absent' | 'present', seen?: (op: 'added' | 'changed' | 'removed') => Promise<void>): Promise<void> {
    const path = join(dir, 'churn');
    for (let i = 0; i < CYCLES; i++) {
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
  // below colony, the state file agreeing, and the anchor process never restarted.
  const cases = [
    { end: 'absent', paced: false },
    { end: 'present', paced: false },
    { end: 'present', paced: true },
  ] as const;
  for (const { end, paced } of cases) {
    it(`${CYCLES} × add/change/remove of one descriptor${paced ? ', each seen by colony before the next' : ' as fast as possible'}, ending ${end}: the final state matches the directory`, async (t) => {
      const c = await StreamColony.start({ files: { anchor: { args: ['sleep', String(ANCHOR)] } } });
      const d = c.dirs;
      await c.waitRecord('anchor started', (r) => r.proc === 'anchor' && r.msg === 'started', 20_000);
      const anchorPid = liveByName(c.pid, nameOf).get('anchor')?.[0];
      const t0 = Date.now();
      // Paced: wait for colony's record of each operation (one of these per operation it saw).
      const RECORD = { added: /^descriptor (added|added back|changed)/, changed: /^descriptor (changed|added|added back)/, removed: /^descriptor removed/ };
      const seen = async (op: keyof typeof RECORD): Promise<void> => {
        const from = c.mark;
        await c.waitRecord(`colony to see the descriptor ${op}`, (r) => r.proc === 'churn' && RECORD[op].test(String(r.msg)), 10_000, from);
      };
      await churn(d.config, end, paced ? seen : undefined);
      const writeMs = Date.now() - t0;
      const want = end === 'present' ? ['anchor', `churn:${FINAL}`] : ['anchor'];
      const settleMs = await settle(c, nameOf, want, 120_000);

      const live = liveByName(c.pid, nameOf);
      assert.deepEqual(live.get('anchor'), [anchorPid], 'the anchor process was never restarted');
      assert.deepEqual(descendants(c.pid).sort(), [...live.values()].flat().sort(), 'no orphan or duplicate: below colony are exactly the processes the directory names');
      await c.until('the state file to agree with the directory', () => {
        const st = (readState(d.state) ?? []).map((p) => `${p.name}:${p.state}`).sort();
        return JSON.stringify(st) === JSON.stringify(end === 'present' ? ['anchor:running', 'churn:running'] : ['anchor:running']);
      }, 10_000);
      const starts = c.count((r) => r.proc === 'churn' && r.msg === 'started');
      const halfRead = c.problems.filter((r) => HALF_WRITTEN.some((re) => re.test(String(r.msg)))).length;
      t.diagnostic(`churn (${paced ? 'paced' : 'fast'}, ending ${end}): ${CYCLES * 3 + (end === 'present' ? 1 : 0)} file operations in ${writeMs} ms; settled ${secs(settleMs)} later; the churned process was started ${starts} times; ${halfRead} half-written reads reported`);
      assertClean(c, HALF_WRITTEN);
      assert.equal((await c.stop()).code, 0);
    });
  }
});
