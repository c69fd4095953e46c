/**
 * A database that fails under a running store, on real files: locked, made read-only, on a full disk, damaged. Each
 * gives its StoreError code and a message naming the file and the way out; a refused batch leaves no row behind.
 * What fails for root, and what needs root, is written in test/helpers/disk-faults.ts.
 */
import { spawn } from 'node:child_process';
import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/domain/events.js';
import { SessionStore } from '../../src/store/session-store.js';
import { canChattr, canMount, damagePages, holdWriteLock, makeImmutable, smallDisk } from '../helpers/disk-faults.js';
import { beat, gap, metrics, NEW_SESSION, rowCounts, sample, status, storeError, tempDatabases } from './fixtures.js';

const db = tempDatabases();
beforeEach(db.setUp);
afterEach(db.tearDown);

const isRoot = process.getuid?.() === 0;

/** One turn's worth of events from beat `first` on: rows for samples, beats, metrics, statuses and gaps. */
function batch(first: number, count: number): PipelineEvent[] {
  const events: PipelineEvent[] = [status(first * 1000, { state: 'live' }), gap(first, first + 0.5, 'contact lost')];
  for (let i = first; i < first + count; i++) {
    events.push(sample(i * 1000, new Uint8Array([0x10, 60, 0, 4]), [1000]), beat(i, i + 1), metrics(i, i + 1));
  }
  return events;
}

/** A store with a session holding 10 beats, and the message prefix of a refused 12-beat batch. */
function recording(path = db.path(), options = {}) {
  const store = db.open(path, options);
  const { id } = store.createSession(NEW_SESSION);
  store.writeBatch(id, batch(0, 10));
  const refused = `${path}: `;
  const doing = `while writing a batch of ${batch(10, 12).length} events to session ${id} (nothing of the batch was stored)`;
  return { store, id, refused, doing };
}

