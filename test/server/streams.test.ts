/**
 * Two straps at once — the client's and the therapist's — through the real daemon, store and server: each stream is
 * its own stored session (the therapist's a companion of the client's), each viewer follows one stream, a phase or a
 * marker lands on both, and a viewer can change a stream's source among the ones the daemon offers.
 */
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { SourceCatalog } from '../../src/daemon/source-catalog.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { rrSource } from '../../src/sources/replay.js';
import { knownBeats } from '../helpers/viewer-knowledge.js';
import { eventually, type Message, type Rig, recordingRr, replaySource, rig } from './harness.js';

const RECORDINGS_DIR = fileURLToPath(new URL('../../recordings/', import.meta.url));
const THERAPIST_FILE = 'recordings/pyhrv_nni_short_5min.txt';

/** The therapist's strap: another real recording, so each stream's beats can be told apart. */
async function therapistSource(speed: number) {
  const rec = await readRrFile(THERAPIST_FILE);
  return { rr: Array.from(rec.rrMs), source: rrSource(rec.rrMs, rec.gapBefore, 'pyhrv_nni_short_5min.txt', speed) };
}

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

describe('two straps in one daemon', () => {
  it('records each strap as its own stream of the session; each viewer sees its own strap', async () => {
    const clientRr = await recordingRr();
    const therapist = await therapistSource(1000);
    r = await rig({
      source: await replaySource(1000),
      streams: [{ id: 'therapist', source: therapist.source, demo: true }],
      autoSession: { clientLabel: 'two straps', therapistNote: '' },
    });
    const clientViewer = await r.connect('/ws');
    const therapistViewer = await r.connect('/ws?stream=therapist');
    r.daemon.start();

    const clientHello = (await clientViewer.nth(0)) as Message;
    expect(clientHello).toMatchObject({ type: 'hello', stream: 'client' });
    expect(clientHello.streams.map((s: Message) => s.id)).toEqual(['client', 'therapist']);
    expect((await therapistViewer.nth(0)) as Message).toMatchObject({
      type: 'hello',
      stream: 'therapist',
      source: { kind: 'replay', label: 'pyhrv_nni_short_5min.txt', demo: true },
    });

    const sessionId = r.daemon.currentSessionId as number;
    const [companion] = r.store.getCompanions(sessionId);
    expect(companion).toMatchObject({ stream: 'therapist', groupId: sessionId, clientLabel: 'two straps' });

    // The therapist's (shorter) recording ends first; the client's session goes on without it.
    await therapistViewer.untilSessionEnded();
    expect(r.daemon.currentSessionId).toBe(sessionId);
    await clientViewer.untilSessionEnded();

    // Each viewer saw exactly its own strap's beats, and each stream's session stores exactly its strap's RR.
    const seen = (v: typeof clientViewer) => knownBeats(v.messages).rrMs;
    expect(seen(clientViewer)).toEqual(clientRr);
    expect(seen(therapistViewer)).toEqual(therapist.rr);
    expect(r.store.getBeats(sessionId).map((b) => b.rrMs)).toEqual(clientRr);
    expect(r.store.getBeats(companion.id).map((b) => b.rrMs)).toEqual(therapist.rr);
    expect(r.store.getSession(companion.id)?.status).toBe('ended');
  });

  it('sets a phase and a marker on every stream at its own latest beat; undo from either undoes both', async () => {
    const therapist = await therapistSource(20);
    r = await rig({
      source: await replaySource(20),
      streams: [{ id: 'therapist', source: therapist.source, demo: true }],
      autoSession: { clientLabel: 'phases', therapistNote: '' },
    });
    r.daemon.start();
    const therapistViewer = await r.connect('/ws?stream=therapist');
    await therapistViewer.untilBeats(20);
    const sessionId = r.daemon.currentSessionId as number;
    const companionId = r.store.getCompanions(sessionId)[0].id;
    const post = (url: string, payload: object = {}) => (r as Rig).app.inject({ method: 'POST', url, payload });

    expect((await post(`/api/sessions/${sessionId}/phase`, { kind: 'baseline' })).statusCode).toBe(201);
    const marker = await post(`/api/sessions/${companionId}/markers`, { kind: 'technique', value: 'effleurage' });
    expect(marker.statusCode).toBe(201);
    expect(marker.json()).toMatchObject({ sessionId: companionId, value: 'effleurage' });

    const clientMarkers = r.store.getMarkers(sessionId);
    const therapistMarkers = r.store.getMarkers(companionId);
    expect(clientMarkers.map((m) => m.value)).toEqual(['effleurage']);
    expect(therapistMarkers.map((m) => m.value)).toEqual(['effleurage']);
    expect(r.store.getPhases(companionId).map((p) => p.kind)).toEqual(['baseline']);
    // Each at its own stream's latest beat: both within the beat time each strap had reached.
    expect(therapistMarkers[0].atS).toBeGreaterThan(0);
    expect(therapistMarkers[0].atS).toBeLessThanOrEqual(r.store.getSession(companionId)?.lastBeatTS as number);
    await therapistViewer.until((m) => m.some((x) => x.type === 'marker' && x.sessionId === companionId), 'marker');

    const undo = await post(`/api/sessions/${sessionId}/markers/${clientMarkers[0].id}/undo`);
    expect(undo.statusCode).toBe(200);
    expect(r.store.getMarkers(sessionId)[0].undone).toBe(true);
    expect(r.store.getMarkers(companionId)[0].undone).toBe(true);
    await therapistViewer.until((m) => m.some((x) => x.type === 'marker' && x.undone === true), 'the undo');

    // Ending through the companion's id ends the session on both streams.
    expect((await post(`/api/sessions/${companionId}/end`)).statusCode).toBe(200);
    expect(r.store.getSession(sessionId)?.status).toBe('ended');
    expect(r.store.getSession(companionId)?.status).toBe('ended');
  });

  it('refuses a viewer for a stream that does not exist', async () => {
    r = await rig({ source: await replaySource(50) });
    const res = await r.app.inject({ method: 'GET', url: '/ws?stream=nobody' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'DAEMON_UNKNOWN_STREAM' });
  });
});

