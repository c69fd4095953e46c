import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RealFft, realFftOfSize } from '../../src/hrv/fft.js';
import {
  detrendInPlace,
  type FrequencyDomain,
  frequencyDomain,
  METHOD_A,
  METHOD_B,
  SegmentDensity,
  type SpectrumOptions,
  spectrumPlan,
  summariseDensity,
  welchDensity,
} from '../../src/hrv/spectrum.js';
import type { NotAvailable } from '../../src/hrv/types.js';

const RECORDINGS = new URL('../../recordings/', import.meta.url);
const FIVE_MIN_MS = 300_000;

/** One integer ms per line (a stand-in for the real readers in src/io). */
function loadRr(file: string): number[] {
  return readFileSync(new URL(file, RECORDINGS), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map(Number);
}

/** REFERENCE.md's `first_5min`: the largest prefix whose RR sum is ≤ 300 000 ms. */
function firstFiveMinutes(rrMs: number[]): number[] {
  let sumMs = 0;
  let n = 0;
  while (n < rrMs.length && sumMs + rrMs[n] <= FIVE_MIN_MS) sumMs += rrMs[n++];
  return rrMs.slice(0, n);
}

function available(r: FrequencyDomain | NotAvailable): FrequencyDomain {
  if ('reason' in r) throw new Error(`not available: ${r.reason}`);
  return r;
}

const relErr = (got: number, want: number) => Math.abs(got - want) / Math.abs(want);

/** recordings/REFERENCE.md, "Frequency domain", copied as printed. */
const REFERENCE = [
  ['bartels_rest_rri.txt', 'first_5min', 'B', '1497.14', '1089.62', '1.3740', '0.3184'],
  ['bartels_rest_rri.txt', 'first_5min', 'A', '1420.75', '671.42', '2.1160', '0.3184'],
  ['bartels_rest_rri.txt', 'whole', 'B', '876.62', '921.68', '0.9511', '0.2705'],
  ['bartels_rest_rri.txt', 'whole', 'A', '831.75', '590.05', '1.4096', '0.2705'],
  ['pyhrv_nni_short_5min.txt', 'whole', 'B', '1793.80', '4836.79', '0.3709', '0.2432'],
  ['pyhrv_nni_short_5min.txt', 'whole', 'A', '1651.34', '3484.19', '0.4740', '0.2432'],
] as const;

/** Half a unit in the last printed digit. */
const halfUlp = (printed: string) => 0.5 * 10 ** -(printed.split('.')[1]?.length ?? 0);

describe('frequencyDomain against recordings/REFERENCE.md', () => {
  for (const [file, segment, method, lf, hf, ratio, peak] of REFERENCE) {
    const options = method === 'B' ? METHOD_B : METHOD_A;
    const rr = () => (segment === 'whole' ? loadRr(file) : firstFiveMinutes(loadRr(file)));

    it(`${file} ${segment} method ${method}: LF, HF, LF/HF within 1 %, HF peak on the same bin`, () => {
      const r = available(frequencyDomain(rr(), options));
      expect(relErr(r.lfMs2, Number(lf))).toBeLessThan(0.01);
      expect(relErr(r.hfMs2, Number(hf))).toBeLessThan(0.01);
      expect(relErr(r.lfHfRatio ?? Number.NaN, Number(ratio))).toBeLessThan(0.01);
      // the peak is printed to 4 decimals; bins are 1/1024 Hz apart, so this pins the bin
      expect(Math.abs((r.hfPeakHz ?? Number.NaN) - Number(peak))).toBeLessThanOrEqual(halfUlp(peak));
      expect(r.respirationRateBpm).toBeCloseTo(60 * (r.hfPeakHz ?? Number.NaN), 12);
      expect(r.respirationNote).toBeNull();
      expect(r.slowBreathing).toBe(false);
    });

    it(`${file} ${segment} method ${method}: equal to the printed digits (same maths as SciPy)`, () => {
      const r = available(frequencyDomain(rr(), options));
      expect(Math.abs(r.lfMs2 - Number(lf))).toBeLessThanOrEqual(halfUlp(lf));
      expect(Math.abs(r.hfMs2 - Number(hf))).toBeLessThanOrEqual(halfUlp(hf));
      expect(Math.abs((r.lfHfRatio ?? Number.NaN) - Number(ratio))).toBeLessThanOrEqual(halfUlp(ratio));
    });
  }

  it('averages the expected number of Welch segments (⌊(N − 256)/128⌋ + 1)', () => {
    // 299.476 s → N = ⌈299.476·4⌉ − (first beat at 0) = 1194 samples → 8 segments
    const r = available(frequencyDomain(firstFiveMinutes(loadRr('bartels_rest_rri.txt'))));
    expect(r.segments).toBe(8);
    expect(r.dfHz).toBe(4 / 4096);
  });
});

/** Beats of RR = baseMs + aMs·sin(2π·f·t), each interval taking the modulation at its start time. */
function sinusoidalNn(fHz: number, aMs: number, durationS: number, baseMs = 1000): number[] {
  const nnMs: number[] = [];
  let tS = 0;
  while (tS < durationS) {
    const rr = baseMs + aMs * Math.sin(2 * Math.PI * fHz * tS);
    nnMs.push(rr);
    tS += rr / 1000;
  }
  return nnMs;
}

describe('frequencyDomain, analytic cases', () => {
  const dfHz = 4 / 4096;

  it('a 0.25 Hz modulation of amplitude A gives HF ≈ A²/2 and a 15/min breathing peak', () => {
    const aMs = 50;
    const r = available(frequencyDomain(sinusoidalNn(0.25, aMs, 300)));
    // the spline sees ~4 beats per cycle, so it shaves a little amplitude (~3 %); a few % is the expected accuracy
    expect(relErr(r.hfMs2, (aMs * aMs) / 2)).toBeLessThan(0.05);
    expect(Math.abs((r.hfPeakHz ?? Number.NaN) - 0.25)).toBeLessThanOrEqual(dfHz);
    expect(r.respirationRateBpm).toBeCloseTo(15, 0);
    expect(r.lfMs2 + r.vlfMs2).toBeLessThan(1e-3 * r.hfMs2);
    expect(r.hfNu).toBeGreaterThan(99.9);
    expect((r.lfNu ?? 0) + (r.hfNu ?? 0)).toBeCloseTo(100, 10);
    expect(r.lnHf).toBeCloseTo(Math.log(r.hfMs2), 12);
  });

  it('constant RR: no power, no peak, no ratio', () => {
    const r = available(frequencyDomain(new Array(400).fill(950)));
    expect(r.vlfMs2).toBeLessThan(1e-9);
    expect(r.lfMs2).toBeLessThan(1e-9);
    expect(r.hfMs2).toBeLessThan(1e-9);
    expect(r.hfPeakHz).toBeNull();
    expect(r.respirationRateBpm).toBeNull();
    expect(r.respirationNote).toEqual(expect.any(String));
    expect(r.lfHfRatio).toBeNull();
    expect(r.lnHf).toBeNull();
  });

  it('breathing at 6/min (0.1 Hz): the power is in LF, no breathing rate, the slow-breathing note', () => {
    const aMs = 50;
    const r = available(frequencyDomain(sinusoidalNn(0.1, aMs, 300)));
    expect(relErr(r.lfMs2, (aMs * aMs) / 2)).toBeLessThan(0.05);
    expect(r.hfMs2).toBeLessThan(0.01 * r.lfMs2);
    expect(r.respirationRateBpm).toBeNull();
    expect(r.slowBreathing).toBe(true);
    expect(r.respirationNote).toBe('breathing slower than 9/min: HF under-reads, trust RMSSD');
    expect(Math.abs((r.lfPeakHz ?? Number.NaN) - 0.1)).toBeLessThanOrEqual(dfHz);
  });

  it('is not available below one 64 s Welch segment, and is from exactly 256 samples on', () => {
    const short = frequencyDomain(new Array(64).fill(1000)); // beats span 63 s → 252 samples
    expect(short).toEqual({ value: null, reason: expect.stringContaining('64 s') });
    const oneSegment = available(frequencyDomain(sinusoidalNn(0.25, 40, 64.5))); // spans ≥ 64 s
    expect(oneSegment.segments).toBe(1);
    expect(frequencyDomain([])).toEqual({ value: null, reason: expect.any(String) });
  });

  it('linear detrend removes a ramp from the resampled series', () => {
    const x = Float64Array.from({ length: 300 }, (_, i) => 7 + 0.3 * i + Math.sin(i / 5));
    detrendInPlace(x, x.length, 'linear');
    let sum = 0;
    let slope = 0;
    for (let i = 0; i < x.length; i++) {
      sum += x[i];
      slope += (i - 149.5) * x[i];
    }
    expect(Math.abs(sum)).toBeLessThan(1e-9);
    expect(Math.abs(slope)).toBeLessThan(1e-7);
  });

  it('keeps the method B defaults frozen', () => {
    expect(Object.isFrozen(METHOD_B)).toBe(true);
    expect(Object.isFrozen(METHOD_B.bands)).toBe(true);
    expect(METHOD_B).toMatchObject({ fsHz: 4, segmentSamples: 256, overlapSamples: 128, nfft: 4096 });
    const plan = spectrumPlan(METHOD_B);
    expect([plan.lfBins.first, plan.lfBins.last, plan.hfBins.first, plan.hfBins.last]).toEqual([41, 153, 154, 409]);
  });
});

describe('Welch via fft.js against a naive DFT periodogram', () => {
  /** Small settings so an O(N²) DFT is cheap; the bands reach the Nyquist bin (32) to check its scaling. */
  const SMALL: SpectrumOptions = {
    ...METHOD_B,
    segmentSamples: 32,
    overlapSamples: 16,
    nfft: 64,
    bands: { vlfHz: [0, 0.3], lfHz: [0.3, 0.9], hfHz: [0.9, 2.1] },
  };

  /** scipy.signal.welch(x, fs, window='hann', nperseg=L, noverlap=L/2, nfft, detrend='constant'), written out. */
  function naiveWelch(x: number[], o: SpectrumOptions): number[] {
    const L = o.segmentSamples;
    const hop = L - o.overlapSamples;
    const w = Array.from({ length: L }, (_, n) => 0.5 - 0.5 * Math.cos((2 * Math.PI * n) / L));
    const wPower = w.reduce((s, v) => s + v * v, 0);
    const bins = o.nfft / 2 + 1;
    const sum = new Array<number>(bins).fill(0);
    let segments = 0;
    for (let start = 0; start + L <= x.length; start += hop) {
      const seg = x.slice(start, start + L);
      const mean = seg.reduce((s, v) => s + v, 0) / L;
      for (let k = 0; k < bins; k++) {
        let re = 0;
        let im = 0;
        for (let n = 0; n < L; n++) {
          const v = (seg[n] - mean) * w[n];
          re += v * Math.cos((2 * Math.PI * k * n) / o.nfft);
          im -= v * Math.sin((2 * Math.PI * k * n) / o.nfft);
        }
        const c = k === 0 || k === o.nfft / 2 ? 1 : 2;
        sum[k] += (c * (re * re + im * im)) / (o.fsHz * wPower);
      }
      segments++;
    }
    return sum.map((v) => v / segments);
  }

  it('gives the same averaged density and band powers', () => {
    const x = Array.from({ length: 117 }, (_, i) => 800 + 40 * Math.sin(i * 0.7) + 25 * Math.cos(i * 2.3) + (i % 7));
    const plan = spectrumPlan(SMALL);
    expect(plan.maxBin).toBe(32);
    const segment = new SegmentDensity(plan);
    const density = new Float64Array(plan.maxBin + 1);
    const segments = welchDensity(Float64Array.from(x), x.length, segment, density, new Float64Array(33));
    expect(segments).toBe(6);
    const want = naiveWelch(x, SMALL);
    for (let k = 0; k <= plan.maxBin; k++) expect(density[k]).toBeCloseTo(want[k], 8);

    const df = SMALL.fsHz / SMALL.nfft;
    const trapezoid = ([lo, hi]: readonly [number, number]) => {
      const ks = want.map((_, k) => k).filter((k) => k * df >= lo && k * df < hi);
      let s = 0;
      for (let j = 0; j + 1 < ks.length; j++) s += (df * (want[ks[j]] + want[ks[j + 1]])) / 2;
      return s;
    };
    const r = summariseDensity(density, plan, segments);
    expect(r.lfMs2).toBeCloseTo(trapezoid(SMALL.bands.lfHz), 8);
    expect(r.hfMs2).toBeCloseTo(trapezoid(SMALL.bands.hfHz), 8);
    expect(r.vlfMs2).toBeCloseTo(trapezoid(SMALL.bands.vlfHz), 8);
  });

  it('RealFft gives |X[k]|² of a naive DFT up to the Nyquist bin', () => {
    for (const size of [2, 4, 8, 32, 128]) {
      const x = Float64Array.from({ length: size }, (_, i) => Math.sin(i * 1.3) + 0.1 * i);
      const got = new RealFft(size).powerSpectrum(x, size / 2, new Float64Array(size / 2 + 1));
      for (let k = 0; k <= size / 2; k++) {
        let re = 0;
        let im = 0;
        for (let n = 0; n < size; n++) {
          re += x[n] * Math.cos((2 * Math.PI * k * n) / size);
          im -= x[n] * Math.sin((2 * Math.PI * k * n) / size);
        }
        expect(got[k]).toBeCloseTo(re * re + im * im, 9);
      }
    }
  });

  it('RealFft with a per-bin scale gives exactly the unscaled power times the scale', () => {
    const x = Float64Array.from({ length: 64 }, (_, i) => Math.sin(i * 0.7) * 40 + i);
    const fft = new RealFft(64);
    const plain = Float64Array.from(fft.powerSpectrum(x, 20, new Float64Array(21)));
    const scale = Float64Array.from({ length: 21 }, (_, k) => (k === 0 ? 0.3 : 0.6) / 7);
    const scaled = fft.powerSpectrum(x, 20, new Float64Array(21), scale);
    for (let k = 0; k <= 20; k++) expect(scaled[k]).toBe(plain[k] * scale[k]);
    expect(() => fft.powerSpectrum(x, 20, new Float64Array(21), new Float64Array(20))).toThrow(RangeError);
  });

  it('RealFft checks its size and shares instances per size', () => {
    expect(() => new RealFft(100)).toThrow(RangeError);
    expect(realFftOfSize(4096)).toBe(realFftOfSize(4096));
  });
});

describe('frequencyDomain properties', () => {
  it('gives finite, non-negative powers and consistent segment counts for any plausible NN series', () => {
    const nn = fc.array(fc.double({ min: 400, max: 1500, noNaN: true }), { minLength: 2, maxLength: 250 });
    fc.assert(
      fc.property(nn, (nnMs) => {
        const spanS = nnMs.slice(1).reduce((s, v) => s + v, 0) / 1000;
        const samples = Math.ceil(spanS * METHOD_B.fsHz);
        const r = frequencyDomain(nnMs);
        if (samples < METHOD_B.segmentSamples) {
          expect('reason' in r).toBe(true);
          return;
        }
        const f = available(r);
        expect(f.segments).toBe(Math.floor((samples - 256) / 128) + 1);
        for (const p of [f.vlfMs2, f.lfMs2, f.hfMs2]) expect(p >= 0 && Number.isFinite(p)).toBe(true);
        if (f.lfNu !== null) expect(f.lfNu + (f.hfNu ?? 0)).toBeCloseTo(100, 9);
      }),
      { numRuns: 60 },
    );
  });
});
