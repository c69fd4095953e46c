/**
 * The LAN protocol on `/ws`, written once: every message in both directions, the builders that make them, and the
 * facts the page must share with the daemon (version, timings, limits). The page (`web/`) is type-checked against
 * these types, and gets the facts at run time from `/lib/protocol.js`, which the server makes from `PAGE_FACTS`.
 *
 * Server → viewer, JSON text frames (`ServerMessage`):
 * - `hello`   on connect: protocol version, the stream followed and the list of streams, source, status, and the
 *             current session so far (columnar beats and metrics, phases, markers, gaps), so a reloaded page redraws
 *             everything. A viewer follows one stream (one strap): `/ws` the client's, `/ws?stream=therapist` another;
 * - `backfill` a long session's history does not fit one message without holding up every stream while it is built:
 *             the hello then carries its first beats and metrics (`session.more`), and `backfill` pieces carry the
 *             rest, in order, a few milliseconds' worth per event-loop turn; the last has `last: true`. Live
 *             messages come only after the last piece, and start where it ends: nothing is missed or sent twice;
 * - `status`  the strap or replay changed state;
 * - `beat`    one raw beat, after it was stored;
 * - `metrics` the live metrics after a beat was classified (a few beats later: the artefact layer looks ahead);
 * - `gap`, `phase`, `marker`, `session` (ended), `error`, `pong`;
 * - `recording` `waiting`: another program has held the database for half a second; the beats are held (in order, in
 *             memory) and are stored then published once it lets go — this stream's screen stands still meanwhile,
 *             nothing else does;
 *             `recording` again when they are; `stopped` when the store failed (or the wait ran out): recording has
 *             stopped, the live view goes on;
 * - `baseline` a baseline phase ended (the next phase started): the resting reference and its noise band, which the
 *             live screen compares the 60 s RMSSD with. From then on every `metrics` message carries `shift`.
 * - `usual`   today against the usual: the session's baseline against its client's normal range, in words, once
 *             the first baseline phase ended and the client has a normal range (for the therapist's screen only).
 * - `reading` a reading taken at the table (`POST /api/streams/:stream/reading`): settling, measuring (its progress
 *             about once a second of beat time), then done (the value, stored on the client), failed or cancelled.
 * Viewer → server (`ViewerMessage`): `{"type":"ping"}` → `{"type":"pong"}`; anything else gets an `error` with a code.
 * Commands (start a session, set a phase, add a marker) go through the REST API, not the socket.
 *
 * Adding a message type: its interface and builder here, a member of `ServerMessage`, the producer that broadcasts
 * it, and the page's handler (web/live/messages.js) — `npm run check` fails until the page handles what it is sent.
 */
import type { BeatEvent, GapEvent, PipelineEvent } from '../domain/events.js';
import {
  MARKER_KINDS,
  MARKER_VALUE_MAX,
  type MarkerKind,
  PHASE_KINDS,
  type PhaseKind,
  READING_KINDS,
  type ReadingKind,
} from '../domain/kinds.js';
import { TREND_FIELDS, type TrendField, type TrendPoint } from '../domain/metrics.js';
import type { SourceKind, SourceState, SourceStatus } from '../domain/source.js';
import type { LiveMetrics } from '../hrv/rolling.js';
import type { BaselineReference, Shift } from '../session/summary.js';
import type { StoredGap, StoredMarker, StoredPhase, StoredSession } from '../store/types.js';

/** Version, timings and limits that the daemon and the page share. */
export const PROTOCOL = {
  /** bumped on any change a page of the previous version would misread (2: the backfill in pieces) */
  version: 2,
  /** no beat for this long while the source says live: the page shows its values as stale */
  staleAfterMs: 3000,
  /** the page pings this often … */
  pingEveryMs: 5000,
  /** … and takes a socket that said nothing for this long for dead, and reopens it */
  watchdogMs: 12000,
  /** the largest frame a viewer may send (a viewer only pings): bigger ones close the socket (1009) */
  viewerMaxPayloadBytes: 4096,
} as const;

