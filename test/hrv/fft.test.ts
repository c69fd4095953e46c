import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PaddedRealFft, paddedRealFft, RealFft } from '../../src/hrv/fft.js';

/**
 * The pruned transform must give fft.js's numbers bit for bit (the rolling output is compared byte for byte across
 * versions): `RealFft` runs fft.js's full transform on the zero-padded input, and every bin must be the same double.
 */

/** Ordinary samples: most inputs hold only these, so most runs compare finite, non-zero powers. */
const ordinary = fc.double({ min: -500, max: 500, noNaN: true });
/** What an input may also hold now and then: tiny, huge, zeros of both signs, Inf, NaN. */
const special = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.double({ min: -1e-300, max: 1e-300, noNaN: true }),
  fc.constantFrom(0, -0, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY),
);
/** `length` ordinary samples, and in one run of three up to four special values at random places. */
const signal = (length: number) =>
  fc
    .tuple(
      fc.array(ordinary, { minLength: length, maxLength: length }),
      fc.oneof(
        { weight: 2, arbitrary: fc.constant([] as [number, number][]) },
        { weight: 1, arbitrary: fc.array(fc.tuple(fc.nat({ max: length - 1 }), special), { maxLength: 4 }) },
      ),
    )
    .map(([values, specials]) => {
      for (const [at, value] of specials) values[at] = value;
      return values;
    });

function sameBits(a: Float64Array, b: Float64Array, bins: number): void {
  for (let k = 0; k < bins; k++) {
    if (!Object.is(a[k], b[k])) expect.fail(`bin ${k}: fft.js gives ${a[k]}, the pruned transform ${b[k]}`);
  }
}

describe('PaddedRealFft', () => {
  for (const [size, inputLength, maxBin] of [
    [4096, 256, 411],
    [4096, 256, 512],
    [4096, 7, 100],
    [1024, 64, 128],
    [256, 16, 0],
    [256, 3, 32],
  ] as const) {
    it(`gives fft.js's |X[k]|² bit for bit: ${inputLength} samples padded to ${size}, bins 0…${maxBin}`, () => {
      const full = new RealFft(size);
      const pruned = new PaddedRealFft(size, inputLength, maxBin);
      const padded = new Float64Array(size);
      const want = new Float64Array(maxBin + 1);
      const got = new Float64Array(maxBin + 1);
      fc.assert(
        fc.property(
          signal(inputLength),
          fc.option(fc.array(fc.double({ min: 0, max: 10, noNaN: true }), { minLength: maxBin + 1 })),
          (input, scaleValues) => {
            padded.set(input);
            const scale = scaleValues === null ? undefined : Float64Array.from(scaleValues);
            full.powerSpectrum(padded, maxBin, want, scale);
            // the pruned transform reads only the samples: what lies past them must not matter
            const samples = Float64Array.from({ length: inputLength + 3 }, (_, n) =>
              n < inputLength ? input[n] : 1e9,
            );
            pruned.powerSpectrum(samples, got, scale);
            sameBits(want, got, maxBin + 1);
          },
        ),
        { numRuns: size >= 4096 ? 60 : 200, seed: size + inputLength + maxBin },
      );
    });
  }

  it('gives the same bits as fft.js on windowed segments of a real recording', async () => {
    const { readRrFile } = await import('../../src/io/rr-file.js');
    const { rrMs } = await readRrFile('recordings/bartels_rest_rri.txt');
    const full = new RealFft(4096);
    const pruned = new PaddedRealFft(4096, 256, 411);
    const padded = new Float64Array(4096);
    const want = new Float64Array(412);
    const got = new Float64Array(412);
    for (let start = 0; start + 256 <= rrMs.length; start += 37) {
      for (let n = 0; n < 256; n++)
        padded[n] = (rrMs[start + n] - 900) * (0.5 - 0.5 * Math.cos((2 * Math.PI * n) / 256));
      full.powerSpectrum(padded, 411, want);
      pruned.powerSpectrum(padded, got);
      sameBits(want, got, 412);
    }
  });

  it('takes only the sizes it is exact for, and says so', () => {
    expect(() => new PaddedRealFft(2048, 128, 100)).toThrow(/power of four/);
    expect(() => new PaddedRealFft(4096, 257, 100)).toThrow(/inputLength/);
    expect(() => new PaddedRealFft(4096, 256, 513)).toThrow(/maxBin/);
    expect(() => new PaddedRealFft(4096, 256, 411).powerSpectrum(new Float64Array(255), new Float64Array(412))).toThrow(
      RangeError,
    );
    expect(paddedRealFft(2048, 128, 100)).toBeUndefined();
    expect(paddedRealFft(4096, 512, 100)).toBeUndefined();
    expect(paddedRealFft(4096, 256, 411)).toBe(paddedRealFft(4096, 256, 411));
  });
});
