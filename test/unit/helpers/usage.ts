// assert.throws matcher: a usage error (exit 100) whose message matches.
import assert from 'node:assert/strict';
import { ColonyError, EXIT_USAGE } from '../../../src/common/errors.ts';

export function usage(pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof ColonyError, `not a ColonyError: ${String(err)}`);
    assert.equal(err.exitCode, EXIT_USAGE);
    assert.match(err.message, pattern);
    return true;
  };
}
