// colony's benchmark (`npm run bench [-- --quick] [--orphans N] [--runs N]`): runs dist/colony.cjs (and the
// single executable dist/colony) as a real PID 1 of a new PID namespace and measures orphan-reap lag (against
// tini), message → restart and file → start latencies, RSS, start-up (time to first spawn, against `node -e 0`
// and tini) and artifact sizes. Prints a table; writes bench/results/latest.json. See bench/README.md.
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, release, tmpdir, type } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { childrenOf, Fifo, killAll, median, now, percentile, Pid1, rssKiB, sleep, startTracked, stateOf, stopAll, type LogRecord } from './lib.ts';

const ROOT = resolve(import.meta.dirname, '..');
const BUNDLE = join(ROOT, 'dist', 'colony.cjs');
const SEA = join(ROOT, 'dist', 'colony');
const SEA_ARM64 = join(ROOT, 'dist', 'colony-linux-arm64');
const BUNDLE_CMD = [process.execPath, BUNDLE];
const STARTUP_GOAL = 1.5; // the project's goal: start-up within 1.5× of `node -e 0` (reported, never enforced)
const ANNOUNCE = join(import.meta.dirname, 'fixtures', 'announce.sh');
const STORM = join(import.meta.dirname, 'fixtures', 'storm.sh');
const IDLE_CHILDREN = 20;
const DETECTION =
  'the fixture (sh) writes "NAME PID" into a FIFO the bench reads through epoll, stamped on arrival with performance.now(); ' +
  'the arrival of colony\'s "started" JSON record for that pid is reported as a cross-check';

interface Options {
  orphans: number;
  storms: number;
  runs: number;
  quick: boolean;
}

