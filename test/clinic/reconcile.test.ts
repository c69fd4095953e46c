/**
 * The reconciliation rules (src/clinic/sync.ts, README "Records in PostgreSQL"), each on two real tables (SQLite
 * files) that were apart and then sync to one real PostgreSQL.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { type ClinicDb, openClinicDb } from '../../src/clinic/pg.js';
import { clinicClientRecord } from '../../src/clinic/records.js';
import { ClinicSync, laterEdit } from '../../src/clinic/sync.js';
import {
  addReadings,
  createClient,
  deleteClient,
  findClient,
  mergeClients,
  readingsOfClient,
  updateClient,
} from '../../src/store/clients.js';
import { clientUidOf, storeUid } from '../../src/store/outbox.js';
import type { SessionStore } from '../../src/store/session-store.js';
import { tempDir, waitFor } from '../helpers/daemon-process.js';
import { clusterSettings } from '../helpers/postgres.js';
import { postgresPerFile } from '../helpers/postgres-suite.js';
import { openStore, reading, recordSession } from './fixtures.js';

const pg = postgresPerFile();
const { cleanups } = pg;

let n = 0;
/** Two tables' stores and a fresh clinic database. */
async function clinic() {
  const database = `rec_${++n}`;
  await pg.cluster.createDatabase(database);
  const dir = tempDir('tableside-reconcile-');
  cleanups.push(dir.remove);
  const db = await openClinicDb(clusterSettings(pg.cluster, database));
  cleanups.push(() => db.close());
  const room = (table: string) => {
    const { store, clock } = openStore(dir.path, table);
    cleanups.push(() => store.close());
    const lines: string[] = [];
    const log = {
      info: (o: object, m: string) => lines.push(`info ${m} ${JSON.stringify(o)}`),
      warn: (o: object, m: string) => lines.push(`warn ${m} ${JSON.stringify(o)}`),
      error: (o: object, m: string) => lines.push(`error ${m} ${JSON.stringify(o)}`),
    };
    let sync: ClinicSync | undefined;
    return {
      store,
      clock,
      lines,
      path: join(dir.path, `${table}.db`),
      /** starts (once) the table's sender and waits until it has sent everything */
      async sync() {
        if (!sync) {
          const s = new ClinicSync({
            store,
            settings: clusterSettings(pg.cluster, database, table),
            log,
            pollMs: 30,
            retryMaxMs: 200,
            checkEveryMs: 100,
          });
          sync = s;
          cleanups.push(() => s.close());
          await s.start();
        }
        await sync.idle();
      },
    };
  };
  return { db, room };
}

async function rows<T>(db: ClinicDb, sql: string, params: unknown[] = []): Promise<T[]> {
  return db.query<T>(sql, params);
}

/** Sets a client's note with a chosen edit time, as an edit made then would have (a raw connection to the file). */
function editAt(path: string, name: string, note: string, editedAt: string) {
  const raw = new Database(path);
  try {
    raw.prepare('UPDATE clients SET note = ?, edited_at = ? WHERE name = ?').run(note, editedAt, name);
  } finally {
    raw.close();
  }
}

const idOf = (store: SessionStore, name: string) => findClient(store, name)?.id ?? -1;

describe('rule 1: one person per name, clinic-wide', () => {
  it('two rooms that made "Anna K" apart share one clinic client: an alias, the same uid, one timeline', async () => {
    const { db, room } = await clinic();
    const r1 = room('room-1');
    const r2 = room('room-2');
    const a1 = createClient(r1.store, 'Anna K', '');
    const a2 = createClient(r2.store, 'Anna K', '');
    const uid2Before = clientUidOf(r2.store, a2.id);
    const s1 = recordSession(r1.store, r1.clock, a1.id);
    r2.clock.ms += 7 * 86_400_000;
    const s2 = recordSession(r2.store, r2.clock, a2.id);
    await r1.sync();
    await r2.sync();
    const uid1 = clientUidOf(r1.store, a1.id);
    const clients = await rows<{ uid: string }>(db, 'SELECT uid FROM clients');
    expect(clients).toEqual([{ uid: uid1 }]);
    expect(await rows(db, 'SELECT alias_uid, uid FROM client_aliases')).toEqual([{ alias_uid: uid2Before, uid: uid1 }]);
    // room-2 took the clinic's uid
    expect(clientUidOf(r2.store, a2.id)).toBe(uid1);
    const sessions = await rows<{ uid: string; client_uid: string }>(
      db,
      'SELECT uid, client_uid FROM sessions ORDER BY started_at',
    );
    expect(sessions).toEqual([
      { uid: `${storeUid(r1.store)}:${s1}`, client_uid: uid1 },
      { uid: `${storeUid(r2.store)}:${s2}`, client_uid: uid1 },
    ]);
    const record = await clinicClientRecord(db, uid2Before ?? '', { storeUid: storeUid(r2.store) });
    expect(record?.sessions.map((s) => [s.table, s.local])).toEqual([
      ['room-1', false],
      ['room-2', true],
    ]);
    // a later item of room-2 goes under the clinic uid, not the alias
    addReadings(r2.store, a2.id, [reading('2026-03-20T07:00:00', 4)]);
    await r2.sync();
    expect(await rows(db, 'SELECT client_uid FROM readings')).toEqual([{ client_uid: uid1 }]);
  });
});

