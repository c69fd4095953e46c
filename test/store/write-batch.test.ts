import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/domain/events.js';
import { RollingEngine } from '../../src/hrv/rolling.js';
import { BeatFlag } from '../../src/hrv/types.js';
import { StoreError } from '../../src/store/errors.js';
import { beat, beats, gap, metrics, NEW_SESSION, sample, status, tempDatabases } from './fixtures.js';

const db = tempDatabases();
beforeEach(db.setUp);
afterEach(db.tearDown);

describe('writeBatch', () => {
  it('round-trips every event type, Uint8Array payloads and nulls included', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    const payload = new Uint8Array([0x10, 0x3c, 0x00, 0x04]);
    store.writeBatch(id, [
      status(0, { state: 'connecting' }),
      status(10, {
        state: 'live',
        reason: 'connected',
        batteryPct: 87,
        device: { name: 'Polar H10 A1B2', id: 'aa:bb' },
      }),
      sample(1000.5, payload, [1000]),
      sample(2000, null, [976.5625, 1023.4375]),
      sample(3000, new Uint8Array([0x10]), [], 'truncated: 1 byte'),
      beat(0, 1),
      beat(1, 1.9765625, 976.5625),
      gap(1.9765625, 5.5, 'link lost (supervision timeout)'),
      beat(2, 6.5, 1000, true),
      metrics(0, 1, 'normal', { rmssdMs: null, lnRmssd: null, hfMs2: null, lfHfRatio: null }),
    ]);

    expect(store.getSamples(id)).toEqual([
      { seq: 0, sourceTimeMs: 1000.5, receivedAtMs: expect.any(Number), payload, rrMs: [1000], error: null },
      {
        seq: 1,
        sourceTimeMs: 2000,
        receivedAtMs: expect.any(Number),
        payload: null,
        rrMs: [976.5625, 1023.4375],
        error: null,
      },
      {
        seq: 2,
        sourceTimeMs: 3000,
        receivedAtMs: expect.any(Number),
        payload: new Uint8Array([0x10]),
        rrMs: [],
        error: 'truncated: 1 byte',
      },
    ]);
    const first = store.getSamples(id)[0].payload;
    expect(first).toBeInstanceOf(Uint8Array);
    expect(Buffer.isBuffer(first)).toBe(false);

    expect(store.getBeats(id)).toEqual([
      { seq: 0, tS: 1, rrMs: 1000, gapBefore: false, kind: 'normal', flags: 0 },
      { seq: 1, tS: 1.9765625, rrMs: 976.5625, gapBefore: false, kind: null, flags: 0 },
      { seq: 2, tS: 6.5, rrMs: 1000, gapBefore: true, kind: null, flags: BeatFlag.GapBefore },
    ]);
    expect(store.getGaps(id)).toEqual([
      { fromS: 1.9765625, toS: 5.5, reason: 'link lost (supervision timeout)', receivedAtMs: expect.any(Number) },
    ]);
    expect(store.getStatuses(id)).toEqual([
      { sourceTimeMs: 0, receivedAtMs: expect.any(Number), state: 'connecting', reason: null, batteryPct: null },
      { sourceTimeMs: 10, receivedAtMs: expect.any(Number), state: 'live', reason: 'connected', batteryPct: 87 },
    ]);
    const [m] = store.getMetrics(id);
    const sent = metrics(0, 1).metrics;
    expect(m).toEqual({
      seq: 0,
      tS: 1,
      meanHrBpm: 60,
      rmssdMs: null,
      lnRmssd: null,
      sdnnMs: sent.sdnnMs,
      hfMs2: null,
      lfMs2: sent.lfMs2,
      lfHfRatio: null,
      hfPeakHz: 0.25,
      respirationRateBpm: 15,
      correctedPct: 0,
      quality: sent.quality,
    });

    const session = store.getSession(id);
    expect(session?.lastBeatTS).toBe(6.5);
    expect(session?.device).toEqual({ name: 'Polar H10 A1B2', id: 'aa:bb' });
  });

  it('numbers samples on across batches', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    store.writeBatch(id, [sample(0, null, [1000]), sample(1, null, [1000])]);
    store.writeBatch(id, [sample(2, null, [1000])]);
    expect(store.getSamples(id).map((s) => s.seq)).toEqual([0, 1, 2]);
  });

  it('classifies the beat a metrics event is about: kind, and the corrected bit beside the gap bit', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    store.writeBatch(id, [beat(0, 1), beat(1, 1.4, 400), beat(2, 3, 1600, true), beat(3, 4)]);
    store.writeBatch(id, [metrics(0, 1), metrics(1, 1.4, 'ectopic'), metrics(2, 3, 'missed')]);

    expect(store.getBeats(id).map((b) => [b.seq, b.kind, b.flags])).toEqual([
      [0, 'normal', 0],
      [1, 'ectopic', BeatFlag.Corrected],
      [2, 'missed', BeatFlag.GapBefore | BeatFlag.Corrected],
      [3, null, 0],
    ]);
  });

  it('keeps the last beat time the largest seen', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    expect(store.getSession(id)?.lastBeatTS).toBeNull();
    store.writeBatch(id, beats(0, 10));
    store.writeBatch(id, [gap(10, 20)]);
    expect(store.getSession(id)?.lastBeatTS).toBe(10);
  });

  it('stores nothing of a batch in which one event breaks a rule (a beat stored twice), and stays usable', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    store.writeBatch(id, beats(0, 2));

    const bad: PipelineEvent[] = [
      sample(3000, new Uint8Array([0x10, 0x3c]), [1000]),
      beat(2, 3),
      metrics(0, 1, 'ectopic'),
      gap(3, 4),
      status(3000, { state: 'stale' }),
      beat(1, 2), // already stored
      beat(3, 4),
    ];
    let thrown: unknown;
    try {
      store.writeBatch(id, bad);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(StoreError);
    expect((thrown as StoreError).code).toBe('STORE_CONSTRAINT');
    expect((thrown as StoreError).message).toContain(db.path());
    expect((thrown as StoreError).message).toContain('nothing of the batch was stored');

    expect(store.getBeats(id).map((b) => [b.seq, b.kind])).toEqual([
      [0, null],
      [1, null],
    ]);
    expect(store.getSamples(id)).toEqual([]);
    expect(store.getMetrics(id)).toEqual([]);
    expect(store.getGaps(id)).toEqual([]);
    expect(store.getStatuses(id)).toEqual([]);
    expect(store.getSession(id)?.lastBeatTS).toBe(2);

    store.writeBatch(id, beats(2, 2));
    expect(store.getBeats(id)).toHaveLength(4);
  });

  it('rolls back a batch with a value of the wrong type too', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    const wrong = { ...beat(1, 2), rrMs: 'a thousand' as unknown as number };
    expect(() => store.writeBatch(id, [beat(0, 1), wrong])).toThrow(StoreError);
    expect(store.getBeats(id)).toEqual([]);
  });

  it('refuses a batch for an unknown session', () => {
    const store = db.open();
    expect(() => store.writeBatch(42, beats(0, 1))).toThrow(expect.objectContaining({ code: 'STORE_NOT_FOUND' }));
  });

  it('reads a time range and iterates', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    const events: PipelineEvent[] = beats(0, 10);
    for (let seq = 0; seq < 10; seq++) events.push(metrics(seq, seq + 1));
    store.writeBatch(id, events);

    expect(store.getBeats(id, { fromS: 3, toS: 6 }).map((b) => b.tS)).toEqual([3, 4, 5]);
    expect(store.getBeats(id, { fromS: 9 }).map((b) => b.tS)).toEqual([9, 10]);
    expect(store.getMetrics(id, { toS: 3 }).map((m) => m.tS)).toEqual([1, 2]);
    expect([...store.iterateBeats(id)].map((b) => b.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect([...store.iterateMetrics(id, { fromS: 8 })].map((m) => m.seq)).toEqual([7, 8, 9]);
  });

  it('stores what the rolling engine emits, every beat classified once the engine is flushed', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    const engine = new RollingEngine();
    let tS = 0;
    for (let seq = 0; seq < 400; seq++) {
      // Breathing-shaped RR with one premature beat and its compensatory pause.
      let rrMs = 900 + 60 * Math.sin((2 * Math.PI * seq) / 4.5);
      if (seq === 200) rrMs = 550;
      if (seq === 201) rrMs = 1250;
      tS += rrMs / 1000;
      const batch: PipelineEvent[] = [beat(seq, tS, rrMs)];
      for (const m of engine.push(rrMs, tS)) batch.push({ type: 'metrics', metrics: m, receivedAtMs: 0 });
      store.writeBatch(id, batch);
    }
    store.writeBatch(
      id,
      engine.flush().map((m) => ({ type: 'metrics', metrics: m, receivedAtMs: 0 })),
    );

    const stored = store.getBeats(id);
    expect(stored).toHaveLength(400);
    expect(stored.every((b) => b.kind !== null)).toBe(true);
    expect(stored[200].kind).not.toBe('normal');
    expect(stored[200].flags & BeatFlag.Corrected).toBe(BeatFlag.Corrected);
    expect(stored[100]).toMatchObject({ kind: 'normal', flags: 0 });
    const curve = store.getMetrics(id);
    expect(curve).toHaveLength(400);
    expect(curve[399].rmssdMs).toBeGreaterThan(0);
    expect(curve[399].quality.beatsInWindow).toBeGreaterThan(0);
  });
});
