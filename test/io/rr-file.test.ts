import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRrText, RrFileError, type RrFileErrorCode, readRrFile } from '../../src/io/rr-file.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const recording = (name: string): string => join(root, 'recordings', name);
const fixture = (name: string): string => join(root, 'test/fixtures/formats', name);

/** The recordings are one integer ms per line (see recordings/SOURCE.txt): read them the dumbest possible way. */
async function plainValues(name: string): Promise<number[]> {
  const text = await readFile(recording(name), 'utf8');
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map(Number);
}

function sum(values: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < values.length; i++) total += values[i] as number;
  return total;
}

/** Runs `fn`, expects an RrFileError, and returns it for field checks. */
function rrError(fn: () => unknown): RrFileError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(RrFileError);
    return error as RrFileError;
  }
  throw new Error('expected an RrFileError, got a result');
}

async function rrErrorAsync(promise: Promise<unknown>): Promise<RrFileError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(RrFileError);
  return error as RrFileError;
}

function expectError(error: RrFileError, code: RrFileErrorCode, file: string, line: number | undefined): void {
  expect(error.code).toBe(code);
  expect(error.file).toBe(file);
  expect(error.line).toBe(line);
  expect(error.message.startsWith(line === undefined ? `${file}: ` : `${file}:${line}: `)).toBe(true);
}

describe('recordings/', () => {
  // count and duration (sum) from recordings/REFERENCE.md; first and last values as stored
  const cases = [
    { file: 'bartels_rest_rri.txt', n: 910, first: 1114, last: 1021, sumMs: 963_434 },
    { file: 'bartels_test_real_rri.txt', n: 771, first: 1136, last: 1175, sumMs: 916_067 },
    { file: 'bartels_noisy_rri_polar.txt', n: 3581, first: 904, last: 808, sumMs: 2_403_015 },
    { file: 'pyhrv_nni_short_5min.txt', n: 337, first: 859, last: 852, sumMs: 299_578 },
    { file: 'pyhrv_nni_long_60min.txt', n: 4684, first: 664, last: 930, sumMs: 3_599_365 },
    { file: 'physionet_rr_healthy_000.txt', n: 80441, first: 789, last: 703, sumMs: 75_887_090 },
    { file: 'polar_h10_detectPVC_rr.csv', n: 798, first: 421, last: 1106, sumMs: 599_448 },
  ];

  it.each(cases)('$file reads $n intervals', async ({ file, n, first, last, sumMs }) => {
    const rec = await readRrFile(recording(file));
    expect(rec.rrMs.length).toBe(n);
    expect(rec.rrMs[0]).toBe(first);
    expect(rec.rrMs[n - 1]).toBe(last);
    expect(sum(rec.rrMs)).toBe(sumMs);
    expect(rec.meta.unit).toBe('ms');
    expect(rec.gapBefore).toBeUndefined();
  });

  it('reads the .txt recordings as plain RR text, value for value', async () => {
    const rec = await readRrFile(recording('bartels_rest_rri.txt'));
    expect(rec.format).toBe('rr-text');
    expect(Array.from(rec.rrMs)).toEqual(await plainValues('bartels_rest_rri.txt'));
  });

  it('reads the detectPVC csv by its rr_ms column, NA in hr_bpm being no problem', async () => {
    const rec = await readRrFile(recording('polar_h10_detectPVC_rr.csv'));
    expect(rec.format).toBe('rr-csv');
    expect(rec.meta).toMatchObject({ rrColumn: 'rr_ms', unit: 'ms', unitSource: 'header' });
    // time_ns of the first row, 1714920600436237312 ns since 1970
    expect(rec.startedAt).toBe('2024-05-05T14:50:00.436Z');
  });
});