describe('a database locked by another connection', () => {
  it('refuses the batch after the busy timeout, stores none of it, keeps reading, and writes once free', () => {
    const { store, id, refused, doing } = recording(db.path(), { busyTimeoutMs: 100 });
    const before = rowCounts(db.path(), id);
    const release = holdWriteLock(db.path());
    try {
      const startedMs = Date.now();
      const err = storeError(() => store.writeBatch(id, batch(10, 12)));
      expect(Date.now() - startedMs).toBeGreaterThanOrEqual(90);
      expect(err.code).toBe('STORE_LOCKED');
      expect(err.message).toBe(
        `${refused}locked by another process (database is locked) ${doing}. Stop the other tableside (or the ` +
          'program holding the file) and try again.',
      );
      expect(rowCounts(db.path(), id)).toEqual(before);
      expect(store.getBeats(id)).toHaveLength(10);
    } finally {
      release();
    }
    store.writeBatch(id, batch(10, 12));
    expect(rowCounts(db.path(), id).beats).toBe(22);
  });

  it('waits out a lock another process holds for less than the busy timeout, and stores the batch', async () => {
    const { store, id } = recording(db.path(), { busyTimeoutMs: 5000 });
    // Another process, as a `tableside sessions` run beside the daemon is: it holds the write lock for 300 ms.
    const holder = spawn(
      process.execPath,
      [
        '-e',
        `const db = new (require('better-sqlite3'))(process.argv[1]);
         db.exec('BEGIN IMMEDIATE');
         process.stdout.write('locked\\n');
         setTimeout(() => { db.exec('ROLLBACK'); db.close(); }, 300);`,
        db.path(),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    await new Promise((resolve) => holder.stdout.once('data', resolve));
    const startedMs = Date.now();
    store.writeBatch(id, batch(10, 12));
    expect(Date.now() - startedMs).toBeGreaterThanOrEqual(100);
    expect(rowCounts(db.path(), id).beats).toBe(22);
    await new Promise((resolve) => holder.once('exit', resolve));
  });
});

describe('tryWriteBatch: the live path does not wait on the busy timeout', () => {
  it('returns STORE_LOCKED at once while another connection holds the lock, stores nothing, and writes once free', () => {
    // A busy timeout longer than the test's own: a call that waited on it would time the test out.
    const { store, id, refused, doing } = recording(db.path(), { busyTimeoutMs: 60_000 });
    const before = rowCounts(db.path(), id);
    const release = holdWriteLock(db.path());
    try {
      const err = store.tryWriteBatch(id, batch(10, 12));
      expect(err?.code).toBe('STORE_LOCKED');
      expect(err?.message).toBe(
        `${refused}locked by another process (database is locked) ${doing}. Stop the other tableside (or the ` +
          'program holding the file) and try again.',
      );
      expect(rowCounts(db.path(), id)).toEqual(before);
    } finally {
      release();
    }
    // The connection's own busy timeout is back for everything else.
    expect(store.withConnection('reading', (c) => c.pragma('busy_timeout', { simple: true }))).toBe(60_000);
    expect(store.tryWriteBatch(id, batch(10, 12))).toBeNull();
    expect(rowCounts(db.path(), id).beats).toBe(22);
  });

  it('throws what is not a lock, with nothing stored', () => {
    const { store, id } = recording();
    const before = rowCounts(db.path(), id);
    // A beat stored twice breaks the schema's key.
    const err = storeError(() => store.tryWriteBatch(id, batch(5, 2)));
    expect(err.code).toBe('STORE_CONSTRAINT');
    expect(rowCounts(db.path(), id)).toEqual(before);
  });
});

describe('a database made read-only mid-session', () => {
  it('chmod does not stop the open store (permissions are checked at open); the next open is refused, except for root', () => {
    const { store, id } = recording();
    chmodSync(db.path(), 0o444);
    chmodSync(db.dir, 0o555);
    try {
      store.writeBatch(id, batch(10, 12));
      expect(rowCounts(db.path(), id).beats).toBe(22);
      store.close();
      if (isRoot) {
        // Root ignores permission bits: the file opens and is written as before.
        expect(SessionStore.open(db.path()).close()).toBeUndefined();
      } else {
        expect(storeError(() => SessionStore.open(db.path())).code).toBe('STORE_UNWRITABLE');
      }
    } finally {
      chmodSync(db.dir, 0o755);
      chmodSync(db.path(), 0o644);
    }
  });

  it.skipIf(!canChattr)(
    'an immutable file (stops root too) refuses the batch with STORE_UNWRITABLE; reads go on; writes once writable',
    () => {
      const { store, id, refused, doing } = recording();
      const before = rowCounts(db.path(), id);
      const undo = makeImmutable([db.path(), `${db.path()}-wal`]);
      try {
        const err = storeError(() => store.writeBatch(id, batch(10, 12)));
        expect(err.code).toBe('STORE_UNWRITABLE');
        expect(err.message).toBe(
          `${refused}the disk refused a write (disk I/O error, SQLITE_IOERR_WRITE) ${doing}. The file may have been ` +
            'made read-only or immutable, or its disk removed or failing: check the file and the disk, or choose ' +
            'another database path.',
        );
        expect(store.getBeats(id)).toHaveLength(10);
        expect(rowCounts(db.path(), id)).toEqual(before);
      } finally {
        undo();
      }
      store.writeBatch(id, batch(10, 12));
      expect(rowCounts(db.path(), id).beats).toBe(22);
    },
  );
});

describe.skipIf(!canMount)('a database on a full disk (a 1 MB tmpfs)', () => {
  let disk: ReturnType<typeof smallDisk>;
  beforeEach(() => {
    disk = smallDisk();
  });
  afterEach(() => {
    db.tearDown(); // the stores on the disk, before it goes
    disk.remove();
  });

  it('refuses the batch with STORE_FULL, stores none of it, keeps reading, and writes once there is room', () => {
    const path = join(disk.path, 'tableside.db');
    const { store, id, refused, doing } = recording(path);
    const before = rowCounts(path, id);
    disk.fill();

    const err = storeError(() => store.writeBatch(id, batch(10, 12)));
    expect(err.code).toBe('STORE_FULL');
    expect(err.message).toBe(`${refused}disk full ${doing}. Free some space and try again.`);
    expect(store.getBeats(id)).toHaveLength(10);
    expect(rowCounts(path, id)).toEqual(before);
    expect(storeError(() => store.endSession(id)).code).toBe('STORE_FULL');

    disk.free();
    store.writeBatch(id, batch(10, 12));
    expect(rowCounts(path, id).beats).toBe(22);
  });

  it('closes without throwing on a full disk, keeping its WAL for the next open', () => {
    const path = join(disk.path, 'tableside.db');
    const { store, id } = recording(path);
    store.writeBatch(id, batch(10, 12));
    disk.fill();
    expect(() => store.close()).not.toThrow();
    disk.free();
    expect(db.open(path).getBeats(id)).toHaveLength(22);
  });
});

describe('a damaged database', () => {
  it('mid-session: the next write and reads fail with STORE_CORRUPT, saying how to get the data back', () => {
    const { store, id, refused, doing } = recording();
    store.writeBatch(id, batch(10, 200));
    damagePages(db.path());

    const err = storeError(() => store.writeBatch(id, batch(210, 12)));
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toBe(
      `${refused}not a readable database (database disk image is malformed) ${doing}. Move the file aside (a new ` +
        'database is created in its place) or restore a backup (tableside restore FILE).',
    );
    expect(storeError(() => store.getBeats(id)).code).toBe('STORE_CORRUPT');
    expect(storeError(() => store.listSessions()).message).toMatch(/while listing sessions\. .*tableside restore/);
    expect(() => store.close()).not.toThrow();
  });

  it('at open: a file whose header is ours but whose pages are damaged is refused with STORE_CORRUPT', () => {
    const { store } = recording();
    store.writeBatch(1, batch(10, 200));
    store.close();
    damagePages(db.path());
    const err = storeError(() => SessionStore.open(db.path()));
    expect(err.code).toBe('STORE_CORRUPT');
    expect(err.message).toMatch(new RegExp(`^${db.path()}: not a readable database \\(.*\\) while opening\\.`));
  });
});
