/**
 * The LAN protocol on `/ws`, version 1 (documented in the README, "WebSocket protocol").
 *
 * Server → viewer, JSON text frames:
 * - `hello`   on connect: protocol version, the stream followed and the list of streams, source, status, and the whole
 *             current session so far (columnar beats and metrics, phases, markers, gaps), so a reloaded page redraws
 *             everything. A viewer follows one stream (one strap): `/ws` the client's, `/ws?stream=therapist` another;
 * - `status`  the strap or replay changed state;
 * - `beat`    one raw beat, after it was stored;
 * - `metrics` the live metrics after a beat was classified (a few beats later: the artefact layer looks ahead);
 * - `gap`, `phase`, `marker`, `session` (started / ended), `recording` (stopped: the store failed), `error`;
 * - `baseline` a baseline phase ended (the next phase started): the resting reference and its noise band, which the
 *             live screen compares the 60 s RMSSD with. From then on every `metrics` message carries `shift`.
 * Viewer → server: `{"type":"ping"}` → `{"type":"pong"}`; anything else gets an `error` with a code. Commands
 * (start a session, set a phase, add a marker) go through the REST API, not the socket.
 */

import type { BeatEvent, GapEvent, PipelineEvent } from '../domain/events.js';
import type { SourceKind, SourceState, SourceStatus } from '../domain/source.js';
import type { LiveMetrics } from '../hrv/rolling.js';
import type { BaselineReference, Shift } from '../session/summary.js';

export const PROTOCOL_VERSION = 1;

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
  readonly kind: 'baseline' | 'massage' | 'recovery';
  readonly startedAtS: number;
}

export interface MarkerMessage {
  readonly type: 'marker';
  readonly sessionId: number;
  readonly id: number;
  readonly kind: 'technique' | 'region' | 'note';
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

export type BeatMessage = Omit<BeatEvent, 'type'> & { readonly type: 'beat' };
export type GapMessage = Omit<GapEvent, 'type'> & { readonly type: 'gap' };

export interface StatusMessage {
  readonly type: 'status';
  readonly status: SourceStatus;
  readonly receivedAtMs: number;
}

/** Columnar session history (uPlot draws columns directly). */
export interface SessionBackfill {
  readonly session: SessionInfo;
  readonly beats: { seq: number[]; tS: number[]; rrMs: number[]; gapBefore: boolean[]; kind: (string | null)[] };
  readonly metrics: {
    tS: number[];
    meanHrBpm: (number | null)[];
    rmssdMs: (number | null)[];
    lnRmssd: (number | null)[];
    hfMs2: (number | null)[];
    lfMs2: (number | null)[];
    respirationRateBpm: (number | null)[];
    correctedPct: (number | null)[];
  };
  readonly phases: Omit<PhaseMessage, 'type' | 'sessionId'>[];
  readonly markers: Omit<MarkerMessage, 'type' | 'sessionId'>[];
  readonly gaps: { fromS: number; toS: number; reason: string }[];
  /** the latest metrics message, so the figures show at once */
  readonly latest: MetricsMessage | null;
  /** the latest finished baseline, or null while there is none */
  readonly baseline: Omit<BaselineMessage, 'type' | 'sessionId'> | null;
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
      return { type: 'status', status: event.status, receivedAtMs: event.receivedAtMs };
    default:
      return null;
  }
}
