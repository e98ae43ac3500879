// dist/colony-musl (the single executable with the glibc it links, installed at /opt/colony) as PID 1 of
// a root with no glibc and no Node.js, made from Debian's packages as Alpine's would be: busybox-static
// for the shell and tools, musl's loader, a program compiled with musl-gcc. It supervises the musl
// program, reaps orphans, answers ctl from inside, and stops with 0.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ROOT as REPO } from '../helpers/colony.ts';
import { onLines, parseRecord } from '../helpers/lines.ts';
import { Launch } from '../helpers/pid1.ts';
import { zombies } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const BUILD = join(REPO, 'dist', 'colony-musl');
type Rec = Record<string, unknown> & { msg?: string; proc?: string; stream?: string };

// Every file under `dir` whose name starts with `prefix`.
function find(dir: string, prefix: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory() && !e.isSymbolicLink()) out.push(...find(p, prefix));
    else if (e.name.startsWith(prefix)) out.push(p);
  }
  return out;
}

describe('dist/colony-musl in a root without glibc (Alpine-like)', () => {
  let work: string | undefined;
  let root: string | undefined;
  before(() => {
    if (!existsSync(join(BUILD, 'colony'))) throw new Error(`${BUILD} is missing: run npm run build:sea first`);
    work = mkdtempSync(join(tmpdir(), 'colony-musl-'));
    root = join(work, 'root');
    for (const d of ['bin', 'lib', 'etc/colony/config', 'opt', 'tmp', 'proc', 'dev', 'run']) mkdirSync(join(root, d), { recursive: true });
    cpSync('/bin/busybox', join(root, 'bin/busybox'));
    const install = spawnSync('chroot', [root, '/bin/busybox', '--install', '-s', '/bin'], { encoding: 'utf8' });
    assert.equal(install.status, 0, install.stderr);
    copyFileSync(realpathSync('/lib/ld-musl-x86_64.so.1'), join(root, 'lib/ld-musl-x86_64.so.1'));
    chmodSync(join(root, 'lib/ld-musl-x86_64.so.1'), 0o755);
    writeFileSync(join(work, 'hello.c'), '#include <stdio.h>\n#include <unistd.h>\nint main(void) { printf("hello from musl\\n"); fflush(stdout); for (;;) pause(); }\n');
    const cc = spawnSync('musl-gcc', ['-O2', '-o', join(root, 'bin/hello-musl'), join(work, 'hello.c')], { encoding: 'utf8' });
    assert.equal(cc.status, 0, cc.stderr);
    cpSync(BUILD, join(root, 'opt/colony'), { recursive: true });
    writeFileSync(join(root, 'etc/colony/config/hello.json'), JSON.stringify({ args: ['/bin/hello-musl'] }));
    writeFileSync(join(root, 'etc/colony/config/storm.json'), JSON.stringify({ args: ['/bin/sh', '-c', 'i=0; while [ $i -lt 1000 ]; do ( /bin/true & ); i=$((i + 1)); done; echo DONE; exec sleep 100000'] }));
    // No glibc in the root but the one colony carries.
    const own = join(root, 'opt/colony');
    assert.deepEqual(find(root, 'libc.so').filter((f) => !f.startsWith(own)), []);
    assert.ok(!existsSync(join(root, 'lib64')) && !existsSync(join(root, 'usr/bin/node')));
  });
  after(() => {
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('supervises a musl program, reaps 1,000 orphans, answers ctl from inside, stops with 0', async () => {
    // Docker's /dev holds the device nodes: /dev/null is bound in, in a private mount namespace.
    const script = 'set -e; touch "$1/dev/null"; mount --bind /dev/null "$1/dev/null"; exec unshare --pid --fork --mount-proc --root="$1" /opt/colony/colony run';
    const launch = new Launch(['unshare', '--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', root!], { stderr: 'inherit' });
    const records: Rec[] = [];
    onLines(launch.child.stdout!, (line) => records.push(parseRecord<Rec>(line, 'msg')));
    const log = (): string => records.map((r) => JSON.stringify(r)).join('\n');
    try {
      await waitFor('the musl program runs', () => records.some((r) => r.proc === 'hello' && r.msg === 'hello from musl'), 30_000);
      assert.ok(records.some((r) => r.msg === 'running as PID 1: reaping orphans'), log());
      assert.ok(!records.some((r) => /cannot load libc/.test(String(r.msg))), log());
      await waitFor('the storm to end', () => records.some((r) => r.proc === 'storm' && r.msg === 'DONE'), 60_000);
      await waitFor('zero zombies', () => zombies(launch.pid).length === 0, 15_000);
      const ctl = (...args: string[]) => spawnSync('nsenter', ['-t', String(launch.pid), '-p', '-m', '-r', '-w', '/opt/colony/colony', 'ctl', ...args], { encoding: 'utf8', timeout: 30_000 });
      const status = ctl('status');
      assert.equal(status.status, 0, status.stderr);
      assert.match(status.stdout, /^hello\s+running/m);
      const restart = ctl('restart', 'hello', '--wait');
      assert.equal(restart.status, 0, restart.stderr);
      const logs = ctl('logs', 'hello');
      assert.equal(logs.stdout, 'hello from musl\nhello from musl\n', logs.stderr);
      process.kill(launch.pid, 'SIGTERM');
      assert.deepEqual(await launch.wait(20_000, log), { code: 0, signal: null });
    } finally {
      await launch.destroy();
    }
  });
});
