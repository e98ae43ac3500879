// Following one flat directory: inotify through chokidar for each file event, a full rescan when the
// watcher is armed (so nothing written during its set-up is missed), when the directory itself appears
// or goes, when its path comes to lead to another directory (a symlink swap), and every `frequencyMs`
// as a backup (on the injected clock, so that unit tests drive it in virtual time).
import type { FSWatcher } from 'chokidar';
import { statSync, watch as watchParent, type FSWatcher as ParentWatcher } from 'node:fs';
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
  // Other dotfiles are never read (writers' temp files, claimed and rejected messages): chokidar need
  // not even stat them — one less round trip before a message renamed into place is seen.
  const ignored = (path: string): boolean => {
    const file = basename(path);
    return path !== o.dir && file.startsWith('.') && !isAtomicWriterEntry(file);
  };
  const reported = new Set<string>(); // watcher errors already logged
  // chokidar is loaded here, after the first scan has started the processes (start-up time).
  const arm = (): Promise<FSWatcher> => import('chokidar').then(({ watch }) => {
    const watcher: FSWatcher = watch(o.dir, { ignoreInitial: true, depth: 0, atomic: false, ignorePermissionErrors: true, persistent: true, ignored });
    const onPath = (path: string): void => {
      const file = basename(path);
      if (path !== join(o.dir, file)) return;
      if (isAtomicWriterEntry(file)) o.rescan();
      else o.onFile(file);
    };
    for (const e of new Set([...o.events, 'add', 'change', 'unlink'] as const)) {
      watcher.on(e, (path: string) => {
        if (o.events.includes(e) || isAtomicWriterEntry(basename(path))) onPath(path);
      });
    }
    const onDir = (path: string): void => {
      if (path === o.dir || (path === join(o.dir, basename(path)) && isAtomicWriterEntry(basename(path)))) o.rescan();
      else if (path === join(o.dir, basename(path))) o.onFile(basename(path)); // a directory where a file is expected: the owner judges it (a message: rejected at once)
    };
    watcher.on('addDir', onDir).on('unlinkDir', onDir);
    watcher.on('error', (err) => {
      // An entry chokidar cannot follow (a symlink loop: ELOOP) is the owner's to report, once, naming the file.
      const path = (err as NodeJS.ErrnoException).path;
      if (path !== undefined && path === join(o.dir, basename(path))) return o.onFile(basename(path));
      const line = describeError(err);
      if (reported.has(line)) return;
      reported.add(line);
      o.log.error(`watching the ${o.what} directory failed; the periodic rescan goes on`, { dir: o.dir, error: line });
    });
    return watcher;
  });
  let watching = arm();
  const ready = watching.then(
    (watcher) =>
      new Promise<void>((resolve) =>
        watcher.once('ready', () => {
          o.rescan();
          resolve();
        }),
      ),
  );
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
  const recheck = (): void => {
    const now = identity();
    if (now === current || closed) return;
    current = now;
    const old = watching;
    watching = arm();
    void old.then((w) => w.close());
    void watching.then((w) => w.once('ready', () => o.rescan()));
    o.rescan();
  };
  let parent: ParentWatcher | undefined;
  try {
    parent = watchParent(dirname(o.dir), { persistent: false }, (_event, name) => {
      if (name === null || name === basename(o.dir)) recheck();
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
      await (await watching).close();
    },
  };
}
