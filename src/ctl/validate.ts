// ctl validate: every descriptor of a config directory checked without a running colony (e.g. in a
// Dockerfile RUN step, so that a broken descriptor fails the image build) — through the same lookup
// the running colony uses (names, NAME/NAME.json conflicts, file checks, parsing).
import { readdirSync } from 'node:fs';
import { basename } from 'node:path';
import { descriptorNames, lookupDescriptor } from '../descriptor/directory.ts';
import { instanceName, splitInstance } from '../descriptor/name.ts';
import { describeError } from '../common/errors.ts';
import { orderProblems } from '../supervisor/order.ts';
import { filePolicyFrom } from '../system/security.ts';

// One line per process ("ok web (web.json)" or "error FILE: ..."), and the number of errors.
export function validate(dir: string, env: NodeJS.ProcessEnv = process.env): { lines: string[]; errors: number } {
  let files: string[];
  try {
    files = readdirSync(dir);
  } catch (err) {
    return { lines: [`error ${dir}: ${describeError(err)}`], errors: 1 };
  }
  const policy = filePolicyFrom(env, undefined);
  const lines: string[] = [];
  let errors = 0;
  const after = new Map<string, string[]>();
  const replicaOf = new Map<string, string>(); // instance name → its replicated file's name
  const names = [...descriptorNames(files)].sort();
  for (const name of names) {
    const found = lookupDescriptor(dir, name, policy);
    if (found.kind === 'absent') continue; // a subdirectory, or gone meanwhile
    if (found.kind === 'error') {
      lines.push(`error ${found.file}: ${found.error}`);
      errors++;
      after.set(name, []); // defined, only broken: not also a name of no process for the others
      continue;
    }
    for (const w of found.warnings) lines.push(`warning ${found.file}: ${w}`);
    const n = found.descriptor.replicas;
    if (n === undefined) {
      after.set(name, found.descriptor.after);
      lines.push(`ok ${name} (${basename(found.file)})`);
      continue;
    }
    // Its instances run; its name stands for all of them (as in supervisor/replicas.ts).
    const instances = Array.from({ length: n }, (_, i) => instanceName(name, i + 1));
    for (const i of instances) replicaOf.set(i, name);
    for (const i of instances) after.set(i, found.descriptor.after);
    after.set(name, instances);
    lines.push(`ok ${name} (${basename(found.file)}): ${n === 1 ? instances[0] : `${n} instances, ${instances[0]} … ${instances.at(-1)}`}`);
  }
  for (const name of names) {
    const owner = replicaOf.get(name);
    if (owner === undefined) continue; // a file's name that no instance has
    lines.push(`error ${name}: it is both a descriptor file and instance ${splitInstance(name)!.index} of "${owner}" ("replicas"): rename one`);
    errors++;
  }
  // The same "after" check as the running colony's: names of no process, and cycles.
  for (const [name, problem] of [...orderProblems(after)].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`error ${name}: ${problem}`);
    errors++;
  }
  return { lines, errors };
}
