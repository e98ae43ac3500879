// Output flood and backpressure. colony as PID 1 relays 1 GB from 10 children; its stdout
// is read as a stream (never kept: 1 GB of records would not fit). Then its stdout reader stalls while
// children keep writing: the children must block on their pipes instead of colony buffering without
// bound, and colony must keep reaping and handling signals and messages meanwhile.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeAtomic, type Rec } from '../helpers/colony.ts';
import { zombies } from '../helpers/proc.ts';
import { assertClean, destroyAll, mb, peakRssMB, rssMB, Sampler, secs, stateOfProc, StreamColony, waitFor } from '../helpers/stress.ts';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const ORPHANS_SH = join(import.meta.dirname, '..', 'fixtures', 'orphans.sh'); // shared with the integration tests
const FLOOD = join(FIXTURES, 'flood.py');
const MiB = 1024 * 1024;
const RSS_BOUND_MB = 150;
const TRIM_MB = 8; // at least what a flood grows the young generation by (2 × --max-semi-space-size=8 MB, used)
const NO_HUP = { SIGHUP: null };
// As flood.py writes them (its FILL).
const FILL = 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(MiB / 36 + 2).slice(0, MiB + 64);

// Checks one child's lines as they arrive: "NAME SEQ FILLER", SEQ 0, 1, 2, ... each exactly as
// flood.py wrote it (invalid bytes shown as \xNN), then "NAME end N" (the line without a newline).
class Sequence {
  next = 0;
  ended = false;
  bytes = 0;
  invalidShown = 0; // lines whose FF FE bytes arrived as the text \xff\xfe
  longest = 0;
  errors: string[] = [];
  errorCount = 0;
  private readonly name: string;
  private readonly lines: number;
  private readonly length: number;
  private readonly big: number;

  constructor(name: string, lines: number, length: number, big = -1) {
    this.name = name;
    this.lines = lines;
    this.length = length;
    this.big = big;
  }

  private fail(what: string): void {
    this.errorCount++;
    if (this.errors.length < 5) this.errors.push(`${this.name}: ${what}`);
  }

  add(r: Rec): void {
    const msg = r.msg;
    if (typeof msg !== 'string' || r.stream !== 'stdout') return this.fail(`unexpected record ${JSON.stringify(r).slice(0, 200)}`);
    this.bytes += msg.length;
    this.longest = Math.max(this.longest, msg.length);
    if (this.ended) return this.fail(`a line after the end line: ${msg.slice(0, 60)}`);
    if (msg === `${this.name} end ${this.lines}`) {
      if (this.next !== this.lines) this.fail(`end line after seq ${this.next - 1}: ${this.lines - this.next} lines missing`);
      this.ended = true;
      return;
    }
    const seq = this.next;
    const invalid = seq % 1000 === 999;
    const head = `${this.name} ${seq} ${invalid ? '\\xff\\xfe' : ''}`;
    const rawHead = Buffer.byteLength(`${this.name} ${seq} `) + (invalid ? 2 : 0);
    const fill = FILL.slice(0, (seq === this.big ? MiB : this.length) - rawHead);
    if (msg.length !== head.length + fill.length || !msg.startsWith(head) || !msg.endsWith(fill)) {
      const got = /^\S+ (\d+) /.exec(msg);
      this.fail(`expected line ${seq} (${head.length + fill.length} chars), got ${msg.length} chars: ${JSON.stringify(msg.slice(0, 40))}`);
      if (got) this.next = Number(got[1]); // resynchronise on the line received
    }
    if (invalid) this.invalidShown++;
    this.next++;
  }
}

