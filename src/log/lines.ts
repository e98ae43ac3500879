import { isUtf8 } from 'node:buffer';

// Splits a byte stream into lines of text. Lines are kept whole however long; a final line without a
// newline is returned by end(). A '\r' before the '\n' is dropped. Bytes that are not UTF-8 are kept
// visibly (see decodeLine). The common case — a chunk of valid UTF-8 — is decoded once and split as text.
// A chunk is not kept past the call (what is pending is copied): the reader may reuse its buffer.
export class LineSplitter {
  private pending: Buffer[] = [];

  // The complete lines in this chunk (plus whatever was pending before it).
  push(chunk: Buffer): string[] {
    const last = chunk.lastIndexOf(10);
    if (last === -1) {
      if (chunk.length > 0) this.pending.push(Buffer.from(chunk));
      return [];
    }
    let region = chunk.subarray(0, last);
    if (this.pending.length > 0) {
      this.pending.push(region);
      region = Buffer.concat(this.pending);
    }
    this.pending = last + 1 < chunk.length ? [Buffer.from(chunk.subarray(last + 1))] : [];
    if (!isUtf8(region)) return splitBytes(region).map((l) => stripCr(decodeLine(l)));
    const lines = region.toString('utf8').split('\n');
    if (region.includes(13)) for (let i = 0; i < lines.length; i++) lines[i] = stripCr(lines[i]!);
    return lines;
  }

  // The last, unterminated line, if any.
  end(): string | undefined {
    if (this.pending.length === 0) return undefined;
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    return rest.length > 0 ? stripCr(decodeLine(rest)) : undefined;
  }
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
