import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Analysis, analyze } from '../../src/hrv/analyze.js';
import { isAvailable, timeDomain } from '../../src/hrv/time-domain.js';
import { readRrFile } from '../../src/io/rr-file.js';
import {
  type BaselineReference,
  baselineReference,
  describeShift,
  type Marker,
  MIN_BAND_LN,
  type Phase,
  type PhaseSummary,
  SHORT_BASELINE_REASON,
  type StoredBeat,
  SWC_FACTOR,
  shiftAgainst,
  summariseSession,
} from '../../src/session/summary.js';
import { referenceTolerance, TIME_DOMAIN_REFERENCE } from '../helpers/reference.js';

// ------------------------------------------------------------------------------------------------------------
// Helpers (independent of the code under test)

async function recording(file: string): Promise<number[]> {
  return Array.from((await readRrFile(`recordings/${file}`)).rrMs);
}

/** Beats on beat time = cumulative RR (what a gap-free session stores and what `analyze --from --to` uses). */
function toBeats(rrMs: readonly number[], gapAt: readonly number[] = [], gapS = 0): StoredBeat[] {
  let tS = 0;
  return rrMs.map((rr, seq) => {
    const gapBefore = gapAt.includes(seq);
    if (gapBefore) tS += gapS; // beat time jumps over the lost time, as the pipeline stores it
    tS += rr / 1000;
    return { seq, tS, rrMs: rr, gapBefore, kind: null };
  });
}

const BREATHING_HZ = 0.25;
const MEAN_RR_MS = 900;

/** RR = 900 + A·sin(2π·0.25·t), t = beat time; one amplitude per stretch, the sine continuous across them. */
function sinusoidRr(stretches: readonly { durationS: number; amplitudeMs: number }[], levelMs = MEAN_RR_MS): number[] {
  const out: number[] = [];
  let tS = 0;
  let endS = 0;
  for (const { durationS, amplitudeMs } of stretches) {
    endS += durationS;
    while (tS < endS) {
      const rr = levelMs + amplitudeMs * Math.sin(2 * Math.PI * BREATHING_HZ * tS);
      out.push(rr);
      tS += rr / 1000;
    }
  }
  return out;
}

/**
 * RMSSD of A·sin(ωt) sampled every Δ s: the difference is 2A·cos(ω(t + Δ/2))·sin(ωΔ/2), whose RMS over uniformly
 * spread phases is √2·A·|sin(ωΔ/2)|. (The RR modulation makes Δ vary by ±A/900, a small correction.)
 */
function analyticSineRmssdMs(amplitudeMs: number, spacingS = MEAN_RR_MS / 1000): number {
  return Math.SQRT2 * amplitudeMs * Math.abs(Math.sin((2 * Math.PI * BREATHING_HZ * spacingS) / 2));
}

/** The fields a phase takes from `analyze`, as `analyze` names them. */
function phaseNumbers(p: PhaseSummary) {
  return {
    beats: p.beats,
    durationS: p.recordedS,
    meanHrBpm: p.meanHrBpm,
    rmssdMs: p.rmssdMs,
    lnRmssd: p.lnRmssd,
    hfMs2: p.hfMs2,
    lnHf: p.lnHf,
    respirationRateBpm: p.respirationRateBpm,
    correctedPct: p.correctedPct,
    tooIrregular: p.tooIrregular,
    notes: p.analysisNotes,
  };
}

function analyzeNumbers(a: Analysis) {
  return {
    beats: a.beats,
    durationS: a.durationS,
    meanHrBpm: a.meanHrBpm,
    rmssdMs: a.rmssdMs,
    lnRmssd: a.lnRmssd,
    hfMs2: a.hfMs2,
    lnHf: a.lnHf,
    respirationRateBpm: a.respirationRateBpm,
    correctedPct: a.correctedPct,
    tooIrregular: a.tooIrregular,
    notes: a.notes,
  };
}