describe('rule 2: name and note, last writer wins', () => {
  it('the later edit wins wherever it was made, and the other room takes it', async () => {
    const { db, room } = await clinic();
    const r1 = room('room-1');
    const r2 = room('room-2');
    const c = createClient(r1.store, 'Cleo', 'first');
    await r1.sync();
    await r2.sync(); // room-2 has no Cleo: nothing to learn
    createClient(r2.store, 'Cleo', '');
    await r2.sync(); // now one client, room-2 with the clinic's uid and note
    expect(findClient(r2.store, 'Cleo')?.note).toBe('first');
    // Apart: room-2's edit (10:05) reaches the clinic first; room-1's older one (10:00) comes after and must not win,
    // and room-1 takes the newer note in the same exchange. Room-1's sender sends on its own, so its edit is written
    // only once room-2's has arrived: written earlier, it could reach the clinic first (the next case).
    editAt(r2.path, 'Cleo', 'newer note', '2027-04-01T10:05:00.000Z');
    await r2.sync();
    editAt(r1.path, 'Cleo', 'older note', '2027-04-01T10:00:00.000Z');
    await r1.sync();
    expect(await rows(db, 'SELECT note, edited_by FROM clients')).toEqual([
      { note: 'newer note', edited_by: 'room-2' },
    ]);
    expect(findClient(r1.store, 'Cleo')?.note).toBe('newer note');
    // The other order: room-1's older edit arrives first, room-2's newer one replaces it, and room-1 takes that at its
    // next look at the clinic (every checkEveryMs), not in an exchange of its own.
    editAt(r1.path, 'Cleo', 'older again', '2027-04-01T11:00:00.000Z');
    await r1.sync();
    editAt(r2.path, 'Cleo', 'newer again', '2027-04-01T11:05:00.000Z');
    await r2.sync();
    expect(await rows(db, 'SELECT note, edited_by FROM clients')).toEqual([
      { note: 'newer again', edited_by: 'room-2' },
    ]);
    await waitFor(() => findClient(r1.store, 'Cleo')?.note === 'newer again', 5000, 'room-1 taking the newer note');
    // equal times: the table whose name sorts first (room-1) wins
    editAt(r1.path, 'Cleo', 'room-1 tie', '2027-04-02T10:00:00.000Z');
    editAt(r2.path, 'Cleo', 'room-2 tie', '2027-04-02T10:00:00.000Z');
    await r1.sync();
    await r2.sync();
    expect(await rows(db, 'SELECT note FROM clients')).toEqual([{ note: 'room-1 tie' }]);
    await waitFor(() => findClient(r2.store, 'Cleo')?.note === 'room-1 tie', 5000, 'room-2 taking the tie');
    expect(c.id).toBeGreaterThan(0);
    expect(
      laterEdit({ editedAt: '2026-01-01T00:00:00Z', by: 'b' }, { editedAt: '2026-01-01T00:00:00Z', by: 'a' }),
    ).toBe('b');
  });

  it('a rename to a name another clinic client has is refused: the clinic keeps its name, the table its own', async () => {
    const { db, room } = await clinic();
    const r1 = room('room-1');
    const r2 = room('room-2');
    createClient(r1.store, 'Anna K');
    await r1.sync();
    const dan = createClient(r2.store, 'Dan');
    await r2.sync();
    updateClient(r2.store, dan.id, { name: 'Anna K', note: 'renamed' });
    await r2.sync();
    expect(await rows(db, 'SELECT name, note FROM clients ORDER BY name')).toEqual([
      { name: 'Anna K', note: '' },
      { name: 'Dan', note: 'renamed' },
    ]);
    expect(findClient(r2.store, 'Anna K')?.id).toBe(dan.id);
    const refused = r2.lines.filter((l) => l.includes('refused a rename'));
    expect(refused).toHaveLength(1);
    expect(r2.lines.join('\n')).not.toContain('Anna K');
    expect(r2.lines.join('\n')).not.toContain('Dan');
  });
});

