/**
 * The rolling engine: feed raw beats one at a time (with their beat time), get the live metrics after each beat.
 *
 * Everything runs on beat time, never on wall time, so a replay at any speed gives the same numbers.
 *
 * - Artefact layer first (bounded look-ahead: a beat's metrics come out a few beats after it went in).
 * - RMSSD, mean HR, SDNN and pNN50 over the trailing `rmssdWindowS` (60 s; 30 s "fast"), recomputed for every beat
 *   from the window's own points (about 60–100 of them), so nothing drifts and the cost per beat is bounded by the
 *   window, not by the session.
 * - LF/HF over the trailing `spectralWindowS` (300 s), provisional from `provisionalAfterS` (120 s), updated every
 *   `spectralUpdateEveryS` (4 s) of beat time. The Welch segments are laid on the 4 Hz beat-time grid ending at the
 *   update instant and every hop (32 s) before it; because the hop is a whole number of update periods, each update
 *   resamples and transforms only its newest 64 s segment and reuses the densities of the older segments computed at
 *   earlier updates. One FFT per update instead of eight.
 * - No metric spans a gap: after a gap the windows restart from the first beat after it.
 * - More than `maxCorrectedPct` (5 %) of a window's beats corrected → no value, "too irregular".
 */
import { ArtefactDetector, type ArtefactOptions } from './artefacts.js';
import { PointRing } from './beat-buffer.js';
import { resampleEvenCount, splineWorkLength } from './interpolate.js';
import { NnLinks } from './linked-nn.js';
import { type FrequencyDomain, METHOD_B, SegmentDensity, type SpectrumOptions, summariseDensity } from './spectrum.js';
import { isAvailable, timeDomain } from './time-domain.js';
import type { BeatKind, ClassifiedBeat } from './types.js';

export interface RollingOptions {
  /** RMSSD window, s of beat time: 60 (standard) or 30 (fast, indicative) */
  readonly rmssdWindowS: number;
  /** HF/LF window, s */
  readonly spectralWindowS: number;
  /** HF/LF shown as provisional from this much contiguous data, s */
  readonly provisionalAfterS: number;
  /** spectral update period, s of beat time; the Welch hop must be a whole multiple of it */
  readonly spectralUpdateEveryS: number;
  /** a window with more corrected beats than this, %, gives no value */
  readonly maxCorrectedPct: number;
  /** minimum successive differences in the RMSSD window (default: half the window in seconds) */
  readonly minDifferences?: number;
  /** minimum time covered by normal beats in the RMSSD window, s (default: 5/6 of the window) */
  readonly minCoveredS?: number;
  /** false: compute on the values as given (no range filter, no correction) */
  readonly correction: boolean;
  readonly artefacts?: Partial<ArtefactOptions>;
  readonly spectrum: SpectrumOptions;
}

export const ROLLING_DEFAULTS: RollingOptions = Object.freeze({
  rmssdWindowS: 60,
  spectralWindowS: 300,
  provisionalAfterS: 120,
  spectralUpdateEveryS: 4,
  maxCorrectedPct: 5,
  correction: true,
  spectrum: METHOD_B,
});

/** Points farther apart than this (a dropped beat, a hole) make a spectral segment unusable, s. */
const MAX_SPLINE_SPAN_S = 3;
/** Beats before a segment's start fed to its spline, so the end conditions sit outside the segment, s. */
const SPLINE_MARGIN_S = 6;