describe('real samples (test/fixtures/formats)', () => {
  it('Polar HRM in R-R mode gives the same 3581 values as recordings/bartels_noisy_rri_polar.txt', async () => {
    const rec = await readRrFile(fixture('polar-hrm/rhenanbartels-hrv_noisy_rri.hrm'));
    expect(rec.format).toBe('polar-hrm');
    expect(Array.from(rec.rrMs)).toEqual(await plainValues('bartels_noisy_rri_polar.txt'));
    expect(rec.startedAt).toBe('2008-01-25T08:57:29.000');
    expect(rec.meta['hrm.Interval']).toBe('238');
    // the file's own Length=00:40:03.0 agrees with the RR sum to 0.1 s
    expect(Math.abs(sum(rec.rrMs) / 1000 - 2403.0)).toBeLessThan(0.1);
  });

  it('Kubios report: 423 RR from the RR block, seconds to ms, summing to 299.291 s', async () => {
    const rec = await readRrFile(fixture('kubios/PGomes92-kubios_SampleReport.txt'));
    expect(rec.format).toBe('kubios-report');
    expect(rec.rrMs.length).toBe(423);
    expect(sum(rec.rrMs)).toBe(299_291);
    expect(rec.rrMs[0]).toBe(766);
    expect(rec.rrMs[422]).toBe(633);
    expect(rec.meta).toMatchObject({ unit: 's', unitSource: 'header', 'kubios.File type': 'asciiRR' });
    expect(rec.startedAt).toBeUndefined();
  });

  it('Kubios-style export: 7 # lines, then 423 values like 766.000, read as ms — the same series as the report', async () => {
    const rec = await readRrFile(fixture('kubios/PGomes92-kubios_SampleExport.txt'));
    const report = await readRrFile(fixture('kubios/PGomes92-kubios_SampleReport.txt'));
    expect(rec.format).toBe('rr-text');
    expect(rec.rrMs.length).toBe(423);
    expect(rec.meta).toMatchObject({ unit: 'ms', unitSource: 'magnitude', 'comment.File': 'RandomSamples' });
    expect(Array.from(rec.rrMs)).toEqual(Array.from(report.rrMs));
  });

  it('Welltory: one line of space-separated ms, no newline at all', async () => {
    const rec = await readRrFile(fixture('welltory/welltory-ppg-dataset_subject_01_RR.txt'));
    expect(rec.format).toBe('rr-text');
    expect(rec.rrMs.length).toBe(100);
    expect(rec.rrMs[0]).toBe(1203);
    expect(rec.rrMs[99]).toBe(1165);
  });

  it('Polar Sensor Logger PPI: PP-interval [ms] accepted as RR, labelled ppi, blocker rows counted', async () => {
    const rec = await readRrFile(fixture('polar-sensor-logger/BIOBSS_Polar_Sense_PPI.txt'));
    expect(rec.format).toBe('rr-csv');
    expect(rec.rrMs.length).toBe(442);
    expect(rec.rrMs[0]).toBe(1117);
    expect(rec.rrMs[441]).toBe(1202);
    expect(rec.meta).toMatchObject({ intervalKind: 'ppi', rrColumn: 'PP-interval [ms]', ppiBlockerRows: '21' });
    expect(rec.startedAt).toBe('2022-04-25T11:39:41.224');
  });

  it('Polar Sensor Logger HR stream is refused: HR samples, not RR', async () => {
    const file = fixture('polar-sensor-logger/BIOBSS_Polar_Sense_HR.txt');
    expectError(await rrErrorAsync(readRrFile(file)), 'RR_FILE_NOT_RR', file, 1);
  });

  it('FIT is refused as not supported yet, from the bytes and from decoded text', async () => {
    const file = fixture('garmin-fit/fitparse_garmin-fenix-5-walk.fit');
    const error = await rrErrorAsync(readRrFile(file));
    expectError(error, 'RR_FILE_UNSUPPORTED', file, undefined);
    expect(error.message).toContain('FIT');
    const bytes = await readFile(file);
    expect(rrError(() => parseRrText(bytes.toString('latin1'), 'a.bin')).code).toBe('RR_FILE_UNSUPPORTED');
    expect(rrError(() => parseRrText(new TextDecoder().decode(bytes), 'a.bin')).code).toBe('RR_FILE_UNSUPPORTED');
  });
});

