/**
 * Hostile and broken RR files, counted: every reader behind `parseRrText` / `readRrFile` (rr-text, time-rr text, CSV,
 * Polar HRM, Kubios report, tableside beats v1, tableside recording v1) and the replay's own loader.
 *
 * Inputs are the real files of test/fixtures/formats and recordings/ (long ones cut to their first lines) and a
 * tableside recording built from the real 0x2A37 captures, mutated line by line (a value replaced by a hostile token,
 * lines deleted, doubled, swapped, inserted, cut mid-line, control characters, other line ends, a BOM), plus random
 * text. What must hold (src/io/README.md, src/io/rr-file-error.ts): a file is read whole or refused with an
 * `RrFileError` — a documented code, the file's name, and `file:line: reason` whenever one line is to blame — and a
 * file that is read replays through the beat timeline and the rolling engine, as `tableside replay` and `analyze`
 * run it, without a throw, a hang or a beat time that stops or goes back.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/domain/events.js';
import type { SourceEvent } from '../../src/domain/source.js';
import { RollingEngine } from '../../src/hrv/rolling.js';
import { parseRrText, RrFileError, type RrFileErrorCode, type RrRecording, readRrFile } from '../../src/io/rr-file.js';
import { isRecordingText, parseRecording, recordingHead, recordingLine } from '../../src/io/tableside-recording.js';
import { splitLines, stripBom } from '../../src/io/text.js';
import { BeatTimeline } from '../../src/pipeline/timeline.js';
import { loadReplaySource } from '../../src/sources/replay.js';
import { fuzzSeed, reportReliability } from '../helpers/reliability.js';

const MUTATED_RUNS = 3000;
const RANDOM_RUNS = 2000;
const LINE_RUNS = 1500;
const REPLAY_RUNS = 400;
const BYTES_RUNS = 200;
const SEED = fuzzSeed(0x5252);

const CODES: readonly RrFileErrorCode[] = [
  'RR_FILE_UNREADABLE',
  'RR_FILE_EMPTY',
  'RR_FILE_BINARY',
  'RR_FILE_UNSUPPORTED',
  'RR_FILE_UNKNOWN_FORMAT',
  'RR_FILE_NOT_RR',
  'RR_FILE_BAD_VALUE',
  'RR_FILE_UNIT',
  'RR_FILE_TOO_SHORT',
];

const root = new URL('../../', import.meta.url);
const read = (path: string, maxLines = Number.POSITIVE_INFINITY): string => {
  const text = readFileSync(new URL(path, root), 'utf8');
  return Number.isFinite(maxLines) ? splitLines(text).slice(0, maxLines).join('\n') : text;
};

// --- seeds: real files, and how to break one value in each --------------------------------------------------------

/** How a seed lays out its RR values, so one value on a known line can be replaced. */
type Layout =
  | { kind: 'values' }
  | { kind: 'column'; delimiter: RegExp; join: string; column: number; headerLine: number }
  | { kind: 'hrm' }
  | { kind: 'recording' };

interface Seed {
  readonly name: string;
  readonly text: string;
  readonly layout?: Layout;
  /** headerless seconds, recognised by magnitude: a value over 10 makes the whole file ms, so it fails elsewhere */
  readonly secondsByMagnitude?: boolean;
}

function column(header: string, delimiter: RegExp, join: string, name: string, headerLine = 1): Layout {
  const column = header.split(delimiter).findIndex((f) => f.trim() === name);
  if (column < 0) throw new Error(`no column ${name} in ${header}`);
  return { kind: 'column', delimiter, join, column, headerLine };
}

