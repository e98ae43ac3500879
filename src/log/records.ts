// The JSON records of the lines a child printed: the shape pino would write for
// p.child({ proc, stream }).info(line) — {"level":"info","time":…,"proc":…,"stream":…,"msg":…} — built
// by hand because this is the hot path. colony's JSON log and the kept logs (`colony ctl logs`) hold the
// same records. The relay builds them as bytes, a batch at a time, straight into the sink's buffers
// (jsonRecordsInto): a line that needs no escaping — the common case — is copied as it is between the
// record's head and tail, by a small WebAssembly module (records.wat: it finds the newlines and the bytes
// to escape 16 at a time); the other lines go through the string path (jsonRecords), so that both write
// the same bytes. Without WebAssembly (node --jitless) or for a batch over 1 MiB, a JavaScript loop does
// the same.
import type { LineBatch } from './lines.ts';
import { RECORDS_WASM } from './records-wasm.ts';
import type { ByteOut } from './sink.ts';

// The part of a record after the time and before the line, for one process and stream: built once.
export function recordTail(proc: string, stream: 'stdout' | 'stderr'): string {
  return `,"proc":${JSON.stringify(proc)},"stream":"${stream}",`;
}

// One record per line, each ending in a newline.
export function jsonRecords(tail: string, lines: readonly string[], time: number = Date.now()): string {
  const head = `{"level":"info","time":${time}${tail}`;
  let out = '';
  for (const line of lines) out += jsonRecord(head, line);
  return out;
}

// One record: `head` is the record's start, up to and including the comma before the line's key.
function jsonRecord(head: string, line: string): string {
  // A line that is a JSON object is embedded as it is (already valid JSON) under "json".
  return jsonObject(line) ? `${head}"json":${line}}\n` : `${head}"msg":${JSON.stringify(line)}}\n`;
}