/**
 * A reading taken at the table: the client lies still for `settleS` of beat time, then `measureS` (whole minutes from
 * `measureMinS` to `measureMaxS`) are measured and valued by the reading rule (src/hrv/reading.ts).
 */
export const READING_TIMING = {
  settleS: 60,
  measureMinS: 60,
  measureMaxS: 300,
  measureDefaultS: 120,
} as const;

/** What the page gets from `/lib/protocol.js`: each fact as written in its one place. */
export const PAGE_FACTS = {
  PROTOCOL,
  PHASE_KINDS,
  MARKER_KINDS,
  MARKER_VALUE_MAX,
  TREND_FIELDS,
  READING_KINDS,
  READING_TIMING,
} as const;

/** The ES module served at `/lib/protocol.js`: `PAGE_FACTS` as constants (web/lib/protocol.d.ts gives their types). */
export function pageFactsModule(): string {
  const lines = Object.entries(PAGE_FACTS).map(([name, value]) => `export const ${name} = ${JSON.stringify(value)};`);
  return `// Made by the daemon from src/viewers/protocol.ts: the facts the page shares with it.\n${lines.join('\n')}\n`;
}

export interface SessionInfo {
  readonly id: number;
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly status: string;
  readonly clientLabel: string | null;
  readonly therapistNote: string | null;
  readonly sourceKind: string;
  readonly sourceLabel: string;
  /** whose heart: 'client', or the stream of a second strap ('therapist') */
  readonly stream: string;
  /** a second strap's session: the id of the client's session it was recorded with; null for that session itself */
  readonly groupId: number | null;
  /** the client's record the session is on (never the name: that is `clientLabel`); null for none */
  readonly clientId?: number | null;
}

/**
 * One stream of the daemon: a strap (or a demo source) and its state. The client's strap is the stream `client`; a
 * second strap worn by the therapist is another (`therapist`). A viewer follows one stream: `/ws?stream=ID`.
 */
export interface StreamInfo {
  readonly id: string;
  readonly kind: SourceKind;
  readonly label: string;
  readonly demo: boolean;
  readonly state: SourceState | null;
  /** the stream's stored session while one is being recorded */
  readonly sessionId: number | null;
}

export interface PhaseMessage {
  readonly type: 'phase';
  readonly sessionId: number;
  readonly id: number;
  readonly kind: PhaseKind;
  readonly startedAtS: number;
}

export interface MarkerMessage {
  readonly type: 'marker';
  readonly sessionId: number;
  readonly id: number;
  readonly kind: MarkerKind;
  readonly value: string;
  readonly atS: number;
  readonly undone: boolean;
}

/**
 * The metrics a viewer needs, flattened: values are null while not valid, and `quality` says why. `shift` is the 60 s
 * RMSSD against the session's latest finished baseline (`shiftAgainst`, the rule the session report uses); null
 * before a baseline has ended.
 */
export type MetricsMessage = {
  readonly type: 'metrics';
  readonly receivedAtMs: number;
  readonly shift: Shift | null;
} & LiveMetrics;

/**
 * A baseline phase ended (a massage or recovery phase started after it): its resting reference, computed by
 * `baselineReference` from the stored beats whose end time lies in (fromS, toS] — exactly what the session report
 * computes for that phase. The live screen compares against the latest one.
 */
export interface BaselineMessage {
  readonly type: 'baseline';
  readonly sessionId: number;
  /** the baseline phase */
  readonly phaseId: number;
  readonly fromS: number;
  readonly toS: number;
  readonly reference: BaselineReference;
}

/**
 * Today against the usual: the session's first baseline (the `baseline` message's lnRMSSD, the value the client's
 * timeline keeps for the session) against the client's normal range on the session's date, placed by
 * `todayAgainstUsual` (src/tracking/timeline.ts). Sent once, when that baseline ends, and only when the session is on
 * a client's record with a normal range that day. For the therapist's screen, not the client view; no name.
 */