/** A tableside recording made of the real captures, with a disconnect and a reconnect in the middle. */
function recordingSeed(): string {
  const vectors = JSON.parse(read('test/fixtures/ble/hrm-vectors.json')) as { hex: string }[];
  const lines: string[] = [];
  let atMs = 0;
  for (let round = 0; round < 3; round++) {
    for (const v of vectors) {
      atMs += 997.25;
      lines.push(recordingLine({ kind: 'n', atMs, payload: Buffer.from(v.hex, 'hex') }));
    }
    lines.push(recordingLine({ kind: 's', atMs, status: { state: 'disconnected', reason: 'link lost' } }));
    atMs += 4000;
    lines.push(recordingLine({ kind: 's', atMs, status: { state: 'live' } }));
  }
  const head = recordingHead({ startedAt: '2026-11-23T10:00:00.000Z', source: 'fuzz seed (hrm-vectors.json)' });
  return `${head}${lines.join('\n')}\n`;
}

const F = 'test/fixtures/formats/';
const seeds: Seed[] = [
  { name: 'bartels_rest_rri.txt', text: read('recordings/bartels_rest_rri.txt', 150), layout: { kind: 'values' } },
  {
    name: 'physionet_rr_healthy_000.txt',
    text: read('recordings/physionet_rr_healthy_000.txt', 150),
    layout: { kind: 'values' },
  },
  { name: 'pyhrv_nni_short_5min.txt', text: read('recordings/pyhrv_nni_short_5min.txt'), layout: { kind: 'values' } },
  {
    name: 'polar_h10_detectPVC_rr.csv',
    text: read('recordings/polar_h10_detectPVC_rr.csv', 150),
    layout: column('time_ns,hr_bpm,rr_ms', /,/, ',', 'rr_ms'),
  },
  { name: '2017-07-19 07-50-42.txt', text: read(`${F}synthetic/2017-07-19 07-50-42.txt`), layout: { kind: 'values' } },
  {
    name: 'PGomes92-kubios_SampleExport.txt',
    text: read(`${F}kubios/PGomes92-kubios_SampleExport.txt`),
    layout: { kind: 'values' },
  },
  {
    name: 'rr-Doe_Jane_2017-08-03_08-28-50.txt',
    text: read(`${F}synthetic/rr-Doe_Jane_2017-08-03_08-28-50.txt`),
    layout: { kind: 'column', delimiter: / /, join: ' ', column: 1, headerLine: 0 },
    secondsByMagnitude: true,
  },
  {
    name: 'hrv_logger_ot_a60_RRIntervals.csv',
    text: read(`${F}synthetic/hrv_logger_ot_a60_RRIntervals.csv`),
    layout: column('timestamp, rr, since_start ', /,/, ',', 'rr'),
  },
  {
    name: 'Polar_H10_A40F6F28_20240505_165000_RR.txt',
    text: read(`${F}synthetic/Polar_H10_A40F6F28_20240505_165000_RR.txt`),
    layout: column('Phone timestamp;RR-interval [ms]', /;/, ';', 'RR-interval [ms]'),
  },
  {
    name: 'BIOBSS_Polar_Sense_PPI.txt',
    text: read(`${F}polar-sensor-logger/BIOBSS_Polar_Sense_PPI.txt`, 150),
    layout: column(
      'Phone timestamp;PP-interval [ms];error estimate [ms];blocker;contact;contact;hr [bpm]',
      /;/,
      ';',
      'PP-interval [ms]',
    ),
  },
  {
    name: 'rhenanbartels-hrv_noisy_rri.hrm',
    text: read(`${F}polar-hrm/rhenanbartels-hrv_noisy_rri.hrm`, 200),
    layout: { kind: 'hrm' },
  },
  {
    name: 'hrm_rr_with_smode_columns.hrm',
    text: read(`${F}synthetic/hrm_rr_with_smode_columns.hrm`),
    layout: { kind: 'hrm' },
  },
  {
    name: 'tableside_beats_v1.csv',
    text: read(`${F}synthetic/tableside_beats_v1.csv`),
    layout: column('seq,t_s,rr_ms,flags', /,/, ',', 'rr_ms', 3),
  },
  { name: 'fuzz.recording.txt', text: recordingSeed(), layout: { kind: 'recording' } },
  // Read whole or refused whole; no single value to aim at.
  { name: 'PGomes92-kubios_SampleReport.txt', text: read(`${F}kubios/PGomes92-kubios_SampleReport.txt`) },
  { name: 'welltory-ppg-dataset_subject_01_RR.txt', text: read(`${F}welltory/welltory-ppg-dataset_subject_01_RR.txt`) },
  { name: 'elite_hrv_export_SUMMARY.csv', text: read(`${F}synthetic/elite_hrv_export_SUMMARY.csv`) },
  { name: 'hrv4training_ios_summary.csv', text: read(`${F}synthetic/hrv4training_ios_summary.csv`) },
  { name: 'hrm_interval5_hr_samples.hrm', text: read(`${F}synthetic/hrm_interval5_hr_samples.hrm`) },
  { name: 'BIOBSS_Polar_Sense_HR.txt', text: read(`${F}polar-sensor-logger/BIOBSS_Polar_Sense_HR.txt`, 150) },
];

