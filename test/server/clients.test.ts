/**
 * Clients over REST on a live daemon (simulated strap in real time, a real SQLite file, `app.inject`): sessions
 * started for a client, readings uploaded (Welltory's research export, an RR file), the record with its days and
 * sessions, rename, merge, export, delete, and a session's main technique.
 */
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { simulatedSource } from '../../src/sources/simulated.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { type Rig, rig } from './harness.js';

const WELLTORY = readFileSync('test/fixtures/readings/welltory-hrv-covid19/hrv_measurements.csv', 'utf8');
const USER = 'fcf3ea75b0';

let r: Rig;
beforeEach(async () => {
  r = await rig({ source: simulatedSource({ seed: 7, durationS: 600, speed: 1 }), demo: true });
  r.daemon.start();
});
afterEach(async () => {
  await r.close();
});

// biome-ignore lint/suspicious/noExplicitAny: JSON answers, read field by field
type Json = Record<string, any>;
const send = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, payload?: object) =>
  r.app.inject({ method, url, ...(payload === undefined ? {} : { payload }) });

function expectError(res: { statusCode: number; json(): unknown }, statusCode: number, code: string): string {
  const body = res.json() as Json;
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'message', 'statusCode']);
  expect(body).toMatchObject({ statusCode, code });
  return body.message as string;
}

