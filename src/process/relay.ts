// A process's output: each line of its stdout and stderr to colony's log (or to its output file),
// in order and whole, with backpressure from colony's stdout; the lines are also kept for
// `colony ctl logs` (log/kept.ts) and offered to a readiness pattern.
import { describeError } from '../common/errors.ts';
import type { Descriptor } from '../descriptor/parse.ts';
import { RotatingFile } from '../log/file-output.ts';
import { LineSplitter, type LineBatch } from '../log/lines.ts';
import type { KeptWriter } from '../log/kept.ts';
import type { Log } from '../log/logger.ts';
import type { Output } from './spawner.ts';
import type { ProcessWorld } from './world.ts';

export class OutputRelay {
  private readonly name: string;
  private readonly world: Pick<ProcessWorld, 'log' | 'sink' | 'keeper' | 'counts'>;
  // Lines relayed per stream, over every start of this process (metrics).
  readonly lines = { stdout: 0, stderr: 0 };
  private readonly log: Log;
  private file: RotatingFile | undefined;
  private kept: KeptWriter | undefined;
  private open = 0;
  // Called with each batch of lines (readiness by log pattern), and when a pipe closes.
  onLines: ((batch: LineBatch) => void) | undefined;
  onClosed: (() => void) | undefined;

  constructor(name: string, world: Pick<ProcessWorld, 'log' | 'sink' | 'keeper' | 'counts'>, log: Log) {
    this.name = name;
    this.world = world;
    this.log = log;
  }

  // Output pipes still open (a process that has exited may still have lines in them).
  get openPipes(): number {
    return this.open;
  }

  // Before a spawn: the output file of this definition, opened once and kept across restarts.
  prepare(d: Descriptor): void {
    if (d.output.kind !== 'file' || this.file) return;
    const path = d.output.path;
    this.file = new RotatingFile(path, { maxBytes: d.output.maxBytes, keep: d.output.keep, onError: (err) => this.log.error(`cannot write output file ${path}: ${describeError(err)}`) });
  }

  // A new definition: its output file (if any) is opened at the next start.
  reset(): void {
    this.file?.close();
    this.file = undefined;
  }

  // Gone for good: the kept lines are deleted.
  discard(): void {
    this.kept?.close();
    this.kept = undefined;
    this.world.keeper?.remove(this.name);
  }

  // Relays one of the child's pipes until it closes.
  attach(output: Output | null, stream: 'stdout' | 'stderr'): void {
    if (!output) return;
    const pipe = output.stream;
    const lines = new LineSplitter();
    if (this.world.keeper) this.kept ??= this.world.keeper.open(this.name);
    const emit = (batch: LineBatch | undefined): void => {
      if (batch === undefined) return;
      let lost = false;
      if (this.file) for (const line of batch.strings) this.file.write(stream === 'stderr' ? `[stderr] ${line}` : line);
      else {
        this.world.log.output(this.name, stream, batch);
        lost = this.world.sink?.isBroken === true;
      }
      this.kept?.block(Date.now(), stream, batch); // after the log's records: they counted the lines
      const n = batch.count;
      this.lines[stream] += n;
      const counts = this.world.counts;
      if (counts) counts[lost ? 'dropped' : 'relayed'] += n;
      this.onLines?.(batch);
    };
    output.onChunk((chunk) => emit(lines.push(chunk)));
    const flush = (): void => emit(lines.end());
    // While colony's own stdout is backed up, the pipe is paused: the child blocks on it.
    this.world.sink?.throttle(pipe);
    this.open++;
    let closed = false;
    const close = (): void => {
      if (closed) return;
      closed = true;
      this.world.sink?.release(pipe);
      this.open--;
      this.onClosed?.();
    };
    pipe.once('end', () => {
      flush();
      close();
    });
    pipe.once('close', close);
    pipe.once('error', (err) => {
      flush();
      close();
      this.log.warn(`reading ${stream} failed`, { error: describeError(err) });
    });
  }
}
