import { describe, expect, it } from 'vitest';
import { classifyBeats } from '../../src/hrv/artefacts.js';
import { type LiveMetrics, RollingEngine } from '../../src/hrv/rolling.js';
import { frequencyDomainOfBeats, METHOD_B } from '../../src/hrv/spectrum.js';
import { isAvailable, timeDomain } from '../../src/hrv/time-domain.js';
import { readRrFile } from '../../src/io/rr-file.js';

function runEngine(rrMs: ArrayLike<number>, options = {}, gapAt: number[] = []): LiveMetrics[] {
  const engine = new RollingEngine(options);
  const rows: LiveMetrics[] = [];
  let t = 0;
  for (let i = 0; i < rrMs.length; i++) {
    t += rrMs[i] / 1000;
    rows.push(...engine.push(rrMs[i], t, gapAt.includes(i)));
  }
  rows.push(...engine.flush());
  return rows;
}

/** RMSSD over intervals whose end time lies in (T − W, T], brute force, independent of the engine. */
function windowRmssd(rrMs: ArrayLike<number>, T: number, W: number) {
  const ends: number[] = [];
  let t = 0;
  for (let i = 0; i < rrMs.length; i++) {
    t += rrMs[i] / 1000;
    ends.push(t);
  }
  const idx = ends.map((e, i) => [e, i] as const).filter(([e]) => e > T - W + 1e-9 && e <= T + 1e-9);
  const values = idx.map(([, i]) => rrMs[i]);
  const td = timeDomain(values);
  return { first: idx[0][1], n: values.length, rmssd: isAvailable(td) ? td.rmssdMs : null };
}

describe('rolling RMSSD window definition (REFERENCE.md rolling table, bartels_rest_rri.txt, W = 60 s)', () => {
  const table = [
    [60, 0, 55, 91.599],
    [65, 4, 55, 90.899],
    [70, 9, 55, 88.628],
    [75, 13, 56, 85.596],
  ] as const;
  it.each(table)('T = %d s: first index %d, %d intervals, RMSSD %d', async (T, first, n, rmssd) => {
    const { rrMs } = await readRrFile('recordings/bartels_rest_rri.txt');
    const w = windowRmssd(rrMs, T, 60);
    expect(w.first).toBe(first);
    expect(w.n).toBe(n);
    expect(w.rmssd).toBeCloseTo(rmssd, 3);
  });

  it('the engine (no correction) gives, after every beat, the RMSSD of the trailing 60 s window', async () => {
    const { rrMs } = await readRrFile('recordings/bartels_rest_rri.txt');
    const rows = runEngine(rrMs, { correction: false });
    expect(rows).toHaveLength(rrMs.length);
    let checked = 0;
    for (const row of rows) {
      const w = windowRmssd(rrMs, row.tS, 60);
      if (row.rmssdMs === null) {
        expect(row.quality.settling).toBe(true);
        continue;
      }
      expect(row.rmssdMs).toBeCloseTo(w.rmssd as number, 9);
      checked++;
    }
    // Valid from the first full window on (≥ 50 s covered): nearly every beat.
    expect(checked).toBeGreaterThan(rrMs.length - 60);
  });
});

