// The single executables: dist/colony (x64, runs here) and dist/colony-linux-arm64 (checked under
// qemu-aarch64-static when it and an arm64 loader are installed; skipped, saying so, otherwise).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FIXTURES, ROOT } from '../helpers/colony.ts';
import { children, zombies } from '../helpers/proc.ts';
import { waitFor } from '../helpers/wait.ts';

const X64 = join(ROOT, 'dist/colony');
const ARM64 = join(ROOT, 'dist/colony-linux-arm64');
const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
const ARM64_LIBS = '/usr/aarch64-linux-gnu';

// ELF header: class 64-bit, little endian, and e_machine (62 x86-64, 183 aarch64).
function elfMachine(path: string): number {
  const h = readFileSync(path).subarray(0, 20);
  assert.equal(h.subarray(0, 4).toString('latin1'), '\x7fELF');
  return h.readUInt16LE(18);
}

function sectionNames(path: string): string {
  return spawnSync('readelf', ['-S', '-W', path], { encoding: 'utf8' }).stdout;
}

describe('single executables', () => {
  it('dist/colony is an x86-64 ELF, stripped, and answers --version and --help', () => {
    assert.equal(elfMachine(X64), 62);
    const sections = sectionNames(X64);
    assert.ok(!/\.debug_info/.test(sections) && !/\.symtab/.test(sections), 'no debug info, no symbol table');
    const v = spawnSync(X64, ['--version'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), VERSION);
    assert.equal(v.stderr, '', 'no experimental-SEA warning or other noise');
    assert.equal(spawnSync(X64, ['run', '--help']).status, 0);
  });

  it('dist/colony as PID 1 extracts koffi privately, reaps an orphan storm, and leaves no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'colony-sea-'));
    const extract = join(dir, 'tmp');
    mkdirSync(extract);
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'storm'), JSON.stringify({ args: ['/bin/sh', join(FIXTURES, 'orphans.sh'), '300'] }));
    const c = spawn('unshare', ['--pid', '--fork', '--mount-proc', X64, 'run', '--config', join(dir, 'config'), '--messages', join(dir, 'm'), '--state', join(dir, 's'), '--log-format', 'json'], {
      env: { ...process.env, TMPDIR: extract },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    try {
      await waitFor('storm done', () => out.includes('"msg":"DONE"'), 30_000);
      assert.match(out, /running as PID 1: reaping orphans/);
      assert.deepEqual(readdirSync(extract), [], 'the extracted native module is deleted once loaded');
      const pid = children(c.pid!)[0]!;
      await waitFor('zero zombies', () => zombies(pid).length === 0, 10_000);
      process.kill(pid, 'SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('dist/colony-linux-arm64 is an aarch64 ELF that starts (and loads koffi) under qemu-aarch64-static', async (t) => {
    assert.ok(existsSync(ARM64), `${ARM64} missing: npm run build:sea builds it`);
    assert.equal(elfMachine(ARM64), 183);
    const qemu = spawnSync('sh', ['-c', 'command -v qemu-aarch64-static'], { encoding: 'utf8' }).stdout.trim();
    if (!qemu || !existsSync(join(ARM64_LIBS, 'lib/ld-linux-aarch64.so.1'))) {
      return t.skip('qemu-aarch64-static or the arm64 loader (libc6-arm64-cross, libstdc++6-arm64-cross) is not installed');
    }
    const v = spawnSync(qemu, ['-L', ARM64_LIBS, ARM64, '--version'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(v.status, 0, v.stderr);
    assert.equal(v.stdout.trim(), VERSION);
    // Not PID 1 under qemu: it must load koffi's arm64 module from its asset.
    const dir = mkdtempSync(join(tmpdir(), 'colony-arm64-'));
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'hello'), JSON.stringify({ args: ['/bin/sh', '-c', 'echo hello from arm64 colony; exec sleep 100'] }));
    const c = spawn(qemu, ['-L', ARM64_LIBS, ARM64, 'run', '--config', join(dir, 'config'), '--messages', join(dir, 'm'), '--state', join(dir, 's'), '--log-format', 'json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    c.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((r) => c.once('exit', (code) => r(code)));
    try {
      await waitFor('hello printed', () => out.includes('hello from arm64 colony'), 60_000);
      // koffi's arm64 module loaded (else "cannot load libc"); qemu-user does not emulate
      // prctl(PR_SET_CHILD_SUBREAPER), so the subreaper step may report that it could not.
      assert.doesNotMatch(out, /cannot load libc/);
      await waitFor('the subreaper attempt', () => /became a child subreaper|could not become a child subreaper/.test(out), 10_000);
      c.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      c.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
