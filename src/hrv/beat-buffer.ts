/**
 * A growable ring of points on beat time, stored column-wise in typed arrays so the per-beat path allocates nothing
 * once the ring has grown to the size its time window needs.
 */

const INITIAL_CAPACITY = 512;

export class PointRing {
  private tS = new Float64Array(INITIAL_CAPACITY);
  private values = new Float64Array(INITIAL_CAPACITY);
  private bits = new Uint8Array(INITIAL_CAPACITY);
  private head = 0;
  private count = 0;

  get length(): number {
    return this.count;
  }

  push(tS: number, value: number, bits: number): void {
    if (this.count === this.tS.length) this.grow();
    const i = (this.head + this.count) & (this.tS.length - 1);
    this.tS[i] = tS;
    this.values[i] = value;
    this.bits[i] = bits;
    this.count++;
  }

  /** Drops points from the front while their time is at most `tS`. */
  dropUpTo(tS: number): void {
    const mask = this.tS.length - 1;
    while (this.count > 0 && this.tS[this.head] <= tS) {
      this.head = (this.head + 1) & mask;
      this.count--;
    }
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
  }

  /** Time of the i-th point from the front. */
  t(i: number): number {
    return this.tS[(this.head + i) & (this.tS.length - 1)];
  }

  value(i: number): number {
    return this.values[(this.head + i) & (this.tS.length - 1)];
  }

  flags(i: number): number {
    return this.bits[(this.head + i) & (this.tS.length - 1)];
  }

  /** Index of the first point with time > tS (binary search; times are non-decreasing). */
  firstAfter(tS: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.t(mid) > tS) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private grow(): void {
    const capacity = this.tS.length * 2;
    const tS = new Float64Array(capacity);
    const values = new Float64Array(capacity);
    const bits = new Uint8Array(capacity);
    for (let k = 0; k < this.count; k++) {
      tS[k] = this.t(k);
      values[k] = this.value(k);
      bits[k] = this.flags(k);
    }
    this.tS = tS;
    this.values = values;
    this.bits = bits;
    this.head = 0;
  }
}
