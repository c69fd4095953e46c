/**
 * The artefact layer: classifies every raw RR interval and says which NN values stand for it.
 *
 * Detection follows Lipponen & Tarvainen 2019 (the method behind Kubios' automatic correction):
 * dRR[n] = RR[n] − RR[n−1] normalised by Th1 = α·QD(|dRR|); mRR[n] = RR[n] − median of 11 RR around n (a shortfall
 * counts double) normalised by Th2 = α·QD(|mRR|); QD = (Q3 − Q1)/2, α = 5.2; the ectopic boundary (c1 = 0.13,
 * c2 = 0.17) and the long/short, missed and extra rules of their Figure 1. It is reshaped to run live, and adjusted
 * where the recordings in `recordings/` showed the paper's rules failing:
 *
 * 1. Trailing windows. The QD windows hold the last 91 values available instead of 91 centred on the beat, and the
 *    median window is 8 beats before / 2 after, so a beat is decided two beats after it arrives (the rules need
 *    dRR[n+1] and dRR[n+2]). Until a QD window holds `warmupBeats` values the threshold is its ceiling.
 * 2. Thresholds are clamped to a band proportional to the local median RR (see {@link ARTEFACT_DEFAULTS} for why).
 * 3. An ectopic beat spoils two intervals (the premature one and its pause, or a late beat's long and short one).
 *    The paper's rule fires on the second interval's difference; here both intervals are flagged.
 * 4. Extra and missed are tested before the ectopic rule: they are the more specific findings, and a missed beat
 *    after a natural drop also fits the ectopic pattern. Extra needs no jump criterion (two consecutive intervals
 *    that together make one ordinary interval do not occur naturally); missed covers n = round(RR / median) ≥ 2.
 *    Both merge or split only when the result fits the local rhythm: the merged interval, or each part of the split
 *    one, within Th2 of the local median (the paper's tolerance for both rules). Neither takes a premature beat and
 *    its pause apart: a long interval right after a clearly premature one is its pause, not a missed beat; a short
 *    interval followed by a long one is not the second half of an extra beat when premature beat and pause explain
 *    the three intervals better. Two short intervals whose merged interval would lie further than Th2 (up to
 *    `shortPairToleranceFraction`) from the median are both flagged short and replaced, not merged.
 * 5. The mRR rule flags a long or short beat only if the beat itself also jumps (dRR ≥ half of Th1, same sign) or
 *    the next difference jumps straight back: a beat that merely lags a fast but smooth change of rate behind the
 *    median is not an artefact.
 * 6. Out-of-range values may still be extra (too short) or missed (too long); they are dropped only if they are not.
 *
 * Corrections are a separate step applied when a beat is released ({@link ClassifiedBeat} `nnMs`).
 *
 * Pure: no I/O, no clock. The cost per beat is bounded by the window sizes, never by the stream length.
 */
import type { BeatKind, ClassifiedBeat } from './types.js';

