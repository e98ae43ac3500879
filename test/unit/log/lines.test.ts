import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeLine, LineSplitter } from '../../../src/log/lines.ts';

// Feeds the chunks through a splitter; returns the lines (as text) including the final one from end().
function split(chunks: Array<string | Buffer>): string[] {
  const s = new LineSplitter();
  const lines: string[] = [];
  for (const c of chunks) lines.push(...(s.push(typeof c === 'string' ? Buffer.from(c) : c)?.strings ?? []));
  const rest = s.end();
  if (rest !== undefined) lines.push(...rest.strings);
  return lines;
}

describe('LineSplitter', () => {
  test('splits one chunk into its lines', () => {
    assert.deepEqual(split(['a\nbb\nccc\n']), ['a', 'bb', 'ccc']);
  });

  test('keeps no reference to a chunk: the reader may reuse its buffer for the next read', () => {
    // As the spawner's pipes do: every read lands in the same buffer.
    const buffer = Buffer.alloc(8);
    const s = new LineSplitter();
    const read = (text: string): string[] => {
      buffer.fill(0x2d); // '-': whatever the last read left
      buffer.write(text);
      return s.push(buffer.subarray(0, Buffer.byteLength(text)))?.strings ?? [];
    };
    assert.deepEqual(read('ab'), []);
    assert.deepEqual(read('cd\nef'), ['abcd']);
    assert.deepEqual(read('gh'), []);
    assert.deepEqual(read('\n'), ['efgh']);
    assert.deepEqual(read('tail'), []);
    buffer.fill(0x2d);
    assert.deepEqual(s.end()?.strings, ['tail']);
  });

  test('joins a line split across chunks', () => {
    assert.deepEqual(split(['hel', 'lo wor', 'ld\nnext\n']), ['hello world', 'next']);
  });

  test('a chunk boundary right after a newline', () => {
    assert.deepEqual(split(['one\n', 'two\n']), ['one', 'two']);
  });

  test('one byte at a time', () => {
    const text = 'alpha\nbeta\r\ngamma\n';
    assert.deepEqual(split([...Buffer.from(text)].map((b) => Buffer.from([b]))), ['alpha', 'beta', 'gamma']);
  });

  test('push returns only complete lines; the rest waits', () => {
    const s = new LineSplitter();
    assert.equal(s.push(Buffer.from('abc')), undefined);
    assert.deepEqual(s.push(Buffer.from('def\ng'))?.strings, ['abcdef']);
    assert.deepEqual(s.end()?.strings, ['g']);
  });

  test('keeps a 500 KiB line whole', () => {
    const long = 'x'.repeat(500 * 1024);
    const chunks: Buffer[] = [];
    const bytes = Buffer.from(`${long}\nafter\n`);
    for (let i = 0; i < bytes.length; i += 64 * 1024) chunks.push(bytes.subarray(i, i + 64 * 1024));
    const lines = split(chunks);
    assert.equal(lines.length, 2);
    assert.equal(lines[0]!.length, 500 * 1024);
    assert.equal(lines[0], long);
    assert.equal(lines[1], 'after');
  });

  test('drops the \\r of a CRLF, also when \\r and \\n are in different chunks', () => {
    assert.deepEqual(split(['a\r\nb\r', '\nc\n']), ['a', 'b', 'c']);
  });

  test('keeps a \\r inside a line', () => {
    assert.deepEqual(split(['progress 10%\rprogress 20%\n']), ['progress 10%\rprogress 20%']);
  });

  test('empty lines in the middle are kept', () => {
    assert.deepEqual(split(['a\n\n\nb\n']), ['a', '', '', 'b']);
  });

  test('end() returns the final unterminated line', () => {
    assert.deepEqual(split(['a\nlast words']), ['a', 'last words']);
  });

  test('no spurious empty line at the end of a terminated stream', () => {
    const s = new LineSplitter();
    assert.equal(s.push(Buffer.from('a\nb\n'))?.count, 2);
    assert.equal(s.end(), undefined);
  });

  test('end() on a splitter that saw nothing', () => {
    assert.equal(new LineSplitter().end(), undefined);
  });

  test('end() clears what was pending', () => {
    const s = new LineSplitter();
    s.push(Buffer.from('partial'));
    assert.deepEqual(s.end()?.strings, ['partial']);
    assert.equal(s.end(), undefined);
  });

  test('a multibyte character split across chunks survives', () => {
    const bytes = Buffer.from('née ✓ 😀\n');
    // Cut inside the 3-byte ✓ and inside the 4-byte emoji.
    const check = bytes.indexOf(Buffer.from('✓'));
    const emoji = bytes.indexOf(Buffer.from('😀'));
    const chunks = [bytes.subarray(0, check + 1), bytes.subarray(check + 1, emoji + 2), bytes.subarray(emoji + 2)];
    assert.deepEqual(split(chunks), ['née ✓ 😀']);
  });

  test('one line of invalid UTF-8 in a chunk: only its bytes are escaped, CRLFs still dropped', () => {
    const chunk = Buffer.concat([Buffer.from('ok 1\r\nbad '), Buffer.from([0xff, 0xc3]), Buffer.from('\r\nok ✓\n')]);
    assert.deepEqual(split([chunk]), ['ok 1', 'bad \\xff\\xc3', 'ok ✓']);
  });

  test('an invalid final line is escaped too', () => {
    assert.deepEqual(split([Buffer.from([0x61, 0x0a, 0xfe])]), ['a', '\\xfe']);
  });
});

describe('decodeLine', () => {
  test('valid UTF-8 is kept as is', () => {
    assert.equal(decodeLine(Buffer.from('plain ascii')), 'plain ascii');
    assert.equal(decodeLine(Buffer.from('ünïcödé ✓ 日本 😀')), 'ünïcödé ✓ 日本 😀');
  });

  test('invalid bytes are shown as \\xNN, valid text around them kept', () => {
    assert.equal(decodeLine(Buffer.from([0x61, 0xff, 0x62])), 'a\\xffb');
    assert.equal(decodeLine(Buffer.concat([Buffer.from('é'), Buffer.from([0x80]), Buffer.from('ü')])), 'é\\x80ü');
  });

  test('latin-1 text shows its high bytes', () => {
    assert.equal(decodeLine(Buffer.from('caf\xe9', 'latin1')), 'caf\\xe9');
  });

  test('a truncated multibyte sequence shows each byte', () => {
    // The first two bytes of ✓ (e2 9c 93) followed by ASCII.
    assert.equal(decodeLine(Buffer.from([0xe2, 0x9c, 0x41])), '\\xe2\\x9cA');
  });

  test('overlong encodings and surrogates are invalid', () => {
    assert.equal(decodeLine(Buffer.from([0xc0, 0xaf])), '\\xc0\\xaf'); // overlong '/'
    assert.equal(decodeLine(Buffer.from([0xe0, 0x80, 0xaf])), '\\xe0\\x80\\xaf'); // overlong 3-byte
    assert.equal(decodeLine(Buffer.from([0xed, 0xa0, 0x80])), '\\xed\\xa0\\x80'); // U+D800
    assert.equal(decodeLine(Buffer.from([0xf4, 0x90, 0x80, 0x80])), '\\xf4\\x90\\x80\\x80'); // above U+10FFFF
  });

  test('the edges of the valid ranges decode', () => {
    assert.equal(decodeLine(Buffer.concat([Buffer.from([0xff]), Buffer.from('\u{10ffff}\ud7ff\u0800')])), '\\xff\u{10ffff}\ud7ff\u0800');
  });
});
