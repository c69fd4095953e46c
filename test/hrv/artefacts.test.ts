import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ARTEFACT_DEFAULTS, ArtefactDetector, classifyBeats } from '../../src/hrv/artefacts.js';
import { isAvailable, timeDomain } from '../../src/hrv/time-domain.js';
import type { ClassifiedBeat } from '../../src/hrv/types.js';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** One integer per line, or the third column (rr_ms) of the H10 CSV. */
function readRecording(file: string): number[] {
  const text = readFileSync(new URL(`../../recordings/${file}`, import.meta.url), 'utf8');
  const lines = text.trim().split('\n');
  if (file.endsWith('.csv')) return lines.slice(1).map((line) => Number(line.split(',')[2]));
  return lines.map(Number);
}

/** The first beats whose end time is within `seconds`. */
function firstSeconds(rrMs: number[], seconds: number): number[] {
  let sum = 0;
  let n = 0;
  while (n < rrMs.length && sum + rrMs[n] <= seconds * 1000) sum += rrMs[n++];
  return rrMs.slice(0, n);
}

const isChanged = (b: ClassifiedBeat) => b.kind !== 'normal' || b.merged;
const countChanged = (beats: readonly ClassifiedBeat[]) => beats.filter(isChanged).length;

/** RMSSD by deletion: every successive difference that involves a non-normal beat (or spans a gap) is dropped. */
function rmssdByDeletion(beats: readonly ClassifiedBeat[]): number {
  const nn: number[] = [];
  const linked: boolean[] = [];
  let previousNormal = false;
  for (const beat of beats) {
    const normal = !isChanged(beat);
    if (normal) {
      linked.push(previousNormal && !beat.gapBefore);
      nn.push(beat.rrMs);
    }
    previousNormal = normal;
  }
  const td = timeDomain(nn, linked);
  if (!isAvailable(td) || td.rmssdMs === null) throw new Error('no RMSSD');
  return td.rmssdMs;
}

/** Shares of changed beats in 60 s windows (T − 60, T] of beat time, T every 5 s. */
function windowShares(rrMs: number[], beats: readonly ClassifiedBeat[], windowS = 60, stepS = 5): number[] {
  const endS: number[] = [];
  let t = 0;
  for (const rr of rrMs) {
    t += rr;
    endS.push(t / 1000);
  }
  const shares: number[] = [];
  for (let T = windowS; T <= endS[endS.length - 1]; T += stepS) {
    let n = 0;
    let changed = 0;
    for (let i = 0; i < endS.length; i++) {
      if (endS[i] > T - windowS && endS[i] <= T) {
        n++;
        if (isChanged(beats[i])) changed++;
      }
    }
    shares.push(changed / n);
  }
  return shares;
}

/** mulberry32: a small seeded PRNG, so every injected data set is reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Injected = 'ectopic' | 'missed' | 'extra';

interface Injection {
  rrMs: number[];
  /**
   * per artefact: its kind and the indices (in `rrMs`) of the beats it altered; for an extra beat also how far the
   * split interval lay from the median of the 10 clean intervals around it (0.25 = 25 % above)
   */
  events: { kind: Injected; beats: number[]; offMedian?: number }[];
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Injects artefacts into clean data at about `rate` per beat, spaced 0.5–1.5 / rate beats apart:
 * - ectopic with compensatory pause: rr[i]·(1 − p), rr[i+1]·(1 + p), p in [0.25, 0.35];
 * - missed beat: rr[i] + rr[i+1] as one interval;
 * - extra beat: rr[i] split into two parts, 0.4/0.6 or 0.6/0.4.
 */
