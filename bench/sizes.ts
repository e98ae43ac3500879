// The artifacts' sizes (not a numbered workload: measured last, when nothing else runs), and whether the
// single executable is stale.
import { createReadStream, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
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
  return { file: relative(ROOT, file), bytes: statSync(file).size, gzipBytes };
}

// The sizes of the artifacts present: the single executables, the bundle and the koffi native modules beside it.
export async function artifactSizes(): Promise<ArtifactSize[]> {
  const koffiDir = join(ROOT, 'dist', 'koffi');
  const koffi = existsSync(koffiDir) ? readdirSync(koffiDir).sort().map((t) => join(koffiDir, t, 'koffi.node')) : [];
  const sizes: ArtifactSize[] = [];
  for (const f of [SEA, SEA_ARM64, BUNDLE, ...koffi].filter((f) => existsSync(f))) sizes.push(await sizeOf(f));
  return sizes;
}

// Whether the single executable embeds the current bundle (its main script is stored verbatim), i.e. is not stale.
export function seaEmbedsBundle(): boolean {
  return readFileSync(SEA).indexOf(readFileSync(BUNDLE)) >= 0;
}
