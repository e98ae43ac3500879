// Hostile input through a real colony as PID 1: random bad descriptors and messages
// (fast-check samples), and the hostile files — over 10 MB, 100,000 levels of nesting, NUL bytes,
// symlink loops, FIFOs, directories where files are expected, unreadable files, files vanishing
// between listing and reading, durations no timer can hold, a descriptor too big for NCOLONY_CONFIG.
// "Handled" means, for every bad file: exactly one warning/error line naming the file (and the
// field and value where there is one), colony keeps running (no fatal record: no last-resort
// handler fired), the processes already running are not disturbed, and a good descriptor (or
// message) written afterwards is carried out.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { MAX_FILE_BYTES, parseDescriptor } from '../../src/descriptor/parse.ts';
import { descriptorSchema } from '../../src/descriptor/schema.ts';
import { parseMessage } from '../../src/messages/message.ts';
import { Colony, messageFiles, writeAtomic, type Rec } from '../helpers/colony.ts';
import { assertNoLastResort, escapeRe, isRoot, linesAbout, msgOf } from '../helpers/hostile.ts';
import { alive, cmdline, descendants } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const idle = (tag: string): object => ({ args: ['/bin/sh', '-c', `echo ${tag}; exec sleep 1000${tag.length}`] });
const KEYS = Object.keys(descriptorSchema.shape).filter((k) => k !== 'args');
const anyValue: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom<unknown>('', 'a\0b', 1e308, -1, 0.5, [], {}, [null]));

// A file's content that is not a valid descriptor — random bytes, random JSON, a wrong value for one
// key, a NUL byte in args — with the key its error must name, when there is one.
const badDescriptor: fc.Arbitrary<{ content: string | Buffer; key?: string }> = fc
  .oneof(
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => ({ content: Buffer.from(b) })),
    fc.jsonValue({ maxDepth: 3 }).map((v) => ({ content: JSON.stringify(v) ?? 'null' })),
    fc.tuple(fc.constantFrom(...KEYS), anyValue).map(([k, v]) => ({ content: JSON.stringify({ args: ['/bin/sleep', '1000'], [k]: v }), key: k })),
    fc.array(fc.string({ unit: 'binary', maxLength: 10 }), { minLength: 1, maxLength: 3 }).map((a) => ({ content: JSON.stringify({ args: [...a, '\0'] }), key: 'args' })),
  )
  .filter(({ content }) => !parseDescriptor(content).ok);

// A message file's content that is not a valid message, or one naming a process that does not exist.
const badMessage = fc
  .oneof(
    fc.uint8Array({ minLength: 1, maxLength: 300 }).map((b) => Buffer.from(b)),
    fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'),
    fc.record({ type: fc.oneof(fc.constantFrom('RESTART', 'RELOAD', 'RESTART-GROUP', 'SIGNAL'), anyValue), name: anyValue, group: anyValue, signal: anyValue }, { requiredKeys: ['type'] }).map((m) => JSON.stringify(m)),
    fc.string({ minLength: 1, maxLength: 12 }).filter((s) => !s.includes('/') && !s.startsWith('.') && s !== 'keep').map((name) => JSON.stringify({ type: 'RESTART', name })),
  )
  .filter((content) => {
    const r = parseMessage(content);
    return !r.ok || (r.message.type !== 'RESTART-ALL' && (!('name' in r.message) || r.message.name !== 'keep'));
  });

// colony carries on: nothing fatal, still alive, and a good descriptor written now starts.
async function stillSupervising(c: Colony, tag: string): Promise<void> {
  const m = c.mark;
  writeAtomic(c.dirs.config, `late-${tag}`, idle(`late-${tag}`));
  await c.started(`late-${tag}`, m, 10_000).catch((err: unknown) => assert.fail(`a good descriptor written after the hostile input must start: ${String(err)}\n${c.log()}`));
  assertNoLastResort(c, c.log());
}