function inject(clean: number[], kinds: readonly Injected[], rate: number, seed: number): Injection {
  const random = prng(seed);
  const rrMs: number[] = [];
  const events: Injection['events'] = [];
  const spacing = () => Math.round((0.5 + random()) / rate);
  let next = 20 + spacing();
  for (let i = 0; i < clean.length; ) {
    if (i === next && i + 2 < clean.length - 5) {
      const kind = kinds[Math.floor(random() * kinds.length)];
      const at = rrMs.length;
      if (kind === 'ectopic') {
        const p = 0.25 + 0.1 * random();
        rrMs.push(clean[i] * (1 - p), clean[i + 1] * (1 + p));
        events.push({ kind, beats: [at, at + 1] });
        i += 2;
      } else if (kind === 'missed') {
        rrMs.push(clean[i] + clean[i + 1]);
        events.push({ kind, beats: [at] });
        i += 2;
      } else {
        const first = random() < 0.5 ? 0.4 : 0.6;
        rrMs.push(clean[i] * first, clean[i] * (1 - first));
        const around = [...clean.slice(Math.max(0, i - 5), i), ...clean.slice(i + 1, i + 6)];
        events.push({ kind, beats: [at, at + 1], offMedian: clean[i] / median(around) - 1 });
        i += 1;
      }
      next = i + spacing();
      continue;
    }
    rrMs.push(clean[i++]);
  }
  return { rrMs, events };
}

/**
 * Was the event found (every altered beat flagged), and with the right kind? An extra beat is merged back only when
 * the merged interval fits the local rhythm (within Th2, 15–20 % of the local median): the split of an interval
 * within 15 % of its neighbours' median must be merged, one further than 20 % must not be (both parts flagged and
 * replaced instead); in between either is right.
 */
function judge(
  { kind, beats, offMedian = 0 }: Injection['events'][number],
  out: readonly ClassifiedBeat[],
): { found: boolean; kindOk: boolean } {
  if (kind === 'extra') {
    const [first, second] = [out[beats[0]], out[beats[1]]];
    const found = first.kind !== 'normal' && isChanged(second);
    const merged = first.kind === 'extra' && second.merged;
    const off = Math.abs(offMedian);
    return { found, kindOk: off < 0.15 ? merged : off > 0.2 ? found && !second.merged : found };
  }
  if (kind === 'missed') return { found: isChanged(out[beats[0]]), kindOk: out[beats[0]].kind === 'missed' };
  return { found: beats.every((i) => isChanged(out[i])), kindOk: beats.some((i) => out[i].kind === 'ectopic') };
}

const ratio = (a: number, b: number) => (b === 0 ? 1 : a / b);

// ---------------------------------------------------------------------------------------------------------------
// Recordings

const CLEAN = {
  bartelsRest: readRecording('bartels_rest_rri.txt'),
  pyhrvShort: readRecording('pyhrv_nni_short_5min.txt'),
  physionetHour: firstSeconds(readRecording('physionet_rr_healthy_000.txt'), 3600),
};

describe('clean resting recordings stay (nearly) untouched', () => {
  // A 20 % successive-difference filter alters 7 and 23 beats of the first two (REFERENCE.md).
  const cases: [string, number[], number][] = [
    ['bartels_rest_rri.txt', CLEAN.bartelsRest, 0],
    ['pyhrv_nni_short_5min.txt', CLEAN.pyhrvShort, 0],
    ['bartels_test_real_rri.txt', readRecording('bartels_test_real_rri.txt'), 1],
    // Its first hour holds five premature beats (e.g. 929 → 516 → 1258 ms): both intervals of each are flagged.
    ['physionet_rr_healthy_000.txt, first hour', CLEAN.physionetHour, 12],
  ];
  for (const [name, rrMs, bound] of cases) {
    it(`${name}: at most ${bound} beats changed`, () => {
      const changed = countChanged(classifyBeats(rrMs));
      console.log(`${name}: ${changed} of ${rrMs.length} beats changed`);
      expect(changed).toBeLessThanOrEqual(bound);
    });
  }

  it('no 60 s window of the clean recordings has more than 5 % changed beats', () => {
    for (const rrMs of [CLEAN.bartelsRest, CLEAN.pyhrvShort, CLEAN.physionetHour]) {
      const shares = windowShares(rrMs, classifyBeats(rrMs));
      expect(Math.max(...shares)).toBeLessThanOrEqual(0.05);
    }
  });
});

