/**
 * The tablet as the radio, in Chromium against the real CLI (`tableside start --browser-strap`): the page's
 * `navigator.bluetooth` is replaced at the browser boundary (an init script) by a strap that plays real captures
 * (test/fixtures/ble/hrm-vectors.json) and a real recording (recordings/bartels_rest_rri.txt) as 0x2A37
 * notifications. That is the only fake: the page's code, its socket, the daemon, the pipeline and the SQLite store
 * are the product. Across a link loss (gattserverdisconnected) and a page reload, the stored session's RR are
 * exactly what the strap sent, the figures come on screen, and the statuses say what happened.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/daemon-process.js';
import { type Daemon, launchChromium, screenshotPath, startDaemonOn } from './browser.js';

const TABLET = { width: 1024, height: 768 };
const VECTORS = JSON.parse(readFileSync(join(import.meta.dirname, '../fixtures/ble/hrm-vectors.json'), 'utf8')) as {
  hex: string;
  expected: { rrMs: number[] };
}[];
/** The recording's RR, ms, read here as plain numbers (one per line), independently of the product's readers. */
const RECORDING_RR = readFileSync(join(import.meta.dirname, '../../recordings/bartels_rest_rri.txt'), 'utf8')
  .split(/\r?\n/)
  .map((l) => l.trim())
  .filter((l) => /^\d+(\.\d+)?$/.test(l))
  .map(Number);

/** A Heart Rate Measurement as a strap sends it (flags 0x10: uint8 HR, RR present; RR in 1/1024 s), by hand. */
function hrmHex(rrMs: number): string {
  const ticks = Math.round((rrMs * 1024) / 1000);
  const bytes = [0x10, Math.min(255, Math.round(60000 / rrMs)), ticks & 0xff, ticks >> 8];
  return Buffer.from(bytes).toString('hex');
}
/** What the strap's RR are on the wire, ms: ticks × 1000 / 1024. */
function rrOfHex(hex: string): number[] {
  const b = Buffer.from(hex, 'hex');
  const flags = b[0];
  let offset = 1 + (flags & 1 ? 2 : 1) + (flags & 8 ? 2 : 0);
  const out: number[] = [];
  if (flags & 0x10) for (; offset + 1 < b.length; offset += 2) out.push((b.readUInt16LE(offset) * 1000) / 1024);
  return out;
}

/**
 * The fake Web Bluetooth, installed before the page's scripts: two straps ("Polar H10 B1E5C0DE", battery 77 %, and
 * "Polar H10 7E4A9B01", battery 58 %) with the Heart Rate and Battery services; the browser's chooser gives the first
 * at the first request and the second at the next. The test plays them: `__straps[i].play(hexes, spacingMs)` sends
 * notifications while the page is subscribed and resolves with those it delivered; `__straps[i].drop()` loses the
 * link (`__strap` is the first). `getDevices()` gives the straps chosen before back after a reload, as Chrome does.
 */
