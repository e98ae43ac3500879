// Finding an executable as execvp(3) does: a name with a '/' is used as it is, else the first
// executable file of that name in PATH. For the main command on a terminal, which is started through
// colony's launcher (src/main-command/launch.ts) and so cannot leave the search to the spawn.
import { accessSync, constants, statSync } from 'node:fs';
import { join } from 'node:path';

// glibc's execvp default when PATH is unset.
const DEFAULT_PATH = '/bin:/usr/bin';

// The path to execute, or throws an error whose code is ENOENT (nothing found) or EACCES (found, but
// not an executable file), the codes a failed spawn reports.
export function resolveCommand(file: string, path: string | undefined): string {
  if (file === '') throw failure('ENOENT', file);
  if (file.includes('/')) {
    const why = unusable(file);
    if (why) throw failure(why, file);
    return file;
  }
  let denied = false;
  for (const dir of (path ?? DEFAULT_PATH).split(':')) {
    const candidate = join(dir || '.', file); // an empty entry is the current directory
    const why = unusable(candidate);
    if (!why) return candidate;
    if (why === 'EACCES') denied = true;
  }
  throw failure(denied ? 'EACCES' : 'ENOENT', file);
}

// Why a path cannot be executed: ENOENT (absent), EACCES (a directory, or no execute permission).
function unusable(path: string): 'ENOENT' | 'EACCES' | undefined {
  try {
    if (statSync(path).isDirectory()) return 'EACCES';
    accessSync(path, constants.X_OK);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'ENOTDIR' ? 'ENOENT' : 'EACCES';
  }
}

function failure(code: 'ENOENT' | 'EACCES', file: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`spawn ${file} ${code}`), { code, path: file });
}
