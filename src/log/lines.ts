import { isUtf8 } from 'node:buffer';

// A chunk's worth of complete lines from a child's pipe, as bytes: the lines joined by '\n' (without
// the last newline). When `clean` — valid UTF-8 with no '\r' — the bytes are exactly the lines' text, so
// the relay copies them into its records as they are (records.ts); otherwise, and for whoever wants text,
// `strings` decodes them: a '\r' before a line's end is dropped, bytes that are not UTF-8 kept visibly.
// `bytes` may be a view of the buffer the next read reuses: it is valid only during the call that hands
// the batch over (copy what must be kept); `strings` and `count` stay valid.
export class LineBatch {
  readonly bytes: Buffer;
  readonly clean: boolean;
  private text: string[] | undefined;
  private lines: number;

  constructor(bytes: Buffer) {
    this.bytes = bytes;
    this.clean = isUtf8(bytes) && !bytes.includes(13);
    this.lines = -1;
  }

  // A batch of these lines (each without a newline).
  static of(lines: readonly string[]): LineBatch {
    return new LineBatch(Buffer.from(lines.join('\n')));
  }

  // How many lines.
  get count(): number {
    if (this.lines < 0) {
      let n = 1;
      for (let nl = this.bytes.indexOf(10); nl !== -1; nl = this.bytes.indexOf(10, nl + 1)) n++;
      this.lines = n;
    }
    return this.lines;
  }

  // What a builder that went through the bytes found the count to be (saves counting again).
  counted(lines: number): void {
    this.lines = lines;
  }

  // The lines as text (decoded once, then kept).
  get strings(): string[] {
    if (this.text === undefined) {
      const b = this.bytes;
      if (this.clean) this.text = b.toString('utf8').split('\n');
      else if (isUtf8(b)) this.text = b.toString('utf8').split('\n').map(stripCr);
      else this.text = splitBytes(b).map((l) => stripCr(decodeLine(l)));
      this.lines = this.text.length;
    }
    return this.text;
  }
}

// Splits a byte stream into batches of lines. Lines are kept whole however long; a final line without
// a newline is the batch end() returns. A chunk is not kept past the call (what is pending is copied):
// the reader may reuse its buffer.
export class LineSplitter {
  private pending: Buffer[] = [];

  // The complete lines in this chunk (plus whatever was pending before it), if any.
  push(chunk: Buffer): LineBatch | undefined {
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      if (chunk.length > 0) this.pending.push(Buffer.from(chunk));
      return undefined;
    }
    let region = chunk.subarray(0, last);
    if (this.pending.length > 0) {
      this.pending.push(region);
      region = joined(this.pending);
    }
    this.pending = last + 1 < chunk.length ? [Buffer.from(chunk.subarray(last + 1))] : [];
    return new LineBatch(region);
  }

  // The last, unterminated line, if any.
  end(): LineBatch | undefined {
    if (this.pending.length === 0) return undefined;
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    return rest.length > 0 ? new LineBatch(rest) : undefined;
  }
}

// Where a line cut by a read is joined to the rest of the next chunk: one buffer for every splitter,
// used again at each call (a batch's bytes are valid only during the call that hands it over).
const JOINT_MAX = 1024 * 1024; // a longer join gets a buffer of its own
let joint: Buffer | undefined;

function joined(parts: Buffer[]): Buffer {
  let n = 0;
  for (const p of parts) n += p.length;
  if (n > JOINT_MAX) return Buffer.concat(parts, n);
  if (!joint || joint.length < n) joint = Buffer.allocUnsafeSlow(Math.max(n, 128 * 1024));
  let at = 0;
  for (const p of parts) at += p.copy(joint, at);
  return joint.subarray(0, n);
}

function splitBytes(region: Buffer): Buffer[] {
  const lines: Buffer[] = [];
  let start = 0;
  for (let nl = region.indexOf(10); nl !== -1; nl = region.indexOf(10, start)) {
    lines.push(region.subarray(start, nl));
    start = nl + 1;
  }
  lines.push(region.subarray(start));
  return lines;
}

function stripCr(line: string): string {
  return line.charCodeAt(line.length - 1) === 13 ? line.slice(0, -1) : line;
}

// Text of a line: UTF-8 as is; bytes that are not valid UTF-8 are kept visibly as '\xNN' (never silently replaced).
export function decodeLine(line: Buffer): string {
  if (isUtf8(line)) return line.toString('utf8');
  let out = '';
  let i = 0;
  while (i < line.length) {
    const len = validSequenceLength(line, i);
    if (len > 0) {
      out += line.toString('utf8', i, i + len);
      i += len;
    } else {
      out += `\\x${line[i]!.toString(16).padStart(2, '0')}`;
      i += 1;
    }
  }
  return out;
}

// Length of the valid UTF-8 sequence starting at i, or 0 when the byte there does not start one.
function validSequenceLength(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const cont = (k: number, lo = 0x80, hi = 0xbf): boolean => i + k < b.length && b[i + k]! >= lo && b[i + k]! <= hi;
  if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
  if (c === 0xe0) return cont(1, 0xa0) && cont(2) ? 3 : 0;
  if ((c >= 0xe1 && c <= 0xec) || c === 0xee || c === 0xef) return cont(1) && cont(2) ? 3 : 0;
  if (c === 0xed) return cont(1, 0x80, 0x9f) && cont(2) ? 3 : 0;
  if (c === 0xf0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xf1 && c <= 0xf3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c === 0xf4) return cont(1, 0x80, 0x8f) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}
