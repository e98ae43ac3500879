import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { keptBlock, keptBlockBytes, parseKept } from '../../../src/log/kept.ts';
import { decodeLine, LineSplitter, type LineBatch } from '../../../src/log/lines.ts';
import { jsonRecordBytes, jsonRecords, recordTail, textRecordBytes } from '../../../src/log/records.ts';

// The lines of a whole stream, by the rule the relay follows: split at '\n', one '\r' before the end
// dropped, bytes that are not UTF-8 shown as '\xNN'; no empty line after a final newline.
function modelLines(stream: Buffer): string[] {
  const parts: Buffer[] = [];
  let start = 0;
  for (let nl = stream.indexOf(10); nl !== -1; nl = stream.indexOf(10, start)) {
    parts.push(stream.subarray(start, nl));
    start = nl + 1;
  }
  if (start < stream.length) parts.push(stream.subarray(start));
  return parts.map((p) => {
    const line = decodeLine(p);
    return line.endsWith('\r') ? line.slice(0, -1) : line;
  });
}

// The stream cut at these offsets, each chunk read into one reused buffer (as the spawner's pipes are).
function feed(stream: Buffer, cuts: number[], use: (b: LineBatch) => void): void {
  const offsets = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
  const chunks: Buffer[] = [];
  let at = 0;
  for (const o of [...offsets, stream.length]) {
    if (o > at) chunks.push(stream.subarray(at, o));
    at = Math.max(at, o);
  }
  const splitter = new LineSplitter();
  const reused = Buffer.alloc(Math.max(1, ...chunks.map((c) => c.length)));
  for (const c of chunks) {
    reused.fill(0x2d);
    c.copy(reused);
    const b = splitter.push(reused.subarray(0, c.length));
    if (b) use(b);
  }
  const rest = splitter.end();
  if (rest) use(rest);
}

// What the relay writes for a stream: each batch's output, joined.
function relay(stream: Buffer, cuts: number[], build: (b: LineBatch) => Buffer): { out: Buffer; counts: number; strings: string[] } {
  const out: Buffer[] = [];
  let counts = 0;
  const strings: string[] = [];
  feed(stream, cuts, (b) => {
    out.push(Buffer.from(build(b))); // copied: a builder may hand back a view of what the next read reuses
    counts += b.count;
    strings.push(...b.strings);
  });
  return { out: Buffer.concat(out), counts, strings };
}

// Pieces of output that exercise every path: escapes, CRs, JSON lines, multibyte text, invalid UTF-8.
const SPECIAL = ['"', '\\', '\r', '\n', '\r\n', '\t', '\u0000', '\u001b[31m', '\u001f', '\u007f', 'é', '✓', '😀', '\u2028', '{', '}', '{"a": 1, "b": "x\\ny"}', '{"bad": }', '[1]', '{}', 'plain text '];
const INVALID = [[0xff], [0xc3], [0x80], [0xed, 0xa0, 0x80] /* an encoded lone surrogate */, [0xf0, 0x9f, 0x98] /* a cut emoji */, [0xe2, 0x9c]];
const piece = fc.oneof(
  fc.constantFrom(...SPECIAL).map((s) => Buffer.from(s)),
  fc.constantFrom(...INVALID).map((b) => Buffer.from(b)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 20 }).map((a) => Buffer.from(a)),
);
// Output that is valid UTF-8 without '\r' (what most programs print): the builder's fast path, where
// long runs of plain text between the bytes to escape exercise its 16-byte steps.
const cleanPiece = fc.oneof(
  fc.constantFrom(...SPECIAL.filter((p) => !p.includes('\r'))).map((s) => Buffer.from(s)),
  fc.string({ unit: 'grapheme', maxLength: 30 }).map((s) => Buffer.from(s.replaceAll('\r', ''))),
  fc.string({ unit: fc.constantFrom(...'abcdefgh ijklm-0123456789'), minLength: 10, maxLength: 120 }).map((s) => Buffer.from(s)),
);
const stream = fc.oneof(fc.array(piece, { maxLength: 60 }), fc.array(cleanPiece, { maxLength: 60 })).map((ps) => Buffer.concat(ps));
const cuts = fc.array(fc.nat(), { maxLength: 8 });

const TIME = 1767225600123;
const TAIL = recordTail('web:1', 'stderr');

