// Which files in the config and messages directories are entries, and what process name a file stands for.

const SKIPPED_SUFFIXES = ['.new', '~', '.swp', '.swx', '.tmp', '.bak'];

// The reason a directory entry is not a descriptor/message, or undefined when it is one.
export function skipReason(fileName: string): string | undefined {
  if (fileName === '') return 'empty name';
  if (fileName.startsWith('.')) return 'dotfile';
  for (const suffix of SKIPPED_SUFFIXES) if (fileName.endsWith(suffix)) return `temporary file (${suffix})`;
  if (fileName.startsWith('#') && fileName.endsWith('#')) return 'editor autosave';
  return undefined;
}

// The process name a config file stands for: the file name without a trailing '.json'.
export function processName(fileName: string): string {
  return fileName.endsWith('.json') && fileName.length > 5 ? fileName.slice(0, -5) : fileName;
}

// Why a process name given to ctl (or found in a message) cannot be used, or undefined when it is fine.
export function invalidNameReason(name: unknown): string | undefined {
  if (typeof name !== 'string') return `must be a string, got ${JSON.stringify(name)}`;
  if (name === '') return 'must not be empty';
  if (name.includes('/')) return `must not contain '/': ${JSON.stringify(name)}`;
  if (name.includes('\0')) return `must not contain a NUL byte: ${JSON.stringify(name)}`;
  if (name.startsWith('.')) return `must not start with '.': ${JSON.stringify(name)}`;
  if (skipReason(name)) return `would be skipped as a ${skipReason(name)}: ${JSON.stringify(name)}`;
  return undefined;
}

// An instance of a replicated process ("replicas": N in the file NAME): NAME:1 … NAME:N.
export function instanceName(base: string, index: number): string {
  return `${base}:${index}`;
}

// The file name and index an instance's name would have: "web:2" → web, 2 ("web:02" is no instance name).
export function splitInstance(name: string): { base: string; index: number } | undefined {
  const m = /^(.+):([1-9]\d*)$/.exec(name);
  return m ? { base: m[1]!, index: Number(m[2]) } : undefined;
}

// The instances of the replicated process `base` among these process names, in index order.
export function instancesAmong(names: readonly string[], base: string): string[] {
  const found = names.map((name) => ({ name, i: splitInstance(name) })).filter((x) => x.i?.base === base);
  return found.sort((a, b) => a.i!.index - b.i!.index).map((x) => x.name);
}