function sampleSd(values: readonly number[]): number {
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Math.sqrt(values.reduce((s, v) => s + (v - mean) ** 2, 0) / (values.length - 1));
}

function reference(rmssdMs: number | null, bandLn: number | null): BaselineReference {
  return {
    rmssdMs,
    lnRmssd: rmssdMs === null ? null : Math.log(rmssdMs),
    windows: bandLn === null ? 1 : 5,
    windowLnRmssd: [],
    skippedWindows: 0,
    lnRmssdSd: bandLn === null ? null : bandLn / SWC_FACTOR,
    bandLn,
    reason: bandLn === null ? SHORT_BASELINE_REASON : null,
  };
}

// ------------------------------------------------------------------------------------------------------------

describe('phases of a real recording equal `analyze --from --to` on the whole series', () => {
  it('bartels_rest_rri.txt: baseline 0–300 s, massage 300–700 s, recovery open to the end', async () => {
    const rr = await recording('bartels_rest_rri.txt');
    const beats = toBeats(rr);
    const phases: Phase[] = [
      { kind: 'baseline', startedAtS: 0, endedAtS: 300 },
      { kind: 'massage', startedAtS: 300, endedAtS: 700 },
      { kind: 'recovery', startedAtS: 700, endedAtS: null },
    ];
    const summary = summariseSession({ beats, phases, markers: [] });
    const lastS = beats[beats.length - 1].tS;
    const bounds = [
      [0, 300],
      [300, 700],
      [700, lastS],
    ];
    expect(summary.phases.map((p) => [p.startedAtS, p.endedAtS])).toEqual(bounds);
    expect(summary.phases[2].open).toBe(true);
    for (let i = 0; i < bounds.length; i++) {
      const [fromS, toS] = bounds[i];
      expect(phaseNumbers(summary.phases[i]), `phase ${i}`).toEqual(analyzeNumbers(analyze(rr, { fromS, toS })));
    }
    expect(summary.phases.reduce((n, p) => n + p.beats, 0)).toBe(rr.length);
  });

  it('the baseline RMSSD is the reference libraries’ first-5-minute value (REFERENCE.md)', async () => {
    const rr = await recording('bartels_rest_rri.txt');
    const ref = TIME_DOMAIN_REFERENCE.find((r) => r.file === 'bartels_rest_rri.txt' && r.segment === 'first_5min');
    if (!ref) throw new Error('reference row missing');
    const summary = summariseSession({
      beats: toBeats(rr),
      phases: [{ kind: 'baseline', startedAtS: 0, endedAtS: 300 }],
      markers: [],
    });
    const baseline = summary.phases[0];
    // A clean resting recording: the artefact layer leaves it alone, so the libraries' uncorrected value applies.
    expect(baseline.correctedPct).toBe(0);
    expect(baseline.beats).toBe(ref.beats);
    expect(Math.abs((baseline.rmssdMs as number) - Number(ref.rmssdMs))).toBeLessThanOrEqual(
      referenceTolerance(ref.rmssdMs),
    );
    expect(summary.baseline?.rmssdMs).toBe(baseline.rmssdMs);
  });

  it('property: any split of a real recording into phases gives analyze’s numbers per phase', async () => {
    const rr = await recording('bartels_test_real_rri.txt');
    const beats = toBeats(rr);
    const totalS = beats[beats.length - 1].tS;
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.double({ min: 1, max: totalS - 1, noNaN: true }), { minLength: 1, maxLength: 3 }),
        (cuts) => {
          const edges = [0, ...cuts.sort((a, b) => a - b)];
          const kinds = ['baseline', 'massage', 'recovery', 'massage'] as const;
          const phases: Phase[] = edges.map((startedAtS, i) => ({
            kind: kinds[i],
            startedAtS,
            endedAtS: edges[i + 1] ?? null,
          }));
          const summary = summariseSession({ beats, phases, markers: [] });
          for (let i = 0; i < edges.length; i++) {
            const toS = edges[i + 1] ?? totalS;
            const expected = analyzeNumbers(analyze(rr, { fromS: edges[i], toS }));
            expect(phaseNumbers(summary.phases[i])).toEqual(expected);
          }
        },
      ),
      { numRuns: 12 },
    );
  });
});

