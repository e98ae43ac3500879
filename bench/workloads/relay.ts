// Workload 9, log relay: 10 producers (fixtures/producer.c, compiled here) each print N lines "NAME SEQ
// PAYLOAD" as fast as they can, line-buffered, through the supervisor to its stdout, a pipe read by
// fixtures/sink.c: lines per second from the first producer line read to the last, and every line accounted
// for (per producer: sequence numbers in order, none missing, none twice, the payload intact), checked from
// the captured stream once the run is over. The producers wait on a FIFO until they are all running, then
// start together. Without gcc: python3 producers (fixtures/producer.py), and the bench reads the pipe itself.
import type { ChildProcess } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { compileC, cpuMs, FIXTURES, Fifo, killEach, Pid1, startColony, startTracked, takeTurns, type Timing } from '../lib.ts';
import { startSupervisord } from '../supervisord.ts';
import type { Ctx, Row, Workload } from '../workload.ts';

const PRODUCERS = 10;
const PAYLOAD = 'the-quick-brown-fox-jumps-over-the-lazy-dog-0123456789'; // as in producer.c and producer.py
const SAMPLE_EVERY = 1000; // one JSON record in this many is also parsed in full, to cross-check the fast path

// How a contender's stdout carries a producer's line: colony's JSON records (`msg`, `proc`), its text
// format (`name | line`), or the raw line (no supervisor, `output: inherit`, supervisord).
type Format = 'json' | 'text' | 'raw';

interface ProducerCount {
  lines: number; // lines received
  missing: number; // sequence numbers skipped over (or never received, once the end line came)
  disordered: number; // a sequence number at or below one already received (duplicate or out of order)
  ended: boolean; // its "NAME end N" line arrived
}

const bytes = (s: string): Buffer => Buffer.from(s, 'latin1');
const [MSG_KEY, PROC_KEY, SEPARATOR, COLONY, PAYLOAD_BYTES, END] = ['"msg":"', '"proc":"', ' | ', 'colony', ` ${PAYLOAD}`, ' end '].map(bytes) as [Buffer, Buffer, Buffer, Buffer, Buffer, Buffer];
const [NL, QUOTE, BACKSLASH, SPACE, ZERO, NINE, P, BRACE] = [10, 34, 92, 32, 48, 57, 112, 123];

// What a line's text is: a producer's line (counted), not one at all (the supervisor's), or a damaged one.
type Verdict = 'producer' | 'other' | 'damaged';

// Counts and checks the lines of one run as chunks arrive, keeping no line (2M lines would not fit nicely).
class RelayCheck {
  readonly producers: ProducerCount[];
  firstOffset: number | undefined; // where the first producer line starts in the stream
  lastOffset: number | undefined; // where the line completing the last end line ends (past its newline)
  bytes = 0;
  lines = 0; // producer lines, end lines excluded
  others = 0; // the supervisor's own lines (colony's records)
  readonly errors: string[] = []; // colony's error/fatal records
  readonly damaged: string[] = []; // the first few lines that are neither a producer's nor the supervisor's
  damagedCount = 0;
  sampled = 0; // JSON records also parsed in full
  readonly done: Promise<void>;
  private markDone!: () => void;
  private rest: Buffer | undefined;
  private readonly next: number[]; // per producer: the sequence number expected next
  private ends = 0;
  private jsonSeen = 0;

  private readonly format: Format;
  private readonly count: number; // lines per producer

  constructor(format: Format, count: number) {
    this.format = format;
    this.count = count;
    this.producers = Array.from({ length: PRODUCERS }, () => ({ lines: 0, missing: 0, disordered: 0, ended: false }));
    this.next = this.producers.map(() => 0);
    this.done = new Promise((resolve) => (this.markDone = resolve));
  }

  // The next bytes of the stream.
  push(chunk: Buffer): void {
    const base = this.bytes - (this.rest?.length ?? 0); // the stream offset of buf[0]
    this.bytes += chunk.length;
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let start = 0;
    for (let nl = buf.indexOf(NL); nl !== -1; nl = buf.indexOf(NL, start)) {
      const before = this.lines + this.ends;
      this.line(buf, start, nl);
      if (this.firstOffset === undefined && this.lines + this.ends > before) this.firstOffset = base + start;
      if (this.ends === PRODUCERS && this.lastOffset === undefined) {
        this.lastOffset = base + nl + 1;
        this.markDone();
      }
      start = nl + 1;
    }
    this.rest = start < buf.length ? buf.subarray(start) : undefined;
  }

