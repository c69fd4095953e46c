/**
 * Resampling of unevenly timed beats onto an even grid, the first step of a Welch spectrum (hrv-methods.md §3.1).
 *
 * The cubic spline has not-a-knot end conditions, as SciPy's `interp1d(kind='cubic')` (= `make_interp_spline`, k = 3)
 * builds it, because the reference values were computed that way; natural end conditions would differ near the
 * window edges. The slopes come from one tridiagonal solve (SciPy `CubicSpline`'s formulation), so the cost is O(n)
 * and, given work buffers, nothing is allocated: the live engine resamples every few seconds.
 */

export type InterpolationMethod = 'cubic' | 'linear';

/** Fewest points for a true not-a-knot cubic; with 3 the spline is the parabola through them, with 2 the line. */
const MIN_CUBIC_POINTS = 4;

/** Number of grid samples t0, t0 + 1/fs, … strictly below tEnd (as NumPy's `arange(t0, tEnd, 1/fs)` counts them). */
export function resampledLength(t0S: number, tEndS: number, fsHz: number): number {
  const stepS = 1 / fsHz;
  return Math.max(0, Math.ceil((tEndS - t0S) / stepS));
}

/** Length of the work buffer `resampleEven` needs for `points` knots (slopes plus the solver's scratch). */
export function splineWorkLength(points: number): number {
  return 2 * points;
}

/**
 * Samples the curve through (tS[i], values[i]) at t0, t0 + 1/fs, … < tEnd.
 *
 * Grid points outside [tS[0], tS[n−1]] are extrapolated with the first or last piece.
 *
 * @param tS knot times, s, strictly increasing, at least 2
 * @param values the values at those times (e.g. NN in ms)
 * @param fsHz sampling rate of the grid
 * @param method 'cubic' (not-a-knot spline) or 'linear'
 * @param t0S first grid time; default tS[0]
 * @param tEndS grid times stay strictly below this; default tS[n−1]
 * @param out reused output buffer of at least `resampledLength(t0, tEnd, fs)` values (RangeError if shorter);
 *   allocated when absent
 * @param work reused work buffer of `splineWorkLength(n)` values (cubic only); allocated when absent or too short
 * @returns the samples: a view of `out` (or of the new array) with exactly `resampledLength(t0, tEnd, fs)` values
 */
export function resampleEven(
  tS: ArrayLike<number>,
  values: ArrayLike<number>,
  fsHz: number,
  method: InterpolationMethod,
  t0S: number = tS[0],
  tEndS: number = tS[tS.length - 1],
  out?: Float64Array,
  work?: Float64Array,
): Float64Array {
  if (!(tEndS >= t0S)) throw new RangeError(`tEndS (${tEndS}) must not be before t0S (${t0S})`);
  return resampleEvenCount(tS, values, fsHz, method, t0S, resampledLength(t0S, tEndS, fsHz), out, work);
}

/**
 * Like `resampleEven`, but exactly `count` samples from t0: for a fixed-length segment (256 samples) whose count
 * must not depend on the rounding of t0 + 64 s − t0.
 */
export function resampleEvenCount(
  tS: ArrayLike<number>,
  values: ArrayLike<number>,
  fsHz: number,
  method: InterpolationMethod,
  t0S: number,
  count: number,
  out?: Float64Array,
  work?: Float64Array,
): Float64Array {
  const n = tS.length;
  if (values.length !== n) throw new RangeError(`tS has ${n} times but values has ${values.length}`);
  if (n < 2) throw new RangeError(`need at least 2 points to interpolate, got ${n}`);
  if (!(fsHz > 0) || !Number.isFinite(fsHz)) throw new RangeError(`fsHz must be positive, got ${fsHz}`);
  if (!Number.isInteger(count) || count < 0) throw new RangeError(`count must be an integer ≥ 0, got ${count}`);
  for (let i = 1; i < n; i++) {
    if (!(tS[i] > tS[i - 1])) throw new RangeError(`tS must be strictly increasing (index ${i})`);
  }

  if (out !== undefined && out.length < count) throw new RangeError(`out holds ${out.length} values, need ${count}`);
  const target = out === undefined ? new Float64Array(count) : out.subarray(0, count);
  if (count === 0) return target;

  if (method === 'linear') {
    evaluate(tS, values, null, fsHz, t0S, target);
    return target;
  }
  const workLength = splineWorkLength(n);
  const buffer = work !== undefined && work.length >= workLength ? work : new Float64Array(workLength);
  const slopes = buffer.subarray(0, n);
  notAKnotSlopes(tS, values, slopes, buffer.subarray(n, 2 * n));
  evaluate(tS, values, slopes, fsHz, t0S, target);
  return target;
}

