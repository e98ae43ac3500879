// Hostile input at the module boundary, property-based with fast-check: the functions the
// config and messages watchers call — parseDescriptor and parseMessage (bytes in), and the watchers'
// own rescan (ConfigDir.rescan → lookupDescriptor → readLimited → parseDescriptor; MessagesDir.rescan
// → readLimited → parseMessage) on directories full of hostile entries. "Handled" means, for every
// input: no exception gets past the boundary (a result or a log line comes back, never a throw),
// every error names the field (and shows the value), and every bad file gets exactly one log line
// naming it while good files beside it are applied / carried out exactly once.
// fast-check prints the seed and the shrunk counterexample of a failure (rerun with { seed, path }).
// FIFOs and unreadable files are left to fuzz-colony.test.ts (a real colony): opening a FIFO would
// block this test process for good, and this process is root.
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { readLimited } from '../../src/common/input.ts';
import { ConfigDir } from '../../src/descriptor/directory.ts';
import { MAX_FILE_BYTES, parseDescriptor, type Descriptor } from '../../src/descriptor/parse.ts';
import { descriptorSchema } from '../../src/descriptor/schema.ts';
import { memoryLog } from '../../src/log/logger.ts';
import { parseMessage, type Message } from '../../src/messages/message.ts';
import { MessagesDir } from '../../src/messages/watcher.ts';
import { filePolicyFrom } from '../../src/system/security.ts';

const KEYS = Object.keys(descriptorSchema.shape).filter((k) => k !== 'args');
const MESSAGE_KEYS = ['type', 'name', 'group', 'signal'];
const TYPES = ['RESTART', 'RELOAD', 'RESTART-ALL', 'RESTART-GROUP', 'SIGNAL'];

// Any JSON value, plus the awkward ones: NUL bytes, lone surrogates, huge and tiny numbers, empty containers.
const awkward = fc.constantFrom<unknown>('', '\0', 'a\0b', '\ud800', 1e308, -1e308, 2 ** 53, -0, 0.5, -1, [], {}, [null], { '': 0 }, { __proto__: 1 }, 'SIGTERM', '/', 'x'.repeat(200));
const anyValue: fc.Arbitrary<unknown> = fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.double(), awkward);

// A parse result has the promised shape: a descriptor/message, or non-empty error strings.
function checkShape(r: { ok: true } | { ok: false; errors?: string[]; error?: string }): void {
  if (r.ok) return;
  const errors = r.errors ?? [r.error];
  assert.ok(errors.length > 0 && errors.every((e) => typeof e === 'string' && e.length > 0), `errors must be non-empty strings: ${JSON.stringify(r)}`);
}

const runs = (n: number): fc.Parameters<unknown> => ({ numRuns: n });

// How JSON.stringify shows a primitive in an error (schema.ts shortens what is over 80 characters).
const shown = (v: unknown): string => {
  const text = JSON.stringify(v);
  return text.length > 80 ? text.slice(0, 77) : text;
};

function nested(depth: number, open: string, close: string, inner = '0'): string {
  return `${open.repeat(depth)}${inner}${close.repeat(depth)}`;
}

