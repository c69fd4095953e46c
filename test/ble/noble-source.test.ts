/**
 * The Bluetooth source with the real noble stack (hci-socket bindings, gap, gatt, acl-stream) against the virtual
 * H10: only the radio is fake. The strap clock is manual (`tick()`), and the source runs with short timeouts, so
 * every path takes well under a second except adapter down/up, which waits for noble's 1 s poll.
 */
import './harness.js';
import { afterEach, describe, expect, it } from 'vitest';
import { loadFreshNoble, NO_RR_AFTER_NOTIFICATIONS, NO_RR_REASON, scanStraps } from '../../src/ble/noble-source.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { HCI_STATUS, useVirtualController, VirtualController } from '../../src/testing/virtual-h10/index.js';
import { FAST_TIMING, type SourceRun, sleepMs, startSource } from './harness.js';

const recording = await readRrFile(new URL('../../recordings/bartels_rest_rri.txt', import.meta.url).pathname);
/** The first 40 intervals of a real resting recording, as a strap sends them (1/1024 s ticks). */
const RR_TICKS = Array.from(recording.rrMs.subarray(0, 40), (ms) => Math.round((ms * 1024) / 1000));

let run: SourceRun | null = null;
afterEach(() => {
  run?.stop();
  run?.controller.close();
  run = null;
});

function start(...args: Parameters<typeof startSource>): SourceRun {
  run = startSource(...args);
  return run;
}

