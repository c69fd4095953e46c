/**
 * The one place that touches `fft.js` (radix-4, precomputed tables per instance, `any` typings). Everything else in
 * the engine sees `RealFft`, which keeps one FFT instance and its complex output buffer, so the hot path allocates
 * nothing.
 */
import FFT from 'fft.js';

/** Smallest size fft.js handles (it rejects 1 and non-powers of two). */
const MIN_FFT_SIZE = 2;

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n >= MIN_FFT_SIZE && (n & (n - 1)) === 0;
}

/** Power spectrum of a real signal of a fixed power-of-two length. Not re-entrant: share only on one thread. */
export class RealFft {
  readonly size: number;
  /** highest bin `realTransform` fills: the Nyquist bin, size / 2 */
  readonly nyquistBin: number;
  readonly #fft: FFT;
  /**
   * Interleaved complex output; fft.js's `realTransform` fills bins 0…size/2 (re = 2k, im = 2k + 1). A plain array
   * from `createComplexArray()`, as fft.js expects: measured about 10 % faster here than a Float64Array.
   */
  readonly #spectrum: number[];

  constructor(size: number) {
    if (!isPowerOfTwo(size)) throw new RangeError(`FFT size must be a power of two ≥ ${MIN_FFT_SIZE}, got ${size}`);
    this.size = size;
    this.nyquistBin = size / 2;
    this.#fft = new FFT(size);
    this.#spectrum = this.#fft.createComplexArray();
  }

  /**
   * Writes |X[k]|² for k = 0…maxBin into `out` and returns it, X = unnormalised DFT of `input`
   * (X[k] = Σ x[n]·e^(−2πikn/size)).
   *
   * @param input exactly `size` real samples (pad with zeros yourself)
   * @param maxBin last bin wanted, ≤ size / 2
   * @param out receives maxBin + 1 values
   * @param scale optional factor per bin (≥ maxBin + 1 values): out[k] = |X[k]|²·scale[k], the same two roundings as
   *   scaling afterwards, without a second pass over `out`
   */
  powerSpectrum(input: Float64Array, maxBin: number, out: Float64Array, scale?: Float64Array): Float64Array {
    if (input.length !== this.size) throw new RangeError(`input must hold ${this.size} samples, got ${input.length}`);
    if (!Number.isInteger(maxBin) || maxBin < 0 || maxBin > this.nyquistBin) {
      throw new RangeError(`maxBin must be an integer in 0…${this.nyquistBin}, got ${maxBin}`);
    }
    if (out.length <= maxBin) throw new RangeError(`out must hold ${maxBin + 1} values, got ${out.length}`);
    if (scale !== undefined && scale.length <= maxBin) {
      throw new RangeError(`scale must hold ${maxBin + 1} values, got ${scale.length}`);
    }
    const spectrum = this.#spectrum;
    this.#fft.realTransform(spectrum, input);
    if (scale === undefined) {
      for (let k = 0; k <= maxBin; k++) {
        const re = spectrum[2 * k];
        const im = spectrum[2 * k + 1];
        out[k] = re * re + im * im;
      }
    } else {
      for (let k = 0; k <= maxBin; k++) {
        const re = spectrum[2 * k];
        const im = spectrum[2 * k + 1];
        out[k] = (re * re + im * im) * scale[k];
      }
    }
    return out;
  }
}

/** fft.js's instance fields that the pruned transform reads: its twiddle table and its digit-reversal order. */
interface FftJsTables {
  readonly table: readonly number[];
  readonly _bitrev: readonly number[];
}

