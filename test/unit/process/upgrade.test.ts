import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '../../../src/common/clock.ts';
import { Upgrade, UPGRADE_POLL_MS, type UpgradeOutcome, type UpgradePlan, type UpgradeWorld } from '../../../src/process/upgrade.ts';

const OLD = 100;
const TIMEOUT_MS = 30_000;
const KILL_MS = 5_000;
const PLAN: UpgradePlan = { old: OLD, signal: 'SIGUSR2', stopSignal: 'SIGTERM', timeoutMs: TIMEOUT_MS, killTimeMs: KILL_MS };

// The old master's image: a worker it forks shares its arg_start; a new master (executed) has its own.
const OLD_IMAGE = '0x7ffd0000';
const NEW_IMAGE = '0x7ffe0000';
const HELPER = 105;
const HELPER_IMAGE = '0x7ffc0000';

// A fake /proc (each pid's parent and arg_start, changed by the test) and a kill(2) that records.
class FakeUpgradeWorld implements UpgradeWorld {
  readonly clock = new FakeClock();
  readonly procs = new Map<number, { ppid: number; args: string }>([[OLD, { ppid: 1, args: OLD_IMAGE }]]);
  readonly sent: Array<{ pid: number; signal: NodeJS.Signals; at: number }> = [];

  children(pid: number): number[] {
    return [...this.procs].filter(([, p]) => p.ppid === pid).map(([child]) => child);
  }

  argStart(pid: number): string | undefined {
    return this.procs.get(pid)?.args;
  }

  send(pid: number, signal: NodeJS.Signals): boolean {
    this.sent.push({ pid, signal, at: this.clock.now() });
    return this.procs.has(pid);
  }

  worker(pid: number): void {
    this.procs.set(pid, { ppid: OLD, args: OLD_IMAGE });
  }

  newMaster(pid: number): void {
    this.procs.set(pid, { ppid: OLD, args: NEW_IMAGE });
  }

  signals(): string[] {
    return this.sent.map((s) => `${s.signal} ${s.pid} @${s.at}`);
  }
}

function setup(): { world: FakeUpgradeWorld; up: Upgrade; outcomes: UpgradeOutcome[] } {
  const world = new FakeUpgradeWorld();
  // The old master's workers, there before the upgrade, and a helper it executed (its own arg_start,
  // like a new master's): neither is a new main process.
  world.worker(101);
  world.worker(102);
  world.procs.set(HELPER, { ppid: OLD, args: HELPER_IMAGE });
  const outcomes: UpgradeOutcome[] = [];
  const up = new Upgrade(PLAN, world, (o) => outcomes.push(o));
  return { world, up, outcomes };
}

describe('Upgrade: the new main process is ready', () => {
  test('start() sends the upgrade signal to the old main pid', () => {
    const { world, up, outcomes } = setup();
    assert.equal(up.start(), true);
    assert.deepEqual(world.signals(), ['SIGUSR2 100 @0']);
    assert.equal(up.active, true);
    assert.deepEqual(outcomes, []);
  });

  test("ready(pid) sends the stop signal to the old main pid and stops the timers; handedOver(pid) ends it well", () => {
    const { world, up, outcomes } = setup();
    up.start();
    world.clock.advance(250);
    world.newMaster(300);
    world.clock.advance(100);
    up.ready(300);
    assert.deepEqual(world.signals(), ['SIGUSR2 100 @0', 'SIGTERM 100 @350']);
    assert.equal(up.newPid, 300);
    assert.equal(world.clock.pending(), 0, 'no timeout, no poll');
    assert.equal(up.active, true, 'under way until the main pid is handed over');
    assert.deepEqual(outcomes, []);
    world.clock.advance(TIMEOUT_MS * 2);
    assert.deepEqual(outcomes, [], 'no rollback after ready');
    up.handedOver(300);
    assert.deepEqual(outcomes, [{ ok: true, pid: 300 }]);
    assert.equal(up.active, false);
    up.handedOver(300);
    up.abandon('late');
    assert.equal(outcomes.length, 1, 'finished once');
  });

  test('READY=1 from the old main pid itself is not the new one', () => {
    const { world, up } = setup();
    up.start();
    up.ready(OLD);
    assert.equal(up.newPid, undefined);
    assert.deepEqual(world.signals(), ['SIGUSR2 100 @0']);
  });

  test('a second READY=1 sends no second stop signal', () => {
    const { world, up } = setup();
    up.start();
    world.newMaster(300);
    up.ready(300);
    up.ready(301);
    assert.equal(up.newPid, 300);
    assert.deepEqual(world.signals(), ['SIGUSR2 100 @0', 'SIGTERM 100 @0']);
  });

  test('start() returns false, with nothing scheduled, when the main pid is gone', () => {
    const world = new FakeUpgradeWorld();
    world.procs.delete(OLD);
    const outcomes: UpgradeOutcome[] = [];
    const up = new Upgrade(PLAN, world, (o) => outcomes.push(o));
    assert.equal(up.start(), false);
    assert.equal(up.active, false);
    assert.equal(world.clock.pending(), 0);
    world.clock.advance(TIMEOUT_MS * 2);
    assert.deepEqual(outcomes, []);
  });

  test('abandon() ends it, not ok, with the reason given, and stops the timers', () => {
    const { world, up, outcomes } = setup();
    up.start();
    up.abandon('stopped on request');
    assert.deepEqual(outcomes, [{ ok: false, reason: 'stopped on request' }]);
    assert.equal(world.clock.pending(), 0);
  });
});

