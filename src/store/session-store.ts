/**
 * The session store: one SQLite file holding every session with its raw samples, beats, gaps, source statuses,
 * per-beat metrics, phases and markers.
 *
 * better-sqlite3 is synchronous: each call blocks the event loop while it runs, which is what makes a batch commit
 * cheap (no queue, no promise per row). The daemon commits one batch per event-loop turn with `writeBatch`; keep
 * these calls in a sink's subscriber, never inside an RxJS operator.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { PipelineEvent } from '../domain/events.js';
import type { SourceKind, SourceState } from '../domain/source.js';
import type { LiveQuality } from '../hrv/rolling.js';
import { BeatFlag, type BeatKind } from '../hrv/types.js';
import { StoreError, toStoreError } from './errors.js';
import {
  APPLICATION_ID,
  type BeatRow,
  type MarkerRow,
  type MetricsRow,
  type MetricsTrendRow,
  MIGRATIONS,
  type PhaseRow,
  prepareStatements,
  SCHEMA_VERSION,
  type SessionRow,
  type Statements,
} from './sql.js';
import type {
  MarkerKind,
  NewMarker,
  NewSession,
  PhaseKind,
  SeqRange,
  SessionStatus,
  StoredBeat,
  StoredGap,
  StoredMarker,
  StoredMetrics,
  StoredPhase,
  StoredSample,
  StoredSession,
  StoredStatus,
  TimeRange,
} from './types.js';

/** How long a statement waits for another connection's lock before giving up with STORE_LOCKED, ms. */
export const BUSY_TIMEOUT_MS = 5000;

/** How long emptying the WAL after a delete waits for other connections, ms. */
const CLEAR_WAL_WAIT_MS = 250;

/** The part of a pino logger the store uses: pass `log.child({ module: 'store' })`. */
export interface StoreLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface StoreOptions {
  readonly log?: StoreLog;
  /** wall clock, ms since the epoch (tests pin it) */
  readonly now?: () => number;
  /** default `BUSY_TIMEOUT_MS` */
  readonly busyTimeoutMs?: number;
}

type Transactions = ReturnType<SessionStore['makeTransactions']>;

export class SessionStore {
  /** the database file (`:memory:` for a throwaway one) */
  readonly path: string;
  private readonly log: StoreLog | undefined;
  private readonly now: () => number;
  private readonly busyTimeoutMs: number;
  private db: Database.Database | undefined;
  private sql: Statements | undefined;
  private tx: Transactions | undefined;

  constructor(path: string, options: StoreOptions = {}) {
    this.path = path;
    this.log = options.log;
    this.now = options.now ?? Date.now;
    this.busyTimeoutMs = options.busyTimeoutMs ?? BUSY_TIMEOUT_MS;
  }

  /** Opens (creating it and its folder if needed) and migrates the database at `path`. */
  static open(path: string, options: StoreOptions = {}): SessionStore {
    return new SessionStore(path, options).open();
  }

  get isOpen(): boolean {
    return this.db !== undefined;
  }

  /**
   * Opens the file: WAL (readers never block the writer), `synchronous=NORMAL` (a power cut may lose the last
   * commits, never corrupt the file), foreign keys on, then brings the schema up to date. Throws `StoreError`.
   */
  open(): this {
    if (this.db) return this;
    const path = this.path;
    const memory = path === ':memory:' || path === '';
    if (!memory) {
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (err) {
        throw toStoreError(err, path, 'creating its folder');
      }
    }
    let db: Database.Database;
    try {
      db = new Database(path, { timeout: this.busyTimeoutMs });
    } catch (err) {
      throw toStoreError(err, path, 'opening');
    }
    try {
      // Read-only checks first: a file that is not ours must not even be switched to WAL.
      this.checkIdentity(db);
      const journal = db.pragma('journal_mode = WAL', { simple: true });
      if (!memory && journal !== 'wal') {
        throw new StoreError('STORE_UNWRITABLE', path, `could not switch to WAL (journal mode is ${String(journal)}).`);
      }
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      // Deleted rows are overwritten with zeros, not just unlinked: a deleted client's beats and notes must not stay
      // readable in the file's free pages (README, Privacy). Costs a little I/O on deletes, which are rare.
      db.pragma('secure_delete = ON');
      // IMMEDIATE: two processes starting at once migrate one after the other, and the write is also the probe that
      // finds a file we may read but not write (SQLite silently opens those read-only).
      const foundVersion = db.transaction(() => this.migrate(db)).immediate();
      this.sql = prepareStatements(db);
      this.tx = this.makeTransactions(db, this.sql);
      this.db = db;
      this.log?.info({ path, schemaVersion: SCHEMA_VERSION, foundVersion }, 'store opened');
      return this;
    } catch (err) {
      db.close();
      this.sql = undefined;
      throw toStoreError(err, path, 'opening');
    }
  }

