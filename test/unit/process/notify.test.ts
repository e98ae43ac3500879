import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { memoryLog } from '../../../src/log/logger.ts';
import { NotifyHub, notifyEnvironment, parseNotify, wantsNotify, type NotifyMessage, type NotifyTarget, type NotifyWorld, type ProcInfo } from '../../../src/process/notify.ts';
import type { NotifyDatagram } from '../../../src/system/libc.ts';
import { descriptorOf } from '../helpers/fake-world.ts';

describe('parseNotify', () => {
  test('KEY=VALUE lines, in order', () => {
    const { fields, malformed } = parseNotify('READY=1\nSTATUS=Serving 4 workers\nMAINPID=4242');
    assert.deepEqual([...fields], [
      ['READY', '1'],
      ['STATUS', 'Serving 4 workers'],
      ['MAINPID', '4242'],
    ]);
    assert.deepEqual(malformed, []);
  });

  test('empty lines (and an empty message) are skipped, not malformed', () => {
    assert.deepEqual([...parseNotify('\n\nREADY=1\n\n').fields], [['READY', '1']]);
    assert.deepEqual(parseNotify(''), { fields: new Map(), malformed: [] });
    assert.deepEqual(parseNotify('\n').malformed, []);
  });

  test('a line without "=" or with an empty key is malformed; the others still count', () => {
    const { fields, malformed } = parseNotify('garbage\n=1\nREADY=1\n ');
    assert.deepEqual([...fields], [['READY', '1']]);
    assert.deepEqual(malformed, ['garbage', '=1', ' ']);
  });

  test('a key given twice keeps its last value', () => {
    const { fields } = parseNotify('STATUS=booting\nREADY=1\nSTATUS=serving');
    assert.equal(fields.get('STATUS'), 'serving');
    assert.equal(fields.size, 2);
  });

  test('a value may contain "=" (only the first one splits) or be empty', () => {
    const { fields, malformed } = parseNotify('STATUS=a=b==c\nERRNO=');
    assert.equal(fields.get('STATUS'), 'a=b==c');
    assert.equal(fields.get('ERRNO'), '');
    assert.deepEqual(malformed, []);
  });
});

describe('wantsNotify and notifyEnvironment', () => {
  const ADDRESS = '@colony/notify-test';
  // colony's environment when colony itself runs under systemd.
  const inherited = (): Record<string, string> => ({ PATH: '/usr/bin', NOTIFY_SOCKET: '/run/systemd/notify', WATCHDOG_USEC: '30000000', WATCHDOG_PID: '1' });

  test('a process wants NOTIFY_SOCKET with "ready": {"notify": true} or with "watchdog"', () => {
    assert.equal(wantsNotify(descriptorOf({ args: ['/bin/app'] })), false);
    assert.equal(wantsNotify(descriptorOf({ args: ['/bin/app'], ready: { tcp: '127.0.0.1:80' } })), false);
    assert.equal(wantsNotify(descriptorOf({ args: ['/bin/app'], ready: { notify: true } })), true);
    assert.equal(wantsNotify(descriptorOf({ args: ['/bin/app'], watchdog: 10 })), true);
  });

  test("colony's own NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID are not passed to a process that does not ask", () => {
    const env = inherited();
    let asked = 0;
    notifyEnvironment(env, descriptorOf({ args: ['/bin/app'] }), () => {
      asked++;
      return ADDRESS;
    });
    assert.deepEqual(env, { PATH: '/usr/bin' });
    assert.equal(asked, 0, 'the socket is not opened for a process that does not ask');
  });

  test("the descriptor's env may set them: then they stay", () => {
    const env = { ...inherited(), NOTIFY_SOCKET: '/custom/socket', WATCHDOG_PID: '77' };
    notifyEnvironment(env, descriptorOf({ args: ['/bin/app'], env: { NOTIFY_SOCKET: '/custom/socket', WATCHDOG_PID: '77' } }), () => ADDRESS);
    assert.deepEqual(env, { PATH: '/usr/bin', NOTIFY_SOCKET: '/custom/socket', WATCHDOG_PID: '77' });
  });

  test('"ready": {"notify": true} gets colony\'s socket, and no WATCHDOG_USEC', () => {
    const env = inherited();
    notifyEnvironment(env, descriptorOf({ args: ['/bin/app'], ready: { notify: true } }), () => ADDRESS);
    assert.deepEqual(env, { PATH: '/usr/bin', NOTIFY_SOCKET: ADDRESS });
  });

  test('"watchdog" gets the socket and WATCHDOG_USEC in microseconds', () => {
    const env = inherited();
    notifyEnvironment(env, descriptorOf({ args: ['/bin/app'], watchdog: 2.5 }), () => ADDRESS);
    assert.deepEqual(env, { PATH: '/usr/bin', NOTIFY_SOCKET: ADDRESS, WATCHDOG_USEC: '2500000' });
  });

  test('without a socket (it cannot be opened) a process that asks gets none, and not colony\'s either', () => {
    const env = inherited();
    notifyEnvironment(env, descriptorOf({ args: ['/bin/app'], ready: { notify: true }, watchdog: 5 }), () => undefined);
    assert.deepEqual(env, { PATH: '/usr/bin' });
  });
});