/**
 * First derivatives at the knots of the not-a-knot cubic spline (n ≥ 4; the parabola for 3, the line for 2).
 *
 * Rows (dx_i = t_{i+1} − t_i, m_i = secant slope of interval i), as in SciPy's `CubicSpline`:
 * - interior: dx_i·s_{i−1} + 2(dx_{i−1} + dx_i)·s_i + dx_{i−1}·s_{i+1} = 3(dx_i·m_{i−1} + dx_{i−1}·m_i);
 * - first (third derivative continuous at t_1): dx_1·s_0 + (t_2 − t_0)·s_1 = ((dx_0 + 2d)·dx_1·m_0 + dx_0²·m_1) / d;
 * - last, mirrored.
 * Solved by the Thomas algorithm without pivoting; every pivot stays positive (interior pivots exceed
 * dx_{i−1} + dx_i), so this is stable for any strictly increasing times.
 *
 * @param slopes receives s_0…s_{n−1} (also used for the right-hand side)
 * @param upper scratch for the eliminated upper diagonal, n values
 */
function notAKnotSlopes(tS: ArrayLike<number>, y: ArrayLike<number>, slopes: Float64Array, upper: Float64Array): void {
  const n = tS.length;
  const dx0 = tS[1] - tS[0];
  const m0 = (y[1] - y[0]) / dx0;
  if (n === 2) {
    slopes[0] = m0;
    slopes[1] = m0;
    return;
  }
  const dx1 = tS[2] - tS[1];
  const m1 = (y[2] - y[1]) / dx1;
  if (n < MIN_CUBIC_POINTS) {
    // the parabola p(t) = y0 + m0(t − t0) + c(t − t0)(t − t1); its derivative at each knot
    const c = (m1 - m0) / (dx0 + dx1);
    slopes[0] = m0 - c * dx0;
    slopes[1] = m0 + c * dx0;
    slopes[2] = m0 + c * (dx0 + 2 * dx1);
    return;
  }

  // row 0, already divided by its pivot dx_1
  const d0 = dx0 + dx1;
  upper[0] = d0 / dx1;
  slopes[0] = ((dx0 + 2 * d0) * dx1 * m0 + dx0 * dx0 * m1) / d0 / dx1;

  // interior rows: lower dx_i, diagonal 2(dx_{i−1} + dx_i), upper dx_{i−1}
  let dxPrev = dx0;
  let mPrev = m0;
  for (let i = 1; i < n - 1; i++) {
    const dx = tS[i + 1] - tS[i];
    const m = (y[i + 1] - y[i]) / dx;
    const pivot = 2 * (dxPrev + dx) - dx * upper[i - 1];
    upper[i] = dxPrev / pivot;
    slopes[i] = (3 * (dx * mPrev + dxPrev * m) - dx * slopes[i - 1]) / pivot;
    dxPrev = dx;
    mPrev = m;
  }

  // last row: lower t_{n−1} − t_{n−3}, diagonal dx_{n−3}
  const dxLast = tS[n - 1] - tS[n - 2];
  const dxBefore = tS[n - 2] - tS[n - 3];
  const mLast = (y[n - 1] - y[n - 2]) / dxLast;
  const mBefore = (y[n - 2] - y[n - 3]) / dxBefore;
  const dEnd = dxBefore + dxLast;
  const rhs = (dxLast * dxLast * mBefore + (2 * dEnd + dxLast) * dxBefore * mLast) / dEnd;
  const pivot = dxBefore - dEnd * upper[n - 2];
  slopes[n - 1] = (rhs - dEnd * slopes[n - 2]) / pivot;

  for (let i = n - 2; i >= 0; i--) slopes[i] -= upper[i] * slopes[i + 1];
}

/**
 * Fills `target` with the piecewise curve at t0 + j/fs: cubic Hermite pieces when `slopes` is given, straight lines
 * otherwise. The grid is increasing, so the interval index only moves forward: O(n + samples). A piece's coefficients
 * are worked out once when the grid enters its interval (about three samples per beat at 4 Hz), not per sample.
 */
function evaluate(
  tS: ArrayLike<number>,
  y: ArrayLike<number>,
  slopes: Float64Array | null,
  fsHz: number,
  t0S: number,
  target: Float64Array,
): void {
  const lastInterval = tS.length - 2;
  const stepS = 1 / fsHz;
  let i = -1;
  let left = 0;
  let right = Number.NEGATIVE_INFINITY;
  // the piece on [left, right]: y0 + m·u (linear) or y0 + u·(s0 + u·(c2 + u·c3)) (cubic), u = t − left
  let y0 = 0;
  let m = 0;
  let s0 = 0;
  let c2 = 0;
  let c3 = 0;
  for (let j = 0; j < target.length; j++) {
    const t = t0S + j * stepS;
    if (i < 0 || (t > right && i < lastInterval)) {
      // enter the interval holding t (the first one for grid points before tS[0])
      do i++;
      while (i < lastInterval && t > tS[i + 1]);
      left = tS[i];
      right = tS[i + 1];
      const h = right - left;
      y0 = y[i];
      m = (y[i + 1] - y0) / h;
      if (slopes !== null) {
        s0 = slopes[i];
        const s1 = slopes[i + 1];
        c2 = (3 * m - 2 * s0 - s1) / h;
        c3 = (s0 + s1 - 2 * m) / (h * h);
      }
    }
    const u = t - left;
    target[j] = slopes === null ? y0 + m * u : y0 + u * (s0 + u * (c2 + u * c3));
  }
}
