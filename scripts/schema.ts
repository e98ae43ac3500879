// Writes docs/descriptor.schema.json from the descriptor's zod schema (src/descriptor/schema.ts), the
// same source colony validates with. `node scripts/schema.ts --check` fails when the file is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { descriptorJsonSchema } from '../src/descriptor/json-schema.ts';

const out = join(dirname(new URL(import.meta.url).pathname), '..', 'docs', 'descriptor.schema.json');
const text = `${JSON.stringify(descriptorJsonSchema(), null, 2)}\n`;
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // missing
  }
  if (current !== text) {
    console.error(`${out} is out of date: run npm run schema`);
    process.exit(1);
  }
} else {
  writeFileSync(out, text);
  console.log(`wrote ${out}`);
}
