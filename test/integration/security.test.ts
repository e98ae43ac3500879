// Control-surface security, with colony as PID 1: run as root, it refuses descriptor and message
// files that another user could have written (writable by group/others, owned by someone else, or
// reached through someone else's symlink out of the directory), COLONY_INSECURE_FILES=1 turns that
// off, and the Kubernetes ConfigMap layout is accepted. Run as a non-root user, it runs its own
// processes and refuses (by field) a descriptor asking for another uid.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, cpSync, existsSync, lchownSync, mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BUNDLE, capture, Colony, NODE, type Rec, shDescriptor } from '../helpers/colony.ts';
import { onLines, parseRecord } from '../helpers/lines.ts';
import { Launch, pid1Argv } from '../helpers/pid1.ts';
import { waitFor } from '../helpers/wait.ts';

const NOBODY = 65534;
const isRoot = process.geteuid?.() === 0;
const idle = (tag: string, extra: object = {}): object => shDescriptor(`echo ${tag}; exec sleep 1000${tag.length}`, extra);
const msgOf = (r: Rec | undefined): string => String(r?.msg);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Puts a file in place with its mode and owner already set (written aside, then renamed in), so colony never sees it otherwise.
function place(dir: string, name: string, content: string | object, { mode = 0o644, uid = 0 } = {}): string {
  const tmp = join(dir, `.${name}.placing`);
  writeFileSync(tmp, typeof content === 'string' ? content : JSON.stringify(content));
  chmodSync(tmp, mode);
  chownSync(tmp, uid, uid);
  renameSync(tmp, join(dir, name));
  return join(dir, name);
}

function symlink(target: string, path: string, uid = 0): string {
  const tmp = `${path}.placing`;
  symlinkSync(target, tmp);
  lchownSync(tmp, uid, uid);
  renameSync(tmp, path);
  return path;
}

