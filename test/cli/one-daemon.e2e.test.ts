/**
 * One daemon per database (src/store/daemon-lock.ts), with real processes on a real file: a second daemon on the
 * same database is refused and leaves the first one's recording session alone; a daemon killed with -9 leaves no claim
 * behind; a daemon on another database is not affected.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { claimDatabase } from '../../src/store/daemon-lock.js';
import { exited, runCli, runCliResult, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const sessionsOf = async (db: string) =>
  JSON.parse(await runCli(['sessions', '--json', '--db', db])) as { id: number; status: string }[];

describe('one daemon per database', () => {
  it('refuses a second daemon on the same file and leaves the first one recording', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const db = `${dir.path}/t.db`;
    const first = await startDaemon(['simulate', '--speed', '20', '--db', db]);
    cleanups.push(() => first.child.kill('SIGKILL'));
    await waitFor(() => first.output().length > 0);
    const before = await sessionsOf(db);
    expect(before.map((s) => s.status)).toEqual(['recording']);

    const second = await runCliResult(['simulate', '--db', db, '--port', '0'], {
      env: { TABLESIDE_LOG_LEVEL: 'warn' },
    });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(`${db}: another tableside daemon is running on this database`);
    expect(second.stderr).toContain('--db FILE');
    // The first daemon's session is still its own: not marked interrupted by the refused one.
    expect((await sessionsOf(db)).map(({ id, status }) => ({ id, status }))).toEqual([
      { id: before[0]?.id, status: 'recording' },
    ]);

    // A daemon on another database runs beside it.
    const other = await startDaemon(['simulate', '--speed', '20', '--db', `${dir.path}/other.db`]);
    cleanups.push(() => other.child.kill('SIGKILL'));
    other.child.kill('SIGTERM');
    expect(await exited(other.child)).toBe(0);

    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(await sessionsOf(db)).toEqual([expect.objectContaining({ id: before[0]?.id, status: 'ended' })]);
  });

  it('a daemon killed with -9 leaves no claim: the next one starts and closes its session as interrupted', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const db = `${dir.path}/t.db`;
    const killed = await startDaemon(['simulate', '--speed', '20', '--db', db]);
    cleanups.push(() => killed.child.kill('SIGKILL'));
    killed.child.kill('SIGKILL');
    await exited(killed.child);

    const next = await startDaemon(['simulate', '--speed', '20', '--db', db]);
    cleanups.push(() => next.child.kill('SIGKILL'));
    next.child.kill('SIGTERM');
    expect(await exited(next.child)).toBe(0);
    const sessions = await sessionsOf(db);
    expect(sessions.map((s) => s.status).sort()).toEqual(['ended', 'interrupted']);
  });

  it('a start while the database is still claimed (a daemon stopping) waits for it instead of refusing', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const db = `${dir.path}/t.db`;
    // The claim a stopping daemon still holds, let go one second after the next daemon was started.
    const held = await claimDatabase(db, 0);
    cleanups.push(held.release);
    const started = startDaemon(['simulate', '--speed', '20', '--db', db]);
    const releasedAt = Date.now() + 1000;
    setTimeout(held.release, 1000);
    const next = await started;
    cleanups.push(() => next.child.kill('SIGKILL'));
    expect(Date.now()).toBeGreaterThanOrEqual(releasedAt);
    next.child.kill('SIGTERM');
    expect(await exited(next.child)).toBe(0);
    expect((await sessionsOf(db)).map((s) => s.status)).toEqual(['ended']);
  });
});