export interface ArtefactOptions {
  /** shortest plausible interval; shorter ones are dropped as out of range, ms */
  readonly minRrMs: number;
  /** longest plausible interval, ms */
  readonly maxRrMs: number;
  /** α: thresholds are α·QD of the trailing |dRR| and |mRR| distributions */
  readonly alpha: number;
  /** values in each trailing QD window, beats */
  readonly thresholdWindowBeats: number;
  /** fewer values than this in a QD window: its quartiles are not trusted yet and the ceiling is used instead */
  readonly warmupBeats: number;
  /**
   * most beats one interval may hold and still count as missed (split); longer intervals are out of range. Values
   * up to this many times `maxRrMs` are tested for missed beats before they are dropped.
   */
  readonly maxMissedBeats: number;
  /**
   * two short intervals summing to within this share of the local median of it, but not within Th2 (then they are
   * one split beat), are both flagged short: an artefact pair whose merged interval would not fit the rhythm
   */
  readonly shortPairToleranceFraction: number;
  /** beats in the local median window for mRR */
  readonly medianWindowBeats: number;
  /** of those, beats after the beat itself (the rest lie before it) */
  readonly medianLookAheadBeats: number;
  /** slope of the ectopic boundary in the (dRR[n], dRR[n±1]) plane */
  readonly ectopicC1: number;
  /** offset of the ectopic boundary */
  readonly ectopicC2: number;
  /** |mRR| / Th2 above this marks a long or short beat */
  readonly mrrLimit: number;
  /** ...provided the beat's own jump dRR / Th1 exceeds this in the same direction, or the next one is back by Th1 */
  readonly mrrMinJump: number;
  /** a beat with mRR / Th2 below minus this, followed by a pause, is premature (ectopic) */
  readonly prematureMrr: number;
  /** a pause: jumps up by more than Th1 to more than this many Th2 above the local median */
  readonly pauseMrr: number;
  /** Th1 never falls below this share of the local median RR */
  readonly th1MinFraction: number;
  /** Th1 never rises above this share of the local median RR */
  readonly th1MaxFraction: number;
  /** Th2 never falls below this share of the local median RR */
  readonly th2MinFraction: number;
  /** Th2 never rises above this share of the local median RR */
  readonly th2MaxFraction: number;
  /**
   * The most pushes a beat waits before it is released. Normal beats leave as soon as they are decided
   * (max(2, medianLookAheadBeats) beats later); a replaced beat waits up to this long for a normal beat after it to
   * interpolate towards.
   */
  readonly lookAheadBeats: number;
  /** a normal beat further than this from a replaced one is not used to interpolate it, beats */
  readonly interpolationReachBeats: number;
}

/**
 * Defaults. α, c1, c2, the 91- and 11-beat windows and the mRR limit of 3 are the paper's. The rest is ours, chosen
 * on the reference recordings and on artefacts injected into them (test/hrv/artefacts.test.ts):
 *
 * - Th1 ceiling, 0.35 × median RR (and Th2 ceiling 0.2). With frequent ectopy most differences are ectopic: in the
 *   recorded trigeminy (~420/~900/~660 ms) *every* difference involves a premature beat or its pause, so no quartile
 *   describes sinus variability, α·QD(|dRR|) grows to 0.8–1.7 × median RR and would hide every ectopic beat. No
 *   robust estimator can fix that (there is no clean majority left), so the threshold is bounded in proportion to
 *   the RR, as Kubios' threshold levels are. The trigeminy's differences are ~0.36 and ~0.73 × median RR: above the
 *   ceiling, so the premature beats and their pauses stay flagged.
 * - Th1 floor, 0.3 × median RR (Th2 floor 0.15). Clean recordings hold large physiological beat-to-beat swings:
 *   pyhrv_nni_short_5min has isolated beats 30–40 % longer than their neighbours, bartels_rest_rri single drops of
 *   17 %. With the paper's α·QD alone (0.06–0.3 × median RR on those recordings) the rules flag 10–13 of their
 *   beats. With the floor, clean resting data stay untouched while premature beats of 25 % and more, missed and
 *   extra beats are still found (≥ 95 % sensitivity). The price: ectopic beats less than about 15 % premature go
 *   unflagged. In practice Th1 sits at the floor; α·QD lifts it only for subjects with very large swings.
 * - Th2 band 0.15–0.2 × median RR: a beat is long above +45–60 % of the local median, short below −22–30 %, and a
 *   missed beat's parts must lie within 15–20 % of the median.
 * - Extra and missed within Th2 (the paper's rule). A wider extra tolerance (0.35 × median RR, meant for splits of
 *   the subject's own long beats) merged real premature beats with a neighbour on 22-hour Holter recordings (PhysioNet
 *   NSR and CHF RR databases: about one merge in five came out 20–47 % off the local median, e.g. 953 + 469 ms →
 *   1422 ms where 469/1242 ms was a premature beat and its pause), handing the spectrum an interval that never
 *   happened. Pairs within that wider band are still flagged (both short, replaced), so no artefact goes unseen.
 * - Pair rules: a beat below the median by more than Th2/2 followed by a pause (a jump up by Th1 to more than
 *   1.5·Th2 above the median) is premature; they add 1–2 % ectopic sensitivity on pyhrv_nni_short_5min and change
 *   nothing on the clean recordings.
 * - Look-ahead: two beats to decide (the decision rules); a replaced beat waits up to four beats for a normal beat
 *   after it to interpolate towards. A centred median (5 beats ahead) found nothing more on the recordings; smooth
 *   but fast changes of rate, which a median placed mostly in the past lags behind, are handled by rule 5 above.
 */
