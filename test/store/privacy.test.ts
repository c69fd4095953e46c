/**
 * Deleting, purging, backing up and restoring, on real SQLite files. What is checked is what an outsider sees: the
 * rows another connection counts, and the bytes of the file and its WAL.
 */
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/domain/events.js';
import { backupTo, deleteSession, isInUse, purgeClient, restoreBackup } from '../../src/store/admin.js';
import type { StoreError } from '../../src/store/errors.js';
import { SessionStore } from '../../src/store/session-store.js';
import { APPLICATION_ID, MIGRATIONS, SCHEMA_VERSION } from '../../src/store/sql.js';
import type { NewSession } from '../../src/store/types.js';
import {
  beat,
  gap,
  metrics,
  NEW_SESSION,
  rowCounts,
  SESSION_TABLES,
  sample,
  status,
  storeError,
  tempDatabases,
} from './fixtures.js';

const db = tempDatabases();
beforeEach(db.setUp);
afterEach(db.tearDown);

const NONE = { sessions: 0, samples: 0, beats: 0, metrics: 0, gaps: 0, statuses: 0, phases: 0, markers: 0 };

/** An RR value no other number in the file has, and its bytes as SQLite stores a REAL (8 bytes, big-endian). */
const RR_MS = 987.6543212345;
const rrBytes = () => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(RR_MS);
  return b;
};
const SECRET: NewSession = {
  ...NEW_SESSION,
  clientLabel: 'Zephyrine Quackenbush',
  therapistNote: 'migraine since the accident, sleeps badly',
};
const MARKER_VALUE = 'left trapezius very tender';

/** A session with a row in every table: samples, beats, metrics, a gap, a status, a phase and a marker. */
function fill(store: SessionStore, session: NewSession = SECRET, beats = 40): number {
  const { id } = store.createSession(session);
  store.setPhase(id, 'baseline', 0);
  const events: PipelineEvent[] = [status(0, { state: 'live', reason: 'strap on the client' })];
  for (let i = 0; i < beats; i++) {
    events.push(sample(i * 1000, new Uint8Array([0x10, 60, 0xd0, 0x03]), [RR_MS]));
    events.push(beat(i, (i + 1) * 0.9876543212345, RR_MS, i === 20));
    events.push(metrics(i, (i + 1) * 0.9876543212345));
  }
  events.push(gap(19 * 0.9876543212345, 20 * 0.9876543212345, 'link lost'));
  store.writeBatch(id, events);
  store.addMarker(id, { kind: 'note', value: MARKER_VALUE, atS: 3 });
  return id;
}

/** The database file and its WAL, as a disk would give them to anyone who reads it. */
function fileBytes(path: string): Buffer {
  const wal = `${path}-wal`;
  return Buffer.concat([readFileSync(path), existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0)]);
}

function holds(bytes: Buffer): string[] {
  const found: string[] = [];
  for (const text of [SECRET.clientLabel, SECRET.therapistNote, MARKER_VALUE, String(RR_MS)]) {
    if (bytes.includes(Buffer.from(text, 'utf8'))) found.push(text);
  }
  if (bytes.includes(rrBytes())) found.push('the RR value as a REAL');
  return found;
}

