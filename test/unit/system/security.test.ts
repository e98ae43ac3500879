// Control-surface security: which descriptor and message files colony trusts when it runs as root
// (mode, owner, symlinks in and out of the directory tree), and whom a non-root colony can run processes as.
// Needs root (chown to nobody); skipped otherwise.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, lchownSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { readLimited } from '../../../src/common/input.ts';
import { ConfigDir } from '../../../src/descriptor/directory.ts';
import type { Descriptor } from '../../../src/descriptor/parse.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import type { Message } from '../../../src/messages/message.ts';
import { MessagesDir } from '../../../src/messages/watcher.ts';
import { SupervisedProcess } from '../../../src/process/supervised.ts';
import { canSwitchTo, fileProblem, filePolicyFrom, statProblem, type FilePolicy } from '../../../src/system/security.ts';
import { descriptorOf, FakeWorld, testPolicy } from '../helpers/fake-world.ts';

const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0;
const STRICT: FilePolicy = { strict: true, euid: 0 };
const LAX: FilePolicy = { strict: false, euid: 0 };

const base = mkdtempSync(join(tmpdir(), 'colony-security-'));
after(() => rmSync(base, { recursive: true, force: true }));
let n = 0;

// A fresh config directory (and a sibling "outside" directory) under the base.
function tree(): { cfg: string; out: string } {
  const top = join(base, `t${n++}`);
  const cfg = join(top, 'cfg');
  const out = join(top, 'outside');
  mkdirSync(cfg, { recursive: true });
  mkdirSync(out);
  return { cfg, out };
}

function file(path: string, mode = 0o644, uid = 0): string {
  writeFileSync(path, '{"args": ["/bin/true"]}');
  chmodSync(path, mode);
  chownSync(path, uid, uid);
  return path;
}

function link(target: string, path: string, uid = 0): string {
  symlinkSync(target, path);
  lchownSync(path, uid, uid);
  return path;
}

describe('filePolicyFrom', () => {
  test('strict only as root, and neither the flag nor COLONY_INSECURE_FILES=1 given', () => {
    assert.deepEqual(filePolicyFrom({}, undefined, 0), { strict: true, euid: 0 });
    assert.deepEqual(filePolicyFrom({}, false, 0), { strict: true, euid: 0 });
    assert.deepEqual(filePolicyFrom({}, true, 0), { strict: false, euid: 0 });
    assert.deepEqual(filePolicyFrom({ COLONY_INSECURE_FILES: '1' }, undefined, 0), { strict: false, euid: 0 });
    assert.deepEqual(filePolicyFrom({ COLONY_INSECURE_FILES: '0' }, undefined, 0), { strict: true, euid: 0 });
    assert.deepEqual(filePolicyFrom({}, undefined, 1000), { strict: false, euid: 1000 });
    assert.equal(filePolicyFrom({}, undefined).euid, process.geteuid!());
  });
});

describe('canSwitchTo', () => {
  test('root can run processes as anyone', () => {
    assert.equal(canSwitchTo(1000, 1000, 0, 0), undefined);
    assert.equal(canSwitchTo(undefined, undefined, 0, 0), undefined);
  });
  test('another user only as itself', () => {
    assert.equal(canSwitchTo(undefined, undefined, 1000, 1000), undefined);
    assert.equal(canSwitchTo(1000, 1000, 1000, 1000), undefined);
    assert.match(canSwitchTo(0, undefined, 1000, 1000)!, /colony runs as uid 1000, not root.*not as uid 0/);
    assert.match(canSwitchTo(1000, 0, 1000, 1000)!, /gid 1000.*not with gid 0/);
    assert.match(canSwitchTo(undefined, 5, 1000, 1000)!, /not with gid 5/);
  });
});

