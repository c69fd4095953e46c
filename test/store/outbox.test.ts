/**
 * Migration 4 and the clinic outbox: uids for the clients already on record, nothing queued until a clinic is
 * configured, then one item for every change the clinic must learn — whatever code path made it.
 */
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deleteSession } from '../../src/store/admin.js';
import {
  addReadings,
  createClient,
  deleteClient,
  deleteReading,
  mergeClients,
  readingsOfClient,
  updateClient,
} from '../../src/store/clients.js';
import {
  adoptClinicClient,
  clientByUid,
  clientUidOf,
  enableOutbox,
  outboxNext,
  outboxSize,
  storeUid,
} from '../../src/store/outbox.js';
import { APPLICATION_ID, MIGRATIONS } from '../../src/store/sql.js';
import { beats, NEW_SESSION, tempDatabases } from './fixtures.js';

const db = tempDatabases();
beforeEach(db.setUp);
afterEach(db.tearDown);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function items(path: string): [string, string, string | null][] {
  const raw = new Database(path, { readonly: true });
  try {
    return raw
      .prepare<[], { what: string; ref: string; arg: string | null }>('SELECT what, ref, arg FROM outbox ORDER BY id')
      .all()
      .map((r) => [r.what, r.ref, r.arg]);
  } finally {
    raw.close();
  }
}

const reading = (at: string) => ({
  at,
  kind: 'morning' as const,
  source: 'f',
  tags: '',
  rrMs: [900, 910, 905],
  rmssdMs: null,
  lnRmssd: null,
  meanHrBpm: null,
  correctedPct: 0,
  reason: 'too short',
});

describe('migration 4', () => {
  it('gives the store a uid and every client on record its own uid and edit time', () => {
    const old = new Database(db.path());
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m.sql);
    old.pragma('user_version = 3');
    old.pragma(`application_id = ${APPLICATION_ID}`);
    old.exec(`INSERT INTO clients (name, note, created_at) VALUES ('A', '', '2026-01-01T10:00:00.000Z'),
      ('B', '', '2026-01-02T10:00:00.000Z')`);
    old.close();
    const store = db.open();
    expect(storeUid(store)).toMatch(UUID);
    const a = clientUidOf(store, 1) ?? '';
    const b = clientUidOf(store, 2) ?? '';
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a).not.toBe(b);
    expect(clientByUid(store, a)?.editedAt).toBe('2026-01-01T10:00:00.000Z');
    // nothing is queued for a table that has no clinic
    createClient(store, 'C');
    expect(outboxSize(store)).toBe(0);
  });
});

describe('the outbox', () => {
  it('queues the past once when turned on, then every change the clinic must learn', () => {
    const store = db.open();
    const uid = storeUid(store);
    const anna = createClient(store, 'Anna');
    addReadings(store, anna.id, [reading('2026-03-01T07:00:00')]);
    const s1 = store.createSession({ ...NEW_SESSION, clientId: anna.id });
    store.writeBatch(s1.id, beats(0, 5));
    store.endSession(s1.id);
    const s2 = store.createSession({ ...NEW_SESSION, clientId: anna.id });
    const annaUid = clientUidOf(store, anna.id) ?? '';

    expect(enableOutbox(store)).toBe(3);
    expect(enableOutbox(store)).toBe(0);
    const past = items(db.path());
    expect(past[0]).toEqual(['client', annaUid, null]);
    expect(past[1][0]).toBe('reading');
    expect(past[2]).toEqual(['session', `${uid}:${s1.id}`, null]);

    store.writeBatch(s2.id, beats(0, 5));
    store.addMarker(s2.id, { kind: 'technique', value: 'x', atS: 1 });
    expect(outboxSize(store)).toBe(3); // recording: nothing yet
    store.endSession(s2.id);
    updateClient(store, anna.id, { note: 'new' });
    updateClient(store, anna.id, { note: 'new' }); // no change: nothing
    store.addMarker(s1.id, { kind: 'note', value: 'after', atS: 2 });
    const ben = createClient(store, 'Ben');
    const benUid = clientUidOf(store, ben.id) ?? '';
    addReadings(store, ben.id, [reading('2026-03-02T07:00:00')]);
    deleteReading(store, readingsOfClient(store, ben.id)[0].id);
    deleteSession(store, s1.id);
    expect(items(db.path()).slice(3)).toEqual([
      ['session', `${uid}:${s2.id}`, null],
      ['client', annaUid, null],
      ['session', `${uid}:${s1.id}`, null],
      ['client', benUid, null],
      ['reading', benUid, expect.any(String)],
      ['reading-delete', benUid, expect.any(String)],
      ['session-delete', `${uid}:${s1.id}`, null],
    ]);
    const editedAt = clientByUid(store, annaUid)?.editedAt ?? '';
    expect(Date.parse(editedAt)).toBeGreaterThan(Date.parse(anna.createdAt) - 1);
  });

  it('tells a merge as a merge and a delete as a delete, and queues nothing for what the clinic taught', () => {
    const store = db.open();
    enableOutbox(store);
    const a = createClient(store, 'A');
    const b = createClient(store, 'B');
    const c = createClient(store, 'C');
    const [ua, ub, uc] = [a, b, c].map((x) => clientUidOf(store, x.id) ?? '');
    const before = outboxSize(store);
    mergeClients(store, a.id, b.id, true);
    deleteClient(store, c.id);
    const after = items(db.path()).slice(before);
    expect(after).toContainEqual(['client-merge', ua, ub]);
    expect(after).toContainEqual(['client-delete', uc, null]);
    expect(after.filter(([what]) => what === 'client-delete')).toHaveLength(1);

    const n = outboxSize(store);
    adoptClinicClient(store, ub, {
      uid: 'clinic-uid',
      name: 'B2',
      note: 'from the clinic',
      editedAt: '2030-01-01T00:00:00.000Z',
    });
    expect(outboxSize(store)).toBe(n);
    expect(clientByUid(store, 'clinic-uid')).toMatchObject({
      name: 'B2',
      note: 'from the clinic',
      editedAt: '2030-01-01T00:00:00.000Z',
    });
    // items still queued under the old uid now name the clinic's
    expect(outboxNext(store)?.ref).not.toBe(ub);
    expect(items(db.path()).some(([what, ref]) => what === 'client' && ref === ub)).toBe(false);
    // and the outbox is on again afterwards
    createClient(store, 'D');
    expect(outboxSize(store)).toBe(n + 1);
  });
});
