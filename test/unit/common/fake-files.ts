// Test doubles for the directory watchers and the state writers: a watch whose file events the test
// pushes, the real file system with faults injected on demand, file ages set in a fake clock's wall
// time, and scratch directories removed after the test file.
import { existsSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after } from 'node:test';
import type { FakeClock } from '../../../src/common/clock.ts';
import { realFileSystem, type FileSystem } from '../../../src/common/fs-world.ts';
import type { DirWatch, DirWatchOptions } from '../../../src/common/watch-dir.ts';

// A fresh directory under the system's temp directory, removed when the test file ends.
export function scratchDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `colony-${prefix}-`));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

// Sets a file's modification time to `wallMs` (ms since the epoch; whole seconds are stored exactly).
export function touchAt(path: string, wallMs: number): void {
  const t = new Date(wallMs);
  utimesSync(path, t, t);
}

// Writes a file as a writer would at the fake clock's wall time (a real mtime would be today, not the clock's).
export function writeAt(clock: FakeClock, path: string, content: string): void {
  writeFileSync(path, content);
  touchAt(path, clock.wallNow());
}

// A stand-in for watchDir: keeps what it was asked to follow; the test calls event() as inotify would.
export class FakeWatch {
  options: DirWatchOptions | undefined;
  closed = false;

  readonly watch = (o: DirWatchOptions): DirWatch => {
    this.options = o;
    return {
      ready: Promise.resolve(),
      close: async () => {
        this.closed = true;
      },
    };
  };

  // A file event for `file` (add or change).
  event(file: string): void {
    if (!this.options) throw new Error('the watcher was not started');
    this.options.onFile(file);
  }
}

type Op = keyof FileSystem;

const errno = (code: string, syscall: string, path: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: injected fault, ${syscall} '${path}'`), { code, syscall, path });

// The real file system, with the operations named in `fail` failing with that errno code (a full disk:
// writeFile 'ENOSPC'; a read-only file system: mkdir, writeFile 'EROFS'). Every call is recorded.
export class FaultyFs implements FileSystem {
  fail: Partial<Record<Op, string>> = {};
  readonly calls: Array<{ op: Op; path: string; to?: string; mode?: number }> = [];

  private check(op: Op, path: string): void {
    const code = this.fail[op];
    if (code) throw errno(code, op, path);
  }

  readdir(dir: string): string[] {
    this.calls.push({ op: 'readdir', path: dir });
    this.check('readdir', dir);
    return realFileSystem.readdir(dir);
  }

  // Failing, it still says EEXIST and ENOENT first, as mkdir(2) on a read-only file system does.
  mkdir(dir: string): void {
    this.calls.push({ op: 'mkdir', path: dir });
    if (this.fail.mkdir) {
      if (existsSync(dir)) throw errno('EEXIST', 'mkdir', dir);
      if (!existsSync(dirname(dir))) throw errno('ENOENT', 'mkdir', dir);
    }
    this.check('mkdir', dir);
    realFileSystem.mkdir(dir);
  }

  // Failing, it first writes half the content: a full disk leaves a partial file behind.
  writeFile(path: string, content: string | Uint8Array, mode?: number): void {
    this.calls.push({ op: 'writeFile', path, ...(mode === undefined ? {} : { mode }) });
    if (this.fail.writeFile) realFileSystem.writeFile(path, content.slice(0, Math.floor(content.length / 2)), mode);
    this.check('writeFile', path);
    realFileSystem.writeFile(path, content, mode);
  }

  rename(from: string, to: string): void {
    this.calls.push({ op: 'rename', path: from, to });
    this.check('rename', from);
    realFileSystem.rename(from, to);
  }

  unlink(path: string): void {
    this.calls.push({ op: 'unlink', path });
    this.check('unlink', path);
    realFileSystem.unlink(path);
  }

  mtimeMs(path: string): number {
    this.calls.push({ op: 'mtimeMs', path });
    this.check('mtimeMs', path);
    return realFileSystem.mtimeMs(path);
  }
}
