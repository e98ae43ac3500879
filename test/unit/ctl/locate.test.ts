// Which colony ctl talks to: --messages alone or --state alone is enough; a mixed pair is refused.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { locate } from '../../../src/ctl/locate.ts';
import { writeNote } from '../../../src/messages/note.ts';
import { STATUS_FILE } from '../../../src/status/file.ts';

const root = mkdtempSync(join(tmpdir(), 'colony-locate-'));
after(() => rmSync(root, { recursive: true, force: true }));

// A running colony's directories: its note in messages/, its state file naming messages/ and config/.
function colony(name: string): { config: string; messages: string; state: string } {
  const d = { config: join(root, name, 'config'), messages: join(root, name, 'messages'), state: join(root, name, 'state') };
  for (const dir of Object.values(d)) mkdirSync(dir, { recursive: true });
  writeNote(d, 1);
  writeFileSync(join(d.state, STATUS_FILE), JSON.stringify({ colony: { pid: 1, messages: d.messages, config: d.config }, processes: [] }));
  return d;
}
const defaults = { config: '/etc/colony/config', messages: '/run/colony/messages', state: '/run/colony' };

describe('locate', () => {
  const a = colony('a');
  const b = colony('b');

  test('--messages alone: the state and config directories from the note', () => {
    assert.deepEqual(locate({ ...defaults, messages: a.messages, defaulted: { config: true, messages: false, state: true } }), a);
  });

  test('--state alone: the messages and config directories from the state file', () => {
    assert.deepEqual(locate({ ...defaults, state: a.state, defaulted: { config: true, messages: true, state: false } }), a);
  });

  test('a directory given wins over what the colony noted', () => {
    const other = join(root, 'elsewhere');
    assert.deepEqual(locate({ ...defaults, messages: a.messages, config: other, defaulted: { config: false, messages: false, state: true } }), { ...a, config: other });
  });

  test("both given and one colony's: accepted; two colonies': refused, naming the state directory to use", () => {
    assert.deepEqual(locate({ ...defaults, messages: a.messages, state: a.state, defaulted: { config: true, messages: false, state: false } }), a);
    assert.throws(() => locate({ ...defaults, messages: a.messages, state: b.state, defaulted: { config: true, messages: false, state: false } }), (err: Error) => err.message.includes(a.state) && (err as { exitCode?: number }).exitCode === 100);
  });

  test('no colony has run there: the given and default directories, unchanged', () => {
    const none = join(root, 'none');
    assert.deepEqual(locate({ ...defaults, messages: none, defaulted: { config: true, messages: false, state: true } }), { ...defaults, messages: none });
  });

  test('a note that is not a note is ignored', () => {
    const d = join(root, 'junk');
    mkdirSync(d);
    writeFileSync(join(d, '.colony.json'), '[1, 2');
    assert.deepEqual(locate({ ...defaults, messages: d, defaulted: { config: true, messages: false, state: true } }), { ...defaults, messages: d });
  });
});
