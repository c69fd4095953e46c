/**
 * One daemon per database. A second daemon on the same file would take the first one's session for a crashed run's
 * (`recoverInterrupted` marks it interrupted while it still records) — so a daemon claims the database first, and a
 * second one is refused with the way out.
 *
 * The claim is an exclusive SQLite lock on a small companion file (`<db>.daemon-lock`), held by its own connection
 * for as long as the daemon runs. The operating system drops the lock when the process ends, however it ends (a
 * `kill -9`, a power cut): there is no stale pid file to clean up, and no pid that another process could have taken.
 * The database itself is not locked this way: the CLI's commands and backups open it beside a running daemon.
 * The companion file stays after the daemon stops (removing it could let two daemons lock two different files).
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './errors.js';

/** How long a claim waits for a daemon that is stopping (a restart right after a stop), ms. */
export const DAEMON_LOCK_WAIT_MS = 3000;
const RETRY_MS = 100;

export interface DaemonLock {
  /** the companion file that holds the lock */
  readonly path: string;
  /** Lets the database go (the daemon stops). Safe to call twice. */
  release(): void;
}

/** The companion file of the database at `dbPath`. */
export const daemonLockPath = (dbPath: string): string => `${dbPath}.daemon-lock`;

/**
 * Claims the database at `dbPath` for this daemon, waiting up to `waitMs` for one that is stopping; throws a
 * `STORE_IN_USE` StoreError when another daemon holds it. An in-memory database needs no claim.
 */
export async function claimDatabase(dbPath: string, waitMs = DAEMON_LOCK_WAIT_MS): Promise<DaemonLock> {
  if (dbPath === ':memory:') return { path: '', release: () => undefined };
  const path = daemonLockPath(dbPath);
  const until = Date.now() + waitMs;
  for (;;) {
    const lock = tryClaim(path, dbPath);
    if (lock) return lock;
    if (Date.now() >= until) {
      throw new StoreError(
        'STORE_IN_USE',
        dbPath,
        'another tableside daemon is running on this database: stop it first (Ctrl-C in its terminal), or give ' +
          'this one its own database with --db FILE.',
      );
    }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
  }
}

function tryClaim(path: string, dbPath: string): DaemonLock | null {
  let db: Database.Database;
  try {
    mkdirSync(dirname(path), { recursive: true });
    db = new Database(path, { timeout: 0 });
  } catch (err) {
    throw new StoreError(
      'STORE_UNWRITABLE',
      dbPath,
      `cannot create ${path}, which marks the database as taken by this daemon: ${(err as Error).message}`,
      { cause: err },
    );
  }
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // An exclusive transaction that is never committed: the lock lasts as long as the connection.
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) return null;
    throw new StoreError('STORE_FAILED', dbPath, `cannot lock ${path}: ${(err as Error).message}`, { cause: err });
  }
  let held = true;
  return {
    path,
    release: () => {
      if (!held) return;
      held = false;
      db.close();
    },
  };
}