// A line that is itself a JSON object (structlog, python-json-logger...), else undefined: embedded as
// an object in colony's JSON output instead of being escaped into a string.
export function jsonObject(line: string): Record<string, unknown> | undefined {
  if (line.length < 2 || line.charCodeAt(0) !== 123 /* { */ || line.charCodeAt(line.length - 1) !== 125 /* } */) return undefined;
  try {
    const v: unknown = JSON.parse(line);
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

// Bytes that JSON.stringify escapes in a string: control characters, '"' and '\'. (In valid UTF-8 no
// other byte is escaped: non-ASCII text is written as it is, and it holds no lone surrogate.)
const ESCAPED = new Uint8Array(256);
for (let b = 0; b < 32; b++) ESCAPED[b] = 1;
ESCAPED[34] = 1;
ESCAPED[92] = 1;


// Writes records into a ByteOut, a record at a time: room() is asked for at a record's start only, so
// that what is committed is always whole records.
class Cursor {
  buf: Buffer;
  pos = 0;
  private readonly out: ByteOut;

  constructor(out: ByteOut, first: number) {
    this.out = out;
    this.buf = out.reserve(first);
  }

  // Room for the next record of `n` bytes.
  room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    this.out.commit(this.buf, this.pos);
    this.buf = this.out.reserve(n);
    this.pos = 0;
  }

  bytes(src: Buffer, start = 0, end = src.length): void {
    this.pos += src.copy(this.buf, this.pos, start, end);
  }

  // A whole record as text, at a record's start.
  text(s: string): void {
    this.room(Buffer.byteLength(s));
    this.pos += this.buf.write(s, this.pos);
  }

  done(): void {
    this.out.commit(this.buf, this.pos);
  }
}

// The JSON records of a batch into `out`: the same bytes as jsonRecords(tail, batch.strings, time).
// `via`: 'js' skips the WebAssembly builder (tests compare the two).
export function jsonRecordsInto(out: ByteOut, tail: string, batch: LineBatch, time: number, via: 'wasm' | 'js' = 'wasm'): void {
  const headText = `{"level":"info","time":${time}${tail}`;
  if (!batch.clean) return writeText(out, jsonRecords(tail, batch.strings, time));
  const src = batch.bytes;
  const wasm = via === 'wasm' ? builder() : undefined;
  if (wasm && viaWasm(wasm, out, Buffer.from(`${headText}"msg":"`), JSON_TAIL, true, batch, (a, b) => writeText(out, jsonRecord(headText, src.toString('utf8', a, b))))) return;
  // The same without WebAssembly: each line copied between quotes while no byte needs escaping; a line
  // with one, or shaped like a JSON object, through the string path.
  const head = Buffer.from(`${headText}"msg":"`);
  const end = src.length;
  const c = new Cursor(out, head.length + 3 + Math.min(end, 4096));
  let start = 0;
  let lines = 0;
  for (;;) {
    let nl = src.indexOf(10, start);
    if (nl === -1) nl = end;
    lines++;
    c.room(head.length + (nl - start) + 3);
    const buf = c.buf;
    let pos = c.pos + head.copy(buf, c.pos);
    let plain = !(src[start] === 123 /* { */ && nl - start >= 2 && src[nl - 1] === 125 /* } */);
    for (let i = start; plain && i < nl; i++) {
      const b = src[i]!;
      if (ESCAPED[b] === 1) plain = false;
      else buf[pos++] = b;
    }
    if (plain) {
      buf[pos++] = 34;
      buf[pos++] = 125;
      buf[pos++] = 10;
      c.pos = pos;
    } else c.text(jsonRecord(headText, src.toString('utf8', start, nl)));
    if (nl === end) break;
    start = nl + 1;
  }
  c.done();
  batch.counted(lines);
}

// A batch as text lines, each after `prefix` ('name | ' in the text log), into `out`: the same bytes
// as batch.strings.map((l) => prefix + l + '\n').join('').
export function textRecordsInto(out: ByteOut, prefix: string, batch: LineBatch, via: 'wasm' | 'js' = 'wasm'): void {
  if (!batch.clean) {
    let text = '';
    for (const line of batch.strings) text += `${prefix}${line}\n`;
    return writeText(out, text);
  }
  const pre = Buffer.from(prefix);
  const src = batch.bytes;
  const wasm = via === 'wasm' ? builder() : undefined;
  if (wasm && viaWasm(wasm, out, pre, NEWLINE, false, batch, (a, b) => writeText(out, `${prefix}${src.toString('utf8', a, b)}\n`))) return;
  const end = src.length;
  const c = new Cursor(out, pre.length + 1 + Math.min(end, 4096));
  let start = 0;
  let lines = 0;
  for (;;) {
    let nl = src.indexOf(10, start);
    if (nl === -1) nl = end;
    lines++;
    c.room(pre.length + (nl - start) + 1);
    c.bytes(pre);
    c.bytes(src, start, nl);
    c.buf[c.pos++] = 10;
    if (nl === end) break;
    start = nl + 1;
  }
  c.done();
  batch.counted(lines);
}

const JSON_TAIL = Buffer.from('"}\n');
const NEWLINE = Buffer.from('\n');

// The WebAssembly builder (records.wat) and its memory: the record's head and tail at 0, the batch at
// SRC_AT (up to SRC_MAX bytes), the records written from OUT_AT to the end of the memory.
interface Wasm {
  mem: Uint8Array;
  records(headLen: number, tail: number, tailLen: number, escapes: number, start: number, end: number, out: number, outEnd: number): number;
  srcPos: WebAssembly.Global;
  outPos: WebAssembly.Global;
  lines: WebAssembly.Global;
}
const HEAD_MAX = 4096;
const SRC_AT = HEAD_MAX;
const SRC_MAX = 1024 * 1024;
const OUT_AT = SRC_AT + SRC_MAX;

let wasmBuilder: Wasm | null | undefined; // null: no WebAssembly here

function builder(): Wasm | null {
  if (wasmBuilder !== undefined) return wasmBuilder;
  try {
    const e = new WebAssembly.Instance(new WebAssembly.Module(Buffer.from(RECORDS_WASM, 'base64'))).exports as unknown as Omit<Wasm, 'mem'> & { memory: WebAssembly.Memory };
    wasmBuilder = { mem: new Uint8Array(e.memory.buffer), records: e.records, srcPos: e.srcPos, outPos: e.outPos, lines: e.lines };
  } catch {
    wasmBuilder = null;
  }
  return wasmBuilder;
}

// Each line of a batch as head + line + tail, built by the WebAssembly module; the lines it leaves
// (escapes = true: a byte JSON escapes, a JSON object; or a record longer than its output area) are
// `line(start, end)`'s, given as offsets in batch.bytes. False when the batch or the head is too long
// for its memory (nothing was written).
function viaWasm(w: Wasm, out: ByteOut, head: Buffer, tail: Buffer, escapes: boolean, batch: LineBatch, line: (start: number, end: number) => void): boolean {
  const src = batch.bytes;
  const n = src.length;
  if (n > SRC_MAX || head.length + tail.length > HEAD_MAX) return false;
  const mem = w.mem;
  mem.set(head, 0);
  mem.set(tail, head.length);
  mem.set(src, SRC_AT);
  const end = SRC_AT + n;
  let start = SRC_AT;
  let lines = 0;
  for (;;) {
    const result = w.records(head.length, head.length, tail.length, escapes ? 1 : 0, start, end, OUT_AT, mem.length);
    const produced = (w.outPos.value as number) - OUT_AT;
    if (produced > 0) {
      const buf = out.reserve(produced);
      buf.set(mem.subarray(OUT_AT, OUT_AT + produced));
      out.commit(buf, produced);
    }
    lines += w.lines.value as number;
    if (result === 0) break;
    start = w.srcPos.value as number;
    if (result === 2 && produced > 0) continue;
    const nl = src.indexOf(10, start - SRC_AT);
    line(start - SRC_AT, nl === -1 ? n : nl);
    lines++;
    if (nl === -1) break;
    start = SRC_AT + nl + 1;
  }
  batch.counted(lines);
  return true;
}

// Text (whole records) into `out`.
function writeText(out: ByteOut, text: string): void {
  const n = Buffer.byteLength(text);
  const buf = out.reserve(n);
  out.commit(buf, buf.write(text));
}

// What was written into a ByteOut, gathered in one buffer.
function gather(write: (out: ByteOut) => void): Buffer {
  const parts: Buffer[] = [];
  write({ reserve: (n) => Buffer.allocUnsafe(Math.max(n, 64 * 1024)), commit: (buf, used) => void parts.push(buf.subarray(0, used)) });
  return Buffer.concat(parts);
}

// The JSON records of a batch, as one buffer.
export function jsonRecordBytes(tail: string, batch: LineBatch, time: number, via: 'wasm' | 'js' = 'wasm'): Buffer {
  return gather((out) => jsonRecordsInto(out, tail, batch, time, via));
}

// A batch as text lines after `prefix`, as one buffer.
export function textRecordBytes(prefix: string, batch: LineBatch, via: 'wasm' | 'js' = 'wasm'): Buffer {
  return gather((out) => textRecordsInto(out, prefix, batch, via));
}
