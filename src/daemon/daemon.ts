/**
 * The daemon's core: one source, the pipeline of the current session, the store, the viewers.
 *
 *   source.events$ ─share─┬─ status tracking (always)
 *                         └─ per session: beat timeline → live metrics → CommitBatcher (store, then viewers)
 *
 * Data flows one way. Commands (start or end a session, set a phase, add or undo a marker) come in through the
 * server and are stored, then published, like everything else. The constructor only assigns; `start()` and
 * `stop()` act.
 *
 * When a baseline phase ends (the next phase starts), its resting reference is computed from the stored beats with
 * the session report's own `baselineReference`, published as a `baseline` message, and from then on every metrics
 * message carries the live 60 s RMSSD's shift against it (`shiftAgainst`): one rule for the live screen and the
 * report.
 */
import { type Observable, type Subscription, share } from 'rxjs';
import { ROLLING_DEFAULTS, type RollingOptions } from '../hrv/rolling.js';
import type { PipelineEvent } from '../pipeline/events.js';
import { withLiveMetrics } from '../pipeline/metrics.js';
import { toBeatTimeline } from '../pipeline/timeline.js';
import { ViewerHub } from '../server/hub.js';
import {
  type BaselineMessage,
  type HelloMessage,
  type MarkerMessage,
  type MetricsMessage,
  messageFor,
  PROTOCOL_VERSION,
  type SessionBackfill,
  type SessionInfo,
} from '../server/protocol.js';
import { baselineReference, shiftAgainst } from '../session/summary.js';
import type { HeartRateSource, SourceEvent, SourceStatus } from '../sources/source.js';
import type { SessionStore } from '../store/session-store.js';
import type { MarkerKind, PhaseKind, StoredMarker, StoredPhase, StoredSession } from '../store/types.js';
import { CommitBatcher } from './commit-batcher.js';

export interface DaemonLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface DaemonDeps {
  readonly store: SessionStore;
  readonly source: HeartRateSource;
  readonly log: DaemonLog;
  readonly rolling?: Partial<RollingOptions>;
  /** a replay or simulated source: the view says DEMO at all times */
  readonly demo: boolean;
  /** start a session as soon as the source starts (demo, replay, simulate) */
  readonly autoSession?: { clientLabel: string; therapistNote: string };
}

interface ActiveSession {
  readonly session: StoredSession;
  readonly batcher: CommitBatcher;
  /** the session's pipeline; null only while `subscribe()` is still returning */
  subscription: Subscription | null;
  lastBeatTS: number;
  latest: MetricsMessage | null;
  /** the latest finished baseline phase's reference, or null */
  baseline: BaselineMessage | null;
}

export class Daemon {
  readonly hub: ViewerHub;
  private readonly rolling: RollingOptions;
  private events$: Observable<SourceEvent> | null = null;
  private sourceSubscription: Subscription | null = null;
  private active: ActiveSession | null = null;
  private status: SourceStatus | null = null;
  private recording = true;
  private sourceEnded = false;

  constructor(private readonly deps: DaemonDeps) {
    this.rolling = { ...ROLLING_DEFAULTS, ...deps.rolling };
    this.hub = new ViewerHub(() => this.hello());
  }

  get sourceStatus(): SourceStatus | null {
    return this.status;
  }

  /** The source as viewers see it; no store access. */
  get sourceInfo(): HelloMessage['source'] {
    const { source } = this.deps;
    return { kind: source.kind, label: source.label, demo: this.deps.demo };
  }

  /** The id of the session being recorded, or null; no store access. */
  get currentSessionId(): number | null {
    return this.active?.session.id ?? null;
  }

  get currentSession(): StoredSession | null {
    return this.active ? (this.deps.store.getSession(this.active.session.id) ?? null) : null;
  }

  get isRecording(): boolean {
    return this.recording;
  }

  /** Closes sessions a killed daemon left open, then starts the source (and a session, if asked to). */
  start(): void {
    const { store, log, source } = this.deps;
    const interrupted = store.recoverInterrupted();
    if (interrupted.length > 0)
      log.warn({ sessions: interrupted }, 'sessions left open by an earlier run marked interrupted');
    this.events$ = source.events$.pipe(share());
    if (this.deps.autoSession) this.startSession(this.deps.autoSession);
    this.sourceSubscription = this.events$.subscribe({
      next: (e) => {
        if (e.type !== 'status') return;
        this.status = e.status;
        // Within a session, statuses travel through the pipeline (stored, then published).
        if (!this.active) this.hub.broadcast({ type: 'status', status: e.status, receivedAtMs: e.receivedAtMs });
      },
      error: (err) => log.error({ err }, 'source failed'),
      complete: () => {
        this.sourceEnded = true;
        log.info({ source: source.label }, 'source ended');
      },
    });
  }

