// Workload 6, start-up: exec → first child running. Each run is a fresh PID 1 whose only child is
// announce.sh; timed from just before spawn() of `unshare …` until the fixture's line arrives through the
// FIFO; then SIGTERM, after which PID 1 must exit cleanly. The single executable and the bundle, next to
// `node -e 0` (spawn → exit, no unshare, no fixture: the floor for any Node program), and tini and dumb-init
// running announce.sh (the fixed cost of unshare + sh + the FIFO, which colony's rows include too).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { announce, BUNDLE_CMD, colonyArgv, colonyDirs, colonyMeets, Fifo, now, Pid1, ROOT, SEA, startTracked, takeTurns, valuesOf, type Timing } from '../lib.ts';
import type { Row, Workload } from '../workload.ts';

const FLOOR = join(ROOT, 'bench/floors/init.cjs');
const GOAL = 1.5; // within 1.5× of `node -e 0`
const CHECK_GOAL = 1.3; // ctl check: within 1.3× of `node -e 0`

// One start-up of the PID 1 `launch` makes (given the FIFO), which must exit with `expected` on SIGTERM.
async function firstSpawn(dir: string, launch: (fifo: string) => Pid1, expected: number): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const out = new Fifo(join(dir, 'out'), true);
  try {
    const t0 = now();
    const pid1 = launch(out.path);
    pid1.guard(out.feed);
    const seen = await out.feed.waitFor((v) => v[0] === 'svc', `${pid1.label}: first spawn`, 20000);
    await pid1.stop(15000, expected);
    return seen.at - t0;
  } finally {
    out.close();
  }
}

// `node -e 0`: from just before spawn() until its exit (which must be 0).
async function bareNodeStart(): Promise<number> {
  const t0 = now();
  const child = startTracked(process.execPath, ['-e', '0']);
  let at = 0;
  child.once('exit', () => void (at = now()));
  const code = await child.exited;
  if (code !== 0) throw new Error(`node -e 0 exited with ${String(code ?? child.signalCode)}`);
  return at - t0;
}

// `colony ctl check` against a state file that says colony runs and nothing is critical (what every
// HEALTHCHECK and probe runs): from just before spawn() until its exit, which must be 0.
async function ctlCheck(command: string[], state: string): Promise<number> {
  const t0 = now();
  const child = startTracked(command[0]!, [...command.slice(1), 'ctl', '--state', state, 'check']);
  let at = 0;
  child.once('exit', () => void (at = now()));
  const code = await child.exited;
  if (code !== 0) throw new Error(`${command.join(' ')} ctl check exited with ${String(code ?? child.signalCode)}`);
  return at - t0;
}

// A state directory as a running colony (this bench process stands for it) writes it.
function checkState(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const started = new Date().toISOString();
  const procStart = readFileSync('/proc/self/stat', 'latin1').split(') ')[1]!.split(' ')[19]!;
  writeFileSync(join(dir, 'status.json'), JSON.stringify({ colony: { pid: process.pid, version: 'bench', started, procStart, mode: 'child', updated: started, shuttingDown: false }, processes: [] }));
  return dir;
}

// The test suite's pseudo-terminal (a pty as `docker run -it` gives; `setsid -c` makes it PID 1's).
const PTY = join(ROOT, 'test/helpers/pty.py');
// Debian's python3 runs it: a version manager's shim in PATH would add its own start to every row.
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';

// On a terminal: from just before spawn() of the pty until the main command (`init ... -- sh`) has
// written "main PID" into the FIFO; the command then exits, and so must the init, with 0.
async function onTerminal(dir: string, init: (dirs: string) => string[]): Promise<number> {
  mkdirSync(dir, { recursive: true });
  const out = new Fifo(join(dir, 'out'), true);
  try {
    const main = ['/bin/sh', '-c', `printf 'main %s\\n' $$ > '${out.path}'`];
    const t0 = now();
    const child = startTracked(PYTHON, [PTY, '--', 'unshare', '--pid', '--fork', '--mount-proc', 'setsid', '-c', ...init(dir), ...main]);
    const seen = await out.feed.waitFor((v) => v[0] === 'main', 'terminal: the main command running', 20000);
    const code = await Promise.race([child.exited, new Promise((r) => setTimeout(() => r('timeout'), 15000))]);
    if (code !== 0) throw new Error(`on a terminal: ${init(dir).join(' ')} ended with ${String(code)}`);
    return seen.at - t0;
  } finally {
    out.close();
  }
}

