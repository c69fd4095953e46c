/**
 * What the store hands out: plain objects, camelCase, units in the names. Metric fields carry the same names as
 * `LiveMetrics`, so the viewer draws a stored session with the code that draws a live one.
 */

import type { Beat } from '../domain/beats.js';
import type { MarkerKind, PhaseKind, ReadingKind } from '../domain/kinds.js';
import type { MetricValues } from '../domain/metrics.js';
import type { DeviceInfo, SourceKind, SourceState } from '../domain/source.js';
import type { LiveQuality } from '../hrv/rolling.js';

export type SessionStatus = 'recording' | 'ended' | 'interrupted';
export type { MarkerKind, PhaseKind, ReadingKind };

export interface NewSession {
  readonly clientLabel: string;
  readonly therapistNote: string;
  readonly sourceKind: SourceKind;
  readonly sourceLabel: string;
  /** the strap, when known at the start (a BLE source learns it on connecting: a status with `device` fills it in) */
  readonly device?: DeviceInfo;
  /** the engine parameters used (JSON-serialisable), so a stored session can be recomputed the same way */
  readonly params: object;
  /** whose heart: 'client' (default) or another stream of the same session, e.g. 'therapist' */
  readonly stream?: string;
  /** for a companion stream: the id of the session it was recorded with */
  readonly groupId?: number;
  /** the client on whose record the session is (null or absent: none, e.g. a demo) */
  readonly clientId?: number | null;
}

export interface StoredSession {
  readonly id: number;
  /** ISO 8601, UTC */
  readonly startedAt: string;
  /** ISO 8601, UTC; for an interrupted session, when the interruption was detected (the next start) */
  readonly endedAt: string | null;
  readonly status: SessionStatus;
  readonly clientLabel: string;
  readonly therapistNote: string;
  readonly sourceKind: SourceKind;
  readonly sourceLabel: string;
  readonly device: DeviceInfo | null;
  readonly params: Readonly<Record<string, unknown>>;
  /** end time of the last stored beat, s of beat time; null before the first beat */
  readonly lastBeatTS: number | null;
  readonly beatCount: number;
  /** beat time covered, s (the last beat's end time; 0 before the first): right for interrupted sessions too */
  readonly durationS: number;
  /** whose heart: 'client', or another stream recorded at the same time ('therapist') */
  readonly stream: string;
  /** a companion stream's session: the id of the session it was recorded with; null for the session itself */
  readonly groupId: number | null;
  /** the client on whose record the session is; null for none (and for a companion stream) */
  readonly clientId: number | null;
}

export interface StoredSample {
  /** 0-based order of the sample in its session */
  readonly seq: number;
  readonly sourceTimeMs: number;
  readonly receivedAtMs: number;
  readonly payload: Uint8Array | null;
  readonly rrMs: readonly number[];
  readonly error: string | null;
}

/** A beat as stored: the beat with its artefact flags. */
export interface StoredBeat extends Beat {
  /** `BeatFlag` bits */
  readonly flags: number;
}

export interface StoredGap {
  readonly fromS: number;
  readonly toS: number;
  readonly reason: string;
  readonly receivedAtMs: number;
}

export interface StoredStatus {
  readonly sourceTimeMs: number;
  readonly receivedAtMs: number;
  readonly state: SourceState;
  readonly reason: string | null;
  readonly batteryPct: number | null;
}

/** The metrics of one beat: what redraws the curves. */
export type StoredMetrics = {
  readonly seq: number;
  readonly tS: number;
  readonly correctedPct: number;
  readonly quality: LiveQuality;
} & MetricValues;

export interface StoredPhase {
  readonly id: number;
  readonly sessionId: number;
  readonly kind: PhaseKind;
  /** beat time, s */
  readonly startedAtS: number;
  /** beat time, s; null while the phase is open */
  readonly endedAtS: number | null;
}

export interface NewMarker {
  readonly kind: MarkerKind;
  readonly value: string;
  /** beat time, s */
  readonly atS: number;
}

export interface StoredMarker {
  readonly id: number;
  readonly sessionId: number;
  readonly atS: number;
  readonly kind: MarkerKind;
  readonly value: string;
  readonly undone: boolean;
  readonly createdAtMs: number;
}

/** A slice of a session's beat timeline: beats or metrics whose time lies in [fromS, toS). */
export interface TimeRange {
  readonly fromS?: number;
  readonly toS?: number;
}

export interface StoredClient {
  readonly id: number;
  /** a name or pseudonym: personal data, never logged */
  readonly name: string;
  /** personal data, never logged */
  readonly note: string;
  /** ISO 8601, UTC */
  readonly createdAt: string;
}

/** A client in the list: how much is on their record. */
export interface ClientListing extends StoredClient {
  readonly sessions: number;
  readonly readings: number;
  /** the start of the latest session, ISO 8601 UTC; null without sessions */
  readonly lastVisit: string | null;
}

/** A reading ready to store: its value computed already (src/hrv/reading.ts). */
export interface NewReading {
  /** local date-time as taken, 'YYYY-MM-DDTHH:MM:SS' */
  readonly at: string;
  readonly kind: ReadingKind;
  /** where it came from: a file name, a file and line */
  readonly source: string;
  readonly tags: string;
  readonly rrMs: ArrayLike<number>;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly meanHrBpm: number | null;
  readonly correctedPct: number;
  readonly reason: string | null;
}

export interface StoredReading {
  readonly id: number;
  readonly clientId: number;
  /** local date-time as taken, 'YYYY-MM-DDTHH:MM:SS' */
  readonly at: string;
  readonly kind: ReadingKind;
  readonly source: string;
  readonly tags: string;
  readonly beats: number;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly meanHrBpm: number | null;
  readonly correctedPct: number;
  /** why there is no value; null when there is one */
  readonly reason: string | null;
  /** ISO 8601, UTC */
  readonly importedAt: string;
}

/** What a client's timeline shows of one session, stored so that a page load never recomputes it from beats. */
export interface SessionValues {
  readonly sessionId: number;
  /** lnRMSSD of the first baseline phase; null without one (or without a value) */
  readonly baselineLnRmssd: number | null;
  /** the massage phase's shift against the baseline, ln units (the report's `lnRmssdDelta`) */
  readonly massageShiftLn: number | null;
  readonly recoveryShiftLn: number | null;
  /** length of the massage phases, s */
  readonly massageS: number;
  /** techniques marked during the session, first occurrence order */
  readonly techniques: readonly string[];
  /** the technique whose markers cover most of the massage phase, or the one chosen by hand */
  readonly mainTechnique: string | null;
  /** true when `mainTechnique` was chosen by hand */
  readonly mainTechniqueSet: boolean;
}

/** A slice of a session's beats or metrics by seq: [fromSeq, toSeq). */
export interface SeqRange {
  readonly fromSeq: number;
  readonly toSeq: number;
}
