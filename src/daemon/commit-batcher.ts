/**
 * Persist-then-publish. Pipeline events are gathered for one event-loop turn, committed in one transaction, and only
 * then handed to the viewers: a crash can never have shown a beat that is not stored. One transaction per turn keeps
 * a replay at `max` speed fast (thousands of events per commit) and adds at most one turn of latency live.
 *
 * Another program holding the database's write lock (a backup, a second tableside, an SQLite browser) must not freeze
 * the daemon: SQLite's busy timeout would block the one event loop — every stream, every viewer, the REST API — for as
 * long as it waits. So the live path never waits on it: a commit that finds the database locked fails at once, the
 * events stay here, in order, and the commit is tried again every `LOCK_RETRY_MS`. Nothing unstored is shown: a wait
 * longer than `TELL_WAITING_AFTER_MS` is told to this stream's viewers (a brief one — a `tableside backup` or `delete`
 * beside the daemon — only delays the beats a little); once the lock clears, what waited is committed and published, a
 * piece per turn. The wait is bounded: after the store's busy timeout, or beyond `MAX_HELD_EVENTS`
 * events, recording stops as for any store failure.
 *
 * If the store fails (disk full, read-only, locked for too long), recording stops but the live view does not: the
 * batcher reports the failure once through `onStoreError` and from then on publishes without storing, so the screen
 * keeps working and says that recording stopped.
 */
import type { PipelineEvent } from '../domain/events.js';

export interface BatchStore {
  /**
   * Stores the batch in one transaction and returns null, or — without waiting — returns the error when another
   * connection holds the write lock (nothing stored). Throws any other failure (nothing stored).
   */
  tryWriteBatch(sessionId: number, events: readonly PipelineEvent[]): Error | null;
  /** Stores the batch in one transaction, waiting out another connection's lock up to the busy timeout; throws. */
  writeBatch(sessionId: number, events: readonly PipelineEvent[]): void;
}

/** While the database is locked by another connection, a commit is tried again this often, ms. */
export const LOCK_RETRY_MS = 20;

/** A wait for another connection's lock is told to the viewers once it has lasted this long, ms. */
export const TELL_WAITING_AFTER_MS = 500;

/**
 * At most this many events wait for a lock to clear (about 33 000 beats with their samples and metrics: 9 hours of
 * one strap live, under 2 s of a replay at `max`, some tens of MB); beyond it recording stops.
 */
export const MAX_HELD_EVENTS = 100_000;

/**
 * At most this many events per commit (and per publish): a backlog that waited for a lock is stored and shown in
 * pieces of this size, one per event-loop turn, so its commit does not become the next stall.
 */
export const MAX_EVENTS_PER_COMMIT = 4096;

export interface CommitBatcherOptions {
  /** how long events may wait for another connection's lock before recording stops, ms */
  readonly maxWaitMs: number;
  readonly maxHeldEvents?: number;
  readonly retryEveryMs?: number;
  /** default `TELL_WAITING_AFTER_MS` */
  readonly tellWaitingAfterMs?: number;
  /** monotonic clock, ms */
  readonly now?: () => number;
}

