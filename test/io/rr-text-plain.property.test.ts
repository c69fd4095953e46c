import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseRrText, type TimeUnit } from '../../src/io/rr-file.js';
import { parsePlainRrText, parseRrTextLines } from '../../src/io/rr-text.js';
import { contentLines, splitLines } from '../../src/io/text.js';

/**
 * The one-pass reader of plain RR text must give exactly what the general reader gives (values bit for bit, format,
 * meta with its keys in the same order), with or without a unit given, and must step aside (undefined) whenever the
 * general reader refuses the text or reads it another way. The texts are shaped like real exports: ms integers,
 * seconds with decimals, seconds with a time offset on the first line (PhysioNet `rr_secs`), seconds with a header,
 * ms with an outlier of 10 000 ms or more, seconds with long gaps, beat times instead of intervals — each with a few
 * tokens a real file may hold instead of a plain value.
 */

const rrMs = fc.integer({ min: 300, max: 2000 });
/** An interval in seconds as exports write it: 3 decimals, 8 decimals (PhysioNet), or a bare integer second. */
const rrSeconds = fc.oneof(
  { weight: 4, arbitrary: rrMs.map((ms) => (ms / 1000).toFixed(3)) },
  { weight: 3, arbitrary: fc.integer({ min: 300, max: 2000 * 128 }).map((x) => (x / 128_000).toFixed(8)) },
  { weight: 1, arbitrary: fc.constantFrom('1', '2') },
);
const values = (value: fc.Arbitrary<string>) => fc.array(value, { minLength: 1, maxLength: 30 });

const shape = fc.oneof(
  // ms, one value per line (Elite HRV raw, Kubios "Type 1", recordings/), some with a fraction
  values(
    fc.oneof(
      { weight: 5, arbitrary: rrMs.map(String) },
      { weight: 1, arbitrary: fc.double({ min: 250, max: 2500, noNaN: true }).map((x) => x.toFixed(2)) },
    ),
  ),
  // seconds with decimals
  values(rrSeconds),
  // PhysioNet rr_secs: a time offset first (225.8 s; or 5.9 s in a CHF file), then seconds
  fc
    .tuple(
      fc.double({ min: 2.4, max: 5000, noNaN: true }).map((x) => x.toFixed(8)),
      values(rrSeconds),
    )
    .map(([offset, rest]) => [offset, ...rest]),
  // seconds with a header line (the general path's CSV reader takes it)
  values(rrSeconds).map((rest) => ['RR', ...rest]),
  // ms with an outlier of 10 000 ms or more (a dropout), anywhere
  fc.tuple(values(rrMs.map(String)), fc.integer({ min: 10_000, max: 99_999 }), fc.nat()).map(([rest, outlier, at]) => {
    const out = [...rest];
    out.splice(at % (out.length + 1), 0, String(outlier));
    return out;
  }),
  // seconds with long gaps: the median may say ms, the plausibility check then refuses
  values(fc.oneof(rrSeconds, fc.integer({ min: 10, max: 20 }).map(String))),
  // beat times (only increasing), refused as such
  fc.array(rrMs, { minLength: 3, maxLength: 30 }).map((rr) => {
    let t = 0;
    return rr.map((ms) => {
      t += ms;
      return (t / 1000).toFixed(3);
    });
  }),
);

/** What a real file may hold instead of a plain value. */
const odd = fc.constantFrom(
  '0',
  '000',
  '0.0',
  '0789',
  '86400000',
  '86400001',
  '86400.001',
  '999999999',
  '1234567890',
  '12345678901234567890',
  '766.',
  '.5',
  '1e3',
  '-700',
  '+700',
  '7 00',
  ' 700',
  '700 ',
  '700,5',
  '700;1',
  '0x1F',
  'rr_ms',
  '# comment',
  '',
  '\t',
  '1.2.3',
  '٣',
);
const separator = fc.oneof(
  { weight: 10, arbitrary: fc.constant('\n') },
  { weight: 3, arbitrary: fc.constant('\r\n') },
  { weight: 1, arbitrary: fc.constantFrom('\r', '\n\n', '\r\n\r\n', ' \n') },
);
const text = fc
  .tuple(
    shape,
    fc.array(fc.tuple(fc.nat(), odd), { maxLength: 2 }),
    fc.array(separator, { minLength: 40, maxLength: 40 }),
    fc.constantFrom('', '\n', '\r\n', '\n\n'),
    fc.nat({ max: 4 }),
  )
  .map(([tokens, odds, separators, end, dice]) => {
    const all = [...tokens];
    // most texts stay plain; one in five gets tokens a real file may hold instead of a value
    if (dice === 0) for (const [at, token] of odds) all[at % all.length] = token;
    return (
      all.map((t, i) => (i === all.length - 1 ? t : t + (separators[i % separators.length] as string))).join('') + end
    );
  });
const units = fc.constantFrom<TimeUnit | undefined>(undefined, undefined, 's', 'ms');

/** The general reader for headerless numeric text, as `parseRrText` reaches it; a refusal is `undefined`. */
function general(source: string, unit: TimeUnit | undefined) {
  const lines = splitLines(source);
  try {
    return parseRrTextLines(lines, contentLines(lines), 'p.txt', unit);
  } catch {
    return undefined;
  }
}

