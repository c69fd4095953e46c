/**
 * The value of a reading: a short standardised recording (1–5 min, on waking, before or after a session) whose one
 * number is lnRMSSD. The same engine and quality rules as everything else (`analyze()` with artefact correction):
 * corrected beats are never differenced, and too many corrections give no value. Pure.
 *
 * Ultra-short lnRMSSD from 60 s agrees with 5 min (Esco & Flatt 2014; Munoz et al. 2015); below 50 s of beats or 40
 * clean successive differences a reading is kept without a value, and says why.
 */
import { ANALYZE_DEFAULTS, analyze, MAX_CORRECTED_PCT } from './analyze.js';

/** Least beat time a reading must cover (sum of its RR), s. */
export const READING_MIN_S = 50;
/** Least successive differences between linked normal beats a reading's RMSSD must rest on. */
export const READING_MIN_DIFFERENCES = 40;
/** Most corrected beats a reading may have, % (the engine's limit). */
export const READING_MAX_CORRECTED_PCT = MAX_CORRECTED_PCT;

export interface ReadingValue {
  /** raw beats */
  readonly beats: number;
  /** sum of the raw RR, s */
  readonly durationS: number;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly meanHrBpm: number | null;
  readonly correctedPct: number;
  /** successive differences between linked normal beats */
  readonly differences: number;
  /** why there is no value; null when there is one */
  readonly reason: string | null;
}

/** lnRMSSD of a reading's RR (ms), or null with the reason. Never throws on data. */
export function readingValue(rrMs: ArrayLike<number>): ReadingValue {
  const a = analyze(rrMs, { ...ANALYZE_DEFAULTS, correction: true, maxCorrectedPct: READING_MAX_CORRECTED_PCT });
  let reason: string | null = null;
  if (a.durationS < READING_MIN_S) {
    reason = `too short: ${a.durationS.toFixed(0)} s of beats (a reading needs at least ${READING_MIN_S} s)`;
  } else if (a.tooIrregular) {
    reason =
      `too irregular: ${a.correctedPct.toFixed(1)} % of beats corrected ` +
      `(a reading allows at most ${READING_MAX_CORRECTED_PCT} %)`;
  } else if (a.nnDifferences < READING_MIN_DIFFERENCES) {
    reason =
      `too few clean beats: ${a.nnDifferences} successive differences between normal beats ` +
      `(a reading needs at least ${READING_MIN_DIFFERENCES})`;
  } else if (a.lnRmssd === null) {
    reason = a.notes[0] ?? 'no RMSSD';
  }
  const valued = reason === null;
  return {
    beats: a.beats,
    durationS: a.durationS,
    rmssdMs: valued ? a.rmssdMs : null,
    lnRmssd: valued ? a.lnRmssd : null,
    meanHrBpm: a.meanHrBpm,
    correctedPct: a.correctedPct,
    differences: a.nnDifferences,
    reason,
  };
}
