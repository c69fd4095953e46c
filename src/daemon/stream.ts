/**
 * One stream of the daemon: one source (a strap, a replay, a simulated client), its status, its viewers, and — while
 * a session is being recorded — its own stored session with its pipeline. The client's strap is the first stream;
 * a second strap (the therapist's) is another stream whose stored session is a companion of the client's.
 *
 *   source.events$ ─share─┬─ status tracking (always)
 *                         └─ while recording: livePipeline (beat timeline → live metrics) → CommitBatcher (store, then viewers)
 *
 * Each stream keeps its own beat time (its first sample is t = 0) and its own baseline; the daemon sets phases and
 * markers on every stream of a session at that stream's latest beat.
 */
import { type Observable, Subject, type Subscription, share, takeUntil } from 'rxjs';
import type { PipelineEvent } from '../domain/events.js';
import type { HeartRateSource, SourceEvent, SourceStatus } from '../domain/source.js';
import type { RollingOptions } from '../hrv/rolling.js';
import { livePipeline } from '../pipeline/live.js';
import { baselineReference, shiftAgainst } from '../session/summary.js';
import type { SessionStore } from '../store/session-store.js';
import type { StoredPhase, StoredSession } from '../store/types.js';
import { type HelloPlan, ViewerHub } from '../viewers/hub.js';
import {
  type BackfillMessage,
  type BaselineMessage,
  backfillMessage,
  helloMessage,
  type MetricsMessage,
  messageFor,
  recordingResumedMessage,
  recordingWaitingMessage,
  type ServerMessage,
  type SessionBackfill,
  type StreamInfo,
  sessionBackfill,
  statusMessage,
  type UsualMessage,
} from '../viewers/protocol.js';
import { CommitBatcher } from './commit-batcher.js';
import type { DaemonLog } from './log.js';
import { ReadingJob, type ReadingRequest } from './reading-job.js';

/** The stream of the client's strap: the first one, whose session is the session. */
export const CLIENT_STREAM = 'client';

/**
 * Beats (and their metrics) per piece of a viewer's backfill: the hello carries the first piece, `backfill` messages
 * the rest. Reading and serialising a piece of this size takes about 3 ms on the machine of the README's figures (the
 * hello with it, about 9 ms): a viewer joining a long session holds up the other streams no longer than that.
 */
export const BACKFILL_PIECE_BEATS = 400;

/** What a stream needs from its daemon. */
export interface StreamHost {
  readonly store: SessionStore;
  readonly log: DaemonLog;
  readonly rolling: RollingOptions;
  /** false once the store failed: the live view goes on without storing */
  readonly isRecording: boolean;
  storeFailed(err: unknown): void;
  /** every stream, for `hello` */
  streams(): StreamInfo[];
  /** beats per piece of a viewer's backfill (`BACKFILL_PIECE_BEATS`) */
  readonly backfillPieceBeats: number;
  /** this stream's pipeline ended (end of a replay) or failed */
  pipelineEnded(stream: Stream, failed: boolean): void;
}

/** A source and whether the view must say DEMO while it runs. */
export interface StreamSource {
  readonly source: HeartRateSource;
  /** a replay or simulated source */
  readonly demo: boolean;
}

/** This stream's part of the session being recorded. */
export interface Recording {
  readonly session: StoredSession;
  readonly batcher: CommitBatcher;
  /** the pipeline; null only while `subscribe()` is still returning */
  subscription: Subscription | null;
  /** completes the pipeline's input, so the artefact layer's last beats get their metrics before the end */
  readonly end$: Subject<void>;
  lastBeatTS: number;
  latest: MetricsMessage | null;
  /** the latest finished baseline phase's reference, or null */
  baseline: BaselineMessage | null;
  /** today against the usual, once the first baseline ended (client's stream only), or null */
  usual: UsualMessage | null;
}

