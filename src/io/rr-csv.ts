import {
  type ColumnName,
  type IntervalKind,
  intervalKind,
  intervalPriority,
  isHeartRate,
  isSummaryMetric,
  parseColumnName,
} from './column-names.js';
import { isPlausibleLocalTime } from './file-name.js';
import { RrFileError } from './rr-file-error.js';
import type { RrRecording } from './rr-recording.js';
import { type NumberedLine, type TimeUnit, type Token, tokensToMs } from './text.js';

type Delimiter = ',' | ';' | '\t' | 'whitespace' | 'none';

type CsvResult = Pick<RrRecording, 'format' | 'rrMs' | 'meta' | 'startedAt'>;

/**
 * Delimited text with a header that names an RR column: HRV Logger (`timestamp, rr, since_start ` + blank line),
 * Polar Sensor Logger (`Phone timestamp;RR-interval [ms]`), ECGLogger extracts (`time_ns,hr_bpm,rr_ms`).
 * The column is found by name, never by position: the same app has shipped different column orders.
 * `dataLines` are the file's non-blank, non-comment lines; the first is the header.
 */
export function parseRrCsv(dataLines: readonly NumberedLine[], file: string, units?: TimeUnit): CsvResult {
  const header = dataLines[0] as NumberedLine;
  const delimiter = detectDelimiter(header.text);
  const names = splitFields(header.text, delimiter).map(parseColumnName);
  refuseNonRr(names, file, header.line);
  const rrIndex = findRrColumn(names, file, header.line);
  const rrName = names[rrIndex] as ColumnName;
  const unit = unitFromName(rrName, file, header.line);
  if (unit !== undefined && units !== undefined && unit !== units) {
    throw new RrFileError(
      'RR_FILE_UNIT',
      file,
      header.line,
      `the RR column "${rrName.raw}" is in ${unit}, but --units ${units} was given: leave --units out`,
    );
  }
  const rows = dataLines.slice(1);
  const tokens = rows.map((row) => rrToken(row, header, delimiter, rrIndex, rrName, file));
  const { rrMs, unit: usedUnit } = tokensToMs(tokens, file, unit ?? units);
  const kind = intervalKind(rrName) as IntervalKind;
  const meta: Record<string, string> = {
    unit: usedUnit,
    unitSource: unit !== undefined ? 'header' : units !== undefined ? 'option' : 'magnitude',
    rrColumn: rrName.raw,
    delimiter: delimiter === '\t' ? 'tab' : delimiter,
    intervalKind: kind === 'ppi' ? 'ppi' : 'rr',
    ...ppiMeta(kind, names, rows, delimiter),
  };
  const startedAt = startedAtFromFirstRow(names, rows[0], delimiter);
  if (startedAt !== undefined) meta.startedAtSource = 'first row timestamp (arrival of the first beat)';
  return { format: 'rr-csv', rrMs, meta, ...(startedAt === undefined ? {} : { startedAt }) };
}

/**
 * `;` and tab win over `,` because `;` files may use a decimal comma (a Polar Sensor Logger user's `12,1`).
 * Without any of them the header is either one name with spaces (`RR interval`) or whitespace-separated names.
 */
function detectDelimiter(headerText: string): Delimiter {
  if (headerText.includes(';')) return ';';
  if (headerText.includes('\t')) return '\t';
  if (headerText.includes(',')) return ',';
  if (intervalKind(parseColumnName(headerText)) !== undefined) return 'none';
  return 'whitespace';
}

/** Splits one row; double-quoted fields may hold the delimiter (`""` is a quote). Fields are trimmed. */
export function splitFields(text: string, delimiter: Delimiter): string[] {
  if (delimiter === 'none') return [text.trim()];
  if (delimiter === 'whitespace') return text.trim().split(/\s+/);
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field.trim() === '') {
      quoted = true;
      field = '';
    } else if (c === delimiter) {
      fields.push(field.trim());
      field = '';
    } else field += c;
  }
  fields.push(field.trim());
  return fields;
}

/** Summary exports and HR streams look like RR sources (same apps, same folders) but must never be read as RR. */
function refuseNonRr(names: readonly ColumnName[], file: string, line: number): void {
  const summary = names.filter(isSummaryMetric);
  if (summary.length >= 2) {
    throw new RrFileError(
      'RR_FILE_NOT_RR',
      file,
      line,
      `this is a summary export (columns ${summary.map((n) => n.raw).join(', ')}), one row per reading, not RR ` +
        'intervals: export the raw RR file instead',
    );
  }
}

function findRrColumn(names: readonly ColumnName[], file: string, line: number): number {
  const candidates = names
    .map((name, index) => ({ index, kind: intervalKind(name) }))
    .filter((c): c is { index: number; kind: IntervalKind } => c.kind !== undefined);
  if (candidates.length === 0) {
    const listed = describeColumns(names);
    if (names.some(isHeartRate)) {
      throw new RrFileError(
        'RR_FILE_NOT_RR',
        file,
        line,
        `columns ${listed}: heart-rate samples, not RR intervals (use the RR export, e.g. the *_RR.txt stream)`,
      );
    }
    throw new RrFileError(
      'RR_FILE_UNKNOWN_FORMAT',
      file,
      line,
      `no RR column in header ${listed} (expected e.g. "rr_ms")`,
    );
  }
  const best = Math.min(...candidates.map((c) => intervalPriority(c.kind)));
  const top = candidates.filter((c) => intervalPriority(c.kind) === best);
  if (top.length > 1) {
    const listed = top.map((c) => `"${names[c.index]?.raw}"`).join(' and ');
    throw new RrFileError(
      'RR_FILE_UNKNOWN_FORMAT',
      file,
      line,
      `two RR columns (${listed}): cannot tell which to read`,
    );
  }
  return (top[0] as { index: number }).index;
}

