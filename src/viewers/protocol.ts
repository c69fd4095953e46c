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
 * A page that connected a strap itself (Web Bluetooth) also sends, on the socket of the stream it feeds:
 * - `strap-status`        the strap's link as the browser sees it (connecting, live, disconnected with the reason);
 * - `strap-notification`  one 0x2A37 notification: its raw bytes and the page's arrival time. No answer while it is
 *                         taken; an `error` (and the notification dropped) when it is malformed, over the rate bound,
 *                         for another stream, or for a stream whose source is not a browser strap.
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

/** What a page may send about a strap it connected itself (Web Bluetooth): sizes and the rate bound. */
export const BROWSER_STRAP = {
  /** the largest 0x2A37 payload taken, bytes (the longest attribute value Bluetooth allows) */
  payloadMaxBytes: 512,
  /** notifications a page may send per second on average (a strap notifies about once a second) … */
  notificationsPerS: 10,
  /** … and in one burst (a page catching up after a stall); beyond, they are dropped and counted */
  notificationBurst: 30,
  /** longest strap name and disconnect reason taken, characters */
  nameMaxChars: 64,
  reasonMaxChars: 200,
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
  BROWSER_STRAP,
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
  | 'WS_UNKNOWN_MESSAGE'
  /** a strap message whose fields are not what the protocol says (bytes, time, state, name…) */
  | 'WS_STRAP_MALFORMED'
  /** a strap message for a stream other than the one this socket was opened for */
  | 'WS_STRAP_OTHER_STREAM'
  /** a strap message for a stream whose source is not a browser strap, or that another page feeds now */
  | 'WS_STRAP_REFUSED'
  /** more strap notifications than the rate bound: dropped */
  | 'WS_STRAP_FLOOD';

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

/** The link to a strap as the page's browser sees it. */
export type BrowserStrapState = 'connecting' | 'live' | 'disconnected';

/** Page → daemon: a strap connected in this page changed state (and what it is: name, battery). */
export interface StrapStatusMessage {
  readonly type: 'strap-status';
  /** the stream the page feeds: the one its socket was opened for */
  readonly stream: string;
  readonly state: BrowserStrapState;
  /** disconnected: why, in words */
  readonly reason?: string;
  /** the strap as the browser names it; `id` is the browser's own id for it */
  readonly device?: { readonly name: string; readonly id: string };
  readonly batteryPct?: number;
  /** the page is in the background (the browser may hold back its notifications) */
  readonly hidden?: boolean;
}

/** Page → daemon: one Heart Rate Measurement notification, as the strap sent it. */
export interface StrapNotificationMessage {
  readonly type: 'strap-notification';
  readonly stream: string;
  /** the page's clock (Date.now()) when the notification arrived there, ms */
  readonly atMs: number;
  /** the 0x2A37 payload, byte by byte (0–255) */
  readonly bytes: number[];
}

export type StrapMessage = StrapStatusMessage | StrapNotificationMessage;

export type ViewerMessage = PingMessage | StrapMessage;

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

/**
 * Reads one text frame from a viewer: a strap message with every field checked, or null for anything else (which
 * `answerViewer` answers). A strap message with a bad field gives a `WS_STRAP_MALFORMED` error naming the field. Pure.
 */
export function readStrapMessage(data: string): StrapMessage | ErrorMessage | null {
  let m: unknown;
  try {
    m = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return null;
  const o = m as Record<string, unknown>;
  if (o.type !== 'strap-status' && o.type !== 'strap-notification') return null;
  const bad = (field: string, want: string): ErrorMessage => ({
    type: 'error',
    code: 'WS_STRAP_MALFORMED',
    message: `${o.type}: ${field} must be ${want}; message dropped`,
  });
  if (typeof o.stream !== 'string' || o.stream.length === 0 || o.stream.length > 32) {
    return bad('"stream"', 'the id of the stream this socket follows');
  }
  if (o.type === 'strap-notification') {
    if (typeof o.atMs !== 'number' || !Number.isFinite(o.atMs) || o.atMs < 0) {
      return bad('"atMs"', "the page's arrival time in ms (a finite number ≥ 0)");
    }
    const bytes = o.bytes;
    if (
      !Array.isArray(bytes) ||
      bytes.length > BROWSER_STRAP.payloadMaxBytes ||
      !bytes.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
    ) {
      return bad('"bytes"', `an array of at most ${BROWSER_STRAP.payloadMaxBytes} integers 0–255`);
    }
    return { type: 'strap-notification', stream: o.stream, atMs: o.atMs, bytes };
  }
  const states: readonly BrowserStrapState[] = ['connecting', 'live', 'disconnected'];
  if (!states.includes(o.state as BrowserStrapState)) return bad('"state"', `one of ${states.join(', ')}`);
  if (o.reason !== undefined && (typeof o.reason !== 'string' || o.reason.length > BROWSER_STRAP.reasonMaxChars)) {
    return bad('"reason"', `words of at most ${BROWSER_STRAP.reasonMaxChars} characters`);
  }
  const device = o.device as Record<string, unknown> | undefined;
  if (
    device !== undefined &&
    (typeof device !== 'object' ||
      device === null ||
      typeof device.name !== 'string' ||
      typeof device.id !== 'string' ||
      device.name.length > BROWSER_STRAP.nameMaxChars ||
      device.id.length > BROWSER_STRAP.nameMaxChars)
  ) {
    return bad('"device"', `{ name, id }, each at most ${BROWSER_STRAP.nameMaxChars} characters`);
  }
  if (
    o.batteryPct !== undefined &&
    (typeof o.batteryPct !== 'number' || !Number.isInteger(o.batteryPct) || o.batteryPct < 0 || o.batteryPct > 100)
  ) {
    return bad('"batteryPct"', 'an integer 0–100');
  }
  if (o.hidden !== undefined && typeof o.hidden !== 'boolean') return bad('"hidden"', 'true or false');
  return {
    type: 'strap-status',
    stream: o.stream,
    state: o.state as BrowserStrapState,
    ...(o.reason === undefined ? {} : { reason: o.reason as string }),
    ...(device === undefined ? {} : { device: { name: device.name as string, id: device.id as string } }),
    ...(o.batteryPct === undefined ? {} : { batteryPct: o.batteryPct as number }),
    ...(o.hidden === undefined ? {} : { hidden: o.hidden as boolean }),
  };
}

/** A refused strap message, in words. */
export function strapRefused(code: ViewerErrorCode, message: string): ErrorMessage {
  return { type: 'error', code, message };
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