// Reads --quick, --orphans N and --runs N (the number of storms is 5, 3 with --quick).
function options(argv: string[]): Options {
  const { values } = parseArgs({ args: argv, options: { quick: { type: 'boolean' }, orphans: { type: 'string' }, runs: { type: 'string' } } });
  const quick = values.quick === true;
  const count = (flag: string, value: string | undefined, fallback: number): number => {
    if (value === undefined) return fallback;
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${flag} must be a positive integer, got ${JSON.stringify(value)}`);
    return n;
  };
  return { quick, orphans: count('orphans', values.orphans, quick ? 500 : 2000), storms: quick ? 3 : 5, runs: count('runs', values.runs, quick ? 5 : 20) };
}

// Progress on stderr, so that stdout holds only the table.
function note(text: string): void {
  process.stderr.write(`· ${text}\n`);
}

// Writes a file the way a careful writer does: a dotfile temp renamed into place; returns when the rename was done.
function writeAtomically(dir: string, name: string, content: string): number {
  const temp = join(dir, `.${name}.new`);
  writeFileSync(temp, content);
  renameSync(temp, join(dir, name));
  return now();
}

interface ColonyDirs {
  config: string;
  messages: string;
  state: string;
}

// Fresh config/messages/state dirs under `dir`, the config dir holding these descriptors.
function colonyDirs(dir: string, descriptors: Record<string, string[]>): ColonyDirs {
  const [config, messages, state] = ['config', 'messages', 'state'].map((d) => join(dir, d)) as [string, string, string];
  for (const d of [config, messages, state]) mkdirSync(d, { recursive: true });
  for (const [name, args] of Object.entries(descriptors)) writeFileSync(join(config, name), JSON.stringify({ args }));
  return { config, messages, state };
}

// colony's command line: `command` (node and the bundle, or the single executable), the three dirs, JSON logs.
function colonyArgv(command: string[], d: ColonyDirs): string[] {
  return [...command, 'run', '--config', d.config, '--messages', d.messages, '--state', d.state, '--log-format', 'json'];
}

// Starts colony (by default the bundle) as PID 1, with fresh config/messages/state dirs under `dir` holding these descriptors.
function startColony(dir: string, descriptors: Record<string, string[]>, command = BUNDLE_CMD, label = 'colony'): { colony: Pid1; config: string; messages: string } {
  const dirs = colonyDirs(dir, descriptors);
  return { colony: new Pid1(label, colonyArgv(command, dirs)), config: dirs.config, messages: dirs.messages };
}

interface Storm {
  stormMs: number; // "go" written → "done" received
  reapLagMs: number; // "done" received → start of the first look that found no adopted child
  leftAtEnd: number; // adopted children (zombie or alive) at the first look after the storm's end
  peakBacklog: number; // most adopted children seen, sampled every 20 ms during the storm
}

interface StormResult {
  orphans: number;
  storms: Storm[];
  medianReapLagMs: number;
  medianStormMs: number;
  zombiesLeft: number;
}

// One storm of n orphans; `adopted` lists PID 1's children other than the fixture.
async function oneStorm(label: string, n: number, out: Fifo, go: Fifo, adopted: () => number[]): Promise<Storm> {
  const ended = out.feed.waitFor((v) => v[0] === 'done', `${label}: storm end`, 600000, out.feed.items.length);
  let finished = false;
  const over = ended.then(() => void (finished = true), () => void (finished = true));
  const started = now();
  go.send(`${n}\n`);
  let peakBacklog = 0;
  while (!finished) {
    peakBacklog = Math.max(peakBacklog, adopted().length); // one read per thread of PID 1: cheap
    await Promise.race([sleep(20), over]); // wakes at once at the storm's end
  }
  const end = (await ended).at;
  let leftAtEnd: number | undefined;
  for (;;) {
    const looked = now(); // stamped before the look, so that the look's own cost is not counted
    const left = adopted();
    leftAtEnd ??= left.length;
    if (left.length === 0) return { stormMs: end - started, reapLagMs: looked - end, leftAtEnd, peakBacklog };
    if (now() - end > 30000) {
      const zombies = left.filter((p) => stateOf(p) === 'Z').length;
      throw new Error(`${label}: ${zombies} zombie(s) and ${left.length - zombies} live orphan(s) still there 30 s after the storm`);
    }
    await sleep(1);
  }
}

// `rounds` storms of n orphans under one PID 1 (`launch` starts it with storm.sh as its child): each
// measured from the storm's end until PID 1 has no child left but the fixture (no zombie, no orphan).
async function orphanStorms(label: string, dir: string, n: number, rounds: number, launch: (out: string, go: string) => Pid1, graceful: boolean): Promise<StormResult> {
  mkdirSync(dir, { recursive: true });
  const out = new Fifo(join(dir, 'out'), true);
  const go = new Fifo(join(dir, 'go'), false);
  try {
    const pid1 = launch(out.path, go.path);
    pid1.guard(out.feed);
    await out.feed.waitFor((v) => v[0] === 'ready', `${label}: storm fixture start`, 20000);
    const host = await pid1.hostPid();
    await sleep(500); // let PID 1 finish starting up
    const baseline = new Set(childrenOf(host));
    const adopted = (): number[] => childrenOf(host).filter((p) => !baseline.has(p));
    const storms: Storm[] = [];
    for (let r = 0; r < rounds; r++) {
      storms.push(await oneStorm(label, n, out, go, adopted));
      await sleep(300);
    }
    go.send('0\n');
    await sleep(500);
    const zombiesLeft = childrenOf(host).filter((p) => stateOf(p) === 'Z').length;
    if (zombiesLeft > 0) throw new Error(`${label}: ${zombiesLeft} zombie(s) reappeared after all were reaped`);
    if (graceful) await pid1.stop();
    else {
      pid1.kill();
      await pid1.exited;
    }
    const medianOf = (k: 'reapLagMs' | 'stormMs'): number => median(storms.map((st) => st[k]));
    return { orphans: n, storms, medianReapLagMs: medianOf('reapLagMs'), medianStormMs: medianOf('stormMs'), zombiesLeft };
  } finally {
    out.close();
    go.close();
  }
}

// Finds tini, installing it with apt-get when missing (as root); returns its path or why the comparison is skipped.
function findTini(): { path: string } | { skipped: string } {
  const which = (): string => spawnSync('sh', ['-c', 'command -v tini'], { encoding: 'utf8' }).stdout.trim();
  if (which()) return { path: which() };
  if (process.getuid?.() !== 0) return { skipped: 'tini is not installed (installing it needs root)' };
  note('tini is not installed: trying apt-get install tini');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (...args: string[]): boolean => spawnSync('apt-get', args, { stdio: 'ignore', env }).status === 0;
  if (!apt('install', '-y', '-qq', 'tini') && apt('update', '-qq')) apt('install', '-y', '-qq', 'tini');
  const path = which();
  return path ? { path } : { skipped: 'tini is not installed and apt-get could not install it' };
}

interface Latencies {
  fixtureMs: number[];
  logMs: number[];
}

// Message → restart, then new descriptor → start, `runs` times each, on one colony.
async function latencies(dir: string, runs: number): Promise<{ restart: Latencies; start: Latencies }> {
  mkdirSync(dir, { recursive: true });
  const out = new Fifo(join(dir, 'out'), true);
  const announce = (name: string): string[] => ['/bin/sh', ANNOUNCE, out.path, name];
  const { colony, config, messages } = startColony(dir, { svc: announce('svc') });
  colony.guard(out.feed);
  const started = (name: string, pid: string) => (r: LogRecord) => r.msg === 'started' && r.proc === name && String(r.pid) === pid;
  try {
    let pid = (await out.feed.waitFor((v) => v[0] === 'svc', 'svc: first start', 20000)).value[1];
    await sleep(500);
    const restart: Latencies = { fixtureMs: [], logMs: [] };
    for (let i = 1; i <= runs; i++) {
      const [from, logFrom, old] = [out.feed.items.length, colony.out.items.length, pid];
      const t0 = writeAtomically(messages, `restart-${i}`, JSON.stringify({ type: 'RESTART', name: 'svc' }));
      const seen = await out.feed.waitFor((v) => v[0] === 'svc' && v[1] !== old, `restart #${i}: a new svc pid`, 10000, from);
      pid = seen.value[1]!;
      const logged = await colony.out.waitFor(started('svc', pid), `restart #${i}: colony's "started" record for pid ${pid}`, 10000, logFrom);
      restart.fixtureMs.push(seen.at - t0);
      restart.logMs.push(logged.at - t0);
      await sleep(200);
    }
    const start: Latencies = { fixtureMs: [], logMs: [] };
    for (let i = 1; i <= runs; i++) {
      const name = `new-${i}`;
      const [from, logFrom] = [out.feed.items.length, colony.out.items.length];
      const t0 = writeAtomically(config, name, JSON.stringify({ args: announce(name) }));
      const seen = await out.feed.waitFor((v) => v[0] === name, `start #${i}: ${name} running`, 10000, from);
      const logged = await colony.out.waitFor(started(name, seen.value[1]!), `start #${i}: colony's "started" record for ${name}`, 10000, logFrom);
      start.fixtureMs.push(seen.at - t0);
      start.logMs.push(logged.at - t0);
      unlinkSync(join(config, name));
      await colony.out.waitFor((r) => r.msg === 'stopped' && r.proc === name, `start #${i}: ${name} stopped after its descriptor was removed`, 10000, logFrom);
      await sleep(200);
    }
    await colony.stop();
    return { restart, start };
  } finally {
    out.close();
  }
}

