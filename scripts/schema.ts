// Writes docs/descriptor.schema.json from the descriptor's zod schema (src/descriptor/schema.ts), the
// same source colony validates with. `node scripts/schema.ts --check` fails when the file is out of date.
import { dirname, join } from 'node:path';
import { descriptorJsonSchema } from '../src/descriptor/json-schema.ts';
import { writeGenerated } from './generated.ts';

const out = join(dirname(new URL(import.meta.url).pathname), '..', 'docs', 'descriptor.schema.json');
const text = `${JSON.stringify(descriptorJsonSchema(), null, 2)}\n`;
writeGenerated(out, text, 'npm run schema');