export interface LiveQuality {
  /** raw beats whose end time lies in the RMSSD window */
  readonly beatsInWindow: number;
  /** successive differences between linked normal beats in the RMSSD window */
  readonly differences: number;
  /** share of the RMSSD window's raw beats the artefact layer changed or dropped, % */
  readonly correctedPct: number;
  /** time covered by normal beats in the RMSSD window, s */
  readonly coveredS: number;
  /** a gap lies within the RMSSD window (the window restarted after it) */
  readonly gapInWindow: boolean;
  /** not enough contiguous data yet for a valid RMSSD window */
  readonly settling: boolean;
  /** too many corrected beats in a window: no value rather than a wrong one */
  readonly tooIrregular: boolean;
  /** why rmssdMs is null, or null when it is valid */
  readonly reason: string | null;
  /** Welch segments averaged for the spectral values (8 = a full 300 s window) */
  readonly spectralSegments: number;
  /** spectral values are from less than the full window */
  readonly spectralProvisional: boolean;
  /** why hfMs2 is null, or null when it is valid */
  readonly spectralReason: string | null;
  /** breathing outside the HF band etc.: a note for the display, or null */
  readonly respirationNote: string | null;
}

/** The live metrics after one raw beat. Values are null while not valid; `quality` says why. */
export interface LiveMetrics {
  /** raw beat index in the stream */
  readonly seq: number;
  /** beat (end) time, s */
  readonly tS: number;
  readonly rrMs: number;
  readonly kind: BeatKind;
  readonly meanRrMs: number | null;
  readonly meanHrBpm: number | null;
  readonly sdnnMs: number | null;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly pnn50Pct: number | null;
  readonly lfMs2: number | null;
  readonly hfMs2: number | null;
  readonly lnHf: number | null;
  readonly lfHfRatio: number | null;
  readonly hfPeakHz: number | null;
  readonly respirationRateBpm: number | null;
  /** beat time of the spectral update the spectral values come from, s */
  readonly spectralAtS: number | null;
  readonly quality: LiveQuality;
}

// Point bits.
const NORMAL = 1;
/** the difference with the previous point may be taken */
const LINKED = 2;
// Raw-beat bits.
const CORRECTED = 1;

interface SpectralState {
  summary: FrequencyDomain | null;
  atS: number | null;
  segments: number;
  provisional: boolean;
  reason: string | null;
}

export class RollingEngine {
  readonly options: RollingOptions;
  private readonly detector: ArtefactDetector | null;
  /** NN points (corrected series) */
  private readonly points = new PointRing();
  /**
   * raw beats, for corrected shares. The value column holds the running count of corrected beats up to and including
   * each beat, so a window's count is a difference of two entries instead of a walk over the window's beats (the
   * spectral check spans 300 s, ~400 beats, every 4 s). Counts are small integers: the difference is exact.
   */
  private readonly raw = new PointRing();
  private correctedSoFar = 0;
  /** beat times of pushed beats not yet released by the detector, by seq */
  private readonly pendingTimes: Float64Array;
  private seqIn = 0;
  /** start of the current contiguous run's first interval, s (NaN before any): windows never reach back past it */
  private runStartS = Number.NaN;
  /** time of the most recent gap, s */
  private lastGapS = Number.NEGATIVE_INFINITY;
  /** which successive differences may be taken (the rule analyze() uses too) */
  private readonly links = new NnLinks();
  private readonly out: LiveMetrics[] = [];

  // Spectral state.
  private readonly fsHz: number;
  private readonly segmentS: number;
  private readonly hopUpdates: number;
  private readonly segmentsPerWindow: number;
  private readonly density: SegmentDensity;
  /** per update slot: the segment density computed at that update, and its end time */
  private readonly cache: Float64Array[];
  /** the memory behind `cache`: slot k's density is cacheRows[k·bins … (k + 1)·bins) */
  private readonly cacheRows: Float64Array;
  private readonly cacheEndS: Float64Array;
  private readonly average: Float64Array;
  /** cache slots of the segments the current update averages, newest first */
  private readonly averaged: Int32Array;
  private readonly resampled: Float64Array;
  private splineT = new Float64Array(256);
  private splineV = new Float64Array(256);
  private splineWork = new Float64Array(splineWorkLength(256));
  private nextUpdateS = Number.NaN;
  private spectral: SpectralState = { summary: null, atS: null, segments: 0, provisional: false, reason: null };
  private readonly minDifferences: number;
  private readonly minCoveredS: number;
  /** the RMSSD window's points, copied for `timeDomain` */
  private windowNn = new Float64Array(256);
  private windowLinked = new Uint8Array(256);