  // Lines lost (skipped over, or never received) and disordered, over every producer.
  get lost(): number {
    return this.producers.reduce((n, p, i) => n + p.missing + (p.ended ? 0 : this.count - this.next[i]!), 0);
  }
  get disordered(): number {
    return this.producers.reduce((n, p) => n + p.disordered, 0);
  }

  // One line, buf[s, e): finds the producer's text in it, per format.
  private line(buf: Buffer, s: number, e: number): void {
    if (this.format === 'raw') {
      // With output: inherit, colony's own records share the pipe: a producer's line never starts with '{'.
      if (buf[s] === BRACE) return this.colonyJson(buf, s, e);
      if (this.producer(buf, s, e, s, s) !== 'producer') this.damage(buf, s, e);
    } else if (this.format === 'text') {
      const sep = buf.indexOf(SEPARATOR, s);
      if (sep !== -1 && sep < e && buf.compare(COLONY, 0, COLONY.length, s, s + COLONY.length) === 0) return this.colonyText(buf, s, e, sep + 3);
      if (sep === -1 || sep >= e || this.producer(buf, sep + 3, e, s, sep) !== 'producer') this.damage(buf, s, e);
    } else {
      const m = buf.indexOf(MSG_KEY, s);
      const ms = m + MSG_KEY.length;
      const me = m === -1 || m >= e ? -1 : buf.indexOf(QUOTE, ms);
      const p = buf.indexOf(PROC_KEY, s);
      const ps = p + PROC_KEY.length;
      const pe = p === -1 || p >= e ? -1 : buf.indexOf(QUOTE, ps);
      const fast = buf[s] === BRACE && buf[e - 1] === 0x7d && me !== -1 && me < e && !buf.subarray(ms, me).includes(BACKSLASH) && ++this.jsonSeen % SAMPLE_EVERY !== 0;
      if (!fast) return this.jsonParsed(buf, s, e);
      const verdict = pe === -1 || pe > e ? 'other' : this.producer(buf, ms, me, ps, pe);
      if (verdict === 'other') this.colonyJson(buf, s, e);
      else if (verdict === 'damaged') this.damage(buf, s, e);
    }
  }

  // A JSON record parsed in full: when the fast path cannot be trusted (escapes, no msg), and one in SAMPLE_EVERY.
  private jsonParsed(buf: Buffer, s: number, e: number): void {
    this.sampled++;
    let rec: Record<string, unknown>;
    try {
      rec = JSON.parse(buf.toString('utf8', s, e)) as Record<string, unknown>;
    } catch {
      return this.damage(buf, s, e);
    }
    const [proc, msg] = [rec.proc, rec.msg];
    if (typeof proc !== 'string' || typeof msg !== 'string') return this.colonyJson(buf, s, e);
    const line = Buffer.from(proc + msg); // the tag, then the text
    const verdict = this.producer(line, proc.length, line.length, 0, proc.length);
    if (verdict === 'other') this.colonyJson(buf, s, e);
    else if (verdict === 'damaged') this.damage(buf, s, e);
  }

  // A producer's text "pN SEQ PAYLOAD" or "pN end COUNT" at buf[ms, me), which the supervisor tagged with
  // the name at buf[ns, ne) (nothing when ns === ne): counted and its sequence number checked.
  private producer(buf: Buffer, ms: number, me: number, ns: number, ne: number): Verdict {
    if (buf[ms] !== P || !(buf[ms + 1]! >= ZERO && buf[ms + 1]! <= NINE)) return 'other';
    let i = ms + 1;
    let n = 0;
    while (i < me && buf[i] !== SPACE) n = n * 10 + buf[i++]! - ZERO;
    if (n >= PRODUCERS || i >= me || (ns !== ne && buf.compare(buf, ms, i, ns, ne) !== 0)) return 'damaged';
    const count = this.producers[n]!;
    if (buf.compare(END, 0, END.length, i, i + END.length) === 0) {
      if (Number(buf.toString('latin1', i + END.length, me)) !== this.count) return 'damaged';
      count.ended = true;
      count.missing += this.count - this.next[n]!;
      this.ends++;
      return 'producer';
    }
    let seq = 0;
    for (i++; i < me && buf[i] !== SPACE; i++) seq = seq * 10 + buf[i]! - ZERO;
    if (me - i !== PAYLOAD_BYTES.length || buf.compare(PAYLOAD_BYTES, 0, PAYLOAD_BYTES.length, i, me) !== 0) return 'damaged';
    count.lines++;
    this.lines++;
    const expected = this.next[n]!;
    if (seq < expected) count.disordered++;
    else {
      count.missing += seq - expected;
      this.next[n] = seq + 1;
    }
    return 'producer';
  }