export class CommitBatcher {
  private batch: PipelineEvent[] = [];
  private scheduled: NodeJS.Immediate | null = null;
  private retry: NodeJS.Timeout | null = null;
  private recording = true;
  /** when the first commit found the database locked, or null while it is not */
  private waitingSince: number | null = null;
  /** what the last commit tried while the database was locked said (STORE_LOCKED) */
  private lockError: Error | null = null;
  /** the viewers were told that beats are waiting */
  private told = false;
  private readonly tellWaitingAfterMs: number;
  private readonly maxWaitMs: number;
  private readonly maxHeldEvents: number;
  private readonly retryEveryMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: BatchStore,
    private readonly sessionId: number,
    private readonly onCommitted: (events: readonly PipelineEvent[]) => void,
    private readonly onStoreError: (err: unknown) => void,
    private readonly onWaiting: (waiting: boolean) => void,
    options: CommitBatcherOptions,
  ) {
    this.maxWaitMs = options.maxWaitMs;
    this.maxHeldEvents = options.maxHeldEvents ?? MAX_HELD_EVENTS;
    this.retryEveryMs = options.retryEveryMs ?? LOCK_RETRY_MS;
    this.tellWaitingAfterMs = options.tellWaitingAfterMs ?? TELL_WAITING_AFTER_MS;
    this.now = options.now ?? (() => performance.now());
  }

  get isRecording(): boolean {
    return this.recording;
  }

  /** Events are waiting for another connection's lock to clear, and the viewers were told so. */
  get isWaiting(): boolean {
    return this.told;
  }

  push(event: PipelineEvent): void {
    this.batch.push(event);
    if (this.waitingSince !== null) {
      // The retry timer commits it with the rest; but not without bound.
      if (this.batch.length > this.maxHeldEvents && this.lockError) this.stopWaiting(this.lockError);
      return;
    }
    this.scheduled ??= setImmediate(() => this.commitTurn());
  }

  /**
   * Commits and publishes everything pending now (when a recording ends, so nothing is left behind). The one place
   * that still waits on SQLite's busy timeout: a session that ends while another program holds the lock.
   */
  flush(): void {
    this.cancelTimers();
    const wasWaiting = this.told;
    this.waitingSince = null;
    this.lockError = null;
    this.told = false;
    if (this.batch.length === 0) {
      if (wasWaiting && this.recording) this.onWaiting(false);
      return;
    }
    const events = this.batch;
    this.batch = [];
    if (this.recording) {
      try {
        this.store.writeBatch(this.sessionId, events);
        if (wasWaiting) this.onWaiting(false);
      } catch (err) {
        this.recording = false;
        this.onStoreError(err);
      }
    }
    this.onCommitted(events);
  }

  /** One turn's commit: at most `MAX_EVENTS_PER_COMMIT` events, the rest in the next turn. */
  private commitTurn(): void {
    this.cancelTimers();
    if (this.batch.length === 0) return;
    const all = this.batch.length <= MAX_EVENTS_PER_COMMIT;
    const events = all ? this.batch : this.batch.slice(0, MAX_EVENTS_PER_COMMIT);
    if (this.recording) {
      let locked: Error | null;
      try {
        locked = this.store.tryWriteBatch(this.sessionId, events);
      } catch (err) {
        this.recording = false;
        this.waitingSince = null;
        this.onStoreError(err);
        this.publishAll();
        return;
      }
      if (locked !== null) {
        this.lockError = locked;
        this.waitingSince ??= this.now();
        const waitedMs = this.now() - this.waitingSince;
        if (waitedMs >= this.maxWaitMs) {
          this.stopWaiting(locked);
          return;
        }
        if (!this.told && waitedMs >= this.tellWaitingAfterMs) {
          // The viewers are told why beats stopped coming.
          this.told = true;
          this.onWaiting(true);
        }
        this.retry = setTimeout(() => this.commitTurn(), this.retryEveryMs);
        return;
      }
      if (this.waitingSince !== null) {
        this.waitingSince = null;
        this.lockError = null;
        if (this.told) {
          this.told = false;
          this.onWaiting(false);
        }
      }
    }
    this.batch = all ? [] : this.batch.slice(events.length);
    this.onCommitted(events);
    if (this.batch.length > 0) this.scheduled ??= setImmediate(() => this.commitTurn());
  }

  /** The lock did not clear in time (or too much waited): recording stops, and what waited is shown unstored. */
  private stopWaiting(err: Error): void {
    this.cancelTimers();
    this.waitingSince = null;
    this.lockError = null;
    this.told = false;
    this.recording = false;
    this.onStoreError(err);
    this.publishAll();
  }

  private publishAll(): void {
    const events = this.batch;
    this.batch = [];
    if (events.length > 0) this.onCommitted(events);
  }

  private cancelTimers(): void {
    if (this.scheduled !== null) {
      clearImmediate(this.scheduled);
      this.scheduled = null;
    }
    if (this.retry !== null) {
      clearTimeout(this.retry);
      this.retry = null;
    }
  }
}
