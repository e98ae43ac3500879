// The metrics registry on a fake source: the exposition a scrape gets, read at scrape time.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { metricsRegistry, type MetricsSource, type ProcessView } from '../../../src/metrics/registry.ts';

function view(over: Partial<ProcessView>): ProcessView {
  return { name: 'web', groups: [], phase: 'running', ready: true, healthy: undefined, startedAt: 1_700_000_000_000, lastExitCode: undefined, restarts: 0, exits: new Map(), lines: { stdout: 0, stderr: 0 }, ...over };
}

test('per-process and colony metrics, as the source says at each scrape', async () => {
  let procs = [view({ groups: ['front', 'api'], restarts: 2, exits: new Map([['signal', 2]]), lines: { stdout: 5, stderr: 1 }, healthy: true }), view({ name: 'job', phase: 'failed', ready: false, lastExitCode: 3, exits: new Map([['failure', 4]]) })];
  const source: MetricsSource = { processes: () => procs, orphansReaped: () => 7, messages: () => ({ handled: 3, rejected: 1 }), badDescriptors: () => 2, output: () => ({ relayed: 6, dropped: 0 }), notify: () => ({ taken: 5, ignored: 4 }) };
  const registry = metricsRegistry(source);
  const text = await registry.metrics();
  for (const line of [
    'colony_process_up{name="web",group="front,api"} 1',
    'colony_process_up{name="job",group=""} 0',
    'colony_process_ready{name="web",group="front,api"} 1',
    'colony_process_healthy{name="web",group="front,api"} 1',
    'colony_process_failed{name="job",group=""} 1',
    'colony_process_start_time_seconds{name="web",group="front,api"} 1700000000',
    'colony_process_last_exit_code{name="job",group=""} 3',
    'colony_process_restarts_total{name="web",group="front,api"} 2',
    'colony_process_exits_total{name="web",group="front,api",reason="signal"} 2',
    'colony_process_exits_total{name="job",group="",reason="failure"} 4',
    'colony_process_exits_total{name="job",group="",reason="requested"} 0',
    'colony_process_output_lines_total{name="web",group="front,api",stream="stdout"} 5',
    'colony_orphans_reaped_total 7',
    'colony_messages_total{outcome="handled"} 3',
    'colony_messages_total{outcome="rejected"} 1',
    'colony_notify_messages_total{outcome="taken"} 5',
    'colony_notify_messages_total{outcome="ignored"} 4',
    'colony_bad_descriptors 2',
    'colony_output_lines_total 6',
    'colony_output_dropped_lines_total 0',
  ]) assert.ok(text.split('\n').includes(line), `${line}\n--- in ---\n${text}`);
  assert.doesNotMatch(text, /colony_process_healthy\{name="job"/, 'no health line for a process without a health check');
  assert.match(text, /^process_resident_memory_bytes \d+/m);
  assert.doesNotMatch(text, /eventloop_lag/, 'no event-loop-lag collector (its timer would wake an idle colony)');
  procs = [procs[1]!];
  const later = await registry.metrics();
  assert.doesNotMatch(later, /name="web"/, 'a process that is gone has no series');
});
