// --only / COLONY_ONLY: which of the config directory's processes run — the named ones and, through
// their "after" lists, every process they wait for. The others are defined (shown by ctl status) but
// never started. The rule is pure (selectedNames); Selection follows it as descriptors change.
import type { Log } from '../log/logger.ts';
import type { SupervisedProcess } from '../process/supervised.ts';
import { afterNames, afterOf } from './replicas.ts';

// The names that run: `only` and what they are "after", transitively. `afterOf` gives a defined
// process's "after" list (undefined for a name that is not defined: it adds nothing).
export function selectedNames(only: readonly string[], afterOf: (name: string) => readonly string[] | undefined): Set<string> {
  const selected = new Set<string>();
  const todo = [...only];
  for (let name = todo.pop(); name !== undefined; name = todo.pop()) {
    if (selected.has(name)) continue;
    selected.add(name);
    todo.push(...(afterOf(name) ?? []));
  }
  return selected;
}

// Parses --only's value: names separated by commas (blanks around them ignored); '' selects none.
// Returns the names, or the first invalid one's problem.
export function parseOnly(value: string, invalid: (name: string) => string | undefined): { names: string[] } | { error: string } {
  const names = value
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const n of names) {
    const why = invalid(n);
    if (why) return { error: `process name ${why}` };
  }
  return { names: [...new Set(names)] };
}

// What the supervisor does for --only, besides starting only what it selects.
export interface SelectionHooks {
  log: Log;
  // The processes of the config directory, by name.
  procs: ReadonlyMap<string, SupervisedProcess>;
  isArmed(name: string): boolean;
  arm(p: SupervisedProcess): void;
  disarm(name: string): void;
}

// --only as the descriptors change: the selection is recomputed after every change, each process it
// leaves out is said once, and an edited "after" list is followed — a process no longer selected is
// stopped and disarmed, one selected again is armed, and started again if it was stopped that way.
export class Selection {
  readonly only: readonly string[] | undefined;
  private current: Set<string> | undefined;
  private readonly reported = new Set<string>();
  // Processes stopped because --only stopped selecting them.
  private readonly deselected = new Set<string>();

  constructor(only: readonly string[] | undefined) {
    this.only = only;
  }

  // Whether a process of the config directory may run (--only selects it, or there is no --only).
  has(name: string, afterOf: (name: string) => readonly string[] | undefined): boolean {
    if (this.only === undefined) return true;
    this.current ??= selectedNames(this.only, afterOf);
    return this.current.has(name);
  }

  // A descriptor changed: "after" lists may select other processes now.
  forget(): void {
    this.current = undefined;
  }

  // Brings the processes in line with the selection.
  follow(h: SelectionHooks): void {
    if (this.only === undefined) return;
    const after = (n: string): readonly string[] | undefined => afterOf(n, h.procs);
    for (const p of h.procs.values()) {
      if (!this.has(p.name, after)) {
        const up = p.phase !== 'idle' && !p.isFinal;
        if (!this.reported.has(p.name)) h.log.info(up ? 'no longer selected by --only: stopping' : 'left out by --only: not started', { proc: p.name });
        this.reported.add(p.name);
        if (h.isArmed(p.name)) h.disarm(p.name);
        if (up) {
          p.stop();
          if (!p.descriptor.schedule) this.deselected.add(p.name);
        }
        continue;
      }
      this.reported.delete(p.name);
      if (!h.isArmed(p.name)) h.arm(p);
      if (this.deselected.has(p.name) && p.isFinal && afterNames(p.descriptor.after, h.procs).every((d) => h.procs.get(d)?.ready)) {
        this.deselected.delete(p.name);
        h.log.info('selected by --only again: starting', { proc: p.name });
        p.start();
      }
    }
  }
}
