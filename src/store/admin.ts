/**
 * The store's administration: deleting a session or all of a client's sessions, backing the database up while a
 * daemon may record into it, and putting a backup back (README, Privacy). The CLI's privacy commands and the REST
 * API's delete use it; the recording path never does. Every function refuses with a StoreError that names the file
 * and says that nothing was changed.
 */
import { copyFileSync, existsSync, mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError, type StoreErrorCode, toStoreError } from './errors.js';
import { SessionStore, type StoreOptions } from './session-store.js';
import type { StoredSession } from './types.js';

/** Deletes a session and everything stored with it. False if there was none; refused while it is recording. */
export function deleteSession(store: SessionStore, sessionId: number): boolean {
  const session = store.getSession(sessionId);
  if (!session) return false;
  if (session.status === 'recording') {
    throw new StoreError(
      'STORE_RECORDING',
      store.path,
      `session ${sessionId} is still recording: end it before deleting it.`,
    );
  }
  const deleted = store.withConnection(
    `deleting session ${sessionId}`,
    (_db, s) => s.sessionDelete.run(sessionId).changes > 0,
  );
  if (deleted) store.clearWal();
  return deleted;
}

/**
 * Deletes a client by name: the client of exactly this name with everything on their record (sessions with their
 * companion streams, readings), and every other session whose label is exactly `clientLabel`, in one transaction:
 * all of it or none. Refused (STORE_RECORDING, nothing deleted) while one of the sessions is recording. Deleted rows
 * are overwritten with zeros (`secure_delete`) and the WAL is emptied.
 */
export function purgeClient(store: SessionStore, clientLabel: string): PurgeResult {
  // The label stays out of the message: store errors reach the daemon's log.
  const removed = store.withConnection("deleting a client's sessions", (db, s) =>
    db
      .transaction((): { sessions: StoredSession[]; readings: number } => {
        const client = s.clientByName.get(clientLabel);
        const sessions = store.listSessions();
        const ids = new Set(
          sessions
            .filter(
              (x) =>
                (client !== undefined && x.clientId === client.id) ||
                (x.clientLabel === clientLabel && x.groupId === null),
            )
            .map((x) => x.id),
        );
        // Companion streams go with their session (ON DELETE CASCADE): count and check them too.
        const doomed = sessions.filter((x) => ids.has(x.id) || (x.groupId !== null && ids.has(x.groupId)));
        const recording = doomed.filter((x) => x.status === 'recording').map((x) => x.id);
        if (recording.length > 0) {
          throw new StoreError(
            'STORE_RECORDING',
            store.path,
            `session ${recording.join(', ')} of this client is still recording: end it first; nothing was deleted.`,
          );
        }
        for (const id of ids) s.sessionDelete.run(id);
        let readings = 0;
        if (client) {
          readings = s.readingsCount.get(client.id)?.n ?? 0;
          s.clientDelete.run(client.id);
        }
        return { sessions: doomed.sort((a, b) => a.id - b.id), readings };
      })
      .immediate(),
  );
  if (removed.sessions.length > 0 || removed.readings > 0) store.clearWal();
  return {
    sessionIds: removed.sessions.map((x) => x.id),
    beats: removed.sessions.reduce((n, x) => n + x.beatCount, 0),
    readings: removed.readings,
  };
}

/**
 * Copies the whole database to `destination` with SQLite's online backup, consistent as of one moment, while a
 * daemon may go on recording into it. The copy is written beside `destination` and renamed into place, so a
 * failed backup never leaves half a file under that name. An existing file is refused unless `overwrite`.
 */
