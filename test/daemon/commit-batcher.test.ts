/**
 * Persist-then-publish on a real SQLite file: the batcher hands the viewers only what another connection can already
 * read from the file, one transaction per event-loop turn, nothing left behind on stop; and when the store fails,
 * recording stops once, the refused batch leaves no row, and the viewers go on. Under another connection's write lock
 * (held through a second connection): events wait in memory — nothing published before it is stored — and are stored
 * and published in order once the lock clears; the wait is bounded by time and by count, after which recording stops
 * and what waited is shown unstored.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Subject, takeUntil } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BatchStore, CommitBatcher, MAX_EVENTS_PER_COMMIT } from '../../src/daemon/commit-batcher.js';
import type { PipelineEvent } from '../../src/domain/events.js';
import { withLiveMetrics } from '../../src/pipeline/metrics.js';
import { toBeatTimeline } from '../../src/pipeline/timeline.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { StoreError } from '../../src/store/errors.js';
import { canChattr, holdWriteLock, makeImmutable } from '../helpers/disk-faults.js';
import { eventually } from '../server/harness.js';
import { beat, gap, metrics, NEW_SESSION, rowCounts, sample, status, tempDatabases } from '../store/fixtures.js';

const db = tempDatabases();
beforeEach(db.setUp);
/** a write lock a test holds through a second connection: released after the test if it did not */
let release: (() => void) | null = null;
afterEach(() => {
  release?.();
  release = null;
  db.tearDown();
});

/** Resolves after the current event-loop turn, once the batcher's commit (queued earlier in the turn) has run. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Which table each kind of event is stored in. */
const TABLE_OF = { sample: 'samples', beat: 'beats', metrics: 'metrics', gap: 'gaps', status: 'statuses' } as const;
type Counts = ReturnType<typeof rowCounts>;

/** The rows `events` make, per table, as `rowCounts` gives them (the session row itself included). */
function countsOf(events: readonly PipelineEvent[]): Counts {
  const counts: Counts = { sessions: 1, samples: 0, beats: 0, metrics: 0, gaps: 0, statuses: 0, phases: 0, markers: 0 };
  for (const e of events) counts[TABLE_OF[e.type]]++;
  return counts;
}

/** A beat as another connection reads it back from the file, or undefined. */
function storedBeat(raw: Database.Database, sessionId: number, seq: number) {
  const row = raw
    .prepare(
      'SELECT seq, t_s AS tS, rr_ms AS rrMs, gap_before AS gapBefore FROM beats WHERE session_id = ? AND seq = ?',
    )
    .get(sessionId, seq) as { seq: number; tS: number; rrMs: number; gapBefore: number } | undefined;
  return row && { ...row, gapBefore: row.gapBefore === 1 };
}

/** One turn's worth of events from beat `first` on: a status, a gap, and a sample, a beat and metrics per beat. */
function batch(first: number, count: number): PipelineEvent[] {
  const events: PipelineEvent[] = [status(first * 1000, { state: 'live' }), gap(first, first + 0.5, 'contact lost')];
  for (let i = first; i < first + count; i++) {
    events.push(sample(i * 1000, new Uint8Array([0x10, 60, 0, 4]), [1000]), beat(i, i + 1), metrics(i, i + 1));
  }
  return events;
}