describe('fuzz: descriptor and message parsing (pure)', () => {
  it('random bytes: parseDescriptor and parseMessage return a result, never throw', (t) => {
    const start = Date.now();
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        checkShape(parseDescriptor(Buffer.from(bytes)));
        checkShape(parseMessage(Buffer.from(bytes)));
      }),
      runs(3000),
    );
    t.diagnostic(`3000 random byte strings in ${Date.now() - start} ms`);
  });

  it('random JSON (any value, any text that JSON can produce): a result, never a throw', (t) => {
    const start = Date.now();
    fc.assert(
      fc.property(fc.oneof(fc.json(), fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null')), (text) => {
        checkShape(parseDescriptor(text));
        checkShape(parseMessage(text));
      }),
      runs(3000),
    );
    t.diagnostic(`3000 random JSON texts in ${Date.now() - start} ms`);
  });

  it('each descriptor key given any value: a result, and every error names that key (and a scalar value)', (t) => {
    const start = Date.now();
    let refused = 0;
    fc.assert(
      fc.property(fc.constantFrom(...KEYS), anyValue, (key, value) => {
        const r = parseDescriptor(JSON.stringify({ args: ['/bin/true'], [key]: value }));
        checkShape(r);
        if (r.ok) return;
        refused++;
        for (const e of r.errors) {
          assert.ok(e.includes(`"${key}`), `the error names the key "${key}": ${e}`);
          if (value === null || typeof value !== 'object') assert.ok(e.includes(shown(value)), `the error shows the value ${shown(value)}: ${e}`);
        }
      }),
      runs(6000),
    );
    t.diagnostic(`6000 key/value pairs, ${refused} refused, in ${Date.now() - start} ms`);
  });

  it('args of any shape: a result, and an error names "args"', () => {
    fc.assert(
      fc.property(fc.oneof(anyValue, fc.array(anyValue, { maxLength: 5 }), fc.array(fc.string({ unit: 'binary' }), { maxLength: 5 })), (args) => {
        const r = parseDescriptor(JSON.stringify({ args }));
        checkShape(r);
        if (!r.ok) for (const e of r.errors) assert.match(e, /"args/, `names "args": ${e}`);
      }),
      runs(3000),
    );
  });

  it('whole descriptors with many random keys (colony\'s, NColony\'s and unknown): a result, never a throw', () => {
    const key = fc.oneof(fc.constantFrom(...KEYS, 'ncolony.beatcheck', 'ncolony.httpcheck'), fc.string({ maxLength: 8 }));
    fc.assert(
      fc.property(fc.dictionary(key, anyValue, { maxKeys: 8 }), fc.boolean(), (obj, withArgs) => {
        checkShape(parseDescriptor(JSON.stringify(withArgs ? { args: ['/bin/true'], ...obj } : obj)));
      }),
      runs(3000),
    );
  });

  it('messages with any keys and values: a result, and an error about a key names it', () => {
    const message = fc.dictionary(fc.oneof(fc.constantFrom(...MESSAGE_KEYS), fc.string({ maxLength: 6 })), fc.oneof(anyValue, fc.constantFrom(...TYPES)), { maxKeys: 5 });
    fc.assert(
      fc.property(message, (m) => {
        const r = parseMessage(JSON.stringify(m));
        checkShape(r);
        if (r.ok || typeof m.type !== 'string' || !TYPES.includes(m.type)) return;
        const about = ['name', 'group', 'signal'].filter((k) => r.error.includes(`"${k}"`));
        assert.ok(about.length > 0 || /exactly one of "name" or "group"/.test(r.error), `names the key at fault: ${r.error}`);
      }),
      runs(4000),
    );
  });

  it('NUL bytes in argv, environment names and values: refused at parse time, naming the field', () => {
    // Every string colony hands to execve(2) or uses as a path cannot hold a NUL byte: one that does
    // must be a descriptor error naming its key, not a spawn failure at every restart blamed on "args[0]".
    const withNul = fc.tuple(fc.string({ maxLength: 6 }), fc.string({ maxLength: 6 })).map(([a, b]) => `${a}\0${b}`);
    const cases: Array<[string, (s: string) => object]> = [
      ['args[1]', (s) => ({ args: ['/bin/true', s] })],
      ['env.', (s) => ({ args: ['/bin/true'], env: { [s.replace(/=/g, '') || '\0']: 'v' } })],
      ['env.V', (s) => ({ args: ['/bin/true'], env: { V: s } })],
      ['env_inherit[0]', (s) => ({ args: ['/bin/true'], env_inherit: [s] })],
      ['cwd', (s) => ({ args: ['/bin/true'], cwd: `/${s}` })],
      ['ready.exec[0]', (s) => ({ args: ['/bin/true'], ready: { exec: [s] } })],
      ['health.exec[1]', (s) => ({ args: ['/bin/true'], health: { exec: ['/bin/true', s] } })],
      ['watch[0]', (s) => ({ args: ['/bin/true'], watch: [`/${s}`] })],
      ['output', (s) => ({ args: ['/bin/true'], output: `/${s}` })],
    ];
    const accepted: string[] = [];
    for (const [field, make] of cases) {
      fc.assert(
        fc.property(withNul, (s) => {
          const r = parseDescriptor(JSON.stringify(make(s)));
          if (r.ok) {
            accepted.push(`${field} = ${JSON.stringify(s)}`);
            return;
          }
          const key = field.replace(/[.[].*$/, '');
          assert.ok(r.errors.some((e) => e.includes(`"${key}`)), `the error names "${key}": ${r.errors.join('; ')}`);
        }),
        runs(50),
      );
    }
    const fields = [...new Set(accepted.map((a) => a.split(' = ')[0]))];
    assert.deepEqual(fields, [], `NUL bytes accepted in: ${fields.join(', ')} (e.g. ${accepted.slice(0, 3).join(' | ')})`);
  });

  it('deep nesting (up to 200,000 levels, anywhere): a result naming the problem, never a throw', (t) => {
    // JSON.parse is iterative, but what follows (the schema's error text, canonicalJson, JSON.stringify
    // of a message's value) recurses: past some depth, a RangeError (call stack exceeded) escapes.
    const where = fc.constantFrom(
      (d: string) => ['descriptor', d] as const,
      (d: string) => ['descriptor', `{"args": ["/bin/true"], "kept": ${d}}`] as const,
      (d: string) => ['descriptor', `{"args": ["/bin/true"], "env": ${d}}`] as const,
      (d: string) => ['descriptor', `{"args": ${d}}`] as const,
      (d: string) => ['message', d] as const,
      (d: string) => ['message', `{"type": ${d}}`] as const,
      (d: string) => ['message', `{"type": "RESTART", "name": ${d}}`] as const,
      (d: string) => ['message', `{"type": "RESTART", "name": "web", "extra": ${d}}`] as const,
    );
    const thrown: string[] = [];
    const start = Date.now();
    fc.assert(
      fc.property(fc.integer({ min: 10_000, max: 200_000 }), fc.constantFrom(['[', ']'], ['{"a":', '}']), where, (depth, [open, close], place) => {
        const [kind, text] = place(nested(depth, open, close));
        try {
          const r = kind === 'descriptor' ? parseDescriptor(text) : parseMessage(text);
          checkShape(r);
        } catch (err) {
          thrown.push(`${kind} ${text.slice(0, 40)}... (depth ${depth}): ${String(err)}`);
        }
      }),
      runs(40),
    );
    t.diagnostic(`40 deeply nested inputs in ${Date.now() - start} ms, ${thrown.length} threw`);
    assert.equal(thrown.length, 0, `no input throws past parseDescriptor/parseMessage; ${thrown.length} of 40 did, e.g.:\n${thrown.slice(0, 4).join('\n')}`);
  });

  it('100,000 nested arrays: refused with an error that says so', () => {
    const deep = nested(100_000, '[', ']');
    for (const [what, parse] of [
      ['descriptor', () => parseDescriptor(`{"args": ["/bin/true"], "x": ${deep}}`)],
      ['message', () => parseMessage(`{"type": ${deep}}`)],
    ] as const) {
      let r: ReturnType<typeof parseDescriptor> | ReturnType<typeof parseMessage> | undefined;
      assert.doesNotThrow(() => (r = parse()), `${what}: no throw`);
      assert.equal(r?.ok, false, `${what}: refused`);
      assert.match(JSON.stringify(r), /nest|deep/i, `${what}: the error says the input is nested too deep`);
    }
  });

  it('over 10 MB: refused by size, before any parsing', (t) => {
    const big = Buffer.alloc(MAX_FILE_BYTES + 1, 0x20);
    const start = Date.now();
    const d = parseDescriptor(big);
    const m = parseMessage(big);
    t.diagnostic(`a ${big.length}-byte buffer refused in ${Date.now() - start} ms`);
    assert.deepEqual(d, { ok: false, errors: [`file is ${big.length} bytes, over the ${MAX_FILE_BYTES}-byte limit`] });
    assert.deepEqual(m, { ok: false, error: `file is ${big.length} bytes, over the ${MAX_FILE_BYTES}-byte limit` });
    const ok = parseDescriptor(`{"args": ["/bin/true"], "pad": "${'x'.repeat(1000)}"}`);
    assert.equal(ok.ok, true, 'a file under the limit is parsed');
  });
});