describe('artefacts injected into clean recordings', () => {
  const recordings: [string, number[], number][] = [
    ['bartels_rest', CLEAN.bartelsRest, 20],
    ['pyhrv_short', CLEAN.pyhrvShort, 40],
    ['physionet_1h', CLEAN.physionetHour, 5],
  ];

  // Sensitivity and kind accuracy are asserted on all events of a kind together; each recording must still reach
  // PER_RECORDING_MIN. pyhrv_nni_short_5min has many natural beats 30–40 % longer than their neighbours: a premature
  // beat injected onto one of them ends up near the median and cannot be told from sinus rhythm (over other seed
  // sets its ectopic sensitivity ranges 0.95–0.99; bartels_rest and physionet stay at 0.99–1.00).
  const PER_RECORDING_MIN = 0.93;
  for (const kind of ['ectopic', 'missed', 'extra'] as const) {
    it(`${kind}: sensitivity ≥ 0.95, specificity ≥ 0.995${kind === 'ectopic' ? '' : ', kind right ≥ 0.95'}`, () => {
      const total = { events: 0, found: 0, kindOk: 0 };
      for (const [name, clean, seeds] of recordings) {
        let events = 0;
        let found = 0;
        let kindOk = 0;
        let negatives = 0;
        let trueNegatives = 0;
        for (let seed = 1; seed <= seeds; seed++) {
          const { rrMs, events: injected } = inject(clean, [kind], 0.02, seed);
          const out = classifyBeats(rrMs);
          const altered = new Set(injected.flatMap((e) => e.beats));
          for (const e of injected) {
            const verdict = judge(e, out);
            events++;
            if (verdict.found) found++;
            if (verdict.kindOk) kindOk++;
          }
          for (let i = 0; i < out.length; i++) {
            if (altered.has(i)) continue;
            negatives++;
            if (!isChanged(out[i])) trueNegatives++;
          }
        }
        const sensitivity = ratio(found, events);
        const specificity = ratio(trueNegatives, negatives);
        const kindRight = ratio(kindOk, events);
        console.log(
          `${kind.padEnd(7)} ${name.padEnd(13)} events ${String(events).padStart(4)}  sensitivity ${sensitivity.toFixed(3)}` +
            `  specificity ${specificity.toFixed(4)}  kind right ${kindRight.toFixed(3)}`,
        );
        expect(sensitivity, `${name} sensitivity`).toBeGreaterThanOrEqual(PER_RECORDING_MIN);
        expect(specificity, `${name} specificity`).toBeGreaterThanOrEqual(0.995);
        if (kind !== 'ectopic') expect(kindRight, `${name} kind`).toBeGreaterThanOrEqual(PER_RECORDING_MIN);
        total.events += events;
        total.found += found;
        total.kindOk += kindOk;
      }
      const sensitivity = ratio(total.found, total.events);
      const kindRight = ratio(total.kindOk, total.events);
      console.log(
        `${kind.padEnd(7)} all           events ${String(total.events).padStart(4)}  sensitivity ${sensitivity.toFixed(3)}` +
          `                      kind right ${kindRight.toFixed(3)}`,
      );
      expect(sensitivity).toBeGreaterThanOrEqual(0.95);
      if (kind !== 'ectopic') expect(kindRight).toBeGreaterThanOrEqual(0.95);
    });
  }

  it('RMSSD by deletion stays within 5 % of the clean value at 2 % mixed artefacts', () => {
    for (const [name, clean] of recordings) {
      const cleanRmssd = rmssdByDeletion(classifyBeats(clean));
      let worst = 0;
      let worstRaw = 0;
      for (let seed = 101; seed <= 110; seed++) {
        const { rrMs } = inject(clean, ['ectopic', 'missed', 'extra'], 0.02, seed);
        const corrected = rmssdByDeletion(classifyBeats(rrMs));
        worst = Math.max(worst, Math.abs(corrected / cleanRmssd - 1));
        const raw = timeDomain(rrMs);
        if (isAvailable(raw) && raw.rmssdMs !== null)
          worstRaw = Math.max(worstRaw, Math.abs(raw.rmssdMs / cleanRmssd - 1));
      }
      console.log(
        `RMSSD ${name.padEnd(13)} clean ${cleanRmssd.toFixed(1)} ms: worst error corrected ${(100 * worst).toFixed(1)} %` +
          `, uncorrected ${(100 * worstRaw).toFixed(0)} %`,
      );
      expect(worst).toBeLessThanOrEqual(0.05);
    }
  });
});

