/**
 * The live-metrics operator: marble tests of what passes through and when (every event in order, metrics after
 * their beat, the held beats at the end, errors and unsubscription passed on), then its values against RMSSD
 * recomputed here from its definition and against a rolling engine fed the same beats on its own.
 */
import { from, lastValueFrom, map, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BeatEvent, MetricsEvent, PipelineEvent } from '../../src/domain/events.js';
import { RollingEngine } from '../../src/hrv/rolling.js';
import { withLiveMetrics } from '../../src/pipeline/metrics.js';
import { toBeatTimeline } from '../../src/pipeline/timeline.js';
import { simulatedSource } from '../../src/sources/simulated.js';

/** Beats of the given RR values, ms, end to end from beat time 0, each received 1 ms after the one before. */
function beatsOf(rrMs: readonly number[], gapBeforeSeq: ReadonlySet<number> = new Set()): BeatEvent[] {
  let tS = 0;
  return rrMs.map((rr, seq) => {
    tS += rr / 1000;
    return { type: 'beat', seq, tS, rrMs: rr, gapBefore: gapBeforeSeq.has(seq), receivedAtMs: 1000 + seq };
  });
}

const others = {
  sample: { type: 'sample', sourceTimeMs: 0, receivedAtMs: 0, payload: null, rrMs: [1000], error: null },
  gap: { type: 'gap', fromS: 3, toS: 9, reason: 'link lost', receivedAtMs: 0 },
  status: { type: 'status', status: { state: 'live' }, sourceTimeMs: 0, receivedAtMs: 0 },
} satisfies Record<string, PipelineEvent>;

/** Output in short: `beat 3`, `metrics 1`, `sample`, … */
function compact(e: PipelineEvent): string {
  if (e.type === 'beat') return `beat ${e.seq}`;
  if (e.type === 'metrics') return `metrics ${e.metrics.seq}`;
  return e.type;
}

function marbles(body: (helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0]) => void): void {
  new TestScheduler((actual, expected) => expect(actual).toEqual(expected)).run(body);
}

describe('withLiveMetrics (marble tests)', () => {
  // RR near 1 s: normal beats for the artefact layer.
  const [a, b, c, d, e, f] = beatsOf([1000, 1010, 990, 1005, 995, 1000]);
  const input = { a, b, c, d, e, f, ...others, s: others.sample, g: others.gap, t: others.status };
  const out = {
    a: 'beat 0',
    b: 'beat 1',
    c: 'beat 2',
    d: 'beat 3',
    e: 'beat 4',
    f: 'beat 5',
    A: 'metrics 0',
    B: 'metrics 1',
    C: 'metrics 2',
    D: 'metrics 3',
    E: 'metrics 4',
    F: 'metrics 5',
    s: 'sample',
    g: 'gap',
    t: 'status',
  };

  it('passes every event through in order; without correction each beat is followed at once by its metrics', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('s---a---b---g---c---t---d---|', input);
      const output = source.pipe(withLiveMetrics({ correction: false }), map(compact));
      expectObservable(output).toBe('s---(aA)(bB)g---(cC)t---(dD)|', out);
      expectSubscriptions(source.subscriptions).toBe('^---------------------------!');
    });
  });

  it('with correction, metrics follow their beat once the artefact layer has decided it; the rest at the end', () => {
    // The artefact layer decides a normal beat two beats later (its decision rules need dRR[n+1] and dRR[n+2]), and
    // releases the beats it still holds when the stream completes: every beat gets its metrics, in order.
    marbles(({ cold, expectObservable }) => {
      const source = cold('a---b---c---d---e---f---|', input);
      expectObservable(source.pipe(withLiveMetrics(), map(compact))).toBe('a---b---(cA)(dB)(eC)(fD)(EF|)', out);
    });
  });

  it('passes an error on as it is, after the events before it', () => {
    const fault = new Error('strap driver failed');
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a---s---b---#', input, fault);
      const output = source.pipe(withLiveMetrics({ correction: false }), map(compact));
      expectObservable(output).toBe('(aA)s---(bB)#', out, fault);
      expectSubscriptions(source.subscriptions).toBe('^-----------!');
    });
  });

  it('unsubscribes from its source when its subscriber does', () => {
    marbles(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('a---b---c---d---|', input);
      expectObservable(source.pipe(withLiveMetrics({ correction: false }), map(compact)), '^-----!').toBe(
        '(aA)(bB)',
        out,
      );
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
  });

  it('a metrics event carries the arrival time of the beat that released it; the flushed ones, the time of the end', async () => {
    const beforeMs = Date.now();
    const events = await lastValueFrom(from([a, b, c, d, e, f]).pipe(withLiveMetrics(), toArray()));
    const received = events.filter((x) => x.type === 'metrics').map((m) => [m.metrics.seq, m.receivedAtMs]);
    // Beat k is released by beat k + 2 (two beats of look-ahead); 4 and 5 by the end of the stream.
    expect(received.slice(0, 4)).toEqual([0, 1, 2, 3].map((k) => [k, 1000 + k + 2]));
    expect(received.slice(4).map(([seq]) => seq)).toEqual([4, 5]);
    for (const [, atMs] of received.slice(4)) expect(atMs).toBeGreaterThanOrEqual(beforeMs);
  });
});