// --- the watchers' rescans on hostile directories ---

type Kind = 'good' | 'garbage' | 'json' | 'wrongtype' | 'nul' | 'huge' | 'selfloop' | 'loop2' | 'dangling' | 'directory' | 'conflict' | 'vanished';

interface Entry {
  kind: Kind;
  content?: string | Uint8Array;
}

const entry: fc.Arbitrary<Entry> = fc.oneof(
  fc.constant<Entry>({ kind: 'good' }),
  fc.uint8Array({ maxLength: 200 }).map((b) => ({ kind: 'garbage' as const, content: b })),
  fc.jsonValue({ maxDepth: 3 }).map((v) => ({ kind: 'json' as const, content: JSON.stringify(v) ?? 'null' })),
  fc.tuple(fc.constantFrom(...KEYS), anyValue).map(([k, v]) => ({ kind: 'wrongtype' as const, content: JSON.stringify({ args: ['/bin/true'], [k]: v }) })),
  fc.string({ maxLength: 5 }).map((s) => ({ kind: 'nul' as const, content: JSON.stringify({ args: [`/bin/true${s}\0`] }) })),
  fc.constantFrom<Entry>({ kind: 'huge' }, { kind: 'selfloop' }, { kind: 'loop2' }, { kind: 'dangling' }, { kind: 'directory' }, { kind: 'conflict' }, { kind: 'vanished' }),
);