export interface UsualMessage {
  readonly type: 'usual';
  readonly sessionId: number;
  readonly clientId: number;
  /** the baseline phase */
  readonly phaseId: number;
  /** the session's local date, 'YYYY-MM-DD' */
  readonly date: string;
  readonly lnRmssd: number;
  readonly normalLow: number;
  readonly normalHigh: number;
  /** the daily values the range was made of */
  readonly values60: number;
  readonly position: 'below' | 'within' | 'above';
  /** "came in below their usual", "came in within their usual range", "came in above their usual" */
  readonly words: string;
}

export function usualMessage(m: Omit<UsualMessage, 'type'>): UsualMessage {
  return { type: 'usual', ...m };
}

export type BeatMessage = Omit<BeatEvent, 'type'> & { readonly type: 'beat' };
export type GapMessage = Omit<GapEvent, 'type'> & { readonly type: 'gap' };

export interface StatusMessage {
  readonly type: 'status';
  readonly status: SourceStatus;
  readonly receivedAtMs: number;
}

/** A stream's part of the session ended (the session was ended, or a second strap's replay ran out). */
export interface SessionMessage {
  readonly type: 'session';
  readonly event: 'ended';
  readonly sessionId: number;
}

/**
 * Whether what the viewer is shown is being stored. `waiting`: another program holds the database — beats are held in
 * memory (bounded) and published only once stored, so this stream's screen stands still until the lock clears;
 * `recording`: stored again (the held beats follow at once); `stopped`: the store failed, or the wait ran out —
 * recording has stopped, the live view goes on. Fixed words and a code, never a file path.
 */
export interface RecordingMessage {
  readonly type: 'recording';
  readonly state: 'stopped' | 'waiting' | 'recording';
  readonly code: string;
  readonly reason: string;
}

export type ReadingJobState = 'settling' | 'measuring' | 'done' | 'failed' | 'cancelled';

/** A reading being taken at the table, or how it ended. For the therapist's screen: no name, only the client's id. */
export interface ReadingMessage {
  readonly type: 'reading';
  readonly state: ReadingJobState;
  readonly clientId: number;
  readonly kind: ReadingKind;
  readonly settleS: number;
  readonly measureS: number;
  /** beat time since the reading's first beat, s */
  readonly elapsedS: number;
  /** when done: the reading as stored (its value null with `reason` when it has none) */
  readonly result: {
    readonly readingId: number;
    readonly at: string;
    readonly beats: number;
    readonly rmssdMs: number | null;
    readonly lnRmssd: number | null;
    readonly meanHrBpm: number | null;
    readonly reason: string | null;
  } | null;
  /** failed or cancelled: why, in words */
  readonly reason: string | null;
}

export function readingMessage(m: Omit<ReadingMessage, 'type'>): ReadingMessage {
  return { type: 'reading', ...m };
}

/** Beats as columns (uPlot draws columns directly), in seq order. */
export interface BeatColumns {
  seq: number[];
  tS: number[];
  rrMs: number[];
  gapBefore: boolean[];
  kind: (string | null)[];
}

/** The trend's columns: `tS` and one per `TREND_FIELDS`, in seq order. */
export type MetricColumns = { tS: number[] } & { [K in TrendField]: TrendPoint[K][] };

/** Columnar session history: all of it, or (`more`) its first beats and metrics, the rest in `backfill` pieces. */
export interface SessionBackfill {
  readonly session: SessionInfo;
  readonly beats: BeatColumns;
  readonly metrics: MetricColumns;
  /** `backfill` messages follow with the next beats and metrics; live messages only after the last of them */
  readonly more: boolean;
  readonly phases: Omit<PhaseMessage, 'type' | 'sessionId'>[];
  readonly markers: Omit<MarkerMessage, 'type' | 'sessionId'>[];
  readonly gaps: { fromS: number; toS: number; reason: string }[];
  /** the latest metrics message, so the figures show at once */
  readonly latest: MetricsMessage | null;
  /** the latest finished baseline, or null while there is none */
  readonly baseline: Omit<BaselineMessage, 'type' | 'sessionId'> | null;
  /** today against the usual, once known (absent or null: not known) */
  readonly usual?: UsualMessage | null;
}

