// ctl remove / restart / reload / upgrade / restart-all / restart-group / signal / stop / start.
import { unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { ColonyError, EXIT_SYSTEM, describeError, usageError } from '../common/errors.ts';
import { signalName } from '../system/signals.ts';
import { checkName, sendMessage } from './write.ts';

// Deletes the descriptor (NAME and/or NAME.json); colony stops the process for good.
export function remove(configDir: string, name: string): string[] {
  checkName('process name', name);
  const removed: string[] = [];
  for (const file of [name, `${name}.json`]) {
    const path = join(configDir, file);
    try {
      unlinkSync(path);
      removed.push(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ColonyError(`cannot remove ${path}: ${describeError(err)}`, EXIT_SYSTEM);
    }
  }
  if (removed.length === 0) throw usageError(`no descriptor named "${name}" in ${configDir}`);
  return removed;
}

export function restart(messagesDir: string, name: string): string {
  checkName('process name', name);
  return sendMessage(messagesDir, { type: 'RESTART', name });
}

// RELOAD: the process's reload_signal (gunicorn: SIGHUP), or a restart when it has none.
export function reload(messagesDir: string, name: string): string {
  checkName('process name', name);
  return sendMessage(messagesDir, { type: 'RELOAD', name });
}

// UPGRADE: a new main process beside the old one (the upgrade_signal, gunicorn's USR2), then the old one stopped.
export function upgrade(messagesDir: string, name: string): string {
  checkName('process name', name);
  return sendMessage(messagesDir, { type: 'UPGRADE', name });
}

export function restartAll(messagesDir: string): string {
  return sendMessage(messagesDir, { type: 'RESTART-ALL' });
}

export function restartGroup(messagesDir: string, group: string): string {
  checkName('group name', group);
  return sendMessage(messagesDir, { type: 'RESTART-GROUP', group });
}

export function signal(messagesDir: string, target: string, sig: string, isGroup: boolean): string {
  checkName(isGroup ? 'group name' : 'process name', target);
  const name = signalName(sig);
  if (!name) throw usageError(`not a signal: ${JSON.stringify(sig)} (e.g. SIGHUP, HUP, 1)`);
  return sendMessage(messagesDir, { type: 'SIGNAL', signal: name, ...(isGroup ? { group: target } : { name: target }) });
}

// STOP or START: one message per process and per group; returns their paths.
export function stopStart(messagesDir: string, type: 'STOP' | 'START', names: string[], groups: string[]): string[] {
  if (names.length === 0 && groups.length === 0) throw usageError(`ctl ${type.toLowerCase()} needs a process name or --group GROUP`);
  for (const n of names) checkName('process name', n);
  for (const g of groups) checkName('group name', g);
  return [...names.map((name) => sendMessage(messagesDir, { type, name })), ...groups.map((group) => sendMessage(messagesDir, { type, group }))];
}
