// --only / COLONY_ONLY: which of the config directory's processes run — the named ones and, through
// their "after" lists, every process they wait for. The others are defined (shown by ctl status) but
// never started. Pure.

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