  // colony's own JSON record: counted; an error or fatal one is kept.
  private colonyJson(buf: Buffer, s: number, e: number): void {
    this.others++;
    const line = buf.toString('utf8', s, e);
    if (/"level":"(error|fatal)"/.test(line)) this.errors.push(line);
  }

  // colony's own text record (`colony[...] | [LEVEL ]msg`, the text from ts): counted; an error or fatal one is kept.
  private colonyText(buf: Buffer, s: number, e: number, ts: number): void {
    this.others++;
    if (/^(ERROR|FATAL) /.test(buf.toString('latin1', ts, ts + 6))) this.errors.push(buf.toString('utf8', s, e));
  }

  private damage(buf: Buffer, s: number, e: number): void {
    if (this.damagedCount++ < 5) this.damaged.push(buf.toString('utf8', s, Math.min(e, s + 300)));
  }
}

interface Launched {
  pid1: Pid1;
  stdout: Readable;
  stop(): Promise<unknown>;
}

// Starts a contender running one producer per name: `args` is the producer's command line but the name, its last argument.
type Launch = (dir: string, args: string[]) => Promise<Launched>;

interface RelayResult {
  linesPerS: number;
  ms: number; // first producer line read → last end line read
  goToLastMs: number; // the start signal → last end line read
  lines: number;
  bytes: number;
  lost: number;
  disordered: number;
  others: number; // the supervisor's own records
  damaged: string[];
  damagedCount: number;
  jsonParsed: number; // JSON records parsed in full (the cross-check of the fast path)
  producers: ProducerCount[];
  reader: 'sink' | 'bench';
  readerCpuMs: number; // the reader's CPU time until the last end line: its share of the machine
  reads: number; // read() calls (sink) or chunks (bench) over the whole run
  pipeBytes: number | undefined; // the pipe's size (the sink grows it)
}

// The clock of the sink's stamps (CLOCK_MONOTONIC, as process.hrtime), in ms.
const clockMs = (): number => Number(process.hrtime.bigint()) / 1e6;

// Reads a contender's stdout: the compiled sink, or the bench itself without gcc.
interface Reader {
  allEnded: Promise<unknown>; // every producer's end line has been read
  cpuMs(): number; // the reader's CPU time so far
  // Once the contender has exited: the checked stream, and the time (clockMs) the read delivering byte `offset` ended.
  finish(): Promise<{ check: RelayCheck; readAt(offset: number): number; reads: number; pipeBytes: number | undefined }>;
  child?: ChildProcess & { exited: Promise<unknown> };
}

// readAt for a list of reads: after read i, offsets[i] bytes had been read, at times[i].
const arrival = (offsets: ArrayLike<number>, times: ArrayLike<number>) => (offset: number): number => {
  let [lo, hi] = [0, offsets.length - 1];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]! > offset) hi = mid;
    else lo = mid + 1;
  }
  return times[lo]!;
};

