// ctl logs: the recent lines of one or more processes, from the files colony keeps in its state
// directory (log/kept.ts), and with --follow the new ones as they come (the files are polled every
// FOLLOW_POLL_MS; a rotation is followed by the inode: the rest of the old file is read through the
// descriptor still open on it, then the new file from its start). Several processes interleave by
// time, each line prefixed with `name | `.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ColonyError } from '../common/errors.ts';
import { instancesAmong } from '../descriptor/name.ts';
import { keptFiles, LOGS_DIR, parseKept, type KeptLine } from '../log/kept.ts';
import { jsonRecords, recordTail } from '../log/records.ts';
import { readStatus, type Status } from '../status/file.ts';

export const FOLLOW_POLL_MS = 50;
export const DEFAULT_LINES = 30;

export interface LogsOptions {
  lines: number; // the last N lines before following (all processes together)
  follow: boolean;
  json: boolean; // colony's JSON records as kept, not the lines
}

export interface LogsIo {
  out(text: string): boolean; // the lines; false when the reader has gone (`| head`): ctl logs ends
  note(text: string): void; // what is not a line (processes whose lines are not kept), to stderr
  // Resolves when following should end (Ctrl-C); not called without --follow.
  stopped(): Promise<void>;
}

// One kept line and its process.
interface Entry extends KeptLine {
  proc: string;
}

// Which processes the names stand for: each name, or every instance of a replicated one (web → web:1,
// web:2 ...); no name: every process. Those whose lines are not kept are named to `note`.
export function selectProcesses(st: Status, names: readonly string[], note: (text: string) => void): string[] {
  const all = st.processes;
  const known = all.map((p) => p.name);
  const picked: string[] = [];
  for (const name of names) {
    const matches = [...(known.includes(name) ? [name] : []), ...instancesAmong(known, name)];
    if (matches.length === 0) throw new ColonyError(`no process named ${JSON.stringify(name)} (colony ctl status lists them)`, 1);
    for (const m of matches) if (!picked.includes(m)) picked.push(m);
  }
  const chosen = names.length > 0 ? picked : all.map((p) => p.name);
  return chosen.filter((name) => {
    const p = all.find((q) => q.name === name);
    if (p?.output !== 'inherit') return true;
    if (names.length > 0) note(`${name}: "output": "inherit" sends its lines to colony's stdout untouched: they are not kept (docker logs has them)`);
    return false;
  });
}

// The kept lines of one process's file from `pos`, whole blocks only (log/kept.ts).
export class KeptFile {
  private fd: number | undefined;
  private ino = 0;
  private pos = 0;
  private rest = '';
  private readonly path: string;
  private readonly older: string;

  constructor(dir: string, name: string) {
    [this.older, this.path] = keptFiles(dir, name);
  }

  // Everything kept now: the rotated file, then the current one (left open to follow).
  initial(): KeptLine[] {
    const lines = readWhole(this.older);
    this.openCurrent();
    return [...lines, ...this.read()];
  }

  // Lines written since the last call, across a rotation.
  poll(): KeptLine[] {
    const ino = inode(this.path);
    if (this.fd !== undefined && ino === this.ino) return this.read();
    // Rotated (or first seen): the rest of the file that was current, then — if it rotated twice
    // since the last poll — the rotated file we never saw, then the new current file.
    const lines: KeptLine[] = this.fd !== undefined ? this.read() : [];
    const seen = this.ino;
    this.close();
    if (seen !== 0 && inode(this.older) !== seen) lines.push(...readWhole(this.older));
    this.openCurrent();
    return [...lines, ...this.read()];
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.rest = '';
  }

  private openCurrent(): void {
    try {
      this.fd = openSync(this.path, 'r');
      this.ino = fstatSync(this.fd).ino;
      this.pos = 0;
    } catch {
      this.fd = undefined; // nothing printed yet
    }
  }

  private read(): KeptLine[] {
    if (this.fd === undefined) return [];
    const size = fstatSync(this.fd).size;
    if (size < this.pos) this.pos = 0; // truncated (a colony started again with this state directory)
    if (size === this.pos) return [];
    const buf = Buffer.allocUnsafe(size - this.pos);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(this.fd, buf, got, buf.length - got, this.pos + got);
      if (n === 0) break;
      got += n;
    }
    this.pos += got;
    const text = this.rest + buf.toString('utf8', 0, got);
    const { lines, end } = parseKept(text);
    this.rest = text.slice(end); // a block still being written
    return lines;
  }
}

function inode(path: string): number {
  try {
    return statSync(path).ino;
  } catch {
    return 0;
  }
}

// A rotated file: complete (colony writes whole blocks), read at once.
function readWhole(path: string): KeptLine[] {
  try {
    return parseKept(readFileSync(path, 'utf8')).lines;
  } catch {
    return [];
  }
}

// What ctl prints of a kept line: the line as the process wrote it, or with --json colony's record of it
// (as in colony's JSON log).
export function lineOf(proc: string, e: KeptLine, json: boolean): string {
  return json ? jsonRecords(recordTail(proc, e.stream), [e.line], e.time).slice(0, -1) : e.line;
}

// Writes to fd 1 synchronously: a reader that stalls holds ctl logs up (its memory stays bounded), never
// colony. False when the reader has gone (`| head`).
export function writeOut(text: string): boolean {
  const buf = Buffer.from(text, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(1, buf, off);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return false;
      if (code !== 'EAGAIN') throw err;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a non-blocking pipe that is full
    }
  }
  return true;
}

// Orders entries by time, keeping each process's own order (a stable sort).
function byTime(entries: Entry[]): Entry[] {
  return entries.sort((a, b) => a.time - b.time);
}

// ctl logs: prints the last `lines` lines of the processes, then follows them with --follow.
export async function logs(stateDir: string, names: readonly string[], o: LogsOptions, io: LogsIo): Promise<void> {
  const st = readStatus(stateDir);
  if (st.colony.logs === null) throw new ColonyError(`this colony keeps no lines (it runs with --keep-logs 0): docker logs has them`, 1);
  const dir = st.colony.logs?.dir ?? join(stateDir, LOGS_DIR);
  const procs = selectProcesses(st, names, io.note);
  if (procs.length === 0 && names.length > 0) throw new ColonyError('no lines are kept for the processes named', 1);
  const prefixed = names.length !== 1 || procs.length > 1;
  let gone = false; // the reader of ctl's stdout
  const print = (entries: Entry[]): void => {
    if (entries.length === 0 || gone) return;
    let text = '';
    for (const e of entries) text += `${prefixed && !o.json ? `${e.proc} | ` : ''}${lineOf(e.proc, e, o.json)}\n`;
    gone = !io.out(text);
  };
  const files = procs.map((p) => ({ proc: p, file: new KeptFile(dir, p) }));
  const collect = (read: (f: KeptFile) => KeptLine[]): Entry[] => byTime(files.flatMap(({ proc, file }) => read(file).map((l) => ({ ...l, proc }))));
  try {
    const first = collect((f) => f.initial());
    print(o.lines === 0 ? [] : first.slice(-o.lines));
    if (!o.follow || gone) return;
    // Until Ctrl-C, or until the reader has gone.
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const tick = (): void => {
        print(collect((f) => f.poll()));
        if (gone) return resolve();
        timer = setTimeout(tick, FOLLOW_POLL_MS);
      };
      timer = setTimeout(tick, FOLLOW_POLL_MS);
      void io.stopped().then(() => {
        clearTimeout(timer);
        print(collect((f) => f.poll())); // what came in the last moment
        resolve();
      });
    });
  } finally {
    for (const { file } of files) file.close();
  }
}