interface Expectation {
  bad: string[]; // files that must each get exactly one error line naming them
  good: string[]; // process names / message file names that must be applied / carried out exactly once
  silent: string[]; // entries that must get no line and no process: skipped or absent by design
}

const GOOD_DESCRIPTOR = JSON.stringify({ args: ['/bin/sleep', '1000'] });
const GOOD_MESSAGE = JSON.stringify({ type: 'RESTART', name: 'web' });
const PAST = new Date(Date.now() - 60_000);

// Puts the entries in `dir` as `e<i>-<kind>` and says what each must cause in a config or a messages directory.
function populate(dir: string, entries: Entry[], mode: 'config' | 'messages'): Expectation {
  const x: Expectation = { bad: [], good: [], silent: [] };
  const good = mode === 'config' ? GOOD_DESCRIPTOR : GOOD_MESSAGE;
  const parses = (content: string | Uint8Array): boolean => (mode === 'config' ? parseDescriptor(Buffer.from(content)).ok : parseMessage(Buffer.from(content)).ok);
  entries.forEach((e, i) => {
    const name = `e${i}-${e.kind}`;
    const path = join(dir, name);
    switch (e.kind) {
      case 'good':
        writeFileSync(path, good);
        x.good.push(name);
        break;
      case 'garbage':
      case 'json':
      case 'wrongtype':
      case 'nul':
        writeFileSync(path, e.content!);
        if (parses(e.content!)) x.good.push(name);
        else x.bad.push(path);
        break;
      case 'huge':
        writeFileSync(path, '');
        truncateSync(path, MAX_FILE_BYTES + 1024 * 1024); // sparse: refused by its size, never read
        x.bad.push(path);
        break;
      case 'selfloop':
        symlinkSync(name, path);
        x.bad.push(path);
        break;
      case 'loop2':
        // A loop of two. Messages are taken in name order: once the first is moved aside, the second dangles (absent).
        symlinkSync(`${name}-b`, path);
        symlinkSync(name, `${path}-b`);
        x.bad.push(path);
        (mode === 'config' ? x.bad : x.silent).push(`${path}-b`);
        break;
      case 'dangling':
        // Absent by design: a ConfigMap update leaves a symlink dangling for a moment.
        symlinkSync(join(dir, 'no-such-target'), path);
        x.silent.push(path);
        break;
      case 'directory':
        // A subdirectory of the config directory is skipped (documented); in the messages directory it is a bad message.
        mkdirSync(path);
        if (mode === 'config') x.silent.push(path);
        else x.bad.push(path);
        break;
      case 'conflict':
        // NAME and NAME.json: one conflicting process, or two messages.
        writeFileSync(path, good);
        writeFileSync(`${path}.json`, good);
        if (mode === 'config') x.bad.push(path);
        else x.good.push(name, `${name}.json`);
        break;
      case 'vanished':
        writeFileSync(path, good);
        rmSync(path);
        break;
    }
  });
  for (const f of readdirSync(dir)) {
    if (!lstatSync(join(dir, f)).isSymbolicLink()) utimesSync(join(dir, f), PAST, PAST); // not being written: judged at once
  }
  return x;
}

