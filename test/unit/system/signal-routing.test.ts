// What colony does with each signal it receives, with and without a main command, before and during
// the shutdown; which signals it handles at all.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FORWARDED_SIGNALS, handledSignals, JOB_CONTROL_SIGNALS, MAIN_ONLY_SIGNALS, SHUTDOWN_SIGNALS, signalAction, type SignalAction } from '../../../src/system/signals.ts';

describe('signalAction', () => {
  // [signal, main command?, shutting down?, action] (a main command that runs)
  const table: Array<[NodeJS.Signals, boolean, boolean, SignalAction]> = [
    // Without a main command: each shutdown signal stops everything; again during the shutdown, nothing more.
    ['SIGTERM', false, false, 'shutdown'],
    ['SIGINT', false, false, 'shutdown'],
    ['SIGQUIT', false, false, 'shutdown'],
    ['SIGTERM', false, true, 'again'],
    ['SIGINT', false, true, 'again'],
    ['SIGQUIT', false, true, 'again'],
    // With one: SIGINT is the command's alone (a REPL goes on); TERM and QUIT stop the container.
    ['SIGINT', true, false, 'main'],
    ['SIGTERM', true, false, 'shutdown'],
    ['SIGQUIT', true, false, 'shutdown'],
    // During the shutdown each goes to the command (Ctrl-C twice).
    ['SIGINT', true, true, 'main'],
    ['SIGTERM', true, true, 'main'],
    ['SIGQUIT', true, true, 'main'],
  ];
  for (const [sig, main, down, want] of table) {
    test(`${sig} ${main ? 'with' : 'without'} a main command${down ? ', during the shutdown' : ''} → ${want}`, () => {
      assert.equal(signalAction(sig, { main, mainRunning: main, shuttingDown: down }), want);
    });
  }

  test('a main command that is not running (waiting for --only, or ended): a shutdown signal is colony\'s', () => {
    for (const sig of SHUTDOWN_SIGNALS) {
      assert.equal(signalAction(sig, { main: true, mainRunning: false, shuttingDown: false }), 'shutdown', sig);
      assert.equal(signalAction(sig, { main: true, mainRunning: false, shuttingDown: true }), 'again', sig);
    }
  });

  test('the forwarded set goes to every process, main command or not, shutdown or not', () => {
    for (const sig of FORWARDED_SIGNALS) for (const main of [false, true]) for (const down of [false, true]) assert.equal(signalAction(sig, { main, mainRunning: main, shuttingDown: down }), 'broadcast', sig);
  });

  test('the other catchable signals go to the main command alone', () => {
    for (const sig of MAIN_ONLY_SIGNALS) {
      assert.equal(signalAction(sig, { main: true, mainRunning: true, shuttingDown: false }), 'main', sig);
      assert.equal(signalAction(sig, { main: true, mainRunning: true, shuttingDown: true }), 'main', sig);
    }
  });
});

describe('handledSignals', () => {
  test('without a main command: the shutdown and forwarded sets only', () => {
    assert.deepEqual(handledSignals({ main: false, jobControlIgnored: false }), [...SHUTDOWN_SIGNALS, ...FORWARDED_SIGNALS]);
  });

  test('with one: also every signal it alone gets; never SIGCHLD, SIGTSTP, SIGPIPE, SIGPROF or a synchronous one', () => {
    const h = handledSignals({ main: true, jobControlIgnored: false });
    for (const sig of [...SHUTDOWN_SIGNALS, ...FORWARDED_SIGNALS, ...MAIN_ONLY_SIGNALS]) assert.ok(h.includes(sig), sig);
    for (const sig of ['SIGCHLD', 'SIGTSTP', 'SIGPIPE', 'SIGPROF', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGTRAP', 'SIGABRT', 'SIGSYS', 'SIGKILL', 'SIGSTOP']) assert.ok(!h.includes(sig as NodeJS.Signals), sig);
  });

  test('with the log on a terminal or the terminal given to the main command: SIGTTIN and SIGTTOU are not handled (colony ignores them)', () => {
    const h = handledSignals({ main: true, jobControlIgnored: true });
    for (const sig of JOB_CONTROL_SIGNALS) assert.ok(!h.includes(sig), sig);
    assert.ok(h.includes('SIGHUP') && h.includes('SIGWINCH'));
  });

  test('every handled signal is one Node lets a process listen to', () => {
    for (const sig of handledSignals({ main: true, jobControlIgnored: false })) {
      const listener = (): void => undefined;
      process.on(sig, listener); // throws for a signal Node reserves
      process.removeListener(sig, listener);
    }
  });
});