describe('baselineReference: 60 s windows and their spread', () => {
  it('bartels_rest_rri.txt, first 300 s: five windows, each analyze’s (k·60, (k+1)·60] slice', async () => {
    const rr = await recording('bartels_rest_rri.txt');
    const beats = toBeats(rr).filter((b) => b.tS <= 300);
    const ref = baselineReference(beats);
    const expected = [0, 1, 2, 3, 4].map((k) => analyze(rr, { fromS: 60 * k, toS: 60 * (k + 1) }).lnRmssd as number);
    expect(ref.windows).toBe(5);
    expect(ref.skippedWindows).toBe(0);
    expect(ref.windowLnRmssd).toEqual(expected);
    // The same windows by hand: clean data, so plain RMSSD over the beats ending in each minute.
    for (let k = 0; k < 5; k++) {
      const slice = toBeats(rr)
        .filter((b) => b.tS > 60 * k && b.tS <= 60 * (k + 1))
        .map((b) => b.rrMs);
      const td = timeDomain(slice);
      if (!isAvailable(td)) throw new Error(td.reason);
      expect(ref.windowLnRmssd[k]).toBeCloseTo(td.lnRmssd as number, 12);
    }
    const sd = sampleSd(expected);
    expect(ref.lnRmssdSd).toBeCloseTo(sd, 12);
    expect(ref.bandLn).toBeCloseTo(Math.max(MIN_BAND_LN, SWC_FACTOR * sd), 12);
    expect(ref.reason).toBeNull();
    expect(ref.rmssdMs).toBe(analyze(rr, { fromS: 0, toS: 300 }).rmssdMs);
  });

  it('a 90 s baseline has one window: no band, and says why', async () => {
    const rr = await recording('bartels_rest_rri.txt');
    const beats = toBeats(rr);
    const ref = baselineReference(beats.filter((b) => b.tS <= 90));
    expect(ref.windows).toBe(1);
    expect(ref.skippedWindows).toBe(1); // the 30 s tail
    expect(ref.lnRmssdSd).toBeNull();
    expect(ref.bandLn).toBeNull();
    expect(ref.reason).toBe('baseline shorter than 2 clean minutes: cannot tell a shift from noise');
    expect(ref.rmssdMs).not.toBeNull();

    const summary = summariseSession({
      beats,
      phases: [
        { kind: 'baseline', startedAtS: 0, endedAtS: 90 },
        { kind: 'massage', startedAtS: 90, endedAtS: null },
      ],
      markers: [],
    });
    const shift = summary.phases[1].shift;
    expect(shift?.verdict).toBe('unknown');
    expect(shift?.words).toBe(SHORT_BASELINE_REASON);
    expect(shift?.lnRmssdDelta).not.toBeNull(); // the values are still shown, only the verdict is withheld
    expect(describeShift(shift as NonNullable<typeof shift>)).toContain('no verdict: baseline shorter than 2 clean');
  });

  it('never spans a gap: the window grid restarts after it', () => {
    // Two 150 s runs at different levels, 20 s lost between them.
    const first = sinusoidRr([{ durationS: 150, amplitudeMs: 30 }]);
    const second = sinusoidRr([{ durationS: 150, amplitudeMs: 45 }], 1000);
    const rr = [...first, ...second];
    const beats = toBeats(rr, [first.length], 20);
    const ref = baselineReference(beats);
    // Each run: windows of 60 + 60 s, and a 30 s tail that does not count.
    expect(ref.windows).toBe(4);
    expect(ref.skippedWindows).toBe(2);
    const runWindows = (run: number[]) =>
      [0, 1].map((k) => {
        const b = toBeats(run).filter((x) => x.tS > 60 * k && x.tS <= 60 * (k + 1));
        const td = timeDomain(b.map((x) => x.rrMs));
        if (!isAvailable(td)) throw new Error(td.reason);
        return td.lnRmssd as number;
      });
    const expected = [...runWindows(first), ...runWindows(second)];
    ref.windowLnRmssd.forEach((v, i) => {
      expect(v).toBeCloseTo(expected[i], 12);
    });
  });
});

