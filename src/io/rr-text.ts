import { RrFileError } from './rr-file-error.js';
import type { RrRecording } from './rr-recording.js';
import {
  hasPlausibleMedian,
  isCommentLine,
  isDecimal,
  isLeadingOffset,
  isPlausibleTypicalRr,
  MAX_RR_MS,
  median,
  type NumberedLine,
  rrRangeProblem,
  secondsTextToMs,
  type TimeUnit,
  type Token,
  tokensToMs,
  unitOfMedian,
} from './text.js';

/**
 * Headerless numeric text: one RR per line (Elite HRV raw, Kubios "Type 1", PhysioNet `rr_secs`, recordings/), one
 * line of whitespace-separated RR (Welltory), or two columns `time rr` (Kubios "Type 2", Polar Flow `0.000 0.72`).
 * The unit is never written in these files: it is `units` when the user gave it, else decided by the median value
 * (see `unitByMedian`). In one column of seconds a first value that is the time of the first beat is recognised and
 * left out (`meta.leadingOffsetS`, `meta.leadingOffsetLine`).
 */
export function parseRrTextLines(
  allLines: readonly string[],
  dataLines: readonly NumberedLine[],
  file: string,
  units?: TimeUnit,
): Pick<RrRecording, 'format' | 'rrMs' | 'meta'> {
  const rows = dataLines.map(splitRow);
  const unitSource = units === undefined ? 'magnitude' : 'option';
  const meta: Record<string, string> = { ...commentMeta(allLines), unitSource, intervalKind: 'rr' };
  if (rows.length === 1 || rows.every((r) => r.length === 1)) {
    const { rrMs, unit, leadingOffset } = tokensToMs(rows.flat(), file, units, { leadingOffset: rows.length > 1 });
    if (leadingOffset) {
      meta.leadingOffsetS = leadingOffset.text;
      meta.leadingOffsetLine = String(leadingOffset.line);
    }
    return { format: 'rr-text', rrMs, meta: { ...meta, unit } };
  }
  const width = rows[0]?.length ?? 0;
  const odd = rows.find((r) => r.length !== width);
  if (odd !== undefined) {
    throw new RrFileError(
      'RR_FILE_UNKNOWN_FORMAT',
      file,
      odd[0]?.line,
      `${odd.length} value(s) on this line but ${width} on the first: neither one RR per line nor "time rr" columns`,
    );
  }
  if (width !== 2) {
    throw new RrFileError(
      'RR_FILE_UNKNOWN_FORMAT',
      file,
      rows[0]?.[0]?.line,
      `${width} numeric columns without a header: add a header line naming the RR column (e.g. "rr_ms")`,
    );
  }
  return parseTimeRr(rows, file, meta, units);
}

const CHAR_0 = 0x30;
const CHAR_9 = 0x39;
const CHAR_DOT = 0x2e;
const CHAR_LF = 0x0a;
const CHAR_CR = 0x0d;
/** More integer digits than this is above `MAX_RR_MS` (8 digits) in any unit. */
const MAX_PLAIN_INTEGER_DIGITS = 9;
/** Fewest values the fast path returns: shorter files take the general path and its error. */
const MIN_PLAIN_VALUES = 2;

/**
 * The common case read in one pass over the text, without a string or an object per line: one unsigned decimal per
 * line (`789`, `766.5`, `0.789`), LF or CRLF line ends, blank lines allowed — a day-long Holter export has 80 000 such
 * lines. Returns exactly what `parseRrTextLines` returns for such a text: the same unit rule (`units`, else
 * `unitByMedian`'s), the same leading time offset (`isLeadingOffset`), the same plausibility (`hasPlausibleMedian`'s,
 * from the one median when the values are ms), the same doubles. Returns undefined as soon as the text is anything else (another layout, a sign, an exponent, a space,
 * a value that is 0 or longer than a day, an implausible median, fewer than 2 values): the general path then decides,
 * and names the error.
 */