  /**
   * Writes back the WAL into the main file and closes. A WAL it cannot write back stays beside the file (logged, not
   * thrown). Safe to call twice.
   */
  close(): void {
    const db = this.db;
    if (!db) return;
    this.db = undefined;
    this.sql = undefined;
    this.tx = undefined;
    try {
      db.pragma('wal_checkpoint(TRUNCATE)');
    } catch (err) {
      // A full disk, a file made read-only, a damaged page: whatever the WAL holds stays beside the file and is read
      // at the next open. Throwing here would only break the shutdown that is already in progress.
      this.log?.warn({ err }, 'could not write the WAL back into the database on closing: it is kept beside it');
    } finally {
      db.close();
    }
  }

  // Writing.

  /**
   * Stores a batch of pipeline events in one transaction: all of it, or nothing (then a `StoreError` is thrown).
   * A metrics event also classifies its beat (`kind`, corrected bit); the session's last beat time follows.
   */
  writeBatch(sessionId: number, events: readonly PipelineEvent[]): void {
    const tx = this.transactions();
    if (events.length === 0) return;
    let unclassified: number;
    try {
      // IMMEDIATE: the write lock is taken at BEGIN, where SQLite waits out another writer for the busy timeout. A
      // deferred transaction reads first and then fails at once with SQLITE_BUSY when it cannot upgrade: a CLI
      // opening the database for a moment would stop the recording.
      unclassified = tx.write.immediate(sessionId, events);
    } catch (err) {
      throw this.batchError(err, sessionId, events);
    }
    // Not an error: refusing the batch would lose its beats too, and the next batch would carry the same problem.
    if (unclassified > 0) this.log?.warn({ sessionId, unclassified }, 'metrics for beats that are not stored');
  }

  /**
   * `writeBatch` without waiting: when another connection holds the write lock, returns at once the STORE_LOCKED
   * error it would have thrown after the busy timeout (nothing is stored); null once stored. Throws any other
   * failure. The live path commits with this, so a lock held elsewhere never blocks the event loop.
   */
  tryWriteBatch(sessionId: number, events: readonly PipelineEvent[]): StoreError | null {
    const tx = this.transactions();
    if (events.length === 0) return null;
    const db = this.db as Database.Database;
    let unclassified: number;
    try {
      // The wait happens only at BEGIN IMMEDIATE: once it has the write lock, nothing in the batch waits again (WAL).
      // (A prepared PRAGMA takes effect when prepared, not when run: it is set anew each time, ~10 µs a commit.)
      db.pragma('busy_timeout = 0');
      try {
        unclassified = tx.write.immediate(sessionId, events);
      } finally {
        db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
      }
    } catch (err) {
      const error = this.batchError(err, sessionId, events);
      if (error.code === 'STORE_LOCKED') return error;
      throw error;
    }
    if (unclassified > 0) this.log?.warn({ sessionId, unclassified }, 'metrics for beats that are not stored');
    return null;
  }

  /** How long a statement waits for another connection's lock, ms. */
  get busyTimeout(): number {
    return this.busyTimeoutMs;
  }