describe('synthetic fixtures (layouts without a licensed sample)', () => {
  it('HRV Logger: spaced header with trailing space, blank line, no final newline', async () => {
    const rec = await readRrFile(fixture('synthetic/hrv_logger_ot_a60_RRIntervals.csv'));
    expect(rec.format).toBe('rr-csv');
    expect(Array.from(rec.rrMs)).toEqual((await plainValues('bartels_rest_rri.txt')).slice(0, 40));
    expect(rec.meta).toMatchObject({ rrColumn: 'rr', unit: 'ms', unitSource: 'magnitude' });
    expect(rec.startedAt).toBe(new Date(1675889369255).toISOString());
  });

  it('Elite HRV raw: CRLF, no final newline, start time from the file name', async () => {
    const rec = await readRrFile(fixture('synthetic/2017-07-19 07-50-42.txt'));
    expect(Array.from(rec.rrMs)).toEqual((await plainValues('bartels_test_real_rri.txt')).slice(0, 50));
    expect(rec.startedAt).toBe('2017-07-19T07:50:42');
    expect(rec.meta.startedAtSource).toBe('file name');
  });

  it('Polar Flow two columns in seconds with trailing zeros stripped: exact ms from the RR column', async () => {
    const rec = await readRrFile(fixture('synthetic/rr-Doe_Jane_2017-08-03_08-28-50.txt'));
    expect(rec.format).toBe('time-rr-text');
    expect(rec.meta).toMatchObject({ unit: 's', unitSource: 'magnitude' });
    expect(Array.from(rec.rrMs)).toEqual((await plainValues('pyhrv_nni_short_5min.txt')).slice(0, 60));
    expect(rec.startedAt).toBe('2017-08-03T08:28:50');
  });

  it('Polar Sensor Logger H10 RR stream', async () => {
    const rec = await readRrFile(fixture('synthetic/Polar_H10_A40F6F28_20240505_165000_RR.txt'));
    const pvc = await readRrFile(recording('polar_h10_detectPVC_rr.csv'));
    expect(Array.from(rec.rrMs)).toEqual(Array.from(pvc.rrMs.subarray(0, 30)));
    expect(rec.meta).toMatchObject({ rrColumn: 'RR-interval [ms]', delimiter: ';', intervalKind: 'rr' });
    // the content's first phone timestamp wins over the name's 16:50:00
    expect(rec.startedAt).toBe('2024-05-05T16:50:42.645');
  });

  it('Polar HRM in R-R mode with SMode columns: RR is column 1', async () => {
    const rec = await readRrFile(fixture('synthetic/hrm_rr_with_smode_columns.hrm'));
    expect(Array.from(rec.rrMs)).toEqual((await plainValues('bartels_noisy_rri_polar.txt')).slice(0, 20));
    expect(rec.startedAt).toBe('2008-01-25T08:57:29.500');
  });

  it('tableside beats v1: gaps from flag bit 1, start time from its meta line', async () => {
    const rec = await readRrFile(fixture('synthetic/tableside_beats_v1.csv'));
    expect(rec.format).toBe('tableside-beats-v1');
    expect(Array.from(rec.rrMs)).toEqual((await plainValues('bartels_rest_rri.txt')).slice(0, 10));
    expect(rec.gapBefore).toEqual([false, false, false, false, false, false, true, false, false, false]);
    expect(rec.meta.correctedBeats).toBe('1');
    expect(rec.startedAt).toBe('2024-05-05T16:50:00.436');
  });

  it.each([
    ['synthetic/elite_hrv_export_SUMMARY.csv', 1, 'Rmssd'],
    ['synthetic/hrv4training_ios_summary.csv', 1, 'rMSSD'],
  ])('%s is refused as a summary export', async (name, line, column) => {
    const file = fixture(name);
    const error = await rrErrorAsync(readRrFile(file));
    expectError(error, 'RR_FILE_NOT_RR', file, line);
    expect(error.message).toContain(column);
  });

  it('Polar HRM with Interval=5 is refused, naming the line and why', async () => {
    const file = fixture('synthetic/hrm_interval5_hr_samples.hrm');
    const error = await rrErrorAsync(readRrFile(file));
    expectError(error, 'RR_FILE_NOT_RR', file, 8);
    expect(error.message).toContain('Interval=5');
    expect(error.message).toContain('heart-rate samples');
  });
});

