// When colony ends on its own: a critical process that ended for good (exited or failed) or that its
// health checks gave up on. (The main command's end is main-command/main-process.ts's.)
import { describeExit, exitCode } from '../process/exit-status.ts';
import type { SupervisedProcess } from '../process/supervised.ts';

export interface Ending {
  code: number;
  reason: string;
  // The error line, with its fields.
  message: string;
  fields: Record<string, unknown>;
}

// A critical, unscheduled process that has ended and will not be restarted: colony's exit code and why.
export function criticalEnded(p: SupervisedProcess): Ending | undefined {
  if (!p.descriptor.critical || p.descriptor.schedule || (p.phase !== 'exited' && p.phase !== 'failed')) return undefined;
  const status = p.snapshot.lastExit;
  const code = status ? exitCode(status) : 1;
  const how = p.phase === 'failed' ? 'failed' : `ended (${status ? describeExit(status) : 'unknown'})`;
  return { code, reason: `critical process ${p.name} ended`, message: `critical process ${how} and will not be restarted: stopping everything`, fields: { proc: p.name, exit_code: code } };
}

// A critical process whose health checks gave up.
export function criticalUnhealthy(p: SupervisedProcess, detail: string): Ending | undefined {
  if (!p.descriptor.critical) return undefined;
  return { code: 1, reason: `critical process ${p.name} is unhealthy`, message: `critical process is unhealthy (${detail}): stopping everything`, fields: { proc: p.name, exit_code: 1 } };
}