describe('noisy recordings', () => {
  it('polar_h10_detectPVC_rr.csv: frequent PVCs are flagged, not corrected into a number', () => {
    const rrMs = readRecording('polar_h10_detectPVC_rr.csv');
    const beats = classifyBeats(rrMs);
    const shares = windowShares(rrMs, beats);
    const above = shares.filter((s) => s > 0.05).length;
    console.log(
      `PVC: ${countChanged(beats)} of ${rrMs.length} beats changed; ${above} of ${shares.length} 60 s windows above 5 %` +
        ` (share min ${Math.min(...shares).toFixed(2)}, median ${shares.sort((a, b) => a - b)[shares.length >> 1].toFixed(2)})`,
    );
    expect(above / shares.length).toBeGreaterThanOrEqual(0.9);
    // The trigeminy's short (premature) intervals are all flagged.
    const premature = beats.filter((b) => b.rrMs < 500);
    expect(premature.filter(isChanged).length / premature.length).toBeGreaterThanOrEqual(0.95);
  });

  it('bartels_noisy_rri_polar.txt: double intervals flagged, rest sections change little', () => {
    const rrMs = readRecording('bartels_noisy_rri_polar.txt');
    const beats = classifyBeats(rrMs);
    // Intervals of about twice their neighbours (e.g. 639 → 1237 → 586 ms): a beat the strap did not detect.
    for (const i of [222, 442, 486, 926, 1288, 2010]) {
      expect(beats[i].kind, `beat ${i} (${rrMs[i]} ms)`).toBe('missed');
      expect(beats[i].nnMs.reduce((a, b) => a + b, 0)).toBeCloseTo(rrMs[i], 9);
    }
    const restStart = beats.slice(0, firstSeconds(rrMs, 300).length);
    const restEnd = beats.slice(beats.length - firstSeconds([...rrMs].reverse(), 300).length);
    console.log(
      `bartels_noisy: ${countChanged(beats)} of ${rrMs.length} changed; first 5 min ${countChanged(restStart)},` +
        ` last 5 min ${countChanged(restEnd)}`,
    );
    expect(countChanged(restStart) / restStart.length).toBeLessThanOrEqual(0.01);
    expect(countChanged(restEnd) / restEnd.length).toBeLessThanOrEqual(0.01);
  });
});