function fakeBluetooth(): void {
  // Real EventTargets, so an event's target is the characteristic, as in Chrome.
  class Target extends EventTarget {}
  const given: Target[] = [];
  function makeStrap(id: string, name: string, batteryPct: number) {
    let subscribed = false;
    const device = new Target() as Target & Record<string, unknown>;
    const measurement = new Target() as Target & { value?: DataView; [k: string]: unknown };
    measurement.startNotifications = async () => {
      subscribed = true;
      return measurement;
    };
    const battery = { readValue: async () => new DataView(Uint8Array.of(batteryPct).buffer) };
    const gatt = {
      connected: false,
      async connect() {
        await new Promise((r) => setTimeout(r, 50));
        gatt.connected = true;
        return gatt;
      },
      disconnect() {
        gatt.connected = false;
        subscribed = false;
      },
      async getPrimaryService(service: string) {
        if (!gatt.connected) throw new Error('GATT Server is disconnected.');
        if (service === 'heart_rate') return { getCharacteristic: async () => measurement };
        if (service === 'battery_service') return { getCharacteristic: async () => battery };
        throw new Error(`no service ${service}`);
      },
    };
    Object.assign(device, { id, name, gatt });
    const control = {
      device,
      get subscribed() {
        return subscribed && gatt.connected;
      },
      drop() {
        gatt.connected = false;
        subscribed = false;
        device.dispatchEvent(new Event('gattserverdisconnected'));
      },
      async play(hexes: string[], spacingMs: number) {
        const delivered: string[] = [];
        for (const hex of hexes) {
          await new Promise((r) => setTimeout(r, spacingMs));
          if (!(subscribed && gatt.connected)) continue;
          const bytes = Uint8Array.from(hex.match(/../g)?.map((h) => Number.parseInt(h, 16)) ?? []);
          measurement.value = new DataView(bytes.buffer);
          measurement.dispatchEvent(new Event('characteristicvaluechanged'));
          delivered.push(hex);
        }
        return delivered;
      },
    };
    return control;
  }
  const straps = [
    makeStrap('fake-strap-id-1', 'Polar H10 B1E5C0DE', 77),
    makeStrap('fake-strap-id-2', 'Polar H10 7E4A9B01', 58),
  ];
  let requests = 0;
  const w = window as unknown as Record<string, unknown>;
  w.__straps = straps;
  w.__strap = straps[0];
  Object.defineProperty(navigator, 'bluetooth', {
    value: {
      requestDevice: async () => {
        const device = straps[requests++ % straps.length].device;
        if (!given.includes(device)) given.push(device);
        return device;
      },
      getDevices: async () => [...given, ...straps.map((x) => x.device).filter((d) => !given.includes(d))],
    },
  });
}

const dir = tempDir('tableside-web-bluetooth-');
let browser: Browser;
let daemon: Daemon;
const consoleErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  daemon = await startDaemonOn(0, ['start', '--browser-strap', '--db', join(dir.path, 'wb.db')]);
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.kill();
  dir.remove();
});

async function subscribed(page: Page): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { __strap: { subscribed: boolean } }).__strap.subscribed, {
    timeout: 15_000,
  });
}

function play(page: Page, hexes: string[], spacingMs: number): Promise<string[]> {
  return page.evaluate(
    ([h, s]) =>
      (window as unknown as { __strap: { play(h: string[], s: number): Promise<string[]> } }).__strap.play(h, s),
    [hexes, spacingMs] as const,
  );
}

