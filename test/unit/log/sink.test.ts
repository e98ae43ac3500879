import assert from 'node:assert/strict';
import { closeSync } from 'node:fs';
import { Socket } from 'node:net';
import { describe, test } from 'node:test';
import { loadLibc } from '../../../src/system/libc.ts';
import { Sink } from '../../../src/log/sink.ts';

// A real pipe: the sink writes its write end; the test reads the read end (only when it calls read()).
function pipe(): { w: number; read(bytes: number): Promise<string>; close(): void } {
  const [r, w] = loadLibc().pipe();
  let reader: Socket | undefined;
  return {
    w,
    // Reads `bytes` bytes (asynchronously: the sink's writes need the event loop too).
    read: (bytes) =>
      new Promise((resolve, reject) => {
        const socket = (reader = new Socket({ fd: r, readable: true, writable: false }));
        const chunks: Buffer[] = [];
        let got = 0;
        // Bounded: a test that fails before its bytes come must not leave the reader holding the process.
        const late = setTimeout(() => {
          socket.destroy();
          reject(new Error(`read ${got} of ${bytes} bytes within 30 s`));
        }, 30_000).unref();
        socket.on('data', (c: Buffer) => {
          chunks.push(c);
          got += c.length;
          if (got < bytes) return;
          clearTimeout(late);
          resolve(Buffer.concat(chunks).toString('utf8'));
        });
        reader.on('error', reject);
      }),
    close: () => {
      if (reader) reader.destroy();
      else closeSync(r);
      closeSync(w);
    },
  };
}

class Source {
  paused = 0;
  resumed = 0;
  pause(): void {
    this.paused++;
  }
  resume(): void {
    this.resumed++;
  }
}