// --- hostile tokens and mutations ---------------------------------------------------------------------------------

/** Values that are never an RR interval, whatever the layout: each must fail its file, naming its line. */
const INVALID = [
  '-1',
  '0',
  '-0',
  '0.0',
  '0e5',
  '1e-400',
  '-812',
  'NaN',
  'Infinity',
  '-Infinity',
  '1e400',
  '1e300',
  '86400001',
  '0x1F',
  '8l5',
  '812ms',
  '1_000',
  'NA',
  'n/a',
  '--',
  '.',
  '+',
  'e5',
  '٨١٢',
  'null',
  '[]',
  '812.5.1',
];

/** Everything hostile a value may become, valid-looking oddities included (they may pass, as documented). */
const HOSTILE = [
  ...INVALID,
  '',
  ' ',
  '1',
  '150',
  '4000',
  '65535',
  '1e12',
  '86400000',
  '1.7976931348623157e308',
  '5e-324',
  '0.000001',
  '812,5',
  '812;5',
  '812\t5',
  '\u00a0812',
  '"812"',
  '812 790',
  '#812',
  '[HRData]',
  '# tableside beats v1',
  'seq,t_s,rr_ms,flags',
  'rr_ms',
  'Rmssd,Sdnn',
  '\uFEFF',
  '\u0000',
  '\u0007',
  '\uFFFD',
  'x'.repeat(300),
];

const fragment = fc.constantFrom(
  ...HOSTILE,
  '\n',
  '\r\n',
  '\r',
  '\t',
  ',',
  ';',
  '[Params]',
  'Interval=238',
  'RR INTERVAL DATA and SPECTRUM ESTIMATES,',
  '# tableside recording v1',
  '{"startedAt":"x","source":"y"}',
  '0.000\tn\t10482c03',
  '.FIT',
);

type LineMutation = (lines: string[]) => string[];

/** Applies a mutation only where it has a line to work on. */
const onLines =
  (m: LineMutation): LineMutation =>
  (lines) =>
    lines.length === 0 ? lines : m(lines);