/**
 * The power spectrum of a short real signal zero-padded to `size` (a Welch segment: 256 samples in 4096), up to a
 * low bin (the spectrum stops at 0.4 Hz, bin 410 of 2048): the same numbers as `RealFft` to the last bit, for about
 * 60 % of its work.
 *
 * It runs fft.js's own radix-4 real transform (`_realTransform4`, MIT, Fedor Indutny) with its twiddle table and
 * digit-reversal order, every multiplication and addition in the same order, and leaves out only what cannot change
 * a bit of the result:
 * - the first two passes: with at most size/16 non-zero inputs, every block of 16 values they build holds one input
 *   value, copied (the other terms are exact zeros, and x + 0 = x); the constructor checks that layout. The third
 *   pass reads those values straight from the input and skips their products with zero imaginary parts;
 * - in the last pass, every output above `maxBin` and every term that only feeds those outputs;
 * - multiplications by fft.js's direction factor, which is 1 for a forward transform.
 * A zero may come out with the other sign than fft.js gives it; a power |X|² cannot tell.
 */
export class PaddedRealFft {
  readonly size: number;
  /** inputs given; the rest up to `size` are zeros */
  readonly inputLength: number;
  readonly maxBin: number;
  /**
   * The complex work array, interleaved (re = 2k, im = 2k + 1), as fft.js's `_out`, and its twiddle table: plain
   * arrays of doubles, as fft.js uses them (measured about 10 % faster here than Float64Array).
   */
  readonly #out: number[];
  readonly #table: number[];
  /** per block of the second pass: the index of the one input it holds (≥ inputLength: a zero block) */
  readonly #blockInput: Int32Array;

  constructor(size: number, inputLength: number, maxBin: number) {
    if (!isPowerOfTwo(size) || Math.log2(size) % 2 !== 0 || size < 256) {
      throw new RangeError(`size must be a power of four ≥ 256, got ${size}`);
    }
    if (!Number.isInteger(inputLength) || inputLength < 1 || inputLength > size / 16) {
      throw new RangeError(`inputLength must be an integer in 1…${size / 16}, got ${inputLength}`);
    }
    if (!Number.isInteger(maxBin) || maxBin < 0 || maxBin > size / 8) {
      throw new RangeError(`maxBin must be an integer in 0…${size / 8}, got ${maxBin}`);
    }
    this.size = size;
    this.inputLength = inputLength;
    this.maxBin = maxBin;
    const fft = new FFT(size) as unknown as FftJsTables;
    this.#table = fft.table.slice();
    this.#out = new Array<number>(2 * size).fill(0);
    // fft.js's first pass makes 4-value blocks t from inputs (bitrev[t] >>> 1) + j·size/4, j = 0…3; the second
    // combines blocks 4s…4s+3. Only j = 0 of block 4s may be non-zero: everything else must lie at or past the inputs.
    const blocks = size / 16;
    this.#blockInput = new Int32Array(blocks);
    for (let s = 0; s < blocks; s++) {
      this.#blockInput[s] = fft._bitrev[4 * s] >>> 1;
      for (let j = 1; j < 4; j++) {
        if (fft._bitrev[4 * s + j] >>> 1 < inputLength)
          throw new Error('fft.js digit-reversal order is not as expected');
      }
    }
  }