/** Why the server refused a viewer's message; the socket stays open. */
export type ViewerErrorCode =
  /** not a JSON object with a string `type` (binary frame, bad JSON, an array…) */
  | 'WS_BAD_MESSAGE'
  /** a JSON message of a type viewers may not send */
  | 'WS_UNKNOWN_MESSAGE';

export interface ErrorMessage {
  readonly type: 'error';
  readonly code: ViewerErrorCode;
  readonly message: string;
}

export interface PongMessage {
  readonly type: 'pong';
}

/**
 * The next piece of a long session's history, after `hello` (`session.more`): beats and metrics that follow on from
 * the previous piece's, in seq order. After the one with `last`, live messages.
 */
export interface BackfillMessage {
  readonly type: 'backfill';
  readonly sessionId: number;
  readonly beats: BeatColumns;
  readonly metrics: MetricColumns;
  readonly last: boolean;
}

export interface HelloMessage {
  readonly type: 'hello';
  readonly protocol: number;
  /** the stream this viewer follows */
  readonly stream: string;
  /** every stream of the daemon, the followed one among them */
  readonly streams: StreamInfo[];
  readonly source: { kind: SourceKind; label: string; demo: boolean };
  readonly status: SourceStatus | null;
  readonly recording: boolean;
  readonly session: SessionBackfill | null;
}

/** Everything the server sends a viewer. */
export type ServerMessage =
  | HelloMessage
  | BackfillMessage
  | StatusMessage
  | BeatMessage
  | MetricsMessage
  | GapMessage
  | PhaseMessage
  | MarkerMessage
  | BaselineMessage
  | UsualMessage
  | SessionMessage
  | RecordingMessage
  | ReadingMessage
  | ErrorMessage
  | PongMessage;

/** Everything a viewer may send. */
export interface PingMessage {
  readonly type: 'ping';
}
export type ViewerMessage = PingMessage;

// ---------------------------------------------------------------------------------------------------------------
// Builders

/**
 * Turns a committed pipeline event into its message, or null for events viewers do not get (raw samples). `shift`
 * gives a metrics message its shift against the baseline (null: none yet).
 */
export function messageFor(
  event: PipelineEvent,
  shift: (rmssdMs: number | null, missingWhy: string | undefined) => Shift | null = () => null,
): BeatMessage | MetricsMessage | GapMessage | StatusMessage | null {
  switch (event.type) {
    case 'beat':
      return event;
    case 'metrics': {
      const m = event.metrics;
      return {
        type: 'metrics',
        receivedAtMs: event.receivedAtMs,
        shift: shift(m.rmssdMs, m.quality.reason ?? undefined),
        ...m,
      };
    }
    case 'gap':
      return event;
    case 'status':
      return statusMessage(event.status, event.receivedAtMs);
    default:
      return null;
  }
}

export function statusMessage(status: SourceStatus, receivedAtMs: number): StatusMessage {
  return { type: 'status', status, receivedAtMs };
}

export function phaseMessage(p: StoredPhase): PhaseMessage {
  return { type: 'phase', sessionId: p.sessionId, id: p.id, kind: p.kind, startedAtS: p.startedAtS };
}

export function markerMessage(m: StoredMarker): MarkerMessage {
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

export function sessionEndedMessage(sessionId: number): SessionMessage {
  return { type: 'session', event: 'ended', sessionId };
}

export function recordingStoppedMessage(code: string): RecordingMessage {
  return {
    type: 'recording',
    state: 'stopped',
    code,
    reason: 'the session database could not be written: recording has stopped, the live view goes on',
  };
}

/** Another program holds the database: this stream's beats wait, in memory, to be stored before they are shown. */
export function recordingWaitingMessage(): RecordingMessage {
  return {
    type: 'recording',
    state: 'waiting',
    code: 'STORE_LOCKED',
    reason: 'another program holds the session database: beats are kept and shown once they are stored',
  };
}

/** The database is free again: the beats that waited are stored (and follow this message), recording goes on. */
export function recordingResumedMessage(): RecordingMessage {
  return { type: 'recording', state: 'recording', code: 'STORE_OK', reason: 'the session database is written again' };
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
    stream: s.stream,
    groupId: s.groupId,
    clientId: s.clientId ?? null,
  };
}

