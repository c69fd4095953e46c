/**
 * What flows out of the pipeline, in order, to the sinks (store, WebSocket hub, recorder). One direction: sinks
 * consume these and never push back.
 */
import type { LiveMetrics } from '../hrv/rolling.js';
import type { BeatKind } from '../hrv/types.js';
import type { SourceStatus } from './source.js';

/** A raw sample as it entered the daemon (kept so a session can be re-analysed from what the strap sent). */
export interface SampleEvent {
  readonly type: 'sample';
  readonly sourceTimeMs: number;
  readonly receivedAtMs: number;
  /** 0x2A37 payload, or null for RR-only sources */
  readonly payload: Uint8Array | null;
  /** RR values it carried, ms */
  readonly rrMs: readonly number[];
  /** why the payload could not be decoded, or null */
  readonly error: string | null;
}

/** One raw beat on the beat timeline, published as soon as it is stored. */
export interface BeatEvent {
  readonly type: 'beat';
  /** 0-based index of the raw beat in the session */
  readonly seq: number;
  /** beat (end) time, s since the session's first beat time origin */
  readonly tS: number;
  /** as the strap sent it, ms (exact: ticks × 1000 / 1024) */
  readonly rrMs: number;
  readonly gapBefore: boolean;
  /** wall-clock time the sample carrying this beat entered the daemon, ms since the epoch */
  readonly receivedAtMs: number;
}

/** Time with no beats: a disconnect, lost contact, or beats missing from the stream. No metric spans it. */
export interface GapEvent {
  readonly type: 'gap';
  /** beat time the gap starts (end of the last beat before it) and ends (start of the first beat after it), s */
  readonly fromS: number;
  readonly toS: number;
  readonly reason: string;
  readonly receivedAtMs: number;
}

export interface StatusChangeEvent {
  readonly type: 'status';
  readonly status: SourceStatus;
  readonly sourceTimeMs: number;
  readonly receivedAtMs: number;
}

/**
 * The live metrics after a beat was classified by the artefact layer (a few beats after the beat itself: the
 * artefact layer needs a short look-ahead). `kind` is the classification of beat `seq`.
 */
export interface MetricsEvent {
  readonly type: 'metrics';
  readonly metrics: LiveMetrics;
  readonly receivedAtMs: number;
}

export type PipelineEvent = SampleEvent | BeatEvent | GapEvent | StatusChangeEvent | MetricsEvent;

export type { BeatKind };