/** A stream cannot do what was asked right now (a session records, a reading runs, no source). */
export class StreamBusy extends Error {
  constructor(
    readonly code: 'STREAM_RECORDING' | 'READING_RUNNING' | 'STREAM_NO_SOURCE',
    message: string,
  ) {
    super(message);
    this.name = 'StreamBusy';
  }
}

export class Stream {
  readonly hub: ViewerHub;
  private current: StreamSource;
  private events$: Observable<SourceEvent> | null = null;
  private sourceSubscription: Subscription | null = null;
  private statusNow: SourceStatus | null = null;
  private ended = false;
  private active: Recording | null = null;
  private readingJob: ReadingJob | null = null;

  constructor(
    readonly id: string,
    source: StreamSource,
    private readonly host: StreamHost,
  ) {
    this.current = source;
    this.hub = new ViewerHub(() => this.hello());
  }

  get source(): HeartRateSource {
    return this.current.source;
  }

  get demo(): boolean {
    return this.current.demo;
  }

  get status(): SourceStatus | null {
    return this.statusNow;
  }

  /** the source has nothing more to send (end of a replay) */
  get sourceEnded(): boolean {
    return this.ended;
  }

  get recording(): Recording | null {
    return this.active;
  }

  get info(): StreamInfo {
    const { source, demo } = this.current;
    return {
      id: this.id,
      kind: source.kind,
      label: source.label,
      demo,
      state: this.statusNow?.state ?? null,
      sessionId: this.active?.session.id ?? null,
    };
  }

  /** The reading being taken at the table on this stream, or null. */
  get reading(): ReadingJob | null {
    return this.readingJob;
  }

  /**
   * Takes a reading at the table: refused (StreamBusy) while a session records on this stream or another reading runs.
   */
  takeReading(request: ReadingRequest): ReadingJob {
    if (this.active) {
      throw new StreamBusy(
        'STREAM_RECORDING',
        `a session is being recorded on stream ${this.id}: end it before taking a reading`,
      );
    }
    if (this.readingJob)
      throw new StreamBusy('READING_RUNNING', `a reading is already being taken on stream ${this.id}`);
    const events$ = this.events$;
    if (!events$ || this.ended)
      throw new StreamBusy('STREAM_NO_SOURCE', `stream ${this.id} has no source sending beats`);
    const job = new ReadingJob(request, {
      store: this.host.store,
      rolling: this.host.rolling,
      sourceLabel: this.current.source.label,
      publish: (m) => this.hub.broadcast(m),
      ended: (j) => {
        if (this.readingJob === j) this.readingJob = null;
      },
    });
    this.readingJob = job;
    job.start(events$);
    return job;
  }

  /** Cancels the reading being taken, saying why. False when none was running. */
  cancelReading(reason: string): boolean {
    const job = this.readingJob;
    if (!job) return false;
    job.cancel(reason);
    return true;
  }

  /** Subscribes to the source. */
  start(): void {
    const { source } = this.current;
    this.events$ = source.events$.pipe(share());
    this.sourceSubscription = this.events$.subscribe({
      next: (e) => {
        if (e.type !== 'status') return;
        this.statusNow = e.status;
        // While recording, statuses travel through the pipeline (stored, then published).
        if (!this.active) this.hub.broadcast(statusMessage(e.status, e.receivedAtMs));
      },
      error: (err) => this.host.log.error({ err, stream: this.id }, 'source failed'),
      complete: () => {
        this.ended = true;
        this.host.log.info({ stream: this.id, source: source.label }, 'source ended');
      },
    });
  }

  /** Unsubscribes from the source (the caller has stopped the recording first). */
  stopSource(): void {
    this.cancelReading('the source was stopped');
    this.sourceSubscription?.unsubscribe();
    this.sourceSubscription = null;
    this.events$ = null;
  }

  /** Another source from now on: the old one is stopped, the new one started. Not while recording. */
  replaceSource(next: StreamSource): void {
    if (this.active) throw new Error(`stream ${this.id}: end the recording before replacing the source`);
    const started = this.events$ !== null;
    this.stopSource();
    this.current = next;
    this.statusNow = null;
    this.ended = false;
    // A daemon that has not started yet starts every stream's source itself.
    if (started) this.start();
  }

