import { describe, expect, it } from 'vitest';
import { mean, sampleSd, studentTCdf, studentTQuantile } from '../../src/tracking/statistics.js';

describe('mean and sample SD', () => {
  it('match a hand computation on three values', () => {
    // 3, 4, 8: mean 5; squared deviations 4 + 1 + 9 = 14; SD (n−1) = sqrt(14 / 2) = sqrt(7)
    expect(mean([3, 4, 8])).toBe(5);
    expect(sampleSd([3, 4, 8])).toBeCloseTo(Math.sqrt(7), 14);
    expect(sampleSd([3])).toBeNaN();
  });
});

describe('Student t quantile', () => {
  it('matches printed table values (two-sided 95 %)', () => {
    // t(0.975, ν) as printed in the usual tables (e.g. NIST/SEMATECH e-Handbook 1.3.6.7.2), six decimals
    const table: Array<[number, number]> = [
      [1, 12.706205],
      [2, 4.302653],
      [3, 3.182446],
      [4, 2.776445],
      [9, 2.262157],
      [29, 2.04523],
      [100, 1.983972],
    ];
    for (const [df, t] of table) expect(Math.abs(studentTQuantile(0.975, df) - t), `df ${df}`).toBeLessThan(5e-7);
  });

  it('matches the closed forms for 1 and 2 degrees of freedom', () => {
    for (const p of [0.6, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.1, 0.025]) {
      // ν = 1 (Cauchy): tan(π(p − ½)); ν = 2: (2p − 1) / sqrt(2p(1 − p))
      expect(studentTQuantile(p, 1)).toBeCloseTo(Math.tan(Math.PI * (p - 0.5)), 9);
      expect(studentTQuantile(p, 2)).toBeCloseTo((2 * p - 1) / Math.sqrt(2 * p * (1 - p)), 9);
    }
  });

  it('tends to the normal quantile for many degrees of freedom, is symmetric and inverts the CDF', () => {
    expect(studentTQuantile(0.975, 1e7)).toBeCloseTo(1.959964, 5);
    expect(studentTQuantile(0.025, 7)).toBeCloseTo(-studentTQuantile(0.975, 7), 12);
    expect(studentTQuantile(0.5, 5)).toBe(0);
    for (const df of [1, 3, 12.5, 40]) {
      for (const p of [0.01, 0.3, 0.8, 0.99]) expect(studentTCdf(studentTQuantile(p, df), df)).toBeCloseTo(p, 12);
    }
  });

  it('refuses a probability outside (0, 1) or non-positive degrees of freedom', () => {
    expect(() => studentTQuantile(1, 3)).toThrow(/probability/);
    expect(() => studentTQuantile(0.9, 0)).toThrow(/degrees of freedom/);
  });
});
