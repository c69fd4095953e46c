import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatRrText, parseRrText } from '../../src/io/rr-file.js';
import { formatTablesideBeats, parseTablesideBeats, type TablesideBeat } from '../../src/io/tableside-format.js';
import { MAX_RR_MS } from '../../src/io/text.js';

/** Any double a reader takes as an RR interval: positive, up to a day (MAX_RR_MS). */
const positive = fc.double({ min: Number.MIN_VALUE, max: MAX_RR_MS, noNaN: true });

/** Any positive doubles: read back with the unit said (`units: 'ms'`), since values like these have no unit to find. */
const rrSeries = fc.array(positive, { minLength: 2, maxLength: 60 });

/**
 * What a recording holds: intervals of 300–2000 ms (any double), with up to a tenth of artefacts from 0.1 ms to a
 * minute. Read back without a unit: decided from the median (see unitByMedian).
 */
const recordingSeries = fc.array(
  fc.oneof(
    { weight: 9, arbitrary: fc.double({ min: 300, max: 2000, noNaN: true }) },
    { weight: 1, arbitrary: fc.double({ min: 0.1, max: 60_000, noNaN: true }) },
  ),
  { minLength: 2, maxLength: 60 },
);

const beatSeries = fc
  .record({
    firstSeq: fc.nat({ max: 1_000_000 }),
    startS: fc.double({ min: 0, max: 1e6, noNaN: true }),
    steps: fc.array(
      fc.record({
        rrMs: positive,
        stepS: fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        flags: fc.integer({ min: 0, max: 3 }),
      }),
      { maxLength: 60 },
    ),
  })
  .map(({ firstSeq, startS, steps }) => {
    let tS = startS;
    return steps.map((step, i): TablesideBeat => {
      tS += step.stepS;
      return { seq: firstSeq + i, tS, rrMs: step.rrMs, flags: step.flags };
    });
  });

const meta = fc.dictionary(
  fc.stringMatching(/^[A-Za-z][\w.-]{0,12}$/),
  fc.string({ maxLength: 20 }).filter((v) => !/[\r\n]/.test(v)),
  { maxKeys: 4 },
);

describe('writers round-trip exactly', () => {
  it('plain RR text, any positive doubles, read back as ms', () => {
    fc.assert(
      fc.property(rrSeries, (rrMs) => {
        const back = parseRrText(formatRrText(rrMs), 'p.txt', { units: 'ms' });
        expect(back.format).toBe('rr-text');
        expect(Array.from(back.rrMs)).toEqual(rrMs);
      }),
      { numRuns: 300 },
    );
  });

  it('plain RR text, integers of any size up to a day, read back as ms', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: MAX_RR_MS }), { minLength: 2, maxLength: 60 }), (rrMs) => {
        expect(Array.from(parseRrText(formatRrText(rrMs), 'p.txt', { units: 'ms' }).rrMs)).toEqual(rrMs);
      }),
    );
  });

  it('plain RR text of a recording reads back exactly without a unit (ms from the median, any artefacts)', () => {
    fc.assert(
      fc.property(recordingSeries, (rrMs) => {
        // More than half artefacts leaves no rhythm to decide the unit by: that is refused, not guessed.
        fc.pre(rrMs.filter((v) => v >= 300 && v <= 2000).length > rrMs.length / 2);
        const back = parseRrText(formatRrText(rrMs), 'p.txt');
        expect(back.meta).toMatchObject({ unit: 'ms', unitSource: 'magnitude' });
        expect(Array.from(back.rrMs)).toEqual(rrMs);
      }),
      { numRuns: 300 },
    );
  });

  it('tableside beats v1', () => {
    fc.assert(
      fc.property(beatSeries, meta, (beats, fileMeta) => {
        const text = formatTablesideBeats(beats, fileMeta);
        expect(parseTablesideBeats(text, 'b.csv')).toEqual({ beats, meta: fileMeta });
        if (beats.length >= 2) {
          const rec = parseRrText(text, 'b.csv');
          expect(Array.from(rec.rrMs)).toEqual(beats.map((b) => b.rrMs));
          expect(rec.gapBefore).toEqual(beats.map((b) => (b.flags & 1) !== 0));
        }
      }),
      { numRuns: 300 },
    );
  });
});

// Garbage, mutated real files and hostile values, counted: test/fuzz/readers.fuzz.test.ts.