describe('fuzz: the watchers on hostile directories (ConfigDir, MessagesDir)', () => {
  const top = mkdtempSync(join(tmpdir(), 'colony-fuzz-'));
  after(() => rmSync(top, { recursive: true, force: true }));
  const policy = filePolicyFrom({}, false);
  let n = 0;

  it('config directory: one error line per bad file naming it, good files applied once, nothing thrown, nothing repeated on rescan', (t) => {
    const start = Date.now();
    let files = 0;
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 12 }), (entries) => {
        const dir = join(top, `config-${n++}`);
        mkdirSync(dir);
        const x = populate(dir, entries, 'config');
        files += entries.length;
        const log = memoryLog();
        const applied: Array<[string, Descriptor | null]> = [];
        const config = new ConfigDir(dir, (name, d) => applied.push([name, d]), log, 0, (fn) => fn(), policy);
        assert.doesNotThrow(() => config.rescan(), 'the first rescan');
        for (const file of x.bad) {
          const lines = log.records.filter((r) => r.file === file);
          assert.equal(lines.length, 1, `exactly one line names ${file}: ${JSON.stringify(lines)}`);
          assert.equal(lines[0]!.level, 'error');
          assert.ok(lines[0]!.msg.includes(file), `the line's text names the file: ${lines[0]!.msg}`);
        }
        for (const path of x.silent) assert.equal(log.records.filter((r) => r.file === path).length, 0, `${path} is skipped or absent without a line`);
        const started = applied.filter(([, d]) => d !== null).map(([name]) => name).sort();
        assert.deepEqual(started, [...x.good].sort(), 'exactly the good descriptors are applied, once each');
        const before = log.records.length;
        assert.doesNotThrow(() => config.rescan(), 'a second rescan');
        assert.deepEqual(log.records.slice(before), [], 'nothing is reported twice');
        rmSync(dir, { recursive: true, force: true });
      }),
      runs(150),
    );
    t.diagnostic(`150 hostile config directories (${files} entries) in ${Date.now() - start} ms`);
  });

  it('messages directory: one rejection line per bad file naming it (moved aside), good messages carried out once, nothing thrown', (t) => {
    const start = Date.now();
    let files = 0;
    fc.assert(
      fc.property(fc.array(entry, { minLength: 1, maxLength: 12 }), (entries) => {
        const dir = join(top, `messages-${n++}`);
        mkdirSync(dir);
        const x = populate(dir, entries, 'messages');
        files += entries.length;
        const log = memoryLog();
        const handled: Array<[Message, string]> = [];
        const messages = new MessagesDir(dir, (m, file) => void handled.push([m, file]), log, 0, policy);
        assert.doesNotThrow(() => messages.rescan(), 'the rescan');
        for (const file of x.bad) {
          const lines = log.records.filter((r) => r.file === file);
          assert.equal(lines.length, 1, `exactly one line names ${file}: ${JSON.stringify(lines)}`);
          assert.match(lines[0]!.msg, /^message rejected: /);
          assert.ok(lstatSync(join(dir, `.rejected.${file.slice(dir.length + 1)}`)), 'moved aside');
        }
        assert.deepEqual(handled.map(([, file]) => file.slice(dir.length + 1)).sort(), [...x.good].sort(), 'each good message carried out once');
        const left = readdirSync(dir).filter((f) => !f.startsWith('.rejected.'));
        assert.deepEqual(left.sort(), x.silent.map((p) => p.slice(dir.length + 1)).sort(), 'nothing left but what is absent by design (dangling symlinks)');
        assert.equal(log.records.filter((r) => r.level === 'error' && !x.bad.includes(String(r.file))).length, 0, `no other error line: ${JSON.stringify(log.records.filter((r) => r.level === 'error'))}`);
        void messages.close();
        rmSync(dir, { recursive: true, force: true });
      }),
      runs(150),
    );
    t.diagnostic(`150 hostile messages directories (${files} entries) in ${Date.now() - start} ms`);
  });

  it('a deeply nested file (100,000 levels) in either directory: one line naming it, nothing thrown', () => {
    const dir = join(top, `deep-${n++}`);
    mkdirSync(join(dir, 'config'), { recursive: true });
    mkdirSync(join(dir, 'messages'));
    const deep = nested(100_000, '[', ']');
    const cfg = join(dir, 'config', 'deep');
    writeFileSync(cfg, `{"args": ["/bin/true"], "x": ${deep}}`);
    writeFileSync(join(dir, 'config', 'good'), GOOD_DESCRIPTOR);
    const msg = join(dir, 'messages', 'deep');
    writeFileSync(msg, `{"type": ${deep}}`);
    utimesSync(msg, PAST, PAST);
    const log = memoryLog();
    const applied: string[] = [];
    const config = new ConfigDir(join(dir, 'config'), (name, d) => void (d && applied.push(name)), log, 0, (fn) => fn(), policy);
    assert.doesNotThrow(() => config.rescan(), 'config rescan');
    assert.deepEqual(applied, ['good'], 'the good descriptor beside it is applied');
    assert.equal(log.records.filter((r) => r.file === cfg).length, 1, 'one line names the deep descriptor');
    const messages = new MessagesDir(join(dir, 'messages'), () => undefined, log, 0, policy);
    assert.doesNotThrow(() => messages.rescan(), 'messages rescan');
    assert.equal(log.records.filter((r) => r.file === msg).length, 1, 'one line names the deep message');
  });

  it('readLimited refuses a file over the limit by its size, unread (a sparse 5 GiB file)', () => {
    const path = join(top, 'sparse');
    writeFileSync(path, '');
    truncateSync(path, 5 * 1024 ** 3);
    assert.throws(() => readLimited(path), (err: NodeJS.ErrnoException) => err.code === 'EFBIG' && err.message === `file is ${5 * 1024 ** 3} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
    rmSync(path);
  });
});