export function parsePlainRrText(
  text: string,
  units?: TimeUnit,
): Pick<RrRecording, 'format' | 'rrMs' | 'meta'> | undefined {
  const length = text.length;
  let values = new Float64Array(Math.max(16, length >> 2));
  // where each value's text starts and ends: seconds are converted from the text (see `secondsTextToMs`)
  let starts = new Uint32Array(values.length);
  let ends = new Uint32Array(values.length);
  let count = 0;
  let max = 0;
  let firstLine = 1;
  let i = 0;
  while (i < length) {
    let code = text.charCodeAt(i);
    if (code === CHAR_LF) {
      if (count === 0) firstLine++;
      i++;
      continue;
    }
    if (code === CHAR_CR) {
      if (text.charCodeAt(i + 1) !== CHAR_LF) return undefined; // a bare CR: the general path splits on it
      if (count === 0) firstLine++;
      i += 2;
      continue;
    }
    // integer part: at least one digit
    const start = i;
    let integer = 0;
    while (code >= CHAR_0 && code <= CHAR_9) {
      integer = integer * 10 + (code - CHAR_0);
      code = text.charCodeAt(++i);
    }
    const integerDigits = i - start;
    if (integerDigits === 0 || integerDigits > MAX_PLAIN_INTEGER_DIGITS) return undefined;
    let value = integer;
    if (code === CHAR_DOT) {
      // fraction: at least one digit; the value is then what Number() makes of the text
      const fractionStart = ++i;
      code = text.charCodeAt(i);
      while (code >= CHAR_0 && code <= CHAR_9) code = text.charCodeAt(++i);
      if (i === fractionStart) return undefined;
      value = Number(text.slice(start, i));
    }
    // the value ends its line
    if (i < length && code !== CHAR_LF && code !== CHAR_CR) return undefined;
    if (!(value > 0)) return undefined;
    if (value > max) max = value;
    if (count === values.length) {
      values = grown(values);
      starts = grown(starts);
      ends = grown(ends);
    }
    starts[count] = start;
    ends[count] = i;
    values[count++] = value;
  }
  if (count < MIN_PLAIN_VALUES) return undefined;
  // Without a given unit, the median of the values as written decides it, and when they are ms it is the median RR.
  const writtenMedian = units === undefined ? median(values.subarray(0, count)) : Number.NaN;
  const unit = units ?? unitOfMedian(writtenMedian);
  let rrMs: Float64Array;
  if (unit === 'ms') {
    if (max > MAX_RR_MS) return undefined;
    rrMs = values.slice(0, count);
  } else {
    rrMs = new Float64Array(count);
    for (let k = 0; k < count; k++) {
      const ms = secondsTextToMs(text.slice(starts[k] as number, ends[k] as number));
      if (!(ms > 0) || ms > MAX_RR_MS) return undefined;
      rrMs[k] = ms;
    }
  }
  const meta: Record<string, string> = { unitSource: units === undefined ? 'magnitude' : 'option', intervalKind: 'rr' };
  if (unit === 's' && isLeadingOffset(rrMs)) {
    meta.leadingOffsetS = text.slice(starts[0] as number, ends[0] as number);
    meta.leadingOffsetLine = String(firstLine);
    rrMs = rrMs.slice(1);
  }
  if (units === undefined && !(unit === 'ms' ? isPlausibleTypicalRr(writtenMedian) : hasPlausibleMedian(rrMs))) {
    return undefined;
  }
  meta.unit = unit;
  return { format: 'rr-text', rrMs, meta };
}

function grown<T extends Float64Array | Uint32Array>(array: T): T {
  const bigger = new (array.constructor as new (length: number) => T)(array.length * 2);
  bigger.set(array);
  return bigger;
}

function splitRow(line: NumberedLine): Token[] {
  return line.text
    .trim()
    .split(/\s+/)
    .map((text) => ({ text, line: line.line }));
}

/**
 * `time rr`: the RR column is the data. Times are not trusted: in a V800 export the time jumps 0 → 5.455 s while
 * RR = 0.749 s, and Kubios "Type 2" starts at 0 while its report starts at the first RR. A decreasing first column
 * means it is not a time at all, and guessing which column is RR would then be silent nonsense.
 */
function parseTimeRr(
  rows: readonly Token[][],
  file: string,
  meta: Record<string, string>,
  units: TimeUnit | undefined,
): Pick<RrRecording, 'format' | 'rrMs' | 'meta'> {
  const times = rows.map((r) => r[0] as Token);
  let previous = Number.NEGATIVE_INFINITY;
  for (const t of times) {
    if (!isDecimal(t.text)) {
      throw new RrFileError(
        'RR_FILE_BAD_VALUE',
        file,
        t.line,
        `"${t.text}" is not a number (expected a time in the first column)`,
      );
    }
    const value = Number(t.text);
    if (!Number.isFinite(value) || value < previous) {
      throw new RrFileError(
        'RR_FILE_UNKNOWN_FORMAT',
        file,
        t.line,
        `two columns, but the first ("${t.text}") is not an increasing time: expected "time rr" rows`,
      );
    }
    previous = value;
  }
  const { rrMs, unit } = tokensToMs(
    rows.map((r) => r[1] as Token),
    file,
    units,
  );
  return { format: 'time-rr-text', rrMs, meta: { ...meta, unit, rrColumn: '2', timeColumn: 'ignored' } };
}

/**
 * Kubios-style exports start with `# Key:<tabs>value` lines; keep them (as `comment.Key`) since they name the
 * source. A free-text comment line goes to `comment`.
 */
export function commentMeta(lines: readonly string[]): Record<string, string> {
  const meta: Record<string, string> = {};
  const free: string[] = [];
  for (const line of lines) {
    if (!isCommentLine(line)) continue;
    const body = line.trim().replace(/^#+/, '').trim();
    const match = /^([^:]{1,40}):\s*(.*)$/.exec(body);
    if (match?.[1] && match[2] !== undefined) meta[`comment.${match[1].trim()}`] = match[2].trim();
    else if (body !== '') free.push(body);
  }
  if (free.length > 0) meta.comment = free.join('\n');
  return meta;
}

/**
 * Plain RR text for Kubios ("Type 1") and any tool that reads one value per line: ms, one per line, LF, final
 * newline. `String(x)` is the shortest text that reads back as the same double: minimal digits, no rounding.
 * Reads back exactly with `parseRrText(text, name, { units: 'ms' })`; without the unit, as long as the median is at
 * least 10 ms and within 250–2500 ms (see `unitByMedian`) — true of any real recording.
 */
export function formatRrText(rrMs: ArrayLike<number>): string {
  const out: string[] = [];
  for (let i = 0; i < rrMs.length; i++) {
    const value = rrMs[i] as number;
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`rrMs[${i}] = ${value} is not a positive interval`);
    const range = rrRangeProblem(value);
    if (range !== undefined) throw new RangeError(`rrMs[${i}] = ${value} ms ${range}`);
    out.push(String(value));
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
