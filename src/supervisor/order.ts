// The "after" graph between processes: which lists name no process or make a cycle, and the longest
// chain of readiness waits along it. Pure: shared by the supervisor and `colony ctl validate`.

// Each process's problem with "after", if any: a name that is not a process, or a cycle it is part of.
export function orderProblems(after: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const problems = new Map<string, string>();
  for (const [name, deps] of after) {
    const unknown = deps.filter((d) => !after.has(d));
    if (unknown.length > 0) problems.set(name, `"after" names no such process: ${unknown.map((u) => JSON.stringify(u)).join(', ')}`);
  }
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (name: string): void => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      const cycle = stack.slice(stack.indexOf(name));
      for (const n of cycle) problems.set(n, `"after" makes a cycle: ${[...cycle, name].join(' → ')}`);
      return;
    }
    state.set(name, 'visiting');
    stack.push(name);
    for (const d of after.get(name) ?? []) if (after.has(d)) visit(d);
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of after.keys()) visit(name);
  return problems;
}

// The largest sum of `weight` along an "after" chain that starts at one of `from` (a cycle is cut where it closes).
export function longestChain(from: Iterable<string>, after: ReadonlyMap<string, readonly string[]>, weight: (name: string) => number): number {
  const chain = new Map<string, number>();
  const along = (name: string, seen: Set<string>): number => {
    const known = chain.get(name);
    if (known !== undefined) return known;
    seen.add(name);
    const before = (after.get(name) ?? []).filter((d) => after.has(d) && !seen.has(d));
    const total = weight(name) + Math.max(0, ...before.map((d) => along(d, seen)));
    seen.delete(name);
    chain.set(name, total);
    return total;
  };
  return Math.max(0, ...[...from].map((n) => along(n, new Set())));
}
