// The main command on a real terminal (a pty, as `docker run -it` gives): it is the terminal's
// foreground process group, so a REPL, a shell's job control, Ctrl-C and window sizes work as
// without colony; colony stays in the background and takes the terminal back when it ends.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { scratch } from '../helpers/colony.ts';
import { TerminalColony } from '../helpers/terminal.ts';
import { groups, stateOf } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

// Debian's Python: its REPL is the classic one on every version the image tests use.
const PY = '/usr/bin/python3';
// bash's default prompt (--norc: no PS1 of the machine's).
const PROMPT = /bash-[\d.]+[#$] /;

describe('the main command on a terminal', () => {
  const started: TerminalColony[] = [];
  const open = (o: ConstructorParameters<typeof TerminalColony>[0]): TerminalColony => {
    const t = new TerminalColony(o);
    started.push(t);
    return t;
  };
  after(async () => {
    for (const t of started) await t.destroy();
  });

  it("PID 1: a Python REPL answers, Ctrl-C interrupts it and it goes on, SystemExit(7) is colony's exit 7", async () => {
    const t = open({ args: ['--', PY, '-q'] });
    let at = await t.see('>>> ');
    assert.equal(t.screen, '>>> ', 'nothing of colony before the prompt');
    const py = t.pidOf(PY)!;
    const g = groups(py);
    assert.equal(g.pgrp, py, 'the command leads a process group of its own');
    assert.equal(g.tpgid, py, "that group is the terminal's foreground");
    t.type('print(6*7)\n');
    at = await t.see('\n42\r\n>>> ', at);
    t.type('import time; time.sleep(30)\n');
    await waitFor('the REPL asleep', () => t.screen.slice(at).includes('time.sleep(30)\r\n'));
    t.type('\x03');
    at = await t.see(/KeyboardInterrupt\r\n>>> /, at, 10_000);
    t.type('print(6*7)\n');
    at = await t.see('42', at);
    t.type('raise SystemExit(7)\n');
    assert.deepEqual(await t.wait(), { code: 7, signal: null });
  });

  it('PID 1: bash has job control: a background job brought to the foreground, then Ctrl-C', async () => {
    const t = open({ args: ['--', '/bin/bash', '--norc', '--noprofile', '-i'] });
    let at = await t.see(PROMPT);
    assert.doesNotMatch(t.screen, /no job control|cannot set terminal process group/);
    t.type('echo flags=$-\n');
    at = await t.see(/flags=\w*m\w*/, at);
    t.type('sleep 100 &\n');
    at = await t.see(/\[1\] \d+/, at);
    t.type('fg\n');
    at = await t.see('sleep 100\r\n', at);
    // bash prints the job before it hands it the terminal: Ctrl-C once the sleep is the foreground.
    await waitFor('the job in the foreground', () => {
      const sleep = t.pidOf('sleep');
      return sleep !== undefined && groups(sleep).tpgid === groups(sleep).pgrp;
    });
    t.type('\x03');
    t.type('echo back $?\n');
    at = await t.see('back 130', at);
    t.type('exit 5\n');
    assert.deepEqual(await t.wait(), { code: 5, signal: null });
  });

  it('a new window size reaches the command (SIGWINCH from the kernel)', async () => {
    // The handler exits itself: a SIGWINCH arriving between READY and pause() must not leave it waiting.
    const code = "import os, signal, sys\ndef winch(*a):\n    print('size', os.get_terminal_size(0), flush=True)\n    sys.exit(0)\nsignal.signal(signal.SIGWINCH, winch)\nprint('READY', flush=True)\nwhile True: signal.pause()";
    const t = open({ args: ['--', PY, '-c', code] });
    const at = await t.see('READY');
    t.resize(33, 101);
    await t.see('size os.terminal_size(columns=101, lines=33)', at);
    assert.deepEqual(await t.wait(), { code: 0, signal: null });
  });

  it('not PID 1 (a job of a shell): the same, and the shell has its terminal back afterwards', async () => {
    const back = 'awk \'{ print "shell in foreground:", ($5 == $8) }\' /proc/$$/stat';
    const t = open({ pid1: false, args: ['--', PY, '-q'], after: back });
    let at = await t.see('>>> ');
    const py = t.pidOf(PY)!;
    assert.equal(groups(py).tpgid, py);
    t.type('import time; time.sleep(30)\n');
    await waitFor('the REPL asleep', () => t.screen.slice(at).includes('time.sleep(30)\r\n'));
    t.type('\x03');
    at = await t.see(/KeyboardInterrupt\r\n>>> /, at, 10_000);
    t.type('exit(4)\n');
    at = await t.see('colony exited 4', at);
    await t.see('shell in foreground: 1', at);
    assert.equal((await t.wait()).code, 0);
  });

  it('colony writes to the terminal from the background even with TOSTOP set, and is never stopped', async () => {
    const t = open({ pid1: false, args: ['--log-only', 'all', '--', '/bin/bash', '--norc', '--noprofile', '-i'], files: { ticker: { args: ['/bin/sh', '-c', 'i=0; while :; do i=$((i+1)); echo tick $i; sleep 0.1; done'] } } });
    let at = await t.see(PROMPT);
    t.type('stty tostop; echo set\n');
    at = await t.see('set\r\n', at);
    at = await t.see(/ticker \| tick \d+/, at);
    at = await t.see(/ticker \| tick \d+/, at);
    const colony = t.pidOf(process.execPath);
    assert.ok(colony !== undefined, 'colony found');
    assert.ok(['S', 'R'].includes(stateOf(colony)!), `colony is running or asleep, not stopped (${stateOf(colony)})`);
    t.type('stty -tostop; exit 0\n');
    await t.see('colony exited 0', at);
    await t.wait();
  });

  it('a command that is not found: 127, said on the terminal', async () => {
    const t = open({ args: ['--', 'no-such-command-here'] });
    assert.deepEqual(await t.wait(), { code: 127, signal: null });
    assert.match(t.screen, /cannot start "no-such-command-here": not found in PATH/);
  });

  it('as without a terminal: a script without #! runs with /bin/sh; one whose interpreter is missing is 127, said in one line', async () => {
    const d = scratch();
    const plain = join(d.dir, 'plain');
    writeFileSync(plain, 'echo "plain script, $# arguments"\ngrep SigIgn /proc/$$/status\nexit 3\n', { mode: 0o755 });
    const t = open({ args: ['--', plain, 'a', 'b'] });
    assert.deepEqual(await t.wait(), { code: 3, signal: null });
    assert.match(t.screen, /plain script, 2 arguments/);
    // Nothing ignored: SIGPIPE and SIGXFSZ (ignored by Node) and SIGTTOU (by the launcher) are restored.
    assert.match(t.screen, /SigIgn:\s+0000000000000000\r\n/);
    const broken = join(d.dir, 'broken');
    writeFileSync(broken, '#!/nonexistent/python3\n', { mode: 0o755 });
    const u = open({ args: ['--', broken] });
    assert.deepEqual(await u.wait(), { code: 127, signal: null });
    assert.match(u.screen, /cannot start ".*broken": execve .*broken: the interpreter its #! line names does not exist \(ENOENT\)\r\n/);
    assert.doesNotMatch(u.screen, /Native stack trace|Aborted/);
  });
});
