// What a control message does: one function decides, acts and says what came of it (the
// acknowledgement `ctl --wait` reads: refused and why, or carried out and which processes it restarts).
import type { Message } from '../messages/message.ts';
import type { SupervisedProcess } from '../process/supervised.ts';

// What came of a message.
export type Outcome = { ok: true; restarting: Array<{ name: string; starts: number }> } | { ok: false; error: string };

// What a message can reach.
export interface MessageTargets {
  readonly shuttingDown: boolean;
  // The main command, when there is one (its end is colony's: it is never restarted).
  readonly main: SupervisedProcess | undefined;
  // A process of the config directory.
  defined(name: string): SupervisedProcess | undefined;
  isSelected(name: string): boolean;
  // The config directory's processes that --only selects (all without --only).
  selected(): SupervisedProcess[];
  // Whether --only was given (said in the refusal of an empty group).
  readonly only: boolean;
}

// Carries out one message.
export function carryOut(message: Message, t: MessageTargets): Outcome {
  if (t.shuttingDown) return refused('colony is shutting down');
  switch (message.type) {
    case 'RESTART': {
      if (message.name === t.main?.name) return refused('the main command cannot be restarted (its end is the end of colony)');
      const p = reachable(t, message.name);
      if (typeof p === 'string') return refused(p);
      return restart([p]);
    }
    case 'RELOAD': {
      const p = reachable(t, message.name);
      if (typeof p === 'string') return refused(p);
      const restarting = p.descriptor.reloadSignal && p.phase === 'running' ? [] : [before(p)];
      p.reload();
      return { ok: true, restarting };
    }
    // A scheduled job is left alone: it runs on its schedule, not on every restart of the others.
    case 'RESTART-ALL':
      return restart(t.selected().filter((p) => !p.descriptor.schedule));
    case 'RESTART-GROUP': {
      const members = t.selected().filter((p) => p.groups.includes(message.group));
      if (members.length === 0) return refused(`no process in group "${message.group}"${t.only ? ' that --only selects' : ''}`);
      return restart(members.filter((p) => !p.descriptor.schedule));
    }
    case 'SIGNAL': {
      if ('name' in message) {
        const p = message.name === t.main?.name ? t.main : reachable(t, message.name);
        if (typeof p === 'string') return refused(p);
        return p.signal(message.signal) ? done() : refused(`process "${message.name}" is not running (${p.phase})`);
      }
      const members = t.selected().filter((p) => p.groups.includes(message.group));
      if (members.length === 0) return refused(`no process in group "${message.group}"`);
      const sent = members.filter((p) => p.signal(message.signal)).length;
      return sent > 0 ? done() : refused(`no process in group "${message.group}" is running`);
    }
    default:
      return unreachable(message);
  }
}

// A process a message may act on, or why not.
function reachable(t: MessageTargets, name: string): SupervisedProcess | string {
  const p = t.defined(name);
  if (!p) return `no process named "${name}"`;
  if (!t.isSelected(name)) return `process "${name}" is left out by --only (COLONY_ONLY)`;
  return p;
}

// Restarts these processes; each is named with its start count before the restart (ctl --wait waits for the next start).
function restart(procs: SupervisedProcess[]): Outcome {
  const restarting = procs.map(before);
  for (const p of procs) p.restart();
  return { ok: true, restarting };
}

function before(p: SupervisedProcess): { name: string; starts: number } {
  return { name: p.name, starts: p.snapshot.starts };
}

function done(): Outcome {
  return { ok: true, restarting: [] };
}

function refused(error: string): Outcome {
  return { ok: false, error };
}

function unreachable(message: never): never {
  throw new Error(`unhandled message ${JSON.stringify(message)}`);
}