  private batchError(err: unknown, sessionId: number, events: readonly PipelineEvent[]): StoreError {
    return toStoreError(
      err,
      this.path,
      `writing a batch of ${events.length} events to session ${sessionId} (nothing of the batch was stored)`,
    );
  }

  createSession(session: NewSession): StoredSession {
    const row = this.run('creating a session', () =>
      this.statements().sessionInsert.get(
        new Date(this.now()).toISOString(),
        session.clientLabel,
        session.therapistNote,
        session.sourceKind,
        session.sourceLabel,
        session.device?.name ?? null,
        session.device?.id ?? null,
        JSON.stringify(session.params),
        session.groupId ?? null,
        session.stream ?? 'client',
        session.clientId ?? null,
      ),
    );
    if (!row) throw new StoreError('STORE_FAILED', this.path, 'creating a session returned no row.');
    return toSession(row);
  }

  /** Ends a recording session and closes its open phase at the last beat. A session already ended stays as it was. */
  endSession(sessionId: number, status: Exclude<SessionStatus, 'recording'> = 'ended'): StoredSession {
    const tx = this.transactions();
    return this.run(`ending session ${sessionId}`, () => tx.end.immediate(sessionId, status));
  }

  /**
   * Marks every session still 'recording' as 'interrupted' (its daemon stopped without ending it) and returns their
   * ids. Everything they stored is kept. The daemon calls this once at start, before it creates a session.
   */
  recoverInterrupted(): number[] {
    const tx = this.transactions();
    const ids = this.run('recovering interrupted sessions', () => tx.recover.immediate());
    for (const sessionId of ids) {
      this.log?.warn({ sessionId }, 'session was still recording when tableside stopped: marked interrupted');
    }
    return ids;
  }

  /** Closes the open phase at `atS` (beat time, s) and opens a `kind` phase there. */
  setPhase(sessionId: number, kind: PhaseKind, atS: number): StoredPhase {
    const tx = this.transactions();
    return this.run(`setting the phase of session ${sessionId}`, () => tx.setPhase.immediate(sessionId, kind, atS));
  }

  addMarker(sessionId: number, marker: NewMarker): StoredMarker {
    const s = this.statements();
    return this.run(`adding a marker to session ${sessionId}`, () => {
      this.requireSession(sessionId);
      const row = s.markerInsert.get(sessionId, marker.atS, marker.kind, marker.value, this.now());
      if (!row) throw new StoreError('STORE_FAILED', this.path, 'adding a marker returned no row.');
      return toMarker(row);
    });
  }

  /** Marks a marker undone (it is kept, so an undo can be shown and reverted). Unknown marker: STORE_NOT_FOUND. */
  undoMarker(sessionId: number, markerId: number): StoredMarker {
    const s = this.statements();
    const row = this.run(`undoing marker ${markerId}`, () => s.markerUndo.get(sessionId, markerId));
    if (!row) {
      throw new StoreError('STORE_NOT_FOUND', this.path, `session ${sessionId} has no marker ${markerId}.`);
    }
    return toMarker(row);
  }

  // Reading.

  /** Newest first, with beat count and duration. */
  listSessions(): StoredSession[] {
    const s = this.statements();
    return this.run('listing sessions', () => s.sessionList.all().map(toSession));
  }

  getSession(sessionId: number): StoredSession | undefined {
    const s = this.statements();
    const row = this.run(`reading session ${sessionId}`, () => s.sessionGet.get(sessionId));
    return row && toSession(row);
  }

  /** The streams recorded with a session (the therapist's strap beside the client's), oldest first; [] for none. */
  getCompanions(sessionId: number): StoredSession[] {
    const s = this.statements();
    return this.run(`reading the streams of session ${sessionId}`, () =>
      s.sessionCompanions.all(sessionId).map(toSession),
    );
  }

  /** A session's beats in order, or those whose time lies in `range`. */
  getBeats(sessionId: number, range?: TimeRange): StoredBeat[] {
    const s = this.statements();
    return this.run(`reading the beats of session ${sessionId}`, () =>
      (range ? s.beatRange.all(sessionId, fromS(range), toS(range)) : s.beatList.all(sessionId)).map(toBeat),
    );
  }