  /** Records this stream into `session` from now on. */
  record(session: StoredSession): Recording {
    const events$ = this.events$;
    if (!events$) throw new Error(`stream ${this.id} is not started`);
    this.cancelReading('a session started');
    const { store, rolling, log } = this.host;
    const recording: Recording = {
      session,
      // Bound to this recording: what is flushed when it ends still carries its shift.
      batcher: new CommitBatcher(
        store,
        session.id,
        (events) => this.publish(events, recording),
        (err) => this.host.storeFailed(err),
        (waiting) => this.storeWaiting(waiting),
        // As long as a blocking write would have waited — without blocking anything.
        { maxWaitMs: store.busyTimeout },
      ),
      subscription: null,
      end$: new Subject<void>(),
      lastBeatTS: 0,
      latest: null,
      baseline: null,
      usual: null,
    };
    this.active = recording;
    const pipeline$ = events$.pipe(takeUntil(recording.end$), livePipeline(rolling));
    recording.subscription = pipeline$.subscribe({
      next: (e) => recording.batcher.push(e),
      error: (err) => {
        log.error({ err, session: session.id, stream: this.id }, 'pipeline failed');
        if (this.active === recording) this.host.pipelineEnded(this, true);
      },
      complete: () => {
        if (this.active === recording) this.host.pipelineEnded(this, false);
      },
    });
    return recording;
  }

  /** Stops recording, storing what is pending, and ends the stored session. Returns it, or null (none, or the store failed). */
  endRecording(status: 'ended' | 'interrupted'): StoredSession | null {
    const recording = this.active;
    if (!recording) return null;
    this.active = null;
    // Completing the input flushes the pipeline: the beats the artefact layer still held get their metrics (stored
    // and published with the rest) instead of being dropped. `active` is already null, so the completion does not
    // come back here as the end of a replay.
    recording.end$.next();
    recording.subscription?.unsubscribe();
    recording.batcher.flush();
    try {
      return this.host.store.endSession(recording.session.id, status);
    } catch (err) {
      this.host.storeFailed(err);
      return null;
    }
  }

  /** The reference of the baseline phase that `next` has just closed, or null when the phase before it was not one. */
  finishedBaseline(next: StoredPhase): BaselineMessage | null {
    const recording = this.active;
    if (!recording) return null;
    const { store } = this.host;
    const id = recording.session.id;
    const phases = store.getPhases(id).filter((p) => p.id !== next.id && p.startedAtS <= next.startedAtS);
    const previous = phases.reduce<StoredPhase | null>((a, p) => (a === null || p.id > a.id ? p : a), null);
    if (previous?.kind !== 'baseline') return null;
    const fromS = previous.startedAtS;
    const toS = next.startedAtS;
    // The summary's rule: the beats whose end time lies in (fromS, toS].
    const beats = store.getBeats(id, { fromS }).filter((b) => b.tS > fromS && b.tS <= toS);
    const baseline: BaselineMessage = {
      type: 'baseline',
      sessionId: id,
      phaseId: previous.id,
      fromS,
      toS,
      reference: baselineReference(beats),
    };
    recording.baseline = baseline;
    return baseline;
  }

  /**
   * What a viewer gets on connect: everything needed to draw this stream's session from scratch — the hello with the
   * first piece of the backfill, then (a long session) the rest in pieces, read from the store as they are sent.
   */
  hello(): HelloPlan {
    let session: SessionBackfill | null = null;
    let nextPiece: (() => BackfillMessage | null) | undefined;
    let extend: (() => boolean) | undefined;
    if (this.active) {
      try {
        ({ session, nextPiece, extend } = this.backfill(this.active));
      } catch (err) {
        // The store cannot be read: the viewer still gets the live values from now on.
        this.host.storeFailed(err);
      }
    }
    const { source, demo } = this.current;
    const hello = helloMessage({
      stream: this.id,
      streams: this.host.streams(),
      source: { kind: source.kind, label: source.label, demo },
      status: this.statusNow,
      recording: this.host.isRecording,
      session,
    });
    // Beats are waiting for another program's lock: the hello says so, after its backfill.
    const then: ServerMessage[] = this.active?.batcher.isWaiting ? [recordingWaitingMessage()] : [];
    return { hello, nextPiece, extend, then };
  }