const pick = (lines: readonly unknown[], i: number) => (lines.length === 0 ? 0 : i % lines.length);
const lineMutation: fc.Arbitrary<LineMutation> = fc.oneof(
  // a token of a line replaced by a hostile one
  fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...HOSTILE)).map(
    ([i, j, token]): LineMutation =>
      (lines) => {
        const k = pick(lines, i);
        const parts = (lines[k] ?? '').split(/([\s,;]+)/);
        const tokenAt = pick(parts, j) & ~1; // even indexes are the tokens, odd ones the separators
        parts[tokenAt] = token;
        return lines.with(k, parts.join(''));
      },
  ),
  fc.tuple(fc.nat(), fc.constantFrom(...HOSTILE)).map(
    ([i, token]): LineMutation =>
      (lines) =>
        lines.with(pick(lines, i), token),
  ),
  fc.nat().map(
    (i): LineMutation =>
      (lines) =>
        lines.toSpliced(pick(lines, i), 1),
  ),
  fc.nat().map(
    (i): LineMutation =>
      (lines) =>
        lines.toSpliced(pick(lines, i), 0, lines[pick(lines, i)] ?? ''),
  ),
  fc.tuple(fc.nat(), fc.nat()).map(
    ([i, j]): LineMutation =>
      (lines) => {
        const a = pick(lines, i);
        const b = pick(lines, j);
        return lines.with(a, lines[b] ?? '').with(b, lines[a] ?? '');
      },
  ),
  fc.tuple(fc.nat(), fc.array(fragment, { maxLength: 5 })).map(
    ([i, parts]): LineMutation =>
      (lines) =>
        lines.toSpliced(pick(lines, i), 0, parts.join('')),
  ),
  fc.tuple(fc.nat(), fc.nat()).map(
    ([i, j]): LineMutation =>
      (lines) => {
        const k = pick(lines, i);
        const line = lines[k] ?? '';
        return lines.with(k, line.slice(0, line.length === 0 ? 0 : j % line.length));
      },
  ),
  fc.nat().map(
    (i): LineMutation =>
      (lines) =>
        lines.slice(0, pick(lines, i) + 1),
  ),
);

/** Mutations of the whole text: other line ends, a BOM, a character inserted anywhere. */
type TextMutation = (text: string) => string;
const textMutation: fc.Arbitrary<TextMutation> = fc.oneof(
  fc.constantFrom<TextMutation>(
    (t) => t.replace(/\r?\n/g, '\r\n'),
    (t) => t.replace(/\r?\n/g, '\r'),
    (t) => `\uFEFF${t}`,
    (t) => t.trimEnd(),
    (t) => t,
  ),
  fc.tuple(fc.nat(), fc.oneof(fragment, fc.string({ unit: 'binary', maxLength: 3 }))).map(
    ([i, s]): TextMutation =>
      (t) => {
        const k = t.length === 0 ? 0 : i % t.length;
        return `${t.slice(0, k)}${s}${t.slice(k)}`;
      },
  ),
);

const mutatedFile = fc
  .tuple(
    fc.constantFrom(...seeds),
    fc.array(lineMutation, { minLength: 1, maxLength: 4 }),
    fc.array(textMutation, { maxLength: 2 }),
  )
  .map(([seed, lineMutations, textMutations]) => {
    const lines = lineMutations.reduce((ls, m) => onLines(m)(ls), splitLines(seed.text));
    return { name: seed.name, text: textMutations.reduce((t, m) => m(t), lines.join('\n')) };
  });

// --- what must hold -----------------------------------------------------------------------------------------------

const count = {
  mutated: { inputs: 0, read: 0, refused: 0 },
  random: { inputs: 0, read: 0, refused: 0 },
  line: { inputs: 0, refused: 0 },
  replay: { inputs: 0, read: 0, beats: 0 },
  bytes: { inputs: 0, read: 0, refused: 0 },
  crashes: 0,
};
const codesSeen = new Set<string>();

/** Reads `text` as `name`; returns the recording, or null after checking the error it was refused with. */
function readOrRefuse(text: string, name: string, tally: { read: number; refused: number }): RrRecording | null {
  let recording: RrRecording;
  try {
    recording = parseRrText(text, name);
  } catch (error) {
    if (!(error instanceof RrFileError)) {
      count.crashes++;
      throw error;
    }
    checkError(error, name, splitLines(stripBom(text)).length);
    tally.refused++;
    return null;
  }
  checkRecording(recording);
  tally.read++;
  return recording;
}

function checkError(error: RrFileError, name: string, lineCount: number): void {
  codesSeen.add(error.code);
  expect(CODES).toContain(error.code);
  expect(error.file).toBe(name);
  const where = error.line === undefined ? `${name}: ` : `${name}:${error.line}: `;
  expect(error.message.startsWith(where), error.message).toBe(true);
  expect(error.message.length).toBeGreaterThan(where.length);
  if (error.line !== undefined) {
    expect(Number.isInteger(error.line) && error.line >= 1 && error.line <= lineCount, error.message).toBe(true);
  }
  // A value that is not an interval is always on a line of its own.
  if (error.code === 'RR_FILE_BAD_VALUE') expect(error.line, error.message).toBeDefined();
}

