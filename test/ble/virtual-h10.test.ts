/**
 * The virtual H10 and its controller at the byte level, without noble: the wire formats against captures and the
 * H10's documented layout (shared/docs/ble.md), and the HCI answers noble depends on.
 */
import { describe, expect, it } from 'vitest';
import { decodeHeartRateMeasurement } from '../../src/domain/hrm.js';
import { AttServer } from '../../src/testing/virtual-h10/att.js';
import {
  ATT,
  aclPackets,
  H10_HANDLE,
  h10AdvertisingData,
  h10AttributeTable,
  h10ScanResponseData,
  type StrapJournalEntry,
  useVirtualController,
  VirtualController,
  VirtualH10,
  VirtualHciSocket,
} from '../../src/testing/virtual-h10/index.js';

const hex = (s: string) => Buffer.from(s.replace(/[\s|]+/g, ''), 'hex');
const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('wire formats', () => {
  it('ACL packets of a notification match a capture byte for byte (noble/node-bluetooth-hci-socket#36)', () => {
    const pdu = hex('1b 12 00 16 46 8a 03 44 03');
    expect(aclPackets(0x046, 0x0004, pdu, 27)).toEqual([
      hex('02 46 20 0d 00 09 00 04 00 | 1b 12 00 16 46 8a 03 44 03'),
    ]);
    expect(aclPackets(0x046, 0x0004, hex('1b 12 00 16 46 8b 03'), 27)).toEqual([
      hex('02 46 20 0b 00 07 00 04 00 | 1b 12 00 16 46 8b 03'),
    ]);
  });

  it('long frames go out as a start fragment (PB 0b10) and continuations (PB 0b01)', () => {
    const packets = aclPackets(0x040, 0x0004, new Uint8Array(60).fill(7), 27);
    expect(packets.map((p) => p.readUInt16LE(1) >> 12)).toEqual([0b10, 0b01, 0b01]);
    expect(packets.map((p) => p.readUInt16LE(3))).toEqual([27, 27, 10]);
  });

  it('advertising data is the real H10’s (Heltec-Aaron-Lee/WiFi_Kit_series#239); the name is in the scan response', () => {
    expect(Buffer.from(h10AdvertisingData(76))).toEqual(hex('020106 05020d18eefe 020a04 07ff6b003f164c4c'));
    const rsp = Buffer.from(h10ScanResponseData('Polar H10 8AA87D20'));
    expect(rsp[0]).toBe(rsp.length - 1);
    expect(rsp[1]).toBe(0x09);
    expect(rsp.subarray(2).toString('utf8')).toBe('Polar H10 8AA87D20');
  });

  it('the GATT table has the H10’s handles (phdiethelm/h10_ecg gatttool dump)', () => {
    const table = h10AttributeTable({
      name: 'Polar H10 8AA87D20',
      batteryPct: 50,
      bodySensorLocation: 1,
      manufacturer: 'm',
      model: 'H10',
      serial: 's',
      hardwareRevision: 'h',
      firmwareRevision: 'f',
      softwareRevision: 's',
    });
    const services = table
      .filter((a) => a.type === '2800')
      .map((a) => [a.handle, a.groupEnd, Buffer.from(a.value).reverse().toString('hex')]);
    expect(services).toEqual([
      [0x0001, 0x0009, '1800'],
      [0x000a, 0x000d, '1801'],
      [0x000e, 0x0013, '180d'],
      [0x0014, 0x002b, '181c'],
      [0x002c, 0x003a, '180a'],
      [0x003b, 0x003e, '180f'],
      [0x003f, 0x0044, '6217ff4bfb311140ad5aa45545d7ecf3'],
      [0x0045, 0x004b, 'fb005c8002e7f3871cad8acd2d8df0c8'],
      [0x004c, 0xffff, 'feee'],
    ]);
    const at = (handle: number) => table.find((a) => a.handle === handle)?.type;
    expect(at(H10_HANDLE.HEART_RATE_MEASUREMENT)).toBe('2a37');
    expect(at(H10_HANDLE.HEART_RATE_MEASUREMENT_CCCD)).toBe('2902');
    expect(at(H10_HANDLE.BODY_SENSOR_LOCATION)).toBe('2a38');
    expect(at(H10_HANDLE.BATTERY_LEVEL)).toBe('2a19');
    expect(at(H10_HANDLE.BATTERY_LEVEL_CCCD)).toBe('2902');
    expect(at(0x0047)).toBe('fb005c8102e7f3871cad8acd2d8df0c8');
    expect(at(0x004a)).toBe('fb005c8202e7f3871cad8acd2d8df0c8');
  });
});

