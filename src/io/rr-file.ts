import { readFile } from 'node:fs/promises';
import { startedAtFromFileName } from './file-name.js';
import { looksLikeKubiosReport, parseKubiosReport } from './kubios-report.js';
import { looksLikeHrm, parsePolarHrm } from './polar-hrm.js';
import { parseRrCsv } from './rr-csv.js';
import { RrFileError } from './rr-file-error.js';
import type { RrRecording } from './rr-recording.js';
import { parsePlainRrText, parseRrTextLines } from './rr-text.js';
import { looksLikeTablesideBeats, tablesideRecording } from './tableside-format.js';
import { isRecordingText, parseRecording, rrFromRecording } from './tableside-recording.js';
import { baseName, contentLines, isDecimal, splitLines, stripBom, type TimeUnit } from './text.js';

export { RrFileError, type RrFileErrorCode } from './rr-file-error.js';
export type { RrFormat, RrRecording } from './rr-recording.js';
export { formatRrText } from './rr-text.js';
export type { TimeUnit } from './text.js';

/** What the user knows about a file that its content may not say. */
export interface RrReadOptions {
  /**
   * The unit of files that name none (plain numbers, a CSV column without `_ms`/`[s]`): otherwise it is decided from
   * the values' median, and refused when that gives no human heart rhythm. A file that names its unit (a header,
   * the format) must agree with it.
   */
  readonly units?: TimeUnit;
}

/** Fewer than 2 intervals gives no successive difference: nothing downstream can use it. */
const MIN_INTERVALS = 2;

/**
 * Reads RR intervals from the text of a file. Pure: `fileName` only names the file in errors and serves as a hint
 * (start time in the name, `.fit`). The layout is decided from the content, in this order: binary (FIT) →
 * tableside export → Polar HRM → Kubios report → headerless numbers → delimited text with a header.
 * Throws `RrFileError` and nothing else; never returns a partial result.
 */
export function parseRrText(text: string, fileName: string, options: RrReadOptions = {}): RrRecording {
  const body = stripBom(text);
  // One value per line, the common case, in one pass; anything else (or any doubt) takes the general path.
  const plain = parsePlainRrText(body, options.units);
  if (plain !== undefined) return withStartFromName(plain, fileName);
  refuseBinary(body, fileName);
  if (body.trim() === '') throw new RrFileError('RR_FILE_EMPTY', fileName, undefined, 'the file is empty');
  const recording = parseLines(splitLines(body), fileName, options.units);
  requireEnough(recording, fileName);
  requireUnitsAgree(recording, fileName, options.units);
  return withStartFromName(recording, fileName);
}

/** Reads a file from disk: bytes → text (UTF-8, or UTF-16 with its BOM), then `parseRrText`. */
export async function readRrFile(path: string, options: RrReadOptions = {}): Promise<RrRecording> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new RrFileError('RR_FILE_UNREADABLE', path, undefined, `cannot read the file (${code})`, { cause });
  }
  if (isFitSignature(bytes)) throw fitError(path);
  return parseRrText(decode(bytes), path, options);
}

function parseLines(lines: readonly string[], file: string, units: TimeUnit | undefined): RrRecording {
  if (isRecordingText(lines.join('\n'))) {
    // tableside's raw notification recording: the RR values its 0x2A37 payloads carry.
    const recording = parseRecording(lines.join('\n'), file);
    const { rrMs, gapBefore } = rrFromRecording(recording, file);
    return {
      format: 'tableside-recording-v1',
      rrMs,
      gapBefore,
      startedAt: recording.header.startedAt,
      meta: { source: recording.header.source },
    };
  }
  if (looksLikeTablesideBeats(lines)) return tablesideRecording(lines, file);
  if (looksLikeHrm(lines)) return parsePolarHrm(lines, file);
  if (looksLikeKubiosReport(lines)) return parseKubiosReport(lines, file);
  const data = contentLines(lines);
  const first = data[0];
  if (first === undefined) throw new RrFileError('RR_FILE_EMPTY', file, undefined, 'only comment lines, no values');
  if (!isNumericRow(first.text)) return parseRrCsv(data, file, units);
  // Without a header, `766,5` may be one value with a decimal comma or two columns: refuse rather than guess.
  if (/[,;]/.test(first.text)) {
    throw new RrFileError(
      'RR_FILE_UNKNOWN_FORMAT',
      file,
      first.line,
      'numbers separated by "," or ";" without a header: add a header line naming the RR column (e.g. "rr_ms")',
    );
  }
  return parseRrTextLines(lines, data, file, units);
}

