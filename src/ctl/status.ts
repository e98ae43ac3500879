// ctl status (a table, or the state file as JSON) and ctl check (alive and every critical process up and healthy).
import { readStatus, type ProcessStatus, type Status } from '../status/file.ts';
import { instancesAmong } from '../descriptor/name.ts';
import { procStart } from '../system/proc.ts';

// "3d 4h", "5m 2s", "12s".
function age(sinceIso: string, now: number): string {
  let s = Math.max(0, Math.round((now - Date.parse(sinceIso)) / 1000));
  const d = Math.floor(s / 86400);
  s -= d * 86400;
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return d > 0 ? `${d}d ${h}h` : h > 0 ? `${h}h ${m}m` : m > 0 ? `${m}m ${s}s` : `${s}s`;
}

function lastExit(p: ProcessStatus): string {
  const e = p.lastExit;
  if (!e) return '-';
  if (e.error) return e.error;
  return e.code !== null ? `exit ${e.code}` : e.signal ? e.signal : '-';
}

// A process's STATE column: its phase, and why it is down when someone meant it to be.
function stateText(p: ProcessStatus): string {
  if (p.held === 'stopped') return p.state === 'stopped' || p.state === 'idle' ? 'stopped (by request)' : `${p.state} (stop requested)`;
  if (p.held === 'autostart-off' && p.state === 'idle') return 'not started (autostart off)';
  if (p.failed) return 'FAILED';
  if (p.state === 'running' && !p.ready) return 'running (not ready)';
  if (p.leftOut && p.pid === null && p.lastExit === null) return 'left out (--only)';
  return p.state;
}

// The status as a table for a terminal.
export function statusTable(st: Status, now = Date.now()): string {
  // STATUS: what a process says of itself over NOTIFY_SOCKET (a column only when one does).
  const said = st.processes.some((p) => p.notifyStatus !== undefined || p.upgrades?.running);
  const rows = [['NAME', 'STATE', 'PID', 'UPTIME', 'RESTARTS', 'LAST EXIT', 'HEALTH', ...(said ? ['STATUS'] : [])]];
  for (const p of st.processes) {
    const state = stateText(p);
    const status = p.upgrades?.running ? `upgrading${p.notifyStatus ? `; ${p.notifyStatus}` : ''}` : (p.notifyStatus ?? '-');
    rows.push([p.name + (p.critical ? ' *' : ''), state, p.pid === null ? '-' : String(p.pid), p.state === 'running' ? age(p.since, now) : `- (${age(p.since, now)} ago)`, String(p.restarts), lastExit(p), p.health ?? '-', ...(said ? [status.replace(/[\x00-\x1f\x7f]/g, ' ')] : [])]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  const c = st.colony;
  const head = `colony ${c.version}, pid ${c.pid} (${c.mode === 'pid1' ? 'PID 1' : c.mode}), up ${age(c.started, now)}${c.shuttingDown ? ', shutting down' : ''}`;
  return [head, ...lines, ...(st.processes.some((p) => p.critical) ? ['(* critical)'] : [])].join('\n');
}

// The instances of a replicated process, in order (web → web:1, web:2 ...), from the state file;
// just the name when it is not replicated (or colony has not written its state yet).
export function instanceNames(stateDir: string, name: string): string[] {
  let st: Status;
  try {
    st = readStatus(stateDir);
  } catch {
    return [name];
  }
  const found = instancesAmong(st.processes.map((p) => p.name), name);
  return found.length > 0 ? found : [name];
}

// ctl status.
export function status(stateDir: string, json: boolean): string {
  const st = readStatus(stateDir);
  return json ? JSON.stringify(st, null, 2) : statusTable(st);
}

// ctl check: undefined when healthy, else the one-line reason.
export function check(stateDir: string): string | undefined {
  let st: Status;
  try {
    st = readStatus(stateDir);
  } catch (err) {
    return (err as Error).message;
  }
  const c = st.colony;
  const start = procStart(c.pid);
  if (start === undefined) return `colony (pid ${c.pid}) is not running`;
  if (start !== c.procStart) return `the state file is stale: pid ${c.pid} is not the colony that wrote it`;
  if (c.shuttingDown) return 'colony is shutting down';
  for (const p of st.processes) {
    if (!p.critical || p.leftOut || p.held) continue; // --only left it out, or the operator holds it down: it is not meant to run
    if (p.state !== 'running') return `critical process ${p.name} is ${p.failed ? 'failed' : p.state}`;
    if (!p.ready) return `critical process ${p.name} is not ready`;
    if (p.health === 'unhealthy') return `critical process ${p.name} is unhealthy`;
  }
  return undefined;
}