describe('ATT server', () => {
  const strapTable = () =>
    h10AttributeTable({
      name: 'Polar H10 8AA87D20',
      batteryPct: 64,
      bodySensorLocation: 1,
      manufacturer: 'Polar Electro Oy',
      model: 'H10',
      serial: '1',
      hardwareRevision: '1',
      firmwareRevision: '1',
      softwareRevision: '1',
    });
  const server = (cccd: 'present' | 'missing' = 'present') =>
    new AttServer(strapTable(), {
      serverMtu: 232,
      cccd: () => cccd,
      hiddenWhenMissing: new Set([H10_HANDLE.HEART_RATE_MEASUREMENT_CCCD]),
    });

  it('answers an MTU exchange with 232 and then packs responses up to the new MTU', () => {
    const s = server();
    const conn = { mtu: 23, cccd: new Map<number, number>() };
    expect(Buffer.from(s.handle(hex('02 0001'), conn) ?? [])).toEqual(hex('03 e800'));
    expect(conn.mtu).toBe(232);
  });

  it('Read By Group Type: equal-length entries only, within the MTU, Attribute Not Found past the end', () => {
    const s = server();
    const conn = { mtu: 23, cccd: new Map<number, number>() };
    const first = Buffer.from(s.handle(hex('10 0100 ffff 0028'), conn) ?? []);
    expect(first).toEqual(hex('11 06 | 0100 0900 0018 | 0a00 0d00 0118 | 0e00 1300 0d18'));
    const legacy = Buffer.from(s.handle(hex('10 3f00 ffff 0028'), conn) ?? []);
    expect(legacy[0]).toBe(0x11);
    expect(legacy[1]).toBe(20); // 128-bit services come alone
    expect(Buffer.from(s.handle(hex('10 4d00 ffff 0028'), conn) ?? [])).toEqual(hex('01 10 4d00 0a'));
  });

  it('refuses to read the notify-only 0x2A37, reads the battery, keeps CCCD values per connection', () => {
    const s = server();
    const conn = { mtu: 232, cccd: new Map<number, number>() };
    expect(Buffer.from(s.handle(hex('0a 1000'), conn) ?? [])).toEqual(hex('01 0a 1000 02'));
    expect(Buffer.from(s.handle(hex('0a 3d00'), conn) ?? [])).toEqual(hex('0b 40'));
    expect(Buffer.from(s.handle(hex('12 1100 0100'), conn) ?? [])).toEqual(hex('13'));
    expect(Buffer.from(s.handle(hex('08 0f00 1300 0229'), conn) ?? [])).toEqual(hex('09 04 1100 0100'));
    expect(Buffer.from(s.handle(hex('08 0f00 1300 0229'), { mtu: 232, cccd: new Map() }) ?? [])).toEqual(
      hex('09 04 1100 0000'),
    );
  });

  it('a missing CCCD is not found, which is what leaves noble’s subscribe hanging', () => {
    const s = server('missing');
    const conn = { mtu: 232, cccd: new Map<number, number>() };
    expect(Buffer.from(s.handle(hex('08 0f00 1300 0229'), conn) ?? [])).toEqual(hex('01 08 0f00 0a'));
  });
});

describe('strap', () => {
  it('notifies the RR values of the beats that ended since the last notification, ~1 per second', () => {
    const strap = new VirtualH10({ rrMs: [600, 600, 1500, 700], whenRrEnd: 'stop' });
    const sent: Uint8Array[] = [];
    strap.connected({ handle: 0x40, sendAtt: (pdu) => sent.push(pdu) });
    strap.att(hex('12 1100 0100')); // enable notifications
    sent.length = 0;
    strap.advance(4000);
    const rr = sent.map((pdu) => {
      expect(pdu[0]).toBe(ATT.HANDLE_VALUE_NOTIFICATION);
      expect(pdu[1] | (pdu[2] << 8)).toBe(H10_HANDLE.HEART_RATE_MEASUREMENT);
      const m = decodeHeartRateMeasurement(pdu.subarray(3));
      return 'rrTicks' in m ? m.rrTicks : null;
    });
    // Beats end at 0.6, 1.2, 2.7 and 3.4 s; notifications at 1, 2, 3 and 4 s.
    expect(rr).toEqual([[614], [614], [1536], [717]]);
  });

  it('loses the beats that end while nobody listens, and forgets its CCCD when the link goes', () => {
    const strap = new VirtualH10({ rrMs: [1000], whenRrEnd: 'loop' });
    strap.advance(3000);
    expect(strap.lostTicks).toBe(3);
    const sent: Uint8Array[] = [];
    strap.connected({ handle: 0x40, sendAtt: (pdu) => sent.push(pdu) });
    strap.att(hex('12 1100 0100'));
    expect(strap.isSubscribed).toBe(true);
    strap.disconnected(true);
    strap.connected({ handle: 0x41, sendAtt: (pdu) => sent.push(pdu) });
    expect(strap.isSubscribed).toBe(false);
  });
});