describe('choosing a source from the view', () => {
  const catalog = () => new SourceCatalog({ recordingsDir: RECORDINGS_DIR, speed: 50 });

  it('lists what can be chosen: recordings by name, simulated, and no Bluetooth on a demo daemon', async () => {
    r = await rig({ source: await replaySource(50), catalog: catalog() });
    const res = await r.app.inject({ method: 'GET', url: '/api/sources' });
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.bluetooth).toBe(false);
    expect(body.simulated).toBe(true);
    expect(body.recordings).toContain('bartels_rest_rri.txt');
    expect(body.recordings).not.toContain('SOURCE.txt');
    const scan = await r.app.inject({ method: 'POST', url: '/api/straps/scan', payload: {} });
    expect(scan.statusCode).toBe(409);
    expect(scan.json()).toMatchObject({ code: 'SOURCE_NO_BLUETOOTH' });
  });

  it('switches the client stream to a simulated strap: the session recording ends, the view says DEMO', async () => {
    r = await rig({
      source: await replaySource(50),
      catalog: catalog(),
      autoSession: { clientLabel: 'before', therapistNote: '' },
    });
    r.daemon.start();
    const viewer = await r.connect();
    await viewer.untilBeats(5);
    const before = r.daemon.currentSessionId as number;

    const res = await r.app.inject({
      method: 'PUT',
      url: '/api/streams/client/source',
      payload: { kind: 'simulated', seed: 3 },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: 'client', kind: 'simulated', demo: true, sessionId: null });
    expect(r.store.getSession(before)?.status).toBe('ended');
    await viewer.until(
      (m) => m.some((x) => x.type === 'hello' && x.source.kind === 'simulated' && x.source.demo === true),
      'a hello with the new source',
    );

    // A new session records the new source.
    const started = await r.app.inject({ method: 'POST', url: '/api/sessions', payload: { clientLabel: 'after' } });
    expect(started.statusCode).toBe(201);
    expect(started.json()).toMatchObject({ sourceKind: 'simulated', clientLabel: 'after' });
    await eventually(() => (r as Rig).store.getBeats(started.json().id).length > 5, 'beats of the simulated strap');
  });

  it('adds a stream for a second strap, then removes it and closes its viewers', async () => {
    r = await rig({ source: await replaySource(50), catalog: catalog() });
    r.daemon.start();
    const add = await r.app.inject({
      method: 'PUT',
      url: '/api/streams/therapist/source',
      payload: { kind: 'replay', recording: 'pyhrv_nni_short_5min.txt' },
    });
    expect(add.statusCode).toBe(200);
    expect(
      (await r.app.inject({ method: 'GET', url: '/api/streams' })).json().streams.map((s: Message) => s.id),
    ).toEqual(['client', 'therapist']);
    const viewer = await r.connect('/ws?stream=therapist');
    expect(await viewer.nth(0)).toMatchObject({ type: 'hello', stream: 'therapist' });

    expect((await r.app.inject({ method: 'DELETE', url: '/api/streams/client' })).json()).toMatchObject({
      statusCode: 400,
      code: 'DAEMON_BAD_STREAM',
    });
    expect((await r.app.inject({ method: 'DELETE', url: '/api/streams/therapist' })).statusCode).toBe(204);
    await viewer.until(() => viewer.closed, 'the viewer to be closed');
    expect(r.daemon.streams.map((s) => s.id)).toEqual(['client']);
  });

  it('refuses what it cannot do, with the reason: unknown recordings, paths, Bluetooth on a demo daemon', async () => {
    r = await rig({ source: await replaySource(50), catalog: catalog() });
    r.daemon.start();
    const put = (payload: object, stream = 'client') =>
      (r as Rig).app.inject({ method: 'PUT', url: `/api/streams/${stream}/source`, payload });
    expect((await put({ kind: 'replay', recording: 'nothing.txt' })).json()).toMatchObject({
      statusCode: 404,
      code: 'SOURCE_UNKNOWN_RECORDING',
    });
    expect((await put({ kind: 'replay', recording: '../package.json' })).json()).toMatchObject({
      statusCode: 404,
      code: 'SOURCE_UNKNOWN_RECORDING',
    });
    expect((await put({ kind: 'ble' })).json()).toMatchObject({ statusCode: 409, code: 'SOURCE_NO_BLUETOOTH' });
    expect((await put({ kind: 'simulated', seed: 'x' })).statusCode).toBe(400);
    expect((await put({ kind: 'simulated' }, 'Bad_Id')).statusCode).toBe(400);
    // Nothing changed.
    expect(r.daemon.streams).toMatchObject([{ id: 'client', kind: 'replay' }]);
  });

  it('without a catalog the sources are fixed', async () => {
    r = await rig({ source: await replaySource(50) });
    const res = await r.app.inject({
      method: 'PUT',
      url: '/api/streams/client/source',
      payload: { kind: 'simulated' },
    });
    expect(res.json()).toMatchObject({ statusCode: 409, code: 'SOURCE_FIXED' });
  });
});

describe('ending a session by hand', () => {
  it('gives the last beats their metrics: every stored beat has its metrics row', async () => {
    r = await rig({ source: await replaySource(50), autoSession: { clientLabel: 'end', therapistNote: '' } });
    r.daemon.start();
    const viewer = await r.connect();
    await viewer.untilBeats(60);
    const id = r.daemon.currentSessionId as number;
    const end = await r.app.inject({ method: 'POST', url: `/api/sessions/${id}/end`, payload: {} });
    expect(end.statusCode).toBe(200);
    const beats = r.store.getBeats(id);
    const metrics = r.store.getMetrics(id);
    expect(beats.length).toBeGreaterThanOrEqual(60);
    expect(metrics.map((m) => m.seq)).toEqual(beats.map((b) => b.seq));
    // and every beat is classified, as the artefact layer does at the end of a file
    expect(beats.filter((b) => b.kind === null)).toEqual([]);
  });
});
