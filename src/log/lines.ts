import { isUtf8 } from 'node:buffer';

// Splits a byte stream into lines. Lines are kept whole however long; a final line without a
// newline is returned by end(). A '\r' before the '\n' is dropped.
export class LineSplitter {
  private pending: Buffer[] = [];

  // The complete lines in this chunk (plus whatever was pending before it).
  push(chunk: Buffer): Buffer[] {
    const lines: Buffer[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      let piece = chunk.subarray(start, nl);
      if (this.pending.length > 0) {
        this.pending.push(piece);
        piece = Buffer.concat(this.pending);
        this.pending = [];
      }
      lines.push(stripCr(piece));
      start = nl + 1;
    }
    if (start < chunk.length) this.pending.push(chunk.subarray(start));
    return lines;
  }

  // The last, unterminated line, if any.
  end(): Buffer | undefined {
    if (this.pending.length === 0) return undefined;
    const rest = Buffer.concat(this.pending);
    this.pending = [];
    return rest.length > 0 ? stripCr(rest) : undefined;
  }
}

function stripCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === 13 ? line.subarray(0, -1) : line;
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
