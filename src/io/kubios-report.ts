import { RrFileError } from './rr-file-error.js';
import type { RrRecording } from './rr-recording.js';
import { type TimeUnit, type Token, tokensToMs } from './text.js';

const REPORT_FIRST_LINE = /^\s*HRV ANALYSIS RESULTS\b/i;
const RR_BLOCK = /^\s*RR INTERVAL DATA and SPECTRUM ESTIMATES\s*,/i;
/** `SAMPLE 1` / `RR Data, FFT spectrum…` / `Time, RR interval, Frequency…` / `(s), (s), (Hz)…` */
const BLOCK_HEADER_ROWS = 4;

export function looksLikeKubiosReport(lines: readonly string[]): boolean {
  const first = lines.find((l) => l.trim() !== '') ?? '';
  return REPORT_FIRST_LINE.test(first) || lines.some((l) => RR_BLOCK.test(l));
}

/**
 * The RR block of a Kubios HRV Standard text report. Rows are fixed-width, comma-separated, each field
 * space-padded and followed by `,`: field 0 is 30 spaces, then time and RR interval, then spectrum fields that turn
 * blank once the spectrum runs out. The column is found by its name in the header rows, the unit by the units row
 * (`(s)`): the report writes seconds, unlike Kubios' own import which takes either.
 */
export function parseKubiosReport(lines: readonly string[], file: string): Omit<RrRecording, 'gapBefore'> {
  const start = lines.findIndex((l) => RR_BLOCK.test(l));
  if (start < 0) {
    throw new RrFileError(
      'RR_FILE_NOT_RR',
      file,
      undefined,
      'Kubios report without the "RR INTERVAL DATA" block: only results, no RR intervals',
    );
  }
  const header = lines.slice(start + 1, start + 1 + BLOCK_HEADER_ROWS).map(fields);
  const namesRow = header.findIndex((row) => row.some((f) => /^RR interval$/i.test(f)));
  const column = (header[namesRow] ?? []).findIndex((f) => /^RR interval$/i.test(f));
  const unitText = header[namesRow + 1]?.[column];
  const unit: TimeUnit | undefined = unitText === '(s)' ? 's' : unitText === '(ms)' ? 'ms' : undefined;
  if (column < 0 || unit === undefined) {
    throw new RrFileError(
      'RR_FILE_UNKNOWN_FORMAT',
      file,
      start + 1,
      'Kubios report RR block without the expected "RR interval" / "(s)" header rows',
    );
  }
  const tokens = blockTokens(lines, start + 1 + BLOCK_HEADER_ROWS, column);
  const { rrMs } = tokensToMs(tokens, file, unit);
  return {
    format: 'kubios-report',
    rrMs,
    meta: { ...reportMeta(lines, start), unit, unitSource: 'header', intervalKind: 'rr' },
  };
}

function fields(line: string | undefined): string[] {
  return (line ?? '').split(',').map((f) => f.trim());
}

/** Data rows run to the first blank line or the first row whose RR field is empty (the report ends with two). */
function blockTokens(lines: readonly string[], from: number, column: number): Token[] {
  const tokens: Token[] = [];
  for (let i = from; i < lines.length; i++) {
    const value = fields(lines[i])[column] ?? '';
    if ((lines[i] ?? '').trim() === '' || value === '') break;
    tokens.push({ text: value, line: i + 1 });
  }
  return tokens;
}

/**
 * `Key: value` lines before the results (`File type: asciiRR`, `Measurement date: xx/xx/xx xx:xx:xx`). The
 * measurement date is kept as text only: it is a placeholder when unknown and its day/month order is not documented.
 */
function reportMeta(lines: readonly string[], end: number): Record<string, string> {
  const meta: Record<string, string> = {};
  const title = /^\s*HRV ANALYSIS RESULTS\s*-\s*(.+)$/i.exec(lines[0] ?? '');
  if (title?.[1]) meta['kubios.analysed'] = title[1].trim();
  for (const line of lines.slice(0, end)) {
    if (/^\s*Parameters\s*$/i.test(line)) break;
    const match = /^([A-Za-z][A-Za-z ]{1,30}):\s*(.+)$/.exec(line.trim());
    if (match?.[1] && match[2]) meta[`kubios.${match[1].trim()}`] = match[2].trim();
  }
  return meta;
}