/** `units` applies where the file names no unit; a format that fixes its own (HRM, Kubios, tableside) must agree. */
function requireUnitsAgree(recording: RrRecording, file: string, units: TimeUnit | undefined): void {
  const { unit, unitSource } = recording.meta;
  if (units === undefined || unitSource === 'option' || unit === units) return;
  const own = unit === undefined ? 'its own unit' : `${unit}`;
  throw new RrFileError(
    'RR_FILE_UNIT',
    file,
    undefined,
    `a ${recording.format} file stores its intervals in ${own}, but --units ${units} was given: leave --units out`,
  );
}

/** A header line has at least one field that is not a number; a data line has none. */
function isNumericRow(text: string): boolean {
  const fields = text
    .trim()
    .split(/[\s,;]+/)
    .filter((f) => f !== '');
  return fields.length > 0 && fields.every(isDecimal);
}

function requireEnough(recording: RrRecording, file: string): void {
  const n = recording.rrMs.length;
  if (n < MIN_INTERVALS) {
    throw new RrFileError(
      'RR_FILE_TOO_SHORT',
      file,
      undefined,
      `${n} RR interval(s); at least ${MIN_INTERVALS} are needed`,
    );
  }
}

/** The content's own start time wins; the file name is only a fallback (Elite HRV, Polar Flow, PSL names). */
function withStartFromName(recording: RrRecording, file: string): RrRecording {
  if (recording.startedAt !== undefined) return recording;
  const startedAt = startedAtFromFileName(file);
  if (startedAt === undefined) return recording;
  return { ...recording, startedAt, meta: { ...recording.meta, startedAtSource: 'file name' } };
}

/** FIT: byte 0 is the header size (12 or 14), bytes 8–11 spell `.FIT`. */
function isFitSignature(bytes: Uint8Array): boolean {
  return bytes.length >= 12 && String.fromCharCode(...bytes.subarray(8, 12)) === '.FIT';
}

function fitError(file: string): RrFileError {
  return new RrFileError(
    'RR_FILE_UNSUPPORTED',
    file,
    undefined,
    'FIT files are not supported yet: export the RR intervals as text (one value per line) and import that',
  );
}

/**
 * Control characters other than tab/LF/CR/FF never occur in the text formats, and a FIT header starts with one
 * (its size, 12 or 14). `parseRrText` gets text, not bytes, so the `.FIT` signature is looked for near the start:
 * invalid UTF-8 before it may shift it by a few chars.
 */
function refuseBinary(text: string, file: string): void {
  const head = text.slice(0, 8192);
  const binary = hasControlCharacter(head);
  if (binary && (head.slice(0, 16).includes('.FIT') || /\.fit$/i.test(baseName(file)))) throw fitError(file);
  if (binary) throw new RrFileError('RR_FILE_BINARY', file, undefined, 'binary content, not an RR text file');
}

/** Tab, LF, CR and FF are text; every other C0 control and DEL marks binary. */
function hasControlCharacter(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if ((code < 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d && code !== 0x0c) || code === 0x7f) return true;
  }
  return false;
}

function decode(bytes: Uint8Array): string {
  // Windows Notepad's "Unicode" is UTF-16LE with a BOM; read as UTF-8 it would look binary (every other byte 0).
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes);
  // TextDecoder drops a UTF-8 BOM itself; invalid bytes become U+FFFD and fail later as bad values, never silently.
  return new TextDecoder('utf-8').decode(bytes);
}