function checkRecording(r: RrRecording): void {
  expect(r.rrMs.length).toBeGreaterThanOrEqual(2);
  for (const rr of r.rrMs) if (!(Number.isFinite(rr) && rr > 0)) throw new Error(`read an RR of ${rr}`);
  if (r.gapBefore !== undefined) expect(r.gapBefore.length).toBe(r.rrMs.length);
  for (const value of Object.values(r.meta)) expect(typeof value).toBe('string');
}

/**
 * Replays a file that was read as the daemon does: a tableside recording as its notifications and statuses (as
 * `recordingSource`), anything else as one RR sample per interval at its end time (as `rrSource`); then the rolling
 * engine on the beats. Beat times must be finite and strictly increasing and every metric finite or null.
 */
function replay(text: string, name: string, recording: RrRecording): number {
  const events: SourceEvent[] = [];
  if (isRecordingText(stripBom(text))) {
    for (const e of parseRecording(stripBom(text), name).events) {
      if (e.kind === 'n')
        events.push({ type: 'notification', sourceTimeMs: e.atMs, receivedAtMs: 0, payload: e.payload });
      else events.push({ type: 'status', sourceTimeMs: e.atMs, receivedAtMs: 0, status: { state: 'disconnected' } });
    }
  } else {
    let endMs = 0;
    recording.rrMs.forEach((rr, i) => {
      endMs += rr;
      const gapBefore = recording.gapBefore?.[i] === true;
      events.push({ type: 'rr', sourceTimeMs: endMs, receivedAtMs: 0, rrMs: [rr], gapBefore });
    });
  }
  const timeline = new BeatTimeline();
  const engine = new RollingEngine();
  let beats = 0;
  let lastTS = Number.NEGATIVE_INFINITY;
  const onEvent = (e: PipelineEvent) => {
    if (e.type !== 'beat') return;
    beats++;
    if (!(Number.isFinite(e.tS) && e.tS > lastTS))
      throw new Error(`${name}: beat ${e.seq} at ${e.tS} s after ${lastTS}`);
    lastTS = e.tS;
    for (const m of engine.push(e.rrMs, e.tS, e.gapBefore)) checkMetrics(m, name);
  };
  for (const e of events) timeline.accept(e, onEvent);
  for (const m of engine.flush()) checkMetrics(m, name);
  return beats;
}

function checkMetrics(m: object, name: string): void {
  for (const [key, value] of Object.entries(m)) {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`${name}: ${key} = ${value}`);
  }
}

