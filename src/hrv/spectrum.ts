/**
 * Frequency-domain HRV, method B of hrv-methods.md §3.1 (the values in recordings/REFERENCE.md): NN resampled at
 * 4 Hz by a cubic spline, mean removed, Welch periodogram (periodic Hann 256, hop 128, per-segment mean removal,
 * zero-padded to 4096, one-sided density), trapezoid band powers over lo ≤ f < hi.
 *
 * Built from two blocks the live engine (rolling.ts) reuses: `SegmentDensity` (one Welch segment's density) and
 * `summariseDensity` (an averaged density → band powers, ratios, HF peak, breathing). `frequencyDomain` is exactly
 * `resampleEven` + those two, so batch and live numbers come from the same code.
 */
import { type PaddedRealFft, paddedRealFft, type RealFft, realFftOfSize } from './fft.js';
import { type InterpolationMethod, resampledLength, resampleEven } from './interpolate.js';
import type { NotAvailable } from './types.js';

export type DetrendMethod = 'mean' | 'linear';

/** A band [lo, hi) in Hz. */
export type BandHz = readonly [loHz: number, hiHz: number];

export interface SpectrumOptions {
  /** resampling rate of the NN series */
  readonly fsHz: number;
  readonly interpolation: InterpolationMethod;
  /** applied to the whole resampled series before Welch ('mean' is method B; 'linear' is an optional extra) */
  readonly detrend: DetrendMethod;
  /** Welch segment (Hann window) length, samples */
  readonly segmentSamples: number;
  readonly overlapSamples: number;
  /** FFT length after zero padding; a power of two ≥ segmentSamples */
  readonly nfft: number;
  readonly bands: { readonly vlfHz: BandHz; readonly lfHz: BandHz; readonly hfHz: BandHz };
  /** breathing-rate range that the HF band stands for; a peak outside it gives no rate */
  readonly breathingMinBpm: number;
  readonly breathingMaxBpm: number;
  /** slowest rate an LF peak may have to be read as slow breathing (below it, it is taken for VLF-type activity) */
  readonly slowBreathingMinBpm: number;
  /**
   * An interior HF maximum is the breathing peak only when its density is at least this fraction of the LF maximum's;
   * below it, with an LF peak at a breathing-like rate, it is taken for leakage or a harmonic of slow breathing.
   * Heuristic: 0.1 (−10 dB) flags no 4-min window of the resting recordings (bartels_*, pyhrv_*) and ~1 % of those
   * of a 21-h Holter day (physionet_rr_healthy_000); a pure 0.1 Hz modulation's harmonic sits near 0.001.
   */
  readonly hfPeakMinFractionOfLfPeak: number;
}

/** Method B, the project default and the settings of REFERENCE.md (SciPy `welch` defaults with nfft = 4096). */
export const METHOD_B: SpectrumOptions = Object.freeze({
  fsHz: 4,
  interpolation: 'cubic',
  detrend: 'mean',
  segmentSamples: 256,
  overlapSamples: 128,
  nfft: 4096,
  bands: Object.freeze({
    vlfHz: Object.freeze([0, 0.04] as const),
    lfHz: Object.freeze([0.04, 0.15] as const),
    hfHz: Object.freeze([0.15, 0.4] as const),
  }),
  breathingMinBpm: 9,
  breathingMaxBpm: 24,
  slowBreathingMinBpm: 4,
  hfPeakMinFractionOfLfPeak: 0.1,
});

/** Method A of REFERENCE.md: method B with linear interpolation (hrv-analysis's default; under-reads HF). */
export const METHOD_A: SpectrumOptions = Object.freeze({ ...METHOD_B, interpolation: 'linear' });

const SECONDS_PER_MINUTE = 60;
const MS_PER_S = 1000;
/** one-sided density: every bin but DC and Nyquist also carries the power of its negative-frequency twin */
const ONE_SIDED_FACTOR = 2;

/** Inclusive bin range [first, last] of a band; empty when last < first. */
export interface BinRange {
  readonly first: number;
  readonly last: number;
}

/** What the options mean on the FFT grid, computed once. */
export interface SpectrumPlan {
  readonly options: SpectrumOptions;
  /** bin spacing fs / nfft */
  readonly dfHz: number;
  /** last bin a density array must hold: the last bin of the highest band + 1 (≤ nfft / 2) */
  readonly maxBin: number;
  readonly hopSamples: number;
  readonly vlfBins: BinRange;
  readonly lfBins: BinRange;
  readonly hfBins: BinRange;
}

