/**
 * Real disk faults for the store tests: an immutable file, a full disk, damaged pages, a lock held elsewhere.
 *
 * What stops a running store, as root (the tests run as root here): permission bits do not stop root, and for other
 * users they are checked only when a file is opened, so `chmod` mid-session does not stop a running store. The
 * immutable attribute (`chattr +i`) stops every writer on the already open file, root included; a small tmpfs is a
 * real full disk (ENOSPC → SQLITE_FULL). Both need root (CAP_LINUX_IMMUTABLE, CAP_SYS_ADMIN) and are skipped without.
 */
import { execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/** Whether this process may set the immutable attribute on a file in the temp folder (root on ext4, xfs, btrfs…). */
export const canChattr: boolean = (() => {
  const probe = join(tmpdir(), `tableside-chattr-probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
    execFileSync('chattr', ['+i', probe], { stdio: 'ignore' });
    execFileSync('chattr', ['-i', probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { force: true });
  }
})();

/** Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN). */
export const canMount: boolean = (() => {
  const probe = join(tmpdir(), `tableside-mount-probe-${process.pid}`);
  try {
    mkdirSync(probe);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', probe], { stdio: 'ignore' });
    execFileSync('umount', [probe], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
})();

/** Makes `files` immutable (no writes, even by root, even through open handles); returns the undo. */
export function makeImmutable(files: readonly string[]): () => void {
  execFileSync('chattr', ['+i', ...files]);
  return () => execFileSync('chattr', ['-i', ...files]);
}

/** A small disk of its own: a tmpfs of `sizeKb` mounted on a fresh temp folder. */
export function smallDisk(sizeKb = 1024) {
  const path = mkdtempSync(join(tmpdir(), 'tableside-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', path]);
  const filler = join(path, 'filler');
  return {
    path,
    /** Writes a file until the disk is full (ENOSPC). */
    fill(): void {
      try {
        writeFileSync(filler, Buffer.alloc(sizeKb * 2048));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
        throw err;
      }
      throw new Error(`${path} did not fill up`);
    },
    /** Makes room again. */
    free(): void {
      rmSync(filler, { force: true });
    },
    /** Lazy: a store a failed test left open must not keep the mount behind. */
    remove(): void {
      execFileSync('umount', ['-l', path]);
      rmSync(path, { recursive: true, force: true });
    },
  };
}

/**
 * Damages a live database as a failing disk would: writes its WAL back into the file through another connection (as
 * the automatic checkpoint does), then overwrites every page after the first (header and schema) with a pattern.
 */
export function damagePages(path: string): void {
  const other = new Database(path);
  try {
    other.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    other.close();
  }
  const length = statSync(path).size - 4096;
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, Buffer.alloc(length, 0xa5), 0, length, 4096);
  } finally {
    closeSync(fd);
  }
}

/** Holds the database's write lock through another connection (as another program would); returns the release. */
export function holdWriteLock(path: string): () => void {
  const other = new Database(path);
  other.exec('BEGIN IMMEDIATE');
  return () => {
    other.exec('ROLLBACK');
    other.close();
  };
}

/**
 * Holds the database's write lock from another process (as another program would), until `release()`: a lock the
 * daemon's own event loop cannot release, so a daemon that waited on it would stay stuck until its busy timeout.
 */
export function holdWriteLockElsewhere(path: string): { locked: Promise<void>; release: () => Promise<void> } {
  const holder = spawn(
    process.execPath,
    [
      '-e',
      `const db = new (require('better-sqlite3'))(process.argv[1]);
       db.exec('BEGIN IMMEDIATE');
       process.stdout.write('locked\\n');
       process.stdin.once('data', () => { db.exec('ROLLBACK'); db.close(); process.exit(0); });`,
      path,
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
  const locked = new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the lock holder exited (${code}) before it held the lock`)));
  });
  return {
    locked,
    release: async () => {
      if (holder.exitCode === null) holder.stdin.write('release\n');
      await exited;
    },
  };
}
