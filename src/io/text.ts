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

/**
 * Last resort when neither a header nor the format names the unit: seconds when some value is written with a
 * decimal point and every value is below 10. An RR of 10 s or more is not a heartbeat, and integer-only files
 * (Elite HRV, recordings/) are ms in every tool we know, while ms files with decimals (Kubios-style `766.000`)
 * always have values far above 10.
 */
export function unitByMagnitude(tokens: readonly Token[], values: readonly number[]): TimeUnit {
  const hasDecimals = tokens.some((t) => t.text.includes('.'));
  return hasDecimals && values.every((v) => v < 10) ? 's' : 'ms';
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

/** Checks every token, then decides the unit (given, or by magnitude) and converts: one bad value fails the file. */
export function tokensToMs(
  tokens: readonly Token[],
  file: string,
  unit: TimeUnit | undefined,
): { rrMs: Float64Array; unit: TimeUnit } {
  const values = tokens.map((t) => parseRrToken(t, file, unit));
  const chosen = unit ?? unitByMagnitude(tokens, values);
  return { rrMs: toMs(tokens, values, chosen, file), unit: chosen };
}

/** The last path segment, for file-name hints (`/a/b/2017-07-19 07-50-42.txt` → `2017-07-19 07-50-42.txt`). */
export function baseName(fileName: string): string {
  const parts = fileName.split(/[\\/]/);
  return parts[parts.length - 1] ?? fileName;
}
