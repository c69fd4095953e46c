/**
 * The summary of a stored session: per phase (baseline, massage, recovery) the numbers `tableside analyze` gives for
 * that stretch, the markers placed in it, and whether the client's RMSSD moved beyond the baseline's own noise.
 *
 * Pure: no I/O, no clock. Everything is on beat time (s), as stored.
 *
 * A phase's numbers come from `analyze()` on the raw RR of exactly the beats whose end time lies in the phase, with
 * their gap flags, classified afresh for that phase (the live classification stored with each beat is not used: it
 * was made causally, on a trailing window, while the batch analysis sees the whole phase). So a phase equals
 * `tableside analyze FILE --from START --to END` on the exported beats, as long as the file's time axis (cumulative
 * RR) is the session's beat time, i.e. the session has no gap (after a gap, beat time jumps over the lost time and
 * the running sum of RR does not).
 */
import type { Beat } from '../domain/beats.js';
import type { MarkerKind, PhaseKind } from '../domain/kinds.js';
import { type Analysis, type AnalyzeOptions, analyze } from '../hrv/analyze.js';

export type { MarkerKind, PhaseKind };

/** A stretch of the session; `endedAtS` null while it is still running (or was never closed). */
export interface Phase {
  readonly kind: PhaseKind;
  readonly startedAtS: number;
  readonly endedAtS: number | null;
}

/** Something the therapist tapped or typed during the session. An undone marker stays stored but counts nowhere. */
export interface Marker {
  readonly atS: number;
  readonly kind: MarkerKind;
  readonly value: string;
  readonly undone: boolean;
}

/** One raw beat as stored (its live `kind` is not used here: see the module comment). */
export type StoredBeat = Beat;

export interface SessionInput {
  /** in stream order (strictly increasing `tS`) */
  readonly beats: readonly StoredBeat[];
  readonly phases: readonly Phase[];
  readonly markers: readonly Marker[];
  /** where a phase that is still open at the end stops, s; default: the end time of the last beat */
  readonly endS?: number;
}

/** Analysis settings shared by the phases and the baseline windows; the selection is always the phase's beats. */
export type SummaryAnalyzeOptions = Partial<Omit<AnalyzeOptions, 'fromS' | 'toS'>>;

// ---------------------------------------------------------------------------------------------------------------
// Baseline noise and the smallest worthwhile change

/**
 * Length of the windows the baseline is cut into to measure its minute-to-minute variation, s. 60 s because that is
 * the window of the live RMSSD (hrv-methods §2, §8: the practical minimum for lnRMSSD), so the band describes the
 * noise of exactly the number the live view compares against it.
 */
export const BASELINE_WINDOW_S = 60;

/**
 * A window counts only if its beats cover at least this much time, s: the live view's rule (≥ 50 s of a 60 s window,
 * hrv-methods §8). It drops the short tail of a run before a gap or at the end of the baseline.
 */
export const MIN_WINDOW_COVERED_S = 50;

/**
 * ...and it holds at least this many normal beats, so its RMSSD rests on enough successive differences (the live
 * view asks for 30 differences in 60 s). A window with more than `maxCorrectedPct` (5 %) corrected beats is skipped
 * as well: `analyze` gives no RMSSD for it.
 */
export const MIN_WINDOW_NORMAL_BEATS = 30;

/** A standard deviation needs at least two values. */
export const MIN_BASELINE_WINDOWS = 2;

/**
 * The band, as a multiple of the SD of the baseline's 60 s lnRMSSD values: one SD.
 *
 * tableside's choice. It follows the sports-science practice of judging a change in lnRMSSD against the person's own
 * variation rather than against population norms (hrv-methods §7), and it is sized for what the screen compares: a
 * live 60 s RMSSD against the baseline. A single resting minute lies within one SD of the baseline most of the time,
 * so a value inside the band is "no clear change"; half an SD (the figure often quoted for day-to-day monitoring)
 * called more than half of the resting minutes of the reference recordings a shift. Whole phases are judged with
 * the same band, which is conservative for them (a longer phase varies less than a single minute).
 */
export const SWC_FACTOR = 1;