  /** A session's beats whose seq lies in `range`, in order: a long session read in pieces. */
  getBeatsBySeq(sessionId: number, range: SeqRange): StoredBeat[] {
    const s = this.statements();
    return this.run(`reading the beats of session ${sessionId}`, () =>
      s.beatSeqRange.all(sessionId, range.fromSeq, range.toSeq).map(toBeat),
    );
  }

  /** The seq of the last beat and of the last metrics stored for a session; -1 for none. */
  lastSeqs(sessionId: number): { beat: number; metrics: number } {
    const s = this.statements();
    const row = this.run(`reading session ${sessionId}`, () => s.lastSeqs.get(sessionId, sessionId));
    return { beat: row?.beat ?? -1, metrics: row?.metrics ?? -1 };
  }

  /**
   * Beats one at a time, for a session too long to hold (a day is ~100 000 beats). The connection is busy until the
   * iteration ends: consume it synchronously (no `await` in the loop) and finish or `return()` it.
   */
  *iterateBeats(sessionId: number, range?: TimeRange): Generator<StoredBeat, void, undefined> {
    const s = this.statements();
    const rows = range ? s.beatRange.iterate(sessionId, fromS(range), toS(range)) : s.beatList.iterate(sessionId);
    for (const row of rows) yield toBeat(row);
  }

  getMetrics(sessionId: number, range?: TimeRange): StoredMetrics[] {
    const s = this.statements();
    return this.run(`reading the metrics of session ${sessionId}`, () =>
      (range ? s.metricsRange.all(sessionId, fromS(range), toS(range)) : s.metricsList.all(sessionId)).map(toMetrics),
    );
  }

  /**
   * The figures a chart of the session draws, per beat in order, all or those whose seq lies in `range`: no quality
   * (the viewer's backfill).
   */
  getMetricsTrend(sessionId: number, range?: SeqRange): MetricsTrendRow[] {
    const s = this.statements();
    return this.run(`reading the metrics of session ${sessionId}`, () =>
      range ? s.metricsTrendSeqRange.all(sessionId, range.fromSeq, range.toSeq) : s.metricsTrend.all(sessionId),
    );
  }

  /** Metrics one at a time; same rules as `iterateBeats`. */
  *iterateMetrics(sessionId: number, range?: TimeRange): Generator<StoredMetrics, void, undefined> {
    const s = this.statements();
    const rows = range ? s.metricsRange.iterate(sessionId, fromS(range), toS(range)) : s.metricsList.iterate(sessionId);
    for (const row of rows) yield toMetrics(row);
  }

  getGaps(sessionId: number): StoredGap[] {
    const s = this.statements();
    return this.run(`reading the gaps of session ${sessionId}`, () => s.gapList.all(sessionId));
  }

  getStatuses(sessionId: number): StoredStatus[] {
    const s = this.statements();
    return this.run(`reading the statuses of session ${sessionId}`, () =>
      s.statusList.all(sessionId).map((r) => ({ ...r, state: r.state as SourceState })),
    );
  }

  getPhases(sessionId: number): StoredPhase[] {
    const s = this.statements();
    return this.run(`reading the phases of session ${sessionId}`, () => s.phaseList.all(sessionId).map(toPhase));
  }

  /** All markers, undone ones included (`undone: true`). */
  getMarkers(sessionId: number): StoredMarker[] {
    const s = this.statements();
    return this.run(`reading the markers of session ${sessionId}`, () => s.markerList.all(sessionId).map(toMarker));
  }

  /** The raw samples, in arrival order: what re-analyses a session from what the strap sent. */
  getSamples(sessionId: number): StoredSample[] {
    const s = this.statements();
    return this.run(`reading the samples of session ${sessionId}`, () =>
      s.sampleList.all(sessionId).map((r) => ({
        seq: r.seq,
        sourceTimeMs: r.sourceTimeMs,
        receivedAtMs: r.receivedAtMs,
        // A plain view on the Buffer's bytes: callers get the type the events carry.
        payload: r.payload && new Uint8Array(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength),
        rrMs: JSON.parse(r.rrJson) as number[],
        error: r.error,
      })),
    );
  }

