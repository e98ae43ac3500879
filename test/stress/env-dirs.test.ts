// Environment faults as PID 1: the messages directory deleted (and recreated, or replaced)
// while colony runs, and the config or messages directory replaced by a symlink swap — the atomic
// `ln -s new tmp && mv -T tmp config` that deploy tools use. "Nothing lost" means: every message
// written after the fault is carried out exactly once, and after a swap the processes running are
// exactly those of the directory the path now leads to, each with its new definition — within a few
// seconds, not at the next periodic rescan (--frequency, 60 s by default), and for changes made after
// the swap too. Every test asserts no fatal record and no error line.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import { Colony, writeAtomic } from '../helpers/colony.ts';
import { assertNoLastResort } from '../helpers/hostile.ts';
import { alive, cmdline, descendants } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const idle = (tag: string, seconds = 1000 + tag.length): object => ({ args: ['/bin/sh', '-c', `echo ${tag}; exec sleep ${seconds}`] });
// Well under the default 60 s rescan: what is seen within this was seen through the watcher.
const SEEN_MS = 8000;

// Writes a RESTART message for `name` and waits for the restart; the message must be handled exactly once.
async function restartVia(c: Colony, dir: string, file: string, name: string): Promise<number> {
  const m = c.mark;
  writeAtomic(dir, file, { type: 'RESTART', name });
  const pid = await c.started(name, m, SEEN_MS).catch((err: unknown) => assert.fail(`the RESTART message ${file} must be carried out: ${String(err)}\n${c.log()}`));
  assert.equal(c.count((r) => r.msg === 'message handled' && String(r.file).endsWith(`/${file}`)), 1, `${file} handled once`);
  return pid;
}

function assertNoErrors(c: Colony, from = 0): void {
  const errors = c.records.slice(from).filter((r) => r.level === 'error' || r.level === 'fatal');
  assert.deepEqual(errors, [], 'no error line');
  assertNoLastResort(c, c.log());
}

