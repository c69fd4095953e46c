/**
 * Reference values from recordings/REFERENCE.md (computed by hrv-analysis 1.0.5, rhenanbartels/hrv 0.2.10 and pyHRV
 * on the files as stored, no correction). Copied as printed, strings kept so a test can tell how many digits the
 * reference carries.
 */

export interface TimeDomainReference {
  file: string;
  segment: 'whole' | 'first_5min';
  beats: number;
  durationS: string;
  meanRrMs: string;
  sdnnMs: string;
  rmssdMs: string;
  lnRmssd: string;
  pnn50Pct: string;
}

const rows = `
bartels_rest_rri.txt | whole | 910 | 963.434 | 1058.7187 | 57.8182 | 55.1374 | 4.00983 | 35.3135
bartels_rest_rri.txt | first_5min | 284 | 299.476 | 1054.4930 | 64.1073 | 65.3086 | 4.17912 | 45.2297
bartels_test_real_rri.txt | whole | 771 | 916.067 | 1188.1543 | 75.0321 | 72.2706 | 4.28042 | 41.0390
bartels_test_real_rri.txt | first_5min | 254 | 299.879 | 1180.6260 | 74.5745 | 69.5883 | 4.24260 | 38.7352
bartels_noisy_rri_polar.txt | whole | 3581 | 2403.015 | 671.0458 | 95.0306 | 58.6604 | 4.07176 | 14.4413
bartels_noisy_rri_polar.txt | first_5min | 397 | 299.357 | 754.0479 | 140.4646 | 77.6957 | 4.35280 | 32.5758
pyhrv_nni_short_5min.txt | whole | 337 | 299.578 | 888.9555 | 95.6904 | 101.3006 | 4.61809 | 48.5119
pyhrv_nni_short_5min.txt | first_5min | 337 | 299.578 | 888.9555 | 95.6904 | 101.3006 | 4.61809 | 48.5119
pyhrv_nni_long_60min.txt | whole | 4684 | 3599.365 | 768.4383 | 85.3572 | 60.5235 | 4.10303 | 28.5714
pyhrv_nni_long_60min.txt | first_5min | 397 | 299.344 | 754.0151 | 76.7985 | 53.8973 | 3.98708 | 22.7273
physionet_rr_healthy_000.txt | whole | 80441 | 75887.090 | 943.3882 | 164.4913 | 55.7491 | 4.02086 | 26.8038
physionet_rr_healthy_000.txt | first_5min | 306 | 299.853 | 979.9118 | 81.7782 | 52.6223 | 3.96314 | 31.8033
polar_h10_detectPVC_rr.csv | whole | 798 | 599.448 | 751.1880 | 256.3023 | 441.7592 | 6.09076 | 87.7039
polar_h10_detectPVC_rr.csv | first_5min | 413 | 299.187 | 724.4237 | 246.0804 | 425.6564 | 6.05363 | 90.7767
`;

export const TIME_DOMAIN_REFERENCE: TimeDomainReference[] = rows
  .trim()
  .split('\n')
  .map((line) => {
    const [file, segment, beats, durationS, meanRrMs, sdnnMs, rmssdMs, lnRmssd, pnn50Pct] = line.split(' | ');
    return {
      file,
      segment: segment as 'whole' | 'first_5min',
      beats: Number(beats),
      durationS,
      meanRrMs,
      sdnnMs,
      rmssdMs,
      lnRmssd,
      pnn50Pct,
    };
  });

/**
 * Poincaré SD1 and SD2 from recordings/REFERENCE.md: NumPy with hrv-analysis's formula (sample variances, N − 1), on
 * the files as stored, no correction.
 */
export interface PoincareReference {
  file: string;
  segment: 'whole' | 'first_5min';
  beats: number;
  sd1Ms: string;
  sd2Ms: string;
}

const poincareRows = `
bartels_rest_rri.txt | whole | 910 | 39.0095 | 71.8620
bartels_rest_rri.txt | first_5min | 284 | 46.2618 | 77.9701
bartels_test_real_rri.txt | whole | 771 | 51.1363 | 92.9770
bartels_test_real_rri.txt | first_5min | 254 | 49.3021 | 93.2309
bartels_noisy_rri_polar.txt | whole | 3581 | 41.4849 | 127.8305
bartels_noisy_rri_polar.txt | first_5min | 397 | 55.0078 | 190.8789
pyhrv_nni_short_5min.txt | whole | 337 | 71.7372 | 114.7478
pyhrv_nni_short_5min.txt | first_5min | 337 | 71.7372 | 114.7478
pyhrv_nni_long_60min.txt | whole | 4684 | 42.8011 | 112.8706
pyhrv_nni_long_60min.txt | first_5min | 397 | 38.1593 | 101.6852
physionet_rr_healthy_000.txt | whole | 80441 | 39.4208 | 229.2613
physionet_rr_healthy_000.txt | first_5min | 306 | 37.2695 | 109.4822
polar_h10_detectPVC_rr.csv | whole | 798 | 312.5665 | 183.5319
polar_h10_detectPVC_rr.csv | first_5min | 413 | 301.3504 | 174.0663
`;

export const POINCARE_REFERENCE: PoincareReference[] = poincareRows
  .trim()
  .split('\n')
  .map((line) => {
    const [file, segment, beats, sd1Ms, sd2Ms] = line.split(' | ');
    return { file, segment: segment as 'whole' | 'first_5min', beats: Number(beats), sd1Ms, sd2Ms };
  });

/**
 * The tolerance a printed reference allows: 1e-6 relative, or half a unit in its last printed digit when the print
 * itself is coarser than that (a reference cannot be matched more closely than it was written down).
 */
export function referenceTolerance(printed: string, relative = 1e-6): number {
  const decimals = printed.includes('.') ? printed.split('.')[1].length : 0;
  return Math.max(Math.abs(Number(printed)) * relative, 0.5 * 10 ** -decimals);
}

/** `first_5min` as REFERENCE.md defines it: the largest prefix whose RR sum is at most 300 000 ms. */
export function first5MinCount(rrMs: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < rrMs.length; i++) {
    sum += rrMs[i];
    if (sum > 300_000) return i;
  }
  return rrMs.length;
}