describe('classification and correction of single artefacts', () => {
  /** A resting rhythm with respiratory sinus arrhythmia of ± `swing` (a share of the mean). */
  const rhythm = (n: number, meanMs: number, swing = 0.05) =>
    Array.from({ length: n }, (_, i) => meanMs + swing * meanMs * Math.sin((2 * Math.PI * i) / 4.5));

  it('extra beat: the first part is dropped, the next carries the sum', () => {
    const rrMs = rhythm(60, 1000);
    rrMs.splice(30, 1, 400, rrMs[30] - 400);
    const out = classifyBeats(rrMs);
    expect(out[30]).toMatchObject({ kind: 'extra', nnMs: [], merged: false });
    expect(out[31].kind).toBe('normal');
    expect(out[31].merged).toBe(true);
    expect(out[31].nnMs[0]).toBeCloseTo(rrMs[30] + rrMs[31], 9);
    expect(countChanged(out)).toBe(2);
  });

  it('a part below the range can still be an extra beat', () => {
    const rrMs = rhythm(60, 1000);
    rrMs.splice(30, 1, 250, rrMs[30] - 250);
    const out = classifyBeats(rrMs);
    expect(out[30].kind).toBe('extra');
    expect(out[31].merged).toBe(true);
  });

  it('two short intervals that would merge into an interval off the rhythm are flagged, not merged', () => {
    const rrMs = rhythm(60, 1000);
    rrMs.splice(30, 1, 520, 780); // 1300 ms: 30 % above the local median
    const out = classifyBeats(rrMs);
    expect(out[30]).toMatchObject({ kind: 'short', merged: false });
    expect(out[31]).toMatchObject({ kind: 'short', merged: false });
    expect(out.some((b) => b.merged)).toBe(false);
    expect(countChanged(out)).toBe(2);
  });

  it('a premature beat and its pause after an ordinary beat stay an ectopic pair (953, 469, 1242 ms)', () => {
    // Intervals around a premature beat on a 22-hour Holter (PhysioNet NSR RR database, 1/128 s): the extra-beat rule
    // used to merge 953 + 469 into 1422 ms, 35 % above the local median.
    const holter = [1085.9375, 992.1875, 968.75, 1070.3125, 1125, 1054.6875, 953.125, 468.75, 1242.1875, 968.75];
    const rrMs = [...rhythm(40, 1050), ...holter, ...rhythm(30, 950)];
    const out = classifyBeats(rrMs);
    const at = 46; // 953.125
    expect(out[at].kind).toBe('normal');
    expect(out[at + 1].kind).toBe('ectopic');
    expect(out[at + 2].kind).toBe('ectopic');
    expect(out.some((b) => b.merged || b.kind === 'extra')).toBe(false);
    expect(countChanged(out)).toBe(2);
  });

  it('a long interval right after a premature one is its pause, not a missed beat', () => {
    // Intervals from a congestive-heart-failure Holter (PhysioNet CHF RR database, 1/128 s): 406 ms premature, then
    // 1102 ms, together about two ordinary intervals. The missed-beat rule used to split it into 2 × 551 ms.
    const holter = [671.875, 656.25, 664.0625, 656.25, 679.6875, 687.5, 695.3125, 406.25, 1101.5625, 781.25, 765.625];
    // Around it, a rhythm swinging ±10 % as that recording does (so Th2 sits at its ceiling, 0.2 × median).
    const rrMs = [...rhythm(40, 670, 0.1), ...holter, ...rhythm(30, 770, 0.1)];
    const out = classifyBeats(rrMs);
    const at = 47; // 406.25
    expect(out[at].kind).toBe('ectopic');
    expect(out[at + 1].kind).toBe('ectopic');
    expect(out.some((b) => b.kind === 'missed')).toBe(false);
  });

  it('a sudden rise in rate on a real Holter is not merged into an interval that never happened', () => {
    // physionet_rr_healthy_000.txt around beat 37521: 1055 → 719, 695, 696 ms. The extra-beat rule used to merge
    // 695 + 696 into 1391 ms, longer than any interval of the segment.
    const rrMs = readRecording('physionet_rr_healthy_000.txt').slice(37400, 37700);
    const out = classifyBeats(rrMs);
    expect(out.some((b) => b.merged || b.kind === 'extra')).toBe(false);
    const nn = out.flatMap((b) => b.nnMs);
    expect(Math.max(...nn)).toBeLessThanOrEqual(Math.max(...rrMs));
  });

  it('missed beat above the range: split into equal parts', () => {
    const rrMs = rhythm(60, 1100);
    rrMs.splice(30, 2, rrMs[30] + rrMs[31]); // > 2000 ms
    const out = classifyBeats(rrMs);
    expect(out[30].kind).toBe('missed');
    expect(out[30].nnMs).toHaveLength(2);
    expect(out[30].nnMs[0]).toBeCloseTo(rrMs[30] / 2, 9);
    expect(countChanged(out)).toBe(1);
  });

  it('two missed beats: three parts', () => {
    const rrMs = rhythm(60, 800);
    rrMs.splice(30, 3, rrMs[30] + rrMs[31] + rrMs[32]);
    const out = classifyBeats(rrMs);
    expect(out[30].kind).toBe('missed');
    expect(out[30].nnMs).toHaveLength(3);
  });

  it('ectopic beat with compensatory pause: both intervals replaced by interpolation', () => {
    const rrMs = rhythm(60, 1000);
    rrMs[30] *= 0.7;
    rrMs[31] *= 1.3;
    const out = classifyBeats(rrMs);
    expect(out[30].kind).toBe('ectopic');
    expect(out[31].kind).toBe('ectopic');
    expect(countChanged(out)).toBe(2);
    // Linear between the normal neighbours 29 and 32.
    const a = rrMs[29];
    const b = rrMs[32];
    expect(out[30].nnMs[0]).toBeCloseTo(a + (b - a) / 3, 9);
    expect(out[31].nnMs[0]).toBeCloseTo(a + (2 * (b - a)) / 3, 9);
  });

  it('grossly wrong values are out of range and dropped', () => {
    const rrMs = rhythm(60, 1000);
    rrMs[10] = -5;
    rrMs[20] = 9000;
    rrMs[30] = 5000; // five median intervals: more than maxMissedBeats
    rrMs[40] = Number.NaN;
    // A spike between two intervals above the median: adding it to either gives no ordinary interval.
    rrMs[49] = 1040;
    rrMs[50] = 100;
    rrMs[51] = 1040;
    const out = classifyBeats(rrMs);
    for (const i of [10, 20, 30, 40, 50]) expect(out[i]).toMatchObject({ kind: 'out-of-range', nnMs: [] });
    expect(countChanged(out)).toBe(5);
  });

  it('a short value that completes an ordinary interval with the next one is an extra beat', () => {
    const rrMs = rhythm(60, 1000);
    rrMs[20] = 100; // the next interval (957 ms) is below the median: together 1057 ms
    const out = classifyBeats(rrMs);
    expect(out[20].kind).toBe('extra');
    expect(out[21].nnMs[0]).toBeCloseTo(100 + rrMs[21], 9);
  });

  it('a gap restarts the local context: no difference is formed across it', () => {
    const rrMs = [...rhythm(60, 1000), ...rhythm(60, 650)];
    const gaps = rrMs.map((_, i) => i === 60);
    const withGap = classifyBeats(rrMs, {}, gaps);
    expect(countChanged(withGap)).toBe(0);
    expect(withGap[60].gapBefore).toBe(true);
    expect(withGap.filter((b) => b.gapBefore)).toHaveLength(1);
    // The same jump without the gap is an artefact.
    expect(countChanged(classifyBeats(rrMs))).toBeGreaterThan(0);
  });

  it('a smooth but fast change of rate is not an artefact', () => {
    const rrMs = rhythm(120, 1000).map((rr, i) => (i < 60 ? rr : rr * (i < 66 ? 1 - (0.35 * (i - 59)) / 6 : 0.65)));
    expect(countChanged(classifyBeats(rrMs))).toBe(0);
  });

  it('rejects inconsistent options', () => {
    expect(() => new ArtefactDetector({ lookAheadBeats: 1 })).toThrow(RangeError);
    expect(() => new ArtefactDetector({ minRrMs: 2000, maxRrMs: 300 })).toThrow(RangeError);
    expect(() => new ArtefactDetector({ medianLookAheadBeats: 5 })).toThrow(RangeError); // needs lookAheadBeats ≥ 5
    expect(new ArtefactDetector({ medianLookAheadBeats: 5, lookAheadBeats: 5 }).lookAheadBeats).toBe(5);
  });
});