describe('control-surface security', { skip: isRoot ? false : 'needs root' }, () => {
  const started: Colony[] = [];
  const outside = mkdtempSync(join(tmpdir(), 'colony-outside-'));
  after(async () => {
    for (const c of started) await c.destroy();
    rmSync(outside, { recursive: true, force: true });
  });
  const start = async (opts: Parameters<typeof Colony.start>[0] = {}): Promise<Colony> => {
    const c = await Colony.start(opts);
    started.push(c);
    return c;
  };

  it('as root: a descriptor writable by others is refused with a line naming the file and its mode; a good one runs', async () => {
    // --frequency 0.5: a fix by chmod alone changes neither size nor mtime, so only the periodic rescan sees it.
    const c = await start({ files: { good: idle('good') }, args: ['--frequency', '0.5'] });
    await c.started('good');
    const m = c.mark;
    const open = place(c.dirs.config, 'open', idle('open'), { mode: 0o666 });
    const groupw = place(c.dirs.config, 'groupw.json', idle('groupw'), { mode: 0o664 });
    const rec = await c.waitRecord('open refused', (r) => r.level === 'error' && r.file === open, 5000, m);
    assert.equal(
      msgOf(rec),
      `descriptor refused: ${open} is writable by group and others (mode 0666); with colony running as root, that would let another user run commands as root (--insecure-files or COLONY_INSECURE_FILES=1 turns this check off); not started`,
    );
    assert.equal(rec.proc, 'open');
    assert.match(msgOf(await c.waitRecord('groupw refused', (r) => r.level === 'error' && r.file === groupw, 5000, m)), /is writable by its group \(mode 0664\)/);


    // Fixed (chmod 644): started. Made writable again: refused, and the running process keeps its definition.
    const m2 = c.mark;
    chmodSync(open, 0o644);
    await c.started('open', m2);
    await c.waitRecord('valid again', (r) => r.proc === 'open' && /valid again/.test(msgOf(r)), 5000, m2);
    const m3 = c.mark;
    place(c.dirs.config, 'open', idle('open2'), { mode: 0o646 });
    assert.match(msgOf(await c.waitRecord('open refused again', (r) => r.level === 'error' && r.proc === 'open', 5000, m3)), /writable by others \(mode 0646\).*keeps its last good definition/);
    assert.equal(c.count((r) => r.proc === 'open' && r.msg === 'started'), 1);
    assert.equal(c.count((r) => r.proc === 'groupw' && r.msg === 'started'), 0);
    assert.equal(c.count((r) => r.level === 'error' && r.file === groupw), 1, 'reported once, not at every rescan (one ran to pick up the chmod)');
    assert.equal(c.count((r) => r.proc === 'good' && r.msg === 'started'), 1, 'the good one runs on');
    assert.equal((await c.stop()).code, 0);
  });

  it("as root: a descriptor owned by another user (nobody) is refused; root's runs", async () => {
    const c = await start({ files: { good: idle('good') } });
    await c.started('good');
    const m = c.mark;
    const theirs = place(c.dirs.config, 'theirs', idle('theirs'), { uid: NOBODY });
    const rec = await c.waitRecord('theirs refused', (r) => r.level === 'error' && r.file === theirs, 5000, m);
    assert.match(msgOf(rec), new RegExp(`^descriptor refused: ${escape(theirs)} is owned by uid 65534( \\(nobody\\))?, not by root; with colony running as root`));
    place(c.dirs.config, 'marker', idle('marker'));
    await c.started('marker', m);
    assert.equal(c.count((r) => r.proc === 'theirs' && r.msg === 'started'), 0);
    await c.stop();
  });

  it('as root: a message writable by others is rejected (moved aside), and nothing is restarted', async () => {
    const c = await start({ files: { web: idle('web') } });
    await c.started('web');
    const m = c.mark;
    const bad = place(c.dirs.messages, 'bad.message', { type: 'RESTART', name: 'web' }, { mode: 0o666 });
    const theirs = place(c.dirs.messages, 'theirs.message', { type: 'RESTART', name: 'web' }, { uid: NOBODY });
    const rec = await c.waitRecord('message rejected', (r) => r.level === 'error' && r.file === bad, 5000, m);
    assert.equal(msgOf(rec), `message rejected: refused: ${bad} is writable by group and others (mode 0666); with colony running as root, that would let another user run commands as root (--insecure-files or COLONY_INSECURE_FILES=1 turns this check off); moved to ${join(c.dirs.messages, '.rejected.bad.message')}`);
    assert.match(msgOf(await c.waitRecord('theirs rejected', (r) => r.level === 'error' && r.file === theirs, 5000, m)), /is owned by uid 65534/);
    assert.ok(existsSync(join(c.dirs.messages, '.rejected.bad.message')) && !existsSync(bad), 'moved aside');
    assert.ok(existsSync(join(c.dirs.messages, '.rejected.theirs.message')) && !existsSync(theirs), 'moved aside');
    // A good message after them is carried out: the restart is the first one.
    const m2 = c.mark;
    place(c.dirs.messages, 'good.message', { type: 'RESTART', name: 'web' });
    await c.started('web', m2);
    assert.equal(c.count((r) => r.proc === 'web' && r.msg === 'started'), 2, 'only the good message restarted web');
    await c.stop();
  });

  it('as root with COLONY_INSECURE_FILES=1: the check is off, a 0666 descriptor runs', async () => {
    const c = await start({ env: { COLONY_INSECURE_FILES: '1' } });
    const m = c.mark;
    place(c.dirs.config, 'open', idle('open'), { mode: 0o666 });
    place(c.dirs.config, 'theirs', idle('theirs'), { uid: NOBODY });
    await c.started('open', m);
    await c.started('theirs', m);
    assert.equal(c.count((r) => r.level === 'error'), 0);
    await c.stop();
  });

  it("as root: a symlink out of the directory is followed when root's, refused when another user's", async () => {
    const c = await start();
    const target = place(outside, 'web.json', idle('outer'));
    const m = c.mark;
    const theirs = symlink(target, join(c.dirs.config, 'theirs'), NOBODY);
    symlink(target, join(c.dirs.config, 'rootlink'));
    const rec = await c.waitRecord('their symlink refused', (r) => r.level === 'error' && r.file === theirs, 5000, m);
    assert.match(msgOf(rec), new RegExp(`^descriptor refused: ${escape(theirs)} is a symlink owned by uid 65534( \\(nobody\\))? \\(not root\\) and leads out of ${escape(c.dirs.config)} \\(to ${escape(target)}\\)`));
    await c.started('rootlink', m);
    // root's symlink to a file nobody owns: the file is refused
    const foreign = place(outside, 'foreign.json', idle('foreign'), { uid: NOBODY });
    const m2 = c.mark;
    const tolink = symlink(foreign, join(c.dirs.config, 'toforeign'));
    assert.match(msgOf(await c.waitRecord('foreign target refused', (r) => r.level === 'error' && r.file === tolink, 5000, m2)), new RegExp(`${escape(tolink)} \\(→ ${escape(foreign)}\\) is owned by uid 65534`));
    assert.equal(c.count((r) => (r.proc === 'theirs' || r.proc === 'toforeign') && r.msg === 'started'), 0);
    await c.stop();
  });

  it('as root: the Kubernetes ConfigMap layout (NAME -> ..data/NAME, ..data -> ..<timestamp>/) is accepted, and an update that swaps ..data is picked up', async () => {
    const c = await start({ args: ['--frequency', '0.5'] });
    const v1 = join(c.dirs.config, '..2024_01_01_00_00_00.123');
    mkdirSync(v1);
    place(v1, 'web', idle('one'));
    symlink('..2024_01_01_00_00_00.123', join(c.dirs.config, '..data'));
    const m = c.mark;
    symlink('..data/web', join(c.dirs.config, 'web'));
    await c.started('web', m);
    await waitFor('web prints one', () => c.output('web').includes('one'));
    // The kubelet's update: a new timestamped directory, ..data swapped to it atomically.
    const v2 = join(c.dirs.config, '..2024_01_02_00_00_00.456');
    mkdirSync(v2);
    place(v2, 'web', idle('two'));
    const m2 = c.mark;
    symlink('..2024_01_02_00_00_00.456', join(c.dirs.config, '..data'));
    rmSync(v1, { recursive: true });
    await c.started('web', m2);
    await waitFor('web prints two', () => c.output('web').includes('two'));
    assert.equal(c.count((r) => r.level === 'error'), 0, c.log());
    await c.stop();
  });
});

