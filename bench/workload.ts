// The contract between bench/run.ts and the workloads in bench/workloads/: each workload measures colony and
// the peers doing the same work, and returns table rows (one per metric) plus its raw samples for the JSON.
import type { Peers } from './peers.ts';

export interface Ctx {
  quick: boolean; // reduced sizes (the whole bench under two minutes)
  dir: string; // a fresh temp directory for this workload
  peers: Peers; // the peers that could be installed (and why the others are skipped)
  sea: boolean; // dist/colony exists and is measured next to dist/colony.cjs
  runs?: number; // --runs N: overrides a latency workload's number of runs
  orphans?: number; // --orphans N: overrides the reap workload's storm size
  note(text: string): void; // progress, on stderr
}

// One line of the table. `values` is keyed by contender: 'colony' (node dist/colony.cjs), 'colony-sea'
// (dist/colony), and peers such as 'tini', 'dumb-init', 'supervisord', 'node' (bare Node), 'pipe' (no
// supervisor); a contender that was skipped is absent, one that cannot do the work at all is present with
// undefined (printed n/a; the notes say why). The ratio printed is values.colony / values[base].
export interface Row {
  workload: string; // e.g. '2. restart'
  metric: string; // e.g. 'median (message file)'
  unit: 'ms' | 's' | 'MiB' | 'lines/s' | 'wakeups/s' | 'count' | 'CPU ms';
  values: Record<string, number | undefined>;
  base?: string; // the contender the ratio is computed against
  goal?: string; // colony's goal for this metric, in words, e.g. '≤ 5 ms'
  met?: boolean; // whether colony met the goal in this run (reported, never enforced)
}

export interface Outcome {
  rows: Row[];
  notes?: string[]; // printed under the table: why a contender is n/a, what a figure does not say
  details: unknown; // every sample, for bench/results/*.json
}

export type Workload = (ctx: Ctx) => Promise<Outcome>;
