import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeWaitStatus, extractionDirs, placedModule } from '../../../src/system/libc.ts';

describe('where the single executable loads its native module from', () => {
  test('TMPDIR, /dev/shm, /tmp, /run; and /dev last for root (writable, exec allowed, on read-only roots)', () => {
    assert.deepEqual(extractionDirs({}, 0), ['/dev/shm', '/tmp', '/run', '/dev']);
    assert.deepEqual(extractionDirs({ TMPDIR: '/scratch' }, 1000), ['/scratch', '/dev/shm', '/tmp', '/run']);
    assert.deepEqual(extractionDirs({ TMPDIR: '/tmp' }, 0), ['/tmp', '/dev/shm', '/run', '/dev'], 'each once');
  });

  test('a module put in place at build time: COLONY_KOFFI_NATIVE, else beside the executable', () => {
    assert.equal(placedModule({}, '/usr/local/bin/colony'), '/usr/local/bin/colony.koffi.node');
    assert.equal(placedModule({ COLONY_KOFFI_NATIVE: '/opt/k.node' }, '/usr/local/bin/colony'), '/opt/k.node');
  });
});

describe('decodeWaitStatus: a wait status as exit code or signal', () => {
  test('an exit code is in the second byte', () => {
    assert.deepEqual(decodeWaitStatus(0), { code: 0, signal: null });
    assert.deepEqual(decodeWaitStatus(0x0300), { code: 3, signal: null });
    assert.deepEqual(decodeWaitStatus(0xff00), { code: 255, signal: null });
  });

  test('a signal is in the low 7 bits (the core-dump bit aside)', () => {
    assert.deepEqual(decodeWaitStatus(15), { code: null, signal: 'SIGTERM' });
    assert.deepEqual(decodeWaitStatus(9), { code: null, signal: 'SIGKILL' });
    assert.deepEqual(decodeWaitStatus(0x80 | 11), { code: null, signal: 'SIGSEGV' });
  });
});