// colony's pid in these worlds (not 1: colony as a subreaper, so that the walk's stop at colony shows).
const SELF = 7;

// A fake /proc: pid → its parent and process group; a pid not listed is gone.
type Table = Record<number, ProcInfo>;

function hubWorld(table: Table, o: { failOpen?: boolean } = {}) {
  const log = memoryLog();
  const opened: Array<(d: NotifyDatagram) => void> = [];
  const looked: number[] = [];
  let closed = 0;
  const world: NotifyWorld = {
    open(onMessage) {
      opened.push(onMessage);
      if (o.failOpen) throw Object.assign(new Error('socket EMFILE'), { code: 'EMFILE' });
      return {
        address: '@colony/notify-test',
        close: () => {
          closed++;
        },
      };
    },
    procInfo(pid) {
      looked.push(pid);
      return table[pid];
    },
    log,
    self: SELF,
  };
  const hub = new NotifyHub(world);
  return { hub, log, opened, looked, closed: () => closed };
}

function target(name: string, notifyPids: number[], processGroup: number | undefined = notifyPids[0]): NotifyTarget & { got: NotifyMessage[] } {
  const got: NotifyMessage[] = [];
  return { name, notifyPids, processGroup, got, notified: (m) => got.push(m) };
}

function datagram(pid: number, text = 'READY=1', o: Partial<NotifyDatagram> = {}): NotifyDatagram {
  return { text, pid, uid: 0, truncated: false, ...o };
}

const warnings = (log: ReturnType<typeof memoryLog>) => log.records.filter((r) => r.level === 'warn');

describe('NotifyHub: which process a message belongs to', () => {
  // web: main pid 100 (group 100), with a worker 200 and the worker's child 300 in other groups;
  // db: main pid 500 (group 500); 400 is in web's group but was re-parented to colony;
  // 900 is unrelated (its parent is colony, its own group).
  const TABLE: Table = {
    100: { ppid: SELF, pgrp: 100 },
    200: { ppid: 100, pgrp: 200 },
    300: { ppid: 200, pgrp: 300 },
    400: { ppid: SELF, pgrp: 100 },
    500: { ppid: SELF, pgrp: 500 },
    900: { ppid: SELF, pgrp: 900 },
    901: { ppid: 1, pgrp: 901 },
  };

  function setup() {
    const w = hubWorld(TABLE);
    const web = target('web', [100]);
    const db = target('db', [500]);
    w.hub.register(web);
    w.hub.register(db);
    return { ...w, web, db };
  }

  test("a message from a process's main pid goes to it, with its fields and sender", () => {
    const { hub, web, db, log } = setup();
    hub.receive(datagram(100, 'READY=1\nSTATUS=up'));
    assert.equal(web.got.length, 1);
    assert.deepEqual([...web.got[0]!.fields], [
      ['READY', '1'],
      ['STATUS', 'up'],
    ]);
    assert.equal(web.got[0]!.pid, 100);
    assert.equal(db.got.length, 0);
    assert.deepEqual(warnings(log), []);
    assert.deepEqual(hub.counts, { received: 1, ignored: 0 });
  });

  test('from a descendant (a worker, a worker\'s child) it goes to the process it descends from', () => {
    const { hub, web, db } = setup();
    hub.receive(datagram(200));
    hub.receive(datagram(300, 'STATUS=deep'));
    assert.deepEqual(
      web.got.map((m) => m.pid),
      [200, 300],
    );
    assert.equal(db.got.length, 0);
  });

  test('from a process in its process group (re-parented to colony) it goes to it', () => {
    const { hub, web, db } = setup();
    hub.receive(datagram(400));
    assert.deepEqual(
      web.got.map((m) => m.pid),
      [400],
    );
    assert.equal(db.got.length, 0);
  });

  test('a pid the process accepts besides its main pid (a successor in waiting) is its own', () => {
    const w = hubWorld(TABLE);
    const web = target('web', [100, 900], 100);
    w.hub.register(web);
    w.hub.receive(datagram(900));
    assert.deepEqual(
      web.got.map((m) => m.pid),
      [900],
    );
  });

  test('from an unrelated pid it is ignored, with one warning per pid, and counted', () => {
    const { hub, web, db, log } = setup();
    hub.receive(datagram(900, 'READY=1\nMAINPID=100'));
    hub.receive(datagram(900, 'READY=1'));
    hub.receive(datagram(900, 'WATCHDOG=1'));
    assert.equal(web.got.length + db.got.length, 0);
    assert.equal(warnings(log).length, 1, 'one warning for pid 900, however many messages');
    assert.equal(warnings(log)[0]!.pid, 900);
    assert.deepEqual(warnings(log)[0]!.keys, ['READY', 'MAINPID']);
    hub.receive(datagram(901));
    assert.equal(warnings(log).length, 2, 'another pid gets its own warning');
    assert.deepEqual(hub.counts, { received: 4, ignored: 4 });
  });

  test('a sender that is gone (no /proc entry) or without credentials (pid 0) is ignored', () => {
    const { hub, web, db, looked } = setup();
    hub.receive(datagram(12345));
    hub.receive(datagram(0));
    assert.equal(web.got.length + db.got.length, 0);
    assert.equal(hub.counts.ignored, 2);
    assert.ok(!looked.includes(0), 'pid 0 is not looked up');
  });

  test('the walk up the process tree stops at colony: its parent is nobody\'s ancestor here', () => {
    // colony (7) has a parent 3 that some process lists as its own: a child of colony is still not 3's.
    const w = hubWorld({ 600: { ppid: SELF, pgrp: 600 }, [SELF]: { ppid: 3, pgrp: 3 }, 3: { ppid: 1, pgrp: 3 } });
    const odd = target('odd', [3], undefined);
    w.hub.register(odd);
    w.hub.receive(datagram(600));
    assert.equal(odd.got.length, 0);
    assert.equal(w.hub.counts.ignored, 1);
    assert.ok(!w.looked.includes(SELF), `colony's own /proc entry is not read (read: ${w.looked.join(', ')})`);
  });

  test('an ancestor wins over a process group: a worker of web that joined db\'s group is web\'s', () => {
    const w = hubWorld({ ...TABLE, 250: { ppid: 100, pgrp: 500 } });
    const web = target('web', [100]);
    const db = target('db', [500]);
    w.hub.register(web);
    w.hub.register(db);
    w.hub.receive(datagram(250));
    assert.equal(web.got.length, 1);
    assert.equal(db.got.length, 0);
  });

  test('an unregistered process gets nothing more', () => {
    const { hub, web } = setup();
    hub.unregister(web);
    hub.receive(datagram(100));
    assert.equal(web.got.length, 0);
    assert.equal(hub.counts.ignored, 1);
  });

  test('at most 100 senders are warned about; every ignored message is still counted', () => {
    const w = hubWorld({});
    for (let pid = 2000; pid < 2150; pid++) w.hub.receive(datagram(pid));
    assert.equal(warnings(w.log).length, 100);
    assert.equal(w.hub.counts.ignored, 150);
  });
});

