// Following one flat directory: inotify (fs.watch) for each file event, a full rescan when the watcher
// is armed (so nothing written during its set-up is missed), when the directory itself appears or goes,
// when its path comes to lead to another directory (a symlink swap), and every `frequencyMs` as a
// backup (on the injected clock, so that unit tests drive it in virtual time). Each event names a file;
// one lstat tells an arrival from a removal (a 'rename' either way), nothing is read here: the owner
// looks at the file. (A watcher library that stats each event on the thread pool first was measured
// here: a message renamed in was seen 0.8 ms later, 0.3 ms with this; bench/README.md, workload 2.)
import { lstatSync, statSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { realClock, type Clock, type Timer } from './clock.ts';
import { describeError } from './errors.ts';
import type { FileSystem } from './fs-world.ts';
import type { Log } from '../log/logger.ts';

export interface DirWatch {
  // Resolves once the watcher is armed (and the rescan that follows has run).
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface DirWatchOptions {
  dir: string;
  what: string; // 'config', 'messages': for log lines
  events: Array<'add' | 'change' | 'unlink'>;
  onFile(file: string): void; // a file directly in the directory (not in a subdirectory)
  rescan(): void;
  frequencyMs: number;
  log: Log;
  clock?: Clock; // the backup rescan's timer; the real clock by default
}

// What the config and messages directories take from the world; each part defaults to the real one.
export interface DirWorld {
  clock?: Clock;
  fs?: FileSystem;
  // Follows the directory (watchDir); a unit test passes a fake and pushes the file events itself.
  watch?: (o: DirWatchOptions) => DirWatch;
}

// Follows one directory: calls onFile for each file event and rescan when the whole directory must be looked at again.
export function watchDir(o: DirWatchOptions): DirWatch {
  // Kubernetes ConfigMap volumes: NAME -> ..data/NAME, ..data -> ..TIMESTAMP/; an update swaps the
  // ..data symlink, and no event names NAME. Any change to a '..' entry rescans the directory, so
  // that exactly the processes whose content changed are restarted.
  const isAtomicWriterEntry = (file: string): boolean => file.startsWith('..');
  const reported = new Set<string>(); // watcher errors already logged
  const report = (err: unknown): void => {
    // No directory (yet): its owner's rescan says so, and the parent's watch re-arms this one when it appears.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    const line = describeError(err);
    if (reported.has(line)) return;
    reported.add(line);
    o.log.error(`watching the ${o.what} directory failed; the periodic rescan goes on`, { dir: o.dir, error: line });
  };
  const onEvent = (event: string, name: string | null): void => {
    if (name === null) return o.rescan(); // an event without a name (the kernel's queue overflowed): everything is looked at
    const file = basename(name);
    if (isAtomicWriterEntry(file)) return o.rescan();
    // Other dotfiles are never read (writers' temp files, claimed and rejected messages).
    if (file.startsWith('.') || file !== name) return;
    let kind: 'add' | 'change' | 'unlink' = 'change';
    if (event !== 'change') {
      try {
        lstatSync(join(o.dir, file));
        kind = 'add';
      } catch {
        kind = 'unlink';
      }
    }
    if (o.events.includes(kind)) o.onFile(file);
  };
  const arm = (): FSWatcher | undefined => {
    try {
      const w = watch(o.dir, { persistent: true }, onEvent);
      w.on('error', report);
      return w;
    } catch (err) {
      report(err);
      return undefined;
    }
  };
  let watching = arm();
  const ready = Promise.resolve().then(() => o.rescan());
  // The directory's path may be a symlink swapped to another directory (`ln -s new tmp && mv -T tmp
  // dir`, as deploy tools do): nothing happens in the old directory, so inotify on it says nothing. The
  // parent directory is watched for that one entry; when the path leads to another directory, the
  // watcher is armed again on it (its 'ready' rescans: the new set of processes, the waiting messages).
  const identity = (): string | undefined => {
    try {
      const st = statSync(o.dir);
      return `${st.dev}:${st.ino}`;
    } catch {
      return undefined;
    }
  };
  let current = identity();
  let closed = false;
  // `moved`: the path's entry was removed, created or renamed over — armed again even when the
  // directory there now has the old one's inode number (a number freed is soon given out again).
  const recheck = (moved = false): void => {
    const now = identity();
    if ((now === current && !moved) || closed) return;
    current = now;
    watching?.close();
    watching = arm();
    o.rescan();
  };
  let parent: FSWatcher | undefined;
  try {
    parent = watch(dirname(o.dir), { persistent: false }, (event, name) => {
      if (name === null || name === basename(o.dir)) recheck(event === 'rename');
    });
    parent.on('error', () => parent?.close());
  } catch {
    // no parent directory to watch: the periodic rescan checks the path too
  }
  // The backup rescan, every frequencyMs: armed again before each rescan, so that one that throws does not end it.
  const clock = o.clock ?? realClock();
  let timer: Timer | undefined;
  const every = (): void => {
    timer = clock.setTimeout(() => {
      if (closed) return;
      every();
      recheck();
      o.rescan();
    }, o.frequencyMs);
  };
  if (o.frequencyMs > 0) every();
  return {
    ready,
    async close() {
      closed = true;
      if (timer) clock.clearTimeout(timer);
      parent?.close();
      watching?.close();
    },
  };
}