const until = async (what: string, cond: () => boolean): Promise<void> => {
  for (let i = 0; !cond(); i++) {
    if (i > 500) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('Sink', () => {
  test('writes everything, in order, across many batches', async () => {
    const p = pipe();
    const sink = new Sink(p.w);
    const lines = Array.from({ length: 20000 }, (_, i) => `line ${i} ${'é'.repeat(i % 7)}\n`);
    for (const l of lines) sink.write(l);
    const expected = lines.join('');
    const reading = await p.read(Buffer.byteLength(expected));
    await sink.flush();
    assert.equal(reading, expected);
    assert.equal(sink.backlog, 0);
    p.close();
  });

  test('records built in its buffers (reserve/commit) come out whole and in order while its buffers are used again', async (t) => {
    const p = pipe();
    const sink = new Sink(p.w);
    // Rounds of records of 10 B to 600 KiB (longer than a buffer: one of its own), some with text between.
    let seq = 0;
    const rounds = Array.from({ length: 600 }, (_, round) => ({
      records: Array.from({ length: 1 + (round % 7) }, () => Buffer.from(`${seq++} ${'abcdefghij'.repeat(round === 100 ? 61440 : [1, 3, 50, 1000, 3000][seq % 5]!)}\n`)),
      text: round % 3 === 0 ? `text ${round}\n` : undefined,
    }));
    const all = Buffer.concat(rounds.flatMap((r) => [...r.records, ...(r.text ? [Buffer.from(r.text)] : [])]));
    t.after(() => p.close());
    const read = p.read(all.length); // a reader from the start: writes complete, and buffers come back for reuse
    const slabs = new Set<ArrayBufferLike>(); // the buffers records were built in (but those of their own)
    const reserve = (n: number): Buffer => {
      const b = sink.reserve(n);
      if (n <= 256 * 1024) slabs.add(b.buffer);
      return b;
    };
    for (const [i, round] of rounds.entries()) {
      let buf = reserve(1);
      let pos = 0;
      for (const r of round.records) {
        if (pos + r.length > buf.length) {
          sink.commit(buf, pos);
          buf = reserve(r.length);
          pos = 0;
        }
        pos += r.copy(buf, pos);
      }
      sink.commit(buf, pos);
      if (round.text) sink.write(round.text);
      // As the relay's sources do: wait while the sink is full (it would have paused them).
      while (sink.full || i % 10 === 0) {
        await new Promise((r) => setTimeout(r, 1));
        if (!sink.full) break;
      }
    }
    const late = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not all written within 60 s: ${sink.backlog} bytes left`)), 60000).unref());
    const got = Buffer.from(await Promise.race([read, late]), 'utf8');
    await sink.flush();
    assert.equal(got.length, all.length);
    assert.ok(got.equals(all), 'the bytes read are the records committed, in order');
    assert.ok(slabs.size <= 16, `${(all.length / 1048576).toFixed(1)} MiB built in ${slabs.size} buffers of 256 KiB, used again`);
  });

  test('releaseSpares() lets the spare buffers go: the next records are built in a new one', async (t) => {
    const p = pipe();
    t.after(() => p.close());
    const sink = new Sink(p.w);
    const first = sink.reserve(10);
    first.write('0123456789');
    sink.commit(first, 10);
    const read = p.read(20);
    await sink.flush();
    assert.equal(sink.reserve(10).buffer, first.buffer, 'written: its buffer is used again');
    sink.releaseSpares();
    const next = sink.reserve(10);
    assert.notEqual(next.buffer, first.buffer);
    next.write('abcdefghij');
    sink.commit(next, 10);
    assert.equal(await read, '0123456789abcdefghij');
  });

  test('above the high-water mark the sources are paused, and resumed once the reader caught up', async () => {
    const p = pipe();
    const sink = new Sink(p.w, { highWaterMark: 256 * 1024 });
    const src = new Source();
    sink.throttle(src);
    const chunk = `${'x'.repeat(1023)}\n`;
    // The pipe holds 64 KiB: with nobody reading, the write in flight blocks and the queue grows.
    for (let i = 0; i < 1024; i++) sink.write(chunk);
    assert.equal(sink.full, true, 'full once more than the high-water mark is queued');
    assert.equal(src.paused, 1, 'the source was paused once');
    assert.equal(src.resumed, 0, 'and not resumed while nothing is read');
    const late = new Source();
    sink.throttle(late);
    assert.equal(late.paused, 1, 'a source registered while full is paused at once');
    const text = await p.read(chunk.length * 1024);
    assert.equal(text, chunk.repeat(1024), 'nothing lost, nothing reordered');
    await until('the sources to be resumed', () => src.resumed === 1);
    assert.equal(sink.full, false);
    assert.equal(late.resumed, 1);
    sink.release(src);
    p.close();
  });

  test('a released source is no longer paused', async () => {
    const [r, w] = loadLibc().pipe();
    const sink = new Sink(w, { highWaterMark: 1024, onBroken: () => undefined });
    const src = new Source();
    sink.throttle(src);
    sink.release(src);
    sink.write('y'.repeat(70 * 1024));
    sink.write('y'.repeat(4096));
    assert.equal(sink.full, true);
    assert.equal(src.paused, 0);
    // The write in flight blocks on the full pipe: closing the read end ends it (EPIPE). The write
    // end is closed only then — closed under a write in flight, its number could be reused by the
    // next test's pipe and receive the rest of these bytes.
    closeSync(r);
    await sink.flush();
    closeSync(w);
  });

  test('a reader gone (EPIPE) is reported once; later writes are dropped without throwing', async () => {
    const [r, w] = loadLibc().pipe();
    closeSync(r);
    const broken: string[] = [];
    const sink = new Sink(w, { onBroken: (err) => broken.push(err.code ?? '?') });
    sink.write('lost\n');
    await sink.flush();
    sink.write('also lost\n');
    await sink.end();
    assert.deepEqual(broken, ['EPIPE']);
    closeSync(w);
  });

  test('end() waits for the write in flight, then writes the rest synchronously, in order', async () => {
    const p = pipe();
    const sink = new Sink(p.w);
    sink.write('first\n');
    sink.write('second\n');
    try {
      const ending = sink.end();
      sink.write('third\n'); // accepted while the first batch is in flight
      await ending;
      assert.equal(sink.backlog, 0);
      assert.equal(await p.read('first\nsecond\nthird\n'.length), 'first\nsecond\nthird\n');
    } finally {
      p.close(); // also on failure: an open reader would keep the test process alive
    }
  });
});
