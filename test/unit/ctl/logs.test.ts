import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import fc from 'fast-check';
import { logs, selectProcesses, type LogsIo } from '../../../src/ctl/logs.ts';
import { keptBlock, keptFiles, KeptLogs, parseKept } from '../../../src/log/kept.ts';
import { LineBatch } from '../../../src/log/lines.ts';
import { jsonRecords, recordTail } from '../../../src/log/records.ts';
import type { ProcessStatus, Status } from '../../../src/status/file.ts';
import { waitFor } from '../../helpers/wait.ts';

let state = '';
beforeEach(() => {
  state = mkdtempSync(join(tmpdir(), 'colony-logs-'));
});
afterEach(() => {
  rmSync(state, { recursive: true, force: true });
});

const proc = (name: string, output: ProcessStatus['output'] = 'log'): ProcessStatus => ({ name, state: 'running', pid: 1, since: new Date(0).toISOString(), restarts: 0, lastExit: null, health: null, ready: true, failed: false, critical: false, nextRun: null, leftOut: false, held: null, output });

// A state directory as a running colony leaves it: the state file and a keeper writing records.
function colony(procs: ProcessStatus[], maxBytes = 1024 * 1024): KeptLogs {
  const keeper = new KeptLogs(join(state, 'logs'), maxBytes, (name, err) => assert.fail(`${name}: ${err.message}`));
  keeper.clear();
  const st: Status = { colony: { pid: 1, version: 't', started: new Date().toISOString(), procStart: '', mode: 'pid1', updated: '', shuttingDown: false, logs: { dir: keeper.dir, maxBytes } }, processes: procs };
  writeFileSync(join(state, 'status.json'), JSON.stringify(st));
  return keeper;
}

// ctl logs with its output kept (in `live.out` as it comes); `follow` runs until it resolves.
async function run(names: string[], o: { lines?: number; json?: boolean; follow?: () => Promise<void>; live?: { out: string } } = {}): Promise<{ out: string; notes: string[] }> {
  const live = o.live ?? { out: '' };
  const notes: string[] = [];
  const io: LogsIo = { out: (t) => ((live.out += t), true), note: (t) => notes.push(t), stopped: o.follow ?? (() => Promise.resolve()) };
  await logs(state, names, { lines: o.lines ?? 30, follow: o.follow !== undefined, json: o.json === true }, io);
  return { out: live.out, notes };
}