// The one line naming `file`: waited for, then checked to stay alone.
async function oneLineAbout(c: Colony, file: string, from = 0, timeoutMs = 10_000): Promise<Rec> {
  const rec = await c.waitRecord(`a line naming ${file}`, (r) => (r.level === 'warn' || r.level === 'error') && r.file === file, timeoutMs, from).catch((err: unknown) => assert.fail(`${String(err)}\n${c.log()}`));
  assert.ok(msgOf(rec).includes(basename(file)), `the line's text names the file: ${msgOf(rec)}`);
  return rec;
}

// Writes bytes or text the way careful writers do (a dotfile, then a rename into place): colony never sees a partial file.
function writeRaw(dir: string, name: string, content: string | Buffer): string {
  const tmp = join(dir, `.${name}.raw-${process.pid}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(tmp, content);
  renameSync(tmp, join(dir, name));
  return join(dir, name);
}

function assertOneLine(c: Colony, file: string, from = 0): void {
  const lines = linesAbout(c, file, from);
  assert.equal(lines.length, 1, `exactly one line names ${file}: ${JSON.stringify(lines)}`);
}

const started: Array<Colony> = [];
const scratchDirs: string[] = [];
after(async () => {
  for (const c of started) await c.destroy();
  for (const d of scratchDirs) rmSync(d, { recursive: true, force: true });
});

async function start(opts: Parameters<typeof Colony.start>[0] = {}): Promise<Colony> {
  const c = await Colony.start(opts);
  started.push(c);
  return c;
}

describe('fuzz through a real colony (PID 1): bad descriptors and messages', () => {
  it('random bad descriptors: one line each naming the file (and the field), the running process undisturbed, a good one afterwards starts', async (t: TestContext) => {
    const t0 = Date.now();
    let files = 0;
    // Each run costs a colony: few runs of many files; no shrinking (it would start more colonies): the seed and counterexample are printed.
    await fc.assert(
      fc.asyncProperty(fc.array(badDescriptor, { minLength: 10, maxLength: 20 }), async (contents) => {
        const c = await start({ files: { keep: idle('keep') } });
        await c.started('keep');
        const m = c.mark;
        const paths = contents.map(({ content }, i) => writeRaw(c.dirs.config, `bad${i}`, content));
        files += paths.length;
        for (const [i, p] of paths.entries()) {
          const rec = await oneLineAbout(c, p, m);
          assert.match(msgOf(rec), new RegExp(`^bad descriptor ${escapeRe(p)}: `));
          assert.equal(rec.proc, `bad${i}`);
          const key = contents[i]!.key;
          if (key) assert.ok(msgOf(rec).includes(`"${key}`), `the line names the field "${key}": ${msgOf(rec)}`);
        }
        await stillSupervising(c, 'r');
        for (const p of paths) assertOneLine(c, p, m);
        assert.equal(c.count((r) => r.proc === 'keep' && r.msg === 'started'), 1, 'the running process is not restarted');
        assert.equal(c.count((r) => typeof r.proc === 'string' && r.proc.startsWith('bad') && r.msg === 'started'), 0, 'no bad descriptor starts');
        assert.equal((await c.stop()).code, 0, 'colony stops cleanly');
      }),
      { numRuns: 3, endOnFailure: true },
    );
    t.diagnostic(`3 colonies, ${files} bad descriptors, in ${Date.now() - t0} ms`);
  });

  it('random bad messages: one rejection line each naming the file, moved aside, nothing restarted; a good RESTART afterwards works', async (t: TestContext) => {
    const t0 = Date.now();
    let files = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(badMessage, { minLength: 10, maxLength: 20 }), async (contents) => {
        const c = await start({ files: { keep: idle('keep') } });
        await c.started('keep');
        const m = c.mark;
        const paths = contents.map((content, i) => writeRaw(c.dirs.messages, `msg${i}`, content));
        files += paths.length;
        for (const p of paths) {
          const rec = await oneLineAbout(c, p, m);
          assert.match(msgOf(rec), /^message rejected: /);
          assert.equal(rec.level, 'error');
        }
        await waitFor('every bad message moved aside', () => paths.every((p) => !existsSync(p) && existsSync(join(c.dirs.messages, `.rejected.${p.slice(c.dirs.messages.length + 1)}`))), 5000);
        for (const p of paths) assertOneLine(c, p, m);
        assert.equal(c.count((r) => r.proc === 'keep' && r.msg === 'started'), 1, 'no bad message restarted anything');
        const m2 = c.mark;
        writeAtomic(c.dirs.messages, 'good', { type: 'RESTART', name: 'keep' });
        await c.started('keep', m2);
        assert.deepEqual(messageFiles(c.dirs.messages).filter((f) => !f.startsWith('.rejected.')), [], 'no message file left but the rejected ones');
        assertNoLastResort(c, c.log());
        assert.equal((await c.stop()).code, 0);
      }),
      { numRuns: 3, endOnFailure: true },
    );
    t.diagnostic(`3 colonies, ${files} bad messages, in ${Date.now() - t0} ms`);
  });
});