/** A beat as the backfill draws it. */
export type BackfillBeat = { seq: number; tS: number; rrMs: number; gapBefore: boolean; kind: string | null };

/** What a session's backfill is made from: the stored rows (all, or the first piece's), and the live state. */
export interface BackfillInput {
  readonly session: StoredSession;
  readonly beats: readonly BackfillBeat[];
  readonly metrics: readonly TrendPoint[];
  /** more beats and metrics follow in `backfill` pieces */
  readonly more?: boolean;
  readonly phases: readonly StoredPhase[];
  readonly markers: readonly StoredMarker[];
  readonly gaps: readonly StoredGap[];
  readonly latest: MetricsMessage | null;
  readonly baseline: BaselineMessage | null;
  readonly usual?: UsualMessage | null;
}

export function beatColumns(beats: readonly BackfillBeat[]): BeatColumns {
  const n = beats.length;
  const columns: BeatColumns = {
    seq: new Array(n),
    tS: new Array(n),
    rrMs: new Array(n),
    gapBefore: new Array(n),
    kind: new Array(n),
  };
  for (let i = 0; i < n; i++) {
    const b = beats[i];
    columns.seq[i] = b.seq;
    columns.tS[i] = b.tS;
    columns.rrMs[i] = b.rrMs;
    columns.gapBefore[i] = b.gapBefore;
    columns.kind[i] = b.kind;
  }
  return columns;
}

export function metricColumns(metrics: readonly TrendPoint[]): MetricColumns {
  const columns = { tS: metrics.map((m) => m.tS) } as MetricColumns;
  for (const field of TREND_FIELDS) (columns[field] as (number | null)[]) = metrics.map((m) => m[field]);
  return columns;
}

export function sessionBackfill(input: BackfillInput): SessionBackfill {
  const { baseline } = input;
  return {
    session: sessionInfo(input.session),
    beats: beatColumns(input.beats),
    metrics: metricColumns(input.metrics),
    more: input.more ?? false,
    phases: input.phases.map(({ id, kind, startedAtS }) => ({ id, kind, startedAtS })),
    markers: input.markers.map(({ id, kind, value, atS, undone }) => ({ id, kind, value, atS, undone })),
    gaps: input.gaps.map(({ fromS, toS, reason }) => ({ fromS, toS, reason })),
    latest: input.latest,
    baseline: baseline && {
      phaseId: baseline.phaseId,
      fromS: baseline.fromS,
      toS: baseline.toS,
      reference: baseline.reference,
    },
    usual: input.usual ?? null,
  };
}

export function backfillMessage(
  sessionId: number,
  beats: readonly BackfillBeat[],
  metrics: readonly TrendPoint[],
  last: boolean,
): BackfillMessage {
  return { type: 'backfill', sessionId, beats: beatColumns(beats), metrics: metricColumns(metrics), last };
}

/** What a viewer gets on connect. */
export function helloMessage(hello: Omit<HelloMessage, 'type' | 'protocol'>): HelloMessage {
  return { type: 'hello', protocol: PROTOCOL.version, ...hello };
}

/** The answer to one text frame from a viewer (a binary frame arrives as ''). Pure. */
export function answerViewer(data: string): PongMessage | ErrorMessage {
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return { type: 'error', code: 'WS_BAD_MESSAGE', message: 'expected a JSON text frame' };
  }
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    return { type: 'error', code: 'WS_BAD_MESSAGE', message: 'expected a JSON object with a "type"' };
  }
  const type = (message as { type?: unknown }).type;
  if (typeof type !== 'string') {
    return { type: 'error', code: 'WS_BAD_MESSAGE', message: 'expected a JSON object with a "type"' };
  }
  if (type === ('ping' satisfies ViewerMessage['type'])) return { type: 'pong' };
  return {
    type: 'error',
    code: 'WS_UNKNOWN_MESSAGE',
    message: `unknown message type ${JSON.stringify(type.slice(0, 40))}: viewers send only "ping"; commands go through the REST API`,
  };
}
