// ctl validate: every descriptor of a config directory checked without a running colony (e.g. in a
// Dockerfile RUN step, so that a broken descriptor fails the image build).
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readLimited } from '../config-dir.ts';
import { processName, skipReason } from '../descriptor/name.ts';
import { parseDescriptor } from '../descriptor/parse.ts';
import { describeError } from '../errors.ts';

// One line per file ("ok web (web.json)" or "error web.json: ..."), and the number of errors.
export function validate(dir: string): { lines: string[]; errors: number } {
  const lines: string[] = [];
  let errors = 0;
  let files: string[];
  try {
    files = readdirSync(dir).sort();
  } catch (err) {
    return { lines: [`error ${dir}: ${describeError(err)}`], errors: 1 };
  }
  const names = new Map<string, string[]>();
  const parsed = new Map<string, { after: string[] }>();
  for (const f of files) {
    if (skipReason(f)) continue;
    const path = join(dir, f);
    try {
      if (statSync(path).isDirectory()) continue;
    } catch (err) {
      lines.push(`error ${path}: ${describeError(err)}`);
      errors++;
      continue;
    }
    const name = processName(f);
    names.set(name, [...(names.get(name) ?? []), f]);
    let r;
    try {
      r = parseDescriptor(readLimited(path));
    } catch (err) {
      lines.push(`error ${path}: ${describeError(err)}`);
      errors++;
      continue;
    }
    if (!r.ok) {
      for (const e of r.errors) lines.push(`error ${path}: ${e}`);
      errors++;
    } else {
      for (const w of r.warnings) lines.push(`warning ${path}: ${w}`);
      parsed.set(name, { after: r.descriptor.after });
      lines.push(`ok ${name} (${f})`);
    }
  }
  for (const [name, fs] of names) {
    if (fs.length > 1) {
      lines.push(`error ${join(dir, name)}: both ${fs.map((f) => `"${f}"`).join(' and ')} exist; remove one of them`);
      errors++;
    }
  }
  for (const [name, p] of parsed) {
    const unknown = p.after.filter((a) => !names.has(a));
    if (unknown.length > 0) {
      lines.push(`error ${name}: "after" names no such process: ${unknown.map((u) => `"${u}"`).join(', ')}`);
      errors++;
    }
  }
  return { lines, errors };
}