  /**
   * For the store's administration (admin.ts): runs `fn` on the open connection and its prepared statements; what it
   * throws becomes a StoreError that names the file and `doing`. STORE_CLOSED when the store is not open.
   */
  withConnection<T>(doing: string, fn: (db: Database.Database, statements: Statements) => T): T {
    const s = this.statements();
    return this.run(doing, () => fn(this.db as Database.Database, s));
  }

  // Internals.

  private statements(): Statements {
    if (!this.sql) throw new StoreError('STORE_CLOSED', this.path, 'the store is not open (call open() first).');
    return this.sql;
  }

  private transactions(): Transactions {
    this.statements();
    return this.tx as Transactions;
  }

  /** Runs `fn`, turning whatever it throws into a StoreError that names the path and what was being done. */
  private run<T>(doing: string, fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      throw toStoreError(err, this.path, doing);
    }
  }

  private requireSession(sessionId: number): void {
    if (!this.statements().sessionExists.get(sessionId)) {
      throw new StoreError('STORE_NOT_FOUND', this.path, `no session ${sessionId}.`);
    }
  }

  /** What the file holds before we touch it; refuses a file that is not ours or is from a newer tableside. */
  private checkIdentity(db: Database.Database): { version: number; applicationId: number } {
    const applicationId = db.pragma('application_id', { simple: true }) as number;
    const version = db.pragma('user_version', { simple: true }) as number;
    const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_schema').get() as { n: number }).n;
    if (applicationId !== APPLICATION_ID && (applicationId !== 0 || version !== 0 || objects > 0)) {
      throw new StoreError(
        'STORE_NOT_TABLESIDE',
        this.path,
        'an SQLite database that tableside did not make. Choose another database path; this file was not changed.',
      );
    }
    if (version > SCHEMA_VERSION) {
      throw new StoreError(
        'STORE_TOO_NEW',
        this.path,
        `written by a newer tableside (schema version ${version}; this one knows up to ${SCHEMA_VERSION}). Update ` +
          'tableside, or choose another database path; this file was not changed.',
      );
    }
    return { version, applicationId };
  }

  /** Runs the pending migrations inside the caller's transaction; returns the version found. */
  private migrate(db: Database.Database): number {
    const { version } = this.checkIdentity(db);
    for (const migration of MIGRATIONS) {
      if (migration.version <= version) continue;
      db.exec(migration.sql);
      db.pragma(`user_version = ${migration.version}`);
      this.log?.info({ path: this.path, version: migration.version, what: migration.what }, 'store migrated');
    }
    db.pragma(`application_id = ${APPLICATION_ID}`);
    return version;
  }

  /** The multi-statement operations, each wrapped once in `db.transaction`. */
  private makeTransactions(db: Database.Database, s: Statements) {
    const write = db.transaction((sessionId: number, events: readonly PipelineEvent[]): number => {
      this.requireSession(sessionId);
      // A beat's kind comes with its metrics a few beats later. When both are in this batch (a replay at `max` speed
      // commits hundreds of beats at once), the beat is inserted already classified: no UPDATE per beat.
      const kinds = classifiedInBatch(events);
      let nextSampleSeq = -1;
      let lastBeatTS = Number.NEGATIVE_INFINITY;
      let beatCount = 0;
      let unclassified = 0;
      for (const e of events) {
        switch (e.type) {
          case 'sample':
            if (nextSampleSeq < 0) nextSampleSeq = (s.sampleNextSeq.get(sessionId) as { next: number }).next;
            s.sampleInsert.run(
              sessionId,
              nextSampleSeq++,
              e.sourceTimeMs,
              e.receivedAtMs,
              e.payload,
              JSON.stringify(e.rrMs),
              e.error,
            );
            break;
          case 'beat': {
            const kind = kinds?.kindOf(e.seq) ?? null;
            const flags =
              (e.gapBefore ? BeatFlag.GapBefore : 0) | (kind !== null && kind !== 'normal' ? BeatFlag.Corrected : 0);
            s.beatInsert.run(sessionId, e.seq, e.tS, e.rrMs, e.gapBefore ? 1 : 0, kind, flags);
            if (kind !== null) kinds?.stored(e.seq);
            if (e.tS > lastBeatTS) lastBeatTS = e.tS;
            beatCount++;
            break;
          }
          case 'gap':
            s.gapInsert.run(sessionId, e.fromS, e.toS, e.reason, e.receivedAtMs);
            break;
          case 'status': {
            const st = e.status;
            s.statusInsert.run(
              sessionId,
              e.sourceTimeMs,
              e.receivedAtMs,
              st.state,
              st.reason ?? null,
              st.batteryPct ?? null,
            );
            if (st.device) s.sessionDevice.run(st.device.name, st.device.id, sessionId);
            break;
          }
          case 'metrics': {
            const m = e.metrics;
            s.metricsInsert.run(
              sessionId,
              m.seq,
              m.tS,
              m.meanHrBpm,
              m.rmssdMs,
              m.lnRmssd,
              m.sdnnMs,
              m.hfMs2,
              m.lfMs2,
              m.lfHfRatio,
              m.hfPeakHz,
              m.respirationRateBpm,
              m.quality.correctedPct,
              JSON.stringify(m.quality),
            );
            if (kinds?.wasStored(m.seq)) break;
            const corrected = m.kind !== 'normal' ? BeatFlag.Corrected : 0;
            if (s.beatClassify.run(m.kind, corrected, sessionId, m.seq).changes === 0) unclassified++;
            break;
          }
          default:
            throw new Error(`unknown event type ${(e as { type: unknown }).type}`);
        }
      }
      if (beatCount > 0) s.sessionBeatsAdded.run(lastBeatTS, lastBeatTS, beatCount, sessionId);
      return unclassified;
    });

    const end = db.transaction((sessionId: number, status: SessionStatus): StoredSession => {
      this.requireSession(sessionId);
      s.phaseCloseAtLastBeat.run(sessionId);
      s.sessionEnd.run(status, new Date(this.now()).toISOString(), sessionId);
      return toSession(s.sessionGet.get(sessionId) as SessionRow);
    });

    const recover = db.transaction((): number[] => {
      const ids = s.sessionRecordingIds.all().map((r) => r.id);
      for (const id of ids) end(id, 'interrupted');
      return ids;
    });

    const setPhase = db.transaction((sessionId: number, kind: PhaseKind, atS: number): StoredPhase => {
      const session = s.sessionGet.get(sessionId);
      if (!session) throw new StoreError('STORE_NOT_FOUND', this.path, `no session ${sessionId}.`);
      if (session.status !== 'recording') {
        throw new StoreError(
          'STORE_ENDED',
          this.path,
          `session ${sessionId} has ended (${session.status}): its phases can no longer change.`,
        );
      }
      s.phaseClose.run(atS, sessionId);
      return toPhase(s.phaseInsert.get(sessionId, kind, atS) as PhaseRow);
    });

    return { write, end, recover, setPhase };
  }

  /** Empties the WAL after a delete: it still holds the deleted rows' earlier copies. False if a reader kept it. */
  clearWal(): boolean {
    const db = this.db as Database.Database;
    // Waits briefly, not for the whole busy timeout: in the daemon this blocks the live view, and a reader elsewhere
    // (an export, a backup) may keep the WAL for long. A WAL left as it is gets reset at a later checkpoint.
    db.pragma(`busy_timeout = ${CLEAR_WAL_WAIT_MS}`);
    let cleared: boolean;
    try {
      const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[];
      cleared = result === undefined || result.busy === 0;
    } catch (err) {
      cleared = false;
      this.log?.warn({ err }, 'emptying the WAL after a delete failed');
    } finally {
      db.pragma(`busy_timeout = ${this.busyTimeoutMs}`);
    }
    if (!cleared) {
      this.log?.warn({ path: this.path }, 'the WAL could not be emptied after a delete: it is at the next checkpoint');
    }
    return cleared;
  }
}

