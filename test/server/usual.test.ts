/**
 * Today against the usual on the live socket: a session on a client's record whose mornings give a normal range gets,
 * when its first baseline ends, a `usual` message placing that baseline's lnRMSSD against the range — recomputed here
 * from the definition (mean ± ½ SD, n − 1, of the daily values of the 60 days up to the session's date). A viewer
 * that joins later finds it in its hello; a session on no client's record, or a client without a normal range, gets
 * none. Real store file, real app, real sockets; the replayed recording is the strap.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { formatLocal } from '../../src/io/local-time.js';
import { addReadings, createClient } from '../../src/store/clients.js';
import type { NewReading } from '../../src/store/types.js';
import { type Message, type Rig, replaySource, rig } from './harness.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** Morning readings on the `count` days up to today (local), with these values; the RR only makes each one unique. */
function mornings(values: readonly number[]): NewReading[] {
  const now = new Date();
  return values.map((lnRmssd, i) => {
    const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() - (values.length - 1 - i), 7, 0, 0);
    return {
      at: formatLocal(day),
      kind: 'morning',
      source: 'test',
      tags: '',
      rrMs: [800 + i, 810, 790],
      rmssdMs: Math.exp(lnRmssd),
      lnRmssd,
      meanHrBpm: 70,
      correctedPct: 0,
      reason: null,
    };
  });
}

/** Runs a session of the client (or none) through a baseline into the massage; returns its viewers' messages. */
async function sessionWithBaseline(rig_: Rig, clientId: number | null) {
  const send = (method: 'POST', url: string, payload: object = {}) => rig_.app.inject({ method, url, payload });
  rig_.daemon.start();
  const session = (await send('POST', '/api/sessions', clientId === null ? {} : { clientId })).json();
  const viewer = await rig_.connect();
  expect(viewer.of('hello').at(-1)?.session.session).toMatchObject({ id: session.id, clientId });
  await viewer.untilBeats(10);
  await send('POST', `/api/sessions/${session.id}/phase`, { kind: 'baseline' });
  await viewer.untilBeats(300);
  await send('POST', `/api/sessions/${session.id}/phase`, { kind: 'massage' });
  await viewer.until((m) => m.some((x) => x.type === 'baseline'), 'the baseline');
  // a second baseline and massage: the session's record keeps the first, and so do these words
  await send('POST', `/api/sessions/${session.id}/phase`, { kind: 'baseline' });
  await viewer.untilBeats(500);
  await send('POST', `/api/sessions/${session.id}/phase`, { kind: 'massage' });
  await viewer.until((m) => m.filter((x) => x.type === 'baseline').length === 2, 'the second baseline');
  const late = await rig_.connect();
  return { session, viewer, late };
}

describe('today against the usual', () => {
  it("places the session's first baseline against the client's normal range of the day, in words", async () => {
    r = await rig({ source: await replaySource(400) });
    const client = createClient(r.store, 'Usual Client');
    // 20 mornings far above any resting lnRMSSD of the replayed recording: the baseline comes in below them
    const values = Array.from({ length: 20 }, (_, i) => 6 + (i % 4) * 0.1);
    addReadings(r.store, client.id, mornings(values));
    const { session, viewer, late } = await sessionWithBaseline(r, client.id);

    const [baseline] = viewer.of('baseline');
    const usual = viewer.of('usual');
    expect(usual).toHaveLength(1);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const sd = Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
    const lnRmssd = baseline.reference.lnRmssd as number;
    expect(lnRmssd).toBeLessThan(mean - sd / 2);
    expect(usual[0]).toEqual({
      type: 'usual',
      sessionId: session.id,
      clientId: client.id,
      phaseId: baseline.phaseId,
      date: formatLocal(new Date(session.startedAt)).slice(0, 10),
      lnRmssd,
      normalLow: expect.closeTo(mean - sd / 2, 12),
      normalHigh: expect.closeTo(mean + sd / 2, 12),
      values60: 20,
      position: 'below',
      words: 'came in below their usual',
    });
    // after the baseline it is about, before the second one
    const index = viewer.messages.indexOf(usual[0] as Message);
    expect(index).toBeGreaterThan(viewer.messages.indexOf(baseline));
    // a viewer joining later gets it with the session
    expect((late.of('hello').at(-1) as Message).session.usual).toEqual(usual[0]);
  });

  it('says within when the baseline lies inside the range, edges included', async () => {
    r = await rig({ source: await replaySource(400) });
    const client = createClient(r.store, 'Wide Client');
    // 1 and 7 alternating: a usual range of about 4 ± 1.5 lnRMSSD, which holds the recording's resting value
    const values = Array.from({ length: 16 }, (_, i) => (i % 2 ? 7 : 1));
    addReadings(r.store, client.id, mornings(values));
    const { viewer } = await sessionWithBaseline(r, client.id);
    expect(viewer.of('usual').map((m) => [m.position, m.words])).toEqual([
      ['within', 'came in within their usual range'],
    ]);
  });

  it('is not sent without a normal range (13 mornings) or for a session on no client’s record', async () => {
    r = await rig({ source: await replaySource(400) });
    const client = createClient(r.store, 'New Client');
    addReadings(r.store, client.id, mornings(Array.from({ length: 13 }, () => 4)));
    const few = await sessionWithBaseline(r, client.id);
    expect(few.viewer.of('baseline')).toHaveLength(2);
    expect(few.viewer.of('usual')).toEqual([]);
    expect((few.late.of('hello').at(-1) as Message).session.usual).toBeNull();
    await r.close();

    r = await rig({ source: await replaySource(400) });
    const none = await sessionWithBaseline(r, null);
    expect(none.viewer.of('baseline')).toHaveLength(2);
    expect(none.viewer.of('usual')).toEqual([]);
  });
});