interface Memory {
  colonyKiB: number; // the bundle (node dist/colony.cjs)
  seaKiB: number | undefined; // the single executable (dist/colony), when it was measured
  bareNodeKiB: number;
  children: number;
}

// VmRSS of colony's bundle and (when `sea` is set) its single executable, each with idle children, next to a
// bare Node process's: all three started together and read after the same settling time.
async function memory(dir: string, sea: boolean): Promise<Memory> {
  const bare = startTracked(process.execPath, ['-e', 'setInterval(()=>{},1e9)']);
  const names = Array.from({ length: IDLE_CHILDREN }, (_, i) => `idle-${i + 1}`);
  const descriptors = Object.fromEntries(names.map((n) => [n, ['sleep', 'infinity']]));
  const colonies = [startColony(join(dir, 'bundle'), descriptors).colony];
  if (sea) colonies.push(startColony(join(dir, 'sea'), descriptors, [SEA], 'colony (SEA)').colony);
  for (const colony of colonies) {
    for (const name of names) await colony.out.waitFor((r) => r.msg === 'started' && r.proc === name, `${colony.label}: ${name} started`, 20000);
  }
  const hosts = await Promise.all(colonies.map((c) => c.hostPid()));
  await sleep(3000);
  for (const [i, host] of hosts.entries()) {
    const running = childrenOf(host).filter((p) => ![undefined, 'Z'].includes(stateOf(p))).length;
    if (running !== IDLE_CHILDREN) throw new Error(`expected ${IDLE_CHILDREN} idle children running under ${colonies[i]!.label}, found ${running}`);
  }
  if (bare.pid === undefined || bare.exitCode !== null) throw new Error('the bare node process is not running');
  const result = { colonyKiB: rssKiB(hosts[0]!), seaKiB: hosts[1] === undefined ? undefined : rssKiB(hosts[1]), bareNodeKiB: rssKiB(bare.pid), children: IDLE_CHILDREN };
  bare.kill('SIGKILL');
  await bare.exited;
  for (const colony of colonies) await colony.stop();
  return result;
}