  /**
   * Writes |X[k]|²·scale[k] for k = 0…maxBin into `out` and returns it, X = the unnormalised DFT of `input` followed
   * by zeros up to `size`: bit for bit what `RealFft.powerSpectrum` gives for that zero-padded input.
   *
   * @param input at least `inputLength` samples; only the first `inputLength` are read
   * @param out receives maxBin + 1 values
   * @param scale factor per bin (≥ maxBin + 1 values); omitted: 1, and no multiplication
   */
  powerSpectrum(input: Float64Array, out: Float64Array, scale?: Float64Array): Float64Array {
    const { size, inputLength, maxBin } = this;
    if (input.length < inputLength) throw new RangeError(`input must hold ${inputLength} samples, got ${input.length}`);
    if (out.length <= maxBin) throw new RangeError(`out must hold ${maxBin + 1} values, got ${out.length}`);
    if (scale !== undefined && scale.length <= maxBin) {
      throw new RangeError(`scale must hold ${maxBin + 1} values, got ${scale.length}`);
    }
    const work = this.#out;
    const table = this.#table;
    const csize = 2 * size;

    // Passes 1 to 3. After the first two, block s of 32 values holds its one input in every real part up to the
    // middle, imaginary parts 0: the third pass reads the four values of its four blocks once, and leaves out their
    // products with those zero imaginary parts (x − 0 = x, x + 0 = x).
    const blockInput = this.#blockInput;
    let step = size / 32;
    {
      const len = (csize / step) << 1;
      const halfLen = len >>> 1;
      const quarterLen = halfLen >>> 1;
      const hquarterLen = quarterLen >>> 1;
      for (let outOff = 0, s = 0; outOff < csize; outOff += len, s += 4) {
        const Ar = blockInput[s] < inputLength ? input[blockInput[s]] : 0;
        const Br = blockInput[s + 1] < inputLength ? input[blockInput[s + 1]] : 0;
        const Cr = blockInput[s + 2] < inputLength ? input[blockInput[s + 2]] : 0;
        const Dr = blockInput[s + 3] < inputLength ? input[blockInput[s + 3]] : 0;
        for (let i = 0, k = 0; i <= hquarterLen; i += 2, k += step) {
          const A = outOff + i;
          const B = A + quarterLen;
          const C = B + quarterLen;

          const MBr = Br * table[k];
          const MBi = Br * table[k + 1];
          const MCr = Cr * table[2 * k];
          const MCi = Cr * table[2 * k + 1];
          const MDr = Dr * table[3 * k];
          const MDi = Dr * table[3 * k + 1];

          const T0r = Ar + MCr;
          const T0i = MCi;
          const T1r = Ar - MCr;
          const T1i = -MCi;
          const T2r = MBr + MDr;
          const T2i = MBi + MDi;
          const T3r = MBr - MDr;
          const T3i = MBi - MDi;

          work[A] = T0r + T2r;
          work[A + 1] = T0i + T2i;
          work[B] = T1r + T3i;
          work[B + 1] = T1i - T3r;

          if (i === 0) {
            work[C] = T0r - T2r;
            work[C + 1] = T0i - T2i;
            continue;
          }
          if (i === hquarterLen) continue;

          const SA = outOff + quarterLen - i;
          const SB = outOff + halfLen - i;
          work[SA] = T1r + -T3i;
          work[SA + 1] = -T1i + -T3r;
          work[SB] = T0r + -T2r;
          work[SB + 1] = -T0i - -T2i;
        }
      }
      step >>= 2;
    }

    // The other middle passes, as fft.js runs them (direction factor 1 left out).
    for (; step > 2; step >>= 2) {
      const len = (csize / step) << 1;
      const halfLen = len >>> 1;
      const quarterLen = halfLen >>> 1;
      const hquarterLen = quarterLen >>> 1;
      for (let outOff = 0; outOff < csize; outOff += len) {
        for (let i = 0, k = 0; i <= hquarterLen; i += 2, k += step) {
          const A = outOff + i;
          const B = A + quarterLen;
          const C = B + quarterLen;
          const D = C + quarterLen;

          const Ar = work[A];
          const Ai = work[A + 1];
          const Br = work[B];
          const Bi = work[B + 1];
          const Cr = work[C];
          const Ci = work[C + 1];
          const Dr = work[D];
          const Di = work[D + 1];

          const MAr = Ar;
          const MAi = Ai;

          const tableBr = table[k];
          const tableBi = table[k + 1];
          const MBr = Br * tableBr - Bi * tableBi;
          const MBi = Br * tableBi + Bi * tableBr;

          const tableCr = table[2 * k];
          const tableCi = table[2 * k + 1];
          const MCr = Cr * tableCr - Ci * tableCi;
          const MCi = Cr * tableCi + Ci * tableCr;

          const tableDr = table[3 * k];
          const tableDi = table[3 * k + 1];
          const MDr = Dr * tableDr - Di * tableDi;
          const MDi = Dr * tableDi + Di * tableDr;

          const T0r = MAr + MCr;
          const T0i = MAi + MCi;
          const T1r = MAr - MCr;
          const T1i = MAi - MCi;
          const T2r = MBr + MDr;
          const T2i = MBi + MDi;
          const T3r = MBr - MDr;
          const T3i = MBi - MDi;

          work[A] = T0r + T2r;
          work[A + 1] = T0i + T2i;
          work[B] = T1r + T3i;
          work[B + 1] = T1i - T3r;

          if (i === 0) {
            work[C] = T0r - T2r;
            work[C + 1] = T0i - T2i;
            continue;
          }
          if (i === hquarterLen) continue;

          const SA = outOff + quarterLen - i;
          const SB = outOff + halfLen - i;
          work[SA] = T1r + -T3i;
          work[SA + 1] = -T1i + -T3r;
          work[SB] = T0r + -T2r;
          work[SB + 1] = -T0i - -T2i;
        }
      }
    }

    // The last pass (step 2, one block): only its first outputs A, bins 0…maxBin, squared straight away.
    const quarterLen = csize >>> 2;
    for (let bin = 0, i = 0, k = 0; bin <= maxBin; bin++, i += 2, k += step) {
      const A = i;
      const B = A + quarterLen;
      const C = B + quarterLen;
      const D = C + quarterLen;
      const Ar = work[A];
      const Ai = work[A + 1];
      const Br = work[B];
      const Bi = work[B + 1];
      const Cr = work[C];
      const Ci = work[C + 1];
      const Dr = work[D];
      const Di = work[D + 1];

      const tableBr = table[k];
      const tableBi = table[k + 1];
      const MBr = Br * tableBr - Bi * tableBi;
      const MBi = Br * tableBi + Bi * tableBr;

      const tableCr = table[2 * k];
      const tableCi = table[2 * k + 1];
      const MCr = Cr * tableCr - Ci * tableCi;
      const MCi = Cr * tableCi + Ci * tableCr;

      const tableDr = table[3 * k];
      const tableDi = table[3 * k + 1];
      const MDr = Dr * tableDr - Di * tableDi;
      const MDi = Dr * tableDi + Di * tableDr;

      const re = Ar + MCr + (MBr + MDr);
      const im = Ai + MCi + (MBi + MDi);
      out[bin] = scale === undefined ? re * re + im * im : (re * re + im * im) * scale[bin];
    }
    return out;
  }
}