export const ARTEFACT_DEFAULTS: ArtefactOptions = {
  minRrMs: 300,
  maxRrMs: 2000,
  maxMissedBeats: 3,
  alpha: 5.2,
  thresholdWindowBeats: 91,
  warmupBeats: 15,
  shortPairToleranceFraction: 0.35,
  medianWindowBeats: 11,
  medianLookAheadBeats: 2,
  ectopicC1: 0.13,
  ectopicC2: 0.17,
  mrrLimit: 3,
  mrrMinJump: 0.5,
  prematureMrr: 1,
  pauseMrr: 1.5,
  th1MinFraction: 0.3,
  th1MaxFraction: 0.35,
  th2MinFraction: 0.15,
  th2MaxFraction: 0.2,
  lookAheadBeats: 4,
  interpolationReachBeats: 4,
};

/** dRR[n+1] and dRR[n+2] are needed by the decision rules. */
const DECISION_RULE_LOOK_AHEAD_BEATS = 2;

// Kinds as small integers in the ring; index into KIND_NAMES.
const UNDECIDED = 0;
const NORMAL = 1;
const OUT_OF_RANGE = 2;
const ECTOPIC = 3;
const LONG = 4;
const SHORT = 5;
const MISSED = 6;
const EXTRA = 7;
const KIND_NAMES: readonly BeatKind[] = [
  'normal',
  'normal',
  'out-of-range',
  'ectopic',
  'long',
  'short',
  'missed',
  'extra',
];

/**
 * A fixed-size window of the last `capacity` values, kept sorted for quartiles. Adding a value (and evicting the
 * oldest) is a binary search plus one pass over the values ranked between the two: O(capacity) at worst, about a
 * third of it on average, far cheaper than sorting.
 */
class SortedWindow {
  private readonly fifo: Float64Array;
  private readonly sorted: Float64Array;
  private head = 0;
  count = 0;

  constructor(private readonly capacity: number) {
    this.fifo = new Float64Array(capacity);
    this.sorted = new Float64Array(capacity);
  }

  add(value: number): void {
    const a = this.sorted;
    let k: number;
    if (this.count === this.capacity) {
      // Overwrite the oldest value in place and move the new one to its rank: one pass over the values between.
      k = this.lowerBound(this.fifo[this.head]);
      while (k > 0 && a[k - 1] > value) {
        a[k] = a[k - 1];
        k--;
      }
      while (k < this.count - 1 && a[k + 1] < value) {
        a[k] = a[k + 1];
        k++;
      }
    } else {
      k = this.count++;
      while (k > 0 && a[k - 1] > value) {
        a[k] = a[k - 1];
        k--;
      }
    }
    a[k] = value;
    this.fifo[this.head] = value;
    this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
  }

  /** Quantile with linear interpolation between order statistics (NumPy's and pandas' default). */
  quantile(q: number): number {
    const pos = q * (this.count - 1);
    const lo = Math.floor(pos);
    const hi = lo + 1 < this.count ? lo + 1 : lo;
    return this.sorted[lo] + (this.sorted[hi] - this.sorted[lo]) * (pos - lo);
  }

  /** Quartile deviation (Q3 − Q1) / 2. */
  quartileDeviation(): number {
    return (this.quantile(0.75) - this.quantile(0.25)) / 2;
  }