describe('plain RR text layouts', () => {
  const values = [812, 790.5, 1004];

  it.each([
    ['LF', '812\n790.5\n1004\n'],
    ['CRLF', '812\r\n790.5\r\n1004\r\n'],
    ['bare CR', '812\r790.5\r1004\r'],
    ['no final newline', '812\n790.5\n1004'],
    ['blank lines and spaces', '\n  812 \n\n790.5\t\n\n1004\n\n'],
    ['# comments', '# RR export\n# Device:\tH10\n812\n# mid-file note\n790.5\n1004\n'],
    ['a BOM', '\uFEFF812\n790.5\n1004\n'],
    ['one line, spaces', '812 790.5 1004'],
    ['one line, tabs', '812\t790.5\t1004\n'],
  ])('one RR per line: %s', (_label, text) => {
    const rec = parseRrText(text, 'x.txt');
    expect(rec.format).toBe('rr-text');
    expect(Array.from(rec.rrMs)).toEqual(values);
  });

  it('seconds when a value has decimals and all are below 10; moved decimal point, never x*1000', () => {
    const rec = parseRrText('0.766\n1\n0.7\n', 'x.txt');
    expect(Array.from(rec.rrMs)).toEqual([766, 1000, 700]);
    expect(rec.meta).toMatchObject({ unit: 's', unitSource: 'magnitude' });
  });

  it('values that give no human heart rhythm in the unit their median suggests are refused, saying why', () => {
    // Median 8.5 → seconds → a typical RR of 8500 ms; read as ms it would be 8.5 ms. Either way no heartbeat.
    const error = rrError(() => parseRrText('8\n9\n', 'x.txt'));
    expectError(error, 'RR_FILE_UNIT', 'x.txt', undefined);
    expect(error.message).toContain('read as seconds');
    expect(error.message).toContain('8500 ms (7.06 bpm)');
    expect(error.message).toContain('--units ms');
    // The user's word is taken as it is.
    expect(Array.from(parseRrText('8\n9\n', 'x.txt', { units: 'ms' }).rrMs)).toEqual([8, 9]);
  });

  it('Kubios "Type 2": time and RR in ms, time from 0', () => {
    const rec = parseRrText('0 812\n0.812 790\n1.602 1004\n', 'x.txt');
    expect(rec.format).toBe('time-rr-text');
    expect(Array.from(rec.rrMs)).toEqual([812, 790, 1004]);
  });

  it('two columns whose first one decreases are not "time rr"', () => {
    expectError(
      rrError(() => parseRrText('812 1\n790 2\n', 'x.txt')),
      'RR_FILE_UNKNOWN_FORMAT',
      'x.txt',
      2,
    );
  });

  it('inconsistent column counts are refused at the first odd line', () => {
    expectError(
      rrError(() => parseRrText('812\n790\n800 810\n', 'x.txt')),
      'RR_FILE_UNKNOWN_FORMAT',
      'x.txt',
      3,
    );
  });

  it('headerless comma-separated numbers are refused (decimal comma or two columns?)', () => {
    expectError(
      rrError(() => parseRrText('812,5\n790,0\n', 'x.txt')),
      'RR_FILE_UNKNOWN_FORMAT',
      'x.txt',
      1,
    );
  });

  it('implausible but positive values are kept for the artefact layer', () => {
    expect(Array.from(parseRrText('150\n4000\n812\n', 'x.txt').rrMs)).toEqual([150, 4000, 812]);
  });
});

