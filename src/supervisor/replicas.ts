// "replicas": N — one descriptor file, N processes NAME:1 … NAME:N. Replicas sits between the config
// directory and the supervisor: it turns a file's descriptor into its instances' (the same definition,
// COLONY_REPLICA=i in the environment) and applies each by name, so changing N adds or removes
// instances and leaves the others untouched (what counts as a change of an instance's definition
// leaves "replicas" out). Wherever a process is named — "after", --only, messages, ctl logs — a
// replicated process's name stands for all its instances (`instancesOf`, `afterNames`).
import type { Descriptor } from '../descriptor/parse.ts';
import { instanceName, splitInstance } from '../descriptor/name.ts';
import type { Log } from '../log/logger.ts';

type Named = { readonly name: string; readonly descriptor: Pick<Descriptor, 'after' | 'replica'> };

// The instances of a replicated process among `procs` (none when `base` is not replicated).
export function instancesOf<P extends Named>(base: string, procs: ReadonlyMap<string, P>): P[] {
  const found: P[] = [];
  for (const p of procs.values()) if (p.descriptor.replica?.of === base) found.push(p);
  return found;
}

// An "after" list with a replicated process's name standing for all its instances (a name that is
// neither a process nor a replicated one is left as it is: "names no such process").
export function afterNames(after: readonly string[], procs: ReadonlyMap<string, Named>): readonly string[] {
  if (after.every((d) => procs.has(d))) return after; // the common case: nothing to expand
  return after.flatMap((d) => {
    if (procs.has(d)) return [d];
    const inst = instancesOf(d, procs);
    return inst.length > 0 ? inst.map((p) => p.name) : [d];
  });
}

// What a name is "after" for --only's selection: a process's own list, or a replicated process's
// instances; undefined for a name that is neither.
export function afterOf(name: string, procs: ReadonlyMap<string, Named>): readonly string[] | undefined {
  const p = procs.get(name);
  if (p) return afterNames(p.descriptor.after, procs);
  const inst = instancesOf(name, procs);
  return inst.length > 0 ? inst.map((q) => q.name) : undefined;
}

// Whether `after` (a process's list) names `p`, by its own name or by its replicated process's.
export function namesIn(after: readonly string[], p: Named): boolean {
  return after.includes(p.name) || (p.descriptor.replica !== undefined && after.includes(p.descriptor.replica.of));
}

// An instance's definition: the file's, as instance `index`; its canonical form leaves "replicas"
// out, so that changing N is no change of the instances that stay.
function instance(d: Descriptor, base: string, index: number, canonical: string): Descriptor {
  return { ...d, replica: { of: base, index }, canonical };
}

// The canonical form is sorted already, and parsing keeps that order: dropping the key keeps it canonical.
// (No import of the parser here: this module is on ctl's path, which must not build the schema.)
function withoutReplicas(canonical: string): string {
  const v = JSON.parse(canonical) as Record<string, unknown>;
  delete v.replicas;
  return JSON.stringify(v);
}

export class Replicas {
  private readonly apply: (name: string, d: Descriptor | null) => void;
  private readonly log: Log;
  // Replicated files: their descriptor and how many instances are applied.
  private readonly replicated = new Map<string, { d: Descriptor; count: number }>();
  // Names applied as plain processes (a file of that name, no "replicas").
  private readonly plain = new Set<string>();
  // Plain files kept out because an instance had their name first: applied once the instance is gone.
  private readonly waiting = new Map<string, Descriptor>();

  // `apply`: the supervisor's (a process by name; null: gone).
  constructor(apply: (name: string, d: Descriptor | null) => void, log: Log) {
    this.apply = apply;
    this.log = log;
  }

  // One entry of the config directory: a file's descriptor, or null when the file is gone.
  set(name: string, d: Descriptor | null): void {
    const was = this.replicated.get(name);
    const want = d?.replicas;
    if (want === undefined) {
      if (was) this.shrink(name, was.count, 0);
      this.replicated.delete(name);
      return this.setPlain(name, d);
    }
    if (this.plain.delete(name)) this.apply(name, null); // one process of that name until now
    const owner = splitInstance(name);
    if (owner && this.replicated.has(owner.base)) this.log.warn(`"${name}" is replicated and its name looks like an instance of "${owner.base}"`, { proc: name });
    const canonical = withoutReplicas(d!.canonical);
    for (let i = 1; i <= want; i++) {
      const n = instanceName(name, i);
      if (this.plain.has(n)) {
        if (!was || i > was.count) this.clash(n, name, i, d!.source);
        continue;
      }
      this.apply(n, instance(d!, name, i, canonical));
    }
    if (was) this.shrink(name, was.count, want);
    this.replicated.set(name, { d: d!, count: want });
  }

  private setPlain(name: string, d: Descriptor | null): void {
    const owner = splitInstance(name);
    const rep = owner ? this.replicated.get(owner.base) : undefined;
    const taken = rep !== undefined && owner!.index <= rep.count;
    if (d === null) {
      this.waiting.delete(name);
      if (!this.plain.delete(name)) return;
      this.apply(name, null);
      // The instance that file kept out can run now.
      if (taken) this.apply(name, instance(rep.d, owner!.base, owner!.index, withoutReplicas(rep.d.canonical)));
      return;
    }
    if (taken && !this.plain.has(name)) {
      if (!this.waiting.has(name)) this.clash(name, owner!.base, owner!.index, d.source);
      this.waiting.set(name, d);
      return;
    }
    this.plain.add(name);
    this.apply(name, d);
  }

  // Instances above `to` removed, the highest first.
  private shrink(base: string, from: number, to: number): void {
    for (let i = from; i > to; i--) {
      const n = instanceName(base, i);
      if (this.plain.has(n)) continue;
      this.apply(n, null);
      const file = this.waiting.get(n);
      if (file) {
        this.waiting.delete(n);
        this.plain.add(n);
        this.apply(n, file);
      }
    }
  }

  private clash(name: string, base: string, index: number, source: string | undefined): void {
    this.log.error(`"${name}" is both a descriptor file and instance ${index} of "${base}" ("replicas"): the file that came first is kept; rename one`, { proc: name, ...(source ? { file: source } : {}) });
  }
}