  /**
   * The backfill's first piece and a reader of the next ones. What it covers is fixed now: the beats and metrics
   * stored so far (everything committed later is published live, after the last piece). Beats are read by seq, in
   * pieces of `backfillPieceBeats`, with the metrics of the same seqs.
   */
  private backfill(recording: Recording): {
    session: SessionBackfill;
    nextPiece: () => BackfillMessage | null;
    extend: () => boolean;
  } {
    const { store, backfillPieceBeats: size } = this.host;
    const id = recording.session.id;
    let last = store.lastSeqs(id);
    let endSeq = Math.max(last.beat, last.metrics) + 1;
    const piece = (fromSeq: number) => {
      const toSeq = fromSeq + size;
      return {
        beats: store.getBeatsBySeq(id, { fromSeq, toSeq: Math.min(toSeq, last.beat + 1) }),
        metrics: store.getMetricsTrend(id, { fromSeq, toSeq: Math.min(toSeq, last.metrics + 1) }),
      };
    };
    const first = piece(0);
    const session = sessionBackfill({
      session: store.getSession(id) ?? recording.session,
      beats: first.beats,
      metrics: first.metrics,
      more: endSeq > size,
      phases: store.getPhases(id),
      markers: store.getMarkers(id),
      gaps: store.getGaps(id),
      latest: recording.latest,
      baseline: recording.baseline,
      usual: recording.usual,
    });
    let fromSeq = size;
    const nextPiece = (): BackfillMessage | null => {
      if (fromSeq >= endSeq) return null;
      try {
        const { beats, metrics } = piece(fromSeq);
        fromSeq += size;
        return backfillMessage(id, beats, metrics, fromSeq >= endSeq);
      } catch (err) {
        // The store cannot be read any more: the viewer gets the live values from now on, without the rest.
        this.host.storeFailed(err);
        fromSeq = endSeq;
        return backfillMessage(id, [], [], true);
      }
    };
    // Every beat and metrics published while the batcher records was stored first: the pieces can read them.
    const extend = (): boolean => {
      if (!recording.batcher.isRecording || this.active !== recording) return false;
      try {
        last = store.lastSeqs(id);
      } catch {
        return false;
      }
      endSeq = Math.max(last.beat, last.metrics) + 1;
      return true;
    };
    return { session, nextPiece, extend };
  }

  private storeWaiting(waiting: boolean): void {
    if (waiting) {
      this.host.log.warn({ stream: this.id }, 'another program holds the session database: beats wait in memory');
    } else {
      this.host.log.info({ stream: this.id }, 'the session database is free again: the beats that waited are stored');
    }
    this.hub.broadcast(waiting ? recordingWaitingMessage() : recordingResumedMessage());
  }

  private publish(events: readonly PipelineEvent[], recording: Recording): void {
    const messages: ServerMessage[] = [];
    const reference = recording.baseline?.reference ?? null;
    const shift = reference
      ? (rmssdMs: number | null, why: string | undefined) => shiftAgainst(reference, rmssdMs, why)
      : undefined;
    for (const e of events) {
      if (e.type === 'beat') recording.lastBeatTS = e.tS;
      else if (e.type === 'status') this.statusNow = e.status;
      const message = messageFor(e, shift);
      if (message === null) continue;
      if (e.type === 'metrics') recording.latest = message as MetricsMessage;
      messages.push(message);
    }
    this.hub.broadcastAll(messages);
  }
}