describe('fileProblem', { skip: isRoot ? false : 'needs root (chown)' }, () => {
  test('a root-owned 0644 file is fine; not strict, nothing is refused', () => {
    const { cfg } = tree();
    const ok = file(join(cfg, 'web'));
    assert.equal(fileProblem(ok, cfg, STRICT), undefined);
    const bad = file(join(cfg, 'bad'), 0o666, NOBODY);
    assert.equal(fileProblem(bad, cfg, LAX), undefined);
  });

  test('writable by group or others: refused, naming the file and the mode', () => {
    const { cfg } = tree();
    const others = file(join(cfg, 'others'), 0o646);
    assert.match(fileProblem(others, cfg, STRICT)!, new RegExp(`^refused: ${others} is writable by others \\(mode 0646\\); with colony running as root.*--insecure-files`));
    assert.match(fileProblem(file(join(cfg, 'group'), 0o664), cfg, STRICT)!, /is writable by its group \(mode 0664\)/);
    assert.match(fileProblem(file(join(cfg, 'both'), 0o666), cfg, STRICT)!, /is writable by group and others \(mode 0666\)/);
  });

  test("owned by another user: refused; colony's own user is trusted like root", () => {
    const { cfg } = tree();
    const theirs = file(join(cfg, 'theirs'), 0o644, NOBODY);
    assert.match(fileProblem(theirs, cfg, STRICT)!, new RegExp(`^refused: ${theirs} is owned by uid 65534( \\(nobody\\))?, not by root`));
    const mine = file(join(cfg, 'mine'), 0o644, 1234);
    assert.equal(fileProblem(mine, cfg, { strict: true, euid: 1234 }), undefined);
    assert.match(fileProblem(mine, cfg, STRICT)!, /owned by uid 1234/);
  });

  test('a missing file or a dangling symlink is left to the read', () => {
    const { cfg } = tree();
    assert.equal(fileProblem(join(cfg, 'none'), cfg, STRICT), undefined);
    link('nowhere', join(cfg, 'dangling'), NOBODY);
    assert.equal(fileProblem(join(cfg, 'dangling'), cfg, STRICT), undefined);
  });

  test('symlinks that stay within the tree are followed whoever owns them; the target is checked', () => {
    const { cfg } = tree();
    mkdirSync(join(cfg, 'sub'));
    file(join(cfg, 'sub', 'web.json'));
    assert.equal(fileProblem(link('sub/web.json', join(cfg, 'web'), NOBODY), cfg, STRICT), undefined);
    file(join(cfg, 'sub', 'open.json'), 0o666);
    const p = fileProblem(link('sub/open.json', join(cfg, 'open'), 0), cfg, STRICT);
    assert.match(p!, new RegExp(`${join(cfg, 'open')} \\(→ ${join(cfg, 'sub', 'open.json')}\\) is writable by group and others`));
  });

  test('the ConfigMap layout (NAME -> ..data/NAME, ..data -> ..<timestamp>) is accepted, also after an update swaps ..data', () => {
    const { cfg } = tree();
    const v1 = '..2024_01_01_00_00_00.123';
    mkdirSync(join(cfg, v1));
    file(join(cfg, v1, 'web'));
    link(v1, join(cfg, '..data'));
    link('..data/web', join(cfg, 'web'));
    assert.equal(fileProblem(join(cfg, 'web'), cfg, STRICT), undefined);
    const v2 = '..2024_01_02_00_00_00.456';
    mkdirSync(join(cfg, v2));
    file(join(cfg, v2, 'web'), 0o666);
    link(v2, join(cfg, '..data_tmp'));
    // the kubelet's atomic swap: rename ..data_tmp over ..data
    renameSync(join(cfg, '..data_tmp'), join(cfg, '..data'));
    assert.match(fileProblem(join(cfg, 'web'), cfg, STRICT)!, new RegExp(`→ ${join(cfg, v2, 'web').replace(/\./g, '\\.')}\\) is writable`));
  });

  test('the config directory reached through a symlink: links within it still count as within', () => {
    const { cfg } = tree();
    file(join(cfg, 'real'));
    link('real', join(cfg, 'alias'), NOBODY);
    const via = link(cfg, `${cfg}-link`);
    assert.equal(fileProblem(join(via, 'alias'), via, STRICT), undefined);
  });

  test('a symlink out of the tree: followed when root owns it (and the target passes), refused when another user owns it', () => {
    const { cfg, out } = tree();
    const target = file(join(out, 'web.json'));
    assert.equal(fileProblem(link(target, join(cfg, 'rootlink')), cfg, STRICT), undefined);
    assert.equal(fileProblem(link('../outside/web.json', join(cfg, 'relative')), cfg, STRICT), undefined);
    const theirs = link(target, join(cfg, 'theirs'), NOBODY);
    assert.match(fileProblem(theirs, cfg, STRICT)!, new RegExp(`^refused: ${theirs} is a symlink owned by uid 65534.*leads out of ${cfg} \\(to ${target}\\)`));
    // root's link to a file someone else owns: the file is refused
    const foreign = file(join(out, 'foreign.json'), 0o644, NOBODY);
    assert.match(fileProblem(link(foreign, join(cfg, 'toforeign')), cfg, STRICT)!, /owned by uid 65534.*not by root/);
  });

  test('every symlink on the way out counts, not only the entry', () => {
    const { cfg, out } = tree();
    const target = file(join(out, 'web.json'));
    const middle = link(target, join(out, 'middle'), NOBODY);
    const entry = link(middle, join(cfg, 'web'));
    assert.match(fileProblem(entry, cfg, STRICT)!, new RegExp(`goes through the symlink ${middle}, which is owned by uid 65534`));
    // a directory symlink on the way, owned by someone else
    mkdirSync(join(out, 'dir'));
    file(join(out, 'dir', 'x.json'));
    link(join(out, 'dir'), join(out, 'dirlink'), NOBODY);
    assert.match(fileProblem(link(join(out, 'dirlink', 'x.json'), join(cfg, 'x')), cfg, STRICT)!, /goes through the symlink .*dirlink, which is owned by uid 65534/);
    // all root's: fine
    link(join(out, 'dir'), join(out, 'rootdir'));
    assert.equal(fileProblem(link(join(out, 'rootdir', 'x.json'), join(cfg, 'y')), cfg, STRICT), undefined);
  });

  test('a symlink loop is refused', () => {
    const { cfg } = tree();
    link('b', join(cfg, 'a'));
    link('a', join(cfg, 'b'));
    assert.match(fileProblem(join(cfg, 'a'), cfg, STRICT)!, /too many levels of symbolic links/);
  });
});

