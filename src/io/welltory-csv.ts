/**
 * The multi-reading CSV of Welltory's research export (`hrv_measurements.csv`, github.com/Welltory/hrv-covid19): one
 * row per reading, with the person (`user_code`), the local time (`measurement_datetime`, "2020-04-21 21:23:08"),
 * the app's time of day, the tags ("Before; Sleep; After; Massage", semicolon-separated) and the raw RR series
 * (`rr_data`, ms, comma-separated inside one quoted field), beside Welltory's own results (`rmssd` …).
 *
 * Pure: text in, rows out. Throws `RrFileError` naming `file:line`, never a partial result.
 */
import { RrFileError } from './rr-file-error.js';
import { isDecimal, rrRangeProblem, splitLines, stripBom } from './text.js';

/** The columns a row must have to be read as a Welltory reading. */
const REQUIRED = ['user_code', 'measurement_datetime', 'time_of_day', 'tags', 'rr_data'] as const;

export interface WelltoryRow {
  /** 1-based line in the file */
  readonly line: number;
  readonly user: string;
  /** Welltory's id of the reading, when the file has one */
  readonly rrCode: string | null;
  /** local date-time as the app stored it, 'YYYY-MM-DDTHH:MM:SS' */
  readonly at: string;
  /** morning / day / evening / night */
  readonly timeOfDay: string;
  readonly tags: string;
  readonly rrMs: Float64Array;
  /** Welltory's own RMSSD, ms, as printed (null when the cell is empty) */
  readonly rmssdMs: number | null;
}

/** True when the first line is a header holding every column a Welltory reading needs. */
export function looksLikeWelltoryCsv(text: string): boolean {
  const firstLine = stripBom(text).split(/\r\n|\r|\n/, 1)[0] ?? '';
  const names = splitCsvLine(firstLine).map((f) => f.trim().toLowerCase());
  return REQUIRED.every((c) => names.includes(c));
}

/** Every row of the file, in file order. */
export function parseWelltoryCsv(text: string, file: string): WelltoryRow[] {
  const lines = splitLines(stripBom(text));
  const header = splitCsvLine(lines[0] ?? '').map((f) => f.trim().toLowerCase());
  const col = (name: string): number => header.indexOf(name);
  for (const name of REQUIRED) {
    if (col(name) < 0) {
      throw new RrFileError('RR_FILE_UNKNOWN_FORMAT', file, 1, `no "${name}" column: not a Welltory readings file`);
    }
  }
  const rows: WelltoryRow[] = [];
  for (let i = 1; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (text.trim() === '') continue;
    const line = i + 1;
    const fields = splitCsvLine(text, file, line);
    if (fields.length !== header.length) {
      throw new RrFileError(
        'RR_FILE_BAD_VALUE',
        file,
        line,
        `${fields.length} fields where the header has ${header.length}`,
      );
    }
    const get = (name: string): string => (col(name) < 0 ? '' : (fields[col(name)] ?? ''));
    const user = get('user_code').trim();
    if (user === '') throw new RrFileError('RR_FILE_BAD_VALUE', file, line, 'empty user_code');
    const rmssdText = get('rmssd').trim();
    rows.push({
      line,
      user,
      rrCode: get('rr_code').trim() || null,
      at: localDateTime(get('measurement_datetime'), file, line),
      timeOfDay: get('time_of_day').trim(),
      tags: get('tags').trim(),
      rrMs: rrSeries(get('rr_data'), file, line),
      rmssdMs: isDecimal(rmssdText) ? Number(rmssdText) : null,
    });
  }
  if (rows.length === 0) throw new RrFileError('RR_FILE_EMPTY', file, undefined, 'a header and no readings');
  return rows;
}

/** How many rows each person has, most first (ties by code). */
export function welltoryUsers(rows: readonly WelltoryRow[]): { user: string; readings: number }[] {
  const counts = new Map<string, number>();
  for (const r of rows) counts.set(r.user, (counts.get(r.user) ?? 0) + 1);
  return [...counts]
    .map(([user, readings]) => ({ user, readings }))
    .sort((a, b) => b.readings - a.readings || a.user.localeCompare(b.user));
}

/**
 * A row's kind of reading: the app's `morning` → morning (a reading on waking, whatever its tags say: "After;
 * Sleep"); otherwise the first `Before` or `After` context tag → before / after; anything else → other.
 */
export function welltoryKind(row: Pick<WelltoryRow, 'timeOfDay' | 'tags'>): 'morning' | 'before' | 'after' | 'other' {
  if (row.timeOfDay.toLowerCase() === 'morning') return 'morning';
  for (const tag of row.tags.split(';')) {
    const t = tag.trim().toLowerCase();
    if (t === 'before') return 'before';
    if (t === 'after') return 'after';
  }
  return 'other';
}

function localDateTime(text: string, file: string, line: number): string {
  const m = /^\s*(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?\s*$/.exec(text);
  if (!m) {
    throw new RrFileError(
      'RR_FILE_BAD_VALUE',
      file,
      line,
      `measurement_datetime "${text}" is not a date and time (YYYY-MM-DD HH:MM:SS)`,
    );
  }
  const [, y, mo, d, h, mi, s] = m;
  const date = new Date(Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s)));
  if (date.getUTCMonth() !== Number(mo) - 1 || date.getUTCDate() !== Number(d) || Number(h) > 23 || Number(mi) > 59) {
    throw new RrFileError('RR_FILE_BAD_VALUE', file, line, `measurement_datetime "${text}" is not a real date`);
  }
  return `${y}-${mo}-${d}T${h}:${mi}:${s}`;
}

function rrSeries(text: string, file: string, line: number): Float64Array {
  const parts = text.split(',').map((p) => p.trim());
  if (parts.length === 1 && parts[0] === '') throw new RrFileError('RR_FILE_TOO_SHORT', file, line, 'empty rr_data');
  const out = new Float64Array(parts.length);
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] as string;
    if (!isDecimal(p))
      throw new RrFileError('RR_FILE_BAD_VALUE', file, line, `rr_data value ${i + 1} "${p}" is not a number`);
    const ms = Number(p);
    if (!(ms > 0))
      throw new RrFileError('RR_FILE_BAD_VALUE', file, line, `rr_data value ${i + 1} "${p}" is not above 0`);
    const problem = rrRangeProblem(ms);
    if (problem) throw new RrFileError('RR_FILE_BAD_VALUE', file, line, `rr_data value ${i + 1}: ${problem}`);
    out[i] = ms;
  }
  return out;
}

/** One CSV record on one line (RFC 4180 quoting: "" inside quotes is a quote). */
function splitCsvLine(text: string, file?: string, line?: number): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else quoted = false;
      } else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  if (quoted && file !== undefined) throw new RrFileError('RR_FILE_BAD_VALUE', file, line, 'a quote is not closed');
  fields.push(field);
  return fields;
}
