/**
 * The store failing under the real `tableside` process: the daemon keeps running and keeps the live view going over a
 * real WebSocket, and with a damaged database at start the live view runs without recording, with words that say what
 * to do. (`npm test` builds dist/
 * first; the faults under the in-process daemon, one by one, are in test/server/store-faults.test.ts.)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRrFile } from '../../src/io/rr-file.js';
import { SessionStore } from '../../src/store/session-store.js';
import { exited, openViewer, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { damagePages, holdWriteLock } from '../helpers/disk-faults.js';
import { knownBeats } from '../helpers/viewer-knowledge.js';

const RECORDING = 'recordings/bartels_rest_rri.txt';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('the store failing under tableside replay (real process, real socket, real database)', () => {
  it('a lock held past the busy timeout stops recording, not the daemon or its live view', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const db = join(dir.path, 't.db');
    const daemon = await startDaemon(['replay', RECORDING, '--speed', '100', '--exit', '--db', db]);
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const { ws, messages } = await openViewer(daemon.url);
    const beats = () => messages.filter((m) => m.type === 'beat').length;
    await waitFor(() => beats() > 100, 20_000, '100 beats');

    // Another program holds the write lock for longer than the daemon's 5 s busy timeout.
    const release = holdWriteLock(db);
    cleanups.push(release);
    try {
      await waitFor(
        () => messages.some((m) => m.type === 'recording' && m.state === 'stopped'),
        20_000,
        'recording stopped',
      );
    } finally {
      release();
      cleanups.pop();
    }
    // The beats waited for the lock (the screen said so), then recording stopped and they were shown unstored.
    expect(messages.filter((m) => m.type === 'recording')).toEqual([
      {
        type: 'recording',
        state: 'waiting',
        code: 'STORE_LOCKED',
        reason: 'another program holds the session database: beats are kept and shown once they are stored',
      },
      {
        type: 'recording',
        state: 'stopped',
        code: 'STORE_LOCKED',
        reason: 'the session database could not be written: recording has stopped, the live view goes on',
      },
    ]);
    expect(await exited(daemon.child)).toBe(0); // it ran to the end of the recording
    ws.close();

    const { rrMs } = await readRrFile(RECORDING);
    const known = knownBeats(messages);
    expect(known.rrMs).toEqual(Array.from(rrMs));
    expect(daemon.output()).toContain('recording stopped: the session store failed; the live view goes on');
    expect(daemon.output()).toContain(`${db}: locked by another process (database is locked) while writing a batch`);

    // What was stored before the lock is whole; the session was ended once the lock was gone.
    const store = SessionStore.open(db);
    try {
      const session = store.getSession(known.sessionId);
      const stored = store.getBeats(known.sessionId).map((b) => b.rrMs);
      expect(session).toMatchObject({ status: 'ended', beatCount: stored.length });
      expect(stored.length).toBeGreaterThan(100);
      expect(stored.length).toBeLessThan(rrMs.length);
      expect(stored).toEqual(Array.from(rrMs).slice(0, stored.length));
    } finally {
      store.close();
    }
  }, 60_000);

  it('with a damaged database the live view still runs, says nothing is recorded and how to get the data back', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const db = join(dir.path, 't.db');
    const store = SessionStore.open(db);
    const { id } = store.createSession({
      clientLabel: '',
      therapistNote: '',
      sourceKind: 'replay',
      sourceLabel: 'x',
      params: {},
    });
    store.writeBatch(
      id,
      Array.from({ length: 500 }, (_, seq) => ({
        type: 'beat' as const,
        seq,
        tS: seq + 1,
        rrMs: 1000,
        gapBefore: false,
        receivedAtMs: 0,
      })),
    );
    store.close();
    damagePages(db);

    const before = readFileSync(db);

    // The live view still runs — on nothing stored — and says so; the damaged file is left as it was.
    const daemon = await startDaemon(['replay', RECORDING, '--speed', '50', '--db', db]);
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const { ws, messages } = await openViewer(daemon.url);
    cleanups.push(() => ws.terminate());
    await waitFor(() => messages.filter((m) => m.type === 'beat').length > 20, 20_000, '20 live beats');
    expect(messages[0]).toMatchObject({ type: 'hello', recording: false });
    const health = (await (await fetch(`${daemon.url}api/health`)).json()) as { recording: boolean };
    expect(health.recording).toBe(false);
    const out = daemon.output();
    expect(out).toContain(`tableside: NOT RECORDING. ${db}: not a readable database`);
    expect(out).toMatch(/or restore a backup \(tableside restore FILE\)/);
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
    expect(readFileSync(db).equals(before)).toBe(true);
  });
});