const plans = new WeakMap<SpectrumOptions, SpectrumPlan>();

/**
 * Validates `options` and works out the bins; cached per options object (treat options as immutable). Throws
 * RangeError on settings that cannot work.
 */
export function spectrumPlan(options: SpectrumOptions = METHOD_B): SpectrumPlan {
  let plan = plans.get(options);
  if (plan === undefined) {
    plan = buildPlan(options);
    plans.set(options, plan);
  }
  return plan;
}

function planOf(optionsOrPlan: SpectrumOptions | SpectrumPlan): SpectrumPlan {
  return 'maxBin' in optionsOrPlan ? optionsOrPlan : spectrumPlan(optionsOrPlan);
}

function buildPlan(options: SpectrumOptions): SpectrumPlan {
  const { fsHz, segmentSamples, overlapSamples, nfft, bands } = options;
  if (!(fsHz > 0) || !Number.isFinite(fsHz)) throw new RangeError(`fsHz must be positive, got ${fsHz}`);
  if (!Number.isInteger(segmentSamples) || segmentSamples < 2) {
    throw new RangeError(`segmentSamples must be an integer ≥ 2, got ${segmentSamples}`);
  }
  if (!Number.isInteger(overlapSamples) || overlapSamples < 0 || overlapSamples >= segmentSamples) {
    throw new RangeError(`overlapSamples must be an integer in 0…segmentSamples − 1, got ${overlapSamples}`);
  }
  if (!Number.isInteger(nfft) || (nfft & (nfft - 1)) !== 0)
    throw new RangeError(`nfft must be a power of two, got ${nfft}`);
  if (nfft < segmentSamples) throw new RangeError(`nfft (${nfft}) must be ≥ segmentSamples (${segmentSamples})`);
  const dfHz = fsHz / nfft;
  const nyquistBin = nfft / 2;
  const vlfBins = bandBins(bands.vlfHz, dfHz, nyquistBin);
  const lfBins = bandBins(bands.lfHz, dfHz, nyquistBin);
  const hfBins = bandBins(bands.hfHz, dfHz, nyquistBin);
  const lastBandBin = Math.max(vlfBins.last, lfBins.last, hfBins.last);
  return {
    options,
    dfHz,
    maxBin: Math.min(lastBandBin + 1, nyquistBin),
    hopSamples: segmentSamples - overlapSamples,
    vlfBins,
    lfBins,
    hfBins,
  };
}

/** Bins k with lo ≤ k·df < hi, compared in the same floating point as the reference (f = k·df). */
function bandBins([loHz, hiHz]: BandHz, dfHz: number, nyquistBin: number): BinRange {
  let first = Math.max(0, Math.ceil(loHz / dfHz) - 1);
  while (first * dfHz < loHz) first++;
  let last = Math.min(nyquistBin, Math.floor(hiHz / dfHz) + 1);
  while (last >= 0 && last * dfHz >= hiHz) last--;
  return { first, last };
}

/**
 * Welch segments that fit in `samples` samples: ⌊(N − L)/hop⌋ + 1, 0 when N < L (trailing samples are dropped,
 * never a shorter segment).
 */
export function welchSegmentCount(samples: number, plan: SpectrumPlan): number {
  const { segmentSamples } = plan.options;
  return samples < segmentSamples ? 0 : Math.floor((samples - segmentSamples) / plan.hopSamples) + 1;
}

/**
 * Block (a): the one-sided density of one Welch segment, P[k] = c·|X[k]|² / (fs·Σw²) for k = 0…maxBin, ms²/Hz.
 * Owns the window and the zero-padded buffer and shares the FFT of its size, so `compute` allocates nothing.
 */
export class SegmentDensity {
  readonly plan: SpectrumPlan;
  /** periodic Hann, as SciPy's `get_window('hann', L)`: w[n] = 0.5 − 0.5·cos(2πn/L) */
  readonly #window: Float64Array;
  /** segmentSamples windowed values followed by zeros up to nfft (the zeros are never written) */
  readonly #padded: Float64Array;
  /** the transform: pruned to the segment's samples and the bins up to maxBin when the sizes allow it (method B) */
  readonly #fft: { readonly pruned: PaddedRealFft } | { readonly full: RealFft };
  /** per bin 0…maxBin: 1 / (fs·Σw²), doubled for every bin but DC and Nyquist (one-sided) */
  readonly #binScale: Float64Array;

