import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { validate } from '../../../src/ctl/validate.ts';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dir(files: Record<string, object>): string {
  const d = mkdtempSync(join(tmpdir(), 'colony-validate-'));
  dirs.push(d);
  for (const [name, o] of Object.entries(files)) writeFileSync(join(d, name), JSON.stringify(o), { mode: 0o644 });
  return d;
}

describe('ctl validate with "replicas"', () => {
  test('a replicated file names its instances; "after" may name the file or one instance', () => {
    const r = validate(dir({ 'web.json': { args: ['/bin/web'], replicas: 3 }, 'proxy.json': { args: ['/bin/proxy'], after: ['web'] }, 'probe.json': { args: ['/bin/probe'], after: ['web:2'] } }), {});
    assert.equal(r.errors, 0, r.lines.join('\n'));
    assert.ok(r.lines.includes('ok web (web.json): 3 instances, web:1 … web:3'), r.lines.join('\n'));
  });

  test('an instance beyond N, a cycle through the file, and a file named like an instance are errors', () => {
    const r = validate(dir({ 'web.json': { args: ['/bin/web'], replicas: 2, after: ['probe'] }, 'probe.json': { args: ['/bin/probe'], after: ['web:3'] }, 'web:2.json': { args: ['/bin/other'] } }), {});
    assert.ok(r.lines.some((l) => /^error probe: "after" names no such process: "web:3"/.test(l)), r.lines.join('\n'));
    assert.ok(r.lines.some((l) => /^error web:2: it is both a descriptor file and instance 2 of "web"/.test(l)), r.lines.join('\n'));
    assert.ok(r.errors >= 2);
    const cycle = validate(dir({ 'web.json': { args: ['/bin/web'], replicas: 2, after: ['proxy'] }, 'proxy.json': { args: ['/bin/proxy'], after: ['web'] } }), {});
    assert.ok(cycle.lines.some((l) => /"after" makes a cycle/.test(l)), cycle.lines.join('\n'));
  });
});
