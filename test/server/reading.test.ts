/**
 * A reading taken at the table over REST, on a replay of a real recording with no artefact: the beats it measures
 * are the ones whose end lies in the minutes after the minute of settling (on beat time from the reading's first
 * beat), recomputed here from the file; its value is lnRMSSD from the definition (ln √mean(ΔRR²)); it is stored on the
 * client before the `done` message goes out; it is refused while a session records, for an unknown client and for
 * a length that is not whole minutes; it can be cancelled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createClient, readingRr, readingsOfClient } from '../../src/store/clients.js';
import { type Rig, recordingRr, replaySource, rig } from './harness.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

const lnRmssd = (rr: readonly number[]) => {
  let sum = 0;
  for (let i = 1; i < rr.length; i++) sum += (rr[i] - rr[i - 1]) ** 2;
  return Math.log(Math.sqrt(sum / (rr.length - 1)));
};

describe('a reading at the table', () => {
  it('settles 60 s, measures the minutes asked on beat time, stores the value, then says so', async () => {
    r = await rig({ source: await replaySource(100) });
    const client = createClient(r.store, 'reading test');
    r.daemon.start();
    const viewer = await r.connect();
    const started = await r.app.inject({
      method: 'POST',
      url: '/api/streams/client/reading',
      payload: { clientId: client.id, kind: 'before', measureS: 120 },
    });
    expect(started.statusCode).toBe(202);
    expect(started.json()).toMatchObject({ type: 'reading', state: 'settling', settleS: 60, measureS: 120 });
    // one at a time
    const again = await r.app.inject({
      method: 'POST',
      url: '/api/streams/client/reading',
      payload: { clientId: client.id, kind: 'before' },
    });
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'READING_RUNNING' });

    await viewer.until((m) => m.some((x) => x.type === 'reading' && x.state === 'done'), 'the reading', 20_000);
    const messages = viewer.messages.filter((x) => x.type === 'reading');
    const states = messages.map((m) => m.state);
    expect(states.indexOf('measuring')).toBeGreaterThan(states.lastIndexOf('settling'));
    expect(states.at(-1)).toBe('done');
    for (let i = 1; i < messages.length; i++)
      expect(messages[i].elapsedS).toBeGreaterThanOrEqual(messages[i - 1].elapsedS);

    // The measured beats, from the file: the reading starts at whichever beat k came first after it was asked for
    // (the replay was already running); its measured beats end in (60, 180] s after the start of beat k.
    const rr = await recordingRr();
    const window = (k: number) => {
      const out: number[] = [];
      let t = 0;
      for (let i = k; i < rr.length && t <= 180; i++) {
        t += rr[i] / 1000;
        if (t > 60 && t <= 180) out.push(rr[i]);
      }
      return out;
    };
    const stored = readingsOfClient(r.store, client.id);
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ kind: 'before', reason: null, correctedPct: 0 });
    expect(stored[0].source).toContain('taken at the table');
    const storedRr = readingRr(r.store, stored[0].id);
    const starts = [];
    for (let k = 0; k < rr.length; k++) {
      const w = window(k);
      if (w.length === storedRr.length && w.every((v, i) => Math.abs(v - storedRr[i]) < 1e-6)) starts.push(k);
    }
    expect(starts).toHaveLength(1);
    const expected = window(starts[0]);
    expect(stored[0].lnRmssd).toBeCloseTo(lnRmssd(expected), 9);
    const done = messages.at(-1);
    expect(done?.result).toMatchObject({ readingId: stored[0].id, beats: expected.length });
    expect(done?.result.lnRmssd).toBeCloseTo(lnRmssd(expected), 9);
    // nothing left running
    expect((await r.app.inject({ method: 'GET', url: '/api/streams/client/reading' })).statusCode).toBe(404);
  }, 30_000);

  it('is refused while a session records, for an unknown client or stream, and for a length not in whole minutes', async () => {
    r = await rig({ source: await replaySource(1), autoSession: { clientLabel: '', therapistNote: '' } });
    const client = createClient(r.store, 'refused');
    r.daemon.start();
    const post = (url: string, payload: object) => (r as Rig).app.inject({ method: 'POST', url, payload });
    const recording = await post('/api/streams/client/reading', { clientId: client.id, kind: 'before' });
    expect(recording.statusCode).toBe(409);
    expect(recording.json()).toMatchObject({ code: 'STREAM_RECORDING' });
    expect(recording.json().message).toContain('end it before taking a reading');
    r.daemon.endSession();
    expect((await post('/api/streams/client/reading', { clientId: 999, kind: 'before' })).statusCode).toBe(404);
    expect((await post('/api/streams/nope/reading', { clientId: client.id, kind: 'before' })).statusCode).toBe(404);
    const odd = await post('/api/streams/client/reading', { clientId: client.id, kind: 'before', measureS: 90 });
    expect(odd.statusCode).toBe(400);
    expect(odd.json()).toMatchObject({ code: 'READING_BAD_MEASURE' });
    expect(readingsOfClient(r.store, client.id)).toHaveLength(0);
  });

  it('is cancelled by DELETE, or by a session starting, and stores nothing', async () => {
    r = await rig({ source: await replaySource(1) });
    const client = createClient(r.store, 'cancel');
    r.daemon.start();
    const viewer = await r.connect();
    const start = () =>
      (r as Rig).app.inject({
        method: 'POST',
        url: '/api/streams/client/reading',
        payload: { clientId: client.id, kind: 'morning', measureS: 60 },
      });
    expect((await start()).statusCode).toBe(202);
    expect((await r.app.inject({ method: 'DELETE', url: '/api/streams/client/reading' })).statusCode).toBe(204);
    await viewer.until((m) => m.some((x) => x.type === 'reading' && x.state === 'cancelled'), 'the cancel');
    expect((await start()).statusCode).toBe(202);
    r.daemon.startSession({ clientLabel: '' });
    await viewer.until(
      (m) => m.some((x) => x.type === 'reading' && x.state === 'cancelled' && x.reason === 'a session started'),
      'the second cancel',
    );
    expect(readingsOfClient(r.store, client.id)).toHaveLength(0);
  });
});