describe('a strap connected from the table-side screen (Chromium, Web Bluetooth replaced at the browser boundary)', () => {
  it('stores exactly what the strap sent across a link loss and a page reload, and shows the figures', async () => {
    await expect.poll(() => daemon.output()).toMatch(/tap\s+"Connect a strap from this device"/);
    const context = await browser.newContext({ viewport: TABLET });
    await context.addInitScript(fakeBluetooth);
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(daemon.url);
    await page.waitForSelector('body[data-conn="up"]');
    expect(await page.locator('#signal-text').innerText()).toMatch(/Strap disconnected: no strap yet/);

    // One tap: the browser's chooser (the fake gives its strap), then the link.
    await page.click('#strap-connect');
    await subscribed(page);
    await page.waitForSelector('#straps-here li[data-state="live"]');
    expect(await page.locator('#straps-here li').innerText()).toMatch(
      /Polar H10 B1E5C0DE is connected from this device/,
    );
    await page.waitForFunction(() => document.getElementById('battery')?.textContent === 'battery 77 %');

    const sent: string[] = [];
    // The real captures, then the start of the recording.
    sent.push(
      ...(await play(
        page,
        VECTORS.map((v) => v.hex),
        300,
      )),
    );
    const recording = RECORDING_RR.map(hrmHex);
    let next = 0;
    const take = (n: number) => {
      next += n;
      return recording.slice(next - n, next);
    };
    sent.push(...(await play(page, take(10), 300)));

    // The link is lost: the daemon says so in the browser's words, and the page reconnects by itself.
    await page.evaluate(() => (window as unknown as { __strap: { drop(): void } }).__strap.drop());
    await page.waitForFunction(() => document.getElementById('signal-text')?.textContent?.includes('link lost'), {
      timeout: 10_000,
    });
    const lostText = await page.locator('#signal-text').innerText();
    expect(lostText).toMatch(/^Strap disconnected: in the browser: link lost/);
    await subscribed(page);
    sent.push(...(await play(page, take(10), 300)));

    // The page is reloaded: the daemon sees the page go, the reloaded page reconnects the strap without a tap.
    await page.reload();
    await page.waitForSelector('body[data-conn="up"]');
    await subscribed(page);
    await page.waitForSelector('#straps-here li[data-state="live"]');
    // Then a little over a minute of the recording at (nearly) its own pace: the figures come on screen.
    const last = take(70);
    const paceMs = RECORDING_RR.slice(next - 70, next).reduce((a, b) => a + b, 0) / 70 / 1.1;
    sent.push(...(await play(page, last, paceMs)));
    await page.waitForFunction(() => document.getElementById('rmssd')?.textContent !== '—', undefined, {
      timeout: 20_000,
    });
    expect(await page.locator('#hr').innerText()).toMatch(/^\d+$/);
    expect(await page.locator('#rmssd').innerText()).toMatch(/^\d+/);
    expect(await page.locator('#source').innerText()).toBe('strap: Polar H10 B1E5C0DE');
    await page.screenshot({ path: screenshotPath('web-bluetooth-live-tablet.png') });

    // Every notification delivered while the link was up — and only those — is in the store, RR for RR.
    expect(sent.length).toBe(VECTORS.length + 10 + 10 + 70);
    const want = sent.flatMap(rrOfHex);
    const db = new Database(join(dir.path, 'wb.db'), { readonly: true, fileMustExist: true });
    try {
      const session = db.prepare("SELECT id FROM sessions WHERE stream = 'client' ORDER BY id DESC LIMIT 1").get() as {
        id: number;
      };
      const rows = () =>
        db
          .prepare('SELECT rr_ms AS rrMs, gap_before AS gap FROM beats WHERE session_id = ? ORDER BY seq')
          .all(session.id) as { rrMs: number; gap: number }[];
      await expect.poll(() => rows().length, { timeout: 10_000 }).toBe(want.length);
      expect(rows().map((b) => b.rrMs)).toEqual(want);
      // The link loss and the reload each left a gap; nothing was made up for the time between.
      const gaps = db.prepare('SELECT reason FROM gaps WHERE session_id = ?').all(session.id) as { reason: string }[];
      expect(gaps.some((g) => /in the browser: link lost/.test(g.reason))).toBe(true);
      expect(gaps.some((g) => /page holding the strap was closed, reloaded/.test(g.reason))).toBe(true);
    } finally {
      db.close();
    }
    expect(consoleErrors).toEqual([]);
    await context.close();
  }, 180_000);

  it('asks for one tap after a reload where the browser does not give the strap back', async () => {
    const context = await browser.newContext({ viewport: TABLET });
    await context.addInitScript(fakeBluetooth);
    // A browser without getDevices (Chrome without persistent Bluetooth permissions, Edge on some systems).
    await context.addInitScript(() => {
      const bluetooth = (navigator as unknown as { bluetooth: Record<string, unknown> }).bluetooth;
      delete bluetooth.getDevices;
    });
    const page = await context.newPage();
    await page.goto(daemon.url);
    await page.waitForSelector('body[data-conn="up"]');
    await page.click('#strap-connect');
    await subscribed(page);
    await page.reload();
    await page.waitForSelector('#straps-here li[data-state="ask"]');
    expect(await page.locator('#straps-here li').innerText()).toMatch(/tap to connect it again/);
    await page.screenshot({ path: screenshotPath('web-bluetooth-one-tap-tablet.png') });
    await page.click('#straps-here li button');
    await subscribed(page);
    await page.waitForSelector('#straps-here li[data-state="live"]');
    await context.close();
  }, 60_000);

  it('connects two straps from one tablet through the new-session dialog, each into its own stream', async () => {
    const context = await browser.newContext({ viewport: TABLET });
    await context.addInitScript(fakeBluetooth);
    const page = await context.newPage();
    await page.goto(daemon.url);
    await page.waitForSelector('body[data-conn="up"]');
    await page.click('#new');
    const here = JSON.stringify({ kind: 'browser' });
    await page.waitForSelector(`#source-choice option[value='${here}']`, { state: 'attached' });
    await page.selectOption('#source-choice', here);
    await page.selectOption('#therapist-choice', here);
    await page.fill('#client-label', 'Two straps');
    await page.screenshot({ path: screenshotPath('web-bluetooth-new-session-tablet.png') });
    await page.click('#new-start');
    // The client's strap from the dialog's tap; the therapist's asks for a tap of its own.
    await subscribed(page);
    await page.click('#straps-here li[data-stream="therapist"][data-state="ask"] button');
    await page.waitForSelector('#straps-here li[data-stream="therapist"][data-state="live"]');
    await page.waitForSelector('#straps-here li[data-stream="client"][data-state="live"]');
    const playOn = (i: number, hexes: string[]) =>
      page.evaluate(
        ([k, h]) =>
          (window as unknown as { __straps: { play(h: string[], s: number): Promise<string[]> }[] }).__straps[k].play(
            h,
            250,
          ),
        [i, hexes] as const,
      );
    const [clientSent, therapistSent] = await Promise.all([
      playOn(
        0,
        VECTORS.slice(0, 6).map((v) => v.hex),
      ),
      playOn(1, RECORDING_RR.slice(0, 6).map(hrmHex)),
    ]);
    expect(clientSent).toHaveLength(6);
    expect(therapistSent).toHaveLength(6);
    await page.screenshot({ path: screenshotPath('web-bluetooth-two-straps-tablet.png') });
    const db = new Database(join(dir.path, 'wb.db'), { readonly: true, fileMustExist: true });
    try {
      const client = db.prepare("SELECT id FROM sessions WHERE stream = 'client' ORDER BY id DESC LIMIT 1").get() as {
        id: number;
      };
      const therapist = db
        .prepare("SELECT id FROM sessions WHERE stream = 'therapist' AND group_id = ?")
        .get(client.id) as { id: number };
      const rr = (id: number) =>
        (
          db.prepare('SELECT rr_ms AS rrMs FROM beats WHERE session_id = ? ORDER BY seq').all(id) as { rrMs: number }[]
        ).map((b) => b.rrMs);
      await expect.poll(() => rr(therapist.id).length, { timeout: 10_000 }).toBe(6);
      await expect.poll(() => rr(client.id).length, { timeout: 10_000 }).toBe(clientSent.flatMap(rrOfHex).length);
      expect(rr(client.id)).toEqual(clientSent.flatMap(rrOfHex));
      expect(rr(therapist.id)).toEqual(therapistSent.flatMap(rrOfHex));
    } finally {
      db.close();
    }
    await context.close();
  }, 60_000);

  it('explains which browsers can connect a strap when this one cannot', async () => {
    const page = await browser.newPage({ viewport: TABLET });
    await page.addInitScript(() => Object.defineProperty(navigator, 'bluetooth', { value: undefined }));
    await page.goto(daemon.url);
    await page.waitForSelector('body[data-conn="up"]');
    await page.click('#strap-connect');
    const note = await page.locator('#straps-here-note').innerText();
    expect(note).toMatch(/cannot connect Bluetooth straps.*Chrome or Edge.*Safari \(iPhone, iPad\) and Firefox cannot/);
    await page.screenshot({ path: screenshotPath('web-bluetooth-missing-tablet.png') });
    await page.close();
  });
});
