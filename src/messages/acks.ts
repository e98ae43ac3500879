// Acknowledgements of messages, for `colony ctl ... --wait`: $STATE/acks/<message file>.json says
// whether the message was carried out (or why not) and which processes it restarts. Written
// atomically; acknowledgements nobody collected are removed after ten minutes.
import { basename, join } from 'node:path';
import { realClock, type Clock } from '../common/clock.ts';
import { describeError } from '../common/errors.ts';
import { writeFileAtomically } from '../common/files.ts';
import { realFileSystem, type FileSystem } from '../common/fs-world.ts';
import type { Log } from '../log/logger.ts';

export const ACKS_DIR = 'acks';

// The content of an acknowledgement file (read by ctl/wait.ts).
export interface Ack {
  file: string;
  ok: boolean;
  error?: string;
  at: string;
  // Processes being restarted, with how many times each had been started before.
  restarting: Array<{ name: string; starts: number }>;
  // Processes being stopped by request (STOP).
  stopping?: string[];
  // Processes being upgraded (UPGRADE), with how many upgrades of each had ended well or not before.
  upgrading?: Array<{ name: string; done: number; failed: number }>;
}

// The path colony writes the acknowledgement of a message file to.
export function ackPath(stateDir: string, messageFile: string): string {
  return join(stateDir, ACKS_DIR, `${basename(messageFile)}.json`);
}

export const KEEP_MS = 10 * 60 * 1000; // by file age: wall time against the file's mtime
export const PRUNE_EVERY_MS = 60 * 1000; // pruning lists the directory: not on every message of a burst

export class Acks {
  private readonly stateDir: string;
  private readonly log: Log;
  private readonly clock: Clock;
  private readonly fs: FileSystem;
  private failing = false;
  private prunedAt: number | undefined; // clock.now() of the last pruning

  // `world`: the clock (acknowledgement times, pruning) and the file system; the real ones by default.
  constructor(stateDir: string, log: Log, world: { clock?: Clock; fs?: FileSystem } = {}) {
    this.stateDir = stateDir;
    this.log = log;
    this.clock = world.clock ?? realClock();
    this.fs = world.fs ?? realFileSystem;
  }

  // Records the outcome of one message.
  record(messageFile: string, ack: Omit<Ack, 'file' | 'at'>): void {
    const dir = join(this.stateDir, ACKS_DIR);
    try {
      writeFileAtomically(ackPath(this.stateDir, messageFile), JSON.stringify({ file: messageFile, at: new Date(this.clock.wallNow()).toISOString(), ...ack }), { fs: this.fs });
      this.failing = false;
      if (this.prunedAt === undefined || this.clock.now() - this.prunedAt > PRUNE_EVERY_MS) this.prune(dir);
    } catch (err) {
      if (!this.failing) this.log.error('cannot write message acknowledgements (ctl --wait will time out)', { dir, error: describeError(err) });
      this.failing = true;
    }
  }

  private prune(dir: string): void {
    this.prunedAt = this.clock.now();
    const wallNow = this.clock.wallNow();
    for (const f of this.fs.readdir(dir)) {
      try {
        if (wallNow - this.fs.mtimeMs(join(dir, f)) > KEEP_MS) this.fs.unlink(join(dir, f));
      } catch {
        // gone meanwhile
      }
    }
  }
}
