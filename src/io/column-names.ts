/**
 * Header names → meaning. Tools write the same column a dozen ways (`rr`, `rr_ms`, `RR-interval [ms]`, `RRI`,
 * `ibi`, `timestamp, rr, since_start ` with stray spaces), so names are normalised before matching and the unit is
 * taken from the name when it carries one.
 */

export type NameUnit = 'ms' | 's' | 'us' | 'ns' | 'bpm' | 'other';

export interface ColumnName {
  /** as written, trimmed */
  readonly raw: string;
  /** lower case, unit removed, `-`/`_`/runs of spaces turned into one space: `RR-interval [ms]` → `rr interval` */
  readonly base: string;
  readonly unit: NameUnit | undefined;
}

const UNIT_WORDS: Record<string, NameUnit> = {
  ms: 'ms',
  msec: 'ms',
  millisec: 'ms',
  milliseconds: 'ms',
  s: 's',
  sec: 's',
  secs: 's',
  seconds: 's',
  us: 'us',
  µs: 'us',
  ns: 'ns',
  bpm: 'bpm',
};

/** `[ms]`, `(s)`, `{ms}` at the end, or a `_ms` / ` ms` / `-s` suffix. */
const BRACKETED_UNIT = /\s*[[({]\s*([^\])}]*?)\s*[\])}]\s*$/;
const SUFFIX_UNIT = /[\s_-](ms|msec|s|sec|secs|us|µs|ns|bpm)$/;

export function parseColumnName(raw: string): ColumnName {
  let rest = raw.trim().toLowerCase();
  let unit: NameUnit | undefined;
  const bracketed = BRACKETED_UNIT.exec(rest);
  if (bracketed) {
    unit = UNIT_WORDS[bracketed[1] ?? ''] ?? 'other';
    rest = rest.slice(0, bracketed.index);
  } else {
    const suffix = SUFFIX_UNIT.exec(rest);
    if (suffix) {
      unit = UNIT_WORDS[suffix[1] ?? ''];
      rest = rest.slice(0, suffix.index);
    }
  }
  const base = rest.replace(/[-_\s]+/g, ' ').trim();
  return { raw: raw.trim(), base, unit };
}

/** What an RR-like column holds. Optical PPI is accepted but labelled, since it is not ECG RR. */
export type IntervalKind = 'rr' | 'ibi' | 'nn' | 'ppi';

/** Higher priority first: with both `rr` and `nn` columns, the raw `rr` is what the artefact layer wants. */
const INTERVAL_NAMES: ReadonlyArray<readonly [IntervalKind, readonly string[]]> = [
  ['rr', ['rr', 'rri', 'rr interval', 'rr intervals', 'r r interval', 'r r', 'rr int']],
  ['ibi', ['ibi', 'interbeat interval', 'inter beat interval', 'beat interval']],
  ['nn', ['nn', 'nni', 'nn interval', 'nn intervals']],
  ['ppi', ['ppi', 'pp interval', 'pp intervals', 'pp']],
];

export function intervalKind(name: ColumnName): IntervalKind | undefined {
  for (const [kind, names] of INTERVAL_NAMES) if (names.includes(name.base)) return kind;
  return undefined;
}

export function intervalPriority(kind: IntervalKind): number {
  return INTERVAL_NAMES.findIndex(([k]) => k === kind);
}

/** Per-reading summary metrics: Elite HRV summary, HRV4Training, HRV Logger Features. */
const SUMMARY_NAMES = new Set([
  'rmssd',
  'lnrmssd',
  'ln rmssd',
  'sdnn',
  'pnn50',
  'nn50',
  'avnn',
  'sdsd',
  'lfhf',
  'lf hf',
  'hrv score',
  'rolling avg hrv',
  'hrv cv',
  'mean rr',
  'meanrr',
]);

export function isSummaryMetric(name: ColumnName): boolean {
  return SUMMARY_NAMES.has(name.base);
}

const HR_NAMES = new Set(['hr', 'heart rate', 'heartrate', 'bpm', 'pulse']);

export function isHeartRate(name: ColumnName): boolean {
  return HR_NAMES.has(name.base) || name.unit === 'bpm';
}
