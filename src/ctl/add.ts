// ctl add: writes a descriptor, exactly as NColony's `ctl add` does (keys present only when given),
// merged with the JSON object of --extras; also `ctl add NAME [options] -- CMD ARGS...`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDescriptor } from '../descriptor/parse.ts';
import { describeError, usageError } from '../common/errors.ts';
import { checkName, writeAtomically } from './write.ts';

export interface AddOptions {
  cmd?: string | undefined;
  arg?: string[] | undefined;
  env?: string[] | undefined;
  envInherit?: string[] | undefined;
  uid?: string | undefined;
  gid?: string | undefined;
  group?: string[] | undefined;
  extras?: string | undefined;
}

// The descriptor object `ctl add` writes.
export function buildDescriptor(opts: AddOptions, command: string[]): Record<string, unknown> {
  if (opts.cmd !== undefined && command.length > 0) throw usageError('give the command either with --cmd (and --arg) or after --, not both');
  const args = opts.cmd !== undefined ? [opts.cmd, ...(opts.arg ?? [])] : [...command, ...(opts.arg ?? [])];
  if (args.length === 0) throw usageError('a command is needed: --cmd CMD [--arg A]... or -- CMD ARGS...');
  const details: Record<string, unknown> = { args };
  if (opts.env && opts.env.length > 0) {
    const env: Record<string, string> = {};
    for (const pair of opts.env) {
      const eq = pair.indexOf('=');
      if (eq <= 0) throw usageError(`--env must be NAME=VALUE, got ${JSON.stringify(pair)}`);
      env[pair.slice(0, eq)] = pair.slice(eq + 1);
    }
    details.env = env;
  }
  if (opts.envInherit && opts.envInherit.length > 0) details.env_inherit = opts.envInherit;
  if (opts.uid !== undefined) details.uid = integer('uid', opts.uid);
  if (opts.gid !== undefined) details.gid = integer('gid', opts.gid);
  if (opts.group && opts.group.length > 0) details.group = opts.group;
  if (opts.extras !== undefined) Object.assign(details, readExtras(opts.extras));
  return details;
}

function integer(option: string, value: string): number {
  if (!/^\d+$/.test(value)) throw usageError(`--${option} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return Number(value);
}

function readExtras(path: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw usageError(`--extras ${path}: ${describeError(err)}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw usageError(`--extras ${path}: must hold a JSON object`);
  return value as Record<string, unknown>;
}

// Writes config/NAME (or NAME.json when that is the file already there); returns its path.
export function add(configDir: string, name: string, opts: AddOptions, command: string[]): string {
  checkName('process name', name);
  const details = buildDescriptor(opts, command);
  const text = `${JSON.stringify(details)}\n`;
  const check = parseDescriptor(text);
  if (!check.ok) throw usageError(`the descriptor would be invalid: ${check.errors.join('; ')}`);
  const file = existsSync(join(configDir, `${name}.json`)) ? `${name}.json` : name;
  return writeAtomically(configDir, file, text);
}
