// Reading the files colony is handed (descriptors, messages): bounded reads that never block, and
// the settle rule for a file that may still be being written in place.
import { closeSync, constants, fstatSync, openSync, readSync, type Stats } from 'node:fs';
import { MAX_FILE_BYTES } from '../descriptor/parse.ts';
import { realFileSystem, type FileSystem } from './fs-world.ts';

// A file that does not parse and was modified less than this long ago may be half-written by a writer
// that does not rename into place: after an event it is looked at again, not reported, until it
// parses or is this old (descriptors in descriptor/directory.ts, messages in messages/watcher.ts).
export const SETTLE_MS = 1000;

// Reads a whole file, refusing one over `limit` bytes without reading it, and one that `check`
// (given the opened file's fstat) finds a problem with (code 'EREFUSED', the message is the reason).
// Opened with O_NONBLOCK: opening a FIFO for reading would otherwise block colony until a writer
// comes (for good); it is then refused as not a regular file. (O_NONBLOCK does nothing to regular files.)
export function readLimited(path: string, limit = MAX_FILE_BYTES, check?: (st: Stats) => string | undefined): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw Object.assign(new Error(st.isFIFO() ? 'a FIFO, not a regular file' : 'not a regular file'), { code: st.isDirectory() ? 'EISDIR' : 'ENOTFILE' });
    const problem = check?.(st);
    if (problem) throw Object.assign(new Error(problem), { code: 'EREFUSED' });
    if (st.size > limit) throw Object.assign(new Error(`file is ${st.size} bytes, over the ${limit}-byte limit`), { code: 'EFBIG' });
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.max(4096, st.size + 1));
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw Object.assign(new Error(`file grew over the ${limit}-byte limit`), { code: 'EFBIG' });
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks);
  } finally {
    closeSync(fd);
  }
}

// Whether a file that did not parse may still be being changed: modified less than `ms` before the
// wall-clock time `wallNow`, or gone since it was read (removed or renamed away in a burst of writes:
// a second look finds what is there now). Any other failure to stat it: false (reported as read).
// Its age is the clock's, so that a fake clock ages files in tests.
export function stillChanging(file: string, ms: number, wallNow: number, fs: FileSystem = realFileSystem): boolean {
  try {
    return wallNow - fs.mtimeMs(file) < ms;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT';
  }
}
