// A process descriptor: NColony's JSON format, validated with errors that name the field and the value.
// Pure: bytes in, descriptor or errors out; no I/O.

// Files larger than this are refused rather than parsed (a descriptor is a few hundred bytes).
export const MAX_FILE_BYTES = 10 * 1024 * 1024;

export interface Descriptor {
  args: string[];
  env: Record<string, string> | undefined;
  envInherit: string[] | undefined;
  uid: number | undefined;
  gid: number | undefined;
  groups: string[];
  // The canonical JSON of the whole parsed file (unknown keys included): equal means unchanged.
  canonical: string;
  // The file's raw text, passed to the child as NCOLONY_CONFIG.
  raw: string;
  // Where it came from (the file's path), for log lines.
  source?: string;
}

export type ParseResult = { ok: true; descriptor: Descriptor } | { ok: false; errors: string[] };

const show = (value: unknown): string => {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 80 ? `${text.slice(0, 77)}...` : text;
};

// Parses and validates one descriptor file's bytes.
export function parseDescriptor(bytes: Buffer | string): ParseResult {
  if (bytes.length > MAX_FILE_BYTES) return { ok: false, errors: [`file is ${bytes.length} bytes, over the ${MAX_FILE_BYTES}-byte limit`] };
  const raw = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  if (raw.trim() === '') return { ok: false, errors: ['file is empty'] };
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return { ok: false, errors: [`not valid JSON: ${(err as Error).message}`] };
  }
  return validateDescriptor(value, raw);
}

// Validates an already parsed value as a descriptor.
export function validateDescriptor(value: unknown, raw: string): ParseResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errors: [`must be a JSON object, got ${show(value)}`] };
  }
  const obj = value as Record<string, unknown>;
  const errors: string[] = [];

  const args = obj.args;
  if (args === undefined) errors.push('"args" is required (the command and its arguments, e.g. ["/usr/bin/python3", "app.py"])');
  else if (!Array.isArray(args) || args.length === 0) errors.push(`"args" must be a non-empty list of strings, got ${show(args)}`);
  else {
    args.forEach((a, i) => {
      if (typeof a !== 'string') errors.push(`"args[${i}]" must be a string, got ${show(a)}`);
      else if (a.includes('\0')) errors.push(`"args[${i}]" must not contain a NUL byte, got ${show(a)}`);
    });
    if (typeof args[0] === 'string' && args[0] === '') errors.push('"args[0]" (the executable) must not be empty');
  }

  let env: Record<string, string> | undefined;
  if (obj.env !== undefined) {
    if (typeof obj.env !== 'object' || obj.env === null || Array.isArray(obj.env)) errors.push(`"env" must be an object of strings, got ${show(obj.env)}`);
    else {
      env = {};
      for (const [k, v] of Object.entries(obj.env as Record<string, unknown>)) {
        if (k === '' || k.includes('=') || k.includes('\0') || k === '__proto__') errors.push(`"env" has an invalid variable name ${show(k)}`);
        else if (typeof v !== 'string') errors.push(`"env.${k}" must be a string, got ${show(v)}`);
        else if (v.includes('\0')) errors.push(`"env.${k}" must not contain a NUL byte`);
        else env[k] = v;
      }
    }
  }

  const envInherit = stringList(obj, 'env_inherit', errors);
  const groups = stringList(obj, 'group', errors) ?? [];
  const uid = id(obj, 'uid', errors);
  const gid = id(obj, 'gid', errors);

  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    descriptor: { args: args as string[], env, envInherit, uid, gid, groups, canonical: canonicalJson(obj), raw },
  };
}

function stringList(obj: Record<string, unknown>, key: string, errors: string[]): string[] | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (!Array.isArray(v)) {
    errors.push(`"${key}" must be a list of strings, got ${show(v)}`);
    return undefined;
  }
  v.forEach((item, i) => {
    if (typeof item !== 'string' || item === '') errors.push(`"${key}[${i}]" must be a non-empty string, got ${show(item)}`);
  });
  return v as string[];
}

function id(obj: Record<string, unknown>, key: string, errors: string[]): number | undefined {
  const v = obj[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0xfffffffe) {
    errors.push(`"${key}" must be a non-negative integer, got ${show(v)}`);
    return undefined;
  }
  return v;
}

// JSON with object keys sorted, so that two files that parse the same compare equal.
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = Object.create(null) as Record<string, unknown>; // keeps a "__proto__" key as a key
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}