/** Up to 6 names, each cut to 40 chars: a prose file read as a header must not flood the terminal. */
function describeColumns(names: readonly ColumnName[]): string {
  const shown = names.slice(0, 6).map((n) => `"${n.raw.length > 40 ? `${n.raw.slice(0, 40)}…` : n.raw}"`);
  return names.length > 6 ? `${shown.join(', ')}, … (${names.length} columns)` : shown.join(', ');
}

function unitFromName(name: ColumnName, file: string, line: number): TimeUnit | undefined {
  if (name.unit === undefined || name.unit === 'ms' || name.unit === 's') return name.unit;
  throw new RrFileError('RR_FILE_UNKNOWN_FORMAT', file, line, `RR column "${name.raw}": unit not understood`);
}

function rrToken(
  row: NumberedLine,
  header: NumberedLine,
  delimiter: Delimiter,
  rrIndex: number,
  rrName: ColumnName,
  file: string,
): Token {
  // A header written again mid-file means appended sessions (OpenHRV opens its log in append mode): the time
  // between them is unknown, and RR text cannot express that gap.
  if (row.text.trim() === header.text.trim()) {
    throw new RrFileError('RR_FILE_BAD_VALUE', file, row.line, 'header repeated: the file holds several recordings');
  }
  const fields = splitFields(row.text, delimiter);
  const value = fields[rrIndex];
  if (value === undefined) {
    throw new RrFileError(
      'RR_FILE_BAD_VALUE',
      file,
      row.line,
      `${fields.length} field(s), no value for column ${rrIndex + 1} "${rrName.raw}"`,
    );
  }
  // Decimal comma only where `,` cannot be the delimiter.
  const text = delimiter !== ',' && /^[+-]?\d+,\d+$/.test(value) ? value.replace(',', '.') : value;
  return { text, line: row.line };
}

/** Pulse-to-pulse intervals from an optical sensor: read as RR, but say so and count the movement-blocked rows. */
function ppiMeta(
  kind: IntervalKind,
  names: readonly ColumnName[],
  rows: readonly NumberedLine[],
  delimiter: Delimiter,
): Record<string, string> {
  if (kind !== 'ppi') return {};
  const meta: Record<string, string> = { note: 'optical pulse-to-pulse intervals (PPI) read as RR' };
  const blocker = names.findIndex((n) => n.base === 'blocker');
  if (blocker >= 0) {
    const blocked = rows.filter((r) => splitFields(r.text, delimiter)[blocker] === '1').length;
    meta.ppiBlockerRows = String(blocked);
  }
  return meta;
}

const TIMESTAMP_NAMES = new Set(['phone timestamp', 'timestamp', 'time', 'datetime', 'date time']);
const ISO_LIKE = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}:\d{2}(?:\.\d+)?)(Z|[+-]\d{2}:?\d{2})?$/;
const EPOCH_DIGITS: Record<number, bigint> = { 10: 1n, 13: 1_000n, 16: 1_000_000n, 19: 1_000_000_000n };
const PER_UNIT: Partial<Record<string, bigint>> = { s: 1n, ms: 1_000n, us: 1_000_000n, ns: 1_000_000_000n };

/**
 * The first row's timestamp, when a timestamp column is recognisable. It is the phone's receipt of the first beat
 * (BLE batches beats), so it is a start time to the second, not a beat time. `sensor timestamp [ns]` is left
 * alone: it counts from 2000-01-01 (Polar epoch), not 1970.
 */
function startedAtFromFirstRow(
  names: readonly ColumnName[],
  row: NumberedLine | undefined,
  delimiter: Delimiter,
): string | undefined {
  const index = names.findIndex((n) => TIMESTAMP_NAMES.has(n.base));
  if (index < 0 || row === undefined) return undefined;
  const value = splitFields(row.text, delimiter)[index] ?? '';
  const iso = ISO_LIKE.exec(value);
  if (iso) {
    const local = `${iso[1]}T${iso[2]}`;
    return isPlausibleLocalTime(local.slice(0, 19)) ? `${local}${iso[3] ?? ''}` : undefined;
  }
  if (!/^\d{10,19}$/.test(value)) return undefined;
  const unit = names[index]?.unit;
  const perSecond = (unit === undefined ? undefined : PER_UNIT[unit]) ?? EPOCH_DIGITS[value.length];
  if (perSecond === undefined) return undefined;
  const epochMs = Number((BigInt(value) * 1_000n) / perSecond);
  const startedAt = new Date(epochMs).toISOString();
  return isPlausibleLocalTime(startedAt.slice(0, 19)) ? startedAt : undefined;
}