  /** Starts a new session (ending the current one). */
  startSession(input: { clientLabel?: string; therapistNote?: string }): StoredSession {
    if (!this.events$) throw new Error('the daemon is not started');
    if (this.sourceEnded) throw new DaemonError('DAEMON_SOURCE_ENDED', 'the source has ended: restart tableside');
    this.endSession();
    const { store, source } = this.deps;
    const session = store.createSession({
      clientLabel: input.clientLabel ?? '',
      therapistNote: input.therapistNote ?? '',
      sourceKind: source.kind,
      sourceLabel: source.label,
      params: { rolling: this.rolling, protocol: PROTOCOL_VERSION },
    });
    const batcher = new CommitBatcher(
      store,
      session.id,
      // Bound to this session: what is flushed when it ends still carries its shift.
      (events) => this.publish(events, active),
      (err) => this.storeFailed(err),
    );
    const active: ActiveSession = {
      session,
      batcher,
      subscription: null,
      lastBeatTS: 0,
      latest: null,
      baseline: null,
    };
    this.active = active;
    this.recording = true; // a store that failed during an earlier session gets a new chance
    const subscription = this.events$.pipe(toBeatTimeline(), withLiveMetrics(this.rolling)).subscribe({
      next: (e) => batcher.push(e),
      error: (err) => {
        this.deps.log.error({ err, session: session.id }, 'pipeline failed; session ended');
        this.endSession('ended');
      },
      complete: () => this.endSession('ended'),
    });
    active.subscription = subscription;
    this.deps.log.info({ session: session.id, source: source.label }, 'session started');
    this.hub.rehello();
    return session;
  }

  /** Ends the current session, storing what is pending. No-op without one. */
  endSession(status: 'ended' | 'interrupted' = 'ended'): StoredSession | null {
    const active = this.active;
    if (!active) return null;
    this.active = null;
    active.subscription?.unsubscribe();
    active.batcher.flush();
    let ended: StoredSession | null = null;
    try {
      ended = this.deps.store.endSession(active.session.id, status);
    } catch (err) {
      this.storeFailed(err);
    }
    this.deps.log.info({ session: active.session.id }, 'session ended');
    this.hub.broadcast({ type: 'session', event: 'ended', sessionId: active.session.id });
    return ended;
  }

  setPhase(sessionId: number, kind: PhaseKind): StoredPhase {
    const active = this.requireActive(sessionId);
    const { store } = this.deps;
    const phase = store.setPhase(sessionId, kind, active.lastBeatTS);
    this.hub.broadcast({ type: 'phase', sessionId, id: phase.id, kind: phase.kind, startedAtS: phase.startedAtS });
    if (kind !== 'baseline') {
      try {
        const baseline = this.finishedBaseline(active, phase);
        if (baseline) {
          active.baseline = baseline;
          this.hub.broadcast(baseline);
        }
      } catch (err) {
        // The phase is stored; without the reference the live screen goes on saying "waiting for baseline".
        this.storeFailed(err);
      }
    }
    return phase;
  }

  /** The reference of the baseline phase that `next` has just closed, or null when the phase before it was not one. */
  private finishedBaseline(active: ActiveSession, next: StoredPhase): BaselineMessage | null {
    const { store } = this.deps;
    const id = active.session.id;
    const phases = store.getPhases(id).filter((p) => p.id !== next.id && p.startedAtS <= next.startedAtS);
    const previous = phases.reduce<StoredPhase | null>((a, p) => (a === null || p.id > a.id ? p : a), null);
    if (previous?.kind !== 'baseline') return null;
    const fromS = previous.startedAtS;
    const toS = next.startedAtS;
    // The summary's rule: the beats whose end time lies in (fromS, toS].
    const beats = store.getBeats(id, { fromS }).filter((b) => b.tS > fromS && b.tS <= toS);
    return {
      type: 'baseline',
      sessionId: id,
      phaseId: previous.id,
      fromS,
      toS,
      reference: baselineReference(beats),
    };
  }

  addMarker(sessionId: number, kind: MarkerKind, value: string): StoredMarker {
    const active = this.requireActive(sessionId);
    const marker = this.deps.store.addMarker(sessionId, { kind, value, atS: active.lastBeatTS });
    this.hub.broadcast(markerMessage(marker));
    return marker;
  }

  undoMarker(sessionId: number, markerId: number): StoredMarker {
    this.requireActive(sessionId);
    const marker = this.deps.store.undoMarker(sessionId, markerId);
    this.hub.broadcast(markerMessage(marker));
    return marker;
  }