// colony as PID 1 of a new PID namespace, run as nobody (setpriv), with its JSON log parsed.
class NonRootColony {
  readonly records: Rec[] = [];
  private readonly launch: Launch;
  stderr = '';

  // `bin` holds node and the bundle where nobody can reach them (see below).
  constructor(dirs: { config: string; messages: string; state: string }, bin: { node: string; bundle: string }) {
    const argv = pid1Argv({ wrap: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'], node: bin.node, bundle: bin.bundle, args: ['run', '--config', dirs.config, '--messages', dirs.messages, '--state', dirs.state, '--log-format', 'json'] });
    // cwd: a directory nobody can enter (the checkout, under mktemp -d) would make every spawn fail with EACCES.
    this.launch = new Launch(argv, { env: { ...process.env, HOME: '/' }, cwd: dirname(bin.node) });
    onLines(this.launch.child.stdout!, (line) => this.records.push(parseRecord<Rec>(line, 'unparsed')));
    this.launch.child.stderr!.setEncoding('utf8').on('data', (c: string) => (this.stderr += c));
  }

  get mark(): number {
    return this.records.length;
  }
  waitRecord(what: string, pred: (r: Rec) => boolean, timeoutMs = 10_000, from = 0): Promise<Rec> {
    return waitFor(`${what}\n${this.records.map((r) => JSON.stringify(r)).join('\n')}\n${this.stderr}`, () => this.records.slice(from).find(pred), timeoutMs);
  }
  count(pred: (r: Rec) => boolean): number {
    return this.records.filter(pred).length;
  }
  output(proc: string): string[] {
    return this.records.filter((r) => r.proc === proc && r.stream !== undefined).map((r) => String(r.msg));
  }
  async stop(): Promise<number | null> {
    return (await this.launch.stop()).code;
  }
  destroy(): Promise<void> {
    return this.launch.destroy();
  }
}

describe('colony run as a non-root user', { skip: isRoot ? false : 'needs root (to become nobody)' }, () => {
  const top = mkdtempSync(join(tmpdir(), 'colony-nonroot-'));
  chmodSync(top, 0o755);
  const dirs = { config: join(top, 'config'), messages: join(top, 'messages'), state: join(top, 'state') };
  for (const d of Object.values(dirs)) {
    mkdirSync(d);
    chownSync(d, NOBODY, NOBODY);
  }
  // The checkout may sit under a directory nobody cannot enter (mktemp -d is 0700): nobody runs a copy
  // of node, the bundle and koffi's native module from here.
  const binDir = join(top, 'bin');
  mkdirSync(binDir);
  chmodSync(binDir, 0o755);
  cpSync(NODE, join(binDir, 'node'));
  cpSync(BUNDLE, join(binDir, 'colony.cjs'));
  cpSync(join(dirname(BUNDLE), 'koffi'), join(binDir, 'koffi'), { recursive: true });
  const bin = { node: join(binDir, 'node'), bundle: join(binDir, 'colony.cjs') };
  let c: NonRootColony | undefined;
  after(async () => {
    await c?.destroy();
    rmSync(top, { recursive: true, force: true });
  });

  it('a one-off command as nobody with the default directories (no /run/colony to write): the command runs, colony says nothing', async () => {
    const argv = pid1Argv({ wrap: ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'], node: bin.node, bundle: bin.bundle, args: ['run', '--', '/bin/sh', '-c', 'echo "hi from $(id -u)"'] });
    const l = new Launch(argv, { env: { ...process.env, HOME: '/' }, cwd: dirname(bin.node) });
    let out = '';
    let err = '';
    l.child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    l.child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    assert.deepEqual(await l.wait(20_000), { code: 0, signal: null });
    assert.equal(out, `hi from ${NOBODY}\n`);
    assert.equal(err, '', 'no error about /run/colony or /etc/colony/config');
  });

  it("runs its own user's processes and messages; a descriptor asking for uid 0 is refused naming \"uid\", the others keep running", async () => {
    place(dirs.config, 'mine', shDescriptor('id -u; exec sleep 10004'), { uid: NOBODY });
    place(dirs.config, 'itself', shDescriptor('id -u; exec sleep 10006', { uid: NOBODY, gid: NOBODY }), { uid: NOBODY });
    c = new NonRootColony(dirs, bin);
    const startedOf = (proc: string, from = 0): Promise<Rec> => c!.waitRecord(`${proc} started`, (r) => r.proc === proc && r.msg === 'started', 10_000, from);
    await startedOf('mine');
    await startedOf('itself');
    await waitFor('ids printed', () => c!.output('mine')[0] === String(NOBODY) && c!.output('itself')[0] === String(NOBODY));

    const m = c.mark;
    const rootly = place(dirs.config, 'rootly', idle('rootly', { uid: 0 }), { uid: NOBODY });
    const err = await c.waitRecord('uid refused', (r) => r.proc === 'rootly' && r.level === 'error', 10_000, m);
    assert.equal(err.field, 'uid');
    assert.equal(err.file, rootly);
    assert.equal(err.msg, `cannot start: "uid": 0 is refused: colony runs as uid ${NOBODY}, not root, so it can only start processes as uid ${NOBODY}, not as uid 0`);
    const asRoot = place(dirs.config, 'asroot', idle('asroot', { user: 'root' }), { uid: NOBODY });
    const err2 = await c.waitRecord('user refused', (r) => r.proc === 'asroot' && r.level === 'error', 10_000, m);
    assert.equal(err2.field, 'user');
    assert.equal(err2.file, asRoot);
    assert.match(String(err2.msg), /^cannot start: "user": "root" \(uid 0, gid 0\) is refused: colony runs as uid 65534, not root/);

    // A message from its own user is carried out; the refused ones never started; mine ran on until then.
    const m2 = c.mark;
    place(dirs.messages, 'r.message', { type: 'RESTART', name: 'mine' }, { uid: NOBODY });
    await startedOf('mine', m2);
    assert.equal(c.count((r) => r.proc === 'mine' && r.msg === 'started'), 2);
    assert.equal(c.count((r) => r.proc === 'itself' && r.msg === 'started'), 1, 'the others keep running');
    assert.equal(c.count((r) => (r.proc === 'rootly' || r.proc === 'asroot') && r.msg === 'started'), 0);
    assert.equal(c.count((r) => r.level === 'fatal'), 0);

    // Its processes' lines are kept where it can write, and ctl logs (run as that user too, as
    // `docker exec` does) reads them with --state alone.
    const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', bin.node, bin.bundle, 'ctl', '--state', dirs.state];
    const logs = await capture(asNobody[0]!, [...asNobody.slice(1), 'logs', 'mine', 'itself']);
    assert.equal(logs.code, 0, logs.stderr);
    // mine printed its uid twice (it was restarted), itself once; interleaved by time.
    assert.deepEqual(logs.stdout.trim().split('\n').sort(), [`itself | ${NOBODY}`, `mine | ${NOBODY}`, `mine | ${NOBODY}`]);
    assert.ok(logs.stdout.includes(`itself | ${NOBODY}`) && logs.stdout.includes(`mine | ${NOBODY}`), logs.stdout);
    assert.equal(await c.stop(), 0);
  });
});