describe('units decided by the data, not by one value', () => {
  /** recordings/ values (integer ms) as seconds, the way a seconds export writes them. */
  const seconds = (ms: number) => ms / 1000;

  it('PhysioNet rr_secs: seconds with a time offset on the first line, which is left out', async () => {
    const file = fixture('synthetic/physionet_rr_secs_with_offset.txt');
    const rec = await readRrFile(file);
    expect(rec.format).toBe('rr-text');
    expect(rec.meta).toMatchObject({ unit: 's', unitSource: 'magnitude', leadingOffsetS: '225.79687500' });
    expect(rec.meta.leadingOffsetLine).toBe('1');
    // 300 intervals: recordings/physionet_rr_healthy_000.txt beats 37401–37700, in ms again, exactly.
    expect(Array.from(rec.rrMs)).toEqual((await plainValues('physionet_rr_healthy_000.txt')).slice(37400, 37700));
    // Read as ms (the old rule: one value ≥ 10), the mean RR was 1.8 ms: 33 000 bpm.
    const meanMs = sum(rec.rrMs) / rec.rrMs.length;
    expect(meanMs).toBeGreaterThan(900);
    expect(meanMs).toBeLessThan(1200);
  });

  it('a CHF-style first line below 10 s is an offset too (5.867 s before beats of 0.76 s)', () => {
    const rec = parseRrText('5.86718750\n0.75781250\n0.78906250\n0.76562500\n0.73437500\n', 'chf.txt');
    expect(Array.from(rec.rrMs)).toEqual([757.8125, 789.0625, 765.625, 734.375]);
    expect(rec.meta.leadingOffsetS).toBe('5.86718750');
  });

  it('seconds with a header and a 12.48 s gap: still seconds, the gap kept for the artefact layer', async () => {
    const rec = await readRrFile(fixture('synthetic/rr_seconds_header_gap.txt'));
    expect(rec.format).toBe('rr-csv');
    expect(rec.meta).toMatchObject({ rrColumn: 'RR', unit: 's', unitSource: 'magnitude' });
    const expected = (await plainValues('bartels_test_real_rri.txt')).slice(0, 120);
    expected.splice(60, 0, 12_480);
    expect(Array.from(rec.rrMs)).toEqual(expected);
  });

  it('ms with one outlier of 10 240 ms (Elite HRV raw layout): ms, every value kept', async () => {
    const rec = await readRrFile(fixture('synthetic/2019-03-02 07-15-00.txt'));
    expect(rec.meta).toMatchObject({ unit: 'ms', unitSource: 'magnitude' });
    const expected = (await plainValues('bartels_rest_rri.txt')).slice(0, 120);
    expected.splice(60, 0, 10_240);
    expect(Array.from(rec.rrMs)).toEqual(expected);
    expect(rec.meta.leadingOffsetS).toBeUndefined();
  });

  it('a long first value in a short ms file stays: offsets are recognised only in seconds', () => {
    const rec = parseRrText('10240\n812\n790\n805\n', 'x.txt');
    expect(Array.from(rec.rrMs)).toEqual([10_240, 812, 790, 805]);
  });

  it('a ms file with a few glitches below 10 stays ms', () => {
    const values = [812, 0.5, 790, 805, 3, 830];
    expect(Array.from(parseRrText(values.join('\n'), 'x.txt').rrMs)).toEqual(values);
  });

  it('a column of beat times (only increasing) is refused as such, not read as intervals', () => {
    const times: number[] = [];
    let t = 0.352;
    for (let i = 0; i < 400; i++) {
      times.push(Number(t.toFixed(3)));
      t += 0.7 + 0.1 * Math.sin(i);
    }
    const error = rrError(() => parseRrText(times.join('\n'), 'beats.txt'));
    expectError(error, 'RR_FILE_UNIT', 'beats.txt', undefined);
    expect(error.message).toContain('beat times');
  });

  it('--units s reads a seconds file whose median would say ms; a file naming its unit must agree', () => {
    // One value per line in seconds, but mostly gaps: the median says ms, a typical RR of 12 ms.
    const text = ['0.8', '12', '14', '11', '0.9'].join('\n');
    expect(rrError(() => parseRrText(text, 'x.txt')).code).toBe('RR_FILE_UNIT');
    expect(Array.from(parseRrText(text, 'x.txt', { units: 's' }).rrMs)).toEqual([800, 12_000, 14_000, 11_000, 900]);
    expect(parseRrText(text, 'x.txt', { units: 's' }).meta.unitSource).toBe('option');
    expectError(
      rrError(() => parseRrText('rr_ms\n812\n790\n', 'x.csv', { units: 's' })),
      'RR_FILE_UNIT',
      'x.csv',
      1,
    );
    expect(Array.from(parseRrText('rr_ms\n812\n790\n', 'x.csv', { units: 'ms' }).rrMs)).toEqual([812, 790]);
  });

  it('--units on a format with its own unit (Polar HRM) is refused', async () => {
    const file = fixture('polar-hrm/rhenanbartels-hrv_noisy_rri.hrm');
    expectError(await rrErrorAsync(readRrFile(file, { units: 's' })), 'RR_FILE_UNIT', file, undefined);
    expect((await readRrFile(file, { units: 'ms' })).rrMs.length).toBe(3581);
  });

  it.each([
    ['Polar Flow seconds, two columns', 'synthetic/rr-Doe_Jane_2017-08-03_08-28-50.txt', 's'],
    ['Kubios-style ms with 3 decimals', 'kubios/PGomes92-kubios_SampleExport.txt', 'ms'],
    ['Welltory ms on one line', 'welltory/welltory-ppg-dataset_subject_01_RR.txt', 'ms'],
    ['Elite HRV raw ms', 'synthetic/2017-07-19 07-50-42.txt', 'ms'],
  ])('%s: the same unit as before', async (_label, name, unit) => {
    expect((await readRrFile(fixture(name))).meta.unit).toBe(unit);
  });

  it.each(['bartels_rest_rri.txt', 'pyhrv_nni_short_5min.txt'])(
    '%s as seconds (one value per line) reads back the same ms',
    async (name) => {
      const ms = await plainValues(name);
      const rec = parseRrText(ms.map((v) => String(seconds(v))).join('\n'), 's.txt');
      expect(rec.meta.unit).toBe('s');
      expect(Array.from(rec.rrMs)).toEqual(ms);
    },
  );
});

