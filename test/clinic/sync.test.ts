/**
 * The sender against a real PostgreSQL cluster and real SQLite stores: what a table has on record reaches the clinic
 * exactly once, whatever happens to the database in between; a wrong password is a clear error; a database that is
 * not there at start is a warning and the table goes on alone.
 */
import { describe, expect, it } from 'vitest';
import { type ClinicDb, openClinicDb } from '../../src/clinic/pg.js';
import { clinicClientRecord } from '../../src/clinic/records.js';
import { ClinicSync } from '../../src/clinic/sync.js';
import { clientRecord } from '../../src/io/client-record.js';
import {
  addReadings,
  createClient,
  deleteReading,
  readingKey,
  readingRr,
  readingsOfClient,
} from '../../src/store/clients.js';
import { clientUidOf, outboxSize, storeUid } from '../../src/store/outbox.js';
import { tempDir, waitFor } from '../helpers/daemon-process.js';
import { clusterSettings } from '../helpers/postgres.js';
import { postgresPerFile } from '../helpers/postgres-suite.js';
import { clientWithReadings, openStore, reading, recordSession } from './fixtures.js';

const pg = postgresPerFile();
const { cleanups } = pg;

let dbCount = 0;
async function freshDatabase(): Promise<string> {
  const name = `sync_${++dbCount}`;
  await pg.cluster.createDatabase(name);
  return name;
}

function folder(): string {
  const d = tempDir('tableside-clinic-');
  cleanups.push(d.remove);
  return d.path;
}

/** A log that keeps its lines, to assert what was said (and what never is). */
function memoryLog() {
  const lines: { level: string; obj: object; msg: string }[] = [];
  const at = (level: string) => (obj: object, msg: string) => lines.push({ level, obj, msg });
  return { lines, info: at('info'), warn: at('warn'), error: at('error'), text: () => JSON.stringify(lines) };
}

async function sender(store: ReturnType<typeof openStore>['store'], database: string, table: string, extra = {}) {
  const log = memoryLog();
  const sync = new ClinicSync({
    store,
    settings: { ...clusterSettings(pg.cluster, database, table), ...extra },
    log,
    pollMs: 50,
    retryMaxMs: 200,
    checkEveryMs: 200,
  });
  cleanups.push(() => sync.close());
  const started = await sync.start();
  return { sync, log, started };
}

async function reader(database: string): Promise<ClinicDb> {
  const db = await openClinicDb(clusterSettings(pg.cluster, database));
  cleanups.push(() => db.close());
  return db;
}

async function count(db: ClinicDb, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params);
  return row.n;
}