describe('shift against the baseline: synthetic breathing (RSA) of known amplitude', () => {
  const baselineS = 300;
  const massageS = 300;
  const session = (baselineAmplitudeMs: number, massageAmplitudeMs: number) => {
    const rr = sinusoidRr([
      { durationS: baselineS, amplitudeMs: baselineAmplitudeMs },
      { durationS: massageS, amplitudeMs: massageAmplitudeMs },
    ]);
    return summariseSession({
      beats: toBeats(rr),
      phases: [
        { kind: 'baseline', startedAtS: 0, endedAtS: baselineS },
        { kind: 'massage', startedAtS: baselineS, endedAtS: null },
      ],
      markers: [],
    });
  };

  it('RMSSD of each phase is the analytic √2·A·|sin(ωΔ/2)| (within 3 %)', () => {
    const summary = session(25, 50);
    expect(summary.phases.map((p) => p.correctedPct)).toEqual([0, 0]);
    expect(summary.phases[0].rmssdMs).toBeGreaterThan(0.97 * analyticSineRmssdMs(25));
    expect(summary.phases[0].rmssdMs).toBeLessThan(1.03 * analyticSineRmssdMs(25));
    expect(summary.phases[1].rmssdMs).toBeGreaterThan(0.97 * analyticSineRmssdMs(50));
    expect(summary.phases[1].rmssdMs).toBeLessThan(1.03 * analyticSineRmssdMs(50));
    // breathing at 0.25 Hz = 15 /min, inside the HF band
    expect(summary.phases[1].respirationRateBpm).toBeCloseTo(15, 0);
  });

  it('doubled amplitude → shifting to rest, Δln ≈ ln 2', () => {
    const summary = session(25, 50);
    const shift = summary.phases[1].shift;
    expect(shift?.verdict).toBe('shifting-to-rest');
    expect(shift?.lnRmssdDelta).toBeCloseTo(Math.LN2, 1);
    expect(shift?.rmssdPct).toBeGreaterThan(90);
    expect(shift?.rmssdPct).toBeLessThan(110);
    // A pure sine is as steady as a baseline can be: the floor, not 0.5 × ~0, sets the band.
    expect(summary.baseline?.bandLn).toBe(MIN_BAND_LN);
    expect(summary.phases[0].shift).toBeNull();
    expect(summary.phases[0].reference).toBe(summary.baseline);
  });

  it('same amplitude throughout → no clear change', () => {
    const shift = session(25, 25).phases[1].shift;
    expect(shift?.verdict).toBe('no-clear-change');
    expect(Math.abs(shift?.lnRmssdDelta as number)).toBeLessThan(MIN_BAND_LN);
  });

  it('halved amplitude → activated', () => {
    const shift = session(50, 25).phases[1].shift;
    expect(shift?.verdict).toBe('activated');
    expect(shift?.lnRmssdDelta).toBeCloseTo(-Math.LN2, 1);
  });
});

