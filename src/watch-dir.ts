// Following one flat directory: inotify through chokidar for each file event, a full rescan when the
// watcher is armed (so nothing written during its set-up is missed), when the directory itself appears
// or goes, and every `frequencyMs` as a backup.
import type { FSWatcher } from 'chokidar';
import { basename, join } from 'node:path';
import { describeError } from './errors.ts';
import type { Log } from './log/logger.ts';

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
}

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
  // chokidar is loaded here, after the first scan has started the processes (start-up time).
  const watching = import('chokidar').then(({ watch }) => {
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
    };
    watcher.on('addDir', onDir).on('unlinkDir', onDir);
    watcher.on('error', (err) => o.log.error(`watching the ${o.what} directory failed; the periodic rescan goes on`, { dir: o.dir, error: describeError(err) }));
    return watcher;
  });
  const ready = watching.then(
    (watcher) =>
      new Promise<void>((resolve) =>
        watcher.once('ready', () => {
          o.rescan();
          resolve();
        }),
      ),
  );
  const timer = o.frequencyMs > 0 ? setInterval(() => o.rescan(), o.frequencyMs) : undefined;
  timer?.unref();
  return {
    ready,
    async close() {
      if (timer) clearInterval(timer);
      await (await watching).close();
    },
  };
}