describe('Upgrade: rollback', () => {
  test('no READY=1 in time: SIGTERM to the new main process only, SIGKILL after the kill time; the reason names the pids', () => {
    const { world, up, outcomes } = setup();
    up.start();
    world.clock.advance(1_000);
    world.newMaster(300);
    // A worker the old master forks meanwhile: new, but not a new main process.
    world.worker(103);
    world.clock.advance(TIMEOUT_MS - 1_000 - 1);
    assert.deepEqual(outcomes, []);
    world.clock.advance(1);
    assert.deepEqual(world.signals(), ['SIGUSR2 100 @0', `SIGTERM 300 @${TIMEOUT_MS}`]);
    assert.deepEqual(outcomes, [{ ok: false, reason: 'no new main process was ready within 30 s; stopped the new process (pid 300), the old main process (pid 100) goes on' }]);
    assert.equal(up.active, false);
    world.clock.advance(KILL_MS - 1);
    assert.equal(world.sent.length, 2);
    world.clock.advance(1);
    assert.deepEqual(world.signals().slice(2), [`SIGKILL 300 @${TIMEOUT_MS + KILL_MS}`]);
    assert.ok(!world.sent.some((s) => [OLD, 101, 102, 103, HELPER].includes(s.pid) && s.signal !== 'SIGUSR2'), 'the old master, its workers and its helper are left alone');
    assert.equal(world.clock.pending(), 0);
  });

  test('no new process at all by the timeout: nothing is stopped', () => {
    const { world, up, outcomes } = setup();
    up.start();
    world.clock.advance(TIMEOUT_MS);
    assert.deepEqual(world.signals(), ['SIGUSR2 100 @0']);
    assert.deepEqual(outcomes, [{ ok: false, reason: 'no new main process was ready within 30 s; the old main process (pid 100) goes on' }]);
    assert.equal(world.clock.pending(), 0);
  });

  test('two new processes: both are named and stopped', () => {
    const { world, up, outcomes } = setup();
    up.start();
    world.newMaster(300);
    world.newMaster(301);
    world.clock.advance(TIMEOUT_MS);
    assert.deepEqual(world.signals(), ['SIGUSR2 100 @0', `SIGTERM 300 @${TIMEOUT_MS}`, `SIGTERM 301 @${TIMEOUT_MS}`]);
    assert.match(outcomes[0]?.ok === false ? outcomes[0].reason : '', /stopped the new processes \(pid 300, 301\)/);
  });

  test('a new main process that appears then exits before READY=1: rolled back at the next poll', () => {
    const { world, up, outcomes } = setup();
    up.start();
    world.clock.advance(150);
    world.newMaster(300);
    world.clock.advance(100); // seen at the poll at 200
    assert.deepEqual(outcomes, []);
    world.procs.delete(300);
    world.clock.advance(UPGRADE_POLL_MS); // gone at the poll at 300
    assert.deepEqual(outcomes, [{ ok: false, reason: 'the new main process (pid 300) exited before it was ready; the old main process (pid 100) goes on' }]);
    assert.equal(world.clock.now(), 250 + UPGRADE_POLL_MS);
    assert.deepEqual(world.signals(), ['SIGUSR2 100 @0'], 'nothing left to stop');
    assert.equal(world.clock.pending(), 0, 'the timeout is cancelled');
  });

  test('a worker that the old master forks and that exits is not taken for a failed new main process', () => {
    const { world, up, outcomes } = setup();
    up.start();
    world.worker(103);
    world.clock.advance(UPGRADE_POLL_MS * 3);
    world.procs.delete(103);
    world.clock.advance(UPGRADE_POLL_MS * 3);
    assert.deepEqual(outcomes, []);
    assert.equal(up.active, true);
  });
});
