import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Descriptor } from '../../../src/descriptor/parse.ts';
import { memoryLog } from '../../../src/log/logger.ts';
import { ProcessChecks, type ChecksHost } from '../../../src/process/checks.ts';
import { NotifyHub } from '../../../src/process/notify.ts';
import { SupervisedProcess } from '../../../src/process/supervised.ts';
import { descriptorOf, FakeWorld, FIRST_PID, testPolicy } from '../helpers/fake-world.ts';

// The process the checks report to: what it was told, counted.
class FakeHost implements ChecksHost {
  readonly name = 'web';
  readonly descriptor: Descriptor;
  changes = 0;
  restarts = 0;
  readonly unhealthyDetails: string[] = [];

  constructor(fields: Record<string, unknown>) {
    this.descriptor = descriptorOf({ args: ['/usr/bin/web'], ...fields });
  }

  definition(): Descriptor {
    return this.descriptor;
  }
  changed(): void {
    this.changes++;
  }
  restart(): void {
    this.restarts++;
  }
  unhealthy(detail: string): void {
    this.unhealthyDetails.push(detail);
  }
}

// A notify hub whose socket opens (or cannot be opened) without any real socket.
function fakeHub(world: FakeWorld, o: { failOpen?: boolean } = {}): NotifyHub {
  return new NotifyHub({
    open: () => {
      if (o.failOpen) throw Object.assign(new Error('socket EAFNOSUPPORT'), { code: 'EAFNOSUPPORT' });
      return { address: '@colony/notify-test', close: () => {} };
    },
    procInfo: () => undefined,
    log: world.log,
    self: 1,
  });
}

// The checks of a process with these descriptor fields, in a fake world with a notify hub
// (`hub: 'none'`: no hub at all, as without koffi; 'broken': one whose socket cannot be opened).
function setup(fields: Record<string, unknown>, hub: 'ok' | 'none' | 'broken' = 'ok') {
  const base = new FakeWorld();
  const world = hub === 'none' ? base : Object.assign(base, { notify: fakeHub(base, { failOpen: hub === 'broken' }) });
  const host = new FakeHost(fields);
  const log = memoryLog();
  const checks = new ProcessChecks(host, world, log);
  return { world, clock: world.clock, host, log, checks };
}

const errorLines = (log: ReturnType<typeof memoryLog>): string[] => log.records.filter((r) => r.level === 'error').map((r) => r.msg);

describe('ready by READY=1 (ProcessChecks)', () => {
  test('not ready when it comes up; ready at notifyReady(), said once', () => {
    const { clock, host, log, checks } = setup({ ready: { notify: true, timeout: 10 } });
    checks.cameUp();
    assert.equal(checks.ready, false);
    clock.advance(3_000);
    assert.equal(checks.ready, false);
    checks.notifyReady();
    assert.equal(checks.ready, true);
    assert.equal(host.changes, 1);
    assert.deepEqual(
      log.records.filter((r) => r.msg === 'ready').map((r) => r.probe),
      ['READY=1'],
    );
    checks.notifyReady();
    assert.equal(host.changes, 1, 'a second READY=1 changes nothing');
    assert.equal(clock.pending(), 0, 'the ready timeout is cancelled');
    clock.advance(60_000);
    assert.equal(host.restarts, 0);
  });

  test('no READY=1 within the timeout: restarted, with an error saying why', () => {
    const { clock, host, log, checks } = setup({ ready: { notify: true, timeout: 10 } });
    checks.cameUp();
    clock.advance(9_999);
    assert.equal(host.restarts, 0);
    clock.advance(1);
    assert.equal(host.restarts, 1);
    assert.equal(checks.ready, false);
    assert.deepEqual(errorLines(log), ['not ready in time (no READY=1 over NOTIFY_SOCKET); restarting']);
  });

  test('RELOADING=1 makes it not ready until the next READY=1', () => {
    const { host, checks, log } = setup({ ready: { notify: true } });
    checks.cameUp();
    checks.notifyReady();
    checks.reloading();
    assert.equal(checks.ready, false);
    assert.equal(host.changes, 2);
    assert.ok(log.records.some((r) => r.msg.startsWith('reloading (RELOADING=1)')));
    checks.notifyReady();
    assert.equal(checks.ready, true);
    assert.equal(host.changes, 3);
  });

  test('RELOADING=1 before it was ready changes nothing', () => {
    const { host, checks } = setup({ ready: { notify: true } });
    checks.cameUp();
    checks.reloading();
    assert.equal(host.changes, 0);
  });

  test('STOPPING=1 makes a ready process not ready', () => {
    const { host, checks } = setup({ ready: { notify: true } });
    checks.cameUp();
    checks.notifyReady();
    checks.stopping();
    assert.equal(checks.ready, false);
    assert.equal(host.changes, 2);
  });

  test('READY=1 counts only for a process ready by notify: one without a ready probe is ready at once', () => {
    const { host, checks } = setup({});
    checks.cameUp();
    assert.equal(checks.ready, true);
    checks.notifyReady();
    checks.reloading();
    assert.equal(checks.ready, true, 'RELOADING=1 does not apply either');
    assert.equal(host.changes, 0);
  });

  test('going down cancels the ready timeout', () => {
    const { clock, host, checks } = setup({ ready: { notify: true, timeout: 10 } });
    checks.cameUp();
    checks.wentDown();
    assert.equal(clock.pending(), 0);
    clock.advance(60_000);
    assert.equal(host.restarts, 0);
  });

  test('without a notify hub (no koffi): treated as ready, with an error', () => {
    const { clock, host, log, checks } = setup({ ready: { notify: true, timeout: 10 } }, 'none');
    checks.cameUp();
    assert.equal(checks.ready, true);
    assert.deepEqual(errorLines(log), ['ready by READY=1 is unusable: colony has no notify socket; treated as ready']);
    clock.advance(60_000);
    assert.equal(host.restarts, 0);
  });

  test('when the socket cannot be opened (address() undefined): treated as ready, with an error', () => {
    const { world, clock, host, log, checks } = setup({ ready: { notify: true, timeout: 10 } }, 'broken');
    checks.cameUp();
    assert.equal(checks.ready, true);
    assert.deepEqual(errorLines(log), ['ready by READY=1 is unusable: colony has no notify socket; treated as ready']);
    assert.ok(world.log.records.some((r) => r.level === 'error' && r.msg.startsWith('cannot open the notify socket')), "the hub's own error");
    clock.advance(60_000);
    assert.equal(host.restarts, 0);
  });
});