// 100,000 levels of nesting (a JSON text that JSON.parse reads, and what follows it recurses through).
const DEEP = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
const SETPRIV_NO_DAC = ['setpriv', '--bounding-set', '-dac_override,-dac_read_search', '--inh-caps', '-dac_override,-dac_read_search'];

describe('hostile files through a real colony (PID 1)', () => {
  it('over 10 MB (an 11 MB descriptor, a sparse 5 GiB one, an 11 MB message): refused unread, one line each naming the file and the limit', async (t: TestContext) => {
    const c = await start({ files: { keep: idle('keep') } });
    await c.started('keep');
    const m = c.mark;
    const t0 = Date.now();
    const big = writeRaw(c.dirs.config, 'big', Buffer.alloc(11 * 1024 * 1024, 0x20));
    const sparseTmp = join(c.dirs.config, '.sparse.tmp');
    writeFileSync(sparseTmp, '');
    truncateSync(sparseTmp, 5 * 1024 ** 3);
    const sparse = join(c.dirs.config, 'sparse');
    renameSync(sparseTmp, sparse);
    const bigMessage = writeRaw(c.dirs.messages, 'big', Buffer.alloc(11 * 1024 * 1024, 0x20));
    for (const f of [big, sparse, bigMessage]) assert.match(msgOf(await oneLineAbout(c, f, m)), new RegExp(`over the ${MAX_FILE_BYTES}-byte limit`));
    t.diagnostic(`three oversized files refused in ${Date.now() - t0} ms`);
    await stillSupervising(c, 'big');
    for (const f of [big, sparse, bigMessage]) assertOneLine(c, f, m);
    assert.ok(existsSync(join(c.dirs.messages, '.rejected.big')), 'the message is moved aside');
    assert.equal(c.count((r) => r.proc === 'keep' && r.msg === 'started'), 1, 'the running process is undisturbed');
  });

  it('100,000 nested arrays added while running (a descriptor, a message): one line each naming the file, no fatal record', async () => {
    const c = await start({ files: { keep: idle('keep') } });
    await c.started('keep');
    const m = c.mark;
    const deep = writeRaw(c.dirs.config, 'deep', `{"args": ["/bin/true"], "x": ${DEEP}}`);
    const deepMessage = writeRaw(c.dirs.messages, 'deep', `{"type": ${DEEP}}`);
    assert.match(msgOf(await oneLineAbout(c, deep, m, 5000)), new RegExp(`^bad descriptor ${escapeRe(deep)}: .*(nest|deep)`, 'i'));
    assert.match(msgOf(await oneLineAbout(c, deepMessage, m, 5000)), /^message rejected: .*(nest|deep)/i);
    await stillSupervising(c, 'deep');
    assertOneLine(c, deep, m);
    assertOneLine(c, deepMessage, m);
  });

  it('100,000 nested arrays in a descriptor present at start: colony starts, reports it, runs the others', async () => {
    const c = await start({ files: { deep: `{"args": ["/bin/true"], "x": ${DEEP}}`, keep: idle('keep') } }).catch((err: unknown) => assert.fail(`colony must start: ${String(err)}`));
    await c.started('keep');
    await oneLineAbout(c, join(c.dirs.config, 'deep'), 0, 5000);
    await stillSupervising(c, 'deep-at-start');
  });

  it('NUL bytes in args, environment names and values, raw in the file, and in a message\'s name: one line each naming the file and the field', async () => {
    const c = await start({ files: { keep: idle('keep') } });
    await c.started('keep');
    const m = c.mark;
    const cases: Array<[string, string | object, RegExp]> = [
      ['nul-arg', { args: ['/bin/sleep', '1\0'] }, /"args\[1\]" must not contain a NUL byte, got "1\\u0000"/],
      ['nul-exe', { args: ['/bin/sle\0ep', '1'] }, /"args\[0\]" must not contain a NUL byte/],
      ['nul-envname', { args: ['/bin/sleep', '1'], env: { 'A\0B': 'x' } }, /"env" has an invalid variable name "A\\u0000B"/],
      ['nul-envvalue', { args: ['/bin/sleep', '1'], env: { A: 'x\0y' } }, /"env.A" must not contain a NUL byte, got "x\\u0000y"/],
      ['nul-raw', '{"args": ["/bin/sleep", "1\u0000"]}', /not valid JSON/],
    ];
    for (const [name, content] of cases) writeRaw(c.dirs.config, name, typeof content === 'string' ? content : JSON.stringify(content));
    const message = writeRaw(c.dirs.messages, 'nul-name', JSON.stringify({ type: 'RESTART', name: 'ke\0ep' }));
    for (const [name, , expected] of cases) assert.match(msgOf(await oneLineAbout(c, join(c.dirs.config, name), m)), expected);
    assert.match(msgOf(await oneLineAbout(c, message, m)), /^message rejected: "name" must not contain a NUL byte: "ke\\u0000ep"/);
    await stillSupervising(c, 'nul');
    for (const [name] of cases) assertOneLine(c, join(c.dirs.config, name), m);
    assertOneLine(c, message, m);
    assert.equal(c.count((r) => r.proc === 'keep' && r.msg === 'started'), 1, 'the message naming "ke\\0ep" restarted nothing');
  });

  it('a NUL byte in an env_inherit name: one line naming "env_inherit", not a spawn failure blamed on args[0] at every restart', async () => {
    const c = await start({ files: { keep: idle('keep') }, args: ['--minrestartdelay', '0.1', '--maxrestartdelay', '0.2'] });
    await c.started('keep');
    const m = c.mark;
    const file = writeRaw(c.dirs.config, 'inherit', JSON.stringify({ args: ['/bin/sleep', '1000'], env_inherit: ['PATH\0X'] }));
    const rec = await c.waitRecord('a line about the file', (r) => r.level === 'error' && r.file === file, 10_000, m);
    await stillSupervising(c, 'inherit');
    assert.match(msgOf(rec), /"env_inherit\[0\]"/, `the line names the field: ${msgOf(rec)} (field ${String(rec.field)})`);
    assertOneLine(c, file, m);
  });

  // chokidar gives no 'add' for a symlink loop (an 'error' instead), and an 'addDir' for a directory:
  // unless the watcher hands those entries over, they wait for the periodic rescan (--frequency, 60 s).
  // These tests run with the default frequency: reported within 10 s means reported through the watcher.
  it('symlink loops (a file linked to itself, two linked to each other) in both directories: one line each, colony not stuck', async () => {
    const c = await start({ files: { keep: idle('keep') } });
    await c.started('keep');
    const m = c.mark;
    const self = join(c.dirs.config, 'self');
    symlinkSync('self', self);
    const [a, b] = [join(c.dirs.config, 'a'), join(c.dirs.config, 'b')];
    symlinkSync('b', a);
    symlinkSync('a', b);
    for (const f of [self, a, b]) assert.match(msgOf(await oneLineAbout(c, f, m)), /ELOOP|symbolic links/);
    const selfMessage = join(c.dirs.messages, 'self');
    symlinkSync('self', selfMessage);
    assert.match(msgOf(await oneLineAbout(c, selfMessage, m)), /^message rejected: .*(ELOOP|symbolic links)/);
    // Two messages linked to each other: once the first is moved aside, the other dangles (absent, left alone).
    const [ma, mb] = [join(c.dirs.messages, 'ma'), join(c.dirs.messages, 'mb')];
    symlinkSync('mb', ma);
    symlinkSync('ma', mb);
    await waitFor('one of the pair rejected', () => linesAbout(c, ma, m).length + linesAbout(c, mb, m).length > 0, 10_000);
    await stillSupervising(c, 'loops');
    for (const f of [self, a, b, selfMessage]) assertOneLine(c, f, m);
    assert.equal(linesAbout(c, ma, m).length + linesAbout(c, mb, m).length, 1, 'one line for the pair of messages');
  });

  for (const where of ['config', 'messages'] as const) {
    it(`a FIFO in the ${where} directory: one line naming it, colony not blocked opening it`, async () => {
      const c = await start({ files: { keep: idle('keep') } });
      await c.started('keep');
      const m = c.mark;
      const fifo = join(c.dirs[where], 'fifo');
      execFileSync('mkfifo', [fifo]);
      await oneLineAbout(c, fifo, m, 5000);
      await stillSupervising(c, `fifo-${where}`);
      assertOneLine(c, fifo, m);
    });
  }

  it('directories where files are expected: a message that is a directory is rejected once; a config subdirectory (even "web.json") is skipped, "web" beside it runs', async () => {
    const c = await start({ files: { keep: idle('keep') } });
    await c.started('keep');
    const m = c.mark;
    mkdirSync(join(c.dirs.config, 'web.json'));
    mkdirSync(join(c.dirs.config, 'svc'));
    writeAtomic(c.dirs.config, 'web', idle('web'));
    await c.started('web', m);
    const dir = join(c.dirs.messages, 'adir');
    mkdirSync(dir);
    assert.match(msgOf(await oneLineAbout(c, dir, m)), /^message rejected: a directory, not a message file/);
    await stillSupervising(c, 'dirs');
    assertOneLine(c, dir, m);
    assert.deepEqual(linesAbout(c, join(c.dirs.config, 'web.json'), m).concat(linesAbout(c, join(c.dirs.config, 'svc'), m)), [], 'subdirectories of the config directory are skipped without a line (documented)');
    assert.equal(c.count((r) => r.proc === 'svc'), 0);
  });

  it('unreadable files (mode 000, colony as root without CAP_DAC_OVERRIDE): one line each naming the file; made readable, the descriptor starts', { skip: isRoot ? false : 'needs root (setpriv)' }, async () => {
    // As plain root, mode 000 means nothing (root reads anyway): colony runs without the capability that allows it.
    const c = await Colony.start({ wrap: SETPRIV_NO_DAC, files: { keep: idle('keep') } });
    started.push(c);
    await c.started('keep');
    const m = c.mark;
    const locked = (dir: string, name: string, content: object): string => {
      const tmp = join(dir, `.${name}.tmp`);
      writeFileSync(tmp, JSON.stringify(content));
      chmodSync(tmp, 0o000);
      renameSync(tmp, join(dir, name));
      return join(dir, name);
    };
    const file = locked(c.dirs.config, 'locked', idle('locked'));
    const message = locked(c.dirs.messages, 'locked', { type: 'RESTART', name: 'keep' });
    assert.match(msgOf(await oneLineAbout(c, file, m)), /EACCES/);
    assert.match(msgOf(await oneLineAbout(c, message, m)), /^message rejected: cannot be read: EACCES/);
    const m2 = c.mark;
    writeAtomic(c.dirs.config, 'locked', idle('locked'));
    await c.started('locked', m2);
    await c.waitRecord('valid again', (r) => r.proc === 'locked' && /valid again/.test(msgOf(r)), 5000, m2);
    await stillSupervising(c, 'locked');
    assertOneLine(c, file, m);
    assertOneLine(c, message, m);
    assert.equal(c.count((r) => r.proc === 'keep' && r.msg === 'started'), 1, 'the unreadable message restarted nothing');
  });

  it('files vanishing between listing and reading (descriptors and messages written and removed as fast as possible, rescans every 50 ms): no error, nothing left behind', async (t: TestContext) => {
    // "Nothing lost" here: a file that vanished is absent, never an error; every message colony claimed
    // was carried out (restarts of keep = messages handled); no process of a vanished descriptor is left.
    const c = await start({ files: { keep: idle('keep') }, args: ['--frequency', '0.05'] });
    await c.started('keep');
    const m = c.mark;
    const rounds = 1500;
    const churn = `
      const { writeFileSync, renameSync, unlinkSync } = require('node:fs');
      const [config, messages, n] = process.argv.slice(1);
      const put = (dir, name, text) => { writeFileSync(dir + '/.' + name + '.tmp', text); renameSync(dir + '/.' + name + '.tmp', dir + '/' + name); };
      const gone = (p) => { try { unlinkSync(p); } catch {} };
      for (let i = 0; i < Number(n); i++) {
        put(config, 'v' + i, JSON.stringify({ args: ['/bin/sh', '-c', 'exec sleep 3333', 'vanishing'] }));
        put(messages, 'v' + i, JSON.stringify({ type: 'RESTART', name: 'keep' }));
        gone(config + '/v' + i);
        gone(messages + '/v' + i);
      }`;
    const t0 = Date.now();
    const churner = spawn(process.execPath, ['-e', churn, c.dirs.config, c.dirs.messages, String(rounds)], { stdio: 'inherit' });
    const [code] = (await once(churner, 'exit')) as [number | null];
    assert.equal(code, 0, 'the churn ran');
    t.diagnostic(`${rounds} descriptors and ${rounds} messages written and removed in ${Date.now() - t0} ms`);
    await stillSupervising(c, 'vanish');
    const vanishing = (): number[] => descendants(c.pid).filter((p) => alive(p) && cmdline(p).join(' ').includes('sleep 3333'));
    await waitFor('no process of a vanished descriptor left', () => vanishing().length === 0, 15_000).catch(() => assert.fail(`left running: ${vanishing().length}\n${c.log()}`));
    const handled = c.count((r) => r.msg === 'message handled' && /\/v\d+$/.test(String(r.file)));
    await waitFor('keep restarted once per handled message', () => c.count((r) => r.proc === 'keep' && r.msg === 'started') === handled + 1, 15_000).catch(() =>
      assert.fail(`messages handled: ${handled}, keep started ${c.count((r) => r.proc === 'keep' && r.msg === 'started')} times`),
    );
    const errors = c.records.slice(m).filter((r) => r.level === 'error' || r.level === 'fatal');
    assert.deepEqual(errors, [], 'a vanished file is absent, not an error');
    assert.deepEqual(messageFiles(c.dirs.messages).filter((f) => f.startsWith('v') || f.startsWith('.handling.')), [], 'no message file left behind');
    const seen = c.count((r) => r.msg === 'descriptor added' && /^v\d+$/.test(String(r.proc)));
    t.diagnostic(`colony saw ${seen} of the ${rounds} descriptors and carried out ${handled} of the ${rounds} messages before they vanished`);
  });

  it('durations no timer can hold (1e10 s): refused naming the key, or held — never a 1 ms timer (no restart storm, no instant SIGKILL, no TimeoutOverflowWarning)', async (t: TestContext) => {
    const scratch = mkdtempSync(join(tmpdir(), 'colony-checks-'));
    scratchDirs.push(scratch);
    const checks = join(scratch, 'health-checks');
    const files = {
      delay: { args: ['/bin/false'], min_restart_delay: 1e10, max_restart_delay: 1e10 },
      ready: { args: ['/bin/sleep', '1000'], ready: { file: '/nonexistent', timeout: 1e10 } },
      health: { args: ['/bin/sleep', '1000'], health: { exec: ['/bin/sh', '-c', `echo >> ${checks}`], interval: 1e10 } },
      kill: { args: ['/bin/sh', '-c', 'trap "" TERM; echo up; while :; do sleep 1; done'], kill_time: 1e10 },
    };
    const c = await start({ files: { ...files, keep: idle('keep') } });
    await c.started('keep');
    const refused = (name: string): boolean => c.records.some((r) => r.level === 'error' && r.file === join(c.dirs.config, name) && msgOf(r).includes(`bad descriptor`));
    if (!refused('kill')) {
      await waitFor('kill runs', () => c.output('kill').includes('up'));
      writeAtomic(c.dirs.messages, 'r', { type: 'RESTART', name: 'kill' });
      await c.waitRecord('restart of kill under way', (r) => r.msg === 'message handled');
    }
    // An observation window (what must not happen within it), not a synchronisation.
    const windowMs = 2000;
    await new Promise((r) => setTimeout(r, windowMs));
    const starts = (name: string): number => c.count((r) => r.proc === name && r.msg === 'started');
    const figures = { delay: starts('delay'), ready: starts('ready'), healthChecks: existsSync(checks) ? readFileSync(checks, 'utf8').length : 0, killedAtOnce: c.count((r) => r.proc === 'kill' && /SIGKILL/.test(msgOf(r))), overflowWarnings: (c.stderr.match(/TimeoutOverflowWarning/g) ?? []).length };
    t.diagnostic(`in ${windowMs} ms: ${JSON.stringify(figures)}`);
    const problems: string[] = [];
    if (!refused('delay') && figures.delay > 2) problems.push(`min_restart_delay 1e10 s: started ${figures.delay} times`);
    if (!refused('ready') && figures.ready > 1) problems.push(`ready.timeout 1e10 s: started ${figures.ready} times`);
    if (!refused('health') && figures.healthChecks > 2) problems.push(`health.interval 1e10 s: ${figures.healthChecks} checks`);
    if (!refused('kill') && figures.killedAtOnce > 0) problems.push('kill_time 1e10 s: SIGKILL at once after SIGTERM');
    if (figures.overflowWarnings > 0) problems.push(`${figures.overflowWarnings} TimeoutOverflowWarning(s) on stderr`);
    assert.deepEqual(problems, [], 'each huge duration is refused (a line naming the key) or held');
    assertNoLastResort(c, c.log());
  });

  it('a valid descriptor over 128 KiB (too big to pass as NCOLONY_CONFIG): it starts, or one line says why', async () => {
    const c = await start({ files: { keep: idle('keep') }, args: ['--minrestartdelay', '0.2', '--maxrestartdelay', '0.4'] });
    await c.started('keep');
    const m = c.mark;
    writeRaw(c.dirs.config, 'big', JSON.stringify({ args: ['/bin/sleep', '1000'], pad: 'x'.repeat(200_000) }));
    const outcome = await c.waitRecord('big started or refused', (r) => r.proc === 'big' && (r.msg === 'started' || r.level === 'error'), 10_000, m);
    if (outcome.msg !== 'started') {
      assert.match(msgOf(outcome), /NCOLONY_CONFIG|too (big|large)|128 KiB/, `the line explains the size: ${msgOf(outcome)} (field ${String(outcome.field)})`);
      assert.notEqual(outcome.field, 'args[0]', 'the executable is not at fault');
    }
    await stillSupervising(c, 'e2big');
  });
});
