import { describe, expect, it } from 'vitest';
import { isAvailable, timeDomain } from '../../src/hrv/time-domain.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { first5MinCount, POINCARE_REFERENCE, referenceTolerance, TIME_DOMAIN_REFERENCE } from '../helpers/reference.js';

function expectClose(actual: number | null, printed: string, label: string) {
  expect(actual, label).not.toBeNull();
  const diff = Math.abs((actual as number) - Number(printed));
  expect(diff, `${label}: ${actual} vs reference ${printed}`).toBeLessThanOrEqual(referenceTolerance(printed));
}

describe('time domain against REFERENCE.md (no correction)', () => {
  for (const ref of TIME_DOMAIN_REFERENCE) {
    it(`${ref.file} ${ref.segment}`, async () => {
      const { rrMs } = await readRrFile(`recordings/${ref.file}`);
      const n = ref.segment === 'whole' ? rrMs.length : first5MinCount(rrMs);
      const segment = Array.from(rrMs).slice(0, n);
      expect(segment.length).toBe(ref.beats);
      expectClose(segment.reduce((a, b) => a + b, 0) / 1000, ref.durationS, 'duration');
      const td = timeDomain(segment);
      if (!isAvailable(td)) throw new Error(td.reason);
      expectClose(td.meanRrMs, ref.meanRrMs, 'mean RR');
      expectClose(td.sdnnMs, ref.sdnnMs, 'SDNN');
      expectClose(td.rmssdMs, ref.rmssdMs, 'RMSSD');
      expectClose(td.lnRmssd, ref.lnRmssd, 'lnRMSSD');
      expectClose(td.pnn50Pct, ref.pnn50Pct, 'pNN50');
      expect(td.meanHrBpm).toBeCloseTo(60_000 / Number(ref.meanRrMs), 3);
    });
  }
});

describe('Poincaré SD1 and SD2 against REFERENCE.md (sample variances, no correction)', () => {
  for (const ref of POINCARE_REFERENCE) {
    it(`${ref.file} ${ref.segment}`, async () => {
      const { rrMs } = await readRrFile(`recordings/${ref.file}`);
      const n = ref.segment === 'whole' ? rrMs.length : first5MinCount(rrMs);
      expect(n).toBe(ref.beats);
      const td = timeDomain(Array.from(rrMs).slice(0, n));
      if (!isAvailable(td)) throw new Error(td.reason);
      expectClose(td.sd1Ms, ref.sd1Ms, 'SD1');
      expectClose(td.sd2Ms, ref.sd2Ms, 'SD2');
    });
  }

  it('SD1 is SDSD / √2 with SDSD the sample SD of the differences (two-pass, N − 1), to 1e-12', () => {
    // A short series, where N and N − 1 differ most: 5 differences, so the two conventions differ by sqrt(5/4).
    const rr = [812, 790.5, 845.25, 801, 799.5, 830];
    const d = rr.slice(1).map((x, i) => x - rr[i]);
    const mean = d.reduce((a, b) => a + b, 0) / d.length;
    const sdsd = Math.sqrt(d.reduce((a, x) => a + (x - mean) ** 2, 0) / (d.length - 1));
    const meanRr = rr.reduce((a, b) => a + b, 0) / rr.length;
    const sdnn = Math.sqrt(rr.reduce((a, x) => a + (x - meanRr) ** 2, 0) / (rr.length - 1));
    const td = timeDomain(rr);
    if (!isAvailable(td)) throw new Error(td.reason);
    expect(Math.abs((td.sd1Ms as number) / (sdsd / Math.SQRT2) - 1)).toBeLessThan(1e-12);
    expect(Math.abs((td.sd2Ms as number) / Math.sqrt(2 * sdnn ** 2 - sdsd ** 2 / 2) - 1)).toBeLessThan(1e-12);
  });

  it('one successive difference has no sample variance: no SD1 or SD2, RMSSD still', () => {
    const td = timeDomain([800, 850]);
    if (!isAvailable(td)) throw new Error(td.reason);
    expect(td.rmssdMs).toBe(50);
    expect(td.sd1Ms).toBeNull();
    expect(td.sd2Ms).toBeNull();
  });
});

describe('time domain: analytic cases', () => {
  it('constant RR gives RMSSD 0, SDNN 0, pNN50 0 and no lnRMSSD', () => {
    const td = timeDomain(new Array(100).fill(857.421875));
    if (!isAvailable(td)) throw new Error(td.reason);
    expect(td.rmssdMs).toBe(0);
    expect(td.sdnnMs).toBe(0);
    expect(td.pnn50Pct).toBe(0);
    expect(td.lnRmssd).toBeNull();
    expect(td.meanHrBpm).toBeCloseTo(60_000 / 857.421875, 12);
  });

  it('alternating RR ±d gives RMSSD 2d, SD1 = 2d/√2 (sample variance of 200 differences) and pNN50 by > 50 ms', () => {
    const rr = Array.from({ length: 201 }, (_, i) => (i % 2 ? 1025 : 975));
    const td = timeDomain(rr);
    if (!isAvailable(td)) throw new Error(td.reason);
    expect(td.rmssdMs).toBeCloseTo(50, 12);
    expect(td.pnn50Pct).toBe(0); // |Δ| = 50 is not > 50
    // The 200 differences are ±50 with mean 0: sample variance 2500 · 200/199.
    expect(td.sd1Ms).toBeCloseTo((50 / Math.SQRT2) * Math.sqrt(200 / 199), 9);
  });

  it('never takes a difference across an unlinked pair (gap or corrected beat)', () => {
    const rr = [1000, 1010, 1000, 400, 1000, 1010];
    const linked = [false, true, true, false, false, true];
    const td = timeDomain(rr, linked);
    if (!isAvailable(td)) throw new Error(td.reason);
    expect(td.differences).toBe(3);
    expect(td.rmssdMs).toBeCloseTo(10, 12);
  });

  it('with a count uses only that many leading values, exactly as on the shorter series', () => {
    const rr = Float64Array.from([812.5, 790, 845.25, 801, 799.5, 400, 830, 0, 0]);
    const linked = Uint8Array.from([0, 1, 1, 1, 1, 0, 0, 1, 1]);
    expect(timeDomain(rr, linked, 7)).toEqual(timeDomain(rr.slice(0, 7), linked.slice(0, 7)));
    expect(() => timeDomain(rr, linked, 10)).toThrow(RangeError);
  });

  it('says why when there is not enough data', () => {
    const td = timeDomain([1000]);
    expect(isAvailable(td)).toBe(false);
  });
});