const fromS = (range: TimeRange): number => range.fromS ?? Number.NEGATIVE_INFINITY;
const toS = (range: TimeRange): number => range.toS ?? Number.POSITIVE_INFINITY;

/** A session row as the store gives it. */
export function toSession(r: SessionRow): StoredSession {
  return {
    id: r.id,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    status: r.status as SessionStatus,
    clientLabel: r.clientLabel,
    therapistNote: r.therapistNote,
    sourceKind: r.sourceKind as SourceKind,
    sourceLabel: r.sourceLabel,
    device: r.deviceName === null ? null : { name: r.deviceName, id: r.deviceId ?? '' },
    params: JSON.parse(r.paramsJson) as Record<string, unknown>,
    lastBeatTS: r.lastBeatTS,
    beatCount: r.beatCount,
    durationS: r.lastBeatTS ?? 0,
    groupId: r.groupId,
    stream: r.stream,
    clientId: r.clientId,
  };
}

function toBeat(r: BeatRow): StoredBeat {
  return {
    seq: r.seq,
    tS: r.tS,
    rrMs: r.rrMs,
    gapBefore: r.gapBefore === 1,
    kind: r.kind as BeatKind | null,
    flags: r.flags,
  };
}

function toMetrics(r: MetricsRow): StoredMetrics {
  return {
    seq: r.seq,
    tS: r.tS,
    meanHrBpm: r.meanHrBpm,
    rmssdMs: r.rmssdMs,
    lnRmssd: r.lnRmssd,
    sdnnMs: r.sdnnMs,
    hfMs2: r.hfMs2,
    lfMs2: r.lfMs2,
    lfHfRatio: r.lfHfRatio,
    hfPeakHz: r.hfPeakHz,
    respirationRateBpm: r.respirationRateBpm,
    correctedPct: r.correctedPct,
    quality: JSON.parse(r.qualityJson) as LiveQuality,
  };
}