describe('rule 3: readings', () => {
  it('the same reading from two rooms is one row', async () => {
    const { db, room } = await clinic();
    const r1 = room('room-1');
    const r2 = room('room-2');
    const same = reading('2026-03-05T07:00:00', 4.2);
    addReadings(r1.store, createClient(r1.store, 'Eve').id, [same, reading('2026-03-06T07:00:00', 4.3)]);
    addReadings(r2.store, createClient(r2.store, 'Eve').id, [same]);
    await r1.sync();
    await r2.sync();
    expect(await rows(db, 'SELECT at, table_name FROM readings ORDER BY at')).toEqual([
      { at: '2026-03-05T07:00:00', table_name: 'room-1' },
      { at: '2026-03-06T07:00:00', table_name: 'room-1' },
    ]);
  });
});

describe('rule 4: delete', () => {
  it('a client deleted in one room is a tombstone; the other room deletes its copy once no session of it records', async () => {
    const { db, room } = await clinic();
    const r1 = room('room-1');
    const r2 = room('room-2');
    const f1 = createClient(r1.store, 'Finn', 'note');
    recordSession(r1.store, r1.clock, f1.id);
    const f2 = createClient(r2.store, 'Finn', '');
    await r1.sync();
    const uid = clientUidOf(r1.store, f1.id) ?? '';
    const alias = clientUidOf(r2.store, f2.id);
    await r2.sync();
    expect(clientUidOf(r2.store, f2.id)).toBe(uid);
    // room-2 records for Finn while room-1 deletes him
    const recording = recordSession(r2.store, r2.clock, f2.id, { end: false });
    deleteClient(r1.store, f1.id);
    await r1.sync();
    // the uid and room-2's own, now an alias of it
    expect(await rows(db, 'SELECT uid FROM deleted_clients ORDER BY uid')).toEqual(
      [{ uid }, { uid: alias }].sort((a, b) => String(a.uid).localeCompare(String(b.uid))),
    );
    expect(await rows(db, 'SELECT uid FROM clients')).toEqual([]);
    expect(await rows(db, 'SELECT uid FROM sessions')).toEqual([]);
    // no name in the tombstone
    expect(JSON.stringify(await rows(db, 'SELECT * FROM deleted_clients'))).not.toContain('Finn');
    await r2.sync();
    await new Promise((r) => setTimeout(r, 400));
    expect(findClient(r2.store, 'Finn')).toBeDefined(); // a session records: kept
    r2.store.endSession(recording);
    addReadings(r2.store, f2.id, [reading('2026-03-07T07:00:00', 4)]);
    await waitFor(() => findClient(r2.store, 'Finn') === undefined, 5000, 'room-2 deleting Finn');
    await r2.sync();
    expect(await rows(db, 'SELECT uid FROM clients')).toEqual([]);
    expect(await rows(db, 'SELECT client_uid FROM readings')).toEqual([]);
    expect(await rows(db, 'SELECT uid FROM sessions')).toEqual([]);
    // a room that never heard of the deletion creates Finn again by name: a new person with a new uid
    createClient(r2.store, 'Finn', '');
    await r2.sync();
    const again = await rows<{ uid: string }>(db, 'SELECT uid FROM clients');
    expect(again).toHaveLength(1);
    expect(again[0].uid).not.toBe(uid);
  });
});

describe('a merge at a table', () => {
  it("moves the merged client's sessions and readings to the other at the clinic, every room's", async () => {
    const { db, room } = await clinic();
    const r1 = room('room-1');
    const r2 = room('room-2');
    const g = createClient(r1.store, 'Gus');
    const gustav = createClient(r1.store, 'Gustav');
    const g2 = createClient(r2.store, 'Gus');
    recordSession(r2.store, r2.clock, g2.id);
    addReadings(r1.store, g.id, [reading('2026-03-08T07:00:00', 4)]);
    addReadings(r1.store, gustav.id, [reading('2026-03-08T07:00:00', 4)]);
    await r1.sync();
    await r2.sync();
    const gustavUid = clientUidOf(r1.store, gustav.id);
    mergeClients(r1.store, g.id, gustav.id, true);
    await r1.sync();
    expect(await rows(db, 'SELECT uid, name FROM clients')).toEqual([{ uid: gustavUid, name: 'Gustav' }]);
    expect(await rows(db, 'SELECT client_uid FROM sessions')).toEqual([{ client_uid: gustavUid }]);
    expect(await rows(db, 'SELECT client_uid FROM readings')).toEqual([{ client_uid: gustavUid }]);
    // room-2's Gus learns the clinic's uid for him, and the name of the client he was merged into (newer)
    await waitFor(() => clientUidOf(r2.store, g2.id) === gustavUid, 5000, 'room-2 taking the uid');
    expect(idOf(r2.store, 'Gustav')).toBe(g2.id);
    expect(readingsOfClient(r1.store, gustav.id)).toHaveLength(1);
  });
});