// fixtures/sink.c reads the pipe (the bench's own end is closed at once, so that it takes none of it) into
// a file, stamping every read; the lines are checked from the file once the contender has exited.
// The stream goes to `scratch` (tmpfs when there is one: hundreds of MB that need not reach a disk).
function sinkReader(sink: string, stdout: Readable, scratch: string, format: Format, count: number): Reader {
  const [data, index] = [join(scratch, 'relay.out'), join(scratch, 'relay.index')];
  const child = startTracked(sink, [data, index, ` end ${count}`, String(PRODUCERS)], [stdout, 'pipe', 'inherit']);
  stdout.destroy();
  const exited = child.exited.then(() => child.exitCode ?? child.signalCode ?? 'unknown');
  let said = ''; // "pipe SIZE", then "done"
  const allEnded = new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => void ((said += d.toString()).includes('done\n') && resolve()));
    void exited.then((how) => reject(new Error(`the sink exited (${how}) before every producer's end line was read`)));
  });
  allEnded.catch(() => undefined); // raced against other outcomes: never unhandled
  return {
    allEnded,
    cpuMs: () => cpuMs(child.pid!),
    child,
    async finish() {
      const how = await exited; // at EOF: once every writer (the contender's namespace) is gone
      if (how !== 0) throw new Error(`the sink exited with ${how}`);
      const check = new RelayCheck(format, count);
      for await (const chunk of createReadStream(data, { highWaterMark: 1 << 20 })) check.push(chunk as Buffer);
      const stamps = readFileSync(index);
      const reads = stamps.length / 16;
      const [offsets, times] = [new Float64Array(reads), new Float64Array(reads)];
      for (let i = 0; i < reads; i++) {
        offsets[i] = Number(stamps.readBigUInt64LE(16 * i));
        times[i] = Number(stamps.readBigUInt64LE(16 * i + 8)) / 1e6;
      }
      rmSync(data);
      return { check, readAt: arrival(offsets, times), reads, pipeBytes: Number(/^pipe (-?\d+)$/m.exec(said)?.[1]) };
    },
  };
}

// The bench reads the pipe itself (no gcc), checking as it reads; its per-chunk cost is far higher than the sink's.
function benchReader(stdout: Readable, format: Format, count: number): Reader {
  const check = new RelayCheck(format, count);
  const offsets: number[] = [];
  const times: number[] = [];
  stdout.on('data', (chunk: Buffer) => {
    times.push(clockMs());
    check.push(chunk);
    offsets.push(check.bytes);
  });
  const cpu0 = process.cpuUsage();
  return {
    allEnded: check.done,
    cpuMs: () => {
      const { user, system } = process.cpuUsage(cpu0);
      return (user + system) / 1000;
    },
    finish: async () => ({ check, readAt: arrival(offsets, times), reads: offsets.length, pipeBytes: undefined }),
  };
}

// The compiled producer and sink, or (without gcc) the python producer and the bench as the reader.
function tools(dir: string): { producer: string[]; sink: string | undefined; scratch: string } {
  const scratch = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/colony-bench-relay-') : dir;
  try {
    return { producer: [compileC('producer.c', dir)], sink: compileC('sink.c', dir), scratch };
  } catch {
    return { producer: ['python3', join(FIXTURES, 'producer.py')], sink: undefined, scratch };
  }
}

// One run: starts the contender, waits until every producer is ready, starts them all at once, and waits
// until every producer's end line has been read; then stops the contender and checks every line.
async function relay(ctx: Ctx, label: string, format: Format, count: number, use: ReturnType<typeof tools>, launch: Launch): Promise<RelayResult> {
  const dir = join(ctx.dir, label.replace(/\W+/g, '-'));
  mkdirSync(dir, { recursive: true });
  const ready = new Fifo(join(dir, 'ready'), true);
  const go = new Fifo(join(dir, 'go'), false);
  const started: Array<Pid1 | ChildProcess & { exited: Promise<unknown> }> = [];
  try {
    const c = await launch(dir, [...use.producer, String(count), ready.path, go.path]);
    started.push(c.pid1);
    const reader = use.sink ? sinkReader(use.sink, c.stdout, use.scratch, format, count) : benchReader(c.stdout, format, count);
    if (reader.child) started.push(reader.child);
    c.pid1.guard(ready.feed);
    const readyNames = new Set<string>();
    await ready.feed.waitFor((v) => readyNames.add(v[1] ?? '').size === PRODUCERS, `${label}: ${PRODUCERS} producers ready`, 60000);
    const t0 = clockMs();
    go.send('g'.repeat(PRODUCERS)); // one byte each
    const deadlineMs = 60000 + (PRODUCERS * count) / 10; // a minute, plus the time at 10,000 lines/s: far slower than any relay
    const timeout = new Promise<'timeout'>((r) => setTimeout(r, deadlineMs, 'timeout').unref());
    const end = await Promise.race([reader.allEnded, c.pid1.broken, timeout]);
    if (end instanceof Error) throw end;
    if (end === 'timeout') throw new Error(`${label}: the producers' end lines were not all read within ${deadlineMs / 1000} s`);
    const readerCpuMs = reader.cpuMs();
    await c.stop();
    const { check, readAt, reads, pipeBytes } = await reader.finish();
    if (check.errors.length > 0) throw new Error(`${label} logged an error: ${check.errors[0]}`);
    if (check.firstOffset === undefined || check.lastOffset === undefined) {
      throw new Error(`${label}: the end lines were read, but not every one checked out (${check.damagedCount} damaged, e.g. ${JSON.stringify(check.damaged[0] ?? '')})`);
    }
    const [first, last] = [readAt(check.firstOffset), readAt(check.lastOffset - 1)];
    return {
      linesPerS: (check.lines / (last - first)) * 1000,
      ms: last - first,
      goToLastMs: last - t0,
      lines: check.lines,
      bytes: check.bytes,
      lost: check.lost,
      disordered: check.disordered,
      others: check.others,
      damaged: check.damaged,
      damagedCount: check.damagedCount,
      jsonParsed: check.sampled,
      producers: check.producers,
      reader: use.sink ? 'sink' : 'bench',
      readerCpuMs,
      reads,
      pipeBytes,
    };
  } finally {
    ready.close();
    go.close();
    await killEach(started);
  }
}