describe('RR file readers under hostile files', () => {
  it(`mutated real files: read whole, or refused with a typed error naming file and line (${MUTATED_RUNS} files)`, () => {
    fc.assert(
      fc.property(mutatedFile, ({ name, text }) => {
        count.mutated.inputs++;
        readOrRefuse(text, name, count.mutated);
      }),
      { numRuns: MUTATED_RUNS, seed: SEED },
    );
    expect(count.mutated.inputs).toBe(MUTATED_RUNS);
    expect(count.mutated.read).toBeGreaterThan(MUTATED_RUNS / 10);
    expect(count.mutated.refused).toBeGreaterThan(MUTATED_RUNS / 10);
  });

  it(`random text and random mixes of format fragments (${RANDOM_RUNS} files)`, () => {
    const random = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }),
      fc.array(fragment, { maxLength: 40 }).map((parts) => parts.join('')),
      fc
        .array(fc.oneof(fragment, fc.constantFrom('812', '790', '0.8', '\n')), { maxLength: 60 })
        .map((p) => p.join('')),
    );
    fc.assert(
      fc.property(random, fc.constantFrom('g.txt', 'g.csv', 'g.hrm', 'g.fit'), (text, name) => {
        count.random.inputs++;
        readOrRefuse(text, name, count.random);
      }),
      { numRuns: RANDOM_RUNS, seed: SEED + 1 },
    );
    expect(count.random.inputs).toBe(RANDOM_RUNS);
  });

  it(`one value made hostile fails the whole file with RR_FILE_BAD_VALUE on exactly its line (${LINE_RUNS} files)`, () => {
    const targets = seeds.filter((s): s is Seed & { layout: Layout } => s.layout !== undefined);
    fc.assert(
      fc.property(fc.constantFrom(...targets), fc.nat(), fc.constantFrom(...INVALID), (seed, i, token) => {
        count.line.inputs++;
        const lines = splitLines(seed.text);
        const candidates = valueLines(lines, seed.layout);
        const k = candidates[i % candidates.length] as number;
        if (seed.secondsByMagnitude && Number(token) >= 10) return; // see Seed.secondsByMagnitude
        const broken = lines.with(k - 1, breakValue(lines[k - 1] as string, seed.layout, token)).join('\n');
        let error: unknown;
        try {
          parseRrText(broken, seed.name);
        } catch (e) {
          error = e;
        }
        expect(error, `${seed.name}:${k} = ${token} was read`).toBeInstanceOf(RrFileError);
        const e = error as RrFileError;
        expect({ code: e.code, line: e.line }, e.message).toEqual({ code: 'RR_FILE_BAD_VALUE', line: k });
        checkError(e, seed.name, lines.length);
        count.line.refused++;
      }),
      { numRuns: LINE_RUNS, seed: SEED + 2 },
    );
    expect(count.line.inputs).toBe(LINE_RUNS);
  });

  it(`a file that is read replays through the beat timeline and the rolling engine (${REPLAY_RUNS} files)`, () => {
    const tally = { read: 0, refused: 0 };
    fc.assert(
      fc.property(mutatedFile, ({ name, text }) => {
        count.replay.inputs++;
        const recording = readOrRefuse(text, name, tally);
        if (recording === null) return;
        count.replay.read++;
        count.replay.beats += replay(text, name, recording);
      }),
      { numRuns: REPLAY_RUNS, seed: SEED + 3 },
    );
    expect(count.replay.read).toBeGreaterThan(REPLAY_RUNS / 10);
  });

  it(`bytes on disk: readRrFile and the replay loader refuse with RrFileError only (${BYTES_RUNS} files)`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tableside-fuzz-'));
    try {
      const fit = readFileSync(new URL(`${F}garmin-fit/fitparse_garmin-fenix-5-walk.fit`, root));
      const bytes = fc.oneof(
        mutatedFile.map(({ name, text }) => ({ name, bytes: Buffer.from(text, 'utf8') })),
        mutatedFile.map(({ name, text }) => ({
          name,
          bytes: Buffer.concat([Buffer.of(0xff, 0xfe), Buffer.from(text, 'utf16le')]),
        })),
        fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 8 })).map(([i, junk]) => ({
          name: 'walk.fit',
          bytes: Buffer.concat([fit.subarray(0, i % fit.length), junk]),
        })),
        fc.uint8Array({ maxLength: 200 }).map((b) => ({ name: 'junk.txt', bytes: Buffer.from(b) })),
      );
      await fc.assert(
        fc.asyncProperty(bytes, async ({ name, bytes: content }) => {
          count.bytes.inputs++;
          const path = join(dir, basename(name));
          writeFileSync(path, content);
          const lineCount = Number.POSITIVE_INFINITY;
          const outcome = await readRrFile(path).then(
            (r) => r,
            (e: unknown) => e,
          );
          if (outcome instanceof RrFileError) {
            checkError(outcome, path, lineCount);
            count.bytes.refused++;
          } else if (outcome instanceof Error) {
            count.crashes++;
            throw outcome;
          } else {
            checkRecording(outcome as RrRecording);
            count.bytes.read++;
          }
          // `tableside replay` loads a file on its own path (a recording is parsed, not decoded): same rule.
          const loaded = await loadReplaySource(path, 'max').then(
            () => null,
            (e: unknown) => e,
          );
          if (loaded !== null && !(loaded instanceof RrFileError)) {
            count.crashes++;
            throw loaded;
          }
        }),
        { numRuns: BYTES_RUNS, seed: SEED + 4 },
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(count.bytes.inputs).toBe(BYTES_RUNS);
  });
});

