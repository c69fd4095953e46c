/** Why the store refused or failed. Stable strings: the daemon, the server and tests key on them. */
export type StoreErrorCode =
  /**
   * the file or its folder cannot be created or written (permissions, a file where a folder should be, read-only, a
   * disk that refuses writes), or a file is there that must not be overwritten (a backup, a `.before-restore`)
   */
  | 'STORE_UNWRITABLE'
  /** not an SQLite database, or a damaged one */
  | 'STORE_CORRUPT'
  /** an SQLite database, but not one tableside made */
  | 'STORE_NOT_TABLESIDE'
  /** written by a newer tableside: its schema is newer than this one knows */
  | 'STORE_TOO_NEW'
  /** another process held the database longer than the busy timeout */
  | 'STORE_LOCKED'
  /** the disk is full */
  | 'STORE_FULL'
  /** a write broke a rule of the schema (a beat stored twice, an unknown phase kind…) */
  | 'STORE_CONSTRAINT'
  /** no such session or marker (or no such backup file to restore) */
  | 'STORE_NOT_FOUND'
  /** the session is still recording (end it first) */
  | 'STORE_RECORDING'
  /** a client of that name exists already (rename or create) */
  | 'STORE_NAME_TAKEN'
  /** the session has ended: its phases can no longer change */
  | 'STORE_ENDED'
  /** the store is not open (never opened, or closed) */
  | 'STORE_CLOSED'
  /** another daemon runs on this database (src/store/daemon-lock.ts) */
  | 'STORE_IN_USE'
  /** anything else SQLite or the file system reported */
  | 'STORE_FAILED';

/** The one error type the store throws. The message starts with the database path and says what to do. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  readonly path: string;

  constructor(code: StoreErrorCode, path: string, reason: string, options?: ErrorOptions) {
    super(`${path}: ${reason}`, options);
    this.code = code;
    this.path = path;
  }
}

/** SQLite's extended codes for a write (or the flush of one) that the disk refused. */
const WRITE_IOERRS = ['SQLITE_IOERR_WRITE', 'SQLITE_IOERR_FSYNC', 'SQLITE_IOERR_DIR_FSYNC', 'SQLITE_IOERR_TRUNCATE'];

/** SQLite's extended code (`SQLITE_CONSTRAINT_PRIMARYKEY`) or Node's errno code (`ENOTDIR`), when there is one. */
function codeOf(err: unknown): string {
  if (typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string') return err.code;
  return '';
}

/**
 * Turns what better-sqlite3 or `fs` threw into a `StoreError` that names the path and the way out.
 *
 * @param doing what the store was doing, as a phrase: "opening", "writing a batch of 12 events to session 3"
 */
export function toStoreError(err: unknown, path: string, doing: string): StoreError {
  if (err instanceof StoreError) return err;
  const code = codeOf(err);
  const detail = err instanceof Error ? err.message : String(err);
  const options = { cause: err };
  if (code.startsWith('SQLITE_NOTADB') || code.startsWith('SQLITE_CORRUPT')) {
    return new StoreError(
      'STORE_CORRUPT',
      path,
      `not a readable database (${detail}) while ${doing}. Move the file aside (a new database is created in its ` +
        'place) or restore a backup (tableside restore FILE).',
      options,
    );
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    return new StoreError(
      'STORE_LOCKED',
      path,
      `locked by another process (${detail}) while ${doing}. Stop the other tableside (or the program holding the ` +
        'file) and try again.',
      options,
    );
  }
  if (code.startsWith('SQLITE_FULL') || code === 'ENOSPC') {
    return new StoreError('STORE_FULL', path, `disk full while ${doing}. Free some space and try again.`, options);
  }
  // The disk refused a write to a file that opened fine: it was made immutable (`chattr +i`, which stops root too),
  // its disk was unplugged or remounted read-only, or is failing. SQLite says only "disk I/O error".
  if (WRITE_IOERRS.includes(code)) {
    return new StoreError(
      'STORE_UNWRITABLE',
      path,
      `the disk refused a write (${detail}, ${code}) while ${doing}. The file may have been made read-only or ` +
        'immutable, or its disk removed or failing: check the file and the disk, or choose another database path.',
      options,
    );
  }
  if (code.startsWith('SQLITE_IOERR')) {
    return new StoreError(
      'STORE_FAILED',
      path,
      `the disk failed (${detail}, ${code}) while ${doing}. Check that the disk is still there and healthy.`,
      options,
    );
  }
  if (
    code.startsWith('SQLITE_CANTOPEN') ||
    code.startsWith('SQLITE_READONLY') ||
    code.startsWith('SQLITE_PERM') ||
    code.startsWith('SQLITE_AUTH') ||
    ['ENOTDIR', 'EACCES', 'EPERM', 'EROFS', 'EEXIST', 'EISDIR'].includes(code)
  ) {
    return new StoreError(
      'STORE_UNWRITABLE',
      path,
      `cannot create or write the database (${detail}) while ${doing}. Check that the file and its folder can be ` +
        'created and written by this user, or choose another database path.',
      options,
    );
  }
  if (code.startsWith('SQLITE_CONSTRAINT')) {
    return new StoreError('STORE_CONSTRAINT', path, `${doing} broke a rule of the database: ${detail}.`, options);
  }
  return new StoreError('STORE_FAILED', path, `${doing} failed: ${detail}.`, options);
}
