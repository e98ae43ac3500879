// colony's benchmark (`npm run bench [-- --quick] [--only reap,restart,...] [--runs N] [--orphans N] [--scrape]`): runs
// the workloads of bench/workloads/ in order (colony and its peers doing the same work, each as PID 1 of its
// own PID namespace), prints one table on stdout (progress goes to stderr), and writes every sample with the
// machine to bench/results/latest.json and a dated copy. A workload that throws fails the bench (after the
// others ran); timing never does. See bench/README.md.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, type } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BUNDLE, killAll, SEA, scrapeEveryColony, stopAll } from './lib.ts';
import { ensurePeers, type Peers } from './peers.ts';
import { artifactSizes, seaEmbedsBundle, type ArtifactSize } from './sizes.ts';
import type { Ctx, Outcome, Row, Workload } from './workload.ts';

// The workloads, in the order they run (numbered as in bench/README.md): each is bench/workloads/KEY.ts exporting `run`.
const WORKLOADS = ['reap', 'restart', 'add', 'signal', 'stop', 'startup', 'idle', 'memory', 'relay', 'scale', 'logs', 'ready'];
const SIZES = 'sizes'; // the artifact sizes, selectable with --only too
const PEER_ORDER = ['tini', 'dumb-init', 'supervisord', 'node', 'pipe', 'floor']; // the table's peer columns (others follow)
const RESULTS = join(import.meta.dirname, 'results');

interface Options {
  quick: boolean;
  only: string[]; // workload keys (and/or 'sizes'), in run order
  runs: number | undefined;
  orphans: number | undefined;
  scrape: boolean; // every colony serves --metrics, scraped 10 times a second (lib.ts)
}

// Reads --quick, --only a,b, --runs N, --orphans N and --scrape.
function options(argv: string[]): Options {
  const { values } = parseArgs({ args: argv, options: { quick: { type: 'boolean' }, only: { type: 'string' }, runs: { type: 'string' }, orphans: { type: 'string' }, scrape: { type: 'boolean' } } });
  const count = (flag: string, value: string | undefined): number | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
  const known = [...WORKLOADS, SIZES];
  const only = values.only === undefined ? known : values.only.split(',').map((k) => k.trim());
  const unknown = only.filter((k) => !known.includes(k));
  if (unknown.length > 0) throw new Error(`--only: unknown workload(s) ${unknown.join(', ')} (known: ${known.join(', ')})`);
  return { quick: values.quick === true, only: known.filter((k) => only.includes(k)), runs: count('runs', values.runs), orphans: count('orphans', values.orphans), scrape: values.scrape === true };
}

// Progress on stderr, so that stdout holds only the table.
function note(text: string): void {
  process.stderr.write(`· ${text}\n`);
}

type Result = { seconds: number } & ({ outcome: Outcome } | { error: string } | { skipped: string });

// Runs one workload (its module, when it exists) in a fresh directory; whatever it started is killed afterwards.
async function runWorkload(key: string, ctx: Omit<Ctx, 'dir'>, work: string): Promise<Result> {
  const file = join(import.meta.dirname, 'workloads', `${key}.ts`);
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  if (!existsSync(file)) return { seconds: 0, skipped: `bench/workloads/${key}.ts does not exist` };
  note(`workload ${key}`);
  try {
    const { run } = (await import(file)) as { run?: Workload };
    if (typeof run !== 'function') throw new Error(`bench/workloads/${key}.ts exports no run()`);
    const dir = join(work, key);
    mkdirSync(dir);
    const outcome = await run({ ...ctx, dir });
    note(`workload ${key}: ${seconds().toFixed(1)} s`);
    return { seconds: seconds(), outcome };
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    note(`workload ${key} FAILED: ${error}`);
    return { seconds: seconds(), error };
  } finally {
    await stopAll();
  }
}

