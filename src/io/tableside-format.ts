import { RrFileError } from './rr-file-error.js';
import type { RrRecording } from './rr-recording.js';
import {
  contentLines,
  isCommentLine,
  isDecimal,
  type NumberedLine,
  parseRrToken,
  rrRangeProblem,
  splitLines,
  stripBom,
} from './text.js';

/**
 * tableside's own beat export, v1. The single source of the on-disk text: the exporter writes with
 * `formatTablesideBeats`, the importer reads with `parseTablesideBeats`, so the two cannot drift.
 *
 * ```
 * # tableside beats v1
 * # startedAt: 2024-05-05T16:50:00.436
 * seq,t_s,rr_ms,flags
 * 0,0.421,421,0
 * 1,0.8,379,2
 * ```
 *
 * `seq` 0-based beat index in its stream (consecutive), `t_s` beat end time in s of beat time (strictly
 * increasing; it jumps over a gap, so it is not always the running sum of `rr_ms`), `rr_ms` the raw interval,
 * `flags` a bit field (`TABLESIDE_BEAT_FLAG`). Optional `# key: value` lines between signature and header.
 * Numbers are written with `String(x)`: the shortest text that reads back as the same double.
 */
export const TABLESIDE_BEATS_SIGNATURE = '# tableside beats v1';
export const TABLESIDE_BEATS_COLUMNS = ['seq', 't_s', 'rr_ms', 'flags'] as const;
export const TABLESIDE_BEATS_HEADER = TABLESIDE_BEATS_COLUMNS.join(',');

/**
 * Flag bits as stored in files. Deliberately not imported from the engine's `BeatFlag`: a file format must not change
 * when an in-memory enum does. A test pins the two to the same values.
 */
export const TABLESIDE_BEAT_FLAG = {
  /** a gap (lost contact, dropped link) lies before this beat */
  GapBefore: 1,
  /** the artefact layer changed or dropped this beat; `rr_ms` is still the raw value */
  Corrected: 2,
} as const;
const KNOWN_FLAG_BITS = TABLESIDE_BEAT_FLAG.GapBefore | TABLESIDE_BEAT_FLAG.Corrected;

export interface TablesideBeat {
  readonly seq: number;
  /** beat end time, s */
  readonly tS: number;
  readonly rrMs: number;
  readonly flags: number;
}

export interface TablesideBeats {
  readonly beats: TablesideBeat[];
  /** the `# key: value` lines */
  readonly meta: Record<string, string>;
}

const SIGNATURE_ANY_VERSION = /^#\s*tableside beats v(\d+)\s*$/;

/** True when the file announces itself as a tableside beat export (any version). */
export function looksLikeTablesideBeats(lines: readonly string[]): boolean {
  const first = lines.find((l) => l.trim() !== '') ?? '';
  return SIGNATURE_ANY_VERSION.test(first.trim());
}

/** Why `beat` cannot follow `previous` in a v1 file, or undefined when it can. Shared by writer and reader. */
function beatProblem(previous: TablesideBeat | undefined, beat: TablesideBeat): string | undefined {
  if (!Number.isSafeInteger(beat.seq) || beat.seq < 0) return `seq ${beat.seq} is not a non-negative integer`;
  if (previous !== undefined && beat.seq !== previous.seq + 1) return `seq ${beat.seq} does not follow ${previous.seq}`;
  if (!Number.isFinite(beat.tS) || beat.tS < 0 || Object.is(beat.tS, -0)) return `t_s ${beat.tS} is not a time ≥ 0`;
  if (previous !== undefined && beat.tS <= previous.tS) return `t_s ${beat.tS} is not after ${previous.tS}`;
  if (!Number.isFinite(beat.rrMs) || beat.rrMs <= 0) return `rr_ms ${beat.rrMs} is not a positive interval`;
  const range = rrRangeProblem(beat.rrMs);
  if (range !== undefined) return `rr_ms ${beat.rrMs} ${range}`;
  if (!Number.isInteger(beat.flags) || beat.flags < 0 || (beat.flags & ~KNOWN_FLAG_BITS) !== 0) {
    return `flags ${beat.flags} has bits v1 does not define`;
  }
  return undefined;
}

/** The whole file, LF line ends, final newline. Throws RangeError on beats a reader would refuse. */
export function formatTablesideBeats(beats: readonly TablesideBeat[], meta: Record<string, string> = {}): string {
  const out = [TABLESIDE_BEATS_SIGNATURE];
  for (const [key, value] of Object.entries(meta)) {
    if (!/^[A-Za-z][\w.-]*$/.test(key) || /[\r\n]/.test(value))
      throw new RangeError(`meta ${key}: unusable key or value`);
    out.push(`# ${key}: ${value}`);
  }
  out.push(TABLESIDE_BEATS_HEADER);
  let previous: TablesideBeat | undefined;
  for (const beat of beats) {
    const problem = beatProblem(previous, beat);
    if (problem !== undefined) throw new RangeError(`beat ${beat.seq}: ${problem}`);
    out.push(`${beat.seq},${beat.tS},${beat.rrMs},${beat.flags}`);
    previous = beat;
  }
  return `${out.join('\n')}\n`;
}