describe('strap journal', () => {
  it('records every beat as sent or lost, in order, with link changes and the end of the sequence', () => {
    const strap = new VirtualH10({ rrMs: [600, 600, 1500, 700, 800], whenRrEnd: 'stop' });
    const journal: StrapJournalEntry[] = [];
    strap.observe((e) => journal.push(e));
    strap.advance(1000); // 0.6 ends unheard
    strap.connected({ handle: 0x40, sendAtt: () => {} });
    strap.att(hex('12 1100 0100'));
    strap.advance(3000); // 1.2, 2.7, 3.4 sent
    strap.disconnected(true);
    strap.advance(2000); // 4.2 ends unheard, then the sequence ends
    expect(journal.map((e) => e.kind)).toEqual([
      'lost',
      'connected',
      'notify',
      'notify',
      'notify',
      'disconnected',
      'rrEnded',
      'lost',
    ]);
    const ticks = journal.flatMap((e) => ('rrTicks' in e ? e.rrTicks : []));
    expect(ticks).toEqual([614, 614, 1536, 717, 819]);
    const sent = journal.filter((e) => e.kind === 'notify');
    expect(sent.map((e) => e.payload)).toEqual(strap.sent.map((n) => Buffer.from(n.payload).toString('hex')));
  });
});

describe('controller (HCI, as noble drives it)', () => {
  function host(controller: VirtualController) {
    useVirtualController(controller);
    const socket = new VirtualHciSocket();
    const received: Buffer[] = [];
    socket.on('data', (p: Buffer) => received.push(p));
    socket.bindRaw(0);
    return { socket, received };
  }

  it('answers the init sequence; LE Read Buffer Size is never 0', async () => {
    const c = new VirtualController({ speed: 'manual' });
    const { socket, received } = host(c);
    expect(socket.isDevUp()).toBe(true);
    socket.write(hex('01 0110 00')); // Read Local Version
    socket.write(hex('01 0220 00')); // LE Read Buffer Size
    socket.write(hex('01 0910 00')); // Read BD_ADDR
    expect(received).toEqual([]); // never answered from inside write()
    for (let i = 0; i < 5; i++) await tick();
    expect(received[0].subarray(0, 8)).toEqual(hex('04 0e 0c 01 0110 00 09'));
    expect(received[1]).toEqual(hex('04 0e 07 01 0220 00 1b00 08'));
    expect(received[2]).toEqual(hex('04 0e 0a 01 0910 00 1371da7d1a00'));
    c.close();
  });

  it('connects, answers ATT over ACL with Number Of Completed Packets, and disconnects with 0x16', async () => {
    const c = new VirtualController({ speed: 'manual', advertisingIntervalMs: 5 });
    const { socket, received } = host(c);
    // LE Create Connection to ec:ea:02:85:d9:7a (random), max interval 0x0012, timeout 0x002a.
    socket.write(hex('01 0d20 19 6000 3000 00 01 7ad98502eaec 00 0600 1200 0000 2a00 0400 0600'));
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(received[0]).toEqual(hex('04 0f 04 00 01 0d20'));
    expect(received[1]).toEqual(hex('04 3e 13 01 00 4000 00 01 7ad98502eaec 1200 0000 2a00 00'));
    received.length = 0;
    socket.write(hex('02 4000 0700 0300 0400 02 0001')); // ATT MTU request 256
    for (let i = 0; i < 5; i++) await tick();
    expect(received).toEqual([hex('04 13 05 01 4000 0100'), hex('02 4020 0700 0300 0400 03 e800')]);
    received.length = 0;
    socket.write(hex('01 0604 03 4000 13'));
    for (let i = 0; i < 5; i++) await tick();
    expect(received).toEqual([hex('04 0f 04 00 01 0604'), hex('04 05 04 00 4000 16')]);
    received.length = 0;
    socket.write(hex('02 4000 0700 0300 0400 02 0001')); // a late write on the dead handle: dropped
    for (let i = 0; i < 5; i++) await tick();
    expect(received).toEqual([]);
    c.close();
  });

  it('refuses scanning when told to, and rejects a short HCI filter with EINVAL', async () => {
    const c = new VirtualController({ speed: 'manual', scanRefused: true });
    const { socket, received } = host(c);
    const errors: NodeJS.ErrnoException[] = [];
    socket.on('error', (e: NodeJS.ErrnoException) => errors.push(e));
    socket.setFilter(Buffer.alloc(14));
    socket.setFilter(Buffer.alloc(16));
    socket.write(hex('01 0c20 02 01 01'));
    for (let i = 0; i < 5; i++) await tick();
    expect(errors.map((e) => e.code)).toEqual(['EINVAL']);
    expect(received).toEqual([hex('04 0e 04 01 0c20 0c')]);
    c.close();
  });

  it('with no adapter, creating the socket throws EAFNOSUPPORT like the real module', () => {
    useVirtualController(null);
    expect(() => new VirtualHciSocket()).toThrow(/EAFNOSUPPORT/);
    useVirtualController(new VirtualController({ adapter: 'absent' }));
    expect(() => new VirtualHciSocket()).toThrow(/EAFNOSUPPORT/);
  });
});
