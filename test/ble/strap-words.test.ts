import { describe, expect, it } from 'vitest';
import {
  adapterStateText,
  disconnectReasonText,
  noAdapterText,
  parsePolarName,
  strapIdentity,
  strapMatches,
} from '../../src/ble/strap-words.js';
import { backoffMs, sleep, TimeoutError, waitFor } from '../../src/ble/waits.js';

describe('strap names (Polar SDK rule: "Polar <model> <device id>")', () => {
  it('reads the device id and model from real names', () => {
    expect(parsePolarName('Polar H10 8AA87D20')).toEqual({ model: 'H10', polarId: '8AA87D20' });
    expect(parsePolarName('Polar H10 E9AF5A2F')).toEqual({ model: 'H10', polarId: 'E9AF5A2F' });
    expect(parsePolarName('Polar OH1 1A2B3C4D')).toEqual({ model: 'OH1', polarId: '1A2B3C4D' });
    expect(parsePolarName('Polar Verity Sense 0A3BA92B')).toEqual({ model: 'Verity Sense', polarId: '0A3BA92B' });
    expect(parsePolarName('Polar H10')).toBeNull();
    expect(parsePolarName('Wahoo TICKR 1234')).toBeNull();
    expect(parsePolarName(undefined)).toBeNull();
  });

  it('keys a Polar strap on its device id, others on the peripheral id', () => {
    expect(strapIdentity('Polar H10 8AA87D20', 'ecea0285d97a')).toMatchObject({ id: '8AA87D20', model: 'H10' });
    expect(strapIdentity('TICKR 1A2B', 'c0ffee000001')).toEqual({ name: 'TICKR 1A2B', id: 'c0ffee000001' });
    expect(strapIdentity(undefined, 'c0ffee000001').name).toBe('heart-rate strap c0ffee000001');
  });

  it('matches a wish by Polar id, address or peripheral id, in any case', () => {
    const strap = strapIdentity('Polar H10 8AA87D20', 'ecea0285d97a');
    const p = { id: 'ecea0285d97a', address: 'ec:ea:02:85:d9:7a' };
    for (const wish of [undefined, '', '8aa87d20', '8AA87D20', 'EC:EA:02:85:D9:7A', 'ecea0285d97a']) {
      expect(strapMatches(wish, strap, p), String(wish)).toBe(true);
    }
    expect(strapMatches('BCC66F2E', strap, p)).toBe(false);
  });
});

describe('words for the person at the table', () => {
  it('translates disconnect reason codes', () => {
    expect(disconnectReasonText(0x08)).toBe(
      'link lost (supervision timeout: the strap went out of range or was taken off) [0x08]',
    );
    expect(disconnectReasonText(0x13)).toMatch(/^the strap ended the connection .*\[0x13\]$/);
    expect(disconnectReasonText(0x3b)).toMatch(/connection parameters \[0x3b\]/);
    expect(disconnectReasonText(0x99)).toBe('disconnected (HCI reason 0x99)');
  });

  it('says what to do about each adapter state and load failure', () => {
    expect(adapterStateText('poweredOff')).toMatch(/off: switch it on/);
    expect(adapterStateText('unauthorized')).toMatch(/setcap cap_net_raw\+eip/);
    expect(adapterStateText('unsupported')).toMatch(/Bluetooth Low Energy/);
    const eaf = Object.assign(new Error('EAFNOSUPPORT, Address family not supported by protocol'), {
      code: 'EAFNOSUPPORT',
    });
    expect(noAdapterText(eaf)).toMatch(/^no Bluetooth adapter: .*Plug in a Bluetooth LE USB adapter/);
    const missing = Object.assign(new Error("Cannot find module '@abandonware/noble'"), { code: 'MODULE_NOT_FOUND' });
    expect(noAdapterText(missing)).toMatch(/not installed.*python3, make and g\+\+/);
  });
});

describe('waits', () => {
  it('backs off from min, doubling, up to max', () => {
    expect([0, 1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, 1000, 30_000))).toEqual([
      1000, 1000, 2000, 4000, 8000, 16_000, 30_000,
    ]);
    expect(backoffMs(1000, 1000, 30_000)).toBe(30_000);
  });

  it('a wait ends by its event, its timeout or its signal, and always cleans up', async () => {
    const controller = new AbortController();
    let cleaned = 0;
    const resolved = await waitFor<number>(controller.signal, 'x', 1000, (resolve) => {
      setTimeout(() => resolve(7), 1);
      return () => cleaned++;
    });
    expect(resolved).toBe(7);
    await expect(waitFor(controller.signal, 'reading the battery', 5, () => () => cleaned++)).rejects.toEqual(
      new TimeoutError('reading the battery', 5),
    );
    const pending = waitFor(controller.signal, 'forever', undefined, () => () => cleaned++);
    const reason = new Error('stopped');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    await expect(sleep(10, controller.signal)).rejects.toBe(reason);
    expect(cleaned).toBe(3);
    expect(new TimeoutError('connecting to the strap', 10_000).message).toBe(
      'connecting to the strap timed out after 10 s',
    );
  });
});