describe('NotifyHub: malformed and truncated messages', () => {
  test('lines that are not KEY=VALUE: one warning naming them; the rest is delivered', () => {
    const w = hubWorld({});
    const web = target('web', [100]);
    w.hub.register(web);
    w.hub.receive(datagram(100, 'READY=1\nnonsense\n=x'));
    assert.equal(web.got.length, 1);
    assert.equal(web.got[0]!.fields.get('READY'), '1');
    assert.deepEqual(web.got[0]!.malformed, ['nonsense', '=x']);
    const warned = warnings(w.log);
    assert.equal(warned.length, 1);
    assert.match(warned[0]!.msg, /not KEY=VALUE/);
    assert.equal(warned[0]!.proc, 'web');
    assert.deepEqual(warned[0]!.lines, ['nonsense', '=x']);
  });

  test('a truncated message is said to be cut, and what arrived is delivered', () => {
    const w = hubWorld({});
    const web = target('web', [100]);
    w.hub.register(web);
    w.hub.receive(datagram(100, 'STATUS=' + 'x'.repeat(100), { truncated: true }));
    assert.equal(web.got.length, 1);
    const warned = warnings(w.log);
    assert.equal(warned.length, 1);
    assert.match(warned[0]!.msg, /longer than 4096 bytes: cut/);
    assert.equal(warned[0]!.pid, 100);
  });

  test('a truncated message from an unknown sender gets only the "ignored" warning', () => {
    const w = hubWorld({});
    w.hub.receive(datagram(100, 'READY=1', { truncated: true }));
    assert.equal(warnings(w.log).length, 1);
    assert.match(warnings(w.log)[0]!.msg, /ignored/);
  });
});

describe('NotifyHub: the socket', () => {
  test('address() opens the socket at the first call only; its messages reach receive()', () => {
    const w = hubWorld({});
    assert.equal(w.opened.length, 0, 'not opened before anyone asks');
    assert.equal(w.hub.address(), '@colony/notify-test');
    assert.equal(w.hub.address(), '@colony/notify-test');
    assert.equal(w.opened.length, 1);
    const web = target('web', [100]);
    w.hub.register(web);
    w.opened[0]!(datagram(100));
    assert.equal(web.got.length, 1);
  });

  test('when it cannot be opened: one error, then undefined without trying again', () => {
    const w = hubWorld({}, { failOpen: true });
    assert.equal(w.hub.address(), undefined);
    assert.equal(w.hub.address(), undefined);
    assert.equal(w.hub.address(), undefined);
    assert.equal(w.opened.length, 1, 'opened once');
    const errors = w.log.records.filter((r) => r.level === 'error');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.msg, /cannot open the notify socket/);
    assert.match(String(errors[0]!.error), /EMFILE/);
  });

  test('close() closes the socket once opened', () => {
    const w = hubWorld({});
    w.hub.close();
    assert.equal(w.closed(), 0, 'nothing to close before it was opened');
    w.hub.address();
    w.hub.close();
    assert.equal(w.closed(), 1);
  });
});