describe('persist-then-publish', () => {
  it('hands the viewers a live pipeline only what a second connection already reads from the file', async () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    const raw = new Database(db.path(), { readonly: true, fileMustExist: true });
    const published: PipelineEvent[] = [];
    const storeErrors: unknown[] = [];
    /** at each publication: what the file holds, what the viewers have been handed so far, beats read back */
    const seen: { stored: Counts; published: Counts; beats: unknown[]; readBack: unknown[] }[] = [];
    const batcher = new CommitBatcher(
      store,
      id,
      (events) => {
        published.push(...events);
        const beats = events.filter((e) => e.type === 'beat');
        seen.push({
          stored: rowCounts(db.path(), id),
          published: countsOf(published),
          beats: beats.map(({ seq, tS, rrMs, gapBefore }) => ({ seq, tS, rrMs, gapBefore })),
          readBack: beats.map((b) => storedBeat(raw, id, b.seq)),
        });
      },
      (err) => storeErrors.push(err),
      // no other connection writes here: a lock wait would be a failure of its own
      (waiting) => storeErrors.push(`lock wait ${waiting}`),
      { maxWaitMs: store.busyTimeout },
    );
    // 15 simulated minutes with a link loss and ectopic beats, notifying 4 times a second, as fast as it goes:
    // 512 notifications and a thousand or more pipeline events per turn.
    const source = simulatedSource({
      seed: 11,
      durationS: 900,
      notifyEveryMs: 250,
      speed: 'max',
      dropouts: [[300, 20]],
      ectopicPerMin: 1,
    });
    await new Promise<void>((resolve, reject) => {
      source.events$.pipe(toBeatTimeline(), withLiveMetrics()).subscribe({
        next: (e) => batcher.push(e),
        error: reject,
        complete: () => {
          batcher.flush();
          resolve();
        },
      });
    });
    raw.close();

    expect(storeErrors).toEqual([]);
    expect(seen.length).toBeGreaterThan(5);
    expect(countsOf(published).beats).toBeGreaterThan(900);
    expect(countsOf(published).gaps).toBeGreaterThan(0);
    // At every publication the file already held every row of what the viewers had been handed, and no more.
    expect(seen.map((s) => s.stored)).toEqual(seen.map((s) => s.published));
    expect(seen.map((s) => s.readBack)).toEqual(seen.map((s) => s.beats));
    expect(rowCounts(db.path(), id)).toEqual(countsOf(published));
  });

  it('commits once per event-loop turn and publishes that turn, in order, after the commit', async () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    /** writes and publications, in the order they happened */
    const steps: string[] = [];
    const counting: BatchStore = {
      tryWriteBatch(sessionId, events) {
        const locked = store.tryWriteBatch(sessionId, events);
        steps.push(`write ${events.length}`);
        return locked;
      },
      writeBatch(sessionId, events) {
        store.writeBatch(sessionId, events);
        steps.push(`write ${events.length}`);
      },
    };
    const publications: (readonly PipelineEvent[])[] = [];
    const storeErrors: unknown[] = [];
    const batcher = new CommitBatcher(
      counting,
      id,
      (events) => {
        publications.push(events);
        steps.push(`publish ${events.length}`);
      },
      (err) => storeErrors.push(err),
      // no other connection writes here: a lock wait would be a failure of its own
      (waiting) => storeErrors.push(`lock wait ${waiting}`),
      { maxWaitMs: store.busyTimeout },
    );

    // One turn: a synchronous burst, and more from a promise callback of the same turn.
    const first = batch(0, 500);
    const late = batch(500, 3);
    for (const e of first) batcher.push(e);
    void Promise.resolve().then(() => {
      for (const e of late) batcher.push(e);
    });
    // Nothing is written or handed out while the turn runs.
    expect(steps).toEqual([]);
    expect(rowCounts(db.path(), id).beats).toBe(0);
    await nextTurn();
    const turn1 = first.length + late.length;
    expect(steps).toEqual([`write ${turn1}`, `publish ${turn1}`]);
    expect(publications[0]).toEqual([...first, ...late]);
    expect(publications[0][0]).toBe(first[0]);

    // A turn without events writes and publishes nothing; the next burst is a transaction of its own.
    await nextTurn();
    expect(steps).toHaveLength(2);
    const second = batch(503, 2);
    for (const e of second) batcher.push(e);
    await nextTurn();
    expect(steps).toEqual([`write ${turn1}`, `publish ${turn1}`, `write ${second.length}`, `publish ${second.length}`]);
    expect(publications[1]).toEqual(second);
    expect(rowCounts(db.path(), id)).toEqual(countsOf([...first, ...late, ...second]));
    expect(storeErrors).toEqual([]);
  });

  it('on stop (a recording ended by hand), flush commits and publishes what is pending at once and leaves nothing', async () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    const published: PipelineEvent[] = [];
    const atPublication: Counts[] = [];
    const storeErrors: unknown[] = [];
    const batcher = new CommitBatcher(
      store,
      id,
      (events) => {
        published.push(...events);
        atPublication.push(rowCounts(db.path(), id));
      },
      (err) => storeErrors.push(err),
      // no other connection writes here: a lock wait would be a failure of its own
      (waiting) => storeErrors.push(`lock wait ${waiting}`),
      { maxWaitMs: store.busyTimeout },
    );
    // A strap with no end, stopped the way a stream ends its recording: complete the input (the artefact layer's
    // held beats get their metrics), unsubscribe, flush — all in one synchronous step.
    const end$ = new Subject<void>();
    const pipeline = simulatedSource({ seed: 3, speed: 'max' })
      .events$.pipe(takeUntil(end$), toBeatTimeline(), withLiveMetrics())
      .subscribe((e) => batcher.push(e));
    while (published.filter((e) => e.type === 'beat').length < 3000) await nextTurn();
    await new Promise<void>((resolve) => setTimeout(resolve, 0)); // part of a turn's events pending
    const publicationsBefore = atPublication.length;
    end$.next();
    pipeline.unsubscribe();
    batcher.flush();
    expect(atPublication).toHaveLength(publicationsBefore + 1);

    const stored = rowCounts(db.path(), id);
    expect(stored).toEqual(countsOf(published));
    expect(atPublication.at(-1)).toEqual(stored);
    // Every beat got its metrics: the ones held for look-ahead were flushed, stored and published too.
    const beats = published.filter((e) => e.type === 'beat');
    expect(stored.metrics).toBe(beats.length);
    expect(store.getBeats(id).filter((b) => b.kind === null)).toEqual([]);

    // Nothing is left scheduled: the turns after write and publish nothing more.
    const publications = atPublication.length;
    await nextTurn();
    await nextTurn();
    expect(atPublication).toHaveLength(publications);
    expect(rowCounts(db.path(), id)).toEqual(stored);
    // A flush with nothing pending publishes nothing.
    batcher.flush();
    expect(atPublication).toHaveLength(publications);
    expect(storeErrors).toEqual([]);
  });
});

