/**
 * The daemon's core: the streams (one source each — the client's strap first, a therapist's strap beside it), the
 * session being recorded across them, the store and the viewers.
 *
 *   stream "client":    source ─share─┬─ status (always) ──────────────────────────────┐
 *                                     └─ while recording: timeline → metrics → store ─┴→ its viewers (/ws)
 *   stream "therapist": the same, into a companion stored session (/ws?stream=therapist)
 *
 * Data flows one way. Commands (start or end a session, set a phase, add or undo a marker, choose a source) come in
 * through the server and are stored, then published, like everything else. The constructor only assigns; `start()`
 * and `stop()` act.
 *
 * A session is the client's stored session plus one companion per other stream (`groupId` = the client's session).
 * A phase or marker goes to every stream of the session, each at its own latest beat, so every stream's report reads
 * on its own. When a baseline phase ends (the next phase starts), each stream's resting reference is computed from
 * its stored beats with the session report's own `baselineReference`, published as a `baseline` message, and from
 * then on every metrics message carries the live 60 s RMSSD's shift against it (`shiftAgainst`): one rule for the
 * live screen and the report.
 */

import type { HeartRateSource, SourceStatus } from '../domain/source.js';
import { ROLLING_DEFAULTS, type RollingOptions } from '../hrv/rolling.js';
import { computeSessionValues, sessionAgainstUsual } from '../io/client-record.js';
import { formatLocal } from '../io/local-time.js';
import { BrowserStrapSource } from '../sources/browser-strap.js';
import type { SessionStore } from '../store/session-store.js';
import type { MarkerKind, PhaseKind, StoredMarker, StoredPhase, StoredSession } from '../store/types.js';
import type { ViewerHub } from '../viewers/hub.js';
import type { ServerMessage } from '../viewers/protocol.js';
import {
  type BaselineMessage,
  type ErrorMessage,
  type HelloMessage,
  markerMessage,
  PROTOCOL,
  phaseMessage,
  recordingStoppedMessage,
  type StrapMessage,
  type StreamInfo,
  sessionEndedMessage,
  strapRefused,
  usualMessage,
} from '../viewers/protocol.js';
import type { DaemonLog } from './log.js';
import { BACKFILL_PIECE_BEATS, CLIENT_STREAM, Stream, type StreamHost, type StreamSource } from './stream.js';

/** A stream beside the client's: its id (`therapist`, `strap-2`, …) and its source. */
export interface StreamSpec extends StreamSource {
  readonly id: string;
}

/** How many streams one daemon runs at most (a clinic's tables, each with a strap or two). */
export const MAX_STREAMS = 32;

/** A stream id: lower-case letters, digits and dashes, starting with a letter (it appears in URLs). */
export const STREAM_ID = /^[a-z][a-z0-9-]{0,31}$/;

export interface DaemonDeps {
  readonly store: SessionStore;
  /** the client's strap (the stream `client`) */
  readonly source: HeartRateSource;
  readonly log: DaemonLog;
  readonly rolling?: Partial<RollingOptions>;
  /** a replay or simulated source: the view says DEMO at all times */
  readonly demo: boolean;
  /** more straps recorded beside the client's: the therapist's, … */
  readonly streams?: readonly StreamSpec[];
  /** start a session as soon as the source starts (demo, replay, simulate) */
  readonly autoSession?: { clientLabel: string; therapistNote: string };
  /**
   * The session database could not be opened (its StoreError code): the store given is a scratch one, and the
   * daemon never says it is recording.
   */
  readonly recordingUnavailable?: string;
  /** beats per piece of a viewer's backfill (default `BACKFILL_PIECE_BEATS`; tests make it small) */
  readonly backfillPieceBeats?: number;
}

export class Daemon {
  private readonly rolling: RollingOptions;
  private readonly streamsById = new Map<string, Stream>();
  private readonly host: StreamHost;
  private started = false;
  private recording = true;
  /** the session being recorded: a marker's id in each stream's session, by any of them */
  private markerTwins = new Map<string, readonly MarkerTwin[]>();
  /** listeners to what every stream publishes (outlets), each with its removal per stream */
  private readonly observers = new Map<DaemonObserver, Map<Stream, () => void>>();

