import { RrFileError } from './rr-file-error.js';
import type { RrRecording } from './rr-recording.js';
import {
  isCommentLine,
  isDecimal,
  type NumberedLine,
  rrRangeProblem,
  type TimeUnit,
  type Token,
  tokensToMs,
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
