// colony run's note in its messages directory, for ctl (ctl/locate.ts): where this colony keeps its
// state and reads its descriptors, so that `colony ctl --messages DIR ...` needs nothing else.
import { join, resolve } from 'node:path';
import { writeFileAtomically } from '../common/files.ts';

// The note's name: a dotfile, which the messages watcher never reads.
export const NOTE_FILE = '.colony.json';

export interface Note {
  state: string;
  config: string;
  pid: number;
}

// Writes the note (absolute paths, so that a ctl run from another directory agrees).
export function writeNote(o: { config: string; messages: string; state: string }, pid: number): void {
  const note: Note = { state: resolve(o.state), config: resolve(o.config), pid };
  writeFileAtomically(join(o.messages, NOTE_FILE), `${JSON.stringify(note)}\n`);
}
