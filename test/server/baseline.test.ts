/**
 * The live baseline: when a baseline phase ends, viewers get its reference — the very one the session report
 * computes for that phase — and from then on every metrics message carries the live RMSSD's shift against it. Also
 * the pages and the chart library the daemon serves.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type BaselineReference, shiftAgainst } from '../../src/session/summary.js';
import { type Message, type Rig, replaySource, rig } from './harness.js';

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('the live baseline reference', () => {
  it('is broadcast when the massage starts, equals the report’s, and gives every later metrics message its shift', async () => {
    r = await rig({
      source: await replaySource(400),
      autoSession: { clientLabel: 'baseline test', therapistNote: '' },
    });
    const rig_ = r;
    const post = (url: string, payload: object = {}) => rig_.app.inject({ method: 'POST', url, payload });
    rig_.daemon.start();
    const id = (rig_.daemon.currentSession as { id: number }).id;
    const viewer = await rig_.connect();

    await viewer.untilBeats(10);
    await post(`/api/sessions/${id}/phase`, { kind: 'baseline' });
    await viewer.untilBeats(300);
    expect(viewer.of('baseline')).toEqual([]);
    const massage = (await post(`/api/sessions/${id}/phase`, { kind: 'massage' })).json();
    await viewer.untilBeats(500);
    // Recovery follows the massage, not a baseline: no new reference.
    await post(`/api/sessions/${id}/phase`, { kind: 'recovery' });
    const late = await rig_.connect();
    await viewer.untilSessionEnded();

    const [baseline, ...more] = viewer.of('baseline');
    expect(more).toEqual([]);
    expect(baseline).toMatchObject({ type: 'baseline', sessionId: id, toS: massage.startedAtS });

    // The reference is the report's reference for the baseline phase.
    const detail = (await rig_.app.inject({ method: 'GET', url: `/api/sessions/${id}` })).json();
    const reportRef = detail.summary.phases[0].reference as BaselineReference;
    expect(detail.summary.phases[0].kind).toBe('baseline');
    expect(baseline.reference).toEqual(reportRef);
    expect(baseline.reference.bandLn).toBeGreaterThan(0);
    expect(baseline.reference.windows).toBeGreaterThanOrEqual(2);

    // Metrics before it carry no shift; every one after it carries shiftAgainst(reference, its RMSSD).
    const index = viewer.messages.indexOf(baseline);
    const before = viewer.messages.slice(0, index).filter((m) => m.type === 'metrics');
    const after = viewer.messages.slice(index).filter((m) => m.type === 'metrics');
    expect(before.length).toBeGreaterThan(100);
    expect(before.every((m) => m.shift === null)).toBe(true);
    expect(after.length).toBeGreaterThan(100);
    for (const m of after) {
      expect(m.shift).toEqual(shiftAgainst(reportRef, m.rmssdMs, m.quality.reason ?? undefined));
    }
    expect(after.some((m: Message) => m.shift.verdict !== 'unknown')).toBe(true);

    // A viewer that connects later gets it in its hello.
    const hello = late.of('hello').at(-1) as Message;
    expect(hello.session.baseline).toEqual({
      phaseId: baseline.phaseId,
      fromS: baseline.fromS,
      toS: baseline.toS,
      reference: baseline.reference,
    });
  });
});

describe('the pages and the chart library', () => {
  it('serves uPlot from the installed package, only the files the pages load, and the report pages', async () => {
    r = await rig({ source: await replaySource(1) });
    const get = (url: string) => (r as Rig).app.inject({ method: 'GET', url });
    const esm = await get('/vendor/uplot/uPlot.esm.js');
    expect(esm.statusCode).toBe(200);
    expect(esm.headers['content-type']).toMatch(/javascript/);
    expect(esm.body).toContain('export');
    expect((await get('/vendor/uplot/uPlot.min.css')).statusCode).toBe(200);
    expect((await get('/vendor/uplot/uPlot.cjs.js')).statusCode).toBe(404);
    expect((await get('/vendor/uplot/../../package.json')).statusCode).toBe(404);

    for (const url of ['/sessions', '/sessions/12']) {
      const page = await get(url);
      expect(page.statusCode).toBe(200);
      expect(page.headers['content-type']).toMatch(/text\/html/);
    }
    expect((await get('/sessions/12')).body).toContain('/report.js');
    expect((await get('/sessions/abc')).statusCode).toBe(400);
  });
});
