// Message burst: 500 RESTART messages for 5 processes written at once (half renamed into
// place, half plain writes that colony may see half-written), while a few `colony ctl restart`
// processes write more in parallel. colony runs as PID 1.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUNDLE, NODE, capture, messageFiles, writeAtomic } from '../helpers/colony.ts';
import { descendants } from '../helpers/proc.ts';
import { assertClean, destroyAll, liveByName, readState, secs, settle, StreamColony } from '../helpers/stress.ts';

const PROCS = 5;
const BURST = 500;
const CTL_WRITERS = 4;
const CTL_EACH = 10;

// `colony ctl restart NAME` as an operator would run it; resolves with the message file it wrote.
async function ctlRestart(messages: string, name: string): Promise<string> {
  const r = await capture(NODE, [BUNDLE, 'ctl', '--messages', messages, 'restart', name]);
  if (r.code !== 0) throw new Error(`ctl restart ${name} exited ${r.code}: ${r.stderr}`);
  return r.stdout.trim();
}

describe('message burst', () => {
  after(destroyAll);

  // Nothing lost: every message file (each one named) is carried out exactly once — one "message
  // handled" record and one acknowledgement per file, none rejected — and none is left behind
  // (no message, .handling. or .rejected. file); afterwards each process runs exactly once.
  it(`${BURST} RESTART messages for ${PROCS} processes at once, plus ${CTL_WRITERS} concurrent ctl writers`, async (t) => {
    const names = Array.from({ length: PROCS }, (_, i) => `m${i}`);
    const arg = (name: string): string => String(700_000 + names.indexOf(name)); // `sleep 70000N` names the process in /proc
    const nameOf = (argv: string[]): string | undefined => (argv[0] === 'sleep' ? names[Number(argv[1]) - 700_000] : undefined);
    const c = await StreamColony.start({ files: Object.fromEntries(names.map((n) => [n, { args: ['sleep', arg(n)] }])) });
    const d = c.dirs;
    await c.until('every process running', () => names.every((n) => c.records.some((r) => r.proc === n && r.msg === 'started')), 20_000);
    const startsBefore = c.count((r) => r.msg === 'started');

    const t0 = Date.now();
    // ctl writers run in parallel with the burst (each sends its messages one after the other).
    const ctl = Promise.all(
      Array.from({ length: CTL_WRITERS }, async (_, w) => {
        const files: string[] = [];
        for (let i = 0; i < CTL_EACH; i++) files.push(await ctlRestart(d.messages, names[(w + i) % PROCS]!));
        return files;
      }),
    );
    const burst: string[] = [];
    for (let i = 0; i < BURST; i++) {
      const file = `burst-${String(i).padStart(3, '0')}`;
      const msg = { type: 'RESTART', name: names[i % PROCS] };
      if (i % 2 === 0) writeAtomic(d.messages, file, msg);
      else writeFileSync(join(d.messages, file), JSON.stringify(msg)); // a writer that does not rename: may be seen half-written
      burst.push(file);
    }
    const writeMs = Date.now() - t0;
    const ctlFiles = (await ctl).flat().map((p) => basename(p));
    const all = [...burst, ...ctlFiles];
    assert.equal(new Set(all).size, BURST + CTL_WRITERS * CTL_EACH, 'every message has its own file name');

    const handled = (): Map<string, number> => {
      const m = new Map<string, number>();
      for (const r of c.records) if (r.msg === 'message handled') m.set(basename(String(r.file)), (m.get(basename(String(r.file))) ?? 0) + 1);
      return m;
    };
    // Well within the 60 s backup rescan, which would hide a lost inotify event.
    await c.until(`${all.length} messages handled`, () => [...handled().values()].reduce((a, b) => a + b, 0) >= all.length, 30_000, 20);
    const handledMs = Date.now() - t0;
    // Settled: every process running, one instance each, the same pids for 1 s (no restart pending).
    await settle(c, nameOf, names);
    const settledMs = Date.now() - t0;

    const counts = handled();
    const twice = [...counts].filter(([, n]) => n > 1);
    const missing = all.filter((f) => !counts.has(f));
    const strangers = [...counts.keys()].filter((f) => !all.includes(f));
    assert.deepEqual(twice, [], 'nothing lost: no message carried out twice');
    assert.deepEqual(missing, [], 'nothing lost: every message carried out');
    assert.deepEqual(strangers, [], 'no message handled that was not sent');
    const acks = readdirSync(join(d.state, 'acks'));
    const ackFor = new Set(acks.map((a) => a.replace(/\.json$/, '')));
    assert.deepEqual(all.filter((f) => !ackFor.has(f)), [], 'nothing lost: every message has its acknowledgement');
    const refused = acks.filter((a) => !(JSON.parse(readFileSync(join(d.state, 'acks', a), 'utf8')) as { ok: boolean }).ok);
    assert.deepEqual(refused, [], 'every acknowledgement says the message was carried out');
    assert.deepEqual(messageFiles(d.messages), [], 'no message file left (nor .handling. or .rejected. ones)');
    assert.equal(c.count((r) => String(r.msg).startsWith('message rejected')), 0, 'no message rejected');

    const live = liveByName(c.pid, nameOf);
    assert.deepEqual([...live.keys()].sort(), names, 'exactly the five processes run');
    assert.deepEqual(descendants(c.pid).sort(), [...live.values()].flat().sort(), 'no other process (orphan or duplicate) below colony');
    // The state file is rewritten a little after changes (coalesced): wait for it to agree.
    const stateNow = (): string => JSON.stringify((readState(d.state) ?? []).map((p) => `${p.name}:${p.state}`).sort());
    const want = JSON.stringify(names.map((n) => `${n}:running`));
    await c.until('the state file to agree: each process running', () => stateNow() === want, 10_000, 50).catch(() => assert.equal(stateNow(), want, 'the state file agrees: each process running'));

    const restarts = c.count((r) => r.msg === 'started') - startsBefore;
    t.diagnostic(`burst: ${all.length} messages (${BURST} written in ${writeMs} ms + ${ctlFiles.length} by ${CTL_WRITERS} ctl writers) all handled exactly once ${secs(handledMs)} after the first; settled (one instance each, stable for 1 s) at ${secs(settledMs)}`);
    t.diagnostic(`burst: ${restarts} restarts for ${all.length} messages, ${acks.length} acknowledgements, 0 files left`);
    assertClean(c);
    assert.equal((await c.stop()).code, 0);
  });
});
