// What a control message does: one function decides, acts and says what came of it (the
// acknowledgement `ctl --wait` reads: refused and why, or carried out and which processes it restarts
// or stops).
import type { Message } from '../messages/message.ts';
import type { SupervisedProcess } from '../process/supervised.ts';
import type { Hold } from './holds.ts';

// What came of a message.
export type Outcome = { ok: true; restarting: Array<{ name: string; starts: number }>; stopping?: string[]; upgrading?: Array<{ name: string; done: number; failed: number }> } | { ok: false; error: string };

// What a message can reach.
export interface MessageTargets {
  readonly shuttingDown: boolean;
  // The main command, when there is one (its end is colony's: it is never restarted).
  readonly main: SupervisedProcess | undefined;
  // The process of the config directory with that name, or the instances of the replicated process
  // with that name (supervisor/replicas.ts); none when there is neither.
  named(name: string): SupervisedProcess[];
  isSelected(name: string): boolean;
  // The config directory's processes that --only selects (all without --only).
  selected(): SupervisedProcess[];
  // Whether --only was given (said in the refusal of an empty group).
  readonly only: boolean;
  // Why a process does not start on its own: stopped by request, or "autostart": false (holds.ts).
  hold(p: SupervisedProcess): Hold | undefined;
  // Stopped by request: held down (its schedule and watched files disarmed) and stopped.
  stopByRequest(p: SupervisedProcess): void;
  // Started by request (ctl start, a restart by name): no longer held, its schedule and watched files armed.
  startByRequest(p: SupervisedProcess): void;
}

// Carries out one message.
export function carryOut(message: Message, t: MessageTargets): Outcome {
  if (t.shuttingDown) return refused('colony is shutting down');
  switch (message.type) {
    case 'RESTART': {
      if (message.name === t.main?.name) return refused('the main command cannot be restarted (its end is the end of colony)');
      const procs = reachable(t, message.name);
      if (typeof procs === 'string') return refused(procs);
      for (const p of procs) t.startByRequest(p); // a restart by name starts a stopped process too
      return restart(procs);
    }
    case 'RELOAD': {
      const procs = reachable(t, message.name);
      if (typeof procs === 'string') return refused(procs);
      for (const p of procs) {
        const held = t.hold(p);
        if (held) return refused(`process "${p.name}" is ${held === 'stopped' ? 'stopped by request' : 'not started ("autostart": false)'}: ctl start starts it`);
      }
      const restarting = procs.filter((p) => !(p.descriptor.reloadSignal && p.phase === 'running')).map(before);
      for (const p of procs) p.reload();
      return { ok: true, restarting };
    }
    case 'UPGRADE': {
      if (message.name === t.main?.name) return refused('the main command cannot be upgraded (its end is the end of colony)');
      const procs = reachable(t, message.name);
      if (typeof procs === 'string') return refused(procs);
      if (procs.length > 1) return refused(`"${message.name}" has ${procs.length} instances: upgrade them one at a time (${procs[0]!.name}, ...)`);
      const p = procs[0]!;
      const was = { name: p.name, done: p.upgrades.done, failed: p.upgrades.failed };
      const why = p.upgrade();
      return why ? refused(why) : { ok: true, restarting: [], upgrading: [was] };
    }
    // A scheduled job is left alone: it runs on its schedule, not on every restart of the others; so is
    // a process held down (stopped by request, or "autostart": false and not started).
    case 'RESTART-ALL':
      return restart(t.selected().filter((p) => !p.descriptor.schedule && !t.hold(p)));
    case 'RESTART-GROUP': {
      const members = t.selected().filter((p) => p.groups.includes(message.group));
      if (members.length === 0) return refused(`no process in group "${message.group}"${t.only ? ' that --only selects' : ''}`);
      return restart(members.filter((p) => !p.descriptor.schedule && !t.hold(p)));
    }
    case 'STOP': {
      if ('name' in message && message.name === t.main?.name) return refused('the main command cannot be stopped on its own (its end is the end of colony: stop colony instead)');
      const procs = targets(t, message);
      if (typeof procs === 'string') return refused(procs);
      for (const p of procs) t.stopByRequest(p);
      return { ok: true, restarting: [], stopping: procs.filter((p) => !p.isFinal).map((p) => p.name) };
    }
    case 'START': {
      if ('name' in message && message.name === t.main?.name) return refused('the main command is not started by request (it runs from colony\'s start to its end)');
      const procs = targets(t, message);
      if (typeof procs === 'string') return refused(procs);
      const restarting: Array<{ name: string; starts: number }> = [];
      for (const p of procs) {
        const was = before(p);
        t.startByRequest(p);
        // A scheduled job runs on its schedule (armed now); the others start unless they run.
        if (!p.descriptor.schedule && startNow(p)) restarting.push(was);
      }
      return { ok: true, restarting };
    }
    case 'SIGNAL': {
      if ('name' in message) {
        const procs = message.name === t.main?.name ? [t.main] : reachable(t, message.name);
        if (typeof procs === 'string') return refused(procs);
        const sent = procs.filter((p) => p.signal(message.signal)).length;
        return sent > 0 ? done() : refused(`process "${message.name}" is not running (${procs.map((p) => p.phase).join(', ')})`);
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

// The processes a name lets a message act on (one, or a replicated process's instances), or why none.
function reachable(t: MessageTargets, name: string): SupervisedProcess[] | string {
  const procs = t.named(name);
  if (procs.length === 0) return `no process named "${name}"`;
  const selected = procs.filter((p) => t.isSelected(p.name));
  if (selected.length === 0) return `process "${name}" is left out by --only (COLONY_ONLY)`;
  return selected;
}

// The processes a STOP or START names: one process, or every process of a group; or why none.
function targets(t: MessageTargets, message: { name: string } | { group: string }): SupervisedProcess[] | string {
  if ('name' in message) return reachable(t, message.name);
  const members = t.selected().filter((p) => p.groups.includes(message.group));
  return members.length > 0 ? members : `no process in group "${message.group}"${t.only ? ' that --only selects' : ''}`;
}

// Starts a process that is not running (or restarts one being stopped, once it has stopped); false
// when it runs already (or is starting, not to be stopped).
function startNow(p: SupervisedProcess): boolean {
  switch (p.phase) {
    case 'running':
      return false;
    case 'starting':
      if (p.snapshot.then !== 'stop') return false;
      p.restart();
      return true;
    case 'stopping':
    case 'draining':
      p.restart();
      return true;
    case 'idle':
    case 'backoff':
    case 'stopped':
    case 'exited':
    case 'failed':
      p.start();
      return true;
    default:
      return unreachable(p.phase);
  }
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

function unreachable(value: never): never {
  throw new Error(`unhandled ${JSON.stringify(value)}`);
}
