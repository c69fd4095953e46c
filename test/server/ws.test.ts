/**
 * The viewer socket on a live replay: what a viewer sees is what the file holds, in order, with the same metrics the
 * rolling engine computes on the file; a viewer that joins late gets everything so far in its hello; commands sent
 * over REST show up live and in the stored session.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LiveMetrics, RollingEngine } from '../../src/hrv/rolling.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { answerViewer } from '../../src/viewers/protocol.js';
import { knownBeats } from '../helpers/viewer-knowledge.js';
import { type Message, type Rig, recordingRr, replaySource, rig, type Viewer } from './harness.js';

/** About 2.5 s for the 16 min recording: slow enough to act while it runs. */
const SPEED = 400;

/** The rolling engine on the file itself, beat by beat, by seq; and each beat's time (running sum of RR). */
function reference(rrMs: readonly number[]): { metrics: Map<number, LiveMetrics>; tS: number[] } {
  const engine = new RollingEngine();
  const metrics = new Map<number, LiveMetrics>();
  const tS: number[] = [];
  let t = 0;
  for (const rr of rrMs) {
    t += rr / 1000;
    tS.push(t);
    for (const m of engine.push(rr, t, false)) metrics.set(m.seq, { ...m });
  }
  for (const m of engine.flush()) metrics.set(m.seq, { ...m });
  return { metrics, tS };
}

