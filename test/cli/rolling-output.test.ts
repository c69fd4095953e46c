import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CSV_HEADER, RollingCsvWriter } from '../../src/cli/rolling-output.js';
import { type LiveMetrics, RollingEngine } from '../../src/hrv/rolling.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { definitionRow } from '../helpers/rolling-csv.js';

/** Everything the writer hands its sink, as text, and the size of each hand-over. */
async function written(rows: readonly LiveMetrics[]): Promise<{ text: string; chunks: number[] }> {
  const parts: Buffer[] = [];
  const chunks: number[] = [];
  const writer = new RollingCsvWriter(async (bytes) => {
    chunks.push(bytes.length);
    parts.push(Buffer.from(bytes)); // the view is reused afterwards: copy it
    await Promise.resolve();
  });
  writer.header();
  for (const m of rows) await writer.row(m);
  await writer.flush();
  return { text: Buffer.concat(parts).toString('utf8'), chunks };
}

function engineRows(rrMs: ArrayLike<number>, options: ConstructorParameters<typeof RollingEngine>[0] = {}) {
  const engine = new RollingEngine(options);
  const rows: LiveMetrics[] = [];
  let tS = 0;
  for (let i = 0; i < rrMs.length; i++) {
    tS += rrMs[i] / 1000;
    rows.push(...engine.push(rrMs[i], tS, false));
  }
  rows.push(...engine.flush());
  return rows;
}

function metrics(overrides: Partial<LiveMetrics>, quality: Partial<LiveMetrics['quality']> = {}): LiveMetrics {
  return {
    seq: 0,
    tS: 1,
    rrMs: 800,
    kind: 'normal',
    meanRrMs: null,
    meanHrBpm: null,
    sdnnMs: null,
    rmssdMs: null,
    lnRmssd: null,
    pnn50Pct: null,
    lfMs2: null,
    hfMs2: null,
    lnHf: null,
    lfHfRatio: null,
    hfPeakHz: null,
    respirationRateBpm: null,
    spectralAtS: null,
    ...overrides,
    quality: {
      beatsInWindow: 1,
      differences: 0,
      correctedPct: 0,
      coveredS: 0,
      gapInWindow: false,
      settling: true,
      tooIrregular: false,
      reason: null,
      spectralSegments: 0,
      spectralProvisional: false,
      spectralReason: null,
      respirationNote: null,
      ...quality,
    },
  };
}

describe('rolling CSV bytes', () => {
  it('equal the definition on the engine output of real recordings (60 s and 30 s windows, without correction)', async () => {
    for (const [file, variants] of [
      ['bartels_noisy_rri_polar.txt', [{}, { rmssdWindowS: 30 }, { correction: false }]],
      ['polar_h10_detectPVC_rr.csv', [{}]],
    ] as const) {
      const { rrMs } = await readRrFile(`recordings/${file}`);
      for (const options of variants) {
        const rows = engineRows(rrMs, options);
        const { text } = await written(rows);
        expect(text).toBe(CSV_HEADER + rows.map(definitionRow).join(''));
      }
    }
  });

  it('equal the definition on values real recordings do not hold', async () => {
    const odd = [
      0.1,
      -0.5,
      -0,
      1e21,
      1.5e21,
      123456789012345,
      1234567890123456,
      -1234567890123456,
      1e-7,
      5e-324,
      Number.MAX_VALUE,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      999999999999999,
      1e15,
    ];
    const rows: LiveMetrics[] = [];
    odd.forEach((v, i) => {
      rows.push(
        metrics(
          // the four time-domain values (written together at the hand-over): each odd value, null among them
          { seq: i, tS: v, rrMs: v, meanHrBpm: v, rmssdMs: i % 2 ? v : null, lnRmssd: -v, sdnnMs: i % 3 ? null : v },
          { beatsInWindow: i, correctedPct: v },
        ),
      );
      rows.push(metrics({ seq: i, hfMs2: v, meanHrBpm: null, rmssdMs: v, lnRmssd: null, sdnnMs: v }));
    });
    // each spectral field changing alone (to a value and to null) while the other five stay: never the previous text
    const spectral = {
      hfMs2: 1234.5,
      lfMs2: 2345.25,
      lfHfRatio: 1.9,
      hfPeakHz: 0.25,
      respirationRateBpm: 15,
      spectralAtS: 8,
    } as const;
    for (const field of Object.keys(spectral) as (keyof typeof spectral)[]) {
      rows.push(metrics(spectral));
      rows.push(metrics({ ...spectral, [field]: spectral[field] + 1 }));
      rows.push(metrics({ ...spectral, [field]: null }));
      rows.push(metrics(spectral));
    }
    rows.push(metrics({ kind: 'ectopic' }, { reason: 'too irregular: 7.1 % of beats corrected (limit 5 %)' }));
    rows.push(metrics({}, { reason: null, spectralReason: 'a, reason with commas, in quotes' }));
    rows.push(metrics({}, { reason: 'nicht ganz regelmäßig — “ok”', tooIrregular: true, settling: false }));
    rows.push(metrics({}, { reason: 'x'.repeat(5000) }));
    const { text } = await written(rows);
    expect(text).toBe(CSV_HEADER + rows.map(definitionRow).join(''));
  });

  it('write every beat time as String(round(t·1e6) / 1e6) does', async () => {
    const times = fc.oneof(
      fc.double({ min: 0, max: 2e9, noNaN: true }),
      fc.double({ min: 1e9, max: 1e12, noNaN: true }),
      fc.double({ min: 0, max: 1e-5, noNaN: true }),
      fc.integer({ min: 0, max: 999_999_999_999_999 }).map((r) => r / 1e6),
      fc.integer({ min: 0, max: 999_999_999 }).map((s) => s + 0.999_999_5),
      fc.constantFrom(0, -0, 5e-7, 4.9e-7, 1e-6, 999_999_999.999_999, 999_999_999.999_999_5, 1e9, -1.25, 1e300),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(times, { minLength: 1, maxLength: 50 }), async (ts) => {
        const rows = ts.map((tS, seq) => metrics({ seq, tS, spectralAtS: tS }));
        const { text } = await written(rows);
        expect(text).toBe(CSV_HEADER + rows.map(definitionRow).join(''));
      }),
      { numRuns: 300, seed: 4_096 },
    );
  });

  it('hands the stream large chunks, not lines', async () => {
    const { rrMs } = await readRrFile('recordings/bartels_noisy_rri_polar.txt');
    const rows = engineRows(rrMs);
    const { text, chunks } = await written(rows);
    expect(text.length).toBeGreaterThan(2 * 2 ** 18);
    expect(chunks.length).toBeLessThan(text.length / 2 ** 17);
    expect(Math.min(...chunks.slice(0, -1))).toBeGreaterThan(2 ** 17);
  });
});