describe('readLimited re-checks the file it opened', { skip: isRoot ? false : 'needs root (chown)' }, () => {
  test('a file swapped in after the path checks is refused from its fstat (EREFUSED)', () => {
    const { cfg } = tree();
    const p = file(join(cfg, 'web'), 0o644, NOBODY);
    assert.throws(() => readLimited(p, 1000, (st) => statProblem(p, st, STRICT)), (err: NodeJS.ErrnoException) => err.code === 'EREFUSED' && /owned by uid 65534/.test(err.message));
    assert.equal(readLimited(p, 1000, (st) => statProblem(p, st, LAX)).toString(), '{"args": ["/bin/true"]}');
  });
});

describe('ConfigDir and MessagesDir refuse untrusted files', { skip: isRoot ? false : 'needs root (chown)' }, () => {
  test('a refused descriptor is reported once, is not applied, and is applied once fixed', () => {
    const { cfg } = tree();
    const log = memoryLog();
    const applied: Array<[string, Descriptor | null]> = [];
    const dir = new ConfigDir(cfg, (name, d) => applied.push([name, d]), log, 0, undefined, STRICT);
    file(join(cfg, 'good'));
    const bad = file(join(cfg, 'bad'), 0o666);
    dir.rescan();
    dir.rescan();
    assert.ok(applied.length > 0 && applied.every(([name]) => name === 'good'), 'only good is applied (the supervisor ignores repeats)');
    const errors = log.records.filter((r) => r.level === 'error');
    assert.equal(errors.length, 1, 'reported once');
    assert.equal(errors[0]!.msg, `descriptor refused: ${bad} is writable by group and others (mode 0666); with colony running as root, that would let another user run commands as root (--insecure-files or COLONY_INSECURE_FILES=1 turns this check off); not started`);
    assert.equal(errors[0]!.file, bad);
    assert.equal(errors[0]!.proc, 'bad');
    chmodSync(bad, 0o644);
    chownSync(bad, NOBODY, NOBODY);
    dir.rescan();
    assert.match(log.records.filter((r) => r.level === 'error')[1]!.msg, /owned by uid 65534/, 'a new problem is a new line');
    chmodSync(bad, 0o644);
    chownSync(bad, 0, 0);
    dir.rescan();
    assert.deepEqual(
      applied.filter(([name]) => name === 'bad').map(([, d]) => d?.source),
      [bad],
    );
    assert.ok(log.records.some((r) => r.msg === `descriptor ${bad} is valid again`));
  });

  test('a running definition is kept while its file is refused', () => {
    const { cfg } = tree();
    const log = memoryLog();
    const applied: Array<[string, Descriptor | null]> = [];
    const dir = new ConfigDir(cfg, (name, d) => applied.push([name, d]), log, 0, undefined, STRICT);
    const web = file(join(cfg, 'web'));
    dir.reload('web');
    chmodSync(web, 0o666);
    dir.reload('web');
    assert.equal(applied.length, 1);
    assert.match(log.records.find((r) => r.level === 'error')!.msg, /keeps its last good definition/);
  });

  test('not strict: the same files are applied', () => {
    const { cfg } = tree();
    const applied: string[] = [];
    const dir = new ConfigDir(cfg, (name) => applied.push(name), memoryLog(), 0, undefined, LAX);
    file(join(cfg, 'bad'), 0o666, NOBODY);
    dir.rescan();
    assert.deepEqual(applied, ['bad']);
  });

  test('a refused message is moved aside and not handled', () => {
    const { cfg: msgs } = tree();
    const log = memoryLog();
    const handled: Message[] = [];
    const dir = new MessagesDir(msgs, (m) => (handled.push(m), undefined), log, 0, STRICT);
    const write = (name: string, mode: number, uid = 0): string => {
      const p = join(msgs, name);
      writeFileSync(p, '{"type": "RESTART", "name": "web"}');
      chmodSync(p, mode);
      chownSync(p, uid, uid);
      return p;
    };
    const open = write('open.message', 0o666);
    const theirs = write('theirs.message', 0o644, NOBODY);
    write('fine.message', 0o644);
    dir.rescan();
    assert.equal(handled.length, 1, 'only the trusted one');
    assert.ok(existsSync(join(msgs, '.rejected.open.message')) && !existsSync(open));
    assert.ok(existsSync(join(msgs, '.rejected.theirs.message')) && !existsSync(theirs));
    const rejected = log.records.filter((r) => r.level === 'error').map((r) => r.msg);
    assert.ok(rejected.some((m) => m.startsWith(`message rejected: refused: ${open} is writable by group and others (mode 0666)`)));
    assert.ok(rejected.some((m) => m.startsWith(`message rejected: refused: ${theirs} is owned by uid 65534`)));
    void dir.close();
  });
});