describe('gaps inside a phase', () => {
  it('no successive difference spans the gap', () => {
    // 100 s run, 15 s lost, then the rhythm resumes 100 ms slower: a difference across the gap would be ~100 ms.
    const first = sinusoidRr([{ durationS: 100, amplitudeMs: 30 }]);
    const second = sinusoidRr([{ durationS: 100, amplitudeMs: 30 }], 1000);
    const rr = [...first, ...second];
    const gapAt = first.length;
    const beats = toBeats(rr, [gapAt], 15);
    const summary = summariseSession({
      beats,
      phases: [{ kind: 'massage', startedAtS: 0, endedAtS: null }],
      markers: [],
    });
    const phase = summary.phases[0];
    expect(phase.correctedPct).toBe(0);
    expect(phase.beats).toBe(rr.length);
    expect(phase.recordedS).toBeCloseTo(phase.durationS - 15, 9);

    const linked = rr.map((_, i) => i > 0 && i !== gapAt);
    const deleted = timeDomain(rr, linked);
    const spanning = timeDomain(rr);
    if (!isAvailable(deleted) || !isAvailable(spanning)) throw new Error('no time domain');
    expect(phase.rmssdMs).toBeCloseTo(deleted.rmssdMs as number, 9);
    expect(Math.abs((spanning.rmssdMs as number) - (deleted.rmssdMs as number))).toBeGreaterThan(0.3);
    expect(phase.analysisNotes.some((n) => n.includes('gaps'))).toBe(true);
  });

  it('the first beat of a phase is not linked to the last beat of the phase before', () => {
    const rr = sinusoidRr([{ durationS: 200, amplitudeMs: 30 }]);
    const beats = toBeats(rr);
    const summary = summariseSession({
      beats,
      phases: [
        { kind: 'baseline', startedAtS: 0, endedAtS: 100 },
        { kind: 'massage', startedAtS: 100, endedAtS: null },
      ],
      markers: [],
    });
    const second = beats.filter((b) => b.tS > 100).map((b) => b.rrMs);
    const td = timeDomain(second);
    if (!isAvailable(td)) throw new Error(td.reason);
    expect(summary.phases[1].beats).toBe(second.length);
    expect(summary.phases[1].rmssdMs).toBeCloseTo(td.rmssdMs as number, 12);
  });
});

describe('irregular rhythm', () => {
  it('a massage phase from the H10 stream with frequent PVCs is withheld, and the shift says why', async () => {
    const rest = (await recording('bartels_rest_rri.txt')).slice(0, 400);
    const pvc = (await recording('polar_h10_detectPVC_rr.csv')).slice(0, 400);
    const beats = toBeats([...rest, ...pvc], [rest.length], 10);
    const switchS = beats[rest.length - 1].tS;
    const summary = summariseSession({
      beats,
      phases: [
        { kind: 'baseline', startedAtS: 0, endedAtS: switchS },
        { kind: 'massage', startedAtS: switchS, endedAtS: null },
      ],
      markers: [],
    });
    const massage = summary.phases[1];
    expect(massage.tooIrregular).toBe(true);
    expect(massage.rmssdMs).toBeNull();
    expect(massage.meanHrBpm).not.toBeNull();
    expect(massage.shift?.verdict).toBe('unknown');
    expect(massage.shift?.words).toContain('irregular');
    expect(describeShift(massage.shift as NonNullable<typeof massage.shift>)).toMatch(/^RMSSD \d+ → — ms: no verdict/);
  });
});