interface Timing {
  samplesMs: number[];
  medianMs: number;
  p95Ms: number;
}

// Median and p95 of a list of samples.
function timing(samplesMs: number[]): Timing {
  return { samplesMs, medianMs: median(samplesMs), p95Ms: percentile(samplesMs, 95) };
}

// One start-up of a PID 1 whose first child is announce.sh: from just before spawn() until that child's
// line arrives through the FIFO; then SIGTERM, which must end PID 1 with exit code 0.
async function firstSpawn(label: string, dir: string, argv: (fifo: string) => string[]): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const out = new Fifo(join(dir, 'out'), true);
  try {
    const args = argv(out.path); // files written before the clock starts
    const t0 = now();
    const pid1 = new Pid1(label, args);
    pid1.guard(out.feed);
    const seen = await out.feed.waitFor((v) => v[0] === 'svc', `${label}: first spawn`, 20000);
    await pid1.stop();
    return seen.at - t0;
  } finally {
    out.close();
  }
}

// `node -e 0`: from just before spawn() until its exit (which must be 0), the floor for any Node program's start-up.
async function bareNodeStart(): Promise<number> {
  const t0 = now();
  const child = startTracked(process.execPath, ['-e', '0']);
  let at = 0;
  child.once('exit', () => void (at = now()));
  const code = await child.exited;
  if (code !== 0) throw new Error(`node -e 0 exited with ${String(code ?? child.signalCode)}`);
  return at - t0;
}

interface Startup {
  runs: number;
  sea: Timing | undefined;
  bundle: Timing;
  nodeE0: Timing;
  tini: Timing | undefined;
}