  constructor(private readonly deps: DaemonDeps) {
    this.rolling = { ...ROLLING_DEFAULTS, ...deps.rolling };
    this.recording = deps.recordingUnavailable === undefined;
    const daemon = this;
    this.host = {
      store: deps.store,
      log: deps.log,
      rolling: this.rolling,
      get isRecording() {
        return daemon.recording;
      },
      storeFailed: (err) => this.storeFailed(err),
      streams: () => this.streams,
      backfillPieceBeats: deps.backfillPieceBeats ?? BACKFILL_PIECE_BEATS,
      pipelineEnded: (stream, failed) => this.pipelineEnded(stream, failed),
    };
    this.addStream(CLIENT_STREAM, { source: deps.source, demo: deps.demo });
    for (const spec of deps.streams ?? []) this.addStream(spec.id, spec);
  }

  /** The client stream's viewers. */
  get hub(): ViewerHub {
    return this.client.hub;
  }

  /**
   * Listens to what every stream publishes to its viewers — the streams of now and those added later — after it is
   * committed (persist-then-publish). A sink: the listener takes note and never acts on the daemon. `null`: the
   * stream's state changed as a whole (a session started or ended, a source changed or a stream was removed).
   */
  observe(listener: DaemonObserver): () => void {
    const untaps = new Map<Stream, () => void>();
    this.observers.set(listener, untaps);
    for (const stream of this.streamsById.values()) this.tapStream(stream, listener, untaps);
    return () => {
      for (const untap of untaps.values()) untap();
      this.observers.delete(listener);
    };
  }

  private tapStream(stream: Stream, listener: DaemonObserver, untaps: Map<Stream, () => void>): void {
    untaps.set(
      stream,
      stream.hub.tap((message) => listener(stream.id, message)),
    );
  }

  /** A stream's viewers, or undefined for an unknown stream. */
  hubFor(streamId: string): ViewerHub | undefined {
    return this.streamsById.get(streamId)?.hub;
  }

  /** Every stream, the client's first. */
  /** A stream by its id (for what is asked of one stream: a reading at the table). */
  stream(streamId: string): Stream | undefined {
    return this.streamsById.get(streamId);
  }

  get streams(): StreamInfo[] {
    return [...this.streamsById.values()].map((s) => s.info);
  }

  /** Viewers of every stream. */
  get viewerCount(): number {
    let n = 0;
    for (const s of this.streamsById.values()) n += s.hub.size;
    return n;
  }

  get sourceStatus(): SourceStatus | null {
    return this.client.status;
  }

  /** The client's source as viewers see it; no store access. */
  get sourceInfo(): HelloMessage['source'] {
    const { source, demo } = this.client;
    return { kind: source.kind, label: source.label, demo };
  }

  /** The id of the session being recorded (the client stream's), or null; no store access. */
  get currentSessionId(): number | null {
    return this.client.recording?.session.id ?? null;
  }

  get currentSession(): StoredSession | null {
    const id = this.currentSessionId;
    return id === null ? null : (this.deps.store.getSession(id) ?? null);
  }

  get isRecording(): boolean {
    return this.recording;
  }

  /** Closes sessions a killed daemon left open, then starts the sources (and a session, if asked to). */
  start(): void {
    const { store, log } = this.deps;
    const interrupted = store.recoverInterrupted();
    if (interrupted.length > 0)
      log.warn({ sessions: interrupted }, 'sessions left open by an earlier run marked interrupted');
    this.started = true;
    for (const stream of this.streamsById.values()) stream.start();
    if (this.deps.autoSession) this.startSession(this.deps.autoSession);
  }

  /** Starts a new session (ending the current one) on every stream whose source has not ended. */
  startSession(input: { clientLabel?: string; therapistNote?: string; clientId?: number | null }): StoredSession {
    if (!this.started) throw new Error('the daemon is not started');
    const client = this.client;
    if (client.sourceEnded) {
      throw new DaemonError('DAEMON_SOURCE_ENDED', 'the source has ended: choose another source or restart tableside');
    }
    this.endSession();
    const { store, log } = this.deps;
    const common = {
      clientLabel: input.clientLabel ?? '',
      therapistNote: input.therapistNote ?? '',
      params: { rolling: this.rolling, protocol: PROTOCOL.version },
    };
    const session = store.createSession({
      ...common,
      sourceKind: client.source.kind,
      sourceLabel: client.source.label,
      stream: CLIENT_STREAM,
      clientId: input.clientId ?? null,
    });
    // A store that failed during an earlier session gets a new chance; a scratch store never counts as recording.
    this.recording = this.deps.recordingUnavailable === undefined;
    client.record(session);
    for (const stream of this.streamsById.values()) {
      if (stream === client || stream.sourceEnded) continue;
      try {
        const companion = store.createSession({
          ...common,
          sourceKind: stream.source.kind,
          sourceLabel: stream.source.label,
          stream: stream.id,
          groupId: session.id,
        });
        stream.record(companion);
      } catch (err) {
        this.storeFailed(err);
      }
    }
    log.info({ session: session.id, streams: this.streamsById.size }, 'session started');
    for (const stream of this.streamsById.values()) stream.hub.rehello();
    return session;
  }

