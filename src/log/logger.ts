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
export function createLog(format: LogFormat, level: Level = 'info', fd = 1): Log {
  const dest = pino.destination({ dest: fd, sync: true });
  if (format === 'text') return textLog(dest, level, {});
  const root = pino({ level, base: undefined, formatters: { level: (label) => ({ level: label }) } }, dest);
  return pinoLog(root);
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
        l = p.child({ proc, stream });
        outLoggers.set(key, l);
      }
      l.info(line);
    },
    child: (fields) => pinoLog(p.child(fields)),
  };
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