const count = (table: string) =>
  r.store.withConnection('count', (db) => (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n);

async function newClient(name: string): Promise<number> {
  const res = await send('POST', '/api/clients', { name, note: 'a note' });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

/** The rows of one person as Welltory printed them, split independently of the reader under test. */
function welltoryRows(user: string): { at: string; timeOfDay: string; rmssd: string }[] {
  return WELLTORY.split('\n')
    .slice(1)
    .filter((l) => l.startsWith(`"${user}"`))
    .map((l) => {
      // commas outside quotes separate fields; header: user_code, rr_code, measurement_datetime, time_of_day, bpm,
      // meanrr, mxdmn, sdnn, rmssd, …
      const f = l.split(/,(?=(?:[^"]*"[^"]*")*[^"]*$)/).map((x) => x.replace(/^"|"$/g, ''));
      return { at: (f[2] as string).replace(' ', 'T'), timeOfDay: f[3] as string, rmssd: f[8] as string };
    });
}

describe('starting a session for a client', () => {
  it('by name (created), by id, and by the old clientLabel', async () => {
    const byName = await send('POST', '/api/sessions', { clientName: 'Ada Client' });
    expect(byName.statusCode).toBe(201);
    const clients = (await send('GET', '/api/clients')).json().clients as Json[];
    expect(clients.map((c) => c.name)).toEqual(['Ada Client']);
    const adaId = clients[0]?.id;
    expect(byName.json()).toMatchObject({ clientId: adaId, clientLabel: 'Ada Client' });

    const byId = await send('POST', '/api/sessions', { clientId: adaId });
    expect(byId.json()).toMatchObject({ clientId: adaId, clientLabel: 'Ada Client' });
    const old = await send('POST', '/api/sessions', { clientLabel: 'Ada Client', therapistNote: 'n' });
    expect(old.json()).toMatchObject({ clientId: adaId, clientLabel: 'Ada Client', therapistNote: 'n' });
    const none = await send('POST', '/api/sessions', {});
    expect(none.json()).toMatchObject({ clientId: null, clientLabel: '' });

    const listed = (await send('GET', '/api/clients')).json().clients as Json[];
    expect(listed).toHaveLength(1);
    expect(listed[0]).toMatchObject({ name: 'Ada Client', sessions: 3, readings: 0 });
    expect(listed[0]?.lastVisit).toBe(old.json().startedAt);

    expectError(await send('POST', '/api/sessions', { clientId: 999 }), 404, 'CLIENT_NOT_FOUND');
    expectError(await send('POST', '/api/sessions', { clientName: '   ' }), 400, 'CLIENT_NAME_BLANK');
  });
});

describe('readings', () => {
  it("uploads one person's rows of the Welltory file: one reading per row; twice adds nothing", async () => {
    const id = await newClient('W');
    const rows = welltoryRows(USER);
    expect(rows).toHaveLength(157);
    const first = await send('POST', `/api/clients/${id}/readings`, {
      fileName: 'hrv_measurements.csv',
      text: WELLTORY,
      user: USER,
    });
    expect(first.statusCode, first.body).toBe(201);
    expect(first.json()).toMatchObject({ readings: 157, added: 157, duplicates: 0 });
    const again = await send('POST', `/api/clients/${id}/readings`, {
      fileName: 'hrv_measurements.csv',
      text: WELLTORY,
      user: USER,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ readings: 157, added: 0, duplicates: 157 });
    expect(count('readings')).toBe(157);

    const record = (await send('GET', `/api/clients/${id}?today=2020-08-01`)).json() as Json;
    expect(record.client).toMatchObject({ id, name: 'W' });
    expect(record.readings).toHaveLength(157);
    expect(record.readings.map((x: Json) => x.at)).toEqual(rows.map((x) => x.at).sort());
    for (const reading of record.readings as Json[]) {
      expect(Object.keys(reading)).toEqual(expect.arrayContaining(['at', 'kind', 'beats', 'rmssdMs', 'lnRmssd']));
      if (reading.lnRmssd === null) expect(reading.reason).toMatch(/too /);
      else expect(reading.reason).toBeUndefined();
    }
    // The daily value: the first morning reading of each day, ln of Welltory's own RMSSD where nothing was corrected.
    const days = record.days as Json[];
    expect(days.at(-1)?.date).toBe('2020-08-01');
    let checked = 0;
    for (const day of days) {
      if (day.lnRmssd === null) continue;
      const reading = (record.readings as Json[]).find(
        (x) => x.kind === 'morning' && x.at.startsWith(day.date) && x.lnRmssd !== null,
      );
      expect(reading?.lnRmssd).toBe(day.lnRmssd);
      if (reading?.correctedPct !== 0) continue;
      const row = rows.find((x) => x.at === reading.at);
      expect(Math.abs(day.lnRmssd - Math.log(Number(row?.rmssd)))).toBeLessThan(1e-4);
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
    for (const key of ['date', 'lnRmssd', 'baseline7', 'cv7Pct', 'normalLow', 'normalHigh']) {
      expect(days[days.length - 1]).toHaveProperty(key);
    }
  });

  it('refuses a multi-person file without a user, and an RR file without a time, storing nothing', async () => {
    const id = await newClient('W');
    const multi = await send('POST', `/api/clients/${id}/readings`, { fileName: 'h.csv', text: WELLTORY });
    expect(expectError(multi, 422, 'IMPORT_USER_REQUIRED')).toContain(`${USER} (157)`);
    const rr = Array.from({ length: 90 }, (_, i) => String(800 + (i % 7) * 9)).join('\n');
    const noTime = await send('POST', `/api/clients/${id}/readings`, { fileName: 'r.txt', text: rr });
    expectError(noTime, 422, 'IMPORT_NO_TIME');
    expect(count('readings')).toBe(0);
    const withTime = await send('POST', `/api/clients/${id}/readings`, {
      fileName: 'r.txt',
      text: rr,
      at: '2026-11-23T07:30',
      kind: 'morning',
    });
    expect(withTime.statusCode).toBe(201);
    const [readingId] = withTime.json().ids as number[];
    const record = (await send('GET', `/api/clients/${id}`)).json() as Json;
    expect(record.readings[0]).toMatchObject({ at: '2026-11-23T07:30:00', kind: 'morning', source: 'r.txt' });
    expectError(await send('DELETE', `/api/clients/${id + 1}/readings/${readingId}`), 404, 'READING_NOT_FOUND');
    expect((await send('DELETE', `/api/clients/${id}/readings/${readingId}`)).statusCode).toBe(204);
    expect(count('readings')).toBe(0);
  });
});

/** A finished session on the record: 120 s baseline, 300 s massage with two techniques, 120 s recovery. */
function plantSession(store: SessionStore, clientId: number, label: string): number {
  const s = store.createSession({
    clientLabel: label,
    therapistNote: '',
    sourceKind: 'simulated',
    sourceLabel: 'test',
    params: {},
    clientId,
  });
  const events = [];
  let t = 0;
  for (let seq = 0; t < 540; seq++) {
    const rrMs = 800 + 40 * Math.sin(seq / 2.5) + (t > 120 ? 30 : 0);
    t += rrMs / 1000;
    events.push({ type: 'beat' as const, seq, tS: t, rrMs, gapBefore: false, receivedAtMs: 0 });
  }
  store.writeBatch(s.id, events);
  store.setPhase(s.id, 'baseline', 0);
  store.setPhase(s.id, 'massage', 120);
  store.addMarker(s.id, { kind: 'technique', value: 'effleurage', atS: 125 });
  store.addMarker(s.id, { kind: 'technique', value: 'petrissage', atS: 180 });
  store.addMarker(s.id, { kind: 'technique', value: 'effleurage', atS: 400 });
  store.setPhase(s.id, 'recovery', 420);
  store.endSession(s.id);
  return s.id;
}

describe("a session's values on the record", () => {
  it('computed once and stored; the main technique covers most of the massage; changed by hand it stays', async () => {
    const id = await newClient('S');
    const sessionId = plantSession(r.store, id, 'S');
    expect(count('session_values')).toBe(0);
    const record = (await send('GET', `/api/clients/${id}`)).json() as Json;
    expect(count('session_values')).toBe(1);
    const session = record.sessions[0] as Json;
    // petrissage 180→400 (220 s) against effleurage 125→180 and 400→420 (75 s)
    expect(session).toMatchObject({
      id: sessionId,
      mainTechnique: 'petrissage',
      techniques: ['effleurage', 'petrissage'],
      mainTechniqueSet: false,
    });
    expect(session.massageS).toBeCloseTo(300, 6);
    const report = (await send('GET', `/api/sessions/${sessionId}`)).json() as Json;
    const massage = report.summary.phases.find((p: Json) => p.kind === 'massage');
    expect(session.massageShiftLn).toBe(massage.shift.lnRmssdDelta);
    expect(session.baselineLnRmssd).toBe(report.summary.baseline.lnRmssd);

    const patched = await send('PATCH', `/api/sessions/${sessionId}`, { mainTechnique: 'effleurage' });
    expect(patched.statusCode, patched.body).toBe(200);
    const again = (await send('GET', `/api/clients/${id}`)).json() as Json;
    expect(again.sessions[0]).toMatchObject({ mainTechnique: 'effleurage', mainTechniqueSet: true });
    expectError(await send('PATCH', `/api/sessions/999`, { mainTechnique: 'x' }), 404, 'SESSION_NOT_FOUND');
  });
});

describe('rename, merge, export, delete', () => {
  it('renames (sessions carry the new name), refuses a name in use, merges after asking', async () => {
    const a = await newClient('Anna');
    const b = await newClient('Anna B.');
    plantSession(r.store, a, 'Anna');
    await send('POST', `/api/clients/${b}/readings`, {
      fileName: 'h.csv',
      text: WELLTORY,
      user: '6be5033971',
    });
    const renamed = await send('PATCH', `/api/clients/${a}`, { name: 'Anna K.' });
    expect(renamed.json()).toMatchObject({ id: a, name: 'Anna K.' });
    expect(r.store.listSessions().find((s) => s.clientId === a)?.clientLabel).toBe('Anna K.');
    expectError(await send('PATCH', `/api/clients/${a}`, { name: 'Anna B.' }), 409, 'STORE_NAME_TAKEN');

    const plan = await send('POST', `/api/clients/${b}/merge`, { into: a });
    expect(plan.json()).toEqual({ from: b, into: a, sessions: 0, readings: 129, duplicateReadings: 0, merged: false });
    expect((await send('GET', `/api/clients/${b}`)).statusCode).toBe(200);
    const done = await send('POST', `/api/clients/${b}/merge`, { into: a, confirm: true });
    expect(done.json()).toMatchObject({ merged: true, readings: 129 });
    expectError(await send('GET', `/api/clients/${b}`), 404, 'CLIENT_NOT_FOUND');
    const record = (await send('GET', `/api/clients/${a}`)).json() as Json;
    expect(record.readings).toHaveLength(129);
    expect(record.sessions).toHaveLength(1);
    expectError(await send('POST', `/api/clients/${a}/merge`, { into: a }), 400, 'CLIENT_MERGE_SELF');
  });

  it('exports everything in one JSON, then deletes the client with every session and reading', async () => {
    const id = await newClient('Del');
    const sessionId = plantSession(r.store, id, 'Del');
    await send('POST', `/api/clients/${id}/readings`, { fileName: 'h.csv', text: WELLTORY, user: '01bad5a519' });
    const exported = await send('GET', `/api/clients/${id}/export`);
    expect(exported.headers['content-disposition']).toMatch(/attachment/);
    const file = exported.json() as Json;
    expect(file).toMatchObject({ format: 'tableside-client', version: 1 });
    expect(file.readings).toHaveLength(90);
    const rows = WELLTORY.split('\n').filter((l) => l.startsWith('"01bad5a519"'));
    const firstRr = ((rows[0] as string).split('","').at(-1) as string).replace(/"$/, '').split(',').map(Number);
    expect(file.readings.map((x: Json) => x.rrMs)).toContainEqual(firstRr);
    expect(file.sessionExports).toHaveLength(1);
    expect(file.sessionExports[0].beats.length).toBe(r.store.getSession(sessionId)?.beatCount);

    const deleted = await send('DELETE', `/api/clients/${id}`);
    expect(deleted.json()).toEqual({ sessionIds: [sessionId], beats: expect.any(Number), readings: 90 });
    expect(r.store.getSession(sessionId)).toBeUndefined();
    expect(count('readings')).toBe(0);
    expect(count('session_values')).toBe(0);
    expectError(await send('DELETE', `/api/clients/${id}`), 404, 'CLIENT_NOT_FOUND');
  });

  it('refuses to delete a client whose session is recording', async () => {
    const res = await send('POST', '/api/sessions', { clientName: 'Live' });
    const clientId = res.json().clientId as number;
    expectError(await send('DELETE', `/api/clients/${clientId}`), 409, 'STORE_RECORDING');
    expect(r.store.getSession(res.json().id)).toBeDefined();
  });
});