describe('the watchdog (ProcessChecks)', () => {
  test('no WATCHDOG=1 within "watchdog" seconds: a restart is asked, with an error', () => {
    const { clock, host, log, checks } = setup({ watchdog: 2 });
    checks.cameUp();
    clock.advance(1_999);
    assert.equal(host.restarts, 0);
    clock.advance(1);
    assert.equal(host.restarts, 1);
    assert.equal(host.changes, 1);
    assert.deepEqual(errorLines(log), ['watchdog: no WATCHDOG=1 within 2 s; restarting']);
  });

  test('WATCHDOG=1 in time starts the period over: no restart while it keeps pinging', () => {
    const { clock, host, checks } = setup({ watchdog: 2 });
    checks.cameUp();
    for (let i = 0; i < 10; i++) {
      clock.advance(1_900);
      checks.watchdog('1');
    }
    assert.equal(host.restarts, 0);
    // Then it hangs: restarted 2 s after its last ping.
    clock.advance(1_999);
    assert.equal(host.restarts, 0);
    clock.advance(1);
    assert.equal(host.restarts, 1);
  });

  test('WATCHDOG=trigger restarts at once', () => {
    const { host, log, checks } = setup({ watchdog: 30 });
    checks.cameUp();
    checks.watchdog('trigger');
    assert.equal(host.restarts, 1);
    assert.deepEqual(errorLines(log), ['watchdog triggered by the process (WATCHDOG=trigger); restarting']);
  });

  test('other values are ignored', () => {
    const { clock, host, checks } = setup({ watchdog: 2 });
    checks.cameUp();
    clock.advance(1_500);
    checks.watchdog('0');
    clock.advance(500);
    assert.equal(host.restarts, 1, 'WATCHDOG=0 is no ping');
  });

  test('no watchdog without "watchdog", and none once the process went down', () => {
    const plain = setup({});
    plain.checks.cameUp();
    plain.checks.watchdog('1');
    assert.equal(plain.clock.pending(), 0);
    const down = setup({ watchdog: 2 });
    down.checks.cameUp();
    down.checks.wentDown();
    down.checks.watchdog('1');
    assert.equal(down.clock.pending(), 0, 'a late WATCHDOG=1 does not arm it again');
    down.clock.advance(10_000);
    assert.equal(down.host.restarts, 0);
  });

  test('without a notify socket the process cannot send WATCHDOG=1: it is not restarted for that', () => {
    for (const hub of ['none', 'broken'] as const) {
      const { clock, host, log, checks } = setup({ watchdog: 2 }, hub);
      checks.cameUp();
      clock.advance(10_000);
      assert.equal(host.restarts, 0, `${hub}: restarted ${host.restarts} times for pings it had no socket to send`);
      assert.deepEqual(errorLines(log), ['watchdog is unusable: colony has no notify socket; not watched'], `${hub}: said once, when it came up`);
    }
  });
});

describe('READY=1 through the hub to a supervised process', () => {
  test('a READY=1 from its main pid makes it ready; one from an unknown pid does not', () => {
    const base = new FakeWorld();
    const hub = fakeHub(base);
    const world = Object.assign(base, { notify: hub });
    const proc = new SupervisedProcess('web', descriptorOf({ args: ['/usr/bin/web'], ready: { notify: true } }), testPolicy(), world);
    proc.start();
    assert.equal(world.last.request.env.NOTIFY_SOCKET, '@colony/notify-test');
    assert.equal(proc.ready, false);
    hub.receive({ text: 'READY=1', pid: 4242, uid: 0, truncated: false });
    assert.equal(proc.ready, false, 'a stranger cannot make it ready');
    hub.receive({ text: 'READY=1\nSTATUS=serving', pid: FIRST_PID, uid: 0, truncated: false });
    assert.equal(proc.ready, true);
    assert.equal(proc.notifyStatus, 'serving');
  });
});