describe('streaming', () => {
  it('pushing beat by beat gives exactly the batch result, with gaps; the output array is reused', () => {
    const { rrMs } = inject(readRecording('bartels_noisy_rri_polar.txt'), ['ectopic', 'missed', 'extra'], 0.03, 7);
    const random = prng(11);
    const gaps = rrMs.map(() => random() < 0.01);
    const detector = new ArtefactDetector();
    const streamed: ClassifiedBeat[] = [];
    let previous: readonly ClassifiedBeat[] | null = null;
    for (let i = 0; i < rrMs.length; i++) {
      const released = detector.push(rrMs[i], gaps[i]);
      if (previous) expect(released).toBe(previous);
      previous = released;
      streamed.push(...released);
    }
    streamed.push(...detector.flush());
    expect(streamed).toEqual(classifyBeats(rrMs, {}, gaps));
  });

  it(`releases every beat within lookAheadBeats (${ARTEFACT_DEFAULTS.lookAheadBeats}) pushes`, () => {
    const { rrMs } = inject(CLEAN.physionetHour, ['ectopic', 'missed', 'extra'], 0.05, 3);
    const detector = new ArtefactDetector();
    let maxLag = 0;
    for (let i = 0; i < rrMs.length; i++) {
      for (const beat of detector.push(rrMs[i])) maxLag = Math.max(maxLag, i - beat.seq);
    }
    expect(maxLag).toBeLessThanOrEqual(detector.lookAheadBeats);
  });

  it('random streams: never throws, every beat released once and in order, parts sum to the raw value', () => {
    const rrValue = fc.oneof(
      { weight: 8, arbitrary: fc.double({ min: 300, max: 2000, noNaN: true }) },
      { weight: 2, arbitrary: fc.double({ min: -500, max: 8000 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, Number.NaN, Number.POSITIVE_INFINITY, 150, 2500, 4100) },
    );
    const gap = fc.integer({ min: 0, max: 19 }).map((x) => x === 0);
    const stream = fc.array(fc.tuple(rrValue, gap), { maxLength: 400 });
    fc.assert(
      fc.property(stream, (beats) => {
        const detector = new ArtefactDetector();
        const out: ClassifiedBeat[] = [];
        beats.forEach(([rr, gap], i) => {
          for (const beat of detector.push(rr, gap)) {
            expect(i - beat.seq).toBeLessThanOrEqual(detector.lookAheadBeats);
            out.push(beat);
          }
        });
        out.push(...detector.flush());
        expect(out.map((b) => b.seq)).toEqual(beats.map((_, i) => i));
        out.forEach((beat, i) => {
          expect(Object.is(beat.rrMs, beats[i][0])).toBe(true);
          expect(beat.gapBefore).toBe(beats[i][1]);
          for (const nn of beat.nnMs) expect(nn > 0 && Number.isFinite(nn)).toBe(true);
          if (beat.kind === 'missed') {
            expect(beat.nnMs.length).toBeGreaterThanOrEqual(2);
            expect(beat.nnMs.reduce((a, b) => a + b, 0)).toBeCloseTo(beat.rrMs, 6);
          }
          if (beat.kind === 'extra') {
            expect(beat.nnMs).toEqual([]);
            expect(out[i + 1].merged).toBe(true);
            expect(out[i + 1].nnMs[0]).toBeCloseTo(beat.rrMs + out[i + 1].rrMs, 6);
          }
          if (beat.merged) expect(out[i - 1].kind).toBe('extra');
          if (beat.kind === 'normal' && !beat.merged) expect(beat.nnMs).toEqual([beat.rrMs]);
        });
      }),
      { numRuns: 300 },
    );
  });
});