describe('CSV with a header', () => {
  it.each([
    ['rr\n812\n790\n', 'rr', 'ms', 'magnitude'],
    ['RR (ms)\n812\n790\n', 'RR (ms)', 'ms', 'header'],
    ['RR interval\n812\n790\n', 'RR interval', 'ms', 'magnitude'],
    ['RRI\n812\n790\n', 'RRI', 'ms', 'magnitude'],
    ['time,ibi\n1,812\n2,790\n', 'ibi', 'ms', 'magnitude'],
    ['nn_ms;hr\n812;74\n790;76\n', 'nn_ms', 'ms', 'header'],
    ['time\trr_s\n0\t0.812\n1\t0.79\n', 'rr_s', 's', 'header'],
    ['RR-interval [s];x\n0.812;a\n0.790;b\n', 'RR-interval [s]', 's', 'header'],
    ['time rr\n0 812\n0.812 790\n', 'rr', 'ms', 'magnitude'],
    ['"time","rr"\n"0","812"\n"1","790"\n', 'rr', 'ms', 'magnitude'],
  ])('%j', (text, column, unit, unitSource) => {
    const rec = parseRrText(text, 'x.csv');
    expect(rec.format).toBe('rr-csv');
    expect(Array.from(rec.rrMs)).toEqual([812, 790]);
    expect(rec.meta).toMatchObject({ rrColumn: column, unit, unitSource });
  });

  it('the header unit wins over magnitude: rr_ms values 0.5 stay 0.5 ms', () => {
    expect(Array.from(parseRrText('rr_ms\n0.5\n0.6\n', 'x.csv').rrMs)).toEqual([0.5, 0.6]);
  });

  it('decimal comma where "," is not the delimiter', () => {
    const rec = parseRrText(
      'Phone timestamp;RR-interval [ms]\n2022-04-25T11:39:41.224;812,5\n2022-04-25T11:39:42.1;790\n',
      'x.txt',
    );
    expect(Array.from(rec.rrMs)).toEqual([812.5, 790]);
  });

  it('prefers the raw rr column over nn', () => {
    expect(parseRrText('nn,rr\n800,812\n800,790\n', 'x.csv').meta.rrColumn).toBe('rr');
  });

  it('refuses two RR columns of the same kind', () => {
    expectError(
      rrError(() => parseRrText('rr,RRI\n800,812\n', 'x.csv')),
      'RR_FILE_UNKNOWN_FORMAT',
      'x.csv',
      1,
    );
  });

  it('refuses a header without an RR column, listing it', () => {
    const error = rrError(() => parseRrText('a,b\n1,2\n', 'x.csv'));
    expectError(error, 'RR_FILE_UNKNOWN_FORMAT', 'x.csv', 1);
    expect(error.message).toContain('"a", "b"');
  });

  it('refuses HR-only files as not RR', () => {
    expectError(
      rrError(() => parseRrText('timestamp, since_start, heart_rate \n\n1675889367288,0,64\n', 'x_HR.csv')),
      'RR_FILE_NOT_RR',
      'x_HR.csv',
      1,
    );
  });

  it.each([
    ['NA', 'rr_ms\n812\nNA\n', 3],
    ['empty', 'time,rr_ms\n1,812\n2,\n', 3],
    ['missing field', 'time,rr_ms\n1,812\n2\n', 3],
    ['repeated header', 'rr_ms\n812\nrr_ms\n790\n', 3],
  ])('a bad RR cell (%s) fails the whole file at its line', (_label, text, line) => {
    expectError(
      rrError(() => parseRrText(text, 'x.csv')),
      'RR_FILE_BAD_VALUE',
      'x.csv',
      line,
    );
  });

  it('a unit that is not a time is refused', () => {
    expect(rrError(() => parseRrText('rr [bpm]\n60\n61\n', 'x.csv')).code).toBe('RR_FILE_UNKNOWN_FORMAT');
  });
});

