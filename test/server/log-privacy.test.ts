/**
 * Nothing physiological or personal in the logs at `info` (README, Privacy): a replay through the real daemon and
 * app, with sessions, phases, markers, exports, a refused request and a delete, all logged by pino at `info` into a
 * buffer. Then no log line may hold:
 *
 * - a physiological value: an RR interval of the recording, or any figure the viewer was sent (heart rate, RMSSD,
 *   lnRMSSD, SDNN, HF, LF, breathing rate), nor a field named after one;
 * - a personal word: a client label, a therapist note, a marker's text.
 *
 * Session ids, counts, the source's file name, the database path and request URLs are not physiological and may be
 * logged: they are what a log is for.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { simulatedSource } from '../../src/sources/simulated.js';
import { type Rig, recordingRr, replaySource, rig } from './harness.js';

const PERSONAL = {
  firstLabel: 'Xanthippe Oyelaran',
  firstNote: 'recovering from a whiplash injury',
  secondLabel: 'Bartholomew Ngata',
  secondNote: 'anxious, asthma, on beta blockers',
  technique: 'effleurage Zq7',
  region: 'lower back Zq7',
  note: 'client mentioned insomnia',
};

/** Field names that would carry physiology. */
const PHYSIOLOGICAL_KEY =
  /^(rr|rrs|rrms|rmssd|rmssdms|lnrmssd|hr|hrbpm|meanhrbpm|bpm|sdnn|sdnnms|hf|hfms2|lf|lfms2|lfhf|lfhfratio|respiration|respirationratebpm|beats|metrics|nn)$/i;

let r: Rig;
afterEach(async () => {
  await r.close();
});

/** Every [key, value] leaf of a log line. */
function* leaves(value: unknown, key = ''): Generator<[string, unknown]> {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) yield* leaves(v, k);
  } else {
    yield [key, value];
  }
}

