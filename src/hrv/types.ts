/**
 * Shared vocabulary of the HRV engine.
 *
 * Words (see README "Words"): *rr* = an interval as the strap sent it; *nn* = an interval after artefact handling;
 * *beat* = one interval with its time; *metrics* = values at one beat time. Intervals are in ms (float, never
 * rounded), times in seconds of beat time, spectral power in ms².
 */

/** A value that could not be computed, with the reason a person can read. */
export interface NotAvailable {
  readonly value: null;
  readonly reason: string;
}

/** What the artefact layer decided about one raw beat. */
export type BeatKind =
  /** a normal (sinus) beat, kept as sent */
  | 'normal'
  /** outside the plausible range (default 300–2000 ms): dropped */
  | 'out-of-range'
  /** a premature beat with its compensatory pause: replaced by interpolation */
  | 'ectopic'
  /** too long for its neighbours, not a whole missed beat: replaced by interpolation */
  | 'long'
  /** too short for its neighbours, not an extra detection: replaced by interpolation */
  | 'short'
  /** a beat the strap did not detect, so this interval holds two (or more): split */
  | 'missed'
  /** a false detection that cut a normal interval in two: merged with the next interval */
  | 'extra';

/**
 * One raw beat after the artefact layer. The raw value is never overwritten: `rrMs` is what the strap sent,
 * `nnMs` the values that stand for it in the corrected series (the corrections are a separate layer).
 */
export interface ClassifiedBeat {
  /** 0-based index of the raw beat in its stream */
  readonly seq: number;
  /** the raw interval, ms */
  readonly rrMs: number;
  readonly kind: BeatKind;
  /**
   * The intervals that replace this beat in the NN series, ms. `[rrMs]` for a normal beat, one interpolated value
   * for ectopic/long/short, two or more parts summing to `rrMs` for missed, `[]` for an out-of-range beat and for
   * an extra beat (whose time is merged into the following interval, which then carries the sum and `merged`).
   */
  readonly nnMs: readonly number[];
  /**
   * true when this beat's nn value includes a merged extra beat before it. Its kind is then `normal` (the sum is a
   * real interval), but no successive difference should be taken with it: its neighbour in the raw stream was dropped.
   */
  readonly merged: boolean;
  /** a gap (lost contact, dropped link) lies before this beat: no successive difference may span it */
  readonly gapBefore: boolean;
}

/** Beat-flag bits, as stored and exported. */
export const BeatFlag = {
  /** a gap lies before this beat */
  GapBefore: 1,
  /** the artefact layer changed or dropped this beat */
  Corrected: 2,
} as const;