/** Reads a v1 file with full fidelity (seq, t_s, flags). Any malformed row fails the whole file. */
export function parseTablesideBeats(text: string, file: string): TablesideBeats {
  return readTablesideLines(splitLines(stripBom(text)), file);
}

function readTablesideLines(lines: readonly string[], file: string): TablesideBeats {
  const signatureIndex = lines.findIndex((l) => l.trim() !== '');
  const version = SIGNATURE_ANY_VERSION.exec((lines[signatureIndex] ?? '').trim())?.[1];
  if (version !== '1') {
    throw new RrFileError(
      'RR_FILE_UNSUPPORTED',
      file,
      signatureIndex + 1,
      `tableside beats v${version ?? '?'}: this version reads v1 only`,
    );
  }
  const meta = metaLines(lines, signatureIndex + 1);
  const rows = contentLines(lines, signatureIndex + 1);
  const header = rows[0];
  if (header === undefined) throw new RrFileError('RR_FILE_TOO_SHORT', file, undefined, 'no header and no beats');
  const columns = columnIndexes(header, file);
  const beats: TablesideBeat[] = [];
  for (const row of rows.slice(1)) beats.push(readBeat(row, columns, beats[beats.length - 1], file));
  return { beats, meta };
}

/** `# key: value` lines after the signature and before the header. */
function metaLines(lines: readonly string[], from: number): Record<string, string> {
  const meta: Record<string, string> = {};
  for (let i = from; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (text.trim() === '') continue;
    if (!isCommentLine(text)) break;
    const match = /^\s*#\s*([^:]+?)\s*:\s?(.*)$/.exec(text);
    if (match?.[1]) meta[match[1]] = match[2] ?? '';
  }
  return meta;
}

type Columns = Record<(typeof TABLESIDE_BEATS_COLUMNS)[number], number> & { count: number };

function columnIndexes(header: NumberedLine, file: string): Columns {
  const names = header.text.split(',').map((n) => n.trim());
  const index = (name: string): number => {
    const i = names.indexOf(name);
    if (i < 0) {
      throw new RrFileError('RR_FILE_BAD_VALUE', file, header.line, `header "${header.text}" lacks column "${name}"`);
    }
    return i;
  };
  return { seq: index('seq'), t_s: index('t_s'), rr_ms: index('rr_ms'), flags: index('flags'), count: names.length };
}

function readBeat(
  row: NumberedLine,
  columns: Columns,
  previous: TablesideBeat | undefined,
  file: string,
): TablesideBeat {
  const fields = row.text.split(',').map((f) => f.trim());
  if (fields.length !== columns.count) {
    throw new RrFileError(
      'RR_FILE_BAD_VALUE',
      file,
      row.line,
      `${fields.length} fields, the header has ${columns.count}`,
    );
  }
  const integer = (name: 'seq' | 'flags'): number => {
    const text = fields[columns[name]] ?? '';
    if (!/^\d+$/.test(text))
      throw new RrFileError('RR_FILE_BAD_VALUE', file, row.line, `${name} "${text}" is not an integer`);
    return Number(text);
  };
  const tText = fields[columns.t_s] ?? '';
  if (!isDecimal(tText)) throw new RrFileError('RR_FILE_BAD_VALUE', file, row.line, `t_s "${tText}" is not a number`);
  const beat: TablesideBeat = {
    seq: integer('seq'),
    tS: Number(tText),
    rrMs: parseRrToken({ text: fields[columns.rr_ms] ?? '', line: row.line }, file, 'ms'),
    flags: integer('flags'),
  };
  const problem = beatProblem(previous, beat);
  if (problem !== undefined) throw new RrFileError('RR_FILE_BAD_VALUE', file, row.line, problem);
  return beat;
}

/** The common RrRecording view: raw RR, gaps from bit 1; the full beats stay available via `parseTablesideBeats`. */
export function tablesideRecording(lines: readonly string[], file: string): RrRecording {
  const { beats, meta: fileMeta } = readTablesideLines(lines, file);
  const meta: Record<string, string> = { unit: 'ms', unitSource: 'format', intervalKind: 'rr' };
  for (const [key, value] of Object.entries(fileMeta)) meta[`tableside.${key}`] = value;
  meta.correctedBeats = String(beats.filter((b) => (b.flags & TABLESIDE_BEAT_FLAG.Corrected) !== 0).length);
  const recording = {
    format: 'tableside-beats-v1' as const,
    rrMs: Float64Array.from(beats, (b) => b.rrMs),
    gapBefore: beats.map((b) => (b.flags & TABLESIDE_BEAT_FLAG.GapBefore) !== 0),
    meta,
  };
  const startedAt = fileMeta.startedAt;
  if (startedAt === undefined || Number.isNaN(Date.parse(startedAt))) return recording;
  meta.startedAtSource = 'tableside startedAt';
  return { ...recording, startedAt };
}