describe('deleting a session', () => {
  it('removes every row of the session and of its companion stream, and nothing of another session', () => {
    const store = db.open();
    const id = fill(store);
    const companion = fill(store, { ...NEW_SESSION, stream: 'therapist', groupId: id });
    const kept = fill(store, { ...NEW_SESSION, clientLabel: 'someone else' });
    for (const s of [id, companion, kept]) store.endSession(s);
    const before = rowCounts(db.path(), kept);
    for (const table of SESSION_TABLES) expect(rowCounts(db.path(), id)[table], table).toBeGreaterThan(0);

    expect(deleteSession(store, id)).toBe(true);

    // ON DELETE CASCADE only works with foreign keys on: the store's connection must have set them.
    expect(rowCounts(db.path(), id)).toEqual(NONE);
    expect(rowCounts(db.path(), companion)).toEqual(NONE);
    expect(rowCounts(db.path(), kept)).toEqual(before);
  });

  it('overwrites the deleted rows in the file and its WAL, while the store stays open', () => {
    const first = db.open();
    const id = fill(first);
    first.endSession(id);
    first.close(); // the session now sits in the main file, not only in the WAL
    const store = db.open();
    expect(holds(fileBytes(db.path()))).toHaveLength(5);

    deleteSession(store, id);

    // Read as a running daemon would leave it: its connection still open.
    expect(holds(fileBytes(db.path()))).toEqual([]);
  });

  it('is needed: without secure_delete the same delete leaves the client readable in the file', () => {
    const store = db.open();
    const id = fill(store);
    store.endSession(id);
    store.close();
    const raw = new Database(db.path());
    raw.pragma('foreign_keys = ON');
    raw.pragma('secure_delete = OFF');
    raw.prepare('DELETE FROM sessions WHERE id = ?').run(id);
    raw.pragma('wal_checkpoint(TRUNCATE)');
    raw.close();
    expect(holds(fileBytes(db.path()))).toContain(SECRET.clientLabel);
  });

  it('refuses the session being recorded, and its id stays gone once deleted', () => {
    const store = db.open();
    const id = fill(store);
    const err = storeError(() => deleteSession(store, id));
    expect(err.code).toBe('STORE_RECORDING');
    expect(err.message).toBe(`${db.path()}: session ${id} is still recording: end it before deleting it.`);
    expect(rowCounts(db.path(), id).beats).toBe(40);
  });
});

describe('purging a client', () => {
  it('deletes exactly the sessions with that label (and their companion streams), in one go', () => {
    const store = db.open();
    const a1 = fill(store, { ...SECRET, clientLabel: 'Anna' }, 10);
    const a1Companion = fill(store, { ...NEW_SESSION, clientLabel: '', stream: 'therapist', groupId: a1 }, 5);
    const a2 = fill(store, { ...SECRET, clientLabel: 'Anna' }, 20);
    const others = [
      fill(store, { ...SECRET, clientLabel: 'anna' }, 3),
      fill(store, { ...SECRET, clientLabel: 'Anna ' }, 3),
      fill(store, { ...SECRET, clientLabel: 'Annabel' }, 3),
    ];
    for (const s of store.listSessions()) store.endSession(s.id);

    expect(purgeClient(store, 'Anna')).toEqual({ sessionIds: [a1, a1Companion, a2], beats: 35, readings: 0 });
    for (const s of [a1, a1Companion, a2]) expect(rowCounts(db.path(), s)).toEqual(NONE);
    expect(store.listSessions().map((s) => s.id)).toEqual([...others].reverse());
    expect(purgeClient(store, 'Anna')).toEqual({ sessionIds: [], beats: 0, readings: 0 });
  });

  it('deletes nothing while one of the sessions is recording', () => {
    const store = db.open();
    const ended = fill(store, { ...SECRET, clientLabel: 'Anna' }, 10);
    store.endSession(ended);
    const recording = fill(store, { ...SECRET, clientLabel: 'Anna' }, 10);

    const err = storeError(() => purgeClient(store, 'Anna'));
    expect(err.code).toBe('STORE_RECORDING');
    expect(err.message).toBe(
      `${db.path()}: session ${recording} of this client is still recording: end it first; nothing was deleted.`,
    );
    expect(rowCounts(db.path(), ended).beats).toBe(10);
    expect(rowCounts(db.path(), recording).beats).toBe(10);
  });

  it('leaves no trace of the client in the file', () => {
    const store = db.open();
    for (let i = 0; i < 3; i++) store.endSession(fill(store));
    store.close();
    const again = db.open();
    expect(purgeClient(again, SECRET.clientLabel).sessionIds).toHaveLength(3);
    expect(holds(fileBytes(db.path()))).toEqual([]);
  });
});

