// A file the build generates from a source of truth and the repository keeps: written, or with
// `--check` (npm run typecheck) compared, failing when it is out of date.
import { readFileSync, writeFileSync } from 'node:fs';

export function writeGenerated(out: string, text: string, regenerate: string, what = out): void {
  if (process.argv.includes('--check')) {
    let current = '';
    try {
      current = readFileSync(out, 'utf8');
    } catch {
      // missing
    }
    if (current !== text) {
      console.error(`${out} is out of date: run ${regenerate}`);
      process.exit(1);
    }
  } else {
    writeFileSync(out, text);
    console.log(`wrote ${what}`);
  }
}