export async function backupTo(
  store: SessionStore,
  destination: string,
  options: { overwrite?: boolean } = {},
): Promise<BackupResult> {
  const db = store.withConnection('starting a backup', (connection) => connection);
  const target = resolve(destination);
  if (target === resolve(store.path)) {
    throw new StoreError(
      'STORE_UNWRITABLE',
      destination,
      'is the database itself: choose another file for the backup.',
    );
  }
  if (!existsSync(dirname(target))) {
    throw new StoreError('STORE_UNWRITABLE', destination, `its folder ${dirname(target)} does not exist.`);
  }
  if (existsSync(target)) {
    if (!options.overwrite) {
      throw new StoreError('STORE_UNWRITABLE', destination, 'exists already; it was not changed.');
    }
    if (isInUse(target)) {
      throw new StoreError(
        'STORE_LOCKED',
        destination,
        'is a database in use by a running program; it was not changed.',
      );
    }
  }
  const partial = `${target}.partial-${process.pid}`;
  try {
    // All pages in one step: a step interrupted by another process's commit starts over, and a recording daemon
    // commits about once a second, so small steps could restart for ever on a large file.
    await db.backup(partial, { progress: () => 0x7fffffff });
    // A WAL left beside the old file would be replayed into the new one, corrupting it.
    for (const leftover of [`${target}-wal`, `${target}-shm`]) rmSync(leftover, { force: true });
    renameSync(partial, target);
  } catch (err) {
    for (const file of [partial, `${partial}-wal`, `${partial}-shm`]) rmSync(file, { force: true });
    throw toStoreError(err, destination, 'writing a backup (no backup was made)');
  }
  return { path: target, bytes: statSync(target).size, sessions: store.listSessions().length };
}

/**
 * Whether another connection has the database at `path` open: a running tableside, or any program. In WAL mode
 * every open connection holds a shared lock on the file for as long as it is open, so an exclusive lock that
 * cannot be had at once means someone else holds the file. False when there is no file (nothing is created).
 * Call it before opening a store on `path`: the store's own connection counts as someone else.
 */
export function isInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  let db: Database.Database;
  try {
    db = new Database(path, { fileMustExist: true, timeout: 0 });
  } catch {
    return false;
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE; COMMIT');
    return false;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
  } finally {
    db.close();
  }
}

/**
 * Puts the backup at `backupPath` in place of the database at `dbPath`. The backup must pass the store's own open
 * checks (a tableside database, not from a newer tableside, brought up to the current schema) and SQLite's
 * integrity check; it is checked on a copy, so the backup file itself is never changed. A session the backup caught
 * recording is restored as interrupted. The database it replaces is kept as `<dbPath>.before-restore`. Refused while the database is in use (a daemon running on it) and when a
 * `.before-restore` file is there already; on any refusal nothing was changed.
 */