// Time to first spawn, `runs` times (after one discarded warm-up round), each a fresh PID 1: the single
// executable, the bundle and tini running announce.sh, and `node -e 0` as the floor. The variants take turns
// within each round (in a rotating order), so that a slow patch of the machine hits them all.
async function startup(dir: string, runs: number, sea: boolean, tiniPath: string | undefined): Promise<Startup> {
  const announce = (fifo: string): string[] => ['/bin/sh', ANNOUNCE, fifo, 'svc'];
  const colony = (command: string[]) => (d: string) => (fifo: string) => colonyArgv(command, colonyDirs(d, { svc: announce(fifo) }));
  const variants: Array<{ key: keyof Omit<Startup, 'runs'>; once: (d: string) => Promise<number> }> = [
    { key: 'bundle', once: (d) => firstSpawn('colony', d, colony(BUNDLE_CMD)(d)) },
    { key: 'nodeE0', once: () => bareNodeStart() },
  ];
  if (sea) variants.push({ key: 'sea', once: (d) => firstSpawn('colony (SEA)', d, colony([SEA])(d)) });
  // tini exits with 128 + 15 when its child dies of the SIGTERM it forwarded: -e 143 maps that to 0.
  if (tiniPath) variants.push({ key: 'tini', once: (d) => firstSpawn('tini', d, (fifo) => [tiniPath, '-s', '-e', '143', '--', ...announce(fifo)]) });
  const samples = new Map(variants.map((v) => [v.key, [] as number[]]));
  for (let round = 0; round <= runs; round++) {
    for (let k = 0; k < variants.length; k++) {
      const v = variants[(round + k) % variants.length]!;
      const took = await v.once(join(dir, `${v.key}-${round}`));
      if (round > 0) samples.get(v.key)!.push(took);
    }
  }
  const of = (key: keyof Omit<Startup, 'runs'>): Timing | undefined => (samples.has(key) ? timing(samples.get(key)!) : undefined);
  return { runs, sea: of('sea'), bundle: of('bundle')!, nodeE0: of('nodeE0')!, tini: of('tini') };
}

interface ArtifactSize {
  file: string; // relative to the repository
  bytes: number;
  gzipBytes: number; // zlib level 6, as `gzip -6`
}

// A file's size and gzip -6 size (streamed through zlib).
async function sizeOf(file: string): Promise<ArtifactSize> {
  let gzipBytes = 0;
  const count = new Writable({
    write(chunk: Buffer, _encoding, done) {
      gzipBytes += chunk.length;
      done();
    },
  });
  await pipeline(createReadStream(file), createGzip({ level: 6 }), count);
  return { file: relative(ROOT, file), bytes: statSync(file).size, gzipBytes };
}

// The sizes of the artifacts: the single executables, the bundle and the koffi native modules beside it.
async function artifactSizes(): Promise<ArtifactSize[]> {
  const koffiDir = join(ROOT, 'dist', 'koffi');
  const koffi = existsSync(koffiDir) ? readdirSync(koffiDir).sort().map((t) => join(koffiDir, t, 'koffi.node')) : [];
  const files = [SEA, SEA_ARM64, BUNDLE, ...koffi].filter((f) => existsSync(f));
  const sizes: ArtifactSize[] = [];
  for (const f of files) sizes.push(await sizeOf(f));
  return sizes;
}

// Whether the single executable embeds the current bundle (its main script is stored verbatim), i.e. is not stale.
function seaEmbedsBundle(): boolean {
  return readFileSync(SEA).indexOf(readFileSync(BUNDLE)) >= 0;
}

// Formatting for the table.
const ms = (x: number): string => `${x < 10 ? x.toFixed(2) : x < 100 ? x.toFixed(1) : x.toFixed(0)} ms`;
const mib = (kib: number): string => `${(kib / 1024).toFixed(1)} MiB`;
const bytes = (n: number): string => (n >= 1024 * 1024 ? mib(n / 1024) : `${(n / 1024).toFixed(0)} KiB`);
const spread = (t: Timing): string => `${ms(t.medianMs)} / ${ms(t.p95Ms)}`;
const ratio = (a: number, b: number): string => (b > 0 ? `${(a / b).toFixed(2)}×` : 'n/a');

// Prints rows as aligned columns.
function table(rows: string[][]): void {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  for (const r of rows) console.log(r.map((cell, c) => cell.padEnd(widths[c]!)).join('  ').trimEnd());
}