  constructor(optionsOrPlan: SpectrumOptions | SpectrumPlan = METHOD_B) {
    this.plan = planOf(optionsOrPlan);
    const { segmentSamples, nfft, fsHz } = this.plan.options;
    const pruned = paddedRealFft(nfft, segmentSamples, this.plan.maxBin);
    this.#fft = pruned !== undefined ? { pruned } : { full: realFftOfSize(nfft) };
    this.#window = new Float64Array(segmentSamples);
    let windowPower = 0;
    for (let n = 0; n < segmentSamples; n++) {
      const w = 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / segmentSamples);
      this.#window[n] = w;
      windowPower += w * w;
    }
    this.#padded = new Float64Array(nfft);
    const densityScale = 1 / (fsHz * windowPower);
    const { maxBin } = this.plan;
    const nyquistBin = nfft / 2;
    this.#binScale = new Float64Array(maxBin + 1);
    for (let k = 0; k <= maxBin; k++) {
      this.#binScale[k] = k === 0 || k === nyquistBin ? densityScale : ONE_SIDED_FACTOR * densityScale;
    }
  }

  /** Length a density array must have: bins 0…maxBin. */
  get bins(): number {
    return this.plan.maxBin + 1;
  }

  /**
   * Writes the density of samples[offset … offset + segmentSamples) into out[0…maxBin] and returns `out`.
   * The segment's own mean is removed first (SciPy `detrend='constant'`).
   */
  compute(samples: Float64Array, offset: number, out: Float64Array): Float64Array {
    const { segmentSamples } = this.plan.options;
    const { maxBin } = this.plan;
    if (!Number.isInteger(offset) || offset < 0 || offset + segmentSamples > samples.length) {
      throw new RangeError(`segment at ${offset} does not fit in ${samples.length} samples`);
    }
    let sum = 0;
    for (let n = 0; n < segmentSamples; n++) sum += samples[offset + n];
    const mean = sum / segmentSamples;
    const padded = this.#padded;
    const window = this.#window;
    for (let n = 0; n < segmentSamples; n++) padded[n] = (samples[offset + n] - mean) * window[n];

    // The pruned transform reads only the windowed samples (the zeros after them are implied): the same bits.
    const fft = this.#fft;
    if ('pruned' in fft) return fft.pruned.powerSpectrum(padded, out, this.#binScale);
    return fft.full.powerSpectrum(padded, maxBin, out, this.#binScale);
  }
}

/**
 * Averages the Welch segment densities of samples[0 … length) into out[0…maxBin]. Uses `scratch` (≥ maxBin + 1
 * values) for each segment. Returns the number of segments; 0 leaves `out` untouched.
 */
export function welchDensity(
  samples: Float64Array,
  length: number,
  segment: SegmentDensity,
  out: Float64Array,
  scratch: Float64Array,
): number {
  const { plan } = segment;
  const segments = welchSegmentCount(length, plan);
  if (segments === 0) return 0;
  const bins = plan.maxBin + 1;
  out.fill(0, 0, bins);
  for (let s = 0; s < segments; s++) {
    segment.compute(samples, s * plan.hopSamples, scratch);
    for (let k = 0; k < bins; k++) out[k] += scratch[k];
  }
  for (let k = 0; k < bins; k++) out[k] /= segments;
  return segments;
}

/** Removes the mean, or the least-squares line over the sample index, from x[0 … length) in place. */
export function detrendInPlace(x: Float64Array, length: number, method: DetrendMethod): void {
  if (length === 0) return;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += x[i];
  const mean = sum / length;
  if (method === 'mean' || length < 2) {
    for (let i = 0; i < length; i++) x[i] -= mean;
    return;
  }
  const centre = (length - 1) / 2;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < length; i++) {
    const d = i - centre;
    sxy += d * (x[i] - mean);
    sxx += d * d;
  }
  const slope = sxy / sxx;
  for (let i = 0; i < length; i++) x[i] -= mean + slope * (i - centre);
}

