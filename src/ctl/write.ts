// Atomic writes for ctl: a temp file ('.<name>.<random>.new', skipped by colony) renamed into place.
import { join } from 'node:path';
import { invalidNameReason } from '../descriptor/name.ts';
import { ColonyError, EXIT_SYSTEM, describeError, usageError } from '../common/errors.ts';
import { writeFileAtomically } from '../common/files.ts';
import type { FileSystem } from '../common/fs-world.ts';

// A short random suffix for file names (not security-sensitive: node:crypto is not worth its start-up cost here).
const suffix = (): string => Math.random().toString(36).slice(2, 10);

// Writes `content` to dir/name so that a reader sees either nothing or the whole file; returns its path.
export function writeAtomically(dir: string, name: string, content: string, fs?: FileSystem): string {
  const final = join(dir, name);
  try {
    // A random temp name, not the pid: a writer in another container sharing the directory may have the same pid.
    writeFileAtomically(final, content, { temp: join(dir, `.${name}.${suffix()}.new`), mode: 0o644, fs });
  } catch (err) {
    throw new ColonyError(`cannot write ${final}: ${describeError(err)}`, EXIT_SYSTEM);
  }
  return final;
}

// Throws a usage error when a name cannot be a process (or group) name.
export function checkName(what: string, name: string): void {
  const reason = invalidNameReason(name);
  if (reason) throw usageError(`${what} ${reason}`);
}

let counter = 0;

// Drops a message into the messages directory; returns the file's path.
export function sendMessage(messagesDir: string, message: Record<string, unknown>): string {
  const name = `${Date.now()}-${process.pid}-${counter++}-${suffix()}.message`;
  return writeAtomically(messagesDir, name, `${JSON.stringify(message)}\n`);
}
