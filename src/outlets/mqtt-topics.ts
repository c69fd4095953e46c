/**
 * The topic tree, version 1, written once: what a table publishes (./mqtt.ts) and what the clinic overview reads
 * (src/clinic/). No MQTT client here, so that a reader of the tree does not load one.
 *
 *   tableside/v1/<table>/status            retained, QoS 1   online/offline (offline: the broker's last will)
 *   tableside/v1/<table>/<stream>/state    retained, QoS 1   strap state, battery, session running, recording
 *   tableside/v1/<table>/<stream>/metrics  not retained, QoS 0, at most once a second: HR, RMSSD, shift, quality
 */
import type { SourceKind, SourceState } from '../domain/source.js';
import type { ShiftVerdict } from '../session/summary.js';

/** The topic tree's root and version: a change of any payload's meaning makes it v2. */
export const TOPIC_ROOT = 'tableside/v1';
export const TOPIC_VERSION = 1;

export const topics = {
  status: (table: string) => `${TOPIC_ROOT}/${table}/status`,
  state: (table: string, stream: string) => `${TOPIC_ROOT}/${table}/${stream}/state`,
  metrics: (table: string, stream: string) => `${TOPIC_ROOT}/${table}/${stream}/metrics`,
};

/** The values `state.kind`, `state.state` and `metrics.shift` take (each list is checked against its type below). */
export const SOURCE_KINDS = ['ble', 'browser', 'simulated', 'replay'] as const;
export const SOURCE_STATES = ['scanning', 'connecting', 'live', 'stale', 'disconnected', 'ended'] as const;
export const SHIFT_VERDICTS = ['shifting-to-rest', 'activated', 'no-clear-change', 'unknown'] as const;
// A value added to one of the types but not to its list (or the reverse) fails here, at compile time.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const listsMatchTypes: [
  Same<(typeof SOURCE_KINDS)[number], SourceKind>,
  Same<(typeof SOURCE_STATES)[number], SourceState>,
  Same<(typeof SHIFT_VERDICTS)[number], ShiftVerdict>,
] = [true, true, true];
void listsMatchTypes;

/** `…/status`: whether the table is running. The last will is the same with `online: false`. */
export interface StatusPayload {
  readonly v: typeof TOPIC_VERSION;
  readonly table: string;
  readonly online: boolean;
  /** the streams the table runs (client, therapist, …): while online */
  readonly streams?: readonly string[];
  /** false when the session store failed: the live view goes on, nothing is stored */
  readonly recording?: boolean;
}

/** `…/<stream>/state`: the strap and the session of one stream. */
export interface StatePayload {
  readonly v: typeof TOPIC_VERSION;
  readonly table: string;
  readonly stream: string;
  /** ble, simulated or replay */
  readonly kind: SourceKind;
  readonly demo: boolean;
  /** scanning, connecting, live, stale, disconnected, ended; null before the source said anything */
  readonly state: SourceState | null;
  readonly batteryPct: number | null;
  /** a session is running on this stream */
  readonly session: boolean;
  /** …and it is being stored */
  readonly recording: boolean;
}

/** `…/<stream>/metrics`: the latest live values (null while not valid; `quality.reason` says why). */
export interface MetricsPayload {
  readonly v: typeof TOPIC_VERSION;
  readonly table: string;
  readonly stream: string;
  /** when the beat behind these values reached the table, ms since the epoch */
  readonly atMs: number;
  /** beat time in the stream's session, s */
  readonly tS: number;
  readonly hrBpm: number | null;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  /** against the session's baseline: shifting-to-rest, activated, no-clear-change, unknown; null before a baseline */
  readonly shift: ShiftVerdict | null;
  readonly quality: {
    readonly settling: boolean;
    readonly tooIrregular: boolean;
    readonly correctedPct: number;
    readonly reason: string | null;
  };
}