/**
 * Real faults under a running store. `inject` makes the database fail from the next write on and returns the undo.
 * (A lock held by another connection is first waited out: see the describe after this one.)
 */
const FAULTS = [
  {
    name: 'made immutable (read-only even for root)',
    skip: !canChattr,
    options: {},
    inject: (path: string) => makeImmutable([path, `${path}-wal`]),
    code: 'STORE_UNWRITABLE',
  },
  {
    // The database itself aborts the transaction half-way, after the batch's first rows were inserted.
    name: 'aborting the batch half-way (at its 6th beat)',
    skip: false,
    options: {},
    inject: (path: string) => {
      const other = new Database(path);
      other.exec(
        "CREATE TRIGGER fault BEFORE INSERT ON beats WHEN NEW.seq = 15 BEGIN SELECT RAISE(ABORT, 'fault'); END",
      );
      other.close();
      return () => {
        const again = new Database(path);
        again.exec('DROP TRIGGER fault');
        again.close();
      };
    },
    code: 'STORE_CONSTRAINT',
  },
];

describe.each(FAULTS)('a database $name while recording', ({ skip, options, inject, code }) => {
  it.skipIf(skip)('stops recording once, stores nothing of the refused batch, and keeps publishing', async () => {
    const path = join(db.dir, 'faulty.db');
    const store = db.open(path, options);
    const { id } = store.createSession(NEW_SESSION);
    const calls: string[] = [];
    const published: PipelineEvent[] = [];
    const errors: unknown[] = [];
    const batcher = new CommitBatcher(
      store,
      id,
      (events) => {
        calls.push(`published ${events.length}`);
        published.push(...events);
      },
      (err) => {
        calls.push('store error');
        errors.push(err);
      },
      (waiting) => calls.push(`lock wait ${waiting}`),
      { maxWaitMs: store.busyTimeout },
    );
    const turns = [batch(0, 10), batch(10, 10), batch(20, 10), batch(30, 10)];
    const turn = async (events: PipelineEvent[]) => {
      for (const e of events) batcher.push(e);
      await nextTurn();
    };

    await turn(turns[0]);
    const before = rowCounts(path, id);
    expect(before).toEqual(countsOf(turns[0]));
    const undo = inject(path);
    try {
      await turn(turns[1]);
      await turn(turns[2]);
    } finally {
      undo();
    }
    // The database works again, but recording stopped once and does not silently resume mid-session.
    await turn(turns[3]);

    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(StoreError);
    expect((errors[0] as StoreError).code).toBe(code);
    expect(batcher.isRecording).toBe(false);
    // Nothing of the refused batch (a transaction), nothing after it.
    expect(rowCounts(path, id)).toEqual(before);
    expect(store.getBeats(id).map((b) => b.seq)).toEqual(turns[0].flatMap((e) => (e.type === 'beat' ? [e.seq] : [])));
    // The viewers got every event, in order; the failure is reported before the first beat that was not stored.
    expect(published).toEqual(turns.flat());
    expect(calls).toEqual(['published 32', 'store error', 'published 32', 'published 32', 'published 32']);
  });
});