/** The beats a viewer knows: those in its last hello's backfill and pieces, then the live ones. */
function beatsSeen(viewer: Viewer) {
  return knownBeats(viewer.messages);
}

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('the viewer socket on a replay', () => {
  let fileRr: number[];
  beforeEach(async () => {
    fileRr = await recordingRr();
    r = await rig({ source: await replaySource(SPEED), autoSession: { clientLabel: 'ws test', therapistNote: '' } });
  });

  it('sends hello, then every beat of the file in order, and the rolling engine’s metrics', async () => {
    const rig = r as Rig;
    const viewer = await rig.connect();
    const first = await viewer.nth(0);
    expect(first).toMatchObject({
      type: 'hello',
      protocol: 2,
      source: { kind: 'replay', label: 'bartels_rest_rri.txt', demo: true },
      recording: true,
      session: null,
    });

    rig.daemon.start();
    await viewer.untilSessionEnded();

    // Starting the session sent a fresh hello with the session and its (empty) backfill.
    const hello = viewer.of('hello')[1] as Message;
    expect(hello.session.baseline).toBeNull();
    expect(hello.session.usual).toBeNull();
    expect(hello.session.session).toMatchObject({ clientLabel: 'ws test', status: 'recording' });
    expect(Object.keys(hello.session).sort()).toEqual(
      ['baseline', 'beats', 'gaps', 'latest', 'markers', 'metrics', 'more', 'phases', 'session', 'usual'].sort(),
    );
    const seen = beatsSeen(viewer);
    expect(seen.rrMs).toEqual(fileRr);
    expect(seen.seq).toEqual(fileRr.map((_, i) => i));

    const ref = reference(fileRr);
    expect(viewer.of('beat').map((b) => b.tS)).toEqual(ref.tS.slice(seen.backfilled));
    const metrics = viewer.of('metrics');
    expect(metrics.map((m) => m.seq)).toEqual(fileRr.map((_, i) => i).slice(seen.backfilled));
    for (const m of metrics) {
      const want = ref.metrics.get(m.seq) as LiveMetrics;
      expect({ seq: m.seq, rmssdMs: m.rmssdMs, lnRmssd: m.lnRmssd, hfMs2: m.hfMs2, meanHrBpm: m.meanHrBpm }).toEqual({
        seq: want.seq,
        rmssdMs: want.rmssdMs,
        lnRmssd: want.lnRmssd,
        hfMs2: want.hfMs2,
        meanHrBpm: want.meanHrBpm,
      });
    }
    // The file is long enough for valid values, so the comparison above compared numbers, not only nulls.
    expect(metrics.filter((m) => m.rmssdMs !== null).length).toBeGreaterThan(fileRr.length / 2);
    expect(metrics.filter((m) => m.hfMs2 !== null).length).toBeGreaterThan(0);

    // A metrics message never comes before its beat.
    const order = viewer.messages.filter((m) => m.type === 'beat' || m.type === 'metrics');
    const beatIndex = new Map(order.flatMap((m, i) => (m.type === 'beat' ? [[m.seq as number, i]] : [])));
    for (const [i, m] of order.entries()) {
      if (m.type === 'metrics' && beatIndex.has(m.seq)) expect(beatIndex.get(m.seq)).toBeLessThan(i);
    }
  });

  it('gives a viewer that joins (or rejoins) mid-way every beat so far in its hello', async () => {
    const rig = r as Rig;
    rig.daemon.start();
    const early = await rig.connect();
    await early.untilBeats(300);
    early.socket.close();

    const late = await rig.connect();
    const hello = await late.nth(0);
    expect(hello.type).toBe('hello');
    expect(hello.session.beats.seq.length).toBeGreaterThanOrEqual(300);
    expect(hello.session.beats.rrMs).toEqual(fileRr.slice(0, hello.session.beats.seq.length));
    expect(hello.session.metrics.tS.length).toBeGreaterThan(0);
    expect(hello.session.latest).toMatchObject({ type: 'metrics', seq: expect.any(Number) });
    // The backfilled metrics equal the engine's, beat by beat.
    const ref = reference(fileRr);
    hello.session.metrics.rmssdMs.forEach((rmssd: number | null, i: number) => {
      expect(rmssd).toBe(ref.metrics.get(i)?.rmssdMs);
      expect(hello.session.metrics.tS[i]).toBe(ref.tS[i]);
    });

    // The hello's backfill is what the store holds for those beats, kinds included (a kind the artefact layer had not
    // yet given when the hello was made is null there).
    const stored = rig.store.getBeats(hello.session.session.id).slice(0, hello.session.beats.seq.length);
    expect(hello.session.beats.seq).toEqual(stored.map((b) => b.seq));
    expect(hello.session.beats.tS).toEqual(stored.map((b) => b.tS));
    expect(hello.session.beats.gapBefore).toEqual(stored.map((b) => b.gapBefore));
    const kinds = hello.session.beats.kind as (string | null)[];
    expect(kinds.filter((k) => k === null).length).toBeLessThanOrEqual(4);
    kinds.forEach((k, i) => {
      if (k !== null) expect(k).toBe(stored[i].kind);
    });
    const storedMetrics = rig.store.getMetrics(hello.session.session.id).slice(0, hello.session.metrics.tS.length);
    expect(hello.session.metrics.correctedPct).toEqual(storedMetrics.map((m) => m.correctedPct));
    expect(hello.session.metrics.hfMs2).toEqual(storedMetrics.map((m) => m.hfMs2));

    await late.untilSessionEnded();
    const seen = beatsSeen(late);
    expect(seen.rrMs).toEqual(fileRr);
    expect(seen.seq).toEqual(fileRr.map((_, i) => i));
  });

  it('sends a long session to a late viewer in pieces, then the live messages: none missed, none twice', async () => {
    await r?.close();
    // A strap that does not run out: the session ends when the test ends it.
    r = await rig({
      source: simulatedSource({ seed: 4, speed: 200, durationS: 36_000 }),
      autoSession: { clientLabel: 'pieces', therapistNote: '' },
      backfillPieceBeats: 40,
    });
    const rig_ = r;
    rig_.daemon.start();
    const id = rig_.daemon.currentSessionId as number;
    const early = await rig_.connect();
    await early.untilBeats(300);
    const late = await rig_.connect();
    await late.untilBeats(50);
    rig_.daemon.endSession();
    await late.untilSessionEnded();
    await early.untilSessionEnded();

    const hello = late.messages[0];
    expect(hello).toMatchObject({ type: 'hello', session: { more: true } });
    const known = knownBeats(late.messages);
    // The hello carries the first piece; the pieces run on, each at most 40 beats, the last marked.
    expect(hello.session.beats.seq).toEqual(Array.from({ length: 40 }, (_, i) => i));
    const pieces = late.of('backfill');
    expect(pieces.length).toBeGreaterThanOrEqual(Math.ceil(300 / 40) - 1);
    expect(pieces.every((p) => p.sessionId === id && p.beats.seq.length <= 40 && p.metrics.tS.length <= 40)).toBe(true);
    expect(pieces.map((p) => p.last)).toEqual([...pieces.slice(1).map(() => false), true]);
    // Nothing live before the last piece: the live messages start where the backfill ends.
    const firstLive = late.messages.findIndex((m) => m.type === 'beat' || m.type === 'metrics');
    expect(firstLive).toBeGreaterThan(known.backfillEndsAt);
    // Every stored beat once, in order; the metrics too (backfilled, then live).
    const stored = rig_.store.getBeats(id);
    expect(stored.length).toBeGreaterThanOrEqual(350);
    expect(known.seq).toEqual(stored.map((b) => b.seq));
    expect(known.seq).toEqual(stored.map((_, i) => i));
    expect(known.rrMs).toEqual(stored.map((b) => b.rrMs));
    expect(known.tS).toEqual(stored.map((b) => b.tS));
    const metricSeqs = [
      ...hello.session.metrics.tS,
      ...pieces.flatMap((p) => p.metrics.tS),
      ...late.of('metrics').map((m) => m.tS),
    ];
    expect(metricSeqs).toEqual(rig_.store.getMetrics(id).map((m) => m.tS));
    // The viewer that was there from the start saw the same beats.
    expect(knownBeats(early.messages).rrMs).toEqual(stored.map((b) => b.rrMs));
  });

  it('shows phases and markers set over REST live, and stores them with the session', async () => {
    const rig = r as Rig;
    const post = (url: string, payload: object = {}) => rig.app.inject({ method: 'POST', url, payload });
    rig.daemon.start();
    const id = (rig.daemon.currentSession as { id: number }).id;
    const viewer = await rig.connect();

    await viewer.untilBeats(10);
    const baseline = (await post(`/api/sessions/${id}/phase`, { kind: 'baseline' })).json();
    await viewer.untilBeats(400);
    const massage = (await post(`/api/sessions/${id}/phase`, { kind: 'massage' })).json();
    const marker = (await post(`/api/sessions/${id}/markers`, { kind: 'technique', value: 'effleurage' })).json();
    const typo = (await post(`/api/sessions/${id}/markers`, { kind: 'region', value: 'nek' })).json();
    const undone = (await post(`/api/sessions/${id}/markers/${typo.id}/undo`)).json();
    await viewer.untilBeats(700);
    const recovery = (await post(`/api/sessions/${id}/phase`, { kind: 'recovery' })).json();
    await viewer.untilSessionEnded();

    expect(viewer.of('phase')).toEqual(
      [baseline, massage, recovery].map((p) => ({
        type: 'phase',
        sessionId: id,
        id: p.id,
        kind: p.kind,
        startedAtS: p.startedAtS,
      })),
    );
    expect(baseline.startedAtS).toBeGreaterThan(0);
    expect(massage.startedAtS).toBeGreaterThan(baseline.startedAtS);
    expect(viewer.of('marker')).toEqual([
      expect.objectContaining({ type: 'marker', id: marker.id, kind: 'technique', value: 'effleurage', undone: false }),
      expect.objectContaining({ type: 'marker', id: typo.id, value: 'nek', undone: false }),
      expect.objectContaining({ type: 'marker', id: typo.id, value: 'nek', undone: true }),
    ]);
    expect(undone.undone).toBe(true);

    const detail = (await rig.app.inject({ method: 'GET', url: `/api/sessions/${id}` })).json();
    expect(detail.phases.map((p: { kind: string; startedAtS: number }) => [p.kind, p.startedAtS])).toEqual([
      ['baseline', baseline.startedAtS],
      ['massage', massage.startedAtS],
      ['recovery', recovery.startedAtS],
    ]);
    // The session ended at its last beat, which closed the last phase.
    expect(detail.phases[2].endedAtS).toBe(detail.session.lastBeatTS);
    expect(detail.markers.map((m: { id: number; undone: boolean }) => [m.id, m.undone])).toEqual([
      [marker.id, false],
      [typo.id, true],
    ]);
    const phases = detail.summary.phases;
    expect(phases.map((p: { kind: string }) => p.kind)).toEqual(['baseline', 'massage', 'recovery']);
    expect(phases[0].rmssdMs).toEqual(expect.any(Number));
    expect(phases[0].reference.windows).toBeGreaterThanOrEqual(2);
    expect(phases[1].techniques).toEqual(['effleurage']);
    expect(phases[1].regions).toEqual([]); // the undone marker counts nowhere
    expect(phases[1].shift.verdict).not.toBe('unknown');
  });
});

