/**
 * Which layout a file was read as. Kept coarse on purpose: tools differ in column names and line ends, not in
 * meaning; `meta` says which column, unit and rule were used.
 */
export type RrFormat =
  /** one RR per line, or whitespace-separated RR on one line (Elite HRV raw, Kubios "Type 1", Welltory, recordings/) */
  | 'rr-text'
  /** two columns `time rr` without header (Kubios "Type 2", Polar Flow / V800 `rr-*.txt`) */
  | 'time-rr-text'
  /** delimited text with a header naming an RR column (HRV Logger, Polar Sensor Logger, ECGLogger extracts) */
  | 'rr-csv'
  /** Polar `.hrm` in R-R mode (`Interval=238`) */
  | 'polar-hrm'
  /** the RR block of a Kubios HRV Standard text report */
  | 'kubios-report'
  /** tableside's own beat export, `# tableside beats v1` */
  | 'tableside-beats-v1'
  /** tableside's raw notification recording, `# tableside recording v1`: RR decoded from its 0x2A37 payloads */
  | 'tableside-recording-v1';

/** RR intervals read from a file, before any artefact handling. */
export interface RrRecording {
  readonly format: RrFormat;
  /** intervals in ms, as written (seconds converted by moving the decimal point, never rounded) */
  readonly rrMs: Float64Array;
  /**
   * Present only for formats that can say where the recording was interrupted (tableside v1). `gapBefore[i]` true:
   * no successive difference may span beats i-1 and i. Absent means the file cannot express gaps, not "no gaps".
   */
  readonly gapBefore?: readonly boolean[];
  /**
   * When the recording started, ISO 8601. Local time without zone when the file gives none (HRM, Elite HRV, Polar
   * Sensor Logger); `Z` when it comes from an epoch timestamp. `meta.startedAtSource` says where it came from.
   */
  readonly startedAt?: string;
  /**
   * Everything else worth keeping, as text: `unit` (`ms`/`s`, what the file used), `unitSource` (`header`,
   * `format`, `option` (the user's `--units`) or `magnitude` (the values' median)), `rrColumn`, `intervalKind`
   * (`rr`, or `ppi` for optical pulse-to-pulse), `leadingOffsetS` and `leadingOffsetLine` (a first line that was
   * the time of the first beat, left out), and the file's own key/value pairs under a prefix (`hrm.Version`,
   * `comment.File`, `kubios.File type`).
   */
  readonly meta: Record<string, string>;
}