describe('a non-root colony starts processes only as itself', () => {
  const run = (fields: Record<string, unknown>): FakeWorld => {
    const world = new FakeWorld();
    Object.assign(world, { ids: { uid: NOBODY, gid: NOBODY } });
    new SupervisedProcess('web', { ...descriptorOf({ args: ['/x'], ...fields }), source: '/cfg/web' }, testPolicy(), world).start();
    return world;
  };

  test('no uid, gid or user, or its own: spawned', () => {
    assert.equal(run({}).attempts.length, 1);
    assert.equal(run({ uid: NOBODY, gid: NOBODY }).attempts.length, 1);
  });

  for (const [field, fields, pattern] of [
    ['uid', { uid: 0 }, /^cannot start: "uid": 0 is refused: colony runs as uid 65534, not root/],
    ['gid', { gid: 0 }, /^cannot start: "gid": 0 is refused: .*not with gid 0/],
    ['user', { user: 'root' }, /^cannot start: "user": "root" \(uid 0, gid 0\) is refused/],
  ] as const) {
    test(`a different ${field}: not spawned, an error naming "${field}" and the file`, () => {
      const world = run(fields);
      world.clock.advance(0);
      assert.equal(world.attempts.length, 0);
      const err = world.log.records.find((r) => r.level === 'error');
      assert.match(err!.msg, pattern);
      assert.equal(err!.field, field);
      assert.equal(err!.file, '/cfg/web');
      assert.equal(err!.error, 'EPERM');
    });
  }
});
