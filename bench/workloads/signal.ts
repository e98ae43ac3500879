// Workload 4, signal forwarding: SIGUSR1 sent to PID 1 (from the host) → received by its child. The child
// (fixtures/sigwait.c, compiled here) waits for SIGUSR1 with sigwaitinfo() and writes the CLOCK_MONOTONIC
// time it got it into a FIFO; the bench reads the same clock (process.hrtime.bigint()) just before kill().
// So the latency excludes the FIFO and the bench's wake-up. colony, tini and dumb-init run side by side
// and take turns; supervisord cannot forward a signal sent to it, which the bench checks once.
import { join } from 'node:path';
import { colonyMeets, compileC, Fifo, Pid1, sleep, startColony, takeTurns, valuesOf, type Timing } from '../lib.ts';
import { startSupervisord } from '../supervisord.ts';
import type { Row, Workload } from '../workload.ts';

const GAP_MS = 20; // between two signals

// Sends SIGUSR1 to PID 1 and resolves with the milliseconds until its child `name` reported receiving it.
async function forwardOnce(pid1: Pid1, host: number, out: Fifo, name: string): Promise<number> {
  const from = out.feed.items.length;
  const t0 = process.hrtime.bigint();
  process.kill(host, 'SIGUSR1');
  const got = await out.feed.waitFor((v) => v[0] === name && v[1] === 'got', `${pid1.label}: SIGUSR1 forwarded to its child`, 10000, from);
  await sleep(GAP_MS);
  return Number(BigInt(got.value[2]!) - t0) / 1e6;
}

// Whether supervisord as PID 1 passes a SIGUSR1 on to its program (waits a second for it).
async function supervisordForwards(dir: string, fixture: string[], out: Fifo): Promise<boolean> {
  const sv = await startSupervisord('supervisord', dir, [{ name: 'sup', command: [...fixture, 'sup'] }]);
  sv.pid1.guard(out.feed);
  await out.feed.waitFor((v) => v[0] === 'sup' && v[1] === 'ready', 'supervisord: sigwait running', 20000);
  const from = out.feed.items.length;
  process.kill(await sv.pid1.hostPid(), 'SIGUSR1');
  const got = await out.feed.waitFor((v) => v[0] === 'sup' && v[1] === 'got', 'supervisord: SIGUSR1', 1000, from).then(
    () => true,
    () => false,
  );
  await sv.stop();
  return got;
}

export const run: Workload = async (ctx) => {
  const runs = ctx.runs ?? (ctx.quick ? 10 : 50);
  const out = new Fifo(join(ctx.dir, 'out'), true);
  try {
    const fixture = [compileC('sigwait.c', ctx.dir), out.path];
    const { tini, dumbInit, supervisord } = ctx.peers;
    const contenders: Array<{ key: string; pid1: Pid1 }> = [{ key: 'colony', pid1: startColony(join(ctx.dir, 'colony'), { sig: [...fixture, 'colony'] }).colony }];
    // tini and dumb-init exit with 128 + 15 when their child dies of the SIGTERM they forward at the end.
    if (tini) contenders.push({ key: 'tini', pid1: new Pid1('tini', [tini, '-s', '--', ...fixture, 'tini'], 'ignore') });
    if (dumbInit) contenders.push({ key: 'dumb-init', pid1: new Pid1('dumb-init', [dumbInit, ...fixture, 'dumb-init'], 'ignore') });
    const hosts = new Map<string, number>();
    for (const { key, pid1 } of contenders) {
      pid1.guard(out.feed);
      await out.feed.waitFor((v) => v[0] === key && v[1] === 'ready', `${key}: sigwait running`, 20000);
      hosts.set(key, await pid1.hostPid());
    }
    await sleep(500);
    ctx.note(`signal: ${runs} rounds of SIGUSR1 to ${contenders.map((c) => c.key).join(', ')}`);
    const t: Record<string, Timing> = await takeTurns(
      runs,
      contenders.map(({ key, pid1 }) => ({ key, once: () => forwardOnce(pid1, hosts.get(key)!, out, key) })),
    );
    for (const { key, pid1 } of contenders) await pid1.stop(15000, key === 'colony' ? 0 : 143);

    const notes: string[] = [];
    let supervisordForwarded: boolean | undefined;
    if (supervisord) {
      supervisordForwarded = await supervisordForwards(join(ctx.dir, 'supervisord'), fixture, out);
      notes.push(
        supervisordForwarded
          ? 'signal: supervisord forwarded SIGUSR1 to its program, unexpectedly: not timed (add it to the contenders).'
          : 'signal: supervisord is n/a: it installs no SIGUSR1 handler, so the kernel drops the signal at PID 1 (checked: its program got nothing within 1 s); it forwards no signal, only `supervisorctl signal`.',
      );
    }
    const workload = '4. signal';
    // supervisord: present and undefined, i.e. n/a.
    const values = (f: (x: Timing) => number): Record<string, number | undefined> => ({
      ...(supervisordForwarded === false ? { supervisord: undefined } : {}),
      ...valuesOf(t, f),
    });
    const median = values((x) => x.medianMs);
    const rows: Row[] = [
      {
        workload,
        metric: `SIGUSR1 to PID 1 → child got it, median of ${runs}`,
        unit: 'ms',
        values: median,
        base: 'tini',
        goal: '≤ 2× tini',
        met: median.tini === undefined ? undefined : colonyMeets(median, (v) => v <= 2 * median.tini!),
      },
      { workload, metric: '  p95', unit: 'ms', values: values((x) => x.p95Ms), base: 'tini' },
    ];
    return { rows, notes, details: { runs, ...t, supervisordForwarded } };
  } finally {
    out.close();
  }
};