describe('ctl logs', () => {
  test('the last N lines of one process as written (a JSON line verbatim, stderr in order), or the records with --json', async () => {
    const keeper = colony([proc('web')]);
    const f = keeper.open('web');
    f.block(1000, 'stdout', LineBatch.of(['one', 'two', '{"a":  1, "b": [2]}']));
    f.block(1000, 'stderr', LineBatch.of(['err "quoted" \\ \u0001']));
    f.close();
    assert.equal((await run(['web'], { lines: 3 })).out, 'two\n{"a":  1, "b": [2]}\nerr "quoted" \\ \u0001\n');
    assert.equal((await run(['web'], { lines: 0 })).out, '');
    const records = (await run(['web'], { lines: 2, json: true })).out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(records.map((r) => [r.proc, r.stream, r.msg ?? r.json]), [['web', 'stdout', { a: 1, b: [2] }], ['web', 'stderr', 'err "quoted" \\ \u0001']]);
  });

  test('several processes interleave by time with a prefix; a replicated name stands for its instances', async () => {
    const keeper = colony([proc('web:1'), proc('web:2'), proc('worker')]);
    const w1 = keeper.open('web:1');
    const w2 = keeper.open('web:2');
    const wk = keeper.open('worker');
    w1.block(1000, 'stdout', LineBatch.of(['a']));
    wk.block(1001, 'stdout', LineBatch.of(['b']));
    w2.block(1002, 'stdout', LineBatch.of(['c']));
    w1.block(1003, 'stdout', LineBatch.of(['d', 'e']));
    keeper.flush();
    assert.equal((await run([])).out, 'web:1 | a\nworker | b\nweb:2 | c\nweb:1 | d\nweb:1 | e\n');
    assert.equal((await run(['web'], { lines: 2 })).out, 'web:1 | d\nweb:1 | e\n');
    assert.equal((await run(['web:2'])).out, 'c\n');
    await assert.rejects(run(['nope']), /no process named "nope"/);
  });

  test('a process with output inherit is named as not kept', async () => {
    colony([proc('raw', 'inherit'), proc('web')]);
    await assert.rejects(run(['raw']), /no lines are kept/);
    const r = await run(['raw', 'web']);
    assert.equal(r.notes.length, 1);
    assert.match(r.notes[0]!, /^raw: "output": "inherit" .* not kept/);
    assert.deepEqual((await run([])).notes, [], 'not named: left out without a word');
  });

  test('a colony that keeps no lines says so', async () => {
    colony([proc('web')]);
    const st = JSON.parse(readFileSync(join(state, 'status.json'), 'utf8')) as Status;
    st.colony.logs = null;
    writeFileSync(join(state, 'status.json'), JSON.stringify(st));
    await assert.rejects(run(['web']), /keeps no lines \(it runs with --keep-logs 0\)/);
  });

  test('--follow prints new lines as they come, across rotations (two between polls too), none lost or repeated', async () => {
    const keeper = colony([proc('w')], 4096); // each file rotates at 2 KiB
    const f = keeper.open('w');
    let n = 0;
    // ~70 bytes a line: 30 lines are past 2 KiB, so each write(30) rotates the file.
    const write = (count: number): void => {
      const lines = Array.from({ length: count }, () => `line ${++n} ${'x'.repeat(60)}`);
      f.block(Date.now(), 'stdout', LineBatch.of(lines));
    };
    write(5);
    keeper.flush();
    let stop!: () => void;
    const stopped = new Promise<void>((r) => (stop = r));
    const live = { out: '' };
    const done = run(['w'], { lines: 2, follow: () => stopped, live });
    // Each step starts once the follower has printed everything before it (no timing assumed).
    const caughtUp = (): Promise<boolean> => waitFor(`line ${n} followed`, () => live.out.endsWith(`line ${n} ${'x'.repeat(60)}\n`), 20_000);
    await caughtUp();
    write(3); // no rotation
    await caughtUp();
    write(30); // past 2 KiB: rotates once
    await caughtUp();
    write(30); // rotates twice in one turn, so before the next poll: the file rotated away unseen is read too
    write(30);
    await caughtUp();
    for (let i = 0; i < 4; i++) write(30); // rotates four times: the unseen files in between are gone
    const before = statSync(keptFiles(keeper.dir, 'w')[1]).ino;
    assert.ok(before > 0);
    write(1);
    keeper.flush();
    stop();
    const { out } = await done;
    const got = out.trim().split('\n').map((l) => Number(/^line (\d+) x{60}$/.exec(l)?.[1]));
    // The first two, then every line after them; with more than two rotations between two polls, the
    // lines of files rotated away unseen are the only ones that may be missing — never reordered or repeated.
    assert.deepEqual(got.slice(0, 2), [4, 5]);
    for (let i = 1; i < got.length; i++) assert.ok(got[i]! > got[i - 1]!, `in order: ${got[i - 1]} then ${got[i]}`);
    assert.deepEqual(got.slice(0, 2 + 3 + 30 + 60), Array.from({ length: 95 }, (_, i) => i + 4), 'every line through one and two rotations');
    assert.equal(got.at(-1), n, 'the last line written');
  });

  test("--json prints colony's own records for the lines, byte for byte", async () => {
    const keeper = colony([proc('web')]);
    const f = keeper.open('web');
    const lines = ['plain', '{"a":  1}', 'tab\there "q" \\ \u0000'];
    f.block(1234, 'stderr', LineBatch.of(lines));
    keeper.flush();
    assert.equal((await run(['web'], { json: true })).out, jsonRecords(recordTail('web', 'stderr'), lines, 1234));
  });

  test('parseKept: whole blocks back as written; an unfinished block waits; junk is skipped to the next header', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.boolean(), fc.array(fc.string({ unit: 'binary' }).map((l) => l.replaceAll('\n', '')), { minLength: 1 }))), (blocks) => {
        const text = blocks.map(([t, out, ls]) => keptBlock(t, out ? 'stdout' : 'stderr', ls)).join('');
        const r = parseKept(text);
        assert.equal(r.end, text.length);
        assert.deepEqual(r.lines, blocks.flatMap(([t, out, ls]) => ls.map((line) => ({ time: t, stream: out ? 'stdout' : 'stderr', line }))));
      }),
    );
    const two = keptBlock(1, 'stdout', ['a', 'b']);
    assert.deepEqual(parseKept(two.slice(0, -1)), { lines: [], end: 0 });
    assert.deepEqual(parseKept(`junk\n${two}`).lines.map((l) => l.line), ['a', 'b']);
  });

  test('selectProcesses: web:2x is not an instance of web', () => {
    const st = { colony: {} as Status['colony'], processes: [proc('web'), proc('web:2x'), proc('web:3')] };
    assert.deepEqual(selectProcesses(st, ['web'], () => undefined), ['web', 'web:3']);
  });
});