const cache = new Map<number, RealFft>();

/** A shared `RealFft` of this size (the twiddle tables are built once per size). */
export function realFftOfSize(size: number): RealFft {
  let fft = cache.get(size);
  if (fft === undefined) {
    fft = new RealFft(size);
    cache.set(size, fft);
  }
  return fft;
}

const paddedCache = new Map<string, PaddedRealFft>();

/**
 * A shared `PaddedRealFft` for these sizes, or undefined when they do not allow the pruned transform (size not a power
 * of four, more than size/16 inputs, or bins past size/8): use `realFftOfSize` then.
 */
export function paddedRealFft(size: number, inputLength: number, maxBin: number): PaddedRealFft | undefined {
  const fits =
    isPowerOfTwo(size) &&
    Math.log2(size) % 2 === 0 &&
    size >= 256 &&
    Number.isInteger(inputLength) &&
    inputLength >= 1 &&
    inputLength <= size / 16 &&
    Number.isInteger(maxBin) &&
    maxBin >= 0 &&
    maxBin <= size / 8;
  if (!fits) return undefined;
  const key = `${size}/${inputLength}/${maxBin}`;
  let fft = paddedCache.get(key);
  if (fft === undefined) {
    fft = new PaddedRealFft(size, inputLength, maxBin);
    paddedCache.set(key, fft);
  }
  return fft;
}