export interface FrequencyDomain {
  /** power in the VLF band; not interpretable in windows of 5 min or less */
  readonly vlfMs2: number;
  readonly lfMs2: number;
  readonly hfMs2: number;
  /** null when HF is 0 */
  readonly lfHfRatio: number | null;
  /** LF / (LF + HF) · 100 (TP − VLF = LF + HF); null when both are 0 */
  readonly lfNu: number | null;
  readonly hfNu: number | null;
  /** ln(ms²); null when the power is 0 */
  readonly lnLf: number | null;
  readonly lnHf: number | null;
  /** frequency of the largest density bin of the LF band when that is not on a band edge */
  readonly lfPeakHz: number | null;
  /** frequency of the largest density bin of the HF band; null when that sits on a band edge (no HF peak) */
  readonly hfPeakHz: number | null;
  /** 60 × hfPeakHz when that lies within breathingMin…MaxBpm */
  readonly respirationRateBpm: number | null;
  /** why there is no breathing rate, or a caution about it; null when all is well */
  readonly respirationNote: string | null;
  /**
   * The respiratory peak sits below the HF band (see `breathing` below): HF under-reads vagal activity and LF/HF is
   * meaningless. Show RMSSD and `lfPeakHz` instead.
   */
  readonly slowBreathing: boolean;
  /** Welch segments averaged */
  readonly segments: number;
  readonly dfHz: number;
}

/** Σ df·(P[k] + P[k+1])/2 over the included bins (nothing extrapolated to the band edges). */
function trapezoid(density: Float64Array, { first, last }: BinRange, dfHz: number): number {
  let sum = 0;
  for (let k = first; k < last; k++) sum += density[k] + density[k + 1];
  return (sum * dfHz) / 2;
}

/** Index of the largest density in [first, last]; the first one on ties; −1 for an empty range. */
function argMax(density: Float64Array, { first, last }: BinRange): number {
  let best = -1;
  for (let k = first; k <= last; k++) if (best < 0 || density[k] > density[best]) best = k;
  return best;
}

function lnOrNull(powerMs2: number): number | null {
  return powerMs2 > 0 ? Math.log(powerMs2) : null;
}

interface Breathing {
  lfPeakHz: number | null;
  hfPeakHz: number | null;
  respirationRateBpm: number | null;
  respirationNote: string | null;
  slowBreathing: boolean;
}

/** A reading without a breathing rate. A module function, not a closure in `breathing`: that runs every 4 s live. */
function noRate(
  lfPeakHz: number | null,
  respirationNote: string,
  hfPeakHz: number | null = null,
  slowBreathing = false,
): Breathing {
  return { lfPeakHz, hfPeakHz, respirationRateBpm: null, respirationNote, slowBreathing };
}

/**
 * The breathing reading (hrv-methods.md §6). The HF maximum is a breathing rate only when it is an interior maximum
 * of the band and not dwarfed by an LF peak. Slow breathing (RSA moved into LF) is recognised by an interior LF peak
 * at a breathing-like rate together with either no interior HF maximum (power still rising towards LF) or an HF
 * maximum below `hfPeakMinFractionOfLfPeak` of it (then it is leakage or a harmonic of the slow breathing: a 0.1 Hz
 * modulation puts its harmonic at 0.2 Hz). Mayer waves at rest keep the HF peak well above that fraction on the
 * resting recordings, so they are not mistaken for slow breathing.
 */
function breathing(density: Float64Array, plan: SpectrumPlan): Breathing {
  const { hfBins, lfBins, dfHz } = plan;
  const { breathingMinBpm, breathingMaxBpm, slowBreathingMinBpm, hfPeakMinFractionOfLfPeak } = plan.options;
  const lfPeak = argMax(density, lfBins);
  const lfPeakHz = lfPeak > lfBins.first && lfPeak < lfBins.last && density[lfPeak] > 0 ? lfPeak * dfHz : null;
  const slowBreathingPeak = lfPeakHz !== null && SECONDS_PER_MINUTE * lfPeakHz >= slowBreathingMinBpm;
  const slowNote = `breathing slower than ${breathingMinBpm}/min: HF under-reads, trust RMSSD`;

  const peak = argMax(density, hfBins);
  if (peak < 0) return noRate(lfPeakHz, 'the HF band holds no frequency bin');
  if (!(density[peak] > 0)) return noRate(lfPeakHz, 'no HF power: no breathing peak');
  if (peak === hfBins.first) {
    return slowBreathingPeak
      ? noRate(lfPeakHz, slowNote, null, true)
      : noRate(lfPeakHz, 'no breathing peak inside the HF band (maximum on its lower edge): HF not interpretable');
  }
  if (peak === hfBins.last) {
    return noRate(
      lfPeakHz,
      `no breathing peak inside the HF band (maximum on its upper edge): breathing faster than ${breathingMaxBpm}/min or unresolved`,
    );
  }
  const peakHz = peak * dfHz;
  if (slowBreathingPeak && density[peak] < hfPeakMinFractionOfLfPeak * density[lfPeak]) {
    return noRate(lfPeakHz, slowNote, peakHz, true);
  }
  const rateBpm = SECONDS_PER_MINUTE * peakHz;
  if (rateBpm < breathingMinBpm) return noRate(lfPeakHz, slowNote, peakHz, true);
  if (rateBpm > breathingMaxBpm)
    return noRate(lfPeakHz, `breathing faster than ${breathingMaxBpm}/min: HF not interpretable`, peakHz);
  return { lfPeakHz, hfPeakHz: peakHz, respirationRateBpm: rateBpm, respirationNote: null, slowBreathing: false };
}