describe('rolling engine: artefacts, gaps, irregular rhythm', () => {
  it('on the Polar H10 stream with frequent PVCs says "too irregular" instead of a vagal number', async () => {
    const { rrMs } = await readRrFile('recordings/polar_h10_detectPVC_rr.csv');
    const rows = runEngine(rrMs);
    const after = rows.filter((r) => r.tS > 90);
    const irregular = after.filter((r) => r.quality.tooIrregular && r.rmssdMs === null);
    expect(irregular.length / after.length).toBeGreaterThan(0.9);
    // whatever slips through is never the inflated raw value (raw 60 s RMSSD there is 367–519 ms)
    for (const r of after) if (r.rmssdMs !== null) expect(r.rmssdMs).toBeLessThan(150);
    expect(after.every((r) => r.hfMs2 === null || !r.quality.tooIrregular)).toBe(true);
  });

  it('leaves clean resting data valid: RMSSD on nearly every beat after the first minute', async () => {
    const { rrMs } = await readRrFile('recordings/bartels_rest_rri.txt');
    const rows = runEngine(rrMs);
    const after = rows.filter((r) => r.tS > 65);
    expect(after.filter((r) => r.rmssdMs !== null).length / after.length).toBeGreaterThan(0.99);
  });

  it('never spans a gap: after a gap the window restarts and the engine settles again', async () => {
    const { rrMs } = await readRrFile('recordings/bartels_rest_rri.txt');
    const gapIndex = 400;
    const rows = runEngine(rrMs, { correction: false }, [gapIndex]);
    const gapRow = rows.find((r) => r.seq === gapIndex) as LiveMetrics;
    expect(gapRow.rmssdMs).toBeNull();
    expect(gapRow.quality.settling).toBe(true);
    expect(gapRow.quality.gapInWindow).toBe(true);
    expect(gapRow.hfMs2).toBeNull();
    // 70 s after the gap: valid again, and equal to the RMSSD of the post-gap beats only
    const later = rows.find((r) => r.seq > gapIndex && r.tS > gapRow.tS + 70) as LiveMetrics;
    expect(later.rmssdMs).not.toBeNull();
    const w = windowRmssd(rrMs, later.tS, 60);
    expect(w.first).toBeGreaterThanOrEqual(gapIndex); // the window itself is past the gap by now
    expect(later.rmssdMs).toBeCloseTo(w.rmssd as number, 9);
  });

  it('counts the beats and corrected beats of every RMSSD window as a walk over the window would', async () => {
    const { rrMs } = await readRrFile('recordings/polar_h10_detectPVC_rr.csv');
    const gapAt = [300];
    const rows = runEngine(rrMs, {}, gapAt);
    let runStartS = 0;
    for (const row of rows) {
      if (gapAt.includes(row.seq)) runStartS = row.tS - row.rrMs / 1000;
      const fromS = Math.max(row.tS - 60, runStartS);
      const inWindow = rows.filter((r) => r.tS > fromS && r.tS <= row.tS && r.tS - r.rrMs / 1000 >= runStartS - 1e-9);
      const corrected = inWindow.filter((r) => r.kind !== 'normal').length;
      expect(row.quality.beatsInWindow).toBe(inWindow.length);
      expect(row.quality.correctedPct).toBe(inWindow.length > 0 ? (100 * corrected) / inWindow.length : 0);
    }
  });

  it('classifies exactly as the batch artefact layer does', async () => {
    const { rrMs } = await readRrFile('recordings/bartels_noisy_rri_polar.txt');
    const rows = runEngine(rrMs);
    const batch = classifyBeats(rrMs);
    expect(rows.map((r) => r.kind)).toEqual(batch.map((b) => b.kind));
  });
});

describe('rolling spectra', () => {
  /** Beats of RR(t) = base + A·sin(2π f t), t the beat's start time. */
  function sinusoidBeats(durationS: number, baseMs: number, amplitudeMs: number, hz: number) {
    const rr: number[] = [];
    let t = 0;
    while (t < durationS) {
      const v = baseMs + amplitudeMs * Math.sin(2 * Math.PI * hz * t);
      rr.push(v);
      t += v / 1000;
    }
    return rr;
  }

  it('a 0.25 Hz modulation of amplitude A shows HF ≈ A²/2, a 15 /min breathing rate, provisional before 300 s', () => {
    const A = 40;
    const rows = runEngine(sinusoidBeats(420, 800, A, 0.25));
    expect(rows.filter((r) => r.tS < 119).every((r) => r.hfMs2 === null)).toBe(true);
    const provisional = rows.filter((r) => r.tS > 130 && r.tS < 280);
    expect(provisional.every((r) => r.hfMs2 !== null && r.quality.spectralProvisional)).toBe(true);
    const full = rows.filter((r) => r.tS > 310);
    expect(full.length).toBeGreaterThan(50);
    for (const r of full) {
      expect(r.quality.spectralProvisional).toBe(false);
      expect(r.quality.spectralSegments).toBe(8);
      expect((r.hfMs2 as number) / ((A * A) / 2)).toBeGreaterThan(0.95);
      expect((r.hfMs2 as number) / ((A * A) / 2)).toBeLessThan(1.05);
      expect(r.respirationRateBpm).toBeCloseTo(15, 0);
      expect(r.tS - (r.spectralAtS as number)).toBeLessThanOrEqual(5); // updated at least every 5 s of beat time
    }
  });

  it('agrees with batch method B over the same 300 s on a real clean recording (within 10 %)', async () => {
    const { rrMs } = await readRrFile('recordings/pyhrv_nni_short_5min.txt');
    const rows = runEngine(rrMs);
    const last = rows.filter((r) => r.hfMs2 !== null).at(-1) as LiveMetrics;
    const ends: number[] = [];
    let t = 0;
    for (const rr of rrMs) {
      t += rr / 1000;
      ends.push(t);
    }
    const batch = frequencyDomainOfBeats(ends, Array.from(rrMs), METHOD_B);
    if (!('hfMs2' in batch)) throw new Error('batch spectrum not available');
    expect((last.hfMs2 as number) / batch.hfMs2).toBeGreaterThan(0.9);
    expect((last.hfMs2 as number) / batch.hfMs2).toBeLessThan(1.1);
    expect((last.lfMs2 as number) / batch.lfMs2).toBeGreaterThan(0.85);
    expect((last.lfMs2 as number) / batch.lfMs2).toBeLessThan(1.15);
  });
});