  constructor(options: Partial<RollingOptions> = {}) {
    const o: RollingOptions = { ...ROLLING_DEFAULTS, ...options };
    this.options = o;
    this.detector = o.correction ? new ArtefactDetector(o.artefacts) : null;
    this.pendingTimes = new Float64Array(256);
    this.minDifferences = o.minDifferences ?? Math.round(o.rmssdWindowS / 2);
    this.minCoveredS = o.minCoveredS ?? (o.rmssdWindowS * 5) / 6;

    const s = o.spectrum;
    this.fsHz = s.fsHz;
    this.segmentS = s.segmentSamples / s.fsHz;
    const hopS = (s.segmentSamples - s.overlapSamples) / s.fsHz;
    const ratio = hopS / o.spectralUpdateEveryS;
    if (!Number.isInteger(ratio) || ratio < 1) {
      throw new Error(
        `spectralUpdateEveryS (${o.spectralUpdateEveryS}) must divide the Welch hop (${hopS} s) into whole updates`,
      );
    }
    if (!Number.isInteger(o.spectralUpdateEveryS * s.fsHz)) {
      throw new Error('spectralUpdateEveryS must be a whole number of resampling periods');
    }
    this.hopUpdates = ratio;
    this.segmentsPerWindow = Math.floor((o.spectralWindowS - this.segmentS) / hopS) + 1;
    this.density = new SegmentDensity(s);
    const slots = this.hopUpdates * this.segmentsPerWindow;
    const bins = this.density.bins;
    this.cacheRows = new Float64Array(slots * bins);
    this.cache = Array.from({ length: slots }, (_, k) => this.cacheRows.subarray(k * bins, (k + 1) * bins));
    this.cacheEndS = new Float64Array(slots).fill(Number.NaN);
    this.average = new Float64Array(this.density.bins);
    this.averaged = new Int32Array(this.segmentsPerWindow);
    this.resampled = new Float64Array(s.segmentSamples);
  }

  /**
   * Feeds one raw beat. Returns the metrics of the beats the artefact layer released (a few beats behind with
   * correction on). The returned array is reused by the next call: copy what you keep.
   *
   * @param rrMs the interval as the strap sent it, ms
   * @param tS its end time on beat time, s
   * @param gapBefore a gap (lost contact, dropped link) lies before this beat
   */
  push(rrMs: number, tS: number, gapBefore = false): readonly LiveMetrics[] {
    this.out.length = 0;
    const seq = this.seqIn++;
    this.pendingTimes[seq & (this.pendingTimes.length - 1)] = tS;
    if (this.detector) {
      for (const beat of this.detector.push(rrMs, gapBefore)) this.accept(beat);
    } else {
      this.accept({ seq, rrMs, kind: 'normal', nnMs: [rrMs], merged: false, gapBefore });
    }
    return this.out;
  }

  /** Releases the beats still held for look-ahead (end of a recording). */
  flush(): readonly LiveMetrics[] {
    this.out.length = 0;
    if (this.detector) for (const beat of this.detector.flush()) this.accept(beat);
    return this.out;
  }

  private accept(beat: ClassifiedBeat): void {
    const tS = this.pendingTimes[beat.seq & (this.pendingTimes.length - 1)];
    if (beat.gapBefore && !Number.isNaN(this.runStartS)) this.lastGapS = tS - beat.rrMs / 1000;
    if (beat.gapBefore || Number.isNaN(this.runStartS)) this.startRun(tS - beat.rrMs / 1000);

    const corrected = beat.kind !== 'normal';
    if (corrected) this.correctedSoFar++;
    this.raw.push(tS, this.correctedSoFar, corrected ? CORRECTED : 0);

    let t = tS - beat.rrMs / 1000;
    const single = beat.nnMs.length === 1;
    this.links.accept(beat, (nn, normal, linked) => {
      t += single ? beat.rrMs / 1000 : nn / 1000;
      this.addPoint(t, nn, (normal ? NORMAL : 0) | (linked ? LINKED : 0));
    });
    this.evict(tS);
    this.out.push(this.metricsAt(beat, tS));
  }