for (const via of ['wasm', 'js'] as const) describe(`the relay's records, built as bytes (${via === 'wasm' ? 'WebAssembly' : 'JavaScript'})`, () => {
  test('JSON: the same bytes as the string path (jsonRecords) over the lines, for any output and any reads', () => {
    fc.assert(
      fc.property(stream, cuts, (s, c) => {
        const lines = modelLines(s);
        const r = relay(s, c, (b) => jsonRecordBytes(TAIL, b, TIME, via));
        assert.deepEqual(r.strings, lines);
        assert.equal(r.counts, lines.length);
        assert.equal(r.out.toString('latin1'), Buffer.from(jsonRecords(TAIL, lines, TIME)).toString('latin1'));
      }),
      { numRuns: 500 },
    );
  });

  test('JSON: each record parses back to its line (as "msg", or a JSON object line as "json")', () => {
    fc.assert(
      fc.property(stream, cuts, (s, c) => {
        const lines = modelLines(s);
        const records = relay(s, c, (b) => jsonRecordBytes(TAIL, b, TIME, via)).out.toString('utf8').split('\n');
        assert.equal(records.pop(), '');
        assert.equal(records.length, lines.length);
        records.forEach((text, i) => {
          const rec = JSON.parse(text) as Record<string, unknown>;
          assert.deepEqual([rec.level, rec.time, rec.proc, rec.stream], ['info', TIME, 'web:1', 'stderr']);
          if ('json' in rec) assert.deepEqual(rec.json, JSON.parse(lines[i]!));
          else assert.equal(rec.msg, lines[i]);
        });
      }),
      { numRuns: 300 },
    );
  });

  test('text and kept blocks: the same bytes as the string path', () => {
    fc.assert(
      fc.property(stream, cuts, (s, c) => {
        const lines = modelLines(s);
        const text = relay(s, c, (b) => textRecordBytes('web:1 | ', b, via)).out;
        assert.equal(text.toString('latin1'), Buffer.from(lines.map((l) => `web:1 | ${l}\n`).join('')).toString('latin1'));
        const blocks: Buffer[] = [];
        const strings: Buffer[] = [];
        feed(s, c, (b) => {
          blocks.push(Buffer.from(keptBlockBytes(TIME, 'stdout', b)));
          strings.push(Buffer.from(keptBlock(TIME, 'stdout', b.strings)));
        });
        assert.equal(Buffer.concat(blocks).toString('latin1'), Buffer.concat(strings).toString('latin1'));
        assert.deepEqual(parseKept(Buffer.concat(blocks).toString('utf8')).lines.map((l) => l.line), lines);
      }),
      { numRuns: 300 },
    );
  });

  test('1 MiB lines, with escapes and invalid bytes anywhere, read 64 KiB at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 1 << 20 }), piece), { maxLength: 6 }), fc.boolean(), (inserts, json) => {
        const base = Buffer.alloc(1 << 20, 'abcdefgh ');
        const line = Buffer.concat([json ? Buffer.from('{"k": "') : Buffer.alloc(0), base, json ? Buffer.from('"}') : Buffer.alloc(0)]);
        for (const [at, p] of inserts) p.copy(line, at % line.length); // over the line's bytes (a '\n' in it splits it)
        const s = Buffer.concat([line, Buffer.from('\nafter\n'), line]);
        const c = Array.from({ length: Math.ceil(s.length / 65536) }, (_, i) => i * 65536);
        const lines = modelLines(s);
        const r = relay(s, c, (b) => jsonRecordBytes(TAIL, b, TIME, via));
        assert.ok(r.out.equals(Buffer.from(jsonRecords(TAIL, lines, TIME))));
        const t = relay(s, c, (b) => textRecordBytes('w | ', b, via));
        assert.ok(t.out.equals(Buffer.from(lines.map((l) => `w | ${l}\n`).join(''))));
      }),
      { numRuns: 10 },
    );
  });

  test('lines of 100 KiB to 900 KiB in one batch (records longer than the WebAssembly output area)', () => {
    const lines = [100, 300, 500, 900].map((k, i) => `${i % 2 ? '"' : ''}${'x'.repeat(k * 1024)}`);
    const b = new LineSplitter().push(Buffer.from(`${lines.join('\n')}\nend\n`))!;
    assert.ok(jsonRecordBytes(TAIL, b, TIME, via).equals(Buffer.from(jsonRecords(TAIL, [...lines, 'end'], TIME))));
    assert.equal(b.count, 5);
    assert.ok(textRecordBytes('w | ', b, via).equals(Buffer.from([...lines, 'end'].map((l) => `w | ${l}\n`).join(''))));
  });

  test('a clean batch is copied, not decoded: its text is never made', () => {
    const splitter = new LineSplitter();
    const b = splitter.push(Buffer.from('one "quoted"\ntwo\n{"a":1}\nthree\n'))!;
    assert.equal(b.clean, true);
    const out = jsonRecordBytes(TAIL, b, TIME, via).toString();
    assert.equal(out.split('\n').length, 5);
    assert.equal((b as unknown as { text: unknown }).text, undefined, 'no string lines were built');
  });
});