export const run: Workload = async (ctx) => {
  const runs = ctx.runs ?? (ctx.quick ? 5 : 20);
  const { tini, dumbInit } = ctx.peers;
  // colony's command line is built before the clock starts (its descriptor written into a fresh config dir).
  const colony = (key: string, command: string[]) => (round: number) => {
    const d = join(ctx.dir, `${key}-${round}`);
    const argv = colonyArgv(command, colonyDirs(d, { svc: announce(join(d, 'out'), 'svc') }));
    return firstSpawn(d, () => new Pid1(key, argv), 0);
  };
  const peer = (key: string, argv: (fifo: string) => string[], expected: number) => (round: number) =>
    firstSpawn(join(ctx.dir, `${key}-${round}`), (fifo) => new Pid1(key, argv(fifo), 'ignore'), expected);
  const variants = [
    { key: 'colony', once: colony('colony', BUNDLE_CMD) },
    { key: 'node', once: bareNodeStart },
  ];
  if (ctx.sea) variants.push({ key: 'colony-sea', once: colony('colony-sea', [SEA]) });
  // The floor: a Node script that only spawns the fixture, relays its output and passes SIGTERM on.
  variants.push({ key: 'node floor', once: peer('node floor', (fifo) => [process.execPath, FLOOR, ...announce(fifo, 'svc')], 0) });
  // tini's -e 143 maps the exit status of its SIGTERM-ed child to 0; dumb-init exits with it (128 + 15).
  if (tini) variants.push({ key: 'tini', once: peer('tini', (fifo) => [tini, '-s', '-e', '143', '--', ...announce(fifo, 'svc')], 0) });
  if (dumbInit) variants.push({ key: 'dumb-init', once: peer('dumb-init', (fifo) => [dumbInit, ...announce(fifo, 'svc')], 143) });
  ctx.note(`startup: ${runs} runs + 1 warm-up of ${variants.map((v) => v.key).join(', ')}, each a fresh PID 1`);
  const t: Record<string, Timing> = await takeTurns(runs, variants, 1);

  // The main command on a terminal: colony's launcher hands it the terminal (one more start of
  // colony's executable); tini does tcsetpgrp in its child; 'bare' is the command alone (the fixed cost
  // of the pty, unshare and setsid); 'no terminal' is colony with stdin from /dev/null (no launcher).
  const colonyMain = (command: string[]) => (dir: string) => [...colonyArgv(command, colonyDirs(dir, {})), '--'];
  const term = [
    { key: 'colony', once: (r: number) => onTerminal(join(ctx.dir, `term-colony-${r}`), colonyMain(BUNDLE_CMD)) },
    { key: 'bare', once: (r: number) => onTerminal(join(ctx.dir, `term-bare-${r}`), () => []) },
  ];
  if (ctx.sea) {
    term.push({ key: 'colony-sea', once: (r) => onTerminal(join(ctx.dir, `term-sea-${r}`), colonyMain([SEA])) });
    term.push({ key: 'no terminal', once: (r) => onTerminal(join(ctx.dir, `term-sea-null-${r}`), (dir) => ['/bin/sh', '-c', 'exec "$@" </dev/null', 'sh', ...colonyMain([SEA])(dir)]) });
  }
  if (tini) term.push({ key: 'tini', once: (r) => onTerminal(join(ctx.dir, `term-tini-${r}`), () => [tini, '--']) });
  ctx.note(`startup on a terminal: ${runs} runs + 1 warm-up of ${term.map((v) => v.key).join(', ')}`);
  const tt: Record<string, Timing> = await takeTurns(runs, term, 1);

  // ctl check, as a HEALTHCHECK runs it, beside `node -e 0` (no unshare here: both are plain spawns).
  const state = checkState(join(ctx.dir, 'check-state'));
  const checks = [
    { key: 'colony', once: () => ctlCheck(BUNDLE_CMD, state) },
    { key: 'node', once: bareNodeStart },
  ];
  if (ctx.sea) checks.push({ key: 'colony-sea', once: () => ctlCheck([SEA], state) });
  ctx.note(`ctl check: ${runs} runs + 1 warm-up of ${checks.map((v) => v.key).join(', ')}`);
  const tc: Record<string, Timing> = await takeTurns(runs, checks, 1);

  const workload = '6. startup';
  const median = valuesOf(t, (x) => x.medianMs);
  const rows: Row[] = [
    { workload, metric: `exec → first child running, median of ${runs}`, unit: 'ms', values: median, base: 'node', goal: `≤ ${GOAL}× node -e 0`, met: colonyMeets(median, (v) => v <= GOAL * median.node!) },
    { workload, metric: '  p95', unit: 'ms', values: valuesOf(t, (x) => x.p95Ms), base: 'node' },
    { workload, metric: `on a terminal: exec → main command running, median of ${runs}`, unit: 'ms', values: valuesOf(tt, (x) => x.medianMs), base: 'tini' },
    { workload, metric: `\`colony ctl check\` (spawn → exit 0), median of ${runs}`, unit: 'ms', values: valuesOf(tc, (x) => x.medianMs), base: 'node', goal: `≤ ${CHECK_GOAL}× node -e 0`, met: colonyMeets(valuesOf(tc, (x) => x.medianMs), (v) => v <= CHECK_GOAL * valuesOf(tc, (x) => x.medianMs).node!) },
  ];
  const notes = ["startup: `node -e 0` is spawn → exit; the others include unshare, sh and the FIFO, whose cost tini's and dumb-init's figures show: colony's own share is its figure minus theirs."];
  notes.push("startup on a terminal: a pty as `docker run -it` gives (test/helpers/pty.py, `setsid -c` as runc does); 'bare' is the command alone there, 'no terminal' colony's single executable with stdin from /dev/null: the difference from colony-sea is the launcher that hands the command the terminal.");
  return { rows, notes, details: { runs, ...t, terminal: tt, ctlCheck: tc } };
};
