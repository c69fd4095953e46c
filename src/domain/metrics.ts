/**
 * The metric series kept for every beat. The live engine computes them (`LiveMetrics`, src/hrv/rolling.ts), the store
 * keeps them, a viewer's backfill and the session's trend chart draw them: the lists are written here once and the
 * store's rows, the protocol's columns and the page's drawing take their names from here.
 */

/** What a stored session keeps per beat besides its time and quality (units in the names). */
export const STORED_METRIC_FIELDS = [
  'meanHrBpm',
  'rmssdMs',
  'lnRmssd',
  'sdnnMs',
  'hfMs2',
  'lfMs2',
  'lfHfRatio',
  'hfPeakHz',
  'respirationRateBpm',
] as const;
export type StoredMetricField = (typeof STORED_METRIC_FIELDS)[number];

/** The series a viewer draws over a session (the trend's columns): a subset of the stored ones, and the corrected share. */
export const TREND_FIELDS = [
  'meanHrBpm',
  'rmssdMs',
  'lnRmssd',
  'hfMs2',
  'lfMs2',
  'respirationRateBpm',
  'correctedPct',
] as const;
export type TrendField = (typeof TREND_FIELDS)[number];

/** One beat's value of each stored series; null where the engine withheld it. */
export type MetricValues = { readonly [K in StoredMetricField]: number | null };

/** One beat's point of the trend: its time and the drawn series. */
export type TrendPoint = { readonly tS: number } & {
  readonly [K in TrendField]: K extends 'correctedPct' ? number : number | null;
};
