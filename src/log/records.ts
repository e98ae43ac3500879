// The JSON records of the lines a child printed: the shape pino would write for
// p.child({ proc, stream }).info(line) — {"level":"info","time":…,"proc":…,"stream":…,"msg":…} — built
// by hand because this is the hot path (one string per chunk read). colony's JSON log and the kept
// logs (`colony ctl logs`) hold the same records.

// The part of a record after the time and before the line, for one process and stream: built once.
export function recordTail(proc: string, stream: 'stdout' | 'stderr'): string {
  return `,"proc":${JSON.stringify(proc)},"stream":"${stream}",`;
}

// One record per line, each ending in a newline.
export function jsonRecords(tail: string, lines: readonly string[], time: number = Date.now()): string {
  const head = `{"level":"info","time":${time}${tail}`;
  let out = '';
  for (const line of lines) {
    // A line that is a JSON object is embedded as it is (already valid JSON) under "json".
    out += jsonObject(line) ? `${head}"json":${line}}\n` : `${head}"msg":${JSON.stringify(line)}}\n`;
  }
  return out;
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
