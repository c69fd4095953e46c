import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/store/session-store.js';
import { APPLICATION_ID, SCHEMA_VERSION } from '../../src/store/sql.js';
import { beats, NEW_SESSION, storeError, tempDatabases } from './fixtures.js';

const db = tempDatabases();
beforeEach(db.setUp);
afterEach(db.tearDown);

/** Reads header values with a separate raw connection. */
function header(path: string) {
  const raw = new Database(path, { readonly: true });
  try {
    return {
      userVersion: raw.pragma('user_version', { simple: true }),
      applicationId: raw.pragma('application_id', { simple: true }),
      journalMode: raw.pragma('journal_mode', { simple: true }),
      tables: (
        raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).all() as {
          name: string;
        }[]
      ).map((t) => t.name),
    };
  } finally {
    raw.close();
  }
}

describe('opening', () => {
  it('creates the folder, the schema at the current version, in WAL mode', () => {
    const path = join(db.dir, 'nested', 'deeper', 'tableside.db');
    db.open(path).close();
    expect(header(path)).toEqual({
      userVersion: SCHEMA_VERSION,
      applicationId: APPLICATION_ID,
      journalMode: 'wal',
      tables: [
        'beats',
        'clients',
        'gaps',
        'markers',
        'metrics',
        'outbox',
        'phases',
        'readings',
        'samples',
        'session_values',
        'sessions',
        'sqlite_sequence',
        'statuses',
        'store_meta',
      ],
    });
  });

  it('reopens an existing database without migrating again, keeping its data', () => {
    const first = db.open();
    const { id } = first.createSession(NEW_SESSION);
    first.writeBatch(id, beats(0, 5));
    first.close();

    const second = db.open();
    expect(second.getSession(id)?.clientLabel).toBe('client A');
    expect(second.getBeats(id)).toHaveLength(5);
    expect(header(db.path()).userVersion).toBe(SCHEMA_VERSION);
  });

  it('refuses a database from a newer tableside and leaves it unchanged', () => {
    db.open().close();
    const raw = new Database(db.path());
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    const before = readFileSync(db.path());

    const err = storeError(() => SessionStore.open(db.path()));
    expect(err.code).toBe('STORE_TOO_NEW');
    expect(err.path).toBe(db.path());
    expect(err.message).toContain(db.path());
    expect(err.message).toContain(`schema version ${SCHEMA_VERSION + 1}`);
    expect(err.message).toMatch(/Update tableside/);
    expect(readFileSync(db.path()).equals(before)).toBe(true);
  });

  it('refuses an SQLite database that another program made', () => {
    const raw = new Database(db.path());
    raw.exec('CREATE TABLE contacts (name TEXT)');
    raw.close();

    const err = storeError(() => SessionStore.open(db.path()));
    expect(err.code).toBe('STORE_NOT_TABLESIDE');
    expect(err.message).toContain(db.path());
    expect(header(db.path()).tables).toEqual(['contacts']);
  });

  it('gives STORE_CORRUPT, naming the path, for a file of random bytes', () => {
    // Deterministic "random" bytes (an LCG), so a failure can be replayed.
    const bytes = Buffer.alloc(16_384);
    let x = 12_345;
    for (let i = 0; i < bytes.length; i++) {
      x = (x * 1_103_515_245 + 12_345) >>> 0;
      bytes[i] = x >>> 24;
    }
    writeFileSync(db.path(), bytes);

    const err = storeError(() => SessionStore.open(db.path()));
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toContain(db.path());
    expect(err.message).toMatch(/Move the file aside/);
  });

  it('gives STORE_UNWRITABLE, naming the path, when a regular file stands where its folder should be', () => {
    // Tests run as root, which ignores permission bits: a file as the parent fails for everyone.
    writeFileSync(join(db.dir, 'blocker'), 'not a folder');
    const path = join(db.dir, 'blocker', 'sessions', 'tableside.db');

    const err = storeError(() => SessionStore.open(path));
    expect(err.code).toBe('STORE_UNWRITABLE');
    expect(err.path).toBe(path);
    expect(err.message).toContain(path);
    expect(err.message).toMatch(/written by this user, or choose another database path/);
  });

  it('gives STORE_UNWRITABLE when the path is a folder', () => {
    const path = join(db.dir, 'a-folder');
    mkdirSync(path);
    expect(storeError(() => SessionStore.open(path)).code).toBe('STORE_UNWRITABLE');
  });

  it('gives STORE_LOCKED when another connection holds the write lock past the busy timeout', () => {
    db.open().close();
    const other = new Database(db.path());
    other.exec('BEGIN IMMEDIATE');
    try {
      const err = storeError(() => SessionStore.open(db.path(), { busyTimeoutMs: 50 }));
      expect(err.code).toBe('STORE_LOCKED');
      expect(err.message).toContain(db.path());
    } finally {
      other.exec('ROLLBACK');
      other.close();
    }
  });

  it('does no I/O in the constructor, and refuses calls before open and after close', () => {
    const path = join(db.dir, 'never', 'tableside.db');
    const store = new SessionStore(path);
    expect(() => readFileSync(path)).toThrow();
    expect(store.isOpen).toBe(false);
    expect(storeError(() => store.listSessions()).code).toBe('STORE_CLOSED');

    store.open();
    expect(store.isOpen).toBe(true);
    store.close();
    store.close();
    expect(storeError(() => store.createSession(NEW_SESSION)).code).toBe('STORE_CLOSED');
  });

  it('works in memory too (for other modules’ tests)', () => {
    const store = db.open(':memory:');
    const { id } = store.createSession(NEW_SESSION);
    store.writeBatch(id, beats(0, 3));
    expect(store.getBeats(id)).toHaveLength(3);
  });
});