describe('output flood', () => {
  after(destroyAll);

  // Nothing lost: every child's lines arrive, each exactly once, whole, in order (sequence numbers
  // 0..N-1), the 1 MiB line whole, invalid bytes as \xNN, and the final line without a newline.
  it('10 children write 1 GB: every line arrives in order, whole; RSS stays bounded', async (t) => {
    const CHILDREN = 10;
    const LINES = 100_000;
    const LENGTH = 1024; // bytes before the newline: 10 × 100,000 × 1,025 B ≈ 1.02 GB, plus the 1 MiB line
    const BIG = 5000; // child f0's line 5000 is 1 MiB long
    const seqs = new Map<string, Sequence>();
    const files: Record<string, object> = {};
    for (let i = 0; i < CHILDREN; i++) {
      const name = `f${i}`;
      seqs.set(name, new Sequence(name, LINES, LENGTH, i === 0 ? BIG : -1));
      files[name] = { args: ['python3', FLOOD, name, String(LINES), String(LENGTH), String(i === 0 ? BIG : -1)], restart: 'never' };
    }
    const t0 = Date.now();
    const strays: Rec[] = [];
    const c = await StreamColony.start({ files, onOutput: (r) => (seqs.has(String(r.proc)) ? seqs.get(String(r.proc))!.add(r) : strays.push(r)) });
    const sampler = new Sampler(c.pid, 100);
    const rssBefore = rssMB(c.pid);
    await c.until('every child to print its end line', () => [...seqs.values()].every((s) => s.ended), 600_000, 50);
    const ms = Date.now() - t0;
    await c.until('every child to have exited', () => c.count((r) => r.msg === 'not restarted (restart: never)') === CHILDREN, 30_000);
    const samples = sampler.stop();
    const hwm = peakRssMB(c.pid);
    const rssAfter = rssMB(c.pid);
    const total = [...seqs.values()].reduce((n, s) => n + s.bytes, 0);
    t.diagnostic(`flood: ${CHILDREN} children, ${c.outputCount} lines, ${(total / 1e9).toFixed(3)} GB of line text, colony stdout ${(c.bytesRead / 1e9).toFixed(3)} GB in ${secs(ms)} (${(total / 1e6 / (ms / 1000)).toFixed(0)} MB/s)`);
    t.diagnostic(`flood: colony RSS before ${mb(rssBefore)}, after ${mb(rssAfter)}, sampled peak ${mb(sampler.peakRssMB)} (${samples.length} samples), kernel high-water mark ${mb(hwm)}`);
    const errors = [...seqs.values()].flatMap((s) => s.errors);
    const errorCount = [...seqs.values()].reduce((n, s) => n + s.errorCount, 0);
    assert.deepEqual(errors, [], `nothing lost: every line of every child exactly once, whole and in order (${errorCount} problems)`);
    for (const [name, s] of seqs) {
      assert.equal(s.next, LINES, `nothing lost: ${name} delivered lines 0..${LINES - 1}`);
      assert.ok(s.ended, `nothing lost: ${name}'s last line (no trailing newline) arrived`);
      assert.equal(s.invalidShown, LINES / 1000, `${name}: every line with invalid UTF-8 arrived with its bytes shown as \\xNN`);
    }
    assert.equal(seqs.get('f0')!.longest, MiB, 'the 1 MiB line arrived whole, as one record');
    assert.deepEqual(strays, [], 'no line from anything but the children');
    assert.equal(c.outputCount, CHILDREN * (LINES + 1), 'no line other than the children\'s lines and end lines');
    assert.ok(hwm < RSS_BOUND_MB, `colony's peak RSS (kernel high-water mark) ${mb(hwm)} must stay under ${RSS_BOUND_MB} MB`);
    // Quiet again: colony gives the heap the flood grew back to the kernel (system/memory-trim.ts, 5 s
    // after the last activity; the deadline is generous for a loaded machine).
    const t1 = Date.now();
    await c.until(`colony's RSS to drop by ${TRIM_MB} MB from ${mb(rssAfter)} once the flood is over (memory given back when quiet)`, () => rssMB(c.pid) <= rssAfter - TRIM_MB, 60_000, 200);
    t.diagnostic(`flood: quiet again, colony RSS ${mb(rssMB(c.pid))} after ${secs(Date.now() - t1)}`);
    assertClean(c);
    assert.equal((await c.stop()).code, 0);
  });

  // Nothing lost: while the reader is stalled the children block (no line is dropped to make room);
  // once it reads again, every line arrives, in order. Meanwhile colony reaps (zero zombies), forwards
  // SIGHUP and carries out a RESTART message — all seen without reading its stdout.
  it('stalled stdout reader: children block, RSS stays bounded, colony still reaps and handles signals; then every line arrives', async (t) => {
    const WRITERS = 4;
    const LINES = 200_000;
    const LENGTH = 200;
    const EVERY = 100;
    const STORM = 2000;
    const seqs = new Map<string, Sequence>();
    const c = await StreamColony.start({
      // Only hup.py gets the SIGHUP colony forwards ("signals": SIGHUP → null for the others: it would end them).
      files: (dirs) => ({ hup: { args: ['python3', join(FIXTURES, 'hup.py'), join(dirs.dir, 'hup.log')] }, victim: { args: ['sleep', '100001'], signals: NO_HUP } }),
      onOutput: (r) => void seqs.get(String(r.proc))?.add(r),
    });
    const d = c.dirs;
    const progress = join(d.dir, 'progress');
    mkdirSync(progress);
    const hupFile = join(d.dir, 'hup.log');
    await c.waitRecord('hup started', (r) => r.proc === 'hup' && r.msg === 'started', 10_000);
    const victimPid = await waitFor('victim running, in the state file', () => stateOfProc(d.state, 'victim')?.pid ?? undefined, 10_000);
    const sampler = new Sampler(c.pid, 100);
    const rssBefore = rssMB(c.pid);

    c.stall();
    const t0 = Date.now();
    const readAtStall = c.bytesRead;
    for (let i = 0; i < WRITERS; i++) {
      const name = `w${i}`;
      seqs.set(name, new Sequence(name, LINES, LENGTH));
      writeAtomic(d.config, name, { args: ['python3', FLOOD, name, String(LINES), String(LENGTH), '-1', join(progress, name), String(EVERY)], restart: 'never', signals: NO_HUP });
    }
    const names = [...seqs.keys()];
    const written = (): number[] => names.map((n) => readCount(join(progress, n)));
    // Stalled: no writer has advanced for 2 s (observed, not slept), all short of their last line
    // (one started once colony's stdout was already backed up may not have written any).
    let last = written();
    let since = Date.now();
    await waitFor(
      'the writers to block',
      () => {
        const now = written();
        if (now.some((x, i) => x !== last[i])) {
          last = now;
          since = Date.now();
        }
        return now.some((x) => x > 0) && Date.now() - since >= 2000;
      },
      60_000,
      100,
    );
    const blocked = last;
    assert.ok(blocked.every((x) => x < LINES), `the writers are blocked before their end: ${blocked.join(', ')} lines of ${LINES}`);
    const writtenBytes = blocked.reduce((n, x) => n + x * (LENGTH + 1), 0);
    const rssStalled = rssMB(c.pid);
    t.diagnostic(`backpressure: writers blocked after ${blocked.join(', ')} lines (${mb(writtenBytes / MiB)} written while the reader read ${mb((c.bytesRead - readAtStall) / MiB)}), ${secs(Date.now() - t0)} after the stall`);

    // Reaping while stalled: an orphan storm leaves no zombie.
    const stormDone = join(d.dir, 'storm.done');
    writeAtomic(d.config, 'storm', { args: ['/bin/sh', ORPHANS_SH, String(STORM), stormDone], signals: NO_HUP });
    await waitFor('the orphan storm to end', () => existsSync(stormDone), 60_000, 50);
    await waitFor('zero zombies while stalled', () => zombies(c.pid).length === 0, 20_000, 50);
    // Signals while stalled: SIGHUP is forwarded to hup.py.
    process.kill(c.pid, 'SIGHUP');
    await waitFor('hup.py to get the forwarded SIGHUP', () => existsSync(hupFile) && readFileSync(hupFile, 'utf8').includes('HUP'), 10_000);
    // Messages while stalled: RESTART victim is acknowledged and the state file shows a new pid.
    writeAtomic(d.messages, 'restart-victim', { type: 'RESTART', name: 'victim' });
    await waitFor('the RESTART acknowledgement', () => existsSync(join(d.state, 'acks', 'restart-victim.json')), 10_000);
    const newVictim = await waitFor('victim running again with a new pid', () => {
      const s = stateOfProc(d.state, 'victim');
      return s?.state === 'running' && s.pid !== victimPid ? s.pid : undefined;
    }, 10_000);
    const stillBlocked = written();
    assert.deepEqual(stillBlocked, blocked, 'the writers are still blocked (the reader has not resumed)');
    const rssDuring = Math.max(rssStalled, rssMB(c.pid));
    t.diagnostic(`while stalled: ${STORM} orphans reaped (0 zombies), SIGHUP forwarded, RESTART carried out (victim ${victimPid} → ${newVictim}); colony RSS ${mb(rssBefore)} before, ${mb(rssDuring)} during`);
    assert.ok(writtenBytes < 16 * MiB, `children are held back by backpressure: ${mb(writtenBytes / MiB)} written by the writers while the reader was stalled must stay under 16 MiB`);
    assert.ok(rssDuring < RSS_BOUND_MB, `colony's RSS while stalled ${mb(rssDuring)} must stay under ${RSS_BOUND_MB} MB`);

    // The reader resumes: every line arrives, in order.
    const t1 = Date.now();
    c.resume();
    await c.until('every writer to print its end line', () => [...seqs.values()].every((s) => s.ended), 300_000, 50);
    const samples = sampler.stop();
    t.diagnostic(`after resuming: all ${WRITERS} × ${LINES} lines in ${secs(Date.now() - t1)}; colony RSS peak ${mb(Math.max(...samples.map((s) => s.rssMB)))} sampled, ${mb(peakRssMB(c.pid))} high-water mark`);
    const errors = [...seqs.values()].flatMap((s) => s.errors);
    assert.deepEqual(errors, [], 'nothing lost: every writer\'s lines arrive exactly once, whole, in order after the stall');
    for (const [name, s] of seqs) assert.equal(s.next, LINES, `nothing lost: ${name} delivered lines 0..${LINES - 1}`);
    await c.waitRecord('the forwarded SIGHUP record (queued during the stall)', (r) => r.msg === 'forwarded SIGHUP', 10_000);
    assert.ok(c.records.some((r) => r.msg === 'message handled' && String(r.file).endsWith('restart-victim')), 'the RESTART message record arrived after the stall');
    assertClean(c);
    assert.equal((await c.stop()).code, 0);
  });
});

function readCount(path: string): number {
  try {
    return Number(readFileSync(path, 'utf8')) || 0;
  } catch {
    return 0;
  }
}
