import { RrFileError } from './rr-file-error.js';

/** The unit the file wrote its intervals in. */
export type TimeUnit = 'ms' | 's';

/** A token as written, with the 1-based line it came from, so every error can name its line. */
export interface Token {
  readonly text: string;
  readonly line: number;
}

/** A non-blank line, with its 1-based number in the file. */
export interface NumberedLine {
  readonly text: string;
  readonly line: number;
}

const BOM = '\uFEFF';

export function stripBom(text: string): string {
  return text.startsWith(BOM) ? text.slice(BOM.length) : text;
}

/**
 * Real files end lines with CRLF (HRM, Elite HRV, Kubios report), LF, or a bare CR (HRV4Training iOS), and often
 * have no final newline (Elite HRV, Welltory). Splitting on all three keeps line numbers right for every one.
 */
export function splitLines(text: string): string[] {
  return text.split(/\r\n|\r|\n/);
}

export function isCommentLine(text: string): boolean {
  return text.trimStart().startsWith('#');
}

/** Lines that carry content: blank lines and `#` comments dropped, original line numbers kept. */
export function contentLines(lines: readonly string[], from = 0): NumberedLine[] {
  const out: NumberedLine[] = [];
  for (let i = from; i < lines.length; i++) {
    const text = lines[i] ?? '';
    if (text.trim() !== '' && !isCommentLine(text)) out.push({ text, line: i + 1 });
  }
  return out;
}

/** Only plain decimals: `Number()` alone would also take '', ' ', '0x1F', 'Infinity' and '1_000' as numbers. */
const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

export function isDecimal(text: string): boolean {
  return DECIMAL.test(text);
}

/**
 * Seconds to ms by moving the decimal point in the text (`'0.766'` → `Number('0.766e3')` = 766), so the result is
 * the double nearest the written value; `0.766 * 1000` would give 766.0000000000001.
 */
export function secondsTextToMs(text: string): number {
  const match = /^(.*?)(?:[eE]([+-]?\d+))?$/.exec(text);
  const mantissa = match?.[1] ?? text;
  const exponent = Number(match?.[2] ?? '0') + 3;
  return Number(`${mantissa}e${exponent}`);
}

function unitWord(unit: TimeUnit | undefined): string {
  return unit === undefined ? 'ms or s' : unit;
}

/**
 * The longest value read as one RR interval, ms: a day. Longer is no heartbeat under any reading, and beat time summed
 * from such values stops being exact (after a beat of 1e300 ms, adding a real one no longer moves it). Short values
 * stay (a ms column holding 0.5 is read as 0.5 ms, as its header says): the artefact layer drops them.
 */
export const MAX_RR_MS = 86_400_000;

/** Why `ms` cannot be one RR interval (it is assumed positive and finite), or undefined. */
export function rrRangeProblem(ms: number): string | undefined {
  return ms > MAX_RR_MS ? 'is longer than a day: not an RR interval' : undefined;
}

function outOfRange(token: Token, file: string, unit: TimeUnit, problem: string): RrFileError {
  return new RrFileError('RR_FILE_BAD_VALUE', file, token.line, `"${token.text}" ${unit} ${problem}`);
}

/**
 * One RR value as written, checked: a plain decimal, finite and > 0 (and, in ms, at most `MAX_RR_MS`).
 * Implausible but possible values (150 ms, 4000 ms) pass on purpose: flagging them is the artefact layer's job, and
 * it needs to see them.
 */