// Runs every measurement, prints the table, writes the JSON.
async function main(): Promise<void> {
  const opts = options(process.argv.slice(2));
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
  if (!sea) note('dist/colony is missing (`npm run build:sea`): the single-executable rows are skipped');
  else if (!seaCurrent) note('dist/colony does not embed the current dist/colony.cjs (stale: rebuild with `npm run build:sea`); measuring it anyway');
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', kernel: `${type()} ${release()}`, node: process.version, date: new Date().toISOString(), loadavg: loadavg() };

  const storms = `${opts.storms} storms of ${opts.orphans} orphans`;
  note(`${storms} under colony`);
  const underColony = (out: string, go: string): Pid1 => startColony(join(work, 'storm-colony'), { storm: ['/bin/sh', STORM, out, go] }).colony;
  const stormColony = await orphanStorms('colony', join(work, 'storm-colony'), opts.orphans, opts.storms, underColony, true);
  const tini = findTini();
  let stormTini: StormResult | undefined;
  if ('path' in tini) {
    note(`${storms} under tini`);
    const underTini = (out: string, go: string): Pid1 => new Pid1('tini', [tini.path, '-s', '--', '/bin/sh', STORM, out, go]);
    stormTini = await orphanStorms('tini', join(work, 'storm-tini'), opts.orphans, opts.storms, underTini, false);
  } else note(`tini comparison skipped: ${tini.skipped}`);
  note(`message → restart and file → start, ${opts.runs} runs each`);
  const lat = await latencies(join(work, 'latency'), opts.runs);
  note(`RSS with ${IDLE_CHILDREN} idle children`);
  const mem = await memory(join(work, 'memory'), sea);
  note(`start-up (exec → first child running), ${opts.runs} runs + 1 warm-up, each a fresh PID 1`);
  const up = await startup(join(work, 'startup'), opts.runs, sea, 'path' in tini ? tini.path : undefined);
  note('artifact sizes (gzip -6)');
  const sizes = await artifactSizes();

  const summary = (l: Latencies) => ({ medianMs: median(l.fixtureMs), p95Ms: percentile(l.fixtureMs, 95), logMedianMs: median(l.logMs), logP95Ms: percentile(l.logMs, 95), ...l });
  const results = {
    machine,
    options: opts,
    detection: DETECTION,
    orphans: { colony: stormColony, tini: stormTini ?? tini, lagRatio: stormTini ? stormColony.medianReapLagMs / stormTini.medianReapLagMs : null },
    restart: summary(lat.restart),
    start: summary(lat.start),
    rss: { ...mem, ratio: mem.colonyKiB / mem.bareNodeKiB, seaRatio: mem.seaKiB === undefined ? null : mem.seaKiB / mem.bareNodeKiB },
    startup: {
      ...up,
      seaRatio: up.sea ? up.sea.medianMs / up.nodeE0.medianMs : null,
      bundleRatio: up.bundle.medianMs / up.nodeE0.medianMs,
      goalRatio: STARTUP_GOAL,
    },
    sizes,
    seaCurrent: seaCurrent ?? null,
  };
  mkdirSync(join(import.meta.dirname, 'results'), { recursive: true });
  writeFileSync(join(import.meta.dirname, 'results', 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);

  const [c, t] = [stormColony, stormTini];
  const peer = (f: (r: StormResult) => string): string => (t ? `tini ${f(t)}` : '');
  const leftAtEnd = (r: StormResult): string => String(median(r.storms.map((st) => st.leftAtEnd)));
  const peak = (r: StormResult): string => String(Math.max(...r.storms.map((st) => st.peakBacklog)));
  console.log(`\ncolony benchmark: ${machine.cores} cores (${machine.cpu}), ${machine.kernel}, Node ${machine.node}, ${machine.date}, load ${machine.loadavg.map((x) => x.toFixed(2)).join(' ')}\n`);
  table([
    ['measurement', 'colony', 'peer', 'colony/peer'],
    [`orphan reap lag, median of ${storms}`, ms(c.medianReapLagMs), t ? peer((r) => ms(r.medianReapLagMs)) : `tini skipped: ${'skipped' in tini ? tini.skipped : ''}`, t ? ratio(c.medianReapLagMs, t.medianReapLagMs) : ''],
    ['  orphans left at the storm\'s end (median)', leftAtEnd(c), peer(leftAtEnd), ''],
    ['  peak orphan backlog (max, sampled / 20 ms)', peak(c), peer(peak), ''],
    ['  storm duration (median)', ms(c.medianStormMs), peer((r) => ms(r.medianStormMs)), t ? ratio(c.medianStormMs, t.medianStormMs) : ''],
    ['  zombies left', String(c.zombiesLeft), peer((r) => String(r.zombiesLeft)), ''],
    [`message → restart, median / p95 (${opts.runs} runs)`, `${ms(results.restart.medianMs)} / ${ms(results.restart.p95Ms)}`, '', ''],
    ['  seen by colony\'s "started" record', `${ms(results.restart.logMedianMs)} / ${ms(results.restart.logP95Ms)}`, '', ''],
    [`file → start, median / p95 (${opts.runs} runs)`, `${ms(results.start.medianMs)} / ${ms(results.start.p95Ms)}`, '', ''],
    ['  seen by colony\'s "started" record', `${ms(results.start.logMedianMs)} / ${ms(results.start.logP95Ms)}`, '', ''],
    [`RSS (VmRSS) with ${IDLE_CHILDREN} idle children, bundle`, mib(mem.colonyKiB), `bare node ${mib(mem.bareNodeKiB)}`, ratio(mem.colonyKiB, mem.bareNodeKiB)],
    ['  single executable (dist/colony)', mem.seaKiB === undefined ? 'skipped' : mib(mem.seaKiB), mem.seaKiB === undefined ? '' : `bare node ${mib(mem.bareNodeKiB)}`, mem.seaKiB === undefined ? '' : ratio(mem.seaKiB, mem.bareNodeKiB)],
    [`start-up, exec → first child running, median / p95 (${up.runs} runs)`, '', '', ''],
    ['  single executable (dist/colony)', up.sea ? spread(up.sea) : 'skipped', up.sea ? `node -e 0 ${spread(up.nodeE0)}` : '', up.sea ? ratio(up.sea.medianMs, up.nodeE0.medianMs) : ''],
    ['  bundle (node dist/colony.cjs)', spread(up.bundle), `node -e 0 ${spread(up.nodeE0)}`, ratio(up.bundle.medianMs, up.nodeE0.medianMs)],
    ['  tini -s running announce.sh (reference)', '', up.tini ? `tini ${spread(up.tini)}` : 'tini skipped', ''],
    ['artifact size', 'bytes', 'gzip -6', ''],
    ...sizes.map((a) => [`  ${a.file}`, bytes(a.bytes), bytes(a.gzipBytes), '']),
  ]);
  if (t && [c, t].every((r) => r.storms.every((st) => st.leftAtEnd === 0))) {
    console.log('\nboth inits had reaped every orphan by the time the storm ended: the lag is the bench\'s own reaction time and its ratio is noise.');
  }
  const goal = (label: string, t: Timing | undefined): string =>
    t ? `${label} ${ratio(t.medianMs, up.nodeE0.medianMs)} (${t.medianMs / up.nodeE0.medianMs <= STARTUP_GOAL ? 'within' : 'outside'})` : `${label} skipped`;
  console.log(`\nstart-up against the goal of ${STARTUP_GOAL}× \`node -e 0\` (exec → exit), medians: ${goal('single executable', up.sea)}, ${goal('bundle', up.bundle)}; reported, not enforced.`);
  if (up.tini) console.log(`tini's row is the fixed cost of unshare + sh + the FIFO: colony's own share is its row minus tini's.`);
  if (seaCurrent === false) console.log('dist/colony does not embed the current dist/colony.cjs: it is stale (rebuild with `npm run build:sea`).');
  console.log(`\nlatency detection: ${DETECTION}.`);
  console.log(`written: ${join(import.meta.dirname, 'results', 'latest.json')}`);
}

main().then(
  async () => {
    await stopAll();
    process.exit(0);
  },
  async (err: unknown) => {
    console.error(`\nbench failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  },
);