  /** Ends the current session on every stream, storing what is pending. No-op without one. */
  endSession(status: 'ended' | 'interrupted' = 'ended'): StoredSession | null {
    const client = this.client;
    const id = client.recording?.session.id;
    if (id === undefined) return null;
    let ended: StoredSession | null = null;
    for (const stream of this.streamsById.values()) {
      const sessionId = stream.recording?.session.id;
      if (sessionId === undefined) continue;
      const done = stream.endRecording(status);
      if (stream === client) ended = done;
      if (stream === client && done) this.storeSessionValues(done.id);
      stream.hub.broadcast(sessionEndedMessage(sessionId));
    }
    this.markerTwins = new Map();
    this.deps.log.info({ session: id }, 'session ended');
    return ended;
  }

  /** The values a client's timeline shows of the session, computed once from its beats and stored. */
  private storeSessionValues(sessionId: number): void {
    try {
      computeSessionValues(this.deps.store, sessionId);
    } catch (err) {
      // The session is stored; its values are computed on first need instead.
      this.deps.log.warn({ err, session: sessionId }, 'session values not stored: they are computed on first need');
    }
  }

  setPhase(sessionId: number, kind: PhaseKind): StoredPhase {
    this.requireCurrent(sessionId);
    const { store } = this.deps;
    let asked: StoredPhase | null = null;
    for (const stream of this.recordingStreams()) {
      const recording = stream.recording;
      if (!recording) continue;
      const phase = store.setPhase(recording.session.id, kind, recording.lastBeatTS);
      if (recording.session.id === sessionId) asked = phase;
      stream.hub.broadcast(phaseMessage(phase));
      if (kind === 'baseline') continue;
      try {
        const baseline = stream.finishedBaseline(phase);
        if (baseline) stream.hub.broadcast(baseline);
        if (baseline && stream === this.client) this.publishUsual(stream, baseline);
      } catch (err) {
        // The phase is stored; without the reference the live screen goes on saying "waiting for baseline".
        this.storeFailed(err);
      }
    }
    if (asked === null) throw new DaemonError('DAEMON_NOT_CURRENT', `session ${sessionId} is not being recorded`);
    return asked;
  }

  /**
   * Today against the usual, once a session's first baseline phase ended: its lnRMSSD against the normal range of the
   * session's client on the session's date. Nothing for a session on no client's record, a baseline without a value
   * or a client without a normal range. A failure costs only these words: the session goes on.
   */
  private publishUsual(stream: Stream, baseline: BaselineMessage): void {
    const recording = stream.recording;
    const clientId = recording?.session.clientId ?? null;
    const lnRmssd = baseline.reference.lnRmssd;
    if (!recording || recording.usual !== null || clientId === null || lnRmssd === null) return;
    const { store, log } = this.deps;
    const sessionId = recording.session.id;
    try {
      const first = store.getPhases(sessionId).find((p) => p.kind === 'baseline');
      if (first?.id !== baseline.phaseId) return; // the session's record keeps its first baseline
      const date = formatLocal(new Date(recording.session.startedAt)).slice(0, 10);
      const usual = sessionAgainstUsual(store, clientId, lnRmssd, date);
      if (!usual) return;
      const { position, words, normalLow, normalHigh, values60 } = usual;
      recording.usual = usualMessage({
        sessionId,
        clientId,
        phaseId: baseline.phaseId,
        date,
        lnRmssd,
        normalLow,
        normalHigh,
        values60,
        position,
        words,
      });
      stream.hub.broadcast(recording.usual);
    } catch (err) {
      log.warn({ err, session: sessionId }, 'today against the usual not computed: the live screen goes on without it');
    }
  }

