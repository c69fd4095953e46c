/** Why a file could not be read as RR intervals. Stable strings: the CLI and tests key on them. */
export type RrFileErrorCode =
  /** the file could not be opened or read (missing, permissions, a directory) */
  | 'RR_FILE_UNREADABLE'
  /** nothing but whitespace */
  | 'RR_FILE_EMPTY'
  /** binary content (NUL or control bytes) that is not a format we know */
  | 'RR_FILE_BINARY'
  /** a known format we do not read yet (FIT) */
  | 'RR_FILE_UNSUPPORTED'
  /** text, but no layout we recognise */
  | 'RR_FILE_UNKNOWN_FORMAT'
  /** a known layout that holds something else than RR intervals (summaries, HR samples) */
  | 'RR_FILE_NOT_RR'
  /** one value is not a positive finite number, or a row breaks the layout */
  | 'RR_FILE_BAD_VALUE'
  /**
   * the unit is wrong: read in the unit their median suggests (no header names one), the values give no human heart
   * rhythm (median RR outside 250–2500 ms); or `--units` contradicts the unit the file names
   */
  | 'RR_FILE_UNIT'
  /** fewer than 2 intervals: nothing any HRV measure can use */
  | 'RR_FILE_TOO_SHORT';

/**
 * The one error type the readers throw. The message always starts with `file:line:` (or `file:` when no single
 * line is to blame), so a CLI can print it as is and an editor can jump to it.
 */
export class RrFileError extends Error {
  override readonly name = 'RrFileError';
  readonly code: RrFileErrorCode;
  readonly file: string;
  /** 1-based line in the file as written (CRLF, LF and bare CR each end one line), when one line is to blame */
  readonly line: number | undefined;

  constructor(code: RrFileErrorCode, file: string, line: number | undefined, reason: string, options?: ErrorOptions) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${reason}`, options);
    this.code = code;
    this.file = file;
    this.line = line;
  }
}