  private lowerBound(value: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.sorted[mid] < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function nextPowerOfTwo(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

/**
 * Streaming artefact detector and corrector.
 *
 * Push raw beats in order; each push returns the beats it released, in order. A beat is released a few beats after
 * it was pushed (at most {@link ArtefactDetector.lookAheadBeats}); {@link ArtefactDetector.flush} releases the rest at
 * the end of a recording. Every raw beat is released exactly once.
 *
 * A gap (`gapBefore`) or an out-of-range beat ends the local context: no dRR is formed across it, the median window
 * and the interpolation stop at it. The trailing QD windows keep their values: they hold no difference across the
 * gap and describe the subject's variability, which a short loss of contact does not change.
 */
export class ArtefactDetector {
  /** the most pushes a beat is held before it is released */
  readonly lookAheadBeats: number;

  private readonly o: ArtefactOptions;
  private readonly decisionLookAhead: number;
  private readonly mask: number;
  // Ring of recent beats, indexed by seq & mask.
  private readonly rrMs: Float64Array;
  private readonly runStart: Float64Array;
  private readonly gap: Uint8Array;
  private readonly kind: Uint8Array;
  private readonly merged: Uint8Array;
  /** 1: the second interval of a short pair (see `shortPairToleranceFraction`), flagged with the first */
  private readonly paired: Uint8Array;
  private readonly medianMs: Float64Array;
  private readonly dRRWindow: SortedWindow;
  private readonly mRRWindow: SortedWindow;
  private readonly medianScratch: Float64Array;
  private readonly released: ClassifiedBeat[] = [];

  private nextSeq = 0;
  private decideSeq = 0;
  private releaseSeq = 0;
  /** first seq of the open run, or −1 when no run is open (after an out-of-range beat, at the start) */
  private openRunStart = -1;
  // The last released normal beat, for interpolation.
  private lastNormalSeq = -1;
  private lastNormalRunStart = -1;
  private lastNormalMs = 0;

  constructor(options: Partial<ArtefactOptions> = {}) {
    const o: ArtefactOptions = { ...ARTEFACT_DEFAULTS, ...options };
    this.o = o;
    this.decisionLookAhead = Math.max(DECISION_RULE_LOOK_AHEAD_BEATS, o.medianLookAheadBeats);
    if (!(o.minRrMs > 0 && o.maxRrMs > o.minRrMs)) throw new RangeError('need 0 < minRrMs < maxRrMs');
    if (!(o.medianWindowBeats >= 1 && o.medianLookAheadBeats >= 0 && o.medianLookAheadBeats < o.medianWindowBeats)) {
      throw new RangeError('need 0 <= medianLookAheadBeats < medianWindowBeats');
    }
    if (!(o.thresholdWindowBeats >= 4 && o.warmupBeats >= 1)) {
      throw new RangeError('need thresholdWindowBeats >= 4 and warmupBeats >= 1');
    }
    if (!(o.lookAheadBeats >= this.decisionLookAhead)) {
      throw new RangeError(
        `lookAheadBeats must be at least ${this.decisionLookAhead} (the decision rules' look-ahead)`,
      );
    }
    for (const name of [
      'medianWindowBeats',
      'medianLookAheadBeats',
      'thresholdWindowBeats',
      'lookAheadBeats',
    ] as const) {
      if (!Number.isInteger(o[name])) throw new RangeError(`${name} must be an integer`);
    }
    this.lookAheadBeats = o.lookAheadBeats;

    // The ring must hold the median window behind the oldest undecided beat, the beats waiting for release and the
    // interpolation reach behind them.
    const size = nextPowerOfTwo(o.medianWindowBeats + o.lookAheadBeats + o.interpolationReachBeats + 4);
    this.mask = size - 1;
    this.rrMs = new Float64Array(size);
    this.runStart = new Float64Array(size);
    this.gap = new Uint8Array(size);
    this.kind = new Uint8Array(size);
    this.merged = new Uint8Array(size);
    this.paired = new Uint8Array(size);
    this.medianMs = new Float64Array(size);
    this.dRRWindow = new SortedWindow(o.thresholdWindowBeats);
    this.mRRWindow = new SortedWindow(o.thresholdWindowBeats);
    this.medianScratch = new Float64Array(o.medianWindowBeats);
  }

  /**
   * Feeds one raw interval. Returns the beats released by this push, in order. The array is reused by the next
   * call: copy what you keep.
   *
   * @param rrMs the interval as the strap sent it, ms
   * @param gapBefore a gap (lost contact, dropped link) lies before this beat
   */
  push(rrMs: number, gapBefore = false): readonly ClassifiedBeat[] {
    this.released.length = 0;
    const seq = this.nextSeq;
    // Outside the range but possibly one half of a split interval (extra) or a whole number of beats (missed): such a
    // value joins the run and is dropped only if the detector does not recognise it as extra or missed.
    const candidate = rrMs > 0 && rrMs <= this.o.maxMissedBeats * this.o.maxRrMs; // false for NaN too
    if ((gapBefore || !candidate) && this.openRunStart >= 0) this.closeRun();

    const slot = seq & this.mask;
    this.rrMs[slot] = rrMs;
    this.gap[slot] = gapBefore ? 1 : 0;
    this.merged[slot] = 0;
    this.paired[slot] = 0;
    this.nextSeq = seq + 1;
    if (candidate) {
      if (this.openRunStart < 0) this.openRunStart = seq;
      this.runStart[slot] = this.openRunStart;
      this.kind[slot] = UNDECIDED;
      if (seq > this.openRunStart) this.dRRWindow.add(Math.abs(rrMs - this.rrMs[(seq - 1) & this.mask]));
      // Decide every beat whose look-ahead is now complete.
      while (this.decideSeq + this.decisionLookAhead <= seq) this.decideNext(seq);
    } else {
      this.runStart[slot] = seq;
      this.kind[slot] = OUT_OF_RANGE;
      this.decideSeq = seq + 1;
    }
    this.release(false);
    return this.released;
  }

  /** Releases every beat still held (end of a recording). The detector can then go on with a new stream context. */
  flush(): readonly ClassifiedBeat[] {
    this.released.length = 0;
    if (this.openRunStart >= 0) this.closeRun();
    this.release(true);
    return this.released;
  }

  /** The open run ends: decide its remaining beats with the look-ahead they have. */
  private closeRun(): void {
    const last = this.nextSeq - 1;
    while (this.decideSeq <= last) this.decideNext(last);
    this.openRunStart = -1;
  }

  /**
   * Classifies beat `decideSeq` (Lipponen & Tarvainen 2019, decision rules of their Figure 1) with the beats up to
   * `lastSeq` (the newest beat of its run that is known).
   */
  private decideNext(lastSeq: number): void {
    const i = this.decideSeq++;
    const m = this.mask;
    const slot = i & m;
    if (this.kind[slot] !== UNDECIDED) return; // the second half of an extra beat or of a short pair, already decided
    const o = this.o;
    const start = this.runStart[slot];
    const rr = this.rrMs[slot];

    const medianMs = this.localMedian(i, start, lastSeq);
    this.medianMs[slot] = medianMs;

    // mRR: a shortfall counts double (the paper's asymmetry: short beats are the commoner artefact).
    const dev = rr - medianMs;
    const mRR = dev < 0 ? 2 * dev : dev;
    this.mRRWindow.add(Math.abs(mRR));

    const th1 = this.threshold(this.dRRWindow, medianMs, o.th1MinFraction, o.th1MaxFraction);
    const th2 = this.threshold(this.mRRWindow, medianMs, o.th2MinFraction, o.th2MaxFraction);

    // Differences that do not exist (run start, beyond the known end) count as 0: no evidence of a jump.
    const d0 = this.dRR(i, start, lastSeq) / th1;
    const dPrev = this.dRR(i - 1, start, lastSeq) / th1;
    const dNext = this.dRR(i + 1, start, lastSeq) / th1;
    const dNext2 = this.dRR(i + 2, start, lastSeq) / th1;
    const mNorm = mRR / th2;

    const prevKind = i > start ? this.kind[(i - 1) & m] : NORMAL;
    const prevRr = this.rrMs[(i - 1) & m];
    // Subspace 2: a jump that the next two differences undo is a long or short beat.
    const s22 = d0 >= 0 ? Math.min(dNext, dNext2) : Math.max(dNext, dNext2);
    // The mRR rule needs a jump as well: into the beat (unless there is none to see, at the start of a run) or
    // straight back out of it. A beat that only lags a fast but smooth change of rate has neither.
    const jumpIn = i > start ? d0 : Number.NaN;
    const long = (d0 > 1 && s22 < -1) || (mNorm > o.mrrLimit && (!(jumpIn <= o.mrrMinJump) || dNext < -1));
    const short = (d0 < -1 && s22 > 1) || (mNorm < -o.mrrLimit && (!(jumpIn >= -o.mrrMinJump) || dNext > 1));

    // The interval before is premature: flagged, below the median, and not the second half of a short pair.
    const afterPremature =
      i > start && (prevKind === SHORT || prevKind === ECTOPIC) && prevRr < medianMs && !this.paired[(i - 1) & m];

    let kind = NORMAL;
    if (this.isExtra(i, medianMs, th2, th2, lastSeq)) {
      // Two short intervals that together make one ordinary interval: a false detection split a beat. Real beats do
      // not come in such pairs, so no jump criterion is needed (the paper asks for "short" as well, which misses a
      // split whose first part is the larger one).
      kind = EXTRA;
    } else if (this.isExtra(i, medianMs, th2, o.shortPairToleranceFraction * medianMs, lastSeq)) {
      // The same pair, but merged it would lie further than Th2 from the median: an interval the rhythm does not
      // hold (a premature beat and a short neighbour look like this too). Both are flagged and replaced, not merged.
      kind = SHORT;
      const next = (i + 1) & m;
      this.kind[next] = SHORT;
      this.paired[next] = 1;
      this.medianMs[next] = medianMs;
    } else if (long && !(afterPremature && prevRr < medianMs - th2) && this.isMissed(rr, medianMs, th2)) {
      // Tested before the ectopic rule: a missed beat right after a natural drop also matches the ectopic pattern,
      // and a whole number of median intervals is the more specific finding. Right after a clearly premature
      // interval (short by more than Th2) a long one is that beat's pause, tested below.
      kind = MISSED;
    } else if (
      // An ectopic beat displaces one R peak and so spoils two intervals; the paper's rule fires on the second
      // one's difference (a premature interval's pause, a late beat's short interval). Beat i is therefore ectopic
      // when the rule fires at its own difference or at the next one. The two further clauses catch the
      // premature-pause pair when the rhythm around it hides the pattern, e.g. a premature beat right after one of
      // the subject's long beats, or a pause followed by another long beat.
      this.isEctopicDifference(dPrev, d0, dNext) ||
      this.isEctopicDifference(d0, dNext, dNext2) ||
      (mNorm < -o.prematureMrr && this.isPause(i + 1, dNext, medianMs, th2, lastSeq)) ||
      // The pause after a premature interval.
      (d0 > 1 && rr > medianMs && afterPremature)
    ) {
      kind = ECTOPIC;
    } else if (long) {
      kind = LONG;
    } else if (short) {
      kind = SHORT;
    }
    // Out of range: only extra (too short) or missed (too long) can save it.
    if (rr < o.minRrMs ? kind !== EXTRA : rr > o.maxRrMs && kind !== MISSED) kind = OUT_OF_RANGE;
    this.kind[slot] = kind;
    if (kind === EXTRA) {
      // The next interval is the rest of the same heartbeat: it carries the sum and is not classified on its own.
      const next = (i + 1) & m;
      this.kind[next] = NORMAL;
      this.merged[next] = 1;
    }
  }

  /**
   * Subspace 1 of the paper: the normalised difference `d` jumps (|d| > 1) and its neighbours both jump the other way.
   * The paper's convention: S12 is the larger neighbour for a positive jump, the smaller for a negative one, and the
   * boundary is S12 < −c1·S11 − c2 (S11 > 1) or S12 > −c1·S11 + c2 (S11 < −1).
   */
  private isEctopicDifference(before: number, d: number, after: number): boolean {
    const { ectopicC1: c1, ectopicC2: c2 } = this.o;
    if (d > 1) return Math.max(before, after) < -c1 * d - c2;
    if (d < -1) return Math.min(before, after) > -c1 * d + c2;
    return false;
  }

  /**
   * Beat j is the pause of a premature interval before it: it jumps up (dRR > Th1) to more than `pauseMrr`·Th2
   * above the local median, without being a whole number of median intervals (that is a missed beat).
   */
  private isPause(j: number, dNorm: number, medianMs: number, th2: number, lastSeq: number): boolean {
    if (j > lastSeq || dNorm <= 1) return false;
    const rr = this.rrMs[j & this.mask];
    return rr - medianMs > this.o.pauseMrr * th2 && !this.isMissed(rr, medianMs, th2);
  }

  /**
   * Beat i and the next are the two parts of one interval split by a false detection: both below the local median
   * and together within `toleranceMs` of it; the next beat is not better read as a premature beat followed by its
   * pause; and it does not pair better with the one after it (else a short normal beat followed by the first part
   * of a split would be merged with it).
   */
  private isExtra(i: number, medianMs: number, th2: number, toleranceMs: number, lastSeq: number): boolean {
    if (i + 1 > lastSeq) return false;
    const m = this.mask;
    const rr = this.rrMs[i & m];
    const next = this.rrMs[(i + 1) & m];
    if (rr >= medianMs || next >= medianMs) return false;
    const error = Math.abs(rr + next - medianMs);
    if (error >= toleranceMs) return false;
    if (i + 2 > lastSeq) return true;
    const after = this.rrMs[(i + 2) & m];
    // Beat i ordinary and the beat after the next one longer than the median: the next two may be a premature beat
    // and its pause (together about two intervals), which can explain the three beats better than a split beat i.
    if (Math.abs(rr - medianMs) < th2 && after > medianMs) {
      const splitError = error + Math.abs(after - medianMs);
      const prematureError = Math.abs(rr - medianMs) + Math.abs(next + after - 2 * medianMs);
      if (prematureError < splitError) return false;
    }
    // The next beat could instead pair with the one after it. Keep the reading that leaves the more ordinary beats:
    // merging (i, i+1) leaves i+2 alone, merging (i+1, i+2) leaves i alone.
    const errorAfter = Math.abs(next + after - medianMs);
    if (after >= medianMs || errorAfter >= toleranceMs) return true;
    return error + Math.abs(after - medianMs) <= errorAfter + Math.abs(rr - medianMs);
  }

  /**
   * Missed beats: the interval holds n ≥ 2 beats, each within Th2 of the local median (the paper tests n = 2 only;
   * n = round(RR / median) covers two or more missed beats with the same rule).
   */
  private isMissed(rr: number, medianMs: number, th2: number): boolean {
    const n = Math.round(rr / medianMs);
    return n >= 2 && n <= this.o.maxMissedBeats && Math.abs(rr / n - medianMs) < th2;
  }

  private threshold(window: SortedWindow, medianMs: number, minFraction: number, maxFraction: number): number {
    const ceiling = maxFraction * medianMs;
    // Too few values for quartiles (start of a stream): use the ceiling, which flags only clear artefacts.
    if (window.count < this.o.warmupBeats) return ceiling;
    const th = this.o.alpha * window.quartileDeviation();
    return Math.min(Math.max(th, minFraction * medianMs), ceiling);
  }

  /** RR[j] − RR[j−1] within the run [start, lastSeq], or 0 when either beat is outside it. */
  private dRR(j: number, start: number, lastSeq: number): number {
    if (j <= start || j > lastSeq) return 0;
    return this.rrMs[j & this.mask] - this.rrMs[(j - 1) & this.mask];
  }

  /**
   * Median of `medianWindowBeats` RR values around beat i: `medianLookAheadBeats` after it, the rest before it. Near
   * the edges of a run the window is shifted back (not forward: that would need more look-ahead) or shortened.
   */
  private localMedian(i: number, start: number, lastSeq: number): number {
    const o = this.o;
    const hi = Math.min(lastSeq, i + o.medianLookAheadBeats);
    const lo = Math.max(start, hi - o.medianWindowBeats + 1);
    const n = hi - lo + 1;
    const a = this.medianScratch;
    // Insertion sort: at most 11 values, already nearly ordered in time is irrelevant, but n is tiny.
    for (let k = 0; k < n; k++) {
      const v = this.rrMs[(lo + k) & this.mask];
      let j = k - 1;
      while (j >= 0 && a[j] > v) {
        a[j + 1] = a[j];
        j--;
      }
      a[j + 1] = v;
    }
    const mid = n >> 1;
    return n & 1 ? a[mid] : (a[mid - 1] + a[mid]) / 2;
  }

  /**
   * Releases decided beats in order. A replaced beat (ectopic, long, short) waits for a normal beat after it to
   * interpolate towards, until it is `lookAheadBeats` old, its run has ended or `final` is set.
   */
  private release(final: boolean): void {
    const m = this.mask;
    const newest = this.nextSeq - 1;
    while (this.releaseSeq < this.decideSeq) {
      const i = this.releaseSeq;
      const slot = i & m;
      const kind = this.kind[slot];
      let nnMs: number[];
      if (kind === ECTOPIC || kind === LONG || kind === SHORT) {
        const next = this.nextNormal(i);
        const runOpen = this.runStart[slot] === this.openRunStart;
        const canStillCome = runOpen && !final && newest - i < this.o.lookAheadBeats;
        if (next < 0 && canStillCome && this.decideSeq <= i + this.o.interpolationReachBeats) return;
        nnMs = [this.interpolate(i, next)];
      } else if (kind === MISSED) {
        const rr = this.rrMs[slot];
        const n = Math.round(rr / this.medianMs[slot]);
        nnMs = new Array<number>(n).fill(rr / n);
      } else if (kind === EXTRA || kind === OUT_OF_RANGE) {
        nnMs = [];
      } else if (this.merged[slot]) {
        nnMs = [this.rrMs[(i - 1) & m] + this.rrMs[slot]];
      } else {
        nnMs = [this.rrMs[slot]];
      }
      if (kind === NORMAL) {
        this.lastNormalSeq = i;
        this.lastNormalRunStart = this.runStart[slot];
        this.lastNormalMs = nnMs[0];
      }
      this.released.push({
        seq: i,
        rrMs: this.rrMs[slot],
        kind: KIND_NAMES[kind],
        nnMs,
        merged: this.merged[slot] === 1,
        gapBefore: this.gap[slot] === 1,
      });
      this.releaseSeq = i + 1;
    }
  }

  /** The first decided normal beat after i in its run, within the interpolation reach; −1 if none. */
  private nextNormal(i: number): number {
    const m = this.mask;
    const start = this.runStart[i & m];
    const end = Math.min(this.decideSeq - 1, i + this.o.interpolationReachBeats);
    for (let j = i + 1; j <= end; j++) {
      const slot = j & m;
      if (this.runStart[slot] !== start) return -1;
      if (this.kind[slot] === NORMAL) return j;
    }
    return -1;
  }

  /**
   * Replacement value for beat i: linear interpolation (by beat index) between the last normal beat before it and
   * the next normal beat after it, within reach and in the same run; one of them if only one exists; the local
   * median if neither does. Linear rather than cubic: with the nearest normal beat on each side one or two beats
   * away, a cubic through four beats adds little and overshoots when the neighbours are themselves irregular.
   */
  private interpolate(i: number, next: number): number {
    const m = this.mask;
    const slot = i & m;
    const reach = this.o.interpolationReachBeats;
    const hasPrev =
      this.lastNormalSeq >= 0 && this.lastNormalRunStart === this.runStart[slot] && i - this.lastNormalSeq <= reach;
    if (next >= 0) {
      const nextSlot = next & m;
      const nextMs = this.merged[nextSlot] ? this.rrMs[(next - 1) & m] + this.rrMs[nextSlot] : this.rrMs[nextSlot];
      if (!hasPrev) return nextMs;
      const w = (i - this.lastNormalSeq) / (next - this.lastNormalSeq);
      return this.lastNormalMs + (nextMs - this.lastNormalMs) * w;
    }
    return hasPrev ? this.lastNormalMs : this.medianMs[slot];
  }
}

/**
 * Classifies a whole series: the same as pushing every value into an {@link ArtefactDetector} and flushing.
 *
 * @param rrMs raw intervals, ms
 * @param gapBefore optional: truthy at i when a gap lies before beat i
 */
export function classifyBeats(
  rrMs: ArrayLike<number>,
  options?: Partial<ArtefactOptions>,
  gapBefore?: ArrayLike<boolean | number>,
): ClassifiedBeat[] {
  const detector = new ArtefactDetector(options);
  const out: ClassifiedBeat[] = [];
  for (let i = 0; i < rrMs.length; i++) {
    for (const beat of detector.push(rrMs[i], Boolean(gapBefore?.[i]))) out.push(beat);
  }
  for (const beat of detector.flush()) out.push(beat);
  return out;
}
