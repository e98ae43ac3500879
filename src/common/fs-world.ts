// The file operations whose outcome decides what the directory watchers and the state writers do,
// behind one small interface: unit tests run them on real temporary directories and wrap them to
// fail as a full disk or a read-only file system would. Reading a file's content is not here: it
// goes through readLimited (common/input.ts) and the ownership checks, which are about real files.
import { mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';

export interface FileSystem {
  readdir(dir: string): string[];
  // One directory, as mkdir(2): throws EEXIST when something is there, ENOENT when its parent is not.
  mkdir(dir: string): void;
  writeFile(path: string, content: string | Uint8Array, mode?: number): void;
  rename(from: string, to: string): void;
  unlink(path: string): void;
  // The file's modification time (wall clock, ms since the epoch); throws as stat(2) does.
  mtimeMs(path: string): number;
}

// The real file system (node:fs, synchronous).
export const realFileSystem: FileSystem = {
  readdir: (dir) => readdirSync(dir),
  mkdir: (dir) => mkdirSync(dir),
  writeFile: (path, content, mode) => writeFileSync(path, content, mode === undefined ? undefined : { mode }),
  rename: (from, to) => renameSync(from, to),
  unlink: (path) => unlinkSync(path),
  mtimeMs: (path) => statSync(path).mtimeMs,
};