/**
 * The band never gets narrower than this, ln units (≈ ±5 % RMSSD). A baseline can look suspiciously steady — a few
 * windows that happen to agree, quantised or synthetic data — and SWC_FACTOR × SD would then call every wiggle a
 * shift. 0.05 is far below the agreement of a 60 s lnRMSSD with a 5 min one at rest (limits ±0.22, Esco & Flatt
 * 2014), so it only ever catches a degenerate baseline, never replaces a real one.
 */
export const MIN_BAND_LN = 0.05;

export interface BaselineOptions {
  readonly windowS: number;
  readonly minWindowCoveredS: number;
  readonly minWindowNormalBeats: number;
  readonly swcFactor: number;
  readonly minBandLn: number;
  readonly analyze: SummaryAnalyzeOptions;
}

export const BASELINE_DEFAULTS: BaselineOptions = Object.freeze({
  windowS: BASELINE_WINDOW_S,
  minWindowCoveredS: MIN_WINDOW_COVERED_S,
  minWindowNormalBeats: MIN_WINDOW_NORMAL_BEATS,
  swcFactor: SWC_FACTOR,
  minBandLn: MIN_BAND_LN,
  analyze: {},
});

/** The resting reference a phase (or the live 60 s RMSSD) is compared with, and how noisy it is. */
export interface BaselineReference {
  /** RMSSD of the whole baseline, exactly as the baseline phase reports it, ms; null when it has none */
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  /** 60 s windows that counted */
  readonly windows: number;
  /** their lnRMSSD, in time order */
  readonly windowLnRmssd: readonly number[];
  /** complete or partial windows that did not count (too short, too few clean beats, too irregular) */
  readonly skippedWindows: number;
  /** sample SD (N − 1) of `windowLnRmssd`; null with fewer than 2 windows */
  readonly lnRmssdSd: number | null;
  /** smallest worthwhile change, ± ln units: max(minBandLn, swcFactor × SD); null when it cannot be known */
  readonly bandLn: number | null;
  /** why a shift cannot be judged against this baseline, or null */
  readonly reason: string | null;
}

export const SHORT_BASELINE_REASON = 'baseline shorter than 2 clean minutes: cannot tell a shift from noise';

/**
 * The reference and its noise from the beats of a baseline.
 *
 * The baseline is cut into consecutive, non-overlapping windows of `windowS` on beat time. The grid restarts at the
 * start of every contiguous run (the first beat, and the first beat after each gap), so no window spans a gap and a
 * gap costs at most the partial window before it. Each window is analysed on its own (`analyze`: artefact layer,
 * RMSSD by deletion — only differences between two consecutive normal beats).
 */