describe('environment faults: the messages and config directories', () => {
  const started: Colony[] = [];
  const tops: string[] = [];
  after(async () => {
    for (const c of started) await c.destroy();
    for (const d of tops) rmSync(d, { recursive: true, force: true });
  });
  const start = async (opts: Parameters<typeof Colony.start>[0]): Promise<Colony> => {
    const c = await Colony.start(opts);
    started.push(c);
    return c;
  };

  it('the messages directory deleted while running: colony recreates it, and RESTART messages work again (5 rounds)', async (t: TestContext) => {
    const c = await start({ files: { web: idle('web') } });
    await c.started('web');
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      rmSync(c.dirs.messages, { recursive: true });
      const t0 = Date.now();
      await waitFor('colony recreates the messages directory', () => existsSync(c.dirs.messages), SEEN_MS);
      delays.push(Date.now() - t0);
      await restartVia(c, c.dirs.messages, `after-delete-${i}`, 'web');
    }
    t.diagnostic(`recreated after ${delays.join(', ')} ms`);
    assertNoErrors(c);
  });

  it('the messages directory deleted and recreated at once by someone else, or replaced by another directory holding a message: every message carried out once', async () => {
    const c = await start({ files: { web: idle('web') } });
    await c.started('web');
    for (let i = 0; i < 3; i++) {
      rmSync(c.dirs.messages, { recursive: true });
      mkdirSync(c.dirs.messages, { recursive: true }); // colony may have recreated it first
      await restartVia(c, c.dirs.messages, `recreated-${i}`, 'web');
    }
    // Replaced: a new directory with a message already in it renamed over the old one (deleted, or moved aside).
    for (const [i, aside] of [[0, false], [1, true]] as const) {
      const fresh = `${c.dirs.messages}.new`;
      mkdirSync(fresh);
      writeFileSync(join(fresh, `inside-${i}`), JSON.stringify({ type: 'RESTART', name: 'web' }));
      const m = c.mark;
      if (aside) renameSync(c.dirs.messages, `${c.dirs.messages}.old-${i}`);
      else rmSync(c.dirs.messages, { recursive: true });
      renameSync(fresh, c.dirs.messages);
      await c.started('web', m, SEEN_MS);
      await waitFor(`inside-${i} handled`, () => c.count((r) => r.msg === 'message handled' && String(r.file).endsWith(`/inside-${i}`)) === 1, SEEN_MS);
      await restartVia(c, c.dirs.messages, `after-replace-${i}`, 'web');
    }
    assert.equal(c.count((r) => r.proc === 'web' && r.msg === 'started'), 1 + 3 + 2 * 2, 'one restart per message, none lost, none twice');
    assertNoErrors(c);
  });

  it('the config directory replaced by a symlink swap (ln -s new tmp && mv -T tmp config): the new set of processes runs, and later changes are followed', async (t: TestContext) => {
    // "Nothing lost": after the swap, exactly the new directory's processes run, with its definitions.
    const top = mkdtempSync(join(tmpdir(), 'colony-swap-'));
    tops.push(top);
    const [v1, v2, config] = [join(top, 'v1'), join(top, 'v2'), join(top, 'config')];
    mkdirSync(v1);
    mkdirSync(v2);
    writeAtomic(v1, 'a', idle('a1', 20001));
    writeAtomic(v1, 'b', idle('b1', 20002));
    writeAtomic(v2, 'b', idle('b2', 20003));
    writeAtomic(v2, 'c', idle('c2', 20004));
    symlinkSync('v1', config);
    const c = await start({ args: ['--config', config] });
    await c.started('a');
    await c.started('b');
    const m = c.mark;
    const t0 = Date.now();
    symlinkSync('v2', join(top, 'config.tmp'));
    renameSync(join(top, 'config.tmp'), config); // mv -T: atomic
    const failures: string[] = [];
    let deadline = Date.now() + SEEN_MS;
    const seen = async (what: string, pred: () => boolean): Promise<void> => {
      await waitFor(what, pred, Math.max(0, deadline - Date.now())).catch(() => failures.push(`${what}: not within ${SEEN_MS} ms`));
    };
    await seen('c (new) started', () => c.count((r) => r.proc === 'c' && r.msg === 'started') === 1);
    await seen('a (gone) stopped', () => c.records.slice(m).some((r) => r.proc === 'a' && r.msg === 'stopped'));
    await seen('b (changed) restarted with its new definition', () => c.output('b').includes('b2'));
    t.diagnostic(`after the swap: ${failures.length === 0 ? `new set running in ${Date.now() - t0} ms` : failures.join('; ')}`);
    writeAtomic(v2, 'd', idle('d2', 20005));
    deadline = Date.now() + SEEN_MS;
    await seen('d (added to the new directory after the swap) started', () => c.count((r) => r.proc === 'd' && r.msg === 'started') === 1);
    assert.deepEqual(failures, [], 'the swap and the changes after it are seen through the watcher, not left to the periodic rescan');
    const tags = descendants(c.pid).filter(alive).map((p) => cmdline(p).join(' ')).filter((l) => l.startsWith('sleep')).sort();
    assert.deepEqual(tags, ['sleep 20003', 'sleep 20004', 'sleep 20005'], 'the new b, c and d run; a and the old b do not');
    assertNoErrors(c);
  });

  it('the messages directory replaced by a symlink swap: a message in the new directory, and one written after, are carried out', async () => {
    const top = mkdtempSync(join(tmpdir(), 'colony-swap-'));
    tops.push(top);
    const [v1, v2, messages] = [join(top, 'v1'), join(top, 'v2'), join(top, 'messages')];
    mkdirSync(v1);
    mkdirSync(v2);
    symlinkSync('v1', messages);
    const c = await start({ files: { web: idle('web') }, args: ['--messages', messages] });
    await c.started('web');
    await restartVia(c, messages, 'before-swap', 'web');
    writeFileSync(join(v2, 'waiting'), JSON.stringify({ type: 'RESTART', name: 'web' }));
    const m = c.mark;
    symlinkSync('v2', join(top, 'messages.tmp'));
    renameSync(join(top, 'messages.tmp'), messages);
    await c.started('web', m, SEEN_MS).catch(() => assert.fail(`the message waiting in the new directory must be carried out within ${SEEN_MS} ms\n${c.log()}`));
    await restartVia(c, messages, 'after-swap', 'web');
    assertNoErrors(c);
  });
});
