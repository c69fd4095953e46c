import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { resampledLength, resampleEven, resampleEvenCount, splineWorkLength } from '../../src/hrv/interpolate.js';

/** Evenly spaced grid t0 + j/fs < tEnd, built independently of the code under test. */
function grid(t0S: number, tEndS: number, fsHz: number): number[] {
  const out: number[] = [];
  for (let j = 0; t0S + j / fsHz < tEndS; j++) out.push(t0S + j / fsHz);
  return out;
}

const cubic = (t: number) => 2 - 3 * t + 0.5 * t * t - 0.07 * t * t * t;

describe('resampleEven, cubic (not-a-knot)', () => {
  it('reproduces a cubic polynomial exactly on uneven knots (the not-a-knot property)', () => {
    for (const tS of [
      [0, 0.7, 1.9, 2.4],
      [0, 0.7, 1.9, 2.4, 3.05],
      [0.3, 1.1, 1.5, 2.9, 3.2, 4.8, 5.1, 6.6, 7, 8.25, 9.4],
    ]) {
      const values = tS.map(cubic);
      const fsHz = 8;
      const got = resampleEven(tS, values, fsHz, 'cubic');
      const want = grid(tS[0], tS[tS.length - 1], fsHz).map(cubic);
      expect(got.length).toBe(want.length);
      for (let j = 0; j < want.length; j++) expect(got[j]).toBeCloseTo(want[j], 10);
    }
  });

  it('matches SciPy 1.17.1 interp1d(kind="cubic") on an irregular series', () => {
    const tS = [0, 0.9, 2.5, 3.1, 4.6, 6.0];
    const values = [1000, 1052, 978, 1011, 1103, 990];
    // np.arange(0, 6.0, 0.5) through interp1d(tS, values, kind='cubic')
    const scipy = [
      1000.0, 1050.1598409648, 1048.7608929715, 1020.0820244959, 988.4021040135, 978.0, 1003.4388171947, 1042.470987371,
      1078.3015641345, 1100.9341163978, 1100.4042815423, 1066.7476969493,
    ];
    const got = resampleEven(tS, values, 2, 'cubic');
    expect(got.length).toBe(scipy.length);
    for (let j = 0; j < scipy.length; j++) expect(got[j]).toBeCloseTo(scipy[j], 8);
  });

  it('falls back to the parabola through 3 points and the line through 2', () => {
    const parabola = (t: number) => 5 + 2 * t - 1.5 * t * t;
    const t3 = [0, 0.4, 1.3];
    const got3 = resampleEven(t3, t3.map(parabola), 10, 'cubic');
    for (const [j, t] of grid(0, 1.3, 10).entries()) expect(got3[j]).toBeCloseTo(parabola(t), 12);

    const got2 = resampleEven([1, 3], [10, 20], 2, 'cubic');
    expect(Array.from(got2)).toEqual([10, 12.5, 15, 17.5]);
  });

  it('uses the work and output buffers it is given', () => {
    const tS = [0, 1, 2.2, 3, 4.1];
    const values = [900, 950, 920, 880, 910];
    const out = new Float64Array(100);
    const work = new Float64Array(splineWorkLength(tS.length));
    const got = resampleEven(tS, values, 4, 'cubic', undefined, undefined, out, work);
    expect(got.buffer).toBe(out.buffer);
    expect(Array.from(got)).toEqual(Array.from(resampleEven(tS, values, 4, 'cubic')));
  });
});

describe('resampleEven, grid and linear', () => {
  it('samples t0, t0 + 1/fs, … strictly below tEnd', () => {
    expect(resampledLength(0, 2, 4)).toBe(8);
    expect(resampledLength(0, 2.01, 4)).toBe(9);
    expect(resampledLength(5, 5, 4)).toBe(0);
    const got = resampleEven([0, 1, 2], [0, 4, 8], 4, 'linear');
    expect(Array.from(got)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('interpolates linearly between knots (SciPy interp1d(kind="linear") values)', () => {
    const got = resampleEven([0, 0.9, 2.5, 3.1, 4.6, 6.0], [1000, 1052, 978, 1011, 1103, 990], 2, 'linear');
    expect(got[1]).toBeCloseTo(1028.88888889, 7);
    expect(got[3]).toBeCloseTo(1024.25, 10);
    expect(got[10]).toBeCloseTo(1070.71428571, 7);
  });

  it('honours t0 and tEnd inside the knot range', () => {
    const got = resampleEven([0, 2, 4], [0, 2, 4], 2, 'linear', 1, 3);
    expect(Array.from(got)).toEqual([1, 1.5, 2, 2.5]);
  });

  it('rejects times that do not increase', () => {
    expect(() => resampleEven([0, 1, 1], [1, 2, 3], 4, 'cubic')).toThrow(RangeError);
    expect(() => resampleEven([0], [1], 4, 'cubic')).toThrow(RangeError);
    // a sample count passed where the end time belongs, or an output buffer too short, is a caller bug
    expect(() => resampleEven([0, 100, 200], [1, 2, 3], 4, 'cubic', 150, 64)).toThrow(RangeError);
    expect(() => resampleEven([0, 1, 2], [1, 2, 3], 4, 'cubic', 0, 2, new Float64Array(7))).toThrow(RangeError);
  });

  it('gives finite samples of the expected count for any increasing beat times (property)', () => {
    const beats = fc.array(fc.double({ min: 300, max: 2000, noNaN: true }), { minLength: 2, maxLength: 200 });
    fc.assert(
      fc.property(beats, fc.constantFrom<'cubic' | 'linear'>('cubic', 'linear'), (nnMs, method) => {
        const tS: number[] = [];
        let t = 0;
        for (const nn of nnMs) {
          t += nn / 1000;
          tS.push(t);
        }
        const got = resampleEven(tS, nnMs, 4, method);
        expect(got.length).toBe(grid(tS[0], tS[tS.length - 1], 4).length);
        for (const v of got) expect(Number.isFinite(v)).toBe(true);
        if (method === 'linear') {
          const lo = Math.min(...nnMs);
          const hi = Math.max(...nnMs);
          for (const v of got) expect(v >= lo - 1e-9 && v <= hi + 1e-9).toBe(true);
        }
      }),
    );
  });
});

describe('resampleEvenCount', () => {
  it('gives exactly count samples from t0, extrapolating past the last knot', () => {
    const got = resampleEvenCount([0, 1, 2], [0, 4, 8], 4, 'linear', 0.5, 10);
    expect(Array.from(got)).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const viaEnd = resampleEven([0, 1, 2], [0, 4, 8], 4, 'linear', 0.5, 3);
    expect(Array.from(viaEnd)).toEqual(Array.from(got));
  });
});