describe('HRM and Kubios report edge cases', () => {
  it('HRM without Interval cannot be trusted', () => {
    const text = '[Params]\r\nVersion=106\r\n\r\n[HRData]\r\n800\r\n810\r\n';
    expectError(
      rrError(() => parseRrText(text, 'x.hrm')),
      'RR_FILE_NOT_RR',
      'x.hrm',
      1,
    );
  });

  it('HRM without [HRData]', () => {
    expect(rrError(() => parseRrText('[Params]\nInterval=238\n', 'x.hrm')).code).toBe('RR_FILE_UNKNOWN_FORMAT');
  });

  it('HRM with a bad value names its line', () => {
    const text = '[Params]\nInterval=238\n\n[HRData]\n800\n8x0\n';
    expectError(
      rrError(() => parseRrText(text, 'x.hrm')),
      'RR_FILE_BAD_VALUE',
      'x.hrm',
      6,
    );
  });

  it('a Kubios report without the RR block is refused', () => {
    const text = 'HRV ANALYSIS RESULTS - 13-Sep-2018 13:15:19\r\nKubios HRV Standard\r\n\r\nRMSSD (ms): , 56.8,\r\n';
    expect(rrError(() => parseRrText(text, 'r.txt')).code).toBe('RR_FILE_NOT_RR');
  });
});

