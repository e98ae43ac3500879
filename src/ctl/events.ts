// ctl events: the state changes colony records (status/events.ts) as JSON lines — the kept ones (or
// the last N), then with --follow the new ones as they come (polled as ctl logs polls, across
// rotations), until Ctrl-C. Names keep only those processes' records (a replicated name: its instances).
import { splitInstance } from '../descriptor/name.ts';
import { readStatus } from '../status/file.ts';
import { EVENTS_NAME } from '../status/events.ts';
import { FOLLOW_POLL_MS, KeptFile, type LogsIo } from './logs.ts';

export interface EventsOptions {
  lines: number | undefined; // the last N kept records; undefined: all of them, or none with --follow
  follow: boolean;
}

export async function events(stateDir: string, names: readonly string[], o: EventsOptions, io: Pick<LogsIo, 'out' | 'stopped'>): Promise<void> {
  readStatus(stateDir); // says plainly when no colony runs with this state directory
  const wanted = (line: string): boolean => {
    if (names.length === 0) return true;
    let proc: string;
    try {
      proc = String((JSON.parse(line) as { proc?: unknown }).proc);
    } catch {
      return false;
    }
    return names.includes(proc) || names.includes(splitInstance(proc)?.base ?? '');
  };
  const file = new KeptFile(stateDir, EVENTS_NAME);
  let gone = false;
  const print = (lines: string[]): void => {
    const picked = lines.filter(wanted);
    if (picked.length === 0 || gone) return;
    gone = !io.out(`${picked.join('\n')}\n`);
  };
  try {
    const kept = file.initial().map((l) => l.line);
    const n = o.lines ?? (o.follow ? 0 : Infinity);
    const mine = kept.filter(wanted);
    print(n === 0 ? [] : mine.slice(-Math.min(n, mine.length)));
    if (!o.follow || gone) return;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const tick = (): void => {
        print(file.poll().map((l) => l.line));
        if (gone) return resolve();
        timer = setTimeout(tick, FOLLOW_POLL_MS);
      };
      timer = setTimeout(tick, FOLLOW_POLL_MS);
      void io.stopped().then(() => {
        clearTimeout(timer);
        print(file.poll().map((l) => l.line));
        resolve();
      });
    });
  } finally {
    file.close();
  }
}