export function restoreBackup(backupPath: string, dbPath: string, options: StoreOptions = {}): RestoreResult {
  const nothing = `nothing was restored, ${dbPath} is as it was.`;
  if (!existsSync(backupPath)) throw new StoreError('STORE_NOT_FOUND', backupPath, `no such file; ${nothing}`);
  if (resolve(backupPath) === resolve(dbPath)) {
    throw new StoreError('STORE_UNWRITABLE', backupPath, `is the database itself; ${nothing}`);
  }
  if (isInUse(dbPath)) {
    throw new StoreError(
      'STORE_LOCKED',
      dbPath,
      'in use by a running tableside (or another program): stop it, then restore. Nothing was restored.',
    );
  }
  const kept = `${dbPath}.before-restore`;
  if (existsSync(kept)) {
    throw new StoreError(
      'STORE_UNWRITABLE',
      kept,
      `is there from an earlier restore: move it somewhere safe (or delete it), then restore again; ${nothing}`,
    );
  }
  try {
    mkdirSync(dirname(dbPath), { recursive: true });
  } catch (err) {
    throw toStoreError(err, dbPath, 'creating its folder for a restore');
  }

  // Check (and migrate) a copy beside the database, so that putting it in place is one rename.
  const copy = `${dbPath}.restoring-${process.pid}`;
  const removeCopy = () => {
    for (const file of [copy, `${copy}-wal`, `${copy}-shm`]) rmSync(file, { force: true });
  };
  let sessions: number;
  try {
    copyFileSync(backupPath, copy);
    // A backup taken as a plain file copy of a live database keeps its newest commits in the WAL beside it.
    if (existsSync(`${backupPath}-wal`)) copyFileSync(`${backupPath}-wal`, `${copy}-wal`);
  } catch (err) {
    removeCopy();
    throw toStoreError(err, dbPath, 'copying the backup beside the database (nothing was restored)');
  }
  try {
    const checked = new SessionStore(copy, { ...options, log: undefined }).open();
    try {
      const problems = checked.withConnection('checking the backup', (db) =>
        db.pragma('integrity_check', { simple: true }),
      );
      if (problems !== 'ok') {
        throw new StoreError('STORE_CORRUPT', backupPath, `damaged (${String(problems)}); ${nothing}`);
      }
      // A backup taken during a session holds it as recording; once restored, nothing records it any more.
      checked.recoverInterrupted();
      sessions = checked.listSessions().length;
    } finally {
      checked.close();
    }
  } catch (err) {
    removeCopy();
    throw restoreRefusal(err, backupPath, nothing);
  }

  let previous: string | null = null;
  try {
    if (existsSync(dbPath)) {
      foldWal(dbPath);
      renameSync(dbPath, kept);
      previous = kept;
      // Whatever the WAL still holds (a file too damaged to checkpoint) goes with it; the index is rebuilt.
      if (existsSync(`${dbPath}-wal`)) renameSync(`${dbPath}-wal`, `${kept}-wal`);
      rmSync(`${dbPath}-shm`, { force: true });
    }
    renameSync(copy, dbPath);
    // Normally gone with the copy's close; if its checkpoint failed, the migrated copy's last writes are in it.
    if (existsSync(`${copy}-wal`)) renameSync(`${copy}-wal`, `${dbPath}-wal`);
    rmSync(`${copy}-shm`, { force: true });
  } catch (err) {
    removeCopy();
    throw toStoreError(err, dbPath, `putting the backup in place${previous ? ` (the old database is ${kept})` : ''}`);
  }
  options.log?.info({ path: dbPath, sessions, previous }, 'store restored from a backup');
  return { path: dbPath, sessions, previous };
}

export interface PurgeResult {
  /** the sessions deleted, companion streams included, in id order */
  readonly sessionIds: readonly number[];
  /** the beats they held */
  readonly beats: number;
  /** the readings on the client's record */
  readonly readings: number;
}

export interface BackupResult {
  /** the backup file, absolute */
  readonly path: string;
  readonly bytes: number;
  readonly sessions: number;
}

export interface RestoreResult {
  readonly path: string;
  /** the sessions the restored database holds */
  readonly sessions: number;
  /** where the database it replaced is kept, or null when there was none */
  readonly previous: string | null;
}

/** Writes a database's WAL back into its file before the file is moved; a damaged file is moved as it is. */
function foldWal(path: string): void {
  try {
    const db = new Database(path, { fileMustExist: true, timeout: 0 });
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } finally {
      db.close();
    }
  } catch {
    // Moved with its WAL instead: nothing is lost, it is only not folded in.
  }
}

/** A backup that fails the checks, in words that name the backup (the checks ran on a copy). */
function restoreRefusal(err: unknown, backupPath: string, nothing: string): StoreError {
  const e = toStoreError(err, backupPath, 'checking the backup');
  if (e.path === backupPath && e.message.includes(nothing)) return e;
  const versions = /schema version \d+; this one knows up to \d+/.exec(e.message)?.[0] ?? 'a newer schema';
  const why: Partial<Record<StoreErrorCode, string>> = {
    STORE_CORRUPT: 'not a readable database (damaged, or not an SQLite file)',
    STORE_NOT_TABLESIDE: 'an SQLite database that tableside did not make',
    STORE_TOO_NEW: `written by a newer tableside (${versions}): update tableside, then restore`,
  };
  return new StoreError(e.code, backupPath, `${why[e.code] ?? `cannot be restored (${e.message})`}; ${nothing}`, {
    cause: e,
  });
}
