// The descriptor's JSON Schema, generated from the zod schema colony validates with, for editors
// (VS Code's json.schemas, a "$schema" key) and other tools.
import * as z from 'zod/mini';
import { descriptorSchema, KEY_DESCRIPTIONS, PROBE_KINDS } from './schema.ts';

export const SCHEMA_ID = 'https://colony.invalid/descriptor.schema.json';

// The JSON Schema (draft 2020-12) of a descriptor file.
export function descriptorJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(descriptorSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' }) as Record<string, unknown>;
  const props = schema.properties as Record<string, Record<string, unknown>>;
  // What zod's refinements check and JSON Schema can say too: a probe has exactly one kind.
  for (const key of ['ready', 'health']) props[key] = { ...props[key], oneOf: PROBE_KINDS.map((k) => ({ required: [k] })) };
  for (const [key, text] of Object.entries(KEY_DESCRIPTIONS)) if (props[key]) props[key] = { description: text, ...props[key] };
  // zod marks startsWith() with a non-standard "format"; the pattern says the same in standard terms.
  const clean = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(clean);
    if (v && typeof v === 'object') {
      const o: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) if (!(k === 'format' && x === 'starts_with')) o[k] = clean(x);
      return o;
    }
    return v;
  };
  Object.assign(schema, clean(schema));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: SCHEMA_ID,
    title: 'colony process descriptor',
    description: "One process for colony (NColony's format plus colony's snake_case keys); see docs/descriptor.md.",
    ...schema,
  };
}
