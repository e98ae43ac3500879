// Why a process's run ended, as the metrics count it (colony_process_exits_total{reason}).
import type { Phase } from './state.ts';

export const EXIT_REASONS = ['requested', 'success', 'failure', 'signal', 'spawn_error'] as const;
export type ExitReason = (typeof EXIT_REASONS)[number];

// `phase`: the machine's phase when the exit was seen. Asked to stop (stopping: a stop, a restart, a
// shutdown) it is `requested`, whatever its status; otherwise by its status: a spawn that failed,
// killed by a signal, an exit code the descriptor counts as success, or any other code.
export function exitReason(phase: Phase, status: { code: number | null; signal: NodeJS.Signals | null; spawnError?: string }, successExitCodes: readonly number[]): ExitReason {
  if (status.spawnError !== undefined) return 'spawn_error';
  if (phase === 'stopping') return 'requested';
  if (status.signal !== null) return 'signal';
  return status.code !== null && successExitCodes.includes(status.code) ? 'success' : 'failure';
}