describe('markers', () => {
  const rr = sinusoidRr([{ durationS: 400, amplitudeMs: 30 }]);
  const beats = toBeats(rr);
  const lastS = beats[beats.length - 1].tS;
  const phases: Phase[] = [
    // given out of order on purpose
    { kind: 'massage', startedAtS: 120, endedAtS: 300 },
    { kind: 'baseline', startedAtS: 0, endedAtS: 120 },
    { kind: 'recovery', startedAtS: 300, endedAtS: null },
  ];
  const m = (atS: number, kind: Marker['kind'], value: string, undone = false): Marker => ({
    atS,
    kind,
    value,
    undone,
  });
  const markers: Marker[] = [
    m(10, 'note', 'client reports a stiff neck'),
    m(120, 'technique', 'effleurage'), // at the boundary: belongs to the phase that starts there
    m(130, 'region', 'back'),
    m(150, 'technique', 'petrissage'),
    m(160, 'technique', 'tapotement', true), // undone
    m(200, 'technique', 'effleurage'),
    m(250, 'region', 'neck'),
    m(299.9, 'note', 'client fell asleep'),
    m(lastS + 30, 'note', 'strap off, client up'), // after the last beat: still in the open last phase
  ];
  const summary = summariseSession({ beats, phases, markers });

  it('go to the phase they were placed in, sorted by phase start', () => {
    expect(summary.phases.map((p) => p.kind)).toEqual(['baseline', 'massage', 'recovery']);
    const [baseline, massage, recovery] = summary.phases;
    expect(baseline.notes).toEqual(['client reports a stiff neck']);
    expect(baseline.techniques).toEqual([]);
    expect(massage.techniques).toEqual(['effleurage', 'petrissage']);
    expect(massage.regions).toEqual(['back', 'neck']);
    expect(massage.notes).toEqual(['client fell asleep']);
    expect(recovery.notes).toEqual(['strap off, client up']);
    expect(summary.unassignedMarkers).toEqual([]);
  });

  it('undone markers count nowhere', () => {
    const all = summary.phases.flatMap((p) => [...p.techniques, ...p.regions, ...p.notes]);
    expect(all).not.toContain('tapotement');
  });

  it('markers outside every phase are reported as unassigned', () => {
    const s = summariseSession({
      beats,
      phases: [{ kind: 'massage', startedAtS: 100, endedAtS: 200 }],
      markers: [m(50, 'technique', 'stretch'), m(250, 'note', 'after'), m(150, 'region', 'feet')],
    });
    expect(s.phases[0].regions).toEqual(['feet']);
    expect(s.unassignedMarkers.map((x) => x.value)).toEqual(['stretch', 'after']);
    expect(s.phases[0].shift?.verdict).toBe('unknown');
    expect(s.phases[0].shift?.words).toContain('no baseline');
  });
});

describe('phase ends', () => {
  const rr = sinusoidRr([{ durationS: 400, amplitudeMs: 30 }]);
  const beats = toBeats(rr);

  it('an open phase that is not the last ends where the next one starts', () => {
    const s = summariseSession({
      beats,
      phases: [
        { kind: 'baseline', startedAtS: 0, endedAtS: null },
        { kind: 'massage', startedAtS: 200, endedAtS: null },
      ],
      markers: [],
    });
    expect(s.phases[0].endedAtS).toBe(200);
    expect(s.phases[1].endedAtS).toBe(beats[beats.length - 1].tS);
    expect(s.phases[0].beats + s.phases[1].beats).toBe(beats.length);
  });

  it('endS, when given, ends an open last phase (beats after it are not counted)', () => {
    const s = summariseSession({
      beats,
      phases: [{ kind: 'baseline', startedAtS: 0, endedAtS: null }],
      markers: [],
      endS: 250,
    });
    expect(s.phases[0].endedAtS).toBe(250);
    expect(s.phases[0].durationS).toBe(250);
    expect(phaseNumbers(s.phases[0])).toEqual(analyzeNumbers(analyze(rr, { fromS: 0, toS: 250 })));
  });

  it('a phase shorter than a minute of beats gets no verdict', () => {
    const s = summariseSession({
      beats,
      phases: [
        { kind: 'baseline', startedAtS: 0, endedAtS: 300 },
        { kind: 'massage', startedAtS: 300, endedAtS: 340 },
      ],
      markers: [],
    });
    expect(s.phases[1].rmssdMs).not.toBeNull();
    expect(s.phases[1].shift?.verdict).toBe('unknown');
    expect(s.phases[1].shift?.words).toContain('too short');
  });

  it('an empty session summarises to nothing without throwing', () => {
    const s = summariseSession({
      beats: [],
      phases: [{ kind: 'baseline', startedAtS: 0, endedAtS: null }],
      markers: [],
    });
    expect(s.phases[0].beats).toBe(0);
    expect(s.phases[0].reference?.bandLn).toBeNull();
    expect(s.phases[0].reference?.reason).not.toBeNull();
  });
});