export function baselineReference(
  beats: readonly StoredBeat[],
  options: Partial<BaselineOptions> = {},
): BaselineReference {
  const o: BaselineOptions = { ...BASELINE_DEFAULTS, ...options };
  const whole = analyzeBeats(beats, o.analyze);

  const windowLnRmssd: number[] = [];
  let skippedWindows = 0;
  for (const run of contiguousRuns(beats)) {
    // The run starts where its first interval starts; window k holds the beats whose end time lies in
    // (origin + k·W, origin + (k+1)·W], the same half-open rule as `analyze --from --to`.
    const originS = run[0].tS - run[0].rrMs / 1000;
    const windowOf = (beat: StoredBeat) => Math.ceil((beat.tS - originS) / o.windowS) - 1;
    let i = 0;
    while (i < run.length) {
      const k = windowOf(run[i]);
      const window: StoredBeat[] = [];
      while (i < run.length && windowOf(run[i]) === k) window.push(run[i++]);
      const a = analyzeBeats(window, o.analyze);
      const normalBeats = a.beats - a.correctedBeats;
      if (a.lnRmssd === null || a.durationS < o.minWindowCoveredS || normalBeats < o.minWindowNormalBeats) {
        skippedWindows++;
      } else {
        windowLnRmssd.push(a.lnRmssd);
      }
    }
  }

  const lnRmssdSd = sampleSd(windowLnRmssd);
  const bandLn =
    lnRmssdSd === null || windowLnRmssd.length < MIN_BASELINE_WINDOWS
      ? null
      : Math.max(o.minBandLn, o.swcFactor * lnRmssdSd);
  let reason: string | null = null;
  if (whole.rmssdMs === null || whole.lnRmssd === null) {
    reason = whole.tooIrregular
      ? 'too many irregular beats in the baseline to measure a resting RMSSD'
      : `no resting RMSSD in the baseline (${whole.notes[0] ?? 'no beats'})`;
  } else if (bandLn === null) {
    reason = SHORT_BASELINE_REASON;
  }
  return {
    rmssdMs: whole.rmssdMs,
    lnRmssd: whole.lnRmssd,
    windows: windowLnRmssd.length,
    windowLnRmssd,
    skippedWindows,
    lnRmssdSd,
    bandLn,
    reason,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Shift against the baseline

/** How the band is put to a therapist. */
const THAN_THE_BAND =
  'than the smallest change that counts for this client (set from their resting minute-to-minute spread)';

export type ShiftVerdict = 'shifting-to-rest' | 'activated' | 'no-clear-change' | 'unknown';

export interface Shift {
  /** the two RMSSD values compared, ms (null when missing) */
  readonly baselineRmssdMs: number | null;
  readonly rmssdMs: number | null;
  /** ln(RMSSD) − ln(baseline RMSSD) */
  readonly lnRmssdDelta: number | null;
  /** (RMSSD / baseline RMSSD − 1) · 100 */
  readonly rmssdPct: number | null;
  /** the baseline's smallest worthwhile change, ± ln units */
  readonly bandLn: number | null;
  readonly verdict: ShiftVerdict;
  /** plain words: what the verdict means, or why there is none */
  readonly words: string;
}

/**
 * The rule, shared by the session report and the live view (which passes its 60 s RMSSD): a rise of lnRMSSD beyond
 * the band is a shift towards rest (more vagal activity), a fall beyond it is activation, anything inside is no clear
 * change. `missingWhy` says why `rmssdMs` is null, for the words.
 */
export function shiftAgainst(
  baseline: BaselineReference | null,
  rmssdMs: number | null,
  missingWhy = 'no RMSSD to compare',
): Shift {
  const baselineRmssdMs = baseline?.rmssdMs ?? null;
  const bandLn = baseline?.bandLn ?? null;
  const unknown = (words: string, delta: number | null = null): Shift => ({
    baselineRmssdMs,
    rmssdMs,
    lnRmssdDelta: delta,
    rmssdPct: delta === null ? null : rmssdPctOf(rmssdMs, baselineRmssdMs),
    bandLn,
    verdict: 'unknown',
    words,
  });
  if (baseline === null) return unknown('no baseline was recorded before this: nothing to compare with');
  if (rmssdMs === null) return unknown(missingWhy);
  if (baselineRmssdMs === null || baselineRmssdMs <= 0) return unknown(baseline.reason ?? 'no resting RMSSD');
  if (rmssdMs <= 0) return unknown('RMSSD is 0: no beat-to-beat variation to compare');
  const delta = Math.log(rmssdMs) - Math.log(baselineRmssdMs);
  if (bandLn === null) return unknown(baseline.reason ?? SHORT_BASELINE_REASON, delta);

  let verdict: ShiftVerdict;
  let words: string;
  if (delta > bandLn) {
    verdict = 'shifting-to-rest';
    words = `shifting to rest: RMSSD rose by more ${THAN_THE_BAND}`;
  } else if (delta < -bandLn) {
    verdict = 'activated';
    words = `activated: RMSSD fell by more ${THAN_THE_BAND}`;
  } else {
    verdict = 'no-clear-change';
    words = `no clear change: RMSSD moved less ${THAN_THE_BAND}`;
  }
  return {
    baselineRmssdMs,
    rmssdMs,
    lnRmssdDelta: delta,
    rmssdPct: rmssdPctOf(rmssdMs, baselineRmssdMs),
    bandLn,
    verdict,
    words,
  };
}

const VERDICT_SHORT: Record<ShiftVerdict, string> = {
  'shifting-to-rest': 'shifting to rest',
  activated: 'activated',
  'no-clear-change': 'no clear change',
  unknown: 'no verdict',
};

/**
 * One short sentence for the report, e.g. "RMSSD 41 → 58 ms (+41 %): beyond the baseline's noise (±6 %): shifting to
 * rest". The band is shown as the percentage the upward threshold corresponds to (the ln band is symmetric; in %
 * it is slightly narrower downwards). "Noise" names the band, not a significance test: with the default band (half the
 * SD of the baseline minutes) many single resting minutes already lie outside it, which matters most for the live
 * 60 s value.
 */
export function describeShift(shift: Shift): string {
  const values =
    shift.baselineRmssdMs !== null && shift.rmssdMs !== null
      ? `RMSSD ${formatMs(shift.baselineRmssdMs)} → ${formatMs(shift.rmssdMs)} ms (${formatPct(shift.rmssdPct)})`
      : `RMSSD ${shift.baselineRmssdMs === null ? '—' : formatMs(shift.baselineRmssdMs)} → ${
          shift.rmssdMs === null ? '—' : formatMs(shift.rmssdMs)
        } ms`;
  if (shift.verdict === 'unknown' || shift.bandLn === null) return `${values}: no verdict: ${shift.words}`;
  const band = `±${Math.round((Math.exp(shift.bandLn) - 1) * 100)} %`;
  const where = shift.verdict === 'no-clear-change' ? 'within' : 'beyond';
  return `${values}: ${where} the baseline's noise (${band}): ${VERDICT_SHORT[shift.verdict]}`;
}

// ---------------------------------------------------------------------------------------------------------------
// Session summary

export interface PhaseSummary {
  readonly kind: PhaseKind;
  readonly startedAtS: number;
  /** as stored, or where an open phase was taken to end (next phase's start, `endS`, or the last beat) */
  readonly endedAtS: number;
  /** `endedAtS` was null in the input */
  readonly open: boolean;
  /** endedAtS − startedAtS, s */
  readonly durationS: number;
  /** raw beats whose end time lies in (startedAtS, endedAtS] */
  readonly beats: number;
  /** sum of those beats' RR, s: less than `durationS` when a gap lies in the phase */
  readonly recordedS: number;
  readonly meanHrBpm: number | null;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly hfMs2: number | null;
  readonly lnHf: number | null;
  readonly respirationRateBpm: number | null;
  readonly correctedPct: number;
  readonly tooIrregular: boolean;
  /** `note` markers placed in the phase, in time order */
  readonly notes: string[];
  /** techniques and regions marked in the phase, first occurrence order, each once */
  readonly techniques: string[];
  readonly regions: string[];
  /** the analysis' plain-language notes: why a value is missing, what to trust */
  readonly analysisNotes: string[];
  /** for a baseline phase: its reference and noise; null otherwise */
  readonly reference: BaselineReference | null;
  /** against the latest baseline phase that started before this one; null for a baseline phase */
  readonly shift: Shift | null;
}

export interface SessionSummary {
  readonly beats: number;
  readonly phases: PhaseSummary[];
  /** the first baseline's reference: the one to compare across sessions (same phase, same conditions, §7) */
  readonly baseline: BaselineReference | null;
  /** markers (not undone) that lie in no phase */
  readonly unassignedMarkers: Marker[];
}

export interface SummaryOptions {
  readonly analyze: SummaryAnalyzeOptions;
  readonly baseline: Partial<Omit<BaselineOptions, 'analyze'>>;
}

/**
 * Summarises a session. Phases are taken in order of their start; an open phase ends where the next one starts, or at
 * `endS` / the last beat. A marker belongs to every phase with start ≤ atS < end (an open last phase has no end).
 */
export function summariseSession(input: SessionInput, options: Partial<SummaryOptions> = {}): SessionSummary {
  const analyzeOptions = options.analyze ?? {};
  const baselineOptions: Partial<BaselineOptions> = { ...options.baseline, analyze: analyzeOptions };
  const beats = input.beats;
  const lastBeatS = beats.length > 0 ? beats[beats.length - 1].tS : 0;
  const sessionEndS = input.endS ?? lastBeatS;
  const phases = [...input.phases].sort((a, b) => a.startedAtS - b.startedAtS);
  const markers = input.markers.filter((m) => !m.undone).sort((a, b) => a.atS - b.atS);

  const used = new Set<Marker>();
  let currentBaseline: BaselineReference | null = null;
  let firstBaseline: BaselineReference | null = null;
  const summaries: PhaseSummary[] = [];
  for (let p = 0; p < phases.length; p++) {
    const phase = phases[p];
    const open = phase.endedAtS === null;
    const next = phases[p + 1];
    const endedAtS = Math.max(phase.startedAtS, phase.endedAtS ?? next?.startedAtS ?? sessionEndS);
    const inPhase = beats.filter((b) => b.tS > phase.startedAtS && b.tS <= endedAtS);
    const a = analyzeBeats(inPhase, analyzeOptions);

    const markerEndS = open && next === undefined ? Number.POSITIVE_INFINITY : endedAtS;
    const mine = markers.filter((m) => m.atS >= phase.startedAtS && m.atS < markerEndS);
    for (const m of mine) used.add(m);

    let reference: BaselineReference | null = null;
    let shift: Shift | null = null;
    if (phase.kind === 'baseline') {
      reference = baselineReference(inPhase, baselineOptions);
      currentBaseline = reference;
      firstBaseline ??= reference;
    } else if (a.durationS < (options.baseline?.minWindowCoveredS ?? MIN_WINDOW_COVERED_S) && a.rmssdMs !== null) {
      // Shorter than one baseline window: its RMSSD is noisier than the band assumes.
      shift = shiftAgainst(currentBaseline, null, 'phase shorter than a minute of beats: too short to compare');
    } else {
      shift = shiftAgainst(currentBaseline, a.rmssdMs, missingRmssdWhy(a));
    }

    summaries.push({
      kind: phase.kind,
      startedAtS: phase.startedAtS,
      endedAtS,
      open,
      durationS: endedAtS - phase.startedAtS,
      beats: a.beats,
      recordedS: a.durationS,
      meanHrBpm: a.meanHrBpm,
      rmssdMs: a.rmssdMs,
      lnRmssd: a.lnRmssd,
      hfMs2: a.hfMs2,
      lnHf: a.lnHf,
      respirationRateBpm: a.respirationRateBpm,
      correctedPct: a.correctedPct,
      tooIrregular: a.tooIrregular,
      notes: mine.filter((m) => m.kind === 'note').map((m) => m.value),
      techniques: distinctValues(mine, 'technique'),
      regions: distinctValues(mine, 'region'),
      analysisNotes: a.notes,
      reference,
      shift,
    });
  }
  return {
    beats: beats.length,
    phases: summaries,
    baseline: firstBaseline,
    unassignedMarkers: markers.filter((m) => !used.has(m)),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

/** `analyze` on exactly these beats, with their gap flags (the first beat is never linked to anything before it). */
function analyzeBeats(beats: readonly StoredBeat[], options: SummaryAnalyzeOptions): Analysis {
  const rrMs = new Float64Array(beats.length);
  const gapBefore: boolean[] = new Array(beats.length);
  for (let i = 0; i < beats.length; i++) {
    rrMs[i] = beats[i].rrMs;
    gapBefore[i] = i > 0 && beats[i].gapBefore;
  }
  return analyze(rrMs, { ...options, fromS: undefined, toS: undefined }, gapBefore);
}

/** Splits at every beat with a gap before it. */
function contiguousRuns(beats: readonly StoredBeat[]): StoredBeat[][] {
  const runs: StoredBeat[][] = [];
  for (const beat of beats) {
    if (runs.length === 0 || beat.gapBefore) runs.push([]);
    runs[runs.length - 1].push(beat);
  }
  return runs;
}

function sampleSd(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  const ss = values.reduce((s, v) => s + (v - mean) * (v - mean), 0);
  return Math.sqrt(ss / (values.length - 1));
}

function missingRmssdWhy(a: Analysis): string {
  if (a.tooIrregular) return 'too many irregular beats in this phase to measure RMSSD';
  if (a.beats < 2) return 'too few beats in this phase';
  return a.notes[0] ?? 'no RMSSD for this phase';
}

function rmssdPctOf(rmssdMs: number | null, baselineRmssdMs: number | null): number | null {
  if (rmssdMs === null || baselineRmssdMs === null || baselineRmssdMs <= 0) return null;
  return (rmssdMs / baselineRmssdMs - 1) * 100;
}

function distinctValues(markers: readonly Marker[], kind: MarkerKind): string[] {
  return [...new Set(markers.filter((m) => m.kind === kind).map((m) => m.value))];
}

function formatMs(ms: number): string {
  return ms < 10 ? ms.toFixed(1) : ms.toFixed(0);
}

function formatPct(pct: number | null): string {
  if (pct === null) return '—';
  const rounded = Math.round(pct);
  return `${rounded < 0 ? '−' : '+'}${Math.abs(rounded)} %`;
}