  private startRun(startS: number): void {
    this.points.clear();
    this.raw.clear();
    this.runStartS = startS;
    this.links.startRun();
    this.cacheEndS.fill(Number.NaN);
    const every = this.options.spectralUpdateEveryS;
    this.nextUpdateS = Math.ceil((startS + this.segmentS) / every) * every;
    this.spectral = { summary: null, atS: null, segments: 0, provisional: false, reason: 'settling: no spectrum yet' };
  }

  private addPoint(tS: number, nnMs: number, bits: number): void {
    this.points.push(tS, nnMs, bits);
    // A point past an update instant means the spline is defined up to that instant: run every update it passed.
    // After a hole longer than the spectral window (a beat hours long that the artefact layer dropped) only the
    // updates of the last window can still matter — each update's own result is replaced by the next one's, and the
    // segments it stores are averaged only within one window — so the instants before are skipped: one interval of
    // 1e12 ms would otherwise mean 250 million updates. The loop also ends where adding a period no longer moves the
    // instant (beat times beyond 2^53 ms), and never starts for a time that is not finite.
    if (!Number.isFinite(tS)) return;
    const every = this.options.spectralUpdateEveryS;
    const lastWindowS = Math.floor((tS - this.options.spectralWindowS) / every) * every - every;
    if (lastWindowS > this.nextUpdateS) this.nextUpdateS = lastWindowS;
    while (tS >= this.nextUpdateS) {
      this.updateSpectrum(this.nextUpdateS);
      const next = this.nextUpdateS + every;
      if (next === this.nextUpdateS) break;
      this.nextUpdateS = next;
    }
  }

  private evict(nowS: number): void {
    const keepS = Math.max(this.options.spectralWindowS, this.options.rmssdWindowS) + SPLINE_MARGIN_S;
    this.points.dropUpTo(nowS - keepS);
    this.raw.dropUpTo(nowS - keepS);
  }

  /** Raw beats with fromS < t ≤ toS, and how many of them were corrected (beat times never decrease). */
  private correctedShare(fromS: number, toS: number): { beats: number; corrected: number } {
    const first = this.raw.firstAfter(fromS);
    const beats = this.raw.firstAfter(toS) - first;
    if (beats <= 0) return { beats: 0, corrected: 0 };
    const last = first + beats - 1;
    // running count through the last beat minus the count before the first one
    const before = this.raw.value(first) - (this.raw.flags(first) & CORRECTED ? 1 : 0);
    return { beats, corrected: this.raw.value(last) - before };
  }

