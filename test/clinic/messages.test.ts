/**
 * The overview's check of the topic tree: payloads written here from the README's table ("Clinic: tables on MQTT"),
 * not from the outlet's code, each accepted as documented; then one message per way of being malformed, each with its
 * reason.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkMessage, MALFORMED_REASONS } from '../../src/clinic/messages.js';
import { ClinicOverview } from '../../src/clinic/overview.js';

const enc = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));

const status = { v: 1, table: 'room-2', online: true, streams: ['client', 'therapist'], recording: true };
const state = {
  v: 1,
  table: 'room-2',
  stream: 'client',
  kind: 'ble',
  demo: false,
  state: 'live',
  batteryPct: 80,
  session: true,
  recording: true,
};
const metrics = {
  v: 1,
  table: 'room-2',
  stream: 'client',
  atMs: 1_764_000_000_000,
  tS: 612.4,
  hrBpm: 64.2,
  rmssdMs: 41.5,
  lnRmssd: Math.log(41.5),
  shift: 'shifting-to-rest',
  quality: { settling: false, tooIrregular: false, correctedPct: 0.8, reason: null },
};

describe('checkMessage', () => {
  it('accepts the documented status, state and metrics, and an empty retained state (a removed stream)', () => {
    expect(checkMessage('tableside/v1/room-2/status', enc(status))).toMatchObject({
      ok: true,
      message: { kind: 'status', table: 'room-2', payload: status },
    });
    expect(checkMessage('tableside/v1/room-2/client/state', enc(state))).toMatchObject({
      ok: true,
      message: { kind: 'state', table: 'room-2', stream: 'client', payload: state },
    });
    expect(checkMessage('tableside/v1/room-2/client/metrics', enc(metrics))).toMatchObject({
      ok: true,
      message: { kind: 'metrics', stream: 'client', payload: metrics },
    });
    // The last will: offline, nothing else.
    expect(checkMessage('tableside/v1/room-2/status', enc({ v: 1, table: 'room-2', online: false }))).toMatchObject({
      ok: true,
    });
    // Null values while not valid, null state before the source said anything.
    const early = { ...metrics, hrBpm: null, rmssdMs: null, lnRmssd: null, shift: null };
    expect(checkMessage('tableside/v1/room-2/client/metrics', enc(early)).ok).toBe(true);
    expect(checkMessage('tableside/v1/room-2/client/state', enc({ ...state, state: null, batteryPct: null })).ok).toBe(
      true,
    );
    expect(checkMessage('tableside/v1/room-2/client/state', Buffer.alloc(0))).toEqual({
      ok: true,
      message: { kind: 'state-cleared', table: 'room-2', stream: 'client' },
    });
  });

  it('keeps only the documented fields: anything else a publisher adds stays behind', () => {
    const checked = checkMessage('tableside/v1/room-2/status', enc({ ...status, client: 'Anna K' }));
    expect(checked.ok).toBe(true);
    expect(JSON.stringify(checked)).not.toContain('Anna');
  });

  it.each([
    ['topic', 'tableside/v1/room-2', status],
    ['topic', 'tableside/v1/room-2/client', state],
    ['topic', 'tableside/v1/room-2/client/beats', metrics],
    ['topic', 'tableside/v1/room 2/status', status],
    ['topic', 'tableside/v1/room-2/status/extra', status],
    ['topic', 'tableside/v2/room-2/status', status],
    ['json', 'tableside/v1/room-2/status', 'online'],
    ['json', 'tableside/v1/room-2/status', ''],
    ['json', 'tableside/v1/room-2/status', '[1]'],
    ['version', 'tableside/v1/room-2/status', { ...status, v: 2 }],
    ['version', 'tableside/v1/room-2/status', { ...status, v: '1' }],
    ['name', 'tableside/v1/room-2/status', { ...status, table: 'room-3' }],
    ['name', 'tableside/v1/room-2/client/state', { ...state, stream: 'therapist' }],
    ['fields', 'tableside/v1/room-2/status', { ...status, online: 'yes' }],
    ['fields', 'tableside/v1/room-2/status', { ...status, streams: ['client', 'a/b'] }],
    ['fields', 'tableside/v1/room-2/client/state', { ...state, kind: 'bluetooth' }],
    ['fields', 'tableside/v1/room-2/client/state', { ...state, state: 'asleep' }],
    ['fields', 'tableside/v1/room-2/client/state', { ...state, batteryPct: 140 }],
    ['fields', 'tableside/v1/room-2/client/state', { ...state, recording: undefined }],
    ['fields', 'tableside/v1/room-2/client/metrics', { ...metrics, atMs: '1764000000000' }],
    ['fields', 'tableside/v1/room-2/client/metrics', { ...metrics, hrBpm: 'fast' }],
    ['fields', 'tableside/v1/room-2/client/metrics', { ...metrics, shift: 'calm' }],
    ['fields', 'tableside/v1/room-2/client/metrics', { ...metrics, quality: null }],
    [
      'fields',
      'tableside/v1/room-2/client/metrics',
      { ...metrics, quality: { ...metrics.quality, correctedPct: null } },
    ],
  ])('%s: %s %j', (reason, topic, payload) => {
    expect(checkMessage(topic, enc(payload))).toMatchObject({ ok: false, reason });
  });
});

describe('checkMessage on anything', () => {
  const documented: Record<string, readonly string[]> = {
    status: ['v', 'table', 'online', 'streams', 'recording'],
    state: ['v', 'table', 'stream', 'kind', 'demo', 'state', 'batteryPct', 'session', 'recording'],
    metrics: ['v', 'table', 'stream', 'atMs', 'tS', 'hrBpm', 'rmssdMs', 'lnRmssd', 'shift', 'quality'],
  };
  // Topics near the tree's shape, payloads near the documented ones (each field kept, dropped or replaced).
  const topic = fc.oneof(
    fc.constantFrom(
      'tableside/v1/room-2/status',
      'tableside/v1/room-2/client/state',
      'tableside/v1/room-2/client/metrics',
    ),
    fc.string(),
  );
  const near = (base: Record<string, unknown>) =>
    fc.record(
      Object.fromEntries(
        Object.entries(base).map(([k, v]) => [
          k,
          fc.oneof(
            { arbitrary: fc.constant(v), weight: 12 },
            { arbitrary: fc.jsonValue(), weight: 1 },
            { arbitrary: fc.constant(undefined), weight: 1 },
          ),
        ]),
      ),
    );
  const payload = fc.oneof(
    fc.uint8Array().map((a) => Buffer.from(a)),
    fc.oneof(near(status), near(state), near(metrics), fc.jsonValue()).map((v) => enc(JSON.stringify(v) ?? '')),
    fc.tuple(near(metrics), fc.dictionary(fc.string(), fc.jsonValue())).map(([v, extra]) => enc({ ...extra, ...v })),
  );

  it('never throws; a refusal has one of the reasons; what passes holds the documented fields only', () => {
    let passed = 0;
    fc.assert(
      fc.property(topic, payload, (t, p) => {
        const checked = checkMessage(t, p);
        if (!checked.ok) {
          expect(MALFORMED_REASONS).toContain(checked.reason);
          return;
        }
        passed += 1;
        const m = checked.message;
        expect(t.startsWith('tableside/v1/')).toBe(true);
        if (m.kind === 'state-cleared') return;
        for (const key of Object.keys(m.payload)) expect(documented[m.kind]).toContain(key);
        if (m.kind === 'metrics')
          expect(Object.keys(m.payload.quality).sort()).toEqual(Object.keys(metrics.quality).sort());
      }),
      { numRuns: 3000 },
    );
    // Not a property of refusals only: a fair share got through.
    expect(passed).toBeGreaterThan(40);
  });
});

describe('ClinicOverview', () => {
  const apply = (o: ClinicOverview, topic: string, payload: unknown) => {
    const c = checkMessage(topic, enc(payload));
    if (!c.ok) throw new Error(c.detail);
    o.apply(c.message);
  };

  it('keeps a table that went offline, listed as offline, with its streams; a cleared stream goes', () => {
    let now = 1000;
    const o = new ClinicOverview(() => now);
    const seen: string[] = [];
    o.onChange((t, cause) => seen.push(`${t.table}:${cause}:${t.online}`));
    apply(o, 'tableside/v1/room-2/status', status);
    apply(o, 'tableside/v1/room-2/client/state', state);
    apply(o, 'tableside/v1/room-2/therapist/state', { ...state, stream: 'therapist', kind: 'simulated', demo: true });
    now = 2500;
    apply(o, 'tableside/v1/room-2/client/metrics', metrics);
    apply(o, 'tableside/v1/room-1/status', { ...status, table: 'room-1', streams: ['client'] });
    expect(o.all.map((t) => t.table)).toEqual(['room-1', 'room-2']);
    const room2 = o.table('room-2');
    expect(room2?.streams.map((s) => s.stream)).toEqual(['client', 'therapist']);
    expect(room2?.streams[0]).toMatchObject({
      state: { kind: 'ble', state: 'live', batteryPct: 80, session: true, recording: true },
      metrics: { hrBpm: 64.2, rmssdMs: 41.5, shift: 'shifting-to-rest' },
      metricsReceivedAtMs: 2500,
    });
    now = 9000;
    apply(o, 'tableside/v1/room-2/status', { v: 1, table: 'room-2', online: false });
    // The last will is the broker's word, not the table's: last heard stays at its last own message.
    expect(o.table('room-2')).toMatchObject({ online: false, seenAtMs: 2500 });
    expect(o.table('room-2')?.streams).toHaveLength(2);
    // The table comes back with the client's stream only; the therapist's retained state is cleared.
    apply(o, 'tableside/v1/room-2/status', { ...status, streams: ['client'] });
    apply(o, 'tableside/v1/room-2/therapist/state', '');
    expect(o.table('room-2')?.streams.map((s) => s.stream)).toEqual(['client']);
    expect(seen).toContain('room-2:status:false');
    expect(o.accepted).toBe(8);
  });
});