describe('noble source against the virtual H10', () => {
  it('discovers, connects and delivers the strap’s RR values, in order, as notification samples', async () => {
    let clockMs = 1_000_000;
    const r = start({ straps: [{ rrTicks: RR_TICKS, whenRrEnd: 'stop' }] }, { now: () => clockMs++ });
    await r.untilState('live');
    expect(r.states).toEqual(['scanning', 'connecting', 'live']);
    const live = r.statuses[2];
    expect(live.device).toEqual({ name: 'Polar H10 8AA87D20', id: '8AA87D20' });
    expect(live.batteryPct).toBe(87);

    await r.tickUntilRr(RR_TICKS.length);
    expect(r.rrTicks).toEqual(RR_TICKS);
    const samples = r.events.filter((e) => e.type === 'notification');
    for (const s of samples) {
      expect(s.sourceTimeMs).toBe(s.receivedAtMs);
      expect(s.sourceTimeMs).toBeGreaterThanOrEqual(1_000_000);
    }
    // What went over the air is what came out: payload bytes untouched.
    expect(samples.map((s) => Buffer.from(s.payload).toString('hex'))).toEqual(
      r.controller.strap.sent.map((n) => Buffer.from(n.payload).toString('hex')),
    );
    // noble negotiated the H10's MTU and the log carries what was read from the strap.
    const connected = r.log.lines.find((l) => l.msg === 'strap connected');
    expect(connected?.obj).toMatchObject({
      mtu: 232,
      batteryPct: 87,
      bodySensorLocation: 'chest',
      manufacturer: 'Polar Electro Oy',
      model: 'H10',
      firmware: '5.0.0',
    });
  });

  it('says so, once, when a live strap sends heart rate without RR intervals', async () => {
    // 12 RR values, then heart rate alone (whenRrEnd 'stop'), notification after notification.
    const r = start({ straps: [{ rrTicks: RR_TICKS.slice(0, 12), whenRrEnd: 'stop' }] });
    await r.untilState('live');
    await r.tickUntilRr(12);
    const hrOnly = async (n: number) => {
      for (let i = 0; i < n; i++) {
        const before = r.notificationCount;
        r.controller.tick();
        await r.until((x) => x.notificationCount > before, 'a notification', 1000);
      }
    };
    // A few notifications without RR are normal (late RR): nothing is said.
    await hrOnly(NO_RR_AFTER_NOTIFICATIONS - 2);
    expect(r.statuses.filter((s) => s.reason === NO_RR_REASON)).toEqual([]);
    await hrOnly(4);
    const told = r.statuses.filter((s) => s.reason === NO_RR_REASON);
    expect(told).toHaveLength(1);
    expect(told[0]).toMatchObject({ state: 'live', device: { id: '8AA87D20' } });
    // The reason is said once, not with every notification.
    await hrOnly(3);
    expect(r.statuses.filter((s) => s.reason === NO_RR_REASON)).toHaveLength(1);
  });

  it('keeps order and values when the strap delivers RR late, in bursts', async () => {
    const r = start({ straps: [{ rrTicks: RR_TICKS, whenRrEnd: 'stop', burstHoldNotifications: 3 }] });
    await r.untilState('live');
    await r.tickUntilRr(RR_TICKS.length);
    expect(r.rrTicks).toEqual(RR_TICKS);
    const perNotification = r.controller.strap.sent.map((n) => (n.payload.length - 2) / 2);
    expect(Math.max(...perNotification)).toBeGreaterThanOrEqual(3);
    expect(perNotification.filter((n) => n === 0).length).toBeGreaterThan(0);
  });

  it('on link loss reports the reason in words, reconnects by itself and the RR values continue', async () => {
    const r = start({ straps: [{ rrTicks: RR_TICKS, whenRrEnd: 'stop' }] });
    await r.untilState('live');
    await r.tickUntilRr(10);

    expect(r.controller.dropLink(HCI_STATUS.CONNECTION_TIMEOUT)).toBe(true);
    await r.untilState('disconnected');
    const lost = r.statuses.find((s) => s.state === 'disconnected');
    expect(lost?.reason).toMatch(/link lost \(supervision timeout.*\[0x08\]/);
    expect(lost?.device?.id).toBe('8AA87D20');

    await r.untilState('live', 2);
    // (a slow machine may also see 'stale' while the test is not ticking)
    expect(r.states.filter((s) => s !== 'stale')).toEqual([
      'scanning',
      'connecting',
      'live',
      'disconnected',
      'scanning',
      'connecting',
      'live',
    ]);
    await r.tickUntilRr(RR_TICKS.length);
    // The manual clock did not run while the link was down: no beat was lost, none repeated.
    expect(r.rrTicks).toEqual(RR_TICKS);
  });

  it('after "remote user terminated" and silence, reconnects when the strap advertises again', async () => {
    const r = start({ straps: [{ rrTicks: RR_TICKS }] });
    await r.untilState('live');
    r.controller.dropLink(HCI_STATUS.REMOTE_USER_TERMINATED, { advertise: false });
    await r.untilState('disconnected');
    expect(r.statuses.at(-1)?.reason).toMatch(/the strap ended the connection.*\[0x13\]/);
    await r.untilState('scanning', 2);
    // Taken off: nothing to find; the scan watchdog says what to do.
    await r.until(
      (x) => x.statuses.some((s) => s.state === 'scanning' && /put the strap on/.test(s.reason ?? '')),
      'scan hint',
    );
    expect(r.controller.isScanning).toBe(true);
    r.controller.strap.setAdvertising(true);
    await r.untilState('live', 2);
    const before = r.rrTicks.length;
    await r.tickUntilRr(before + 3);
  });

  it('a subscription that never completes (no CCCD) times out, disconnects and is retried until it works', async () => {
    const r = start({ straps: [{ cccd: 'missing' }] });
    await r.untilState('disconnected', 2);
    const failures = r.statuses.filter((s) => s.state === 'disconnected');
    expect(failures[0].reason).toMatch(/subscribing to heart-rate notifications timed out after 250 ms/);
    expect(r.states).not.toContain('live');
    // Each attempt ended its link: no connection left behind.
    expect(r.controller.connectionCount).toBeLessThanOrEqual(1);

    r.controller.strap.setCccd('present');
    await r.untilState('live');
    r.controller.tick(2);
    await r.until((x) => x.notificationCount > 0, 'notifications');
  });

  it('a connect that never completes times out, is cancelled and retried', async () => {
    const r = start({ straps: [{ acceptConnections: false }] });
    await r.untilState('disconnected', 2);
    expect(r.statuses.find((s) => s.state === 'disconnected')?.reason).toMatch(/connecting to the strap timed out/);
    expect(r.controller.hasPendingConnection).toBe(false);
    r.controller.strap.setAcceptConnections(true);
    await r.untilState('live');
  });

  it('reports the stale state after silence and goes live again with the next notification', async () => {
    const r = start();
    await r.untilState('live');
    await r.untilState('stale');
    expect(r.statuses.at(-1)?.reason).toMatch(/no data from the strap for 400 ms/);
    r.controller.tick();
    await r.untilState('live', 2);
  });

  it('adapter switched off: a clear status, then back to live when it is on again', async () => {
    const r = start();
    await r.untilState('live');
    r.controller.setAdapterUp(false);
    // noble polls the adapter once a second.
    await r.untilState('disconnected', 1, 2500);
    expect(r.statuses.at(-1)?.reason).toMatch(/Bluetooth adapter is off/);
    r.controller.setAdapterUp(true);
    await r.untilState('live', 2, 2500);
    r.controller.tick();
    await r.until((x) => x.notificationCount > 0, 'notifications after power-on');
  });

  it('adapter off from the start: says so and waits', async () => {
    const r = start({ adapter: 'down' });
    await r.untilState('disconnected');
    expect(r.statuses[0].reason).toMatch(/Bluetooth adapter is off/);
    expect(r.states).not.toContain('scanning');
  });

  it('no Bluetooth adapter at all: noble fails to load and the status says how to fix it', async () => {
    const r = start({ adapter: 'absent' });
    await r.untilState('disconnected');
    expect(r.statuses[0].reason).toMatch(/^no Bluetooth adapter: .*EAFNOSUPPORT.*Plug in a Bluetooth LE/);
  });

  it('an adapter without Bluetooth LE and a process without permission are reported', async () => {
    const old = start({ hciVersion: 5 });
    await old.untilState('disconnected');
    expect(old.statuses[0].reason).toMatch(/does not support Bluetooth Low Energy/);
    old.stop();
    old.controller.close();

    const denied = start({ adapter: 'unauthorized' });
    await denied.untilState('disconnected');
    expect(denied.statuses[0].reason).toMatch(/no permission to use the Bluetooth adapter.*setcap/);
  });

  it('a refused scan finds nothing: the watchdog says so and restarts the scan until it works', async () => {
    const r = start({ scanRefused: true });
    await r.until((x) => x.statuses.some((s) => /no heart-rate strap found/.test(s.reason ?? '')), 'watchdog');
    expect(r.states).not.toContain('connecting');
    r.controller.setScanRefused(false);
    await r.untilState('live', 1, 2000);
  });

  it('connects to the strap asked for by its Polar id, not the nearer one', async () => {
    const r = start(
      {
        straps: [
          { name: 'Polar H10 11111111', address: 'c1:11:11:11:11:11', rssi: -40 },
          { name: 'Polar H10 BCC66F2E', address: 'd2:22:22:22:22:22', rssi: -70 },
        ],
      },
      { deviceId: 'bcc66f2e' },
    );
    await r.untilState('live');
    expect(r.statuses.at(-1)?.device).toEqual({ name: 'Polar H10 BCC66F2E', id: 'BCC66F2E' });
    expect(r.controller.straps[1].isSubscribed).toBe(true);
    expect(r.controller.straps[0].isConnected).toBe(false);
  });

  it('unsubscribing disconnects, stops scanning and removes every listener it added', async () => {
    const r = start();
    await r.untilState('live');
    const noble = r.noble();
    expect(noble).not.toBeNull();
    if (noble === null) return;
    const peripheral = (noble as unknown as { _peripherals: Record<string, import('node:events').EventEmitter> })
      ._peripherals.ecea0285d97a;
    expect(peripheral.listenerCount('disconnect')).toBe(1);

    r.stop();
    await sleepMs(50);
    expect(r.controller.connectionCount).toBe(0);
    expect(r.controller.isScanning).toBe(false);
    for (const event of ['discover', 'stateChange', 'scanStart', 'scanStop']) {
      expect(noble.listenerCount(event), event).toBe(0);
    }
    for (const event of ['connect', 'disconnect', 'servicesDiscover']) {
      expect(peripheral.listenerCount(event), event).toBe(0);
    }
    const statusesAtStop = r.statuses.length;
    r.controller.tick(3);
    await sleepMs(30);
    expect(r.statuses.length).toBe(statusesAtStop);
    expect(r.notificationCount).toBe(0);
  });

  it('unsubscribing while scanning stops the scan', async () => {
    const r = start({ straps: [{ advertising: false }] });
    await r.untilState('scanning');
    await r.until((x) => x.controller.isScanning, 'scan enabled');
    r.stop();
    await sleepMs(30);
    expect(r.controller.isScanning).toBe(false);
  });

  it('runs on the strap’s real-time clock too (speed factor instead of ticks)', async () => {
    const r = start({ speed: 50, straps: [{ rrTicks: RR_TICKS }] });
    await r.untilState('live');
    await r.until((x) => x.rrTicks.length >= 10, '10 beats at 50× speed', 2000);
    // Beats that ended before the subscription were lost, as on a real strap; the rest come in order.
    const got = r.rrTicks.slice(0, 10);
    const offset = RR_TICKS.indexOf(got[0]);
    expect(offset).toBeGreaterThanOrEqual(0);
    expect(got).toEqual([...RR_TICKS, ...RR_TICKS].slice(offset, offset + 10));
  });
});

describe('timing constants', () => {
  it('fast test timing covers every knob of the real one', async () => {
    const { BLE_TIMING, RECONNECT_BACKOFF_MAX_MS, RECONNECT_BACKOFF_MIN_MS, STALE_AFTER_MS } = await import(
      '../../src/ble/noble-source.js'
    );
    expect(Object.keys(FAST_TIMING).sort()).toEqual(Object.keys(BLE_TIMING).sort());
    expect(STALE_AFTER_MS).toBe(3000);
    expect(RECONNECT_BACKOFF_MIN_MS).toBeLessThan(RECONNECT_BACKOFF_MAX_MS);
  });
});

describe('scanStraps (for `tableside scan`)', () => {
  it('lists the straps advertising nearby, strongest first, with their battery when asked', async () => {
    const controller = new VirtualController({
      straps: [
        { name: 'Polar H10 11111111', address: 'c1:11:11:11:11:11', rssi: -75, batteryPct: 40 },
        { name: 'Polar H10 E9AF5A2F', address: 'd2:22:22:22:22:22', rssi: -52, batteryPct: 93 },
      ],
    });
    useVirtualController(controller);
    try {
      const found = await scanStraps({
        durationMs: 150,
        readBattery: true,
        loadNoble: loadFreshNoble,
        timing: FAST_TIMING,
      });
      expect(found).toEqual([
        { name: 'Polar H10 E9AF5A2F', id: 'E9AF5A2F', address: 'd2:22:22:22:22:22', rssi: -52, batteryPct: 93 },
        { name: 'Polar H10 11111111', id: '11111111', address: 'c1:11:11:11:11:11', rssi: -75, batteryPct: 40 },
      ]);
      expect(controller.connectionCount).toBe(0);
      expect(controller.isScanning).toBe(false);
    } finally {
      controller.close();
    }
  });

  it('without an adapter rejects with a BluetoothUnavailableError that says what to do', async () => {
    useVirtualController(null);
    await expect(scanStraps({ durationMs: 50, loadNoble: loadFreshNoble })).rejects.toMatchObject({
      code: 'BLE_UNAVAILABLE',
      message: expect.stringMatching(/^no Bluetooth adapter/),
    });
  });
});
