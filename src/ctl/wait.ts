// ctl ... --wait: waits until colony has handled the message (its acknowledgement in $STATE/acks/)
// and, for restarts and starts, until each process runs again (and is ready), for stops until each
// has stopped; a reason otherwise.
import { readFileSync, rmSync } from 'node:fs';
import { ackPath, type Ack } from '../messages/acks.ts';
import { readStatus } from '../status/file.ts';

// The states of a process that has stopped (a process removed meanwhile has stopped too).
const STOPPED = new Set(['stopped', 'exited', 'failed', 'idle']);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Waits for the outcome of a message; returns undefined on success, else the reason.
export async function waitFor(stateDir: string, messageFile: string, timeoutMs: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutMs;
  const path = ackPath(stateDir, messageFile);
  let ack: Ack | undefined;
  while (!ack) {
    try {
      ack = JSON.parse(readFileSync(path, 'utf8')) as Ack;
    } catch {
      if (Date.now() > deadline) return `timed out after ${timeoutMs / 1000} s: colony did not handle ${messageFile} (is it running, with this --messages and --state?)`;
      await sleep(20);
    }
  }
  rmSync(path, { force: true });
  if (!ack.ok) return `colony refused the message: ${ack.error ?? 'unknown reason'}`;
  for (;;) {
    const pending: string[] = [];
    let failure: string | undefined;
    try {
      const st = readStatus(stateDir);
      for (const t of ack.restarting) {
        const p = st.processes.find((x) => x.name === t.name);
        if (!p) {
          failure = `process ${t.name} is gone`;
          break;
        }
        const restarted = p.restarts + 1 > t.starts;
        if (restarted && (p.state === 'failed' || p.state === 'exited' || p.state === 'backoff')) failure = `process ${t.name} did not stay up after the restart (${p.state}${p.lastExit ? `, last exit ${JSON.stringify(p.lastExit)}` : ''})`;
        else if (!(restarted && p.state === 'running' && p.ready)) pending.push(t.name);
      }
      for (const u of ack.upgrading ?? []) {
        const p = st.processes.find((x) => x.name === u.name);
        if (!p) failure = `process ${u.name} is gone`;
        else if ((p.upgrades?.failed ?? 0) > u.failed) failure = `upgrade of ${u.name} ${p.upgrades?.last ?? 'failed'}`;
        else if ((p.upgrades?.done ?? 0) <= u.done) pending.push(u.name);
      }
      for (const name of ack.stopping ?? []) {
        const p = st.processes.find((x) => x.name === name);
        if (p && !STOPPED.has(p.state)) pending.push(name);
      }
    } catch (err) {
      pending.push((err as Error).message);
    }
    if (failure) return failure;
    if (pending.length === 0) return undefined;
    if (Date.now() > deadline) return `timed out after ${timeoutMs / 1000} s waiting for ${pending.join(', ')} to ${ack.upgrading?.length ? 'be upgraded' : ack.stopping?.length ? 'stop' : 'run again (and be ready)'}`;
    await sleep(20);
  }
}
