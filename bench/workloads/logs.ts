// Workload 11, ctl logs -f: how far behind a follower is. A process prints its wall-clock time in ms
// every 20 ms through colony; `colony ctl logs -f -n 0` follows it (polling the kept file every 50 ms);
// each line's delay is the bench's wall clock when the line arrives minus the time in it. colony only:
// supervisorctl tail -f reads supervisord's log file over XML-RPC, a different path.
import { join } from 'node:path';
import { BUNDLE_CMD, eachLine, median, percentile, startColony, startTracked } from '../lib.ts';
import type { Workload } from '../workload.ts';

const PRINT = "import time\nwhile True:\n    print('t', time.time_ns() // 1000000, flush=True)\n    time.sleep(0.02)";

export const run: Workload = async (ctx) => {
  const samples = ctx.quick ? 50 : 250;
  const { colony, state } = startColony(join(ctx.dir, 'colony'), { ticker: ['/usr/bin/python3', '-c', PRINT] });
  await colony.out.waitFor((r) => r.proc === 'ticker' && r.msg === 'started', 'logs: ticker started', 20000);
  const follower = startTracked(BUNDLE_CMD[0]!, [...BUNDLE_CMD.slice(1), 'ctl', '--state', state, 'logs', '-f', '-n', '0', 'ticker'], ['ignore', 'pipe', 'inherit']);
  const delays: number[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`logs: ${delays.length} of ${samples} lines followed in 60 s`)), 60000);
    eachLine(follower.stdout!, (line) => {
      const m = /^t (\d+)$/.exec(line);
      if (!m || delays.length >= samples) return;
      delays.push(Date.now() - Number(m[1]));
      if (delays.length === samples) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  follower.kill('SIGINT');
  const code = await follower.exited;
  await colony.stop();
  const workload = '11. logs -f';
  const values = { colony: median(delays) };
  return {
    rows: [
      { workload, metric: `a printed line → ctl logs -f prints it, median of ${samples}`, unit: 'ms', values, goal: '≤ 100 ms', met: values.colony <= 100 },
      { workload, metric: '  p95', unit: 'ms', values: { colony: percentile(delays, 95) }, goal: '≤ 100 ms', met: percentile(delays, 95) <= 100 },
    ],
    notes: code === 0 ? [] : [`logs: ctl logs -f exited with ${String(code)} on SIGINT (expected 0)`],
    details: { samples: delays },
  };
};