describe('shiftAgainst: the rule the live view shares', () => {
  it('property: verdict follows Δln against the band; rmssdPct = (phase/baseline − 1)·100', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 5, max: 200, noNaN: true }),
        fc.double({ min: 0.5, max: 400, noNaN: true }),
        fc.double({ min: MIN_BAND_LN, max: 0.5, noNaN: true }),
        (baselineMs, rmssdMs, bandLn) => {
          const shift = shiftAgainst(reference(baselineMs, bandLn), rmssdMs);
          const delta = Math.log(rmssdMs / baselineMs);
          expect(shift.lnRmssdDelta).toBeCloseTo(delta, 9);
          expect(shift.rmssdPct).toBeCloseTo((rmssdMs / baselineMs - 1) * 100, 6);
          const expected =
            shift.lnRmssdDelta === null
              ? 'unknown'
              : shift.lnRmssdDelta > bandLn
                ? 'shifting-to-rest'
                : shift.lnRmssdDelta < -bandLn
                  ? 'activated'
                  : 'no-clear-change';
          expect(shift.verdict).toBe(expected);
        },
      ),
    );
  });

  it('the band edge: just inside is no clear change, just outside is a shift', () => {
    const edgeMs = 40 * Math.exp(0.1);
    expect(shiftAgainst(reference(40, 0.1), edgeMs * (1 - 1e-9)).verdict).toBe('no-clear-change');
    expect(shiftAgainst(reference(40, 0.1), edgeMs * (1 + 1e-9)).verdict).toBe('shifting-to-rest');
    expect(shiftAgainst(reference(40, 0.1), 40 / Math.exp(0.1) / (1 - 1e-9)).verdict).toBe('no-clear-change');
    expect(shiftAgainst(reference(40, 0.1), 40 / Math.exp(0.1) / (1 + 1e-9)).verdict).toBe('activated');
  });

  it('unknown with a reason when either side is missing', () => {
    expect(shiftAgainst(null, 50).words).toContain('no baseline');
    expect(shiftAgainst(reference(40, 0.1), null, 'settling').words).toBe('settling');
    expect(shiftAgainst(reference(null, null), 50).verdict).toBe('unknown');
    expect(shiftAgainst(reference(40, 0.1), 0).verdict).toBe('unknown');
  });
});

describe('describeShift', () => {
  it('the report sentence', () => {
    expect(describeShift(shiftAgainst(reference(41, Math.log(1.06)), 58))).toBe(
      "RMSSD 41 → 58 ms (+41 %): beyond the baseline's noise (±6 %): shifting to rest",
    );
    expect(describeShift(shiftAgainst(reference(58, Math.log(1.06)), 41))).toBe(
      "RMSSD 58 → 41 ms (−29 %): beyond the baseline's noise (±6 %): activated",
    );
    expect(describeShift(shiftAgainst(reference(41, Math.log(1.06)), 42))).toBe(
      "RMSSD 41 → 42 ms (+2 %): within the baseline's noise (±6 %): no clear change",
    );
  });

  it('no figure that is still marked "check the source" in hrv-methods.md', () => {
    const texts = [
      describeShift(shiftAgainst(reference(41, 0.06), 58)),
      shiftAgainst(reference(41, 0.06), 58).words,
      shiftAgainst(reference(41, 0.06), 41).words,
      shiftAgainst(reference(58, 0.06), 41).words,
    ];
    for (const text of texts) expect(text).not.toMatch(/0\.5|half|Plews|Buchheit|SWC/);
  });
});