/** Beats `first` … `first + count − 1`, each with its sample and its metrics: 3 events a beat. */
function beatEvents(first: number, count: number): PipelineEvent[] {
  const out: PipelineEvent[] = [];
  for (let i = first; i < first + count; i++) {
    out.push(sample(i * 1000, null, [1000]), beat(i, i + 1), metrics(i, i + 1));
  }
  return out;
}

/** A batcher on a fresh session, recording what it tells: every call, in order. */
function batcherOn(options: { maxWaitMs: number; maxHeldEvents?: number; tellWaitingAfterMs?: number }) {
  const store = db.open(db.path(), { busyTimeoutMs: 60_000 });
  const { id } = store.createSession(NEW_SESSION);
  const told: string[] = [];
  const published: PipelineEvent[] = [];
  const commits: number[] = [];
  const errors: unknown[] = [];
  const batcher = new CommitBatcher(
    store,
    id,
    (e) => {
      published.push(...e);
      commits.push(e.length);
      told.push(`published ${e.length}`);
    },
    (err) => {
      errors.push(err);
      told.push(`error ${(err as { code?: string }).code}`);
    },
    (waiting) => told.push(waiting ? 'waiting' : 'resumed'),
    { retryEveryMs: 5, tellWaitingAfterMs: 0, ...options },
  );
  const push = (evs: readonly PipelineEvent[]) => {
    for (const e of evs) batcher.push(e);
  };
  return { store, id, batcher, told, published, commits, errors, push };
}

const beatsOf = (evs: readonly PipelineEvent[]) => evs.filter((e) => e.type === 'beat').map((e) => e.seq);