export function parseRrToken(token: Token, file: string, unit: TimeUnit | undefined): number {
  if (token.text === '') {
    throw new RrFileError(
      'RR_FILE_BAD_VALUE',
      file,
      token.line,
      `empty RR value (expected an RR interval in ${unitWord(unit)})`,
    );
  }
  if (!isDecimal(token.text)) {
    throw new RrFileError(
      'RR_FILE_BAD_VALUE',
      file,
      token.line,
      `"${token.text}" is not a number (expected an RR interval in ${unitWord(unit)})`,
    );
  }
  const value = Number(token.text);
  if (!Number.isFinite(value)) {
    throw new RrFileError('RR_FILE_BAD_VALUE', file, token.line, `"${token.text}" is not a finite number`);
  }
  if (value <= 0) {
    throw new RrFileError('RR_FILE_BAD_VALUE', file, token.line, `"${token.text}" is not a positive RR interval`);
  }
  const problem = unit === 'ms' ? rrRangeProblem(value) : undefined;
  if (problem !== undefined) throw outOfRange(token, file, 'ms', problem);
  return value;
}

/** The median of `values` (not empty). */
export function median(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * When neither a header nor the format names the unit, and the user did not: decided by the median value. Below 10
 * it is seconds (an RR of 10 s is no heartbeat), otherwise ms. The median, not any one value: a time offset on the
 * first line (PhysioNet `rr_secs` exports start with e.g. 225.8 s) or a 12-second gap in a seconds file must not turn
 * the whole file into milliseconds, nor a 0.5 ms glitch a ms file into seconds.
 */
export function unitByMedian(values: ArrayLike<number>): TimeUnit {
  return unitOfMedian(median(values));
}

/** `unitByMedian` from the median itself, for a caller that needs the median again. */
export function unitOfMedian(medianValue: number): TimeUnit {
  return medianValue < 10 ? 's' : 'ms';
}

/**
 * The typical (median) RR a file read without a named unit must give, ms: 250–2500 ms is 24–240 beats a minute.
 * Outside it the unit guessed from the values is taken to be wrong, and the file is refused with what was assumed and
 * how to say otherwise, rather than read as a heart rate of 48 000 bpm. The median, not the mean: a wrong unit moves
 * every value a thousandfold, the median with them, while the mean of a short reading with one long dropout (a 10 s
 * gap among four beats) may leave the range with the unit right.
 */
export const PLAUSIBLE_RR_MS = { min: 250, max: 2500 } as const;

/** Whether intervals read without a named unit have a plausible typical (median) RR (`PLAUSIBLE_RR_MS`). */
export function hasPlausibleMedian(rrMs: ArrayLike<number>): boolean {
  return isPlausibleTypicalRr(median(rrMs));
}

/** `hasPlausibleMedian` from the median RR itself, ms. */
export function isPlausibleTypicalRr(typicalMs: number): boolean {
  return typicalMs >= PLAUSIBLE_RR_MS.min && typicalMs <= PLAUSIBLE_RR_MS.max;
}

/** Refuses values that, read as `unit` by their median, give no human heart rhythm (`RR_FILE_UNIT`). */
function requirePlausible(rrMs: Float64Array, values: readonly number[], unit: TimeUnit, file: string): void {
  if (hasPlausibleMedian(rrMs)) return;
  const typicalMs = median(rrMs);
  const read = unit === 's' ? 'seconds' : 'milliseconds';
  const other = unit === 's' ? 'ms' : 's';
  const rate = `${figure(typicalMs)} ms (${figure(60_000 / typicalMs)} bpm)`;
  const assumed =
    `no unit is named in the file, so the values were read as ${read} from their median (${figure(median(values))}, ` +
    `${unit === 's' ? 'below' : 'not below'} 10): that gives a typical RR of ${rate}, no human heart rhythm`;
  if (values.length >= 3 && values.every((v, i) => i === 0 || v > (values[i - 1] as number))) {
    throw new RrFileError(
      'RR_FILE_UNIT',
      file,
      undefined,
      `${assumed}. The values only increase (${values[0]} … ${values[values.length - 1]}): they look like beat ` +
        'times, not RR intervals; export the intervals instead',
    );
  }
  throw new RrFileError(
    'RR_FILE_UNIT',
    file,
    undefined,
    `${assumed}. If the values are in ${other === 's' ? 'seconds' : 'milliseconds'}, say so with --units ${other}`,
  );
}

/** A figure for a message: 3 significant digits below 1000, whole numbers above. */
function figure(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Math.abs(x) >= 1000 ? String(Math.round(x)) : String(Number(x.toPrecision(3)));
}

/** Converts checked values to ms; a seconds value that overflows in ms fails here, not later as Infinity. */
export function toMs(tokens: readonly Token[], values: readonly number[], unit: TimeUnit, file: string): Float64Array {
  const rrMs = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const token = tokens[i] as Token;
    const ms = unit === 's' ? secondsTextToMs(token.text) : (values[i] as number);
    if (!Number.isFinite(ms) || ms <= 0) {
      throw new RrFileError(
        'RR_FILE_BAD_VALUE',
        file,
        token.line,
        `"${token.text}" s is not a usable RR interval in ms`,
      );
    }
    const problem = rrRangeProblem(ms);
    if (problem !== undefined) throw outOfRange(token, file, unit, problem);
    rrMs[i] = ms;
  }
  return rrMs;
}

