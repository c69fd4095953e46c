/**
 * The faults a disk really gives, under a running daemon: the database locked by another program, made immutable
 * (read-only even for root), on a full disk, damaged. The real Daemon, the app built by `buildApp`, a viewer socket
 * and a real SQLite file, as in store-failure.test.ts (which plants a trigger); the faults themselves come from
 * test/helpers/disk-faults.ts.
 *
 * For each: the live view goes on to the last beat of the recording, is told once that recording stopped and why
 * (the store's code, never the path), and what was stored is whole — a prefix of the recording, with the session's
 * beat count matching its rows.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/store/session-store.js';
import { canChattr, canMount, damagePages, holdWriteLock, makeImmutable, smallDisk } from '../helpers/disk-faults.js';
import { type Rig, type RigOptions, recordingRr, replaySource, rig } from './harness.js';

const STOPPED_REASON = 'the session database could not be written: recording has stopped, the live view goes on';

interface Fault {
  readonly name: string;
  readonly code: string;
  readonly skip: boolean;
  /** where the database lives, how long the store waits for a lock */
  readonly rig?: () => Pick<RigOptions, 'dbDir' | 'busyTimeoutMs'>;
  /** breaks the database under the running daemon; returns what puts it right (run after the session ended) */
  readonly inject: (dbPath: string) => () => void;
  /** whether the stored session can be read once the fault is put right */
  readonly readable: boolean;
}

let disk: ReturnType<typeof smallDisk> | null = null;

const FAULTS: readonly Fault[] = [
  {
    name: 'locked by another program past the busy timeout',
    code: 'STORE_LOCKED',
    skip: false,
    rig: () => ({ busyTimeoutMs: 200 }),
    inject: holdWriteLock,
    readable: true,
  },
  {
    name: 'made immutable (read-only even for root)',
    code: 'STORE_UNWRITABLE',
    skip: !canChattr,
    inject: (dbPath) => makeImmutable([dbPath, `${dbPath}-wal`]),
    readable: true,
  },
  {
    name: 'on a full disk',
    code: 'STORE_FULL',
    skip: !canMount,
    rig: () => {
      // Room for the whole recording: each commit appends whole pages to the WAL, ~40 kB per small batch.
      disk = smallDisk(16 * 1024);
      return { dbDir: disk.path };
    },
    inject: () => {
      const full = disk as NonNullable<typeof disk>;
      full.fill();
      return () => full.free();
    },
    readable: true,
  },
  {
    name: 'damaged',
    code: 'STORE_CORRUPT',
    skip: false,
    inject: (dbPath) => {
      damagePages(dbPath);
      return () => {};
    },
    readable: false,
  },
];

let r: Rig | null = null;
let repair: (() => void) | null = null;
afterEach(async () => {
  repair?.();
  repair = null;
  await r?.close();
  r = null;
  disk?.remove();
  disk = null;
});

describe('a database that fails under the running daemon', () => {
  for (const fault of FAULTS) {
    it.skipIf(fault.skip)(
      `${fault.name}: the live view goes on, says why recording stopped, keeps what was stored`,
      async () => {
        const fileRr = await recordingRr();
        const rigged = await rig({
          source: await replaySource(1000), // paced: small batches, so the fault falls mid-way
          autoSession: { clientLabel: '', therapistNote: '' },
          ...fault.rig?.(),
        });
        r = rigged;
        const dbPath = rigged.store.path;
        const viewer = await rigged.connect();
        rigged.daemon.start();
        const sessionId = rigged.daemon.currentSessionId as number;
        await viewer.untilBeats(100);
        expect(viewer.of('recording')).toEqual([]); // the fault below is what stops it
        repair = fault.inject(dbPath);
        await viewer.untilSessionEnded();

        // Told once, with the code; viewers on the network never see the database path.
        expect(viewer.of('recording')).toEqual([
          { type: 'recording', state: 'stopped', code: fault.code, reason: STOPPED_REASON },
        ]);
        // Every beat of the recording reached the screen, and live figures went on after the stop.
        expect(viewer.of('beat').map((b) => b.rrMs)).toEqual(fileRr);
        const afterStop = viewer.messages.slice(viewer.messages.findIndex((m) => m.type === 'recording'));
        expect(afterStop.filter((m) => m.type === 'beat').length).toBeGreaterThan(100);
        expect(afterStop.some((m) => m.type === 'metrics' && m.rmssdMs !== null)).toBe(true);
        expect((await rigged.app.inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({
          ok: true,
          recording: false,
        });
        const late = await rigged.connect();
        expect(await late.nth(0)).toMatchObject({ type: 'hello', recording: false });
        // The terminal gets the whole story: the code and the message naming the file.
        const logged = rigged.logs.find(
          (l) => l.msg === 'recording stopped: the session store failed; the live view goes on',
        );
        expect(logged?.err).toMatchObject({ code: fault.code, message: expect.stringContaining(dbPath) });

        repair?.();
        repair = null;
        if (!fault.readable) return;
        // Read through a connection of its own, as the next start would.
        const reader = SessionStore.open(dbPath);
        try {
          const stored = reader.getBeats(sessionId);
          expect(stored.length).toBeGreaterThanOrEqual(100); // persist, then publish: every beat shown was stored
          expect(stored.length).toBeLessThan(fileRr.length);
          expect(stored.map((b) => b.rrMs)).toEqual(fileRr.slice(0, stored.length));
          expect(reader.getSession(sessionId)?.beatCount).toBe(stored.length);
          const beatSeqs = new Set(stored.map((b) => b.seq));
          expect(reader.getMetrics(sessionId).every((m) => beatSeqs.has(m.seq))).toBe(true);
        } finally {
          reader.close();
        }
      },
    );
  }
});
