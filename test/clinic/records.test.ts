/**
 * The clinic's record of a client, read from a real PostgreSQL: every room's sessions on one timeline, an alias
 * resolving to the clinic's client, the asking table's sessions keeping their report links, readings paired with
 * sessions by the timeline's rules. Rows are written here with SQL, as any table's sender would have left them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClinicDb, openClinicDb } from '../../src/clinic/pg.js';
import { migrateClinicDb } from '../../src/clinic/pg-schema.js';
import { clinicClientByName, clinicClientRecord, clinicClients } from '../../src/clinic/records.js';
import { clusterSettings, type PgCluster, startPostgres } from '../helpers/postgres.js';

let cluster: PgCluster;
let db: ClinicDb;
beforeAll(async () => {
  cluster = await startPostgres();
  await cluster.createDatabase('records');
  db = await openClinicDb(clusterSettings(cluster, 'records'));
  await migrateClinicDb(db);
  const sql = (text: string, params: unknown[] = []) => db.query(text, params);
  await sql(`INSERT INTO clients VALUES ('uid-anna', 'Anna K', 'left shoulder', '2026-03-01T09:00:00Z',
    '2026-03-02T09:00:00Z', 'room-1')`);
  await sql(
    `INSERT INTO clients VALUES ('uid-ben', 'Ben', '', '2026-03-01T09:00:00Z', '2026-03-01T09:00:00Z', 'room-2')`,
  );
  // room-2 created "Anna K" too while apart: its uid is an alias of the clinic's.
  await sql(`INSERT INTO client_aliases VALUES ('uid-anna-room2', 'uid-anna')`);
  const session = (
    uid: string,
    table: string,
    start: string,
    end: string,
    baseline: number,
    shift: number,
    main: string,
  ) =>
    sql(
      `INSERT INTO sessions (uid, client_uid, table_name, stream, started_at, ended_at, status, source_kind,
        beat_count, last_beat_t_s, baseline_ln_rmssd, massage_shift_ln, recovery_shift_ln, massage_s, techniques,
        main_technique, synced_at)
        VALUES ($1, 'uid-anna', $2, 'client', $3, $4, 'ended', 'simulated', 3000, 3600, $5, $6, NULL, 1800,
          $7::jsonb, $8, now())`,
      [uid, table, start, end, baseline, shift, JSON.stringify([main]), main],
    );
  await session(
    'store-a:7',
    'room-1',
    localIso('2026-03-02T10:00:00'),
    localIso('2026-03-02T11:00:00'),
    3.5,
    0.25,
    'effleurage',
  );
  await session(
    'store-b:3',
    'room-2',
    localIso('2026-03-09T10:00:00'),
    localIso('2026-03-09T11:00:00'),
    3.6,
    0.15,
    'petrissage',
  );
  // the therapist's stream of room-2's session: on no client's record
  await sql(
    `INSERT INTO sessions (uid, client_uid, group_uid, table_name, stream, started_at, status, source_kind, beat_count,
      synced_at) VALUES ('store-b:4', NULL, 'store-b:3', 'room-2', 'therapist', $1, 'ended', 'simulated', 10, now())`,
    [localIso('2026-03-09T10:00:00')],
  );
  const reading = (key: string, at: string, kind: string, ln: number, table: string) =>
    sql(
      `INSERT INTO readings VALUES ('uid-anna', $1, $2, $3, 'file.txt', '', '[800, 810]'::jsonb, 2, $4, $5, 75, 0,
        NULL, $6, now())`,
      [key, at, kind, Math.exp(ln), ln, table],
    );
  await reading('k-morning', '2026-03-02T07:00:00', 'morning', 4.0, 'room-1');
  await reading('k-before', '2026-03-09T09:50:00', 'before', 3.7, 'room-2');
}, 60_000);
afterAll(async () => {
  await db?.close();
  await cluster?.destroy();
});

/** A local wall-clock time as the instant PostgreSQL stores (timestamptz). */
function localIso(local: string): string {
  return new Date(local).toISOString();
}

describe('clinicClientRecord', () => {
  it("puts every room's sessions on one timeline, the asking table's with their local ids", async () => {
    const record = await clinicClientRecord(db, 'uid-anna', {
      storeUid: 'store-a',
      localClientId: 12,
      today: '2026-03-10',
    });
    expect(record?.source).toBe('clinic');
    expect(record?.client).toMatchObject({ id: 12, uid: 'uid-anna', name: 'Anna K', note: 'left shoulder' });
    const sessions = record?.sessions ?? [];
    expect(sessions.map((s) => [s.table, s.uid, s.local, s.date])).toEqual([
      ['room-1', 'store-a:7', true, '2026-03-02'],
      ['room-2', 'store-b:3', false, '2026-03-09'],
    ]);
    expect(sessions[0].id).toBe(7);
    expect(sessions[1].id).toBeLessThan(0);
    expect(sessions[1]).toMatchObject({ baselineLnRmssd: 3.6, massageShiftLn: 0.15, mainTechnique: 'petrissage' });
    expect(sessions[1].startedAt).toBe('2026-03-09T10:00:00');
    expect(sessions[1].techniques).toEqual(['petrissage']);
    // the 'before' reading ten minutes before room-2's session is its before-reading
    const before = record?.readings.find((r) => r.contentKey === 'k-before');
    expect(before?.table).toBe('room-2');
    expect(sessions[1].before?.id).toBe(before?.id);
    expect(sessions[1].before?.lnRmssd).toBeCloseTo(3.7, 12);
    // the morning reading is its day's value
    expect(record?.days.find((d) => d.date === '2026-03-02')?.lnRmssd).toBeCloseTo(4.0, 12);
    expect(record?.days.at(-1)?.date).toBe('2026-03-10');
    // ids are unique within the record
    const ids = [...sessions.map((s) => s.id), ...(record?.readings ?? []).map((r) => r.id)];
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('reads a client by an alias as the clinic client, and no client as undefined', async () => {
    const byAlias = await clinicClientRecord(db, 'uid-anna-room2', { storeUid: 'store-b' });
    expect(byAlias?.client.uid).toBe('uid-anna');
    expect(byAlias?.sessions.map((s) => [s.uid, s.local, s.id])).toEqual([
      ['store-a:7', false, expect.any(Number)],
      ['store-b:3', true, 3],
    ]);
    expect(byAlias?.sessions[0].id).toBeLessThan(0);
    expect(await clinicClientRecord(db, 'nobody')).toBeUndefined();
    expect((await clinicClientByName(db, 'Anna K'))?.uid).toBe('uid-anna');
    expect(await clinicClientByName(db, 'anna k')).toBeUndefined();
  });

  it('lists the clients with their counts and rooms', async () => {
    const list = await clinicClients(db);
    expect(list).toEqual([
      {
        uid: 'uid-anna',
        name: 'Anna K',
        sessions: 2,
        readings: 2,
        lastVisit: localIso('2026-03-09T10:00:00'),
        tables: ['room-1', 'room-2'],
      },
      { uid: 'uid-ben', name: 'Ben', sessions: 0, readings: 0, lastVisit: null, tables: [] },
    ]);
  });
});