  private metricsAt(beat: ClassifiedBeat, tS: number): LiveMetrics {
    const o = this.options;
    const windowFromS = Math.max(tS - o.rmssdWindowS, this.runStartS);
    const { beats, corrected } = this.correctedShare(windowFromS, tS);
    const correctedPct = beats > 0 ? (100 * corrected) / beats : 0;

    // Copy the window's points into scratch arrays and let the batch definition compute the time domain, so the live
    // and batch numbers cannot drift apart. About 60–100 points per beat.
    const points = this.points;
    const first = points.firstAfter(windowFromS);
    // At most every point from `first` on: grow the scratch before the loop, so the loop itself calls nothing.
    if (points.length - first > this.windowNn.length) this.growWindowScratch(points.length - first);
    const windowNn = this.windowNn;
    const windowLinked = this.windowLinked;
    let n = 0;
    let coveredMs = 0;
    for (let i = first; i < points.length; i++) {
      if (points.t(i) > tS) break;
      const bits = points.flags(i);
      const nn = points.value(i);
      windowNn[n] = nn;
      // The window's first point has no predecessor inside the window.
      windowLinked[n] = n > 0 && bits & LINKED ? 1 : 0;
      if (bits & NORMAL) coveredMs += nn;
      n++;
    }
    const td = timeDomain(windowNn, windowLinked, n);
    const time = isAvailable(td) ? td : null;
    const differences = time?.differences ?? 0;
    const coveredS = coveredMs / 1000;
    const tooIrregular = correctedPct > o.maxCorrectedPct;
    const settling = differences < this.minDifferences || coveredS < this.minCoveredS;
    let reason: string | null = null;
    if (tooIrregular)
      reason = `too irregular: ${correctedPct.toFixed(1)} % of beats corrected (limit ${o.maxCorrectedPct} %)`;
    else if (settling) reason = `settling: ${coveredS.toFixed(0)} of ${this.minCoveredS.toFixed(0)} s of clean beats`;
    const valid = reason === null && time !== null;
    const rmssdMs = valid ? time.rmssdMs : null;

    const sp = this.spectral;
    const s = sp.summary;
    return {
      seq: beat.seq,
      tS,
      rrMs: beat.rrMs,
      kind: beat.kind,
      meanRrMs: valid ? time.meanRrMs : null,
      meanHrBpm: valid ? time.meanHrBpm : null,
      sdnnMs: valid ? time.sdnnMs : null,
      rmssdMs,
      lnRmssd: valid ? time.lnRmssd : null,
      pnn50Pct: valid ? time.pnn50Pct : null,
      lfMs2: s ? s.lfMs2 : null,
      hfMs2: s ? s.hfMs2 : null,
      lnHf: s ? s.lnHf : null,
      lfHfRatio: s ? s.lfHfRatio : null,
      hfPeakHz: s ? s.hfPeakHz : null,
      respirationRateBpm: s ? s.respirationRateBpm : null,
      spectralAtS: s ? sp.atS : null,
      quality: {
        beatsInWindow: beats,
        differences,
        correctedPct,
        coveredS,
        gapInWindow: this.lastGapS > tS - o.rmssdWindowS,
        settling,
        tooIrregular,
        reason,
        spectralSegments: sp.segments,
        spectralProvisional: sp.provisional,
        spectralReason: sp.reason,
        respirationNote: s ? s.respirationNote : null,
      },
    };
  }

  private growWindowScratch(atLeast: number): void {
    let length = this.windowNn.length;
    while (length < atLeast) length *= 2;
    this.windowNn = new Float64Array(length);
    this.windowLinked = new Uint8Array(length);
  }

  /** One spectral update at beat time `atS`: the newest segment ends there. */
  private updateSpectrum(atS: number): void {
    const o = this.options;
    const slotCount = this.cache.length;
    const slot = Math.round(atS / o.spectralUpdateEveryS) % slotCount;
    this.cacheEndS[slot] = this.computeSegment(atS - this.segmentS, this.cache[slot]) ? atS : Number.NaN;

    // Average the newest segment with the ones that ended a whole hop, two hops, … before it, inside the window and
    // inside the current run.
    const hopS = this.hopUpdates * o.spectralUpdateEveryS;
    const windowFromS = Math.max(atS - o.spectralWindowS, this.runStartS);
    let segments = 0;
    for (let k = 0; k < this.segmentsPerWindow; k++) {
      const endS = atS - k * hopS;
      if (endS - this.segmentS < windowFromS - 1e-9) break;
      const s = Math.round(endS / o.spectralUpdateEveryS) % slotCount;
      if (this.cacheEndS[s] !== endS) continue;
      this.averaged[segments++] = s;
    }
    const dataS = atS - this.runStartS;
    const { beats, corrected } = this.correctedShare(windowFromS, atS);
    const correctedPct = beats > 0 ? (100 * corrected) / beats : 0;
    const state: SpectralState = { summary: null, atS, segments, provisional: false, reason: null };
    if (correctedPct > o.maxCorrectedPct) {
      state.reason = `too irregular: ${correctedPct.toFixed(1)} % of beats corrected (limit ${o.maxCorrectedPct} %)`;
    } else if (dataS < o.provisionalAfterS || segments < 2) {
      state.reason = `settling: HF needs ${o.provisionalAfterS} s of clean data`;
    } else {
      this.averageSegments(segments);
      state.summary = summariseDensity(this.average, o.spectrum, segments);
      state.provisional = segments < this.segmentsPerWindow;
    }
    this.spectral = state;
  }

