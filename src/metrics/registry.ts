// colony's metrics, in prom-client's registry: every value is read from the supervisor when a scrape
// asks (collect), so supervision does no metrics work between scrapes. Per process (labels `name`,
// `group`: its groups joined by ","), and for colony itself; Node's own (RSS, CPU, heap, fds) from
// prom-client's collectors — all but the event-loop-lag one, whose 10 ms timer would wake an idle colony.
import { Counter, Gauge, Registry } from 'prom-client';
import processCpuTotal from 'prom-client/lib/metrics/processCpuTotal.js';
import processStartTime from 'prom-client/lib/metrics/processStartTime.js';
import osMemoryHeap from 'prom-client/lib/metrics/osMemoryHeap.js';
import processOpenFileDescriptors from 'prom-client/lib/metrics/processOpenFileDescriptors.js';
import processMaxFileDescriptors from 'prom-client/lib/metrics/processMaxFileDescriptors.js';
import heapSizeAndUsed from 'prom-client/lib/metrics/heapSizeAndUsed.js';
import version from 'prom-client/lib/metrics/version.js';
import { EXIT_REASONS, type ExitReason } from '../process/exit-reason.ts';
import type { Phase } from '../process/state.ts';

// What a scrape reads of one process.
export interface ProcessView {
  name: string;
  groups: readonly string[];
  phase: Phase;
  ready: boolean;
  healthy: boolean | undefined; // undefined: no health check
  startedAt: number | undefined; // wall-clock ms of the current run's start
  lastExitCode: number | undefined;
  restarts: number;
  exits: ReadonlyMap<ExitReason, number>;
  lines: Readonly<{ stdout: number; stderr: number }>;
}

// What a scrape reads of colony.
export interface MetricsSource {
  processes(): ProcessView[];
  orphansReaped(): number;
  messages(): { handled: number; rejected: number };
  badDescriptors(): number;
  output(): { relayed: number; dropped: number };
  // sd_notify messages: taken by the process they came from, or ignored (no supervised sender).
  notify(): { taken: number; ignored: number };
}

const NODE_COLLECTORS = [processCpuTotal, processStartTime, osMemoryHeap, processOpenFileDescriptors, processMaxFileDescriptors, heapSizeAndUsed, version];

export function metricsRegistry(source: MetricsSource): Registry {
  const registry = new Registry();
  const registers = [registry];
  const perProcess = ['name', 'group'] as const;
  const labels = (p: ProcessView): { name: string; group: string } => ({ name: p.name, group: p.groups.join(',') });
  // A gauge or counter per process, filled from the processes that exist at scrape time.
  const each = (kind: 'gauge' | 'counter', name: string, help: string, value: (p: ProcessView) => number | undefined): void => {
    const fill = (set: (l: { name: string; group: string }, v: number) => void): void => {
      for (const p of source.processes()) {
        const v = value(p);
        if (v !== undefined) set(labels(p), v);
      }
    };
    if (kind === 'gauge') new Gauge({ name, help, labelNames: perProcess, registers, collect() { this.reset(); fill((l, v) => this.set(l, v)); } });
    else new Counter({ name, help, labelNames: perProcess, registers, collect() { this.reset(); fill((l, v) => this.inc(l, v)); } });
  };
  each('gauge', 'colony_process_up', 'Whether the process is running (1) or not (0).', (p) => (p.phase === 'running' ? 1 : 0));
  each('gauge', 'colony_process_ready', 'Whether the process is running and ready (its ready probe passed, or it has none).', (p) => (p.phase === 'running' && p.ready ? 1 : 0));
  each('gauge', 'colony_process_healthy', 'Whether the process\'s health check passes (1) or not (0); absent without a health check.', (p) => (p.healthy === undefined ? undefined : p.healthy ? 1 : 0));
  each('gauge', 'colony_process_failed', 'Whether colony gave up restarting the process (max_fast_restarts fast deaths in a row).', (p) => (p.phase === 'failed' ? 1 : 0));
  each('gauge', 'colony_process_start_time_seconds', 'Start time of the process\'s current run, in seconds since the epoch.', (p) => (p.startedAt === undefined ? undefined : p.startedAt / 1000));
  each('gauge', 'colony_process_last_exit_code', 'Exit code of the process\'s last run (absent before its first exit or when a signal ended it).', (p) => p.lastExitCode);
  each('counter', 'colony_process_restarts_total', 'Starts of the process after its first.', (p) => p.restarts);
  new Counter({
    name: 'colony_process_exits_total',
    help: 'Runs of the process that ended, by reason: requested (stopped or restarted by colony), success, failure (another exit code), signal, spawn_error.',
    labelNames: [...perProcess, 'reason'],
    registers,
    collect() {
      this.reset();
      for (const p of source.processes()) for (const reason of EXIT_REASONS) this.inc({ ...labels(p), reason }, p.exits.get(reason) ?? 0);
    },
  });
  new Counter({
    name: 'colony_process_output_lines_total',
    help: 'Lines the process printed, by stream.',
    labelNames: [...perProcess, 'stream'],
    registers,
    collect() {
      this.reset();
      for (const p of source.processes()) for (const stream of ['stdout', 'stderr'] as const) this.inc({ ...labels(p), stream }, p.lines[stream]);
    },
  });
  const total = (name: string, help: string, value: () => number, labelNames: string[] = []): void => {
    new Counter({ name, help, labelNames, registers, collect() { this.reset(); this.inc(value()); } });
  };
  total('colony_orphans_reaped_total', 'Orphaned processes colony reaped (children it did not start).', () => source.orphansReaped());
  new Counter({
    name: 'colony_messages_total',
    help: 'Control messages (colony ctl, NColony messages) by outcome: handled or rejected.',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      const m = source.messages();
      this.inc({ outcome: 'handled' }, m.handled);
      this.inc({ outcome: 'rejected' }, m.rejected);
    },
  });
  new Counter({
    name: 'colony_notify_messages_total',
    help: 'sd_notify messages over NOTIFY_SOCKET by outcome: taken by the process they came from, or ignored (the sender is no supervised process nor one of their descendants).',
    labelNames: ['outcome'],
    registers,
    collect() {
      this.reset();
      const n = source.notify();
      this.inc({ outcome: 'taken' }, n.taken);
      this.inc({ outcome: 'ignored' }, n.ignored);
    },
  });
  new Gauge({ name: 'colony_bad_descriptors', help: 'Descriptor files in the config directory that are refused (each named in the log).', registers, collect() { this.set(source.badDescriptors()); } });
  total('colony_output_lines_total', 'Lines of the processes relayed to colony\'s log or their output files.', () => source.output().relayed);
  total('colony_output_dropped_lines_total', 'Lines lost because colony\'s stdout cannot be written (EPIPE, EBADF).', () => source.output().dropped);
  for (const collector of NODE_COLLECTORS) collector(registry, {});
  return registry;
}
