// colony's log: its own records and every line its children print, on stdout, synchronously
// (PID 1 may exit at any moment; an async buffer would lose the last lines).
// JSON (pino) by default; 'text' prints 'name | line' for humans.
import pino from 'pino';

export type LogFormat = 'json' | 'text';
export type Level = 'debug' | 'info' | 'warn' | 'error' | 'fatal';
export type Fields = Record<string, unknown>;

export interface Log {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  fatal(msg: string, fields?: Fields): void;
  // One line a child printed, tagged with the process name and the stream it came from.
  output(proc: string, stream: 'stdout' | 'stderr', line: string): void;
  // A logger whose records all carry these fields (e.g. the process name).
  child(fields: Fields): Log;
}

interface Sink {
  write(text: string): void;
}

// The real logger on fd 1.
// `only`: 'colony' leaves the processes' lines out (send them elsewhere with a process's `output`);
// 'processes' keeps colony's own records to warnings and errors.
export type LogOnly = 'all' | 'colony' | 'processes';

export function createLog(format: LogFormat, level: Level = 'info', fd = 1, only: LogOnly = 'all'): Log {
  const dest = pino.destination({ dest: fd, sync: true });
  const own = only === 'processes' && RANK[level] < RANK.warn ? 'warn' : level;
  let log: Log;
  if (format === 'text') log = textLog(dest, own, {});
  else log = pinoLog(pino({ level: own, base: undefined, formatters: { level: (label) => ({ level: label }) } }, dest));
  if (only === 'colony') return withoutOutput(log);
  return log;
}

function withoutOutput(log: Log): Log {
  return { ...log, output: () => undefined, child: (fields) => withoutOutput(log.child(fields)) };
}

function pinoLog(p: pino.Logger): Log {
  const outLoggers = new Map<string, pino.Logger>();
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
    output(proc, stream, line) {
      const key = `${proc}\0${stream}`;
      let l = outLoggers.get(key);
      if (!l) {
        l = p.child({ proc, stream }, { level: 'info' }); // a process's lines print whatever level colony's own records are at
        outLoggers.set(key, l);
      }
      const obj = jsonObject(line);
      if (obj) l.info({ json: obj });
      else l.info(line);
    },
    child: (fields) => pinoLog(p.child(fields)),
  };
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

const RANK: Record<Level, number> = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 };

function textLog(sink: Sink, level: Level, bound: Fields): Log {
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
    output(proc, stream, line) {
      void stream;
      sink.write(`${proc} | ${line}\n`);
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
      output: (proc, stream, line) => records.push({ ...bound, level: 'info', proc, stream, msg: line }),
      child: (fields) => make({ ...bound, ...fields }),
    };
  };
  return make({});
}
