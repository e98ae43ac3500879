// The shipped examples stay valid: every descriptor in config.example/ parses, and the Dockerfile
// passes a Dockerfile linter (dockerfile-utils, the VS Code Docker extension's) and copies files that exist.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validate } from 'dockerfile-utils';
import { skipReason } from '../../../src/descriptor/name.ts';
import { parseDescriptor } from '../../../src/descriptor/parse.ts';

const ROOT = join(import.meta.dirname, '../../..');

describe('config.example', () => {
  for (const set of readdirSync(join(ROOT, 'config.example')).filter((d) => statSync(join(ROOT, 'config.example', d)).isDirectory())) {
    for (const file of readdirSync(join(ROOT, 'config.example', set)).filter((f) => !skipReason(f))) {
      test(`${set}/${file} is a valid descriptor`, () => {
        const r = parseDescriptor(readFileSync(join(ROOT, 'config.example', set, file)));
        assert.ok(r.ok, r.ok ? '' : r.errors.join('; '));
      });
    }
  }
  test('every example descriptor is described in config.example/README.md', () => {
    const readme = readFileSync(join(ROOT, 'config.example/README.md'), 'utf8');
    for (const set of ['demo', 'python', 'dev']) {
      for (const file of readdirSync(join(ROOT, 'config.example', set))) assert.ok(readme.includes(`\`${file}\``), `${set}/${file} is not described`);
    }
  });
});

describe('Dockerfile', () => {
  const text = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
  test('no linter diagnostics', () => {
    assert.deepEqual(validate(text).map((d) => `${d.range.start.line + 1}: ${d.message}`), []);
  });
  test('COPY sources from the build context exist', () => {
    for (const m of text.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1]!.split(/\s+/)) assert.ok(existsSync(join(ROOT, src)), `COPY ${src}: missing`);
    }
  });
  test('the example image: colony is the entrypoint, with a stop signal and descriptors in their own layer', () => {
    const final = text.slice(text.lastIndexOf('\nFROM '));
    assert.match(final, /^FROM python:3-slim/m);
    // Ending in "--": no CMD is supervisor mode, and `docker run IMAGE CMD -x` is a main command, never colony's options.
    assert.match(final, /^ENTRYPOINT \["\/usr\/local\/bin\/colony", "run", "--"\]$/m);
    assert.match(final, /^STOPSIGNAL SIGTERM$/m);
    assert.match(final, /^COPY config\.example\/python\/ \/etc\/colony\/config\/$/m);
    assert.match(final, /^RUN chmod -R go-w \/etc\/colony\/config$/m);
    assert.match(text, /^FROM scratch AS colony$/m);
  });
});