  /**
   * average[b] = mean of the first `count` densities in `averaged`, only when a summary is made (while settling or
   * too irregular nothing reads it). Each bin is summed newest segment first, as it always was (0 + the newest is the
   * newest: densities are never −0), so the bits do not change; whole rows at a time, which runs about twice as fast
   * as gathering one bin from every segment through an inner loop. A full window (8 segments, every update after the
   * first 300 s of a run) is summed in one pass instead, the eight rows read at fixed offsets of the one array that
   * holds them all: the same additions in the same order, in about a quarter of the time.
   */
  private averageSegments(count: number): void {
    const average = this.average;
    if (count === 8) {
      const rows = this.cacheRows;
      const bins = average.length;
      const order = this.averaged;
      const d0 = order[0] * bins;
      const d1 = order[1] * bins;
      const d2 = order[2] * bins;
      const d3 = order[3] * bins;
      const d4 = order[4] * bins;
      const d5 = order[5] * bins;
      const d6 = order[6] * bins;
      const d7 = order[7] * bins;
      for (let b = 0; b < bins; b++) {
        average[b] =
          (rows[d0 + b] +
            rows[d1 + b] +
            rows[d2 + b] +
            rows[d3 + b] +
            rows[d4 + b] +
            rows[d5 + b] +
            rows[d6 + b] +
            rows[d7 + b]) /
          8;
      }
      return;
    }
    average.set(this.cache[this.averaged[0]]);
    for (let j = 1; j < count; j++) {
      const density = this.cache[this.averaged[j]];
      for (let b = 0; b < average.length; b++) average[b] += density[b];
    }
    for (let b = 0; b < average.length; b++) average[b] /= count;
  }

  /** Resamples the points around [startS, startS + segment) and writes the segment's density. False if unusable. */
  private computeSegment(startS: number, out: Float64Array): boolean {
    const endS = startS + this.segmentS;
    if (startS < this.runStartS) return false;
    const first = Math.max(0, this.points.firstAfter(startS - SPLINE_MARGIN_S) - 1);
    const count = this.points.length - first;
    if (count < 4 || this.points.t(first) > startS) return false;
    if (this.splineT.length < count) {
      this.splineT = new Float64Array(count * 2);
      this.splineV = new Float64Array(count * 2);
      this.splineWork = new Float64Array(splineWorkLength(count * 2));
    }
    let previousT = Number.NaN;
    for (let k = 0; k < count; k++) {
      const t = this.points.t(first + k);
      if (!(t > previousT) && k > 0) return false; // two beats at one time (a zero interval): no spline through them
      if (t > startS && t - previousT > MAX_SPLINE_SPAN_S && t < endS + MAX_SPLINE_SPAN_S) return false;
      this.splineT[k] = t;
      this.splineV[k] = this.points.value(first + k);
      previousT = t;
    }
    resampleEvenCount(
      this.splineT.subarray(0, count),
      this.splineV.subarray(0, count),
      this.fsHz,
      this.options.spectrum.interpolation,
      startS,
      this.resampled.length,
      this.resampled,
      this.splineWork,
    );
    this.density.compute(this.resampled, 0, out);
    return true;
  }
}
