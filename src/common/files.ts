// Writing a file so that a reader sees the old content or the whole new content, never a part: a
// temp file beside it, renamed into place (rename(2) within one directory is atomic). The ctl
// commands, the message acknowledgements, the state file and `colony native-module` all write this way.
import { basename, dirname, join } from 'node:path';
import { realFileSystem, type FileSystem } from './fs-world.ts';

export interface AtomicWrite {
  // The temp file; by default '.<name>.<pid>.tmp' beside the target (a dotfile: colony's watchers skip it).
  temp?: string;
  // The new file's mode (before the umask); by default 0o666, as open(2).
  mode?: number;
  fs?: FileSystem;
}

// mkdir -p with the real reason: a recursive mkdir of a missing directory on a read-only file system
// reports ENOENT, not EROFS; this one walks up itself and throws the first error that is not ENOENT.
export function makeDir(dir: string, fs: FileSystem = realFileSystem): void {
  try {
    fs.mkdir(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return; // a file there is reported by the write that follows (ENOTDIR)
    const parent = dirname(dir);
    if (code !== 'ENOENT' || parent === dir) throw err;
    makeDir(parent, fs);
    try {
      fs.mkdir(dir);
    } catch (again) {
      if ((again as NodeJS.ErrnoException).code !== 'EEXIST') throw again; // made meanwhile by another writer
    }
  }
}

// Writes `content` to `path` atomically, making its directory first; on failure removes the temp
// file (a full disk leaves a partial one) and throws the error for the caller to report.
export function writeFileAtomically(path: string, content: string | Uint8Array, o: AtomicWrite = {}): void {
  const fs = o.fs ?? realFileSystem;
  const temp = o.temp ?? join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    makeDir(dirname(path), fs);
    fs.writeFile(temp, content, o.mode);
    fs.rename(temp, path);
  } catch (err) {
    try {
      fs.unlink(temp);
    } catch {
      // nothing was written (a read-only or missing directory: there is no temp file)
    }
    throw err;
  }
}