/** Runs beats through the operator (synchronously) and returns its metrics. */
async function metricsOf(beats: readonly PipelineEvent[], options = {}): Promise<MetricsEvent['metrics'][]> {
  const out = await lastValueFrom(from(beats).pipe(withLiveMetrics(options), toArray()));
  return out.flatMap((e) => (e.type === 'metrics' ? [e.metrics] : []));
}

/**
 * RMSSD by its definition (Task Force 1996), on the window the engine documents: the beats whose end time lies in
 * (tS − windowS, tS], never reaching back past the start of the run (the first beat after a gap starts a run);
 * successive differences only between neighbours inside the window. Also the settling rule: valid from windowS / 2
 * differences and 5/6 of the window covered by beats.
 */
function byDefinition(beats: readonly BeatEvent[], windowS: number) {
  let runStartS = 0;
  const runStarts = beats.map((beat) => {
    if (beat.seq === 0 || beat.gapBefore) runStartS = beat.tS - beat.rrMs / 1000;
    return runStartS;
  });
  return beats.map((beat, k) => {
    const fromS = Math.max(beat.tS - windowS, runStarts[k]);
    const inWindow = beats.filter((x) => x.tS > fromS && x.tS <= beat.tS).map((x) => x.rrMs);
    const squares = inWindow.slice(1).map((rr, i) => (rr - inWindow[i]) ** 2);
    const coveredS = inWindow.reduce((sum, rr) => sum + rr, 0) / 1000;
    const settled = squares.length >= Math.round(windowS / 2) && coveredS >= (windowS * 5) / 6;
    return settled ? Math.sqrt(squares.reduce((sum, x) => sum + x, 0) / squares.length) : null;
  });
}

describe('withLiveMetrics values', () => {
  it('on beats alternating 1000 and 1040 ms, RMSSD is 40 ms exactly, once the 60 s window has settled', async () => {
    const beats = beatsOf(Array.from({ length: 120 }, (_, i) => (i % 2 === 0 ? 1000 : 1040)));
    const metrics = await metricsOf(beats);
    expect(metrics.map((m) => m.seq)).toEqual(beats.map((x) => x.seq));
    const valid = metrics.filter((m) => m.rmssdMs !== null);
    expect(valid.length).toBeGreaterThan(50);
    for (const m of valid) {
      expect(m.rmssdMs).toBeCloseTo(40, 9);
      expect(m.lnRmssd).toBeCloseTo(Math.log(40), 9);
    }
    // Settling: null exactly where the definition's window is not yet full enough.
    expect(metrics.map((m) => m.rmssdMs === null)).toEqual(byDefinition(beats, 60).map((v) => v === null));
  });

  it('on an irregular series with a gap, RMSSD equals the definition recomputed on each beat’s window', async () => {
    // Breathing-like swings plus a slow drift, all well inside the artefact layer's thresholds; a lost contact
    // before beat 150: the windows restart after it.
    const rrMs = Array.from(
      { length: 260 },
      (_, k) => 900 + 45 * Math.sin((2 * Math.PI * k) / 4.3) + 20 * Math.sin((2 * Math.PI * k) / 37) + (k % 7),
    );
    const beats = beatsOf(rrMs, new Set([150]));
    const gapS = 5; // short: a window spanning it would still be covered enough to give a value
    for (const beat of beats.slice(150)) (beat as { tS: number }).tS += gapS;
    const metrics = await metricsOf(beats);
    expect(metrics.every((m) => m.kind === 'normal')).toBe(true);
    const expected = byDefinition(beats, 60);
    expect(expected.filter((v) => v !== null).length).toBeGreaterThan(100);
    expect(metrics.map((m) => m.rmssdMs === null)).toEqual(expected.map((v) => v === null));
    metrics.forEach((m, k) => {
      if (m.rmssdMs !== null) expect(m.rmssdMs).toBeCloseTo(expected[k] as number, 9);
    });
    // The fast (30 s) window follows the same definition.
    const fast = await metricsOf(beats, { rmssdWindowS: 30 });
    const expectedFast = byDefinition(beats, 30);
    expect(fast.map((m) => m.rmssdMs === null)).toEqual(expectedFast.map((v) => v === null));
    fast.forEach((m, k) => {
      if (m.rmssdMs !== null) expect(m.rmssdMs).toBeCloseTo(expectedFast[k] as number, 9);
    });
  });

  it('on a simulated session with link losses and ectopic beats, equals a rolling engine fed the same beats', async () => {
    const source = simulatedSource({
      seed: 5,
      durationS: 900,
      speed: 'max',
      dropouts: [[200, 15]],
      ectopicPerMin: 2,
      missedPerMin: 0.5,
    });
    const timeline = await lastValueFrom(source.events$.pipe(toBeatTimeline(), toArray()));
    const beats = timeline.filter((x): x is BeatEvent => x.type === 'beat');
    expect(beats.some((x) => x.gapBefore)).toBe(true);

    const engine = new RollingEngine();
    const reference = beats.flatMap((x) => engine.push(x.rrMs, x.tS, x.gapBefore).map((m) => ({ ...m })));
    reference.push(...engine.flush());
    const metrics = await metricsOf(timeline);
    expect(metrics).toEqual(reference);
    expect(metrics.some((m) => m.kind !== 'normal')).toBe(true);
    expect(metrics.some((m) => m.hfMs2 !== null)).toBe(true);
  });
});