// A value in its unit, for the table.
function format(x: number, unit: Row['unit']): string {
  switch (unit) {
    case 'ms':
      return `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)} ms`;
    case 's':
      return `${x.toFixed(2)} s`;
    case 'MiB':
      return `${x.toFixed(1)} MiB`;
    case 'lines/s':
      return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M/s` : `${(x / 1e3).toFixed(0)}k/s`;
    case 'wakeups/s':
      return `${x.toFixed(2)}/s`;
    case 'count':
      return String(Math.round(x));
    case 'CPU ms':
      return `${x.toFixed(0)} CPU ms`;
  }
}

const bytes = (n: number): string => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : `${(n / 1024).toFixed(0)} KiB`);

// Prints rows as aligned columns.
function printColumns(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
}

// The table: one line per row of every workload (a failed or skipped workload gets one line saying so).
function printTable(results: Array<[string, Result]>): void {
  const rows = results.flatMap(([, r]) => ('outcome' in r ? r.outcome.rows : []));
  const rank = (k: string): number => (PEER_ORDER.includes(k) ? PEER_ORDER.indexOf(k) : PEER_ORDER.length);
  const peers = [...new Set(rows.flatMap((r) => Object.keys(r.values)))].filter((k) => k !== 'colony' && k !== 'colony-sea').sort((a, b) => rank(a) - rank(b));
  const cell = (row: Row, key: string): string => {
    if (!(key in row.values)) return '';
    const v = row.values[key];
    return v === undefined ? 'n/a' : format(v, row.unit);
  };
  const ratio = (row: Row): string => {
    const [c, b] = [row.values.colony, row.base === undefined ? undefined : row.values[row.base]];
    return c === undefined || b === undefined || b === 0 ? '' : `${(c / b).toFixed(2)}× ${row.base}`;
  };
  const lines = [['workload', 'metric', 'colony', 'colony SEA', ...peers, 'colony/base', 'goal', 'met']];
  for (const [key, r] of results) {
    const title = `${WORKLOADS.indexOf(key) + 1}. ${key}`;
    if ('error' in r) lines.push([title, `FAILED: ${r.error.length > 100 ? `${r.error.slice(0, 100)}…` : r.error}`]);
    else if ('skipped' in r) lines.push([title, `skipped: ${r.skipped}`]);
    else {
      for (const row of r.outcome.rows) {
        const met = row.met === undefined ? '' : row.met ? 'yes' : 'NO';
        lines.push([row.workload, row.metric, cell(row, 'colony'), cell(row, 'colony-sea'), ...peers.map((p) => cell(row, p)), ratio(row), row.goal ?? '', met]);
      }
    }
  }
  printColumns(lines);
}

// The artifact sizes, after the table.
function printSizes(sizes: ArtifactSize[]): void {
  console.log('');
  printColumns([['artifact', 'bytes', 'gzip -6'], ...sizes.map((a) => [a.file, bytes(a.bytes), bytes(a.gzipBytes)])]);
}

// Runs the workloads selected, prints the table, writes the JSON; resolves with whether every workload worked.
async function main(): Promise<boolean> {
  const opts = options(process.argv.slice(2));
  if (opts.scrape) scrapeEveryColony();
  if (!existsSync(BUNDLE)) throw new Error('dist/colony.cjs is missing: run `npm run build` first');
  const work = mkdtempSync(join(tmpdir(), 'colony-bench-'));
  process.on('exit', () => {
    killAll();
    rmSync(work, { recursive: true, force: true });
  });
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      note(`${sig}: stopping everything started`);
      void stopAll().then(() => process.exit(130));
    });
  }
  const sea = existsSync(SEA);
  const seaCurrent = sea ? seaEmbedsBundle() : undefined;
  if (!sea) note('dist/colony is missing (`npm run build:sea`): the single-executable figures are skipped');
  else if (!seaCurrent) note('dist/colony does not embed the current dist/colony.cjs (stale: rebuild with `npm run build:sea`); measuring it anyway');
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', kernel: `${type()} ${release()}`, node: process.version, date: new Date().toISOString(), loadavg: loadavg() };
  const peers: Peers = ensurePeers(note);
  for (const [peer, why] of Object.entries(peers.skipped)) note(`${peer} skipped: ${why}`);

  const ctx: Omit<Ctx, 'dir'> = { quick: opts.quick, peers, sea, runs: opts.runs, orphans: opts.orphans, note };
  const results: Array<[string, Result]> = [];
  for (const key of opts.only.filter((k) => k !== SIZES)) results.push([key, await runWorkload(key, ctx, work)]);
  let sizes: ArtifactSize[] | undefined;
  if (opts.only.includes(SIZES)) {
    note('artifact sizes (gzip -6)');
    sizes = await artifactSizes();
  }

  const loadAfter = loadavg();
  console.log(
    `\ncolony benchmark${opts.quick ? ' (--quick)' : ''}: ${machine.cores} cores (${machine.cpu}), ${machine.kernel}, Node ${machine.node}, ${machine.date}, ` +
      `load ${machine.loadavg.map((x) => x.toFixed(2)).join(' ')} before, ${loadAfter.map((x) => x.toFixed(2)).join(' ')} after\n`,
  );
  printTable(results);
  const notes = [
    'colony = node dist/colony.cjs, colony SEA = dist/colony; colony/base = colony\'s value over the named contender\'s; goals are reported, never enforced.',
    ...results.flatMap(([, r]) => ('outcome' in r ? (r.outcome.notes ?? []) : [])),
    ...Object.entries(peers.skipped).map(([peer, why]) => `${peer} skipped: ${why}.`),
  ];
  if (seaCurrent === false) notes.push('dist/colony does not embed the current dist/colony.cjs: it is stale (rebuild with `npm run build:sea`).');
  console.log(`\n${notes.map((n) => `- ${n}`).join('\n')}`);
  if (sizes) printSizes(sizes);

  const json = {
    machine: { ...machine, loadavgAfter: loadAfter },
    options: opts,
    peers,
    sea: { present: sea, current: seaCurrent ?? null },
    workloads: Object.fromEntries(results),
    sizes: sizes ?? null,
  };
  mkdirSync(RESULTS, { recursive: true });
  const text = `${JSON.stringify(json, null, 2)}\n`;
  const dated = join(RESULTS, `${machine.date.replace(/\.\d+Z$/, 'Z').replaceAll(':', '-')}.json`);
  for (const file of [join(RESULTS, 'latest.json'), dated]) writeFileSync(file, text);
  console.log(`\nwritten: ${join(RESULTS, 'latest.json')} and ${dated}`);
  const failed = results.filter(([, r]) => 'error' in r).map(([k]) => k);
  if (failed.length > 0) console.error(`\nbench failed: workload(s) ${failed.join(', ')} broke (see above)`);
  return failed.length === 0;
}

main().then(
  async (ok) => {
    await stopAll();
    process.exit(ok ? 0 : 1);
  },
  async (err: unknown) => {
    console.error(`\nbench failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  },
);