/** One plain decimal per line (blank lines allowed), LF or CRLF, at least two values: the fast reader's own shape. */
function isPlain(source: string): boolean {
  if (/\r(?!\n)/.test(source)) return false;
  const lines = source.split(/\r?\n/).filter((line) => line !== '');
  return lines.length >= 2 && lines.every((line) => /^\d{1,9}(?:\.\d+)?$/.test(line));
}

function expectSame(fast: ReturnType<typeof parsePlainRrText>, slow: ReturnType<typeof parsePlainRrText>): void {
  expect(slow).toBeDefined();
  expect(fast?.format).toBe(slow?.format);
  expect(fast?.meta).toEqual(slow?.meta);
  expect(Object.keys(fast?.meta ?? {})).toEqual(Object.keys(slow?.meta ?? {}));
  expect(fast?.rrMs.length).toBe(slow?.rrMs.length);
  for (let i = 0; i < (fast?.rrMs.length ?? 0); i++) expect(Object.is(fast?.rrMs[i], slow?.rrMs[i])).toBe(true);
}

describe('plain RR text in one pass', () => {
  it('reads exactly what the general reader reads (the same unit rule, offset, plausibility), or steps aside', () => {
    const read = { ms: 0, s: 0, offset: 0, option: 0 };
    fc.assert(
      fc.property(text, units, (source, unit) => {
        const fast = parsePlainRrText(source, unit);
        if (fast === undefined) {
          // it steps aside only for a text of another shape, or one the general reader refuses
          if (isPlain(source)) expect(general(source, unit)).toBeUndefined();
          return;
        }
        if (fast.meta.unit === 'ms') read.ms++;
        else read.s++;
        if (fast.meta.leadingOffsetS !== undefined) read.offset++;
        if (fast.meta.unitSource === 'option') read.option++;
        expectSame(fast, general(source, unit));
        // and the file reader as a whole gives that result
        const whole = parseRrText(source, 'p.txt', unit === undefined ? {} : { units: unit });
        expect(whole.format).toBe('rr-text');
        expect(whole.meta).toEqual(fast.meta);
        expect(Array.from(whole.rrMs)).toEqual(Array.from(fast.rrMs));
      }),
      { numRuns: 4000, seed: 20_260_717 },
    );
    // the generator must exercise the fast path in every unit, with offsets and with a given unit
    expect(read.ms).toBeGreaterThan(300);
    expect(read.s).toBeGreaterThan(300);
    expect(read.offset).toBeGreaterThan(50);
    expect(read.option).toBeGreaterThan(300);
  });

  it('steps aside for every text the general reader refuses or reads another way', () => {
    expect(parsePlainRrText('789\n0\n800\n')).toBeUndefined(); // 0 is no interval
    expect(parsePlainRrText('789\n86400001\n')).toBeUndefined(); // longer than a day
    expect(parsePlainRrText('789\n')).toBeUndefined(); // one value: too short
    expect(parsePlainRrText('789\r800\r')).toBeUndefined(); // bare CR line ends
    expect(parsePlainRrText('789 800\n')).toBeUndefined(); // two columns
    expect(parsePlainRrText('RR\n0.789\n0.8\n')).toBeUndefined(); // a header: the CSV reader
    expect(parsePlainRrText('8\n9\n')).toBeUndefined(); // no human rhythm in either unit: refused, saying why
    expect(parsePlainRrText('0.352\n1.1\n1.9\n2.7\n3.5\n4.3\n5.1\n5.9\n')).toBeUndefined(); // beat times: refused as such
    expect(Array.from(parsePlainRrText('789\r\n\r\n800.25\n')?.rrMs ?? [])).toEqual([789, 800.25]);
  });

  it('reads the real shapes as the general reader does: seconds with an offset line, ms with an outlier', async () => {
    const fixtures = new URL('../fixtures/formats/synthetic/', import.meta.url);
    for (const name of ['physionet_rr_secs_with_offset.txt', '2019-03-02 07-15-00.txt']) {
      const source = await readFile(new URL(name, fixtures), 'utf8');
      const fast = parsePlainRrText(source);
      expect(fast, name).toBeDefined();
      expectSame(fast, general(source, undefined));
    }
    const offset = parsePlainRrText('\n5.86718750\n0.75781250\n0.78906250\n0.76562500\n0.73437500\n');
    expect(offset?.meta).toEqual({
      unitSource: 'magnitude',
      intervalKind: 'rr',
      leadingOffsetS: '5.86718750',
      leadingOffsetLine: '2',
      unit: 's',
    });
    expect(Array.from(offset?.rrMs ?? [])).toEqual([757.8125, 789.0625, 765.625, 734.375]);
    const outlier = parsePlainRrText('812\n10240\n790\n805\n');
    expect(outlier?.meta).toEqual({ unitSource: 'magnitude', intervalKind: 'rr', unit: 'ms' });
    expect(Array.from(outlier?.rrMs ?? [])).toEqual([812, 10_240, 790, 805]);
  });
});
