// The spawner's output pipes, with real children: every byte reaches onChunk in order, the pipe ends,
// and pausing the stream stops reading (the child then blocks). Both kinds: pipe2 pipes read into one
// reused buffer, and Node's own pipes (the fallback without koffi).
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { loadLibc } from '../../../src/system/libc.ts';
import { childSpawner, type Output, type Spawner } from '../../../src/process/spawner.ts';

const kinds: Array<[string, Spawner]> = [
  ['pipe2 pipes, one shared read buffer', childSpawner(loadLibc().pipe)],
  ["Node's pipes", childSpawner()],
];

// Everything the output carries, copied chunk by chunk (a chunk is valid only during the call).
function collect(out: Output): Promise<{ bytes: Buffer; chunks: number; sameBuffer: boolean }> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let first: ArrayBufferLike | undefined;
    let sameBuffer = true;
    out.onChunk((chunk) => {
      first ??= chunk.buffer;
      if (chunk.buffer !== first) sameBuffer = false;
      parts.push(Buffer.from(chunk));
    });
    out.stream.once('end', () => resolve({ bytes: Buffer.concat(parts), chunks: parts.length, sameBuffer }));
    out.stream.once('error', reject);
  });
}

for (const [kind, spawn] of kinds) {
  describe(`spawner output: ${kind}`, () => {
    test('every byte arrives in order, then the pipe ends', async () => {
      // 4 MB of random bytes on stdout (many reads, so a reused buffer would show), a line on stderr.
      const data = randomBytes(4 * 1024 * 1024);
      const file = join(mkdtempSync(join(tmpdir(), 'colony-spawner-')), 'data');
      writeFileSync(file, data);
      const child = spawn({ args: ['sh', '-c', 'cat "$0"; echo bye >&2', file], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      const [out, err] = await Promise.all([collect(child.stdout!), collect(child.stderr!)]);
      rmSync(dirname(file), { recursive: true });
      assert.equal(out.bytes.length, data.length);
      assert.ok(out.bytes.equals(data), 'the bytes read are the bytes the child wrote, in order');
      assert.equal(err.bytes.toString(), 'bye\n');
      assert.ok(out.chunks > 1, `several reads (${out.chunks})`);
      if (kind.startsWith('pipe2')) assert.ok(out.sameBuffer, 'every read lands in the same buffer');
    });

    test('a paused stream is not read: the child blocks until it is resumed', async () => {
      // The child writes 1 MB; a pipe holds 64 KiB: paused at once, only what was read before arrives.
      const child = spawn({ args: ['sh', '-c', 'head -c 1048576 /dev/zero; echo done >&2'], env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
      const out = child.stdout!;
      out.stream.pause();
      let got = 0;
      out.onChunk((chunk) => (got += chunk.length));
      let stderr = '';
      child.stderr!.onChunk((chunk) => (stderr += chunk.toString()));
      await new Promise((r) => setTimeout(r, 300));
      assert.ok(got < 1048576, `paused: ${got} bytes read`);
      assert.equal(stderr, '', 'the child is still blocked on its stdout');
      const ended = new Promise((r) => out.stream.once('end', r));
      out.stream.resume();
      await ended;
      assert.equal(got, 1048576);
    });
  });
}