  addMarker(sessionId: number, kind: MarkerKind, value: string): StoredMarker {
    this.requireCurrent(sessionId);
    const { store } = this.deps;
    let asked: StoredMarker | null = null;
    const twins: MarkerTwin[] = [];
    for (const stream of this.recordingStreams()) {
      const recording = stream.recording;
      if (!recording) continue;
      const marker = store.addMarker(recording.session.id, { kind, value, atS: recording.lastBeatTS });
      if (marker.sessionId === sessionId) asked = marker;
      twins.push({ stream, sessionId: marker.sessionId, markerId: marker.id });
      stream.hub.broadcast(markerMessage(marker));
    }
    for (const twin of twins) this.markerTwins.set(twinKey(twin.sessionId, twin.markerId), twins);
    if (asked === null) throw new DaemonError('DAEMON_NOT_CURRENT', `session ${sessionId} is not being recorded`);
    return asked;
  }

  /** Undoes a marker, and its twins on the session's other streams. */
  undoMarker(sessionId: number, markerId: number): StoredMarker {
    this.requireCurrent(sessionId);
    const { store } = this.deps;
    const twins = this.markerTwins.get(twinKey(sessionId, markerId));
    // Without twins (a marker of this stream only), the store checks that it belongs to the session.
    const asked = store.undoMarker(sessionId, markerId);
    this.streamOfSession(sessionId)?.hub.broadcast(markerMessage(asked));
    for (const twin of twins ?? []) {
      if (twin.sessionId === sessionId) continue;
      twin.stream.hub.broadcast(markerMessage(store.undoMarker(twin.sessionId, twin.markerId)));
    }
    return asked;
  }

  /**
   * Gives a stream another source — or adds the stream when it is new. A session being recorded ends first: its
   * straps are what the report says it recorded. Returns the stream as viewers now see it.
   */
  replaceSource(streamId: string, next: StreamSource): StreamInfo {
    if (!STREAM_ID.test(streamId)) {
      throw new DaemonError(
        'DAEMON_BAD_STREAM',
        `stream id ${JSON.stringify(streamId.slice(0, 40))}: use lower-case letters, digits and dashes`,
      );
    }
    const existing = this.streamsById.get(streamId);
    if (!existing && this.streamsById.size >= MAX_STREAMS) {
      throw new DaemonError('DAEMON_TOO_MANY_STREAMS', `this daemon runs at most ${MAX_STREAMS} streams`);
    }
    this.endSession();
    let stream: Stream;
    if (existing) {
      existing.replaceSource(next);
      stream = existing;
    } else {
      stream = this.addStream(streamId, next);
      if (this.started) stream.start();
    }
    this.deps.log.info({ stream: streamId, source: next.source.label, demo: next.demo }, 'source chosen');
    for (const s of this.streamsById.values()) s.hub.rehello();
    return stream.info;
  }

  /** Removes a stream beside the client's (its viewers are told and closed). A session being recorded ends first. */
  removeStream(streamId: string): void {
    const stream = this.streamsById.get(streamId);
    if (!stream) throw new DaemonError('DAEMON_UNKNOWN_STREAM', `no stream ${JSON.stringify(streamId.slice(0, 40))}`);
    if (stream === this.client) {
      throw new DaemonError('DAEMON_BAD_STREAM', "the client's stream cannot be removed: choose another source for it");
    }
    this.endSession();
    stream.stopSource();
    this.streamsById.delete(streamId);
    for (const untaps of this.observers.values()) {
      untaps.get(stream)?.();
      untaps.delete(stream);
    }
    stream.hub.closeAll(1001, 'this strap was removed from tableside');
    this.deps.log.info({ stream: streamId }, 'stream removed');
    for (const s of this.streamsById.values()) s.hub.rehello();
  }

