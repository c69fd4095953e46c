/**
 * `DELETE /api/sessions/:id` on a live daemon: a real SQLite file, requests through `app.inject`, and the rows
 * counted through a connection of their own.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulatedSource } from '../../src/sources/simulated.js';
import { rowCounts } from '../store/fixtures.js';
import { eventually, type Rig, rig } from './harness.js';

let r: Rig;
beforeEach(async () => {
  r = await rig({ source: simulatedSource({ seed: 7, durationS: 600, speed: 20 }), demo: true });
  r.daemon.start();
});
afterEach(async () => {
  await r.close();
});

const request = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  r.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });

describe('DELETE /api/sessions/:id', () => {
  it('deletes an ended session with every row of it; refuses the one being recorded', async () => {
    const first = (await request('POST', '/api/sessions', { clientLabel: 'first' })).json().id as number;
    await request('POST', `/api/sessions/${first}/phase`, { kind: 'baseline' });
    await request('POST', `/api/sessions/${first}/markers`, { kind: 'note', value: 'relaxed' });
    await eventually(() => (r.store.getSession(first)?.beatCount ?? 0) > 20, 'beats stored');
    const second = (await request('POST', '/api/sessions', { clientLabel: 'second' })).json().id as number;
    const dbPath = r.store.path;
    expect(rowCounts(dbPath, first)).toMatchObject({ sessions: 1, phases: 1, markers: 1 });

    const current = await request('DELETE', `/api/sessions/${second}`);
    expect(current.statusCode).toBe(409);
    expect(current.json()).toEqual({
      statusCode: 409,
      code: 'STORE_RECORDING',
      error: 'Conflict',
      message: 'the session is still recording',
    });

    const done = await request('DELETE', `/api/sessions/${first}`);
    expect(done.statusCode).toBe(204);
    expect(done.body).toBe('');
    expect(rowCounts(dbPath, first)).toEqual({
      sessions: 0,
      samples: 0,
      beats: 0,
      metrics: 0,
      gaps: 0,
      statuses: 0,
      phases: 0,
      markers: 0,
    });
    expect((await request('GET', `/api/sessions/${first}`)).statusCode).toBe(404);
    expect((await request('DELETE', `/api/sessions/${first}`)).json()).toMatchObject({
      statusCode: 404,
      code: 'SESSION_NOT_FOUND',
    });
    expect((await request('DELETE', '/api/sessions/abc')).statusCode).toBe(400);
    // The recording went on.
    expect((await request('GET', '/api/health')).json()).toMatchObject({ sessionId: second, recording: true });
  });
});
