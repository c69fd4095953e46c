/**
 * Clients on real SQLite files: sessions recorded before clients existed are attached by exact label on migration;
 * readings go in all or nothing and never twice; merging asks first; deleting a client leaves no trace of their
 * name, note, readings or sessions in the file's bytes.
 */
import { existsSync, readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  addReadings,
  addReadingsByName,
  createClient,
  deleteClient,
  findClient,
  mergeClients,
  readingsOfClient,
  updateClient,
} from '../../src/store/clients.js';

import { APPLICATION_ID, MIGRATIONS } from '../../src/store/sql.js';
import type { NewReading } from '../../src/store/types.js';
import { NEW_SESSION, storeError, tempDatabases } from './fixtures.js';

const db = tempDatabases();
beforeEach(db.setUp);
afterEach(db.tearDown);

const NAME = 'Ottoline Vexworth';
const NOTE = 'tinnitus, left shoulder surgery 2019';
/** An RR value no other number in the file has. */
const RR_MS = 876.5432101234;

function reading(at: string, rr = RR_MS): NewReading {
  return {
    at,
    kind: 'morning',
    source: 'test',
    tags: '',
    rrMs: [rr, rr + 1, rr - 1],
    rmssdMs: null,
    lnRmssd: null,
    meanHrBpm: null,
    correctedPct: 0,
    reason: 'too short',
  };
}

function fileBytes(path: string): Buffer {
  const wal = `${path}-wal`;
  return Buffer.concat([readFileSync(path), existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0)]);
}

describe('migration 3', () => {
  it('attaches the sessions recorded before to the client whose name is exactly their label', () => {
    const old = new Database(db.path());
    for (const m of MIGRATIONS.slice(0, 2)) old.exec(m.sql);
    old.pragma('user_version = 2');
    old.pragma(`application_id = ${APPLICATION_ID}`);
    const insert = old.prepare(
      `INSERT INTO sessions (started_at, client_label, therapist_note, source_kind, source_label, params_json,
        status, group_id, stream) VALUES (?, ?, '', 'simulated', 's', '{}', 'ended', ?, ?)`,
    );
    insert.run('2026-01-01T10:00:00.000Z', 'Anna', null, 'client');
    insert.run('2026-01-01T10:00:00.000Z', 'Anna', 1, 'therapist');
    insert.run('2026-01-08T10:00:00.000Z', 'anna ', null, 'client');
    insert.run('2026-01-09T10:00:00.000Z', '', null, 'client');
    insert.run('2026-01-10T10:00:00.000Z', 'Anna', null, 'client');
    old.close();

    const store = db.open();
    const anna = findClient(store, 'Anna');
    const other = findClient(store, 'anna ');
    expect(anna).toMatchObject({ name: 'Anna', createdAt: '2026-01-01T10:00:00.000Z' });
    expect(other).toBeDefined();
    const byId = Object.fromEntries(store.listSessions().map((s) => [s.id, s.clientId]));
    expect(byId).toEqual({ 1: anna?.id, 2: null, 3: other?.id, 4: null, 5: anna?.id });
  });
});

describe('readings', () => {
  it('all or nothing, and the same reading never twice', () => {
    const store = db.open();
    const client = createClient(store, NAME);
    const first = addReadings(store, client.id, [reading('2026-01-01T07:00:00'), reading('2026-01-02T07:00:00')]);
    expect(first).toMatchObject({ added: 2, duplicates: 0 });
    const again = addReadings(store, client.id, [reading('2026-01-01T07:00:00'), reading('2026-01-03T07:00:00')]);
    expect(again).toMatchObject({ added: 1, duplicates: 1 });
    // A reading the schema refuses (an unknown kind) fails the whole batch: none of it is stored.
    const bad = { ...reading('2026-01-05T07:00:00'), kind: 'noon' } as unknown as NewReading;
    expect(storeError(() => addReadings(store, client.id, [reading('2026-01-04T07:00:00'), bad])).code).toBe(
      'STORE_CONSTRAINT',
    );
    expect(readingsOfClient(store, client.id).map((r) => r.at)).toEqual([
      '2026-01-01T07:00:00',
      '2026-01-02T07:00:00',
      '2026-01-03T07:00:00',
    ]);
  });

  it('a client named for the first time is created with the readings, and not when they fail', () => {
    const store = db.open();
    const bad = { ...reading('2026-01-05T07:00:00'), kind: 'noon' } as unknown as NewReading;
    expect(() => addReadingsByName(store, NAME, [bad])).toThrow();
    expect(findClient(store, NAME)).toBeUndefined();
    expect(addReadingsByName(store, NAME, [reading('2026-01-05T07:00:00')])).toMatchObject({ created: true, added: 1 });
    expect(addReadingsByName(store, NAME, [reading('2026-01-06T07:00:00')])).toMatchObject({
      created: false,
      added: 1,
    });
  });
});

describe('rename and merge', () => {
  it('a taken name is refused; a merge says what would move, then moves it once confirmed', () => {
    const store = db.open();
    const a = createClient(store, 'A');
    const b = createClient(store, 'B', 'note of B');
    const session = store.createSession({ ...NEW_SESSION, clientLabel: 'B', clientId: b.id });
    addReadings(store, a.id, [reading('2026-01-01T07:00:00')]);
    addReadings(store, b.id, [reading('2026-01-01T07:00:00'), reading('2026-01-02T07:00:00')]);
    expect(storeError(() => updateClient(store, a.id, { name: 'B' })).code).toBe('STORE_NAME_TAKEN');
    const plan = mergeClients(store, b.id, a.id, false);
    expect(plan).toEqual({ from: b.id, into: a.id, sessions: 1, readings: 1, duplicateReadings: 1, merged: false });
    expect(findClient(store, 'B')).toBeDefined();
    expect(mergeClients(store, b.id, a.id, true).merged).toBe(true);
    expect(findClient(store, 'B')).toBeUndefined();
    expect(findClient(store, 'A')?.note).toBe('note of B');
    expect(readingsOfClient(store, a.id)).toHaveLength(2);
    expect(store.getSession(session.id)).toMatchObject({ clientId: a.id, clientLabel: 'A' });
  });
});

describe('deleting a client', () => {
  it('removes the record, its sessions and readings, and leaves no trace of them in the file', () => {
    const first = db.open();
    const client = createClient(first, NAME, NOTE);
    const s = first.createSession({ ...NEW_SESSION, clientLabel: NAME, clientId: client.id });
    first.endSession(s.id);
    addReadings(first, client.id, [reading('2026-01-01T07:00:00')]);
    first.close();
    const raw = () => fileBytes(db.path());
    for (const text of [NAME, NOTE, String(RR_MS)]) expect(raw().includes(Buffer.from(text))).toBe(true);

    const store = db.open();
    expect(deleteClient(store, client.id)).toEqual({ sessionIds: [s.id], beats: 0, readings: 1 });
    const bytes = raw();
    for (const text of [NAME, NOTE, String(RR_MS)]) expect(bytes.includes(Buffer.from(text)), text).toBe(false);
    expect(store.listSessions()).toEqual([]);
    store.close();
  });

  it('refuses while one of the sessions records, deleting nothing', () => {
    const store = db.open();
    const client = createClient(store, NAME);
    store.createSession({ ...NEW_SESSION, clientLabel: NAME, clientId: client.id });
    expect(storeError(() => deleteClient(store, client.id)).code).toBe('STORE_RECORDING');
    expect(findClient(store, NAME)).toBeDefined();
  });
});
