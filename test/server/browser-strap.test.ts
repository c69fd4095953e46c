/**
 * A strap connected by a browser page (Web Bluetooth) and fed over the page's viewer socket, on the real app
 * listening on a loopback port, with real `ws` client sockets: the real captures in test/fixtures/ble/hrm-vectors.json
 * become stored beats equal to what the strap sent; the link's states, a closed page and a stale strap become the
 * statuses and the gap a noble strap gives; and what a hostile page may send is refused, counted and dropped —
 * malformed messages and payloads, floods, another stream, another page, and a socket without the access token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { browserStrapSource } from '../../src/daemon/source-catalog.js';
import { type BrowserStrapSource, PAGE_GONE_REASON, WAITING_FOR_PAGE_REASON } from '../../src/sources/browser-strap.js';
import { BROWSER_STRAP } from '../../src/viewers/protocol.js';
import { type Message, type Rig, replaySource, rig, Viewer } from './harness.js';

interface Vector {
  readonly hex: string;
  readonly expected: { readonly rrMs: number[] };
}
const VECTORS = JSON.parse(
  readFileSync(join(import.meta.dirname, '../fixtures/ble/hrm-vectors.json'), 'utf8'),
) as Vector[];
const bytesOf = (hex: string) => [...Buffer.from(hex, 'hex')];

const TOKEN = 'browser-strap-token-0123456789abcdefghijklmnop';
const quiet = pino({ level: 'silent' });

let r: Rig | undefined;
let base = '';
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) {
    s.on('error', () => {});
    try {
      s.terminate();
    } catch {
      // never opened (refused at the upgrade)
    }
  }
  await r?.close();
  r = undefined;
});

/** The daemon with a browser strap on the client's stream (and the therapist's), listening on loopback. */
async function daemon(options: { token?: string; therapist?: 'browser' | 'replay' } = {}): Promise<Rig> {
  const therapist =
    options.therapist === undefined
      ? []
      : [
          {
            id: 'therapist',
            source: options.therapist === 'browser' ? browserStrapSource(quiet) : await replaySource(1),
            demo: options.therapist !== 'browser',
          },
        ];
  r = await rig({
    source: browserStrapSource(quiet),
    demo: false,
    autoSession: { clientLabel: '', therapistNote: '' },
    streams: therapist,
    ...(options.token === undefined ? {} : { access: { token: () => options.token as string } }),
  });
  r.daemon.start();
  await r.app.listen({ port: 0, host: '127.0.0.1' });
  const address = r.app.server.address();
  base = `ws://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return r;
}

/** A page's socket: a real WebSocket over TCP, every message kept from the first. */
async function page(path = '/ws', headers: Record<string, string> = {}): Promise<Viewer> {
  const socket = new WebSocket(`${base}${path}`, { headers });
  sockets.push(socket);
  const viewer = new Viewer(socket);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  await viewer.until((m) => m.some((x) => x.type === 'hello'), 'hello');
  return viewer;
}

const json = (m: object) => JSON.stringify(m);
const status = (stream: string, state: string, extra: object = {}) =>
  json({ type: 'strap-status', stream, state, ...extra });
const notification = (stream: string, bytes: number[], atMs = Date.now()) =>
  json({ type: 'strap-notification', stream, atMs, bytes });
const errors = (v: Viewer) => v.of('error');
const statesSeen = (v: Viewer) => v.of('status').map((m) => m.status.state);
const clientSource = (rg: Rig) => rg.daemon.stream('client')?.source as BrowserStrapSource;

function storedRr(rg: Rig, stream = 'client'): number[] {
  const id = rg.daemon.stream(stream)?.recording?.session.id as number;
  return rg.store.getBeats(id).map((b) => b.rrMs);
}

describe('a strap connected in the browser, fed over the page socket', () => {
  it('stores exactly the RR the strap sent, with the link states, name and battery, and a gap after a closed page', async () => {
    const rg = await daemon();
    const first = await page();
    const hello = first.messages[0] as Message;
    expect(hello.source).toMatchObject({ kind: 'browser', demo: false });
    expect(hello.status).toMatchObject({ state: 'disconnected', reason: WAITING_FOR_PAGE_REASON });

    const device = { name: 'Polar H10 8AA87D20', id: 'browser-device-1' };
    first.send(status('client', 'connecting', { device }));
    first.send(status('client', 'live', { device, batteryPct: 64 }));
    const half = VECTORS.slice(0, 10);
    for (const v of half) first.send(notification('client', bytesOf(v.hex)));
    const wantFirst = half.flatMap((v) => v.expected.rrMs);
    await first.untilBeats(wantFirst.length);
    expect(statesSeen(first)).toEqual(['connecting', 'live']);
    expect(first.of('status')[1].status).toMatchObject({ device, batteryPct: 64 });
    expect(first.of('beat').map((b) => b.rrMs)).toEqual(wantFirst);

    // The page is reloaded: its socket closes, the strap is disconnected with the reason in words.
    const watcher = await page();
    first.socket.close();
    await watcher.until(
      (m) => m.some((x) => x.type === 'status' && x.status.state === 'disconnected'),
      'disconnected after the page went',
    );
    expect(watcher.of('status').at(-1)?.status.reason).toBe(PAGE_GONE_REASON);

    // The reloaded page reconnects the strap: the next beats come after a gap, none made up for the time between.
    const second = await page();
    second.send(status('client', 'live', { device, batteryPct: 63 }));
    const rest = VECTORS.slice(10);
    for (const v of rest) second.send(notification('client', bytesOf(v.hex)));
    const wantAll = [...wantFirst, ...rest.flatMap((v) => v.expected.rrMs)];
    await watcher.untilBeats(wantAll.length - wantFirst.length);
    const gaps = watcher.of('gap');
    expect(gaps.length).toBeGreaterThanOrEqual(1);
    expect(gaps[0].reason).toBe(PAGE_GONE_REASON);
    expect(watcher.of('beat')[0].gapBefore).toBe(true);
    expect(storedRr(rg)).toEqual(wantAll);
    expect(errors(second)).toEqual([]);
  });

  it('says stale after 3 s without a notification, and in the browser’s words when the link is lost', async () => {
    await daemon();
    const p = await page();
    p.send(status('client', 'live', { device: { name: 'strap', id: 'd' } }));
    p.send(notification('client', bytesOf(VECTORS[0].hex)));
    await p.untilBeats(1);
    const t0 = Date.now();
    await p.until((m) => m.some((x) => x.type === 'status' && x.status.state === 'stale'), 'stale', 8000);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(2500);
    expect(p.of('status').at(-1)?.status.reason).toBe('no data from the strap for 3 s');
    p.send(status('client', 'disconnected', { reason: 'link lost: the strap went out of range' }));
    await p.until((m) => m.at(-1)?.type === 'status' && m.at(-1)?.status.state === 'disconnected', 'disconnected');
    expect(p.of('status').at(-1)?.status.reason).toBe('in the browser: link lost: the strap went out of range');
  });

  it('refuses malformed messages with the field named, and keeps a bad 0x2A37 payload as a sample, never a beat', async () => {
    const rg = await daemon();
    const p = await page();
    const bad = [
      json({ type: 'strap-notification', stream: 'client', atMs: Date.now(), bytes: [16, 300] }),
      json({ type: 'strap-notification', stream: 'client', atMs: Date.now(), bytes: 'EEIsAw==' }),
      json({ type: 'strap-notification', stream: 'client', atMs: -5, bytes: [16, 72] }),
      json({ type: 'strap-notification', stream: 'client', atMs: Date.now(), bytes: new Array(513).fill(0) }),
      json({ type: 'strap-notification', atMs: Date.now(), bytes: [16, 72] }),
      json({ type: 'strap-status', stream: 'client', state: 'flying' }),
      json({ type: 'strap-status', stream: 'client', state: 'live', batteryPct: 101 }),
      json({ type: 'strap-status', stream: 'client', state: 'live', device: { name: 'x'.repeat(65), id: 'd' } }),
    ];
    for (const m of bad) p.send(m);
    await p.until((m) => m.filter((x) => x.type === 'error').length >= bad.length, 'an error for each');
    const got = errors(p);
    expect(got.map((e) => e.code)).toEqual(new Array(bad.length).fill('WS_STRAP_MALFORMED'));
    expect(got.map((e) => /"(\w+)"/.exec(e.message)?.[1])).toEqual([
      'bytes',
      'bytes',
      'atMs',
      'bytes',
      'stream',
      'state',
      'batteryPct',
      'device',
    ]);
    // A payload that is no Heart Rate Measurement (3 bytes: flags say RR, one byte left) reaches the store as a
    // sample with its decoder error, as a noble strap's would; the good one after it gives its beat.
    p.send(notification('client', [0x10, 0x48, 0x2c]));
    p.send(notification('client', bytesOf(VECTORS[0].hex)));
    await p.untilBeats(1);
    expect(storedRr(rg)).toEqual(VECTORS[0].expected.rrMs);
    const samples = rg.store.getSamples(rg.daemon.currentSessionId as number);
    expect(samples).toHaveLength(2);
    expect(samples[0].error).toMatch(/RR values are 2 bytes each/);
    expect(clientSource(rg).counts).toMatchObject({ notifications: 2, malformed: 1 });
    expect(p.socket.readyState).toBe(WebSocket.OPEN);
  });

  it('contains a flood: beyond the rate bound notifications are dropped and counted, the page told once a second', async () => {
    const rg = await daemon();
    const p = await page();
    const sent = 300;
    for (let i = 0; i < sent; i++) p.send(notification('client', bytesOf(VECTORS[i % VECTORS.length].hex)));
    p.send(json({ type: 'ping' }));
    await p.until((m) => m.some((x) => x.type === 'pong'), 'the pong after the flood');
    const { counts } = clientSource(rg);
    expect(counts.notifications + counts.flooded).toBe(sent);
    // The burst, plus what the bucket refilled while the frames were read (well under a second).
    expect(counts.notifications).toBeGreaterThanOrEqual(BROWSER_STRAP.notificationBurst);
    expect(counts.notifications).toBeLessThan(BROWSER_STRAP.notificationBurst + BROWSER_STRAP.notificationsPerS);
    const floods = errors(p).filter((e) => e.code === 'WS_STRAP_FLOOD');
    expect(floods.length).toBeGreaterThanOrEqual(1);
    expect(floods.length).toBeLessThanOrEqual(2);
    await p.until(
      () => rg.store.getSamples(rg.daemon.currentSessionId as number).length === counts.notifications,
      'the taken notifications stored',
    );
  });

  it('refuses a page that claims another stream, a stream without a browser strap, and a second page until it takes over', async () => {
    const rg = await daemon({ therapist: 'replay' });
    const therapistPage = await page('/ws?stream=therapist');
    therapistPage.send(notification('client', bytesOf(VECTORS[0].hex)));
    therapistPage.send(notification('therapist', bytesOf(VECTORS[0].hex)));
    await therapistPage.until((m) => m.filter((x) => x.type === 'error').length >= 2, 'two refusals');
    expect(errors(therapistPage).map((e) => e.code)).toEqual(['WS_STRAP_OTHER_STREAM', 'WS_STRAP_REFUSED']);
    expect(errors(therapistPage)[0].message).toMatch(/follows stream "therapist"/);

    const one = await page();
    const two = await page();
    one.send(notification('client', bytesOf(VECTORS[0].hex)));
    await one.untilBeats(1);
    two.send(notification('client', bytesOf(VECTORS[1].hex)));
    await two.until((m) => m.some((x) => x.type === 'error'), 'refused: another page feeds');
    expect(errors(two)[0]).toMatchObject({ code: 'WS_STRAP_REFUSED' });
    expect(errors(two)[0].message).toMatch(/another page feeds this stream/);
    // Announcing a new link takes the stream over; the first page is refused from then on.
    two.send(status('client', 'connecting'));
    two.send(notification('client', bytesOf(VECTORS[1].hex)));
    one.send(notification('client', bytesOf(VECTORS[2].hex)));
    await one.until((m) => m.some((x) => x.type === 'error'), 'the first page refused');
    await two.until(() => storedRr(rg).length >= 1 + VECTORS[1].expected.rrMs.length, 'the second page’s beats');
    expect(storedRr(rg)).toEqual([...VECTORS[0].expected.rrMs, ...VECTORS[1].expected.rrMs]);
  });

  it('takes two straps, client and therapist, each on its own stream', async () => {
    const rg = await daemon({ therapist: 'browser' });
    const client = await page();
    const therapist = await page('/ws?stream=therapist');
    client.send(notification('client', bytesOf(VECTORS[0].hex)));
    therapist.send(notification('therapist', bytesOf(VECTORS[1].hex)));
    await client.untilBeats(VECTORS[0].expected.rrMs.length);
    await therapist.untilBeats(VECTORS[1].expected.rrMs.length);
    expect(storedRr(rg, 'client')).toEqual(VECTORS[0].expected.rrMs);
    expect(storedRr(rg, 'therapist')).toEqual(VECTORS[1].expected.rrMs);
  });

  it('feeds only through a socket opened with the access token', async () => {
    const rg = await daemon({ token: TOKEN });
    // Without the token the upgrade is refused before any socket exists (in-process: a refused upgrade over TCP keeps
    // its connection open past the app's close).
    await expect(rg.app.injectWS('/ws', { headers: { host: 'localhost' } })).rejects.toThrow(/401/);
    const paired = await page('/ws', { cookie: `tableside_token=${TOKEN}` });
    paired.send(notification('client', bytesOf(VECTORS[0].hex)));
    await paired.untilBeats(1);
    expect(storedRr(rg)).toEqual(VECTORS[0].expected.rrMs);
  });
});