  /**
   * A message from a page that connected a strap itself, on the socket (`feeder`) it opened for `socketStream`. It
   * feeds only that stream, and only while the stream's source is a browser strap; returns the error to send back
   * when the message is refused (and dropped), else null.
   */
  feedFromPage(socketStream: string, feeder: object, message: StrapMessage): ErrorMessage | null {
    if (message.stream !== socketStream) {
      return strapRefused(
        'WS_STRAP_OTHER_STREAM',
        `this socket follows stream ${JSON.stringify(socketStream)}: a page feeds only the stream it opened its socket ` +
          `for (/ws?stream=${encodeURIComponent(message.stream.slice(0, 32))})`,
      );
    }
    const source = this.streamsById.get(socketStream)?.source;
    if (!(source instanceof BrowserStrapSource)) {
      return strapRefused(
        'WS_STRAP_REFUSED',
        `stream ${JSON.stringify(socketStream)} does not record from a browser strap: choose "this device" as its ` +
          'source first',
      );
    }
    const refusal = source.accept(feeder, message);
    if (refusal === null) return null;
    return strapRefused(refusal.refused === 'flood' ? 'WS_STRAP_FLOOD' : 'WS_STRAP_REFUSED', refusal.message);
  }

  /** A page's socket closed: a strap it fed is disconnected. */
  pageGone(feeder: object): void {
    for (const stream of this.streamsById.values()) {
      if (stream.source instanceof BrowserStrapSource) stream.source.detach(feeder);
    }
  }

  /** Stops the sources and the session, storing what is pending. The store is closed by whoever opened it. */
  stop(): void {
    this.endSession('ended');
    for (const stream of this.streamsById.values()) {
      stream.stopSource();
      stream.hub.closeAll();
    }
  }

  private get client(): Stream {
    return this.streamsById.get(CLIENT_STREAM) as Stream;
  }

  private addStream(id: string, source: StreamSource): Stream {
    if (this.streamsById.has(id)) throw new DaemonError('DAEMON_BAD_STREAM', `stream ${id} is given twice`);
    const stream = new Stream(id, source, this.host);
    this.streamsById.set(id, stream);
    for (const [listener, untaps] of this.observers) this.tapStream(stream, listener, untaps);
    return stream;
  }

  private *recordingStreams(): Iterable<Stream> {
    for (const stream of this.streamsById.values()) if (stream.recording) yield stream;
  }

  private streamOfSession(sessionId: number): Stream | undefined {
    for (const stream of this.recordingStreams()) if (stream.recording?.session.id === sessionId) return stream;
    return undefined;
  }

  private pipelineEnded(stream: Stream, failed: boolean): void {
    if (stream === this.client) {
      if (failed) this.deps.log.error({ session: this.currentSessionId }, 'pipeline failed; session ended');
      this.endSession('ended');
      return;
    }
    // A second strap's replay ended: the client's session goes on without it.
    const sessionId = stream.recording?.session.id;
    stream.endRecording('ended');
    if (sessionId !== undefined) stream.hub.broadcast(sessionEndedMessage(sessionId));
  }

  private storeFailed(err: unknown): void {
    if (!this.recording) return;
    this.recording = false;
    // Viewers on the network get fixed words and the code, never the database path in the store's message.
    const code = (err as { code?: unknown })?.code;
    this.deps.log.error({ err }, 'recording stopped: the session store failed; the live view goes on');
    const message = recordingStoppedMessage(typeof code === 'string' ? code : 'STORE_FAILED');
    for (const stream of this.streamsById.values()) stream.hub.broadcast(message);
  }

  /** The session (or a companion stream's session) is the one being recorded. */
  isCurrentSession(sessionId: number): boolean {
    return this.streamOfSession(sessionId) !== undefined;
  }

  private requireCurrent(sessionId: number): void {
    if (!this.isCurrentSession(sessionId)) {
      throw new DaemonError('DAEMON_NOT_CURRENT', `session ${sessionId} is not the session being recorded`);
    }
  }
}

/** A listener to every stream's published messages (Daemon.observe). */
export type DaemonObserver = (streamId: string, message: ServerMessage | null) => void;

interface MarkerTwin {
  readonly stream: Stream;
  readonly sessionId: number;
  readonly markerId: number;
}

function twinKey(sessionId: number, markerId: number): string {
  return `${sessionId}:${markerId}`;
}

export class DaemonError extends Error {
  override readonly name = 'DaemonError';
  constructor(
    readonly code:
      | 'DAEMON_NOT_CURRENT'
      | 'DAEMON_SOURCE_ENDED'
      | 'DAEMON_BAD_STREAM'
      | 'DAEMON_UNKNOWN_STREAM'
      | 'DAEMON_TOO_MANY_STREAMS',
    message: string,
  ) {
    super(message);
  }
}
