// colony's log: its own records and every line its children print, on stdout through one ordered
// queue (src/log/sink.ts: written off the event loop, with backpressure on the children's pipes, and
// flushed before colony exits). JSON by default — pino for colony's own records, a dedicated formatter
// for the children's lines (the hot path: one string per chunk read, same record shape as pino's) —
// and 'text' prints 'name | line' for humans.
import pino from 'pino';
import type { LineBatch } from './lines.ts';
import { jsonRecordsInto, recordTail, textRecordsInto } from './records.ts';
import { Sink, type ByteOut } from './sink.ts';

export type LogFormat = 'json' | 'text';
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type Fields = Record<string, unknown>;

export interface Log {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  fatal(msg: string, fields?: Fields): void;
  // Lines a child printed (one chunk's worth), tagged with the process name and the stream they came from.
  output(proc: string, stream: 'stdout' | 'stderr', batch: LineBatch): void;
  // A logger whose records all carry these fields (e.g. the process name).
  child(fields: Fields): Log;
}

interface Writer extends ByteOut {
  write(text: string): void;
}

// The real logger, plus what only it has: the sink (to throttle the children's pipes) and its flush at exit.
export interface RealLog extends Log {
  readonly sink: Sink;
  // Writes out everything logged so far; resolves when done.
  end(): Promise<void>;
}
// The real logger on fd 1.
// `only`: 'colony' leaves the processes' lines out (send them elsewhere with a process's `output`);
// 'processes' keeps colony's own records to warnings and errors.
export type LogOnly = 'all' | 'colony' | 'processes';

export function createLog(format: LogFormat, level: Level = 'info', fd = 1, only: LogOnly = 'all'): RealLog {
  const sink = new Sink(fd, { onBroken: (err) => process.stderr.write(`colony: cannot write its log to fd ${fd} (${err.code ?? err.message}): its output is dropped from now on\n`) });
  const own = only === 'processes' && RANK[level] < RANK.warn ? 'warn' : level;
  let log: Log;
  if (format === 'text') log = textLog(sink, own, {});
  else log = pinoLog(pino({ level: own, base: undefined, formatters: { level: (label) => ({ level: label }) } }, sink), sink);
  if (only === 'colony') log = withoutOutput(log);
  return { ...log, sink, end: () => sink.end() };
}

function withoutOutput(log: Log): Log {
  return { ...log, output: () => undefined, child: (fields) => withoutOutput(log.child(fields)) };
}

function pinoLog(p: pino.Logger, sink: Writer): Log {
  const prefixes = new Map<string, string>();
  const at =
    (lvl: Level) =>
    (msg: string, fields?: Fields): void => {
      if (fields) p[lvl](fields, msg);
      else p[lvl](msg);
    };
  return {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    fatal: at('fatal'),
    // A process's lines print whatever level colony's own records are at (records.ts).
    output(proc, stream, batch) {
      const key = `${proc}\0${stream}`;
      let tail = prefixes.get(key);
      if (tail === undefined) {
        tail = recordTail(proc, stream);
        prefixes.set(key, tail);
      }
      jsonRecordsInto(sink, tail, batch, Date.now());
    },
    child: (fields) => pinoLog(p.child(fields), sink),
  };
}

const RANK: Record<Level, number> = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function textLog(sink: Writer, level: Level, bound: Fields): Log {
  const min = RANK[level];
  const record =
    (lvl: Level) =>
    (msg: string, fields?: Fields): void => {
      if (RANK[lvl] < min) return;
      const all = { ...bound, ...fields };
      const who = typeof all.proc === 'string' ? `colony[${all.proc}]` : 'colony';
      delete all.proc;
      const extra = Object.entries(all)
        .filter(([, v]) => v !== undefined && v !== null)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(' ');
      const tag = lvl === 'info' ? '' : `${lvl.toUpperCase()} `;
      sink.write(`${who} | ${tag}${msg}${extra ? ` (${extra})` : ''}\n`);
    };
  return {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
    fatal: record('fatal'),
    output(proc, _stream, batch) {
      textRecordsInto(sink, `${proc} | `, batch);
    },
    child: (fields) => textLog(sink, level, { ...bound, ...fields }),
  };
}

// A logger that keeps records in memory, for unit tests.
export function memoryLog(records: Array<Fields & { level: Level; msg: string }> = []): Log & { records: typeof records } {
  const make = (bound: Fields): Log & { records: typeof records } => {
    const at =
      (level: Level) =>
      (msg: string, fields?: Fields): void => {
        records.push({ ...bound, ...fields, level, msg });
      };
    return {
      records,
      debug: at('debug'),
      info: at('info'),
      warn: at('warn'),
      error: at('error'),
      fatal: at('fatal'),
      output: (proc, stream, batch) => {
        for (const line of batch.strings) records.push({ ...bound, level: 'info', proc, stream, msg: line });
      },
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}