describe('backup', () => {
  it('copies every session into a file that opens as a tableside database, while the store goes on writing', async () => {
    const store = db.open();
    const ended = fill(store);
    store.endSession(ended);
    const live = fill(store, { ...NEW_SESSION, clientLabel: 'live' }, 10);
    const target = db.path('backup.db');

    const result = await backupTo(store, target);
    store.writeBatch(live, [beat(10, 100)]); // after the backup: not in it

    expect(result).toEqual({ path: target, bytes: readFileSync(target).length, sessions: 2 });
    const copy = db.open(target);
    expect(copy.getBeats(ended)).toEqual(store.getBeats(ended));
    expect(copy.getMarkers(ended)).toEqual(store.getMarkers(ended));
    expect(copy.getSession(live)?.beatCount).toBe(10);
    expect(store.getSession(live)?.beatCount).toBe(11);
    expect(readdirSync(db.dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('refuses to overwrite a file unless told to, and then leaves no stale WAL beside it', async () => {
    const store = db.open();
    store.endSession(fill(store));
    const target = db.path('backup.db');
    writeFileSync(target, 'precious');

    const err = await backupTo(store, target).catch((e: unknown) => e as StoreError);
    expect(err).toMatchObject({ code: 'STORE_UNWRITABLE', message: `${target}: exists already; it was not changed.` });
    expect(readFileSync(target, 'utf8')).toBe('precious');

    // A WAL from another database beside the target would be replayed into the backup and damage it.
    writeFileSync(`${target}-wal`, Buffer.alloc(4096, 7));
    await backupTo(store, target, { overwrite: true });
    expect(existsSync(`${target}-wal`)).toBe(false);
    expect(db.open(target).listSessions()).toHaveLength(1);
  });

  it('refuses the database itself and a folder that does not exist, naming them', async () => {
    const store = db.open();
    await expect(backupTo(store, db.path(), { overwrite: true })).rejects.toMatchObject({
      code: 'STORE_UNWRITABLE',
      message: `${db.path()}: is the database itself: choose another file for the backup.`,
    });
    const nowhere = join(db.dir, 'no-such-folder', 'backup.db');
    await expect(backupTo(store, nowhere)).rejects.toMatchObject({
      message: `${nowhere}: its folder ${join(db.dir, 'no-such-folder')} does not exist.`,
    });
  });
});

describe('isInUse', () => {
  it('sees another open connection, and creates nothing when there is no file', () => {
    expect(isInUse(db.path())).toBe(false);
    expect(existsSync(db.path())).toBe(false);
    const store = db.open();
    expect(isInUse(db.path())).toBe(true);
    store.close();
    expect(isInUse(db.path())).toBe(false);
  });
});

describe('restore', () => {
  /** A database with one session of `label`, closed. */
  function database(path: string, label: string): void {
    const store = SessionStore.open(path);
    store.endSession(fill(store, { ...SECRET, clientLabel: label }, 12));
    store.close();
  }

  it('puts the backup in place, keeps the old database as .before-restore, and leaves the backup untouched', () => {
    database(db.path('backup.db'), 'from the backup');
    database(db.path(), 'recorded since');
    const backupBytes = readFileSync(db.path('backup.db'));

    const result = restoreBackup(db.path('backup.db'), db.path());

    expect(result).toEqual({ path: db.path(), sessions: 1, previous: `${db.path()}.before-restore` });
    expect(
      db
        .open()
        .listSessions()
        .map((s) => s.clientLabel),
    ).toEqual(['from the backup']);
    expect(
      db
        .open(`${db.path()}.before-restore`)
        .listSessions()
        .map((s) => s.clientLabel),
    ).toEqual(['recorded since']);
    expect(readFileSync(db.path('backup.db')).equals(backupBytes)).toBe(true);
    expect(readdirSync(db.dir).filter((f) => f.includes('restoring'))).toEqual([]);
  });

  it('keeps the commits a killed daemon left in the WAL with the old database', () => {
    database(db.path('backup.db'), 'from the backup');
    const crashed = SessionStore.open(db.path());
    crashed.endSession(fill(crashed, { ...SECRET, clientLabel: 'only in the WAL' }));
    // A copy of the file and its WAL as a SIGKILL leaves them: the connection above is never closed on these.
    const killed = db.path('killed.db');
    copyFileSync(db.path(), killed);
    copyFileSync(`${db.path()}-wal`, `${killed}-wal`);
    crashed.close();

    restoreBackup(db.path('backup.db'), killed);
    expect(
      db
        .open(`${killed}.before-restore`)
        .listSessions()
        .map((s) => s.clientLabel),
    ).toEqual(['only in the WAL']);
  });

  it('brings a backup from an older tableside up to the current schema', () => {
    const old = new Database(db.path('v1.db'));
    old.exec(MIGRATIONS[0].sql);
    old.pragma(`user_version = ${MIGRATIONS[0].version}`);
    old.pragma(`application_id = ${APPLICATION_ID}`);
    old.close();

    expect(restoreBackup(db.path('v1.db'), db.path())).toMatchObject({ sessions: 0, previous: null });
    const raw = new Database(db.path(), { readonly: true });
    expect(raw.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    raw.close();
  });

  describe('refuses, changing nothing', () => {
    let before: Buffer;
    beforeEach(() => {
      database(db.path(), 'current');
      before = readFileSync(db.path());
    });
    afterEach(() => {
      expect(readFileSync(db.path()).equals(before)).toBe(true);
      expect(
        db
          .open()
          .listSessions()
          .map((s) => s.clientLabel),
      ).toEqual(['current']);
      expect(readdirSync(db.dir).filter((f) => f.includes('restoring') || f.includes('before-restore'))).toEqual(
        existsSync(`${db.path()}.before-restore`) ? ['tableside.db.before-restore'] : [],
      );
    });
    const nothing = () => `nothing was restored, ${db.path()} is as it was.`;

    it('a backup that is not there', () => {
      const err = storeError(() => restoreBackup(db.path('missing.db'), db.path()));
      expect(err.code).toBe('STORE_NOT_FOUND');
      expect(err.message).toBe(`${db.path('missing.db')}: no such file; ${nothing()}`);
    });

    it('a file that is not a database, and a damaged one', () => {
      writeFileSync(db.path('junk.db'), Buffer.alloc(8192, 0x5a));
      const junk = storeError(() => restoreBackup(db.path('junk.db'), db.path()));
      expect(junk.code).toBe('STORE_CORRUPT');
      expect(junk.message).toBe(
        `${db.path('junk.db')}: not a readable database (damaged, or not an SQLite file); ${nothing()}`,
      );

      // A real tableside database with its table pages overwritten: the header still says it is ours.
      database(db.path('damaged.db'), 'damaged');
      const bytes = readFileSync(db.path('damaged.db'));
      bytes.fill(0xa5, 4096);
      writeFileSync(db.path('damaged.db'), bytes);
      expect(storeError(() => restoreBackup(db.path('damaged.db'), db.path())).code).toBe('STORE_CORRUPT');
    });

    it("another program's database, and one from a newer tableside", () => {
      const other = new Database(db.path('other.db'));
      other.exec('CREATE TABLE contacts (name TEXT)');
      other.close();
      expect(storeError(() => restoreBackup(db.path('other.db'), db.path())).message).toBe(
        `${db.path('other.db')}: an SQLite database that tableside did not make; ${nothing()}`,
      );

      database(db.path('newer.db'), 'newer');
      const newer = new Database(db.path('newer.db'));
      newer.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
      newer.close();
      const err = storeError(() => restoreBackup(db.path('newer.db'), db.path()));
      expect(err.code).toBe('STORE_TOO_NEW');
      expect(err.message).toBe(
        `${db.path('newer.db')}: written by a newer tableside (schema version ${SCHEMA_VERSION + 1}; this one ` +
          `knows up to ${SCHEMA_VERSION}): update tableside, then restore; ${nothing()}`,
      );
    });

    it('while the database is open elsewhere (a daemon running on it)', () => {
      database(db.path('backup.db'), 'backup');
      const daemon = SessionStore.open(db.path());
      try {
        const err = storeError(() => restoreBackup(db.path('backup.db'), db.path()));
        expect(err.code).toBe('STORE_LOCKED');
        expect(err.message).toBe(
          `${db.path()}: in use by a running tableside (or another program): stop it, then restore. Nothing was restored.`,
        );
      } finally {
        daemon.close();
      }
      // The daemon's own open and close rewrote the header; what it holds is checked after each test.
      before = readFileSync(db.path());
    });

    it('while an earlier .before-restore is still there', () => {
      database(db.path('backup.db'), 'backup');
      writeFileSync(`${db.path()}.before-restore`, 'an earlier database');
      expect(storeError(() => restoreBackup(db.path('backup.db'), db.path())).message).toBe(
        `${db.path()}.before-restore: is there from an earlier restore: move it somewhere safe (or delete it), then ` +
          `restore again; ${nothing()}`,
      );
      expect(readFileSync(`${db.path()}.before-restore`, 'utf8')).toBe('an earlier database');
    });
  });
});