describe('errors', () => {
  it.each([
    ['empty', '', 'RR_FILE_EMPTY'],
    ['whitespace', ' \r\n\n\t', 'RR_FILE_EMPTY'],
    ['a BOM only', '\uFEFF', 'RR_FILE_EMPTY'],
    ['comments only', '# nothing\n# here\n', 'RR_FILE_EMPTY'],
    ['one value', '812\n', 'RR_FILE_TOO_SHORT'],
    ['a header only', 'rr_ms\n', 'RR_FILE_TOO_SHORT'],
    ['binary', 'PK\u0003\u0004\u0000\u0000', 'RR_FILE_BINARY'],
  ] as const)('%s → %s, no line', (_label, text, code) => {
    expectError(
      rrError(() => parseRrText(text, 'r/x.txt')),
      code,
      'r/x.txt',
      undefined,
    );
  });

  it('reads the RR values of a tableside raw recording from its 0x2A37 payloads, with its gaps', () => {
    // Payloads from real Polar H10 captures (hrm-vectors.json): 812 ticks; 862 and 918 ticks; 1107 ticks.
    const text = [
      '# tableside recording v1',
      '{"startedAt":"2026-11-23T10:00:00.000Z","source":"x"}',
      '0.000\tn\t10482c03',
      '1000.000\tn\t10495e039603',
      '1500.000\ts\t{"state":"disconnected","reason":"link lost"}',
      '9000.000\tn\t103b5304',
      '',
    ].join('\n');
    const r = parseRrText(text, 'r.tsr');
    expect(r.format).toBe('tableside-recording-v1');
    expect(Array.from(r.rrMs)).toEqual([812, 862, 918, 1107].map((t) => (t * 1000) / 1024));
    expect(r.gapBefore).toEqual([false, false, false, true]);
    expect(r.startedAt).toBe('2026-11-23T10:00:00.000Z');
  });

  it('a raw recording with a payload that does not decode names its line', () => {
    const text = '# tableside recording v1\n{"startedAt":"2026-11-23T10:00:00.000Z","source":"x"}\n0.000\tn\t10482c\n';
    expectError(
      rrError(() => parseRrText(text, 'r.tsr')),
      'RR_FILE_BAD_VALUE',
      'r.tsr',
      3,
    );
  });

  it('a non-number names file, line and reason', () => {
    const lines = Array.from({ length: 20 }, (_, i) => String(800 + i));
    lines[16] = 'abc';
    const error = rrError(() => parseRrText(lines.join('\n'), 'recordings/x.txt'));
    expectError(error, 'RR_FILE_BAD_VALUE', 'recordings/x.txt', 17);
    expect(error.message).toBe('recordings/x.txt:17: "abc" is not a number (expected an RR interval in ms or s)');
  });

  it.each([
    ['0', 2],
    ['-812', 2],
    ['1e999', 2],
    ['Infinity', 2],
    ['NaN', 2],
    ['0x320', 2],
  ])('%s is refused', (value, line) => {
    expectError(
      rrError(() => parseRrText(`812\n${value}\n790\n`, 'x.txt')),
      'RR_FILE_BAD_VALUE',
      'x.txt',
      line,
    );
  });

  it('line numbers count CRLF, LF and bare CR lines alike', () => {
    expect(rrError(() => parseRrText('812\r\n790\r800\nabc\n', 'x.txt')).line).toBe(4);
  });

  describe('readRrFile on disk', () => {
    let dir = '';
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'tableside-io-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('a missing file is RR_FILE_UNREADABLE with the cause kept', async () => {
      const file = join(dir, 'missing.txt');
      const error = await rrErrorAsync(readRrFile(file));
      expectError(error, 'RR_FILE_UNREADABLE', file, undefined);
      expect(error.message).toContain('ENOENT');
      expect(error.cause).toBeDefined();
    });

    it('UTF-8 with BOM and UTF-16LE with BOM (Windows Notepad) both read', async () => {
      const utf8 = join(dir, 'bom8.txt');
      const utf16 = join(dir, 'bom16.txt');
      await writeFile(utf8, '\uFEFFrr_ms\r\n812\r\n790\r\n', 'utf8');
      await writeFile(utf16, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('812\r\n790\r\n', 'utf16le')]));
      expect(Array.from((await readRrFile(utf8)).rrMs)).toEqual([812, 790]);
      expect(Array.from((await readRrFile(utf16)).rrMs)).toEqual([812, 790]);
    });
  });
});
