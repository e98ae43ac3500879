// The Node flags colony runs with, read from their one source: bin/colony's `#!/usr/bin/env -S node
// FLAGS` line (a #! line cannot import them). The single executable's execArgv (build-sea.ts), the
// bench and the stress tests use these, so that all measure colony as it is deployed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const NODE_FLAGS: string[] = (() => {
  const bin = join(import.meta.dirname, '..', 'bin', 'colony');
  const m = /^#!\S*env -S node(.*)$/m.exec(readFileSync(bin, 'utf8'));
  if (!m) throw new Error(`${bin}: its first line is not "#!/usr/bin/env -S node FLAGS"`);
  return m[1]!.split(' ').filter(Boolean);
})();
