// colony's side of the terminal, on a fake libc: when the main command may have the terminal, and
// taking it back.
import assert from 'node:assert/strict';
import { constants } from 'node:os';
import { describe, test } from 'node:test';
import { ignoreJobControlSignals, takeBackTerminal, terminalRefusal, type TerminalJobControl } from '../../../src/main-command/terminal.ts';

function fakeLibc(o: { fg: number | string; own: number; setResult?: 0 | string }): TerminalJobControl & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    getpgrp: () => o.own,
    tcgetpgrp: () => o.fg,
    tcsetpgrp: (fd, g) => {
      calls.push(`tcsetpgrp ${fd} ${g}`);
      return o.setResult ?? 0;
    },
    setDisposition: (sig, d) => calls.push(`signal ${sig} ${d}`),
  };
}

describe('terminalRefusal', () => {
  test('the foreground process group of its controlling terminal: the command may have it', () => {
    assert.equal(terminalRefusal(fakeLibc({ fg: 7, own: 7 }), true), undefined);
  });
  test('refused, saying why', () => {
    assert.match(terminalRefusal(fakeLibc({ fg: 7, own: 7 }), false)!, /not a terminal/);
    assert.match(terminalRefusal(undefined, true)!, /no libc/);
    assert.match(terminalRefusal(fakeLibc({ fg: 'ENOTTY', own: 7 }), true)!, /not colony's controlling terminal \(tcgetpgrp: ENOTTY\)/);
    assert.match(terminalRefusal(fakeLibc({ fg: 9, own: 7 }), true)!, /background/);
  });
});

describe('the job-control signals and taking the terminal back', () => {
  test('SIGTTIN and SIGTTOU are ignored', () => {
    const l = fakeLibc({ fg: 7, own: 7 });
    ignoreJobControlSignals(l);
    assert.deepEqual(l.calls, [`signal ${constants.signals.SIGTTIN} ignore`, `signal ${constants.signals.SIGTTOU} ignore`]);
  });
  test("taken back when another group has it; nothing to do when it is colony's", () => {
    const l = fakeLibc({ fg: 12, own: 7 });
    assert.equal(takeBackTerminal(l), undefined);
    assert.deepEqual(l.calls, ['tcsetpgrp 0 7']);
    const m = fakeLibc({ fg: 7, own: 7 });
    assert.equal(takeBackTerminal(m), undefined);
    assert.deepEqual(m.calls, []);
    assert.equal(takeBackTerminal(fakeLibc({ fg: 12, own: 7, setResult: 'EPERM' })), 'EPERM');
  });
});