describe('CommitBatcher while another connection holds the write lock', () => {
  it('holds the events, says so once, then stores and publishes them all, in order, once the lock clears', async () => {
    const b = batcherOn({ maxWaitMs: 60_000 });
    b.push(beatEvents(0, 5));
    await eventually(() => b.published.length === 15, 'the first commit');
    release = holdWriteLock(db.path());
    b.push(beatEvents(5, 10));
    await eventually(() => b.told.includes('waiting'), 'the batcher to find the lock');
    b.push(beatEvents(15, 10)); // more while it waits
    // A few retries against the lock: nothing shown that is not stored.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.published).toHaveLength(15);
    expect(rowCounts(db.path(), b.id).beats).toBe(5);
    expect(b.batcher.isWaiting).toBe(true);
    release();
    release = null;
    await eventually(() => b.published.length === 75, 'what waited to be published');
    expect(b.told).toEqual(['published 15', 'waiting', 'resumed', 'published 60']);
    expect(beatsOf(b.published)).toEqual(Array.from({ length: 25 }, (_, i) => i));
    expect(rowCounts(db.path(), b.id)).toMatchObject({ beats: 25, metrics: 25, samples: 25 });
    expect(b.store.getBeats(b.id).map((x) => x.seq)).toEqual(beatsOf(b.published));
    expect(b.batcher.isRecording).toBe(true);
    expect(b.batcher.isWaiting).toBe(false);
  });

  it('tells nothing of a wait shorter than tellWaitingAfterMs: the beats only come a little later', async () => {
    const b = batcherOn({ maxWaitMs: 60_000, tellWaitingAfterMs: 60_000 });
    release = holdWriteLock(db.path());
    b.push(beatEvents(0, 5));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(b.published).toEqual([]);
    expect(b.batcher.isWaiting).toBe(false);
    release();
    release = null;
    await eventually(() => b.published.length === 15, 'the events');
    expect(b.told).toEqual(['published 15']);
    expect(rowCounts(db.path(), b.id).beats).toBe(5);
  });

  it('stores a backlog in pieces of at most MAX_EVENTS_PER_COMMIT, each published after its commit', async () => {
    const b = batcherOn({ maxWaitMs: 60_000 });
    release = holdWriteLock(db.path());
    const backlog = beatEvents(0, Math.ceil((2.5 * MAX_EVENTS_PER_COMMIT) / 3));
    b.push(backlog);
    await eventually(() => b.told.includes('waiting'), 'the batcher to find the lock');
    release();
    release = null;
    await eventually(() => b.published.length === backlog.length, 'the backlog');
    expect(b.commits.length).toBe(3);
    expect(Math.max(...b.commits)).toBeLessThanOrEqual(MAX_EVENTS_PER_COMMIT);
    expect(b.published).toEqual(backlog);
    expect(rowCounts(db.path(), b.id).beats).toBe(backlog.length / 3);
  });

  it('stops recording once the wait runs out: STORE_LOCKED once, what waited shown unstored, later events too', async () => {
    const b = batcherOn({ maxWaitMs: 30 });
    release = holdWriteLock(db.path());
    b.push(beatEvents(0, 10));
    await eventually(() => b.errors.length === 1, 'the wait to run out');
    expect(b.errors[0]).toMatchObject({ code: 'STORE_LOCKED' });
    expect(b.told).toEqual(['waiting', 'error STORE_LOCKED', 'published 30']);
    b.push(beatEvents(10, 2));
    await eventually(() => b.published.length === 36, 'the next events');
    expect(beatsOf(b.published)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(b.batcher.isRecording).toBe(false);
    release();
    release = null;
    expect(rowCounts(db.path(), b.id).beats).toBe(0);
  });

  it('stops recording when more than maxHeldEvents wait', async () => {
    const b = batcherOn({ maxWaitMs: 60_000, maxHeldEvents: 20 });
    release = holdWriteLock(db.path());
    b.push(beatEvents(0, 2));
    await eventually(() => b.told.includes('waiting'), 'the batcher to find the lock');
    b.push(beatEvents(2, 4)); // 18 held
    expect(b.errors).toEqual([]);
    b.push(beatEvents(6, 1)); // 21 held: one too many
    expect(b.errors).toHaveLength(1);
    expect(b.errors[0]).toMatchObject({ code: 'STORE_LOCKED' });
    expect(b.published).toHaveLength(21);
    expect(b.batcher.isRecording).toBe(false);
  });
});