const NAMES = Array.from({ length: PRODUCERS }, (_, i) => `p${i}`);

// colony as PID 1 with one descriptor per producer, its stdout a pipe the bench reads.
const colony =
  (logFormat: 'json' | 'text', output?: 'inherit'): Launch =>
  async (dir, args) => {
    const descriptors = Object.fromEntries(NAMES.map((n) => [n, { args: [...args, n], ...(output ? { output } : {}) }]));
    const { colony: pid1 } = startColony(dir, descriptors, { logFormat, stdout: 'pipe' });
    return { pid1, stdout: pid1.stdout!, stop: () => pid1.stop(60000) };
  };

// No supervisor: sh starts the producers writing straight into the pipe, and waits (as PID 1 only so that
// killing it ends everything). With `mode`, each producer prints its lines as colony's records of them
// ('json') or after "NAME | " ('text'): the floor for relaying that many bytes.
const pipe =
  (mode?: 'json' | 'text'): Launch =>
  async (_dir, args) => {
    const pid1 = new Pid1('pipe', ['/bin/sh', '-c', `for name in ${NAMES.join(' ')}; do "$@" "$name" ${mode ?? ''} & done; wait`, 'sh', ...args], 'pipe');
    return { pid1, stdout: pid1.stdout!, stop: async () => pid1.kill() };
  };

// supervisord relaying its programs' output raw to its stdout.
const supervisord: Launch = async (dir, args) => {
  const sup = await startSupervisord('supervisord', dir, NAMES.map((name) => ({ name, command: [...args, name], output: 'relay' as const })), { stdout: 'pipe' });
  return { pid1: sup.pid1, stdout: sup.pid1.stdout!, stop: async () => sup.pid1.kill() }; // its graceful stop is slow, and not measured here
};

const COLONY_KEYS = ['colony-json', 'colony-text', 'colony-inherit'];

