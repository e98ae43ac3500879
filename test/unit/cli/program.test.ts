// The command line's own errors: wherever they are (the top command, `run`, a `ctl` subcommand),
// commander throws them instead of exiting, so that colony exits 100 for every usage error.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CommanderError, type Command } from 'commander';
import { buildProgram, type Handlers } from '../../../src/cli/program.ts';

const nothing = (): void => undefined;
const nothingAsync = async (): Promise<void> => undefined;
const handlers: Handlers = {
  run: nothing,
  nativeModule: nothing,
  ctl: { add: nothing, remove: nothing, restart: nothingAsync, reload: nothingAsync, upgrade: nothingAsync, restartAll: nothingAsync, restartGroup: nothingAsync, signal: nothingAsync, stopStart: nothingAsync, status: nothing, logs: nothingAsync, events: nothingAsync, check: nothing, validate: nothing },
};

// The program with its error output kept (not printed), on every command.
function program(): { cmd: Command; errors: string[] } {
  const errors: string[] = [];
  const cmd = buildProgram('0.0.0', handlers);
  const quiet = (c: Command): void => {
    c.configureOutput({ writeErr: (s) => errors.push(s), writeOut: nothing });
    for (const sub of c.commands) quiet(sub);
  };
  quiet(cmd);
  return { cmd, errors };
}

describe('usage errors throw, at every level', () => {
  for (const argv of [['--bogus'], ['run', '--bogus'], ['ctl', 'status', '--bogus'], ['ctl', 'restart'], ['ctl', 'nope'], ['run', '--log-format']]) {
    test(`colony ${argv.join(' ')}`, async () => {
      const { cmd, errors } = program();
      await assert.rejects(cmd.parseAsync(argv, { from: 'user' }), (err) => err instanceof CommanderError && err.exitCode !== 0);
      assert.ok(errors.length > 0, 'the error is said');
    });
  }

  test('--help of a subcommand is not an error', async () => {
    const { cmd } = program();
    await assert.rejects(cmd.parseAsync(['ctl', 'status', '--help'], { from: 'user' }), (err) => err instanceof CommanderError && err.code === 'commander.helpDisplayed');
  });
});