/** The first line of a one-column seconds file that is a time offset, not an interval (see `tokensToMs`). */
export interface LeadingOffset {
  readonly text: string;
  readonly line: number;
}

export interface ValuesInMs {
  readonly rrMs: Float64Array;
  readonly unit: TimeUnit;
  /** set when the first value was recognised as a time offset and left out of `rrMs` */
  readonly leadingOffset?: LeadingOffset;
}

/**
 * Checks every token, then decides the unit (given, or by the median) and converts: one bad value fails the file.
 *
 * Without a given unit the result must have a plausible median RR (`PLAUSIBLE_RR_MS`), else the file is refused
 * (`RR_FILE_UNIT`): a guessed unit never silently turns seconds into milliseconds. A given unit (header, format, the
 * user's `--units`) is trusted as it is.
 *
 * @param options.leadingOffset a one-column layout: in seconds, a first value longer than 2.5 s and more than three
 *   times the median of the others is the time of the first beat (PhysioNet `rr_secs` exports start with the
 *   offset of the first beat, e.g. 225.8 s), not an interval; it is left out and returned as `leadingOffset`
 */
export function tokensToMs(
  tokens: readonly Token[],
  file: string,
  unit: TimeUnit | undefined,
  options: { leadingOffset?: boolean } = {},
): ValuesInMs {
  const values = tokens.map((t) => parseRrToken(t, file, unit));
  const chosen = unit ?? unitByMedian(values);
  let rrMs = toMs(tokens, values, chosen, file);
  let leadingOffset: LeadingOffset | undefined;
  if (options.leadingOffset && chosen === 's' && isLeadingOffset(rrMs)) {
    const first = tokens[0] as Token;
    leadingOffset = { text: first.text, line: first.line };
    rrMs = rrMs.slice(1);
  }
  if (unit === undefined && rrMs.length > 0) {
    requirePlausible(rrMs, leadingOffset ? values.slice(1) : values, chosen, file);
  }
  return leadingOffset ? { rrMs, unit: chosen, leadingOffset } : { rrMs, unit: chosen };
}

/** The longest first value that is still read as an interval in a one-column seconds file, ms (see `tokensToMs`). */
const MAX_FIRST_INTERVAL_MS = 2500;

/** Whether the first of a one-column seconds file's values (in ms) is the time of the first beat (see `tokensToMs`). */
export function isLeadingOffset(rrMs: Float64Array): boolean {
  if (rrMs.length < 3) return false;
  const first = rrMs[0] as number;
  return first > MAX_FIRST_INTERVAL_MS && first > 3 * median(rrMs.subarray(1));
}

/** The last path segment, for file-name hints (`/a/b/2017-07-19 07-50-42.txt` → `2017-07-19 07-50-42.txt`). */
export function baseName(fileName: string): string {
  const parts = fileName.split(/[\\/]/);
  return parts[parts.length - 1] ?? fileName;
}
