/**
 * Time-domain HRV (Task Force 1996), on a run of intervals.
 *
 * Successive differences are taken only between two consecutive intervals that are *linked*: both normal beats with
 * no gap between them. That is how a gap or a corrected beat is kept out of RMSSD, pNN50 and SD1 ("deletion"):
 * the chain restarts after it instead of differencing across it.
 */
import type { NotAvailable } from './types.js';
import { hrBpmFromMeanRrMs } from './units.js';

/** |ΔNN| strictly above this counts towards NN50. */
export const NN50_THRESHOLD_MS = 50;

export interface TimeDomain {
  /** intervals used for mean, SDNN and SD2 */
  readonly beats: number;
  /** successive differences used for RMSSD, pNN50 and SD1 */
  readonly differences: number;
  readonly meanRrMs: number;
  /** 60000 / mean RR */
  readonly meanHrBpm: number;
  /** sample standard deviation (N − 1), as the reference libraries use */
  readonly sdnnMs: number;
  /** null when there is no successive difference */
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly nn50: number;
  /** NN50 over the number of differences (not of intervals), % */
  readonly pnn50Pct: number | null;
  /**
   * Poincaré SD1 = sqrt(½·var(ΔNN)) = SDSD / √2, var with N − 1 over the successive differences (the sample variance,
   * as hrv-analysis and pyHRV compute it); null with fewer than 2 differences
   */
  readonly sd1Ms: number | null;
  /** Poincaré SD2 = sqrt(2·SDNN² − ½·var(ΔNN)), both variances with N − 1; null with fewer than 2 differences */
  readonly sd2Ms: number | null;
}

/**
 * Time-domain metrics of `nnMs`.
 *
 * @param nnMs intervals, ms
 * @param linkedToPrevious optional: truthy at i when the difference nnMs[i] − nnMs[i−1] may be taken. Omitted: every
 *   consecutive pair is linked (a clean, gap-free series, or `--no-correction`).
 * @param count use only the first `count` intervals (default: all), so a caller can pass reused scratch arrays
 *   without making a view of them for every call
 */
export function timeDomain(
  nnMs: ArrayLike<number>,
  linkedToPrevious?: ArrayLike<boolean | number>,
  count: number = nnMs.length,
): TimeDomain | NotAvailable {
  if (!Number.isInteger(count) || count < 0 || count > nnMs.length) {
    throw new RangeError(`count must be an integer in 0…${nnMs.length}, got ${count}`);
  }
  const n = count;
  if (n < 2) return { value: null, reason: `needs at least 2 intervals, got ${n}` };

  let sum = 0;
  for (let i = 0; i < n; i++) sum += nnMs[i];
  const meanRrMs = sum / n;
  let sqDev = 0;
  for (let i = 0; i < n; i++) {
    const d = nnMs[i] - meanRrMs;
    sqDev += d * d;
  }
  const sdnnMs = Math.sqrt(sqDev / (n - 1));

  let differences = 0;
  let sumDiff = 0;
  let sumDiffSq = 0;
  let nn50 = 0;
  for (let i = 1; i < n; i++) {
    if (linkedToPrevious && !linkedToPrevious[i]) continue;
    const d = nnMs[i] - nnMs[i - 1];
    differences++;
    sumDiff += d;
    sumDiffSq += d * d;
    if (Math.abs(d) > NN50_THRESHOLD_MS) nn50++;
  }

  let rmssdMs: number | null = null;
  let sd1Ms: number | null = null;
  let sd2Ms: number | null = null;
  if (differences > 0) rmssdMs = Math.sqrt(sumDiffSq / differences);
  if (differences > 1) {
    // Sample variance of the differences: (Σd² − (Σd)²/k) / (k − 1).
    const varDiff = Math.max(0, (sumDiffSq - (sumDiff * sumDiff) / differences) / (differences - 1));
    sd1Ms = Math.sqrt(0.5 * varDiff);
    sd2Ms = Math.sqrt(Math.max(0, 2 * sdnnMs * sdnnMs - 0.5 * varDiff));
  }
  return {
    beats: n,
    differences,
    meanRrMs,
    meanHrBpm: hrBpmFromMeanRrMs(meanRrMs),
    sdnnMs,
    rmssdMs,
    lnRmssd: rmssdMs === null || rmssdMs <= 0 ? null : Math.log(rmssdMs),
    nn50,
    pnn50Pct: differences > 0 ? (100 * nn50) / differences : null,
    sd1Ms,
    sd2Ms,
  };
}

/** Narrowing helper for results that may be {@link NotAvailable}. */
export function isAvailable<T extends object>(x: T | NotAvailable): x is T {
  return !('value' in x && x.value === null && 'reason' in x);
}
