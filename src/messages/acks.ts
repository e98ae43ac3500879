// Acknowledgements of messages, for `colony ctl ... --wait`: $STATE/acks/<message file>.json says
// whether the message was carried out (or why not) and which processes it restarts. Written
// atomically; acknowledgements nobody collected are removed after ten minutes.
import { mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ACKS_DIR, ackPath, type Ack } from '../ctl/wait.ts';
import { describeError } from '../common/errors.ts';
import type { Log } from '../log/logger.ts';

const KEEP_MS = 10 * 60 * 1000;
const PRUNE_EVERY_MS = 60 * 1000; // pruning lists the directory: not on every message of a burst

// mkdir -p, but with the real reason: on a read-only file system a recursive mkdirSync of a missing
// directory reports ENOENT, not EROFS.
function makeDir(dir: string): void {
  try {
    mkdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return;
    if (code === 'ENOENT') mkdirSync(dir, { recursive: true });
    else throw err;
  }
}

export class Acks {
  private readonly stateDir: string;
  private readonly log: Log;
  private failing = false;
  private prunedAt = 0;

  constructor(stateDir: string, log: Log) {
    this.stateDir = stateDir;
    this.log = log;
  }

  // Records the outcome of one message.
  record(messageFile: string, ack: Omit<Ack, 'file' | 'at'>): void {
    const dir = join(this.stateDir, ACKS_DIR);
    const final = ackPath(this.stateDir, messageFile);
    const temp = `${final}.${process.pid}.tmp`;
    try {
      makeDir(dir);
      writeFileSync(temp, JSON.stringify({ file: messageFile, at: new Date().toISOString(), ...ack }));
      renameSync(temp, final);
      this.failing = false;
      if (Date.now() - this.prunedAt > PRUNE_EVERY_MS) this.prune(dir);
    } catch (err) {
      try {
        rmSync(temp, { force: true }); // a full disk leaves a partial temp file: not one per message
      } catch {
        // a read-only directory: there is no temp file
      }
      if (!this.failing) this.log.error('cannot write message acknowledgements (ctl --wait will time out)', { dir, error: describeError(err) });
      this.failing = true;
    }
  }

  private prune(dir: string): void {
    const now = Date.now();
    this.prunedAt = now;
    for (const f of readdirSync(dir)) {
      try {
        if (now - statSync(join(dir, f)).mtimeMs > KEEP_MS) rmSync(join(dir, f), { force: true });
      } catch {
        // gone meanwhile
      }
    }
  }
}
