// colony's own exit codes, after skarnet's conventions: they never collide with a child's code
// because a child's code is only passed through in main mode.
export const EXIT_OK = 0;
export const EXIT_USAGE = 100;
export const EXIT_SYSTEM = 111;

// An error that carries the exit code colony should end with when it reaches the top.
export class ColonyError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT_SYSTEM) {
    super(message);
    this.name = 'ColonyError';
    this.exitCode = exitCode;
  }
}

// A usage or configuration error (exit 100).
export function usageError(message: string): ColonyError {
  return new ColonyError(message, EXIT_USAGE);
}

// The message of anything thrown, for log lines.
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}
