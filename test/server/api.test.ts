/**
 * The REST API on a live daemon: a simulated strap paced in real time (so the source is still running when the
 * requests come), a real SQLite file, requests through `app.inject`.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Daemon } from '../../src/daemon/daemon.js';
import { buildApp } from '../../src/server/app.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { type Rig, rig, WEB_ROOT } from './harness.js';

const version = (await import('../../package.json', { with: { type: 'json' } })).default.version;

let r: Rig;
beforeEach(async () => {
  r = await rig({ source: simulatedSource({ seed: 7, durationS: 600, speed: 1 }), demo: true });
  r.daemon.start();
});
afterEach(async () => {
  await r.close();
});

const post = (url: string, payload: object = {}) => r.app.inject({ method: 'POST', url, payload });
const get = (url: string) => r.app.inject({ method: 'GET', url });

async function startSession(body: object = {}): Promise<number> {
  const res = await post('/api/sessions', body);
  expect(res.statusCode).toBe(201);
  return res.json().id as number;
}

function expectError(res: { statusCode: number; json(): unknown }, statusCode: number, code: string): string {
  const body = res.json() as Record<string, unknown>;
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
  expect(body).toMatchObject({ statusCode, code });
  expect(res.statusCode).toBe(statusCode);
  return body.message as string;
}

describe('GET /api/health', () => {
  it('reports protocol, version, source, status, session, recording and viewers', async () => {
    const idle = (await get('/api/health')).json();
    expect(idle).toMatchObject({
      ok: true,
      protocol: 2,
      version,
      source: { kind: 'simulated', label: 'simulated strap (seed 7)', demo: true },
      sessionId: null,
      recording: true,
      viewers: 0,
    });

    const id = await startSession();
    await r.connect();
    const res = await get('/api/health');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ sessionId: id, recording: true, viewers: 1 });
    // The simulated strap says it is live at once.
    expect(res.json().status).toMatchObject({ state: 'live', device: { name: 'Simulated strap' } });
  });
});

describe('session lifecycle', () => {
  it('starts, phases, marks, undoes, ends; a new session ends the current one', async () => {
    const res = await post('/api/sessions', { clientLabel: 'A. Client', therapistNote: 'neck, shoulders' });
    expect(res.statusCode).toBe(201);
    const first = res.json();
    expect(first).toMatchObject({ status: 'recording', clientLabel: 'A. Client', therapistNote: 'neck, shoulders' });
    expect(first).toMatchObject({ sourceKind: 'simulated', endedAt: null });
    expect(res.headers.location).toBe(`/api/sessions/${first.id}`);

    const phase = await post(`/api/sessions/${first.id}/phase`, { kind: 'baseline' });
    expect(phase.statusCode).toBe(201);
    expect(phase.json()).toMatchObject({ sessionId: first.id, kind: 'baseline', endedAtS: null });

    const marker = await post(`/api/sessions/${first.id}/markers`, { kind: 'technique', value: 'effleurage' });
    expect(marker.statusCode).toBe(201);
    expect(marker.json()).toMatchObject({ sessionId: first.id, kind: 'technique', value: 'effleurage', undone: false });
    const markerId = marker.json().id as number;

    const undo = await post(`/api/sessions/${first.id}/markers/${markerId}/undo`);
    expect(undo.statusCode).toBe(200);
    expect(undo.json()).toMatchObject({ id: markerId, undone: true });

    const detail = (await get(`/api/sessions/${first.id}`)).json();
    expect(detail.session).toMatchObject({ id: first.id, status: 'recording' });
    expect(detail.phases).toEqual([expect.objectContaining({ kind: 'baseline' })]);
    expect(detail.markers).toEqual([expect.objectContaining({ id: markerId, undone: true })]);
    expect(detail.gaps).toEqual([]);
    expect(detail.summary).toMatchObject({ phases: [expect.objectContaining({ kind: 'baseline', open: true })] });

    // A new session ends the current one.
    const second = await startSession({});
    expect((await get(`/api/sessions/${first.id}`)).json().session.status).toBe('ended');
    expect((await get('/api/health')).json().sessionId).toBe(second);
    const notCurrent = await post(`/api/sessions/${first.id}/phase`, { kind: 'massage' });
    expect(expectError(notCurrent, 409, 'DAEMON_NOT_CURRENT')).toContain(`session ${first.id}`);

    const end = await post(`/api/sessions/${second}/end`);
    expect(end.statusCode).toBe(200);
    expect(end.json()).toMatchObject({ id: second, status: 'ended' });
    expect(end.json().endedAt).toEqual(expect.any(String));
    expect((await get('/api/health')).json().sessionId).toBeNull();
    // Ending twice changes nothing.
    const again = await post(`/api/sessions/${second}/end`);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual(end.json());

    const list = (await get('/api/sessions')).json();
    expect(list.sessions.map((s: { id: number }) => s.id)).toEqual([second, first.id]);
    expect(list.sessions[0]).toMatchObject({ status: 'ended', beatCount: expect.any(Number) });
  });

  it('answers 404 SESSION_NOT_FOUND / MARKER_NOT_FOUND for what does not exist', async () => {
    const id = await startSession();
    for (const res of [
      await get('/api/sessions/999'),
      await get('/api/sessions/999/export?format=csv'),
      await post('/api/sessions/999/end'),
      await post('/api/sessions/999/phase', { kind: 'baseline' }),
      await post('/api/sessions/999/markers', { kind: 'note', value: 'x' }),
      await post('/api/sessions/999/markers/1/undo'),
    ]) {
      expect(expectError(res, 404, 'SESSION_NOT_FOUND')).toBe('no session 999');
    }
    expect(expectError(await post(`/api/sessions/${id}/markers/4242/undo`), 404, 'MARKER_NOT_FOUND')).toBe(
      `session ${id} has no marker 4242`,
    );
    expectError(await get('/api/nothing-here'), 404, 'ROUTE_NOT_FOUND');
  });
});

describe('validation', () => {
  const cases: [string, () => ReturnType<typeof post>, string][] = [
    ['a label over 80 characters', () => post('/api/sessions', { clientLabel: 'x'.repeat(81) }), 'body/clientLabel'],
    [
      'a note over 2000 characters',
      () => post('/api/sessions', { therapistNote: 'x'.repeat(2001) }),
      'body/therapistNote',
    ],
    ['a number for a label', () => post('/api/sessions', { clientLabel: 5 }), 'body/clientLabel must be a string'],
    ['an unknown field', () => post('/api/sessions', { colour: 'red' }), 'body/colour is not allowed'],
    ['no body', () => r.app.inject({ method: 'POST', url: '/api/sessions' }), 'body must be a JSON object'],
    ['a JSON array', () => post('/api/sessions', []), 'body must be a JSON object'],
    ['an unknown phase', () => post('/api/sessions/1/phase', { kind: 'warmup' }), 'body/kind must be one of'],
    ['a phase without kind', () => post('/api/sessions/1/phase', {}), 'body/kind is required'],
    ['an empty marker', () => post('/api/sessions/1/markers', { kind: 'note', value: '' }), 'body/value'],
    ['a long marker', () => post('/api/sessions/1/markers', { kind: 'note', value: 'x'.repeat(81) }), 'body/value'],
    ['an unknown marker kind', () => post('/api/sessions/1/markers', { kind: 'mood', value: 'x' }), 'body/kind'],
    ['a body on end', () => post('/api/sessions/1/end', { now: true }), 'body/now is not allowed'],
    ['an id that is not a number', () => get('/api/sessions/abc'), 'params/id must be a whole number'],
    ['a negative id', () => get('/api/sessions/-1'), 'params/id must be a whole number'],
    ['a marker id that is not a number', () => post('/api/sessions/1/markers/x/undo'), 'params/markerId'],
    ['an unknown export format', () => get('/api/sessions/1/export?format=xml'), 'querystring/format must be one of'],
    ['an unknown query parameter', () => get('/api/sessions/1/export?zip=1'), 'querystring/zip is not allowed'],
  ];
  it.each(cases)('refuses %s with 400 FST_ERR_VALIDATION naming the field', async (_, send, words) => {
    await startSession();
    expect(expectError(await send(), 400, 'FST_ERR_VALIDATION')).toContain(words);
  });

  it('refuses bad JSON and other content types with their fastify code', async () => {
    const bad = await r.app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { 'content-type': 'application/json' },
      payload: '{"clientLabel":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().code).toMatch(/^FST_ERR_CTP_/);
    const form = await r.app.inject({
      method: 'POST',
      url: '/api/sessions/1/end',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'a=1',
    });
    expectError(form, 415, 'FST_ERR_CTP_INVALID_MEDIA_TYPE');
    // What a cross-site form can send: text/plain is parsed as a string and fails the object schema.
    const plain = await r.app.inject({
      method: 'POST',
      url: '/api/sessions/1/end',
      headers: { 'content-type': 'text/plain' },
      payload: '{}',
    });
    expectError(plain, 400, 'FST_ERR_VALIDATION');
    const big = await post('/api/sessions', { therapistNote: 'x'.repeat(20_000) });
    expectError(big, 413, 'FST_ERR_CTP_BODY_TOO_LARGE');
  });
});

describe('errors', () => {
  it('answers 5xx with fixed words and a code, and logs the real error', async () => {
    // A daemon that was never started: startSession throws a plain Error (a programmer error, not the client's).
    const unstarted = new Daemon({
      store: r.store,
      source: simulatedSource({ seed: 1, speed: 1 }),
      log: { info() {}, warn() {}, error() {} },
      demo: false,
    });
    const app = await buildApp({ daemon: unstarted, store: r.store, log: r.app.log, webRoot: WEB_ROOT });
    try {
      const res = await app.inject({ method: 'POST', url: '/api/sessions', payload: {} });
      expect(res.json()).toEqual({
        statusCode: 500,
        code: 'INTERNAL_ERROR',
        error: 'Internal Server Error',
        message: 'internal error',
      });
      expect(res.body).not.toContain('not started');
      const logged = r.logs.find((l) => l.msg === 'request failed');
      expect(logged).toMatchObject({
        level: 50,
        code: 'INTERNAL_ERROR',
        err: { message: 'the daemon is not started' },
      });
    } finally {
      await app.close();
    }
  });

  it('answers 503 with the store code, without the database path, when the store is closed', async () => {
    r.store.close();
    const res = await get('/api/sessions');
    const message = expectError(res, 503, 'STORE_CLOSED');
    expect(message).toBe('the session store is closed');
    expect(res.body).not.toContain(r.dir);
  });

  it('answers 409 DAEMON_SOURCE_ENDED once the source has ended', async () => {
    const ended = await rig({ source: simulatedSource({ seed: 3, durationS: 30, speed: 'max' }) });
    try {
      ended.daemon.start();
      await new Promise<void>((resolve) => {
        const check = () => (ended.daemon.sourceStatus?.state === 'ended' ? resolve() : setTimeout(check, 5));
        check();
      });
      expectError(
        await ended.app.inject({ method: 'POST', url: '/api/sessions', payload: {} }),
        409,
        'DAEMON_SOURCE_ENDED',
      );
    } finally {
      await ended.close();
    }
  });
});

describe('static files', () => {
  it('serves the placeholder page and its script at /', async () => {
    const page = await get('/');
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('<script type="module" src="app.js">');
    const script = await get('/app.js');
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toMatch(/javascript/);
    expect(script.body).toContain('/ws');
  });
});