describe('what a viewer sends', () => {
  it('answers ping with pong and anything else with an error, keeping the socket open', async () => {
    r = await rig({ source: simulatedSource({ seed: 2, durationS: 600, speed: 1 }) });
    r.daemon.start();
    const viewer = await r.connect();
    await viewer.nth(0);
    const sent: [string | Buffer, Message][] = [
      ['{"type":"ping"}', { type: 'pong' }],
      ['not json', { type: 'error', code: 'WS_BAD_MESSAGE' }],
      ['[1,2]', { type: 'error', code: 'WS_BAD_MESSAGE' }],
      ['{"kind":"ping"}', { type: 'error', code: 'WS_BAD_MESSAGE' }],
      [Buffer.from([1, 2, 3]), { type: 'error', code: 'WS_BAD_MESSAGE' }],
      ['{"type":"setPhase","kind":"massage"}', { type: 'error', code: 'WS_UNKNOWN_MESSAGE' }],
      ['{"type":"ping"}', { type: 'pong' }],
    ];
    const answers = () => viewer.messages.filter((m) => m.type === 'pong' || m.type === 'error');
    for (const [i, [data, want]] of sent.entries()) {
      viewer.send(data);
      await viewer.until(() => answers().length > i, `the answer to message ${i}`);
      expect(answers()[i]).toMatchObject(want);
    }
    expect(answers()[5].message).toContain('"setPhase"');
    expect(viewer.closed).toBe(false);
    expect(viewer.socket.readyState).toBe(viewer.socket.OPEN);
    expect((await r.app.inject({ method: 'GET', url: '/api/health' })).json().viewers).toBe(1);
  });

  it('refuses a socket opened by a page from another origin', async () => {
    r = await rig({ source: simulatedSource({ seed: 2, durationS: 600, speed: 1 }) });
    await expect(
      r.app.injectWS('/ws', { headers: { origin: 'https://evil.example', host: 'localhost:8080' } }),
    ).rejects.toThrow(/403/);
    const same = await r.app.injectWS('/ws', { headers: { origin: 'http://localhost:8080', host: 'localhost:8080' } });
    same.terminate();
  });

  it('answers a plain GET of /ws (no upgrade) with 426 in the API error shape', async () => {
    r = await rig({ source: simulatedSource({ seed: 2, durationS: 600, speed: 1 }) });
    const res = await r.app.inject({ method: 'GET', url: '/ws' });
    expect(res.statusCode).toBe(426);
    expect(res.json()).toMatchObject({ statusCode: 426, code: 'WS_UPGRADE_REQUIRED' });
  });

  it('answerViewer is a pure function of the frame', () => {
    expect(answerViewer('{"type":"ping","extra":1}')).toEqual({ type: 'pong' });
    expect(answerViewer('')).toMatchObject({ code: 'WS_BAD_MESSAGE' });
    expect(answerViewer('null')).toMatchObject({ code: 'WS_BAD_MESSAGE' });
    expect(answerViewer(`{"type":"${'x'.repeat(500)}"}`).type).toBe('error');
    expect((answerViewer(`{"type":"${'x'.repeat(500)}"}`) as { message: string }).message.length).toBeLessThan(200);
  });
});
