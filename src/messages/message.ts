// Control messages (NColony's RESTART, RESTART-ALL, RESTART-GROUP; colony's RELOAD, UPGRADE, SIGNAL,
// STOP, START): parse and validate. Pure.
import { invalidNameReason } from '../descriptor/name.ts';
import { jsonNesting, MAX_FILE_BYTES, MAX_NESTING } from '../descriptor/parse.ts';
import { signalName } from '../system/signals.ts';
import { shown } from '../common/text.ts';

export type Message =
  | { type: 'RESTART'; name: string }
  | { type: 'RELOAD'; name: string }
  | { type: 'UPGRADE'; name: string }
  | { type: 'RESTART-ALL' }
  | { type: 'RESTART-GROUP'; group: string }
  | { type: 'SIGNAL'; signal: NodeJS.Signals; name: string }
  | { type: 'SIGNAL'; signal: NodeJS.Signals; group: string }
  | { type: 'STOP' | 'START'; name: string }
  | { type: 'STOP' | 'START'; group: string };

export type MessageResult = { ok: true; message: Message } | { ok: false; error: string };

export const MESSAGE_TYPES = ['RESTART', 'RELOAD', 'UPGRADE', 'RESTART-ALL', 'RESTART-GROUP', 'SIGNAL', 'STOP', 'START'] as const;

const fail = (error: string): MessageResult => ({ ok: false, error });

// Parses one message file's bytes.
export function parseMessage(bytes: Buffer | string): MessageResult {
  if (bytes.length > MAX_FILE_BYTES) return fail(`file is ${bytes.length} bytes, over the ${MAX_FILE_BYTES}-byte limit`);
  const raw = typeof bytes === 'string' ? bytes : bytes.toString('utf8');
  if (raw.trim() === '') return fail('file is empty');
  if (jsonNesting(raw) > MAX_NESTING) return fail(`nested more than ${MAX_NESTING} levels deep`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (err) {
    return fail(`not valid JSON: ${(err as Error).message}`);
  }
  return validateMessage(value);
}

// Validates an already parsed value as a message.
export function validateMessage(value: unknown): MessageResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`must be a JSON object, got ${shown(value)}`);
  const obj = value as Record<string, unknown>;
  const type = obj.type;
  const nameOf = (key: string): string | MessageResult => {
    const reason = invalidNameReason(obj[key]);
    return reason ? fail(`"${key}" ${reason}`) : (obj[key] as string);
  };
  switch (type) {
    case 'RESTART': {
      const name = nameOf('name');
      return typeof name === 'string' ? { ok: true, message: { type, name } } : name;
    }
    case 'RELOAD':
    case 'UPGRADE': {
      const name = nameOf('name');
      return typeof name === 'string' ? { ok: true, message: { type, name } } : name;
    }
    case 'RESTART-ALL':
      return { ok: true, message: { type } };
    case 'RESTART-GROUP': {
      const group = nameOf('group');
      return typeof group === 'string' ? { ok: true, message: { type, group } } : group;
    }
    case 'SIGNAL': {
      const signal = signalName(obj.signal);
      if (!signal) return fail(`"signal" must be a signal name such as "SIGHUP", got ${shown(obj.signal)}`);
      if ((obj.name === undefined) === (obj.group === undefined)) return fail('a SIGNAL message needs exactly one of "name" or "group"');
      if (obj.name !== undefined) {
        const name = nameOf('name');
        return typeof name === 'string' ? { ok: true, message: { type, signal, name } } : name;
      }
      const group = nameOf('group');
      return typeof group === 'string' ? { ok: true, message: { type, signal, group } } : group;
    }
    case 'STOP':
    case 'START': {
      if ((obj.name === undefined) === (obj.group === undefined)) return fail(`a ${type} message needs exactly one of "name" or "group"`);
      if (obj.name !== undefined) {
        const name = nameOf('name');
        return typeof name === 'string' ? { ok: true, message: { type, name } } : name;
      }
      const group = nameOf('group');
      return typeof group === 'string' ? { ok: true, message: { type, group } } : group;
    }
    default:
      return fail(`unknown message type ${shown(type)} (known: ${MESSAGE_TYPES.join(', ')})`);
  }
}
