// Reading a child's output line by line (its JSON log, in the tests).
import type { Readable } from 'node:stream';

// Calls `cb` with each complete line of `stream` (decoded as UTF-8).
export function onLines(stream: Readable, cb: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    let nl: number;
    while ((nl = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      cb(line);
    }
  });
}

// A JSON log line as an object; a line that is not JSON is kept as { [key]: line }.
export function parseRecord<T extends Record<string, unknown>>(line: string, key: string): T {
  try {
    return JSON.parse(line) as T;
  } catch {
    return { [key]: line } as T;
  }
}