/** 1-based lines holding one RR value each in `layout`, leaving out the first content line of headerless text. */
function valueLines(lines: readonly string[], layout: Layout): number[] {
  const out: number[] = [];
  let section = '';
  let firstContent = true;
  lines.forEach((text, i) => {
    const line = i + 1;
    if (text.trim() === '' || text.trim().startsWith('#')) return;
    if (layout.kind === 'values') {
      if (!firstContent) out.push(line);
      firstContent = false;
    } else if (layout.kind === 'column') {
      if (line > layout.headerLine && !(layout.headerLine === 0 && firstContent)) out.push(line);
      firstContent = false;
    } else if (layout.kind === 'hrm') {
      if (/^\[/.test(text.trim())) section = text.trim();
      else if (section === '[HRData]') out.push(line);
    } else if (line > 2 && text.split('\t')[1] === 'n') {
      out.push(line);
    }
  });
  return out;
}

/** The line with its RR value replaced by `token` (for a recording: a payload that cannot hold RR values). */
function breakValue(text: string, layout: Layout, token: string): string {
  switch (layout.kind) {
    case 'values':
      return token;
    case 'column':
      return text
        .split(layout.delimiter)
        .map((f, i) => (i === layout.column ? token : f))
        .join(layout.join);
    case 'hrm':
      return [token, ...text.trim().split(/\s+/).slice(1)].join('\t');
    case 'recording': {
      const [at, kind] = text.split('\t');
      // RR flag set, then an odd number of RR bytes; or not hex at all.
      const payload = /^[0-9]/.test(token) ? '1048ff' : token.replace(/\s/g, '') || 'zz';
      return [at, kind, payload].join('\t');
    }
  }
}

afterAll(() => {
  const c = count;
  const inputs = c.mutated.inputs + c.random.inputs + c.line.inputs + c.replay.inputs + c.bytes.inputs;
  const complete =
    c.mutated.inputs === MUTATED_RUNS &&
    c.random.inputs === RANDOM_RUNS &&
    c.line.inputs === LINE_RUNS &&
    c.replay.inputs === REPLAY_RUNS &&
    c.bytes.inputs === BYTES_RUNS;
  if (!complete) return;
  reportReliability('fuzz.rr-readers', {
    line:
      `fuzz: RR file readers — ${inputs} inputs (${c.mutated.inputs} mutated real files, ${c.random.inputs} random, ` +
      `${c.line.inputs} with one value made hostile, ${c.replay.inputs} more of which ${c.replay.read} were read and replayed ` +
      `(${c.replay.beats} beats), ${c.bytes.inputs} as bytes on disk); ` +
      `${c.mutated.read + c.random.read + c.bytes.read} read whole, ${c.mutated.refused + c.random.refused + c.line.refused + c.bytes.refused} refused with ` +
      `file:line, codes ${[...codesSeen].sort().join(' ')}; ${c.crashes} crashes (seed ${SEED})`,
    command: 'npx vitest run test/fuzz/readers.fuzz.test.ts',
    figures: {
      inputs,
      mutated: c.mutated.inputs,
      random: c.random.inputs,
      oneValueHostile: c.line.inputs,
      replayed: c.replay.read,
      replayedBeats: c.replay.beats,
      bytesOnDisk: c.bytes.inputs,
      crashes: c.crashes,
      codes: [...codesSeen].sort().join(' '),
      seed: SEED,
    },
  });
});