/**
 * Block (b): band powers, ratios, HF peak and breathing from an averaged one-sided density.
 *
 * @param density P[0…maxBin] in ms²/Hz on the grid k·df, df = fs / nfft
 * @param segments how many Welch segments were averaged (reported only)
 */
export function summariseDensity(
  density: Float64Array,
  optionsOrPlan: SpectrumOptions | SpectrumPlan,
  segments: number,
): FrequencyDomain {
  const plan = planOf(optionsOrPlan);
  if (density.length <= plan.maxBin) {
    throw new RangeError(`density must hold ${plan.maxBin + 1} bins, got ${density.length}`);
  }
  const { dfHz } = plan;
  const vlfMs2 = trapezoid(density, plan.vlfBins, dfHz);
  const lfMs2 = trapezoid(density, plan.lfBins, dfHz);
  const hfMs2 = trapezoid(density, plan.hfBins, dfHz);
  const lfHfMs2 = lfMs2 + hfMs2;
  return {
    vlfMs2,
    lfMs2,
    hfMs2,
    lfHfRatio: hfMs2 > 0 ? lfMs2 / hfMs2 : null,
    lfNu: lfHfMs2 > 0 ? (lfMs2 / lfHfMs2) * 100 : null,
    hfNu: lfHfMs2 > 0 ? (hfMs2 / lfHfMs2) * 100 : null,
    lnLf: lnOrNull(lfMs2),
    lnHf: lnOrNull(hfMs2),
    ...breathing(density, plan),
    segments,
    dfHz,
  };
}

/**
 * Method B (by default) on beats with given times: resample, detrend, Welch, summarise.
 *
 * @param tS beat times, s, strictly increasing (one contiguous run: never spline across a gap)
 * @param nnMs the NN interval ending at each time, ms
 * @returns the metrics, or NotAvailable when the beats span less than one Welch segment (test with `'reason' in r`)
 */
export function frequencyDomainOfBeats(
  tS: ArrayLike<number>,
  nnMs: ArrayLike<number>,
  options: SpectrumOptions = METHOD_B,
): FrequencyDomain | NotAvailable {
  const plan = spectrumPlan(options);
  const { fsHz, segmentSamples, interpolation, detrend } = options;
  const minSpanS = segmentSamples / fsHz;
  const n = tS.length;
  if (n < 2) return { value: null, reason: `needs beats spanning at least ${minSpanS} s, got ${n} beat(s)` };
  const spanS = tS[n - 1] - tS[0];
  if (resampledLength(tS[0], tS[n - 1], fsHz) < segmentSamples) {
    return {
      value: null,
      reason: `needs beats spanning at least ${minSpanS} s (one Welch segment), got ${spanS.toFixed(1)} s`,
    };
  }
  const samples = resampleEven(tS, nnMs, fsHz, interpolation);
  detrendInPlace(samples, samples.length, detrend);
  const segment = new SegmentDensity(plan);
  const density = new Float64Array(plan.maxBin + 1);
  const segments = welchDensity(samples, samples.length, segment, density, new Float64Array(plan.maxBin + 1));
  return summariseDensity(density, plan, segments);
}

/**
 * Method B (by default) on a contiguous NN series: beat k sits at t_k = (Σ_{j≤k} NN_j − NN_0)/1000 s, the first
 * beat at 0, as in REFERENCE.md.
 */
export function frequencyDomain(
  nnMs: ArrayLike<number>,
  options: SpectrumOptions = METHOD_B,
): FrequencyDomain | NotAvailable {
  const n = nnMs.length;
  const tS = new Float64Array(n);
  const firstS = n > 0 ? nnMs[0] / MS_PER_S : 0;
  let sumMs = 0;
  for (let k = 0; k < n; k++) {
    sumMs += nnMs[k];
    tS[k] = sumMs / MS_PER_S - firstS;
  }
  return frequencyDomainOfBeats(tS, nnMs, options);
}