describe('the clinic sender', () => {
  it("sends the table's past and present once: clients, readings, finished sessions with summary and phases", async () => {
    const database = await freshDatabase();
    const dir = folder();
    const { store, clock } = openStore(dir, 'room-1');
    cleanups.push(() => store.close());
    const anna = clientWithReadings(store, 'Anna K', [
      reading('2026-03-01T07:00:00', 4.0),
      reading('2026-03-02T07:00:00', 4.1),
    ]);
    const first = recordSession(store, clock, anna.id);
    const { sync, started } = await sender(store, database, 'room-1');
    expect(started).toBe('connected');
    await sync.idle();
    // Recorded after the sender started: reaches the clinic too.
    clock.ms += 86_400_000;
    const second = recordSession(store, clock, anna.id, { swingMs: 60 });
    const recording = recordSession(store, clock, anna.id, { end: false });
    await sync.idle();
    expect(outboxSize(store)).toBe(0);

    const db = await reader(database);
    const uid = storeUid(store);
    expect(await count(db, 'clients')).toBe(1);
    expect(await count(db, 'readings')).toBe(2);
    const sessions = await db.query<{ uid: string; status: string; summary: { beats: number }; table_name: string }>(
      'SELECT uid, status, summary, table_name FROM sessions ORDER BY uid',
    );
    expect(sessions.map((s) => s.uid)).toEqual([`${uid}:${first}`, `${uid}:${second}`]);
    expect(sessions.every((s) => s.status === 'ended' && s.table_name === 'room-1')).toBe(true);
    expect(sessions[0].summary.beats).toBe(store.getBeats(first).length);
    expect(await count(db, 'phases WHERE session_uid = $1', [`${uid}:${first}`])).toBe(3);
    expect(await count(db, 'markers WHERE session_uid = $1', [`${uid}:${first}`])).toBe(1);
    // The session still recording is not sent; beats only with --clinic-beats.
    expect(await count(db, 'sessions WHERE uid = $1', [`${uid}:${recording}`])).toBe(0);
    expect(await count(db, 'beats')).toBe(0);

    // The clinic's record of a client seen in one room is that room's record.
    const today = '2026-03-04';
    const local = clientRecord(store, anna.id, { today });
    const clinic = await clinicClientRecord(db, clientUidOf(store, anna.id) ?? '', {
      storeUid: uid,
      localClientId: anna.id,
      localReadings: new Map(
        readingsOfClient(store, anna.id).map((r) => [readingKey(r.at, readingRr(store, r.id)), r.id]),
      ),
      today,
    });
    expect(clinic?.days).toEqual(local?.days);
    expect(clinic?.techniques).toEqual(local?.techniques);
    expect(clinic?.overWeeks).toEqual(local?.overWeeks);
    expect(clinic?.sessions.map(({ uid: _u, table: _t, local: _l, ...rest }) => rest)).toEqual(
      local?.sessions.filter((s) => s.status !== 'recording'),
    );
    expect(clinic?.sessions.every((s) => s.table === 'room-1' && s.local)).toBe(true);
    expect(sync.dropped).toBe(0);
  });

  it('keeps everything through an outage mid-session: afterwards each session and reading is there exactly once', async () => {
    const database = await freshDatabase();
    const dir = folder();
    const { store, clock } = openStore(dir, 'room-2');
    cleanups.push(() => store.close());
    const ben = createClient(store, 'Ben', '');
    const { sync, log } = await sender(store, database, 'room-2');
    const before = recordSession(store, clock, ben.id);
    await sync.idle();
    await pg.cluster.stop();
    try {
      // Recording goes on while the clinic is gone: these calls never wait for it.
      const t0 = performance.now();
      const during = recordSession(store, clock, ben.id);
      addReadings(store, ben.id, [reading('2026-03-03T07:00:00', 3.9), reading('2026-03-04T07:00:00', 3.8)]);
      const gone = readingsOfClient(store, ben.id)[0];
      deleteReading(store, gone.id);
      expect(performance.now() - t0).toBeLessThan(5000);
      await waitFor(() => log.lines.some((l) => l.level === 'warn'), 10_000, 'the outage warning');
      expect(outboxSize(store)).toBeGreaterThan(0);
      expect(sync.state).toBe('unreachable');
      clock.ms += 3_600_000;
      const after = recordSession(store, clock, ben.id);
      await pg.cluster.start();
      await sync.idle();
      const db = await reader(database);
      const uid = storeUid(store);
      const rows = await db.query<{ uid: string }>('SELECT uid FROM sessions ORDER BY started_at');
      expect(rows.map((r) => r.uid)).toEqual([before, during, after].map((id) => `${uid}:${id}`));
      expect(await count(db, 'readings')).toBe(1);
      expect(await count(db, 'clients')).toBe(1);
      expect(log.lines.filter((l) => l.level === 'warn')).toHaveLength(1);
      expect(log.lines.some((l) => l.msg.includes('answers again'))).toBe(true);
      expect(log.text()).not.toContain('Ben');
    } finally {
      await pg.cluster.start().catch(() => undefined);
    }
  }, 60_000);

  it('says clearly that the password is wrong, never the password, and goes on alone', async () => {
    const database = await freshDatabase();
    const { store } = openStore(folder(), 'room-3');
    cleanups.push(() => store.close());
    const { started, log, sync } = await sender(store, database, 'room-3', { password: 'wrong-horse' });
    expect(started).toBe('refused');
    const errors = log.lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0].msg).toMatch(/refused the user name or password/);
    expect(errors[0].msg).toMatch(/TABLESIDE_CLINIC_DB_PASSWORD/);
    expect(log.text()).not.toContain('wrong-horse');
    createClient(store, 'Cleo', '');
    await new Promise((r) => setTimeout(r, 500));
    expect(outboxSize(store)).toBe(1);
    expect(sync.state).toBe('refused');
  });

  it('warns when the database is not there at start, runs alone, and sends everything once it comes', async () => {
    const database = await freshDatabase();
    const { store, clock } = openStore(folder(), 'room-4');
    cleanups.push(() => store.close());
    const dana = createClient(store, 'Dana', '');
    await pg.cluster.stop();
    try {
      const { started, log, sync } = await sender(store, database, 'room-4');
      expect(started).toBe('unreachable');
      expect(log.lines.filter((l) => l.level === 'warn').map((l) => l.msg)).toEqual([
        expect.stringMatching(/cannot be used: the table runs alone/),
      ]);
      const id = recordSession(store, clock, dana.id);
      await pg.cluster.start();
      await sync.idle();
      const db = await reader(database);
      expect(await count(db, 'sessions WHERE uid = $1', [`${storeUid(store)}:${id}`])).toBe(1);
    } finally {
      await pg.cluster.start().catch(() => undefined);
    }
  }, 60_000);

  it('sends beats with --clinic-beats, each once even when the session is sent again', async () => {
    const database = await freshDatabase();
    const { store, clock } = openStore(folder(), 'room-5');
    cleanups.push(() => store.close());
    const eve = createClient(store, 'Eve', '');
    const id = recordSession(store, clock, eve.id, { minutes: 3 });
    const { sync } = await sender(store, database, 'room-5', { beats: true });
    await sync.idle();
    const db = await reader(database);
    const uid = `${storeUid(store)}:${id}`;
    const local = store.getBeats(id);
    expect(await count(db, 'beats WHERE session_uid = $1', [uid])).toBe(local.length);
    // a marker added after the end sends the session again: still one row per beat
    store.addMarker(id, { kind: 'note', value: 'later', atS: 10 });
    await sync.idle();
    expect(await count(db, 'beats WHERE session_uid = $1', [uid])).toBe(local.length);
    const [sums] = await db.query<{ rr: number; t: number }>(
      'SELECT sum(rr_ms) AS rr, max(t_s) AS t FROM beats WHERE session_uid = $1',
      [uid],
    );
    expect(sums.rr).toBeCloseTo(
      local.reduce((s, b) => s + b.rrMs, 0),
      6,
    );
    expect(sums.t).toBe(local[local.length - 1].tS);
    expect(await count(db, 'markers WHERE session_uid = $1', [uid])).toBe(2);
  });
  it("sends a companion stream (the therapist's) with its session, whichever ends first", async () => {
    const database = await freshDatabase();
    const { store, clock } = openStore(folder(), 'room-6');
    cleanups.push(() => store.close());
    const fay = createClient(store, 'Fay', '');
    const { sync } = await sender(store, database, 'room-6');
    const main = recordSession(store, clock, fay.id, { end: false });
    const companion = store.createSession({
      clientLabel: '',
      therapistNote: '',
      sourceKind: 'simulated',
      sourceLabel: 'therapist strap',
      params: {},
      stream: 'therapist',
      groupId: main,
    });
    store.endSession(companion.id);
    await sync.idle(); // the companion reaches the clinic before its session
    store.endSession(main);
    await sync.idle();
    const db = await reader(database);
    const uid = storeUid(store);
    const rows = await db.query<{ uid: string; group_uid: string | null; client_uid: string | null; stream: string }>(
      'SELECT uid, group_uid, client_uid, stream FROM sessions ORDER BY uid',
    );
    expect(rows).toEqual([
      { uid: `${uid}:${main}`, group_uid: null, client_uid: clientUidOf(store, fay.id), stream: 'client' },
      { uid: `${uid}:${companion.id}`, group_uid: `${uid}:${main}`, client_uid: null, stream: 'therapist' },
    ]);
  });
  it('stopped while it sends (beats, many sessions): afterwards every session and beat is there exactly once', async () => {
    const database = await freshDatabase();
    const { store, clock } = openStore(folder(), 'room-7');
    cleanups.push(() => store.close());
    const gia = createClient(store, 'Gia', '');
    const ids = Array.from({ length: 12 }, () => recordSession(store, clock, gia.id, { minutes: 20 }));
    const { sync } = await sender(store, database, 'room-7', { beats: true });
    await waitFor(() => sync.sent >= 3, 20_000, 'a few sessions sent');
    await pg.cluster.stop();
    try {
      await new Promise((r) => setTimeout(r, 500));
      expect(outboxSize(store)).toBeGreaterThan(0);
    } finally {
      await pg.cluster.start();
    }
    await sync.idle();
    const db = await reader(database);
    const uid = storeUid(store);
    const rows = await db.query<{ uid: string; n: number; beat_count: number }>(
      `SELECT s.uid, s.beat_count, (SELECT count(*)::int FROM beats b WHERE b.session_uid = s.uid) AS n
        FROM sessions s ORDER BY s.started_at`,
    );
    expect(rows.map((r) => r.uid)).toEqual(ids.map((id) => `${uid}:${id}`));
    for (const [i, r] of rows.entries()) {
      const local = store.getBeats(ids[i]).length;
      expect(r.n).toBe(local);
      expect(r.beat_count).toBe(local);
    }
  }, 60_000);
});