describe('the log at info', () => {
  it('holds no RR, heart rate, HRV figure, client label, note or marker text', async () => {
    const fileRr = await recordingRr();
    r = await rig({
      source: await replaySource(400),
      logLevel: 'info',
      autoSession: { clientLabel: PERSONAL.firstLabel, therapistNote: PERSONAL.firstNote },
    });
    const viewer = await r.connect();
    r.daemon.start();
    const first = r.daemon.currentSessionId as number;
    await viewer.untilBeats(100);

    const call = (method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
      r.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
    const created = await call('POST', '/api/sessions', {
      clientLabel: PERSONAL.secondLabel,
      therapistNote: PERSONAL.secondNote,
    });
    expect(created.statusCode, created.body).toBe(201);
    const second = created.json().id as number;
    expect((await call('POST', `/api/sessions/${second}/phase`, { kind: 'baseline' })).statusCode).toBe(201);
    await viewer.untilBeats(400);
    for (const [kind, value] of [
      ['technique', PERSONAL.technique],
      ['region', PERSONAL.region],
      ['note', PERSONAL.note],
    ]) {
      const m = await call('POST', `/api/sessions/${second}/markers`, { kind, value });
      expect(m.statusCode, m.body).toBe(201);
    }
    expect((await call('POST', `/api/sessions/${second}/markers/1/undo`, {})).statusCode).toBe(200);
    expect((await call('POST', `/api/sessions/${second}/phase`, { kind: 'massage' })).statusCode).toBe(201);
    // Refused requests are logged with their reason: the reason must not quote what was sent.
    const tooLong = await call('POST', '/api/sessions', { clientLabel: PERSONAL.secondLabel.repeat(20) });
    expect(tooLong.statusCode).toBe(400);
    expect((await call('DELETE', `/api/sessions/${second}`)).statusCode).toBe(409);
    expect((await call('DELETE', `/api/sessions/${first}`)).statusCode).toBe(204);
    for (const url of ['/api/sessions', `/api/sessions/${second}`, `/api/sessions/${second}/export?format=json`]) {
      expect((await call('GET', url)).statusCode).toBe(200);
    }
    await viewer.untilSessionEnded();

    const metrics = viewer.of('metrics');
    expect(metrics.length).toBeGreaterThan(100);
    const physiological = new Set<number>(fileRr);
    for (const m of metrics) {
      for (const k of ['meanHrBpm', 'rmssdMs', 'lnRmssd', 'sdnnMs', 'hfMs2', 'lfMs2', 'respirationRateBpm']) {
        if (typeof m[k] === 'number') physiological.add(m[k]);
      }
    }

    // The log did run at info: sessions, requests and the store are in it.
    const messages = new Set(r.logs.map((l) => l.msg));
    for (const msg of ['store opened', 'session started', 'session ended', 'incoming request', 'request refused']) {
      expect(messages, msg).toContain(msg);
    }
    const leaks: string[] = [];
    for (const line of r.logs) {
      const text = JSON.stringify(line);
      for (const word of Object.values(PERSONAL)) if (text.includes(word)) leaks.push(`"${word}" in ${text}`);
      for (const [key, value] of leaves(line)) {
        if (PHYSIOLOGICAL_KEY.test(key)) leaks.push(`field ${key} in ${text}`);
        if (typeof value === 'number' && physiological.has(value)) leaks.push(`${key}: ${value} in ${text}`);
      }
    }
    expect(leaks).toEqual([]);
  });

  it("holds no client name, note or reading value through the clients' routes", async () => {
    r = await rig({ source: simulatedSource({ seed: 3, durationS: 600, speed: 1 }), logLevel: 'info', demo: true });
    r.daemon.start();
    const CLIENT = {
      name: 'Perpetua Okonkwo-Lindqvist',
      note: 'chronic insomnia since the divorce',
      other: 'Gwendolyn Farquharson',
    };
    const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
      r.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });
    const created = await call('POST', '/api/clients', { name: CLIENT.name, note: CLIENT.note });
    expect(created.statusCode).toBe(201);
    const id = created.json().id as number;
    const other = (await call('POST', '/api/sessions', { clientName: CLIENT.other })).json().clientId as number;
    const text = readFileSync('test/fixtures/readings/welltory-hrv-covid19/hrv_measurements.csv', 'utf8');
    const upload = await call('POST', `/api/clients/${id}/readings`, {
      fileName: `${CLIENT.name}.csv`,
      text,
      user: '01bad5a519',
    });
    expect(upload.statusCode).toBe(201);
    // Refusals are logged with their reason: none may quote the name.
    expect((await call('POST', '/api/clients', { name: CLIENT.name })).statusCode).toBe(409);
    expect((await call('PATCH', `/api/clients/${id}`, { name: CLIENT.other })).statusCode).toBe(409);
    expect(
      (await call('POST', `/api/clients/${id}/readings`, { fileName: `${CLIENT.name}.txt`, text: '800\n' })).statusCode,
    ).toBe(422);
    expect((await call('DELETE', `/api/clients/${other}`)).statusCode).toBe(409);
    const record = await call('GET', `/api/clients/${id}`);
    expect(record.statusCode).toBe(200);
    expect((await call('GET', `/api/clients/${id}/export`)).statusCode).toBe(200);
    expect((await call('PATCH', `/api/clients/${id}`, { name: `${CLIENT.name} K.` })).statusCode).toBe(200);
    expect((await call('POST', `/api/clients/${id}/merge`, { into: other })).statusCode).toBe(200);
    expect((await call('DELETE', `/api/clients/${id}`)).statusCode).toBe(200);

    const values = new Set<number>();
    for (const reading of record.json().readings as Record<string, number | null>[]) {
      for (const k of ['rmssdMs', 'lnRmssd', 'meanHrBpm']) if (typeof reading[k] === 'number') values.add(reading[k]);
    }
    expect(values.size).toBeGreaterThan(100);
    const messages = new Set(r.logs.map((l) => l.msg));
    expect(messages).toContain('request refused');
    const leaks: string[] = [];
    for (const line of r.logs) {
      const text = JSON.stringify(line);
      for (const word of [CLIENT.name, CLIENT.note, CLIENT.other, 'Perpetua', 'Gwendolyn']) {
        if (text.includes(word)) leaks.push(`"${word}" in ${text}`);
      }
      for (const [key, value] of leaves(line)) {
        if (PHYSIOLOGICAL_KEY.test(key)) leaks.push(`field ${key} in ${text}`);
        if (typeof value === 'number' && values.has(value)) leaks.push(`${key}: ${value} in ${text}`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
