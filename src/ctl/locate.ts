// Which colony a ctl command talks to, from what the user gave it: `colony run` leaves a note in its
// messages directory ($MESSAGES/.colony.json: its state and config directories) and its state file
// names its messages and config directories. So --messages alone (or --state alone, or their
// variables) is enough; both given and naming different colonies is an error at once, not a
// 30-second wait for an acknowledgement that is written elsewhere.
import { readFileSync, realpathSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { usageError } from '../common/errors.ts';
import type { RunOptions } from '../cli/options.ts';
import { NOTE_FILE, type Note } from '../messages/note.ts';
import { STATUS_FILE } from '../status/file.ts';

type Dirs = Pick<RunOptions, 'config' | 'messages' | 'state' | 'defaulted'>;

// The directories a ctl command uses: each one the user did not give is taken from the running
// colony's note or state file when there is one, else the default stays.
export function locate(dirs: Dirs): Omit<Dirs, 'defaulted'> {
  const given = { config: !dirs.defaulted.config, messages: !dirs.defaulted.messages, state: !dirs.defaulted.state };
  const note = readJson<Partial<Note>>(join(dirs.messages, NOTE_FILE));
  const noted = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
  const state = given.state ? dirs.state : (noted(note?.state) ?? dirs.state);
  const colony = readJson<{ colony?: { messages?: unknown; config?: unknown } }>(join(state, STATUS_FILE))?.colony;
  const messages = given.messages ? dirs.messages : (noted(colony?.messages) ?? dirs.messages);
  const config = given.config ? dirs.config : (noted(note?.config) ?? noted(colony?.config) ?? dirs.config);
  // Both given: they must be one colony's.
  const notedState = noted(note?.state);
  if (given.messages && given.state && notedState && !samePath(notedState, state)) {
    throw usageError(`the colony that reads messages from ${messages} keeps its state in ${notedState}, not ${state}: give --state ${notedState}, or --messages alone`);
  }
  return { config, messages, state };
}

function readJson<T>(path: string): T | undefined {
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return v !== null && typeof v === 'object' ? (v as T) : undefined;
  } catch {
    return undefined;
  }
}

function samePath(a: string, b: string): boolean {
  const real = (p: string): string => {
    try {
      return realpathSync(p);
    } catch {
      return resolve(p);
    }
  };
  return real(a) === real(b);
}