export const run: Workload = async (ctx) => {
  const count = ctx.quick ? 20000 : 200000;
  const use = tools(ctx.dir);
  if (!use.sink) ctx.note('gcc failed: the producers are python3 (fixtures/producer.py), far slower than the relays, and the bench reads the pipe itself');
  const variants: Array<{ key: string; label: string; format: Format; launch: Launch }> = [
    { key: 'pipe', label: 'a pipe (no supervisor)', format: 'raw', launch: pipe() },
    { key: 'pipe-json', label: 'a pipe, the producers printing JSON records', format: 'json', launch: pipe('json') },
    { key: 'pipe-text', label: 'a pipe, the producers printing "name | line"', format: 'text', launch: pipe('text') },
    { key: 'colony-json', label: 'colony --log-format json', format: 'json', launch: colony('json') },
    { key: 'colony-text', label: 'colony --log-format text', format: 'text', launch: colony('text') },
    { key: 'colony-inherit', label: 'colony, output: inherit', format: 'raw', launch: colony('json', 'inherit') },
  ];
  if (ctx.peers.supervisord) variants.push({ key: 'supervisord', label: 'supervisord', format: 'raw', launch: supervisord });
  const rounds = ctx.quick ? 1 : 5; // each contender this many times, taking turns: the median run is reported
  ctx.note(`relay: ${PRODUCERS} × ${count} lines, ${rounds} round(s) of ${variants.map((v) => v.label).join(', ')}`);
  const runs: Record<string, RelayResult[]> = Object.fromEntries(variants.map((v) => [v.key, []]));
  let timings: Record<string, Timing>;
  try {
    timings = await takeTurns(
      rounds,
      variants.map((v) => ({
        key: v.key,
        once: async (round: number) => {
          const r = await relay(ctx, `${v.label} ${round}`, v.format, count, use, v.launch);
          runs[v.key]!.push(r);
          return r.ms;
        },
      })),
    );
  } finally {
    rmSync(use.scratch, { recursive: true, force: true });
  }

  const total = PRODUCERS * count;
  const rate = (key: string): number | undefined => (timings[key] ? (total / timings[key].medianMs) * 1000 : undefined);
  const wrong = (key: string): number => runs[key]!.reduce((n, r) => n + r.lost + r.disordered, 0); // a damaged line is lost too
  const peers = { supervisord: rate('supervisord'), pipe: rate('pipe') };
  const atLeast = (v: number | undefined, base: number | undefined): boolean | undefined => (v === undefined || base === undefined ? undefined : v >= base);
  const metric = (what: string): string => `lines/s, ${what} (${PRODUCERS} × ${count.toLocaleString('en')} lines${rounds > 1 ? `, median of ${rounds}` : ''})`;
  const rows: Row[] = [
    { workload: '9. relay', metric: metric('JSON'), unit: 'lines/s', values: { colony: rate('colony-json'), ...peers }, base: 'supervisord', goal: '≥ 1.0× supervisord', met: atLeast(rate('colony-json'), peers.supervisord) },
    { workload: '9. relay', metric: '  JSON: colony / the producers printing the same records into a pipe', unit: 'lines/s', values: { colony: rate('colony-json'), floor: rate('pipe-json') }, base: 'floor' },
    { workload: '9. relay', metric: metric('text'), unit: 'lines/s', values: { colony: rate('colony-text'), ...peers }, base: 'supervisord', goal: '≥ 1.0× supervisord', met: atLeast(rate('colony-text'), peers.supervisord) },
    { workload: '9. relay', metric: '  text: colony / the producers printing "name | line" into a pipe', unit: 'lines/s', values: { colony: rate('colony-text'), floor: rate('pipe-text') }, base: 'floor' },
    { workload: '9. relay', metric: metric('output: inherit'), unit: 'lines/s', values: { colony: rate('colony-inherit'), ...peers }, base: 'pipe', goal: '≈ pipe (≥ 0.9×)', met: rate('colony-inherit')! >= 0.9 * peers.pipe! },
    {
      workload: '9. relay',
      metric: `lines lost or out of order, all rounds (colony: JSON + text + inherit)`,
      unit: 'count',
      values: Object.fromEntries([['colony', COLONY_KEYS.reduce((n, k) => n + wrong(k), 0)], ...['supervisord', 'pipe'].filter((k) => runs[k]).map((k) => [k, wrong(k)])]),
      goal: '0',
      met: COLONY_KEYS.every((k) => wrong(k) === 0 && runs[k]!.every((r) => r.damagedCount === 0)),
    },
  ];
  const reader = use.sink ? 'fixtures/sink.c (gcc -O2)' : 'the bench (node)';
  const notes = [
    use.sink
      ? `9. relay: the pipe is read by fixtures/sink.c (grown to 1 MiB, one read about every ms: it took ${Math.max(...Object.values(runs).flat().map((r) => r.readerCpuMs)).toFixed(0)} CPU ms at most in a run); every line is checked afterwards from the captured stream.`
      : '9. relay: gcc failed: python3 producers and the bench reading the pipe itself; the figures are the producers\' and the reader\'s speed, not the relays\'.',
  ];
  return { rows, notes, details: { producers: PRODUCERS, linesEach: count, rounds, producer: use.sink ? 'fixtures/producer.c (gcc -O2)' : 'fixtures/producer.py', reader, payload: PAYLOAD, runs } };
};