  /** Stops the source and the session, storing what is pending. The store is closed by whoever opened it. */
  stop(): void {
    this.endSession('ended');
    this.sourceSubscription?.unsubscribe();
    this.sourceSubscription = null;
    this.hub.closeAll();
  }

  /** What a viewer gets on connect: everything needed to draw the current session from scratch. */
  hello(): HelloMessage {
    let session: SessionBackfill | null = null;
    if (this.active) {
      try {
        session = this.backfill(this.active);
      } catch (err) {
        // The store cannot be read: the viewer still gets the live values from now on.
        this.storeFailed(err);
      }
    }
    return {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      source: this.sourceInfo,
      status: this.status,
      recording: this.recording,
      session,
    };
  }

  private backfill(active: ActiveSession): SessionBackfill {
    const { store } = this.deps;
    const id = active.session.id;
    const beats = store.getBeats(id);
    const metrics = store.getMetrics(id);
    const session = store.getSession(id) ?? active.session;
    return {
      session: sessionInfo(session),
      beats: {
        seq: beats.map((b) => b.seq),
        tS: beats.map((b) => b.tS),
        rrMs: beats.map((b) => b.rrMs),
        gapBefore: beats.map((b) => b.gapBefore),
        kind: beats.map((b) => b.kind),
      },
      metrics: {
        tS: metrics.map((m) => m.tS),
        meanHrBpm: metrics.map((m) => m.meanHrBpm),
        rmssdMs: metrics.map((m) => m.rmssdMs),
        lnRmssd: metrics.map((m) => m.lnRmssd),
        hfMs2: metrics.map((m) => m.hfMs2),
        lfMs2: metrics.map((m) => m.lfMs2),
        respirationRateBpm: metrics.map((m) => m.respirationRateBpm),
        correctedPct: metrics.map((m) => m.correctedPct),
      },
      phases: store.getPhases(id).map(({ id: phaseId, kind, startedAtS }) => ({ id: phaseId, kind, startedAtS })),
      markers: store.getMarkers(id).map(({ id: markerId, kind, value, atS, undone }) => ({
        id: markerId,
        kind,
        value,
        atS,
        undone,
      })),
      gaps: store.getGaps(id).map(({ fromS, toS, reason }) => ({ fromS, toS, reason })),
      latest: active.latest,
      baseline: active.baseline && {
        phaseId: active.baseline.phaseId,
        fromS: active.baseline.fromS,
        toS: active.baseline.toS,
        reference: active.baseline.reference,
      },
    };
  }

  private publish(events: readonly PipelineEvent[], active: ActiveSession): void {
    for (const e of events) {
      if (e.type === 'beat') active.lastBeatTS = e.tS;
      else if (e.type === 'status') this.status = e.status;
      const reference = active.baseline?.reference ?? null;
      const message = messageFor(e, (rmssdMs, why) => (reference ? shiftAgainst(reference, rmssdMs, why) : null));
      if (message === null) continue;
      if (e.type === 'metrics') active.latest = message as MetricsMessage;
      this.hub.broadcast(message);
    }
  }

  private storeFailed(err: unknown): void {
    if (!this.recording) return;
    this.recording = false;
    // Viewers on the network get fixed words and the code, never the database path in the store's message.
    const code = (err as { code?: unknown })?.code;
    this.deps.log.error({ err }, 'recording stopped: the session store failed; the live view goes on');
    this.hub.broadcast({
      type: 'recording',
      state: 'stopped',
      code: typeof code === 'string' ? code : 'STORE_FAILED',
      reason: 'the session database could not be written: recording has stopped, the live view goes on',
    });
  }

  private requireActive(sessionId: number): ActiveSession {
    const active = this.active;
    if (!active || active.session.id !== sessionId) {
      throw new DaemonError('DAEMON_NOT_CURRENT', `session ${sessionId} is not the session being recorded`);
    }
    return active;
  }
}

export class DaemonError extends Error {
  override readonly name = 'DaemonError';
  constructor(
    readonly code: 'DAEMON_NOT_CURRENT' | 'DAEMON_SOURCE_ENDED',
    message: string,
  ) {
    super(message);
  }
}

export function sessionInfo(s: StoredSession): SessionInfo {
  return {
    id: s.id,
    startedAt: s.startedAt,
    endedAt: s.endedAt,
    status: s.status,
    clientLabel: s.clientLabel,
    therapistNote: s.therapistNote,
    sourceKind: s.sourceKind,
    sourceLabel: s.sourceLabel,
  };
}

function markerMessage(m: StoredMarker): MarkerMessage {
  return {
    type: 'marker',
    sessionId: m.sessionId,
    id: m.id,
    kind: m.kind,
    value: m.value,
    atS: m.atS,
    undone: m.undone,
  };
}