function toPhase(r: PhaseRow): StoredPhase {
  return { ...r, kind: r.kind as PhaseKind };
}

function toMarker(r: MarkerRow): StoredMarker {
  return { ...r, kind: r.kind as MarkerKind, undone: r.undone === 1 };
}

/**
 * The kinds a batch's metrics give to beats of the same batch, by seq, and which of those beats were inserted with
 * theirs; null when the batch has no beat and metrics pair (live, one beat a turn: its metrics come turns later).
 */
function classifiedInBatch(events: readonly PipelineEvent[]) {
  let firstBeatSeq = -1;
  let lastBeatSeq = -1;
  let anyMetrics = false;
  for (const e of events) {
    if (e.type === 'beat') {
      if (firstBeatSeq < 0 || e.seq < firstBeatSeq) firstBeatSeq = e.seq;
      if (e.seq > lastBeatSeq) lastBeatSeq = e.seq;
    } else if (e.type === 'metrics') anyMetrics = true;
  }
  if (firstBeatSeq < 0 || !anyMetrics) return null;
  const span = lastBeatSeq - firstBeatSeq + 1;
  const kinds: (BeatKind | null)[] = new Array(span).fill(null);
  const stored = new Uint8Array(span);
  let paired = false;
  for (const e of events) {
    if (e.type !== 'metrics') continue;
    const i = e.metrics.seq - firstBeatSeq;
    if (i >= 0 && i < span) {
      kinds[i] = e.metrics.kind;
      paired = true;
    }
  }
  if (!paired) return null;
  const inRange = (seq: number) => seq >= firstBeatSeq && seq <= lastBeatSeq;
  return {
    kindOf: (seq: number): BeatKind | null => (inRange(seq) ? kinds[seq - firstBeatSeq] : null),
    stored: (seq: number): void => {
      stored[seq - firstBeatSeq] = 1;
    },
    wasStored: (seq: number): boolean => inRange(seq) && stored[seq - firstBeatSeq] === 1,
  };
}
