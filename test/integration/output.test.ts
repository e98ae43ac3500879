// Child output: one record per line, tagged with the process and stream; long lines whole, invalid
// UTF-8 kept visibly, a final partial line flushed, nothing else added; text format 'name | line'.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Colony, FIXTURES } from '../helpers/colony.ts';
import { waitFor } from '../helpers/wait.ts';

const printer = { args: ['python3', join(FIXTURES, 'output.py')] };

describe('child output', () => {
  const started: Colony[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
  });

  it('every line is one JSON record, whole, in order, invalid bytes visible, last partial line flushed', async () => {
    const c = await Colony.start({ files: { printer }, args: ['--minrestartdelay', '30'] });
    started.push(c);
    await waitFor('final line', () => c.output('printer', 'stdout').includes('no newline at end'), 10_000);
    const out = c.output('printer', 'stdout');
    assert.equal(out.length, 4, `exactly four stdout lines (no spurious empty line at exit): ${JSON.stringify(out.map((l) => l.slice(0, 20)))}`);
    assert.equal(out[0]!.length, 300 * 1024 + 1);
    assert.ok(out[0]!.endsWith('Z'));
    assert.equal(out[1], 'bad \\xff\\xfe bytes é ok');
    assert.equal(out[2], '');
    assert.equal(out[3], 'no newline at end');
    await waitFor('stderr line', () => c.output('printer', 'stderr').length === 1);
    assert.deepEqual(c.output('printer', 'stderr'), ['to stderr']);
    const rec = c.find((r) => r.proc === 'printer' && r.stream === 'stderr')!;
    assert.equal(rec.level, 'info');
    assert.equal(typeof rec.time, 'number');
    await c.stop();
  });

  it("text format prints 'name | line'", async () => {
    const t = await Colony.start({ files: { hello: { args: ['/bin/sh', '-c', 'echo hello world; exec sleep 1000'] } }, args: ['--log-format', 'text'] });
    started.push(t);
    await waitFor('text line', () => t.rawLines.includes('hello | hello world'));
    assert.ok(t.rawLines.includes('colony[hello] | descriptor added'), t.log());
    await t.stop();
  });
});
