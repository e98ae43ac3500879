// A process's `watch`: files whose change restarts (or reloads) it, once the changes have been quiet
// for the debounce time. chokidar and picomatch are loaded on first use: most colonies watch no files
// and start faster without them.
import type { Clock, Timer } from '../common/clock.ts';
import type { Log } from '../log/logger.ts';
import type { SupervisedProcess } from '../process/supervised.ts';
import type { Armed } from './schedules.ts';

// A watcher of paths: file events until closed (chokidar's shape).
export interface FileWatcher {
  on(event: 'all', cb: (event: string, path: string) => void): unknown;
  on(event: 'error', cb: (err: unknown) => void): unknown;
  close(): Promise<void>;
}

// Starts watching `bases`; `matches` says which paths count (a glob's matches, or a path and what is under it).
export type WatchFiles = (paths: string[]) => Promise<{ watcher: FileWatcher; matches: (path: string) => boolean }>;

export interface WatchWorld {
  clock: Clock;
  log: Log;
  // Default: chokidar on each glob's base directory, picomatch for the globs.
  watchFiles?: WatchFiles;
}

// chokidar watches paths, not globs: each glob's base directory is watched and its events matched.
const chokidarFiles: WatchFiles = async (paths) => {
  const [{ watch }, { default: picomatch }] = await Promise.all([import('chokidar'), import('picomatch')]);
  const scans = paths.map((g) => picomatch.scan(g));
  const bases = [...new Set(scans.map((x) => (x.isGlob ? x.base || '.' : x.input)))];
  const matchers = paths.map((g, i) => (scans[i]!.isGlob ? picomatch(g, { dot: true }) : (path: string) => path === g || path.startsWith(`${g}/`)));
  const watcher = watch(bases, { ignoreInitial: true, persistent: true, ignorePermissionErrors: true });
  return { watcher, matches: (path) => matchers.some((m) => m(path)) };
};

// Watches a process's files; `active()` says whether a change may act now (not while shutting down).
export function watchFiles(p: SupervisedProcess, world: WatchWorld, active: () => boolean): Armed {
  const w = p.descriptor.watch!;
  const { clock, log } = world;
  let watcher: FileWatcher | undefined;
  let timer: Timer | undefined;
  let closed = false;
  void (world.watchFiles ?? chokidarFiles)(w.paths).then(
    (found) => {
      if (closed) return void found.watcher.close();
      watcher = found.watcher;
      watcher.on('all', (event, path) => {
        if (!found.matches(path)) return;
        if (timer) clock.clearTimeout(timer);
        timer = clock.setTimeout(() => {
          timer = undefined;
          if (!active() || p.phase === 'idle') return;
          log.info(`watched file changed (${event} ${path}): ${w.action === 'reload' ? 'reloading' : 'restarting'}`, { proc: p.name });
          if (w.action === 'reload') p.reload();
          else p.restart();
        }, w.debounceMs);
      });
      watcher.on('error', (err) => log.error('watching files failed', { proc: p.name, error: String(err) }));
    },
    (err: unknown) => log.error('watching files failed', { proc: p.name, error: String(err) }),
  );
  return {
    stop() {
      closed = true;
      if (timer) clock.clearTimeout(timer);
      timer = undefined;
      void watcher?.close();
    },
  };
}
