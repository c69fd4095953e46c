/**
 * Batch analysis of a recording or a segment of it: what `tableside analyze` prints, and what a stored session's
 * phase summary uses. Pure: takes intervals, returns numbers.
 */
import { type ArtefactOptions, classifyBeats } from './artefacts.js';
import { NnLinks } from './linked-nn.js';
import { type FrequencyDomain, frequencyDomain, METHOD_B, type SpectrumOptions } from './spectrum.js';
import { isAvailable, timeDomain } from './time-domain.js';
import type { BeatKind } from './types.js';

/** Above this share of corrected beats a recording gives no vagal number (Kubios guidance, hrv-methods §4.2). */
export const MAX_CORRECTED_PCT = 5;

export interface AnalyzeOptions {
  /** false: compute on the values as given (no range filter, no artefact correction) */
  readonly correction: boolean;
  readonly artefacts?: Partial<ArtefactOptions>;
  readonly spectrum: SpectrumOptions;
  /** select the beats whose end time (cumulative RR from the start, s) lies in (fromS, toS] */
  readonly fromS?: number;
  readonly toS?: number;
  readonly maxCorrectedPct: number;
}

export const ANALYZE_DEFAULTS: AnalyzeOptions = Object.freeze({
  correction: true,
  spectrum: METHOD_B,
  maxCorrectedPct: MAX_CORRECTED_PCT,
});

export interface Analysis {
  /** raw beats in the selection */
  readonly beats: number;
  /** sum of the selected raw intervals, s */
  readonly durationS: number;
  /** end time of the selection's first and last beat on the recording's time axis, s */
  readonly fromS: number;
  readonly toS: number;
  readonly meanRrMs: number | null;
  readonly meanHrBpm: number | null;
  readonly sdnnMs: number | null;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly pnn50Pct: number | null;
  readonly sd1Ms: number | null;
  readonly sd2Ms: number | null;
  /** successive differences between linked normal beats that RMSSD was computed from (0 without any) */
  readonly nnDifferences: number;
  readonly vlfMs2: number | null;
  readonly lfMs2: number | null;
  readonly hfMs2: number | null;
  readonly lnHf: number | null;
  readonly lfHfRatio: number | null;
  readonly lfNu: number | null;
  readonly hfNu: number | null;
  readonly hfPeakHz: number | null;
  readonly respirationRateBpm: number | null;
  /** raw beats the artefact layer changed or dropped */
  readonly correctedBeats: number;
  readonly correctedPct: number;
  /** raw beats by artefact kind (only kinds that occurred) */
  readonly artefacts: Partial<Record<BeatKind, number>>;
  /** more than `maxCorrectedPct` corrected: the vagal numbers are withheld */
  readonly tooIrregular: boolean;
  /** plain-language notes: why a value is missing, what to trust */
  readonly notes: string[];
}

/**
 * Analyses `rrMs` (with optional gap flags). Never throws on data; a value that cannot be computed is null and a
 * note says why.
 */
export function analyze(
  rrMs: ArrayLike<number>,
  options: Partial<AnalyzeOptions> = {},
  gapBefore?: ArrayLike<boolean | number>,
): Analysis {
  const o: AnalyzeOptions = { ...ANALYZE_DEFAULTS, ...options };
  const notes: string[] = [];

  // Select by end time on the recording's raw time axis.
  const fromS = o.fromS ?? Number.NEGATIVE_INFINITY;
  const toS = o.toS ?? Number.POSITIVE_INFINITY;
  const selected: number[] = [];
  const selectedGap: boolean[] = [];
  let endS = 0;
  let firstEndS = Number.NaN;
  let lastEndS = Number.NaN;
  for (let i = 0; i < rrMs.length; i++) {
    endS += rrMs[i] / 1000;
    if (endS > fromS && endS <= toS) {
      if (Number.isNaN(firstEndS)) firstEndS = endS;
      lastEndS = endS;
      // The first selected beat of a later segment has no selected predecessor: treat the cut as a gap.
      selectedGap.push(selected.length === 0 ? false : Boolean(gapBefore?.[i]));
      selected.push(rrMs[i]);
    }
  }
  const durationS = selected.reduce((a, b) => a + b, 0) / 1000;

  // The NN series and which of its successive differences may be taken.
  const nn: number[] = [];
  const linked: boolean[] = [];
  const runStarts: number[] = [0];
  const artefacts: Partial<Record<BeatKind, number>> = {};
  let correctedBeats = 0;
  if (o.correction) {
    const links = new NnLinks();
    for (const beat of classifyBeats(selected, o.artefacts, selectedGap)) {
      if (beat.gapBefore && nn.length > 0) {
        runStarts.push(nn.length);
        links.startRun();
      }
      if (beat.kind !== 'normal') {
        correctedBeats++;
        artefacts[beat.kind] = (artefacts[beat.kind] ?? 0) + 1;
      }
      links.accept(beat, (value, _normal, isLinked) => {
        linked.push(isLinked);
        nn.push(value);
      });
    }
  } else {
    for (let i = 0; i < selected.length; i++) {
      if (selectedGap[i]) runStarts.push(i);
      linked.push(i > 0 && !selectedGap[i]);
      nn.push(selected[i]);
    }
  }
  const correctedPct = selected.length > 0 ? (100 * correctedBeats) / selected.length : 0;
  const tooIrregular = o.correction && correctedPct > o.maxCorrectedPct;
  if (tooIrregular) {
    notes.push(
      `too irregular: ${correctedPct.toFixed(1)} % of beats are not normal (limit ${o.maxCorrectedPct} %); ` +
        'RMSSD and HF are withheld because they would not measure vagal activity',
    );
  }

  const td = timeDomain(nn, linked);
  const time = isAvailable(td) ? td : null;
  if (!time) notes.push(`time domain: ${(td as { reason: string }).reason}`);

  // Spectra never span a gap: use the longest contiguous run.
  runStarts.push(nn.length);
  let bestFrom = 0;
  let bestTo = nn.length;
  let bestMs = -1;
  for (let r = 0; r + 1 < runStarts.length; r++) {
    let ms = 0;
    for (let i = runStarts[r]; i < runStarts[r + 1]; i++) ms += nn[i];
    if (ms > bestMs) {
      bestMs = ms;
      bestFrom = runStarts[r];
      bestTo = runStarts[r + 1];
    }
  }
  if (runStarts.length > 2) {
    notes.push(`the selection has gaps: spectra use its longest contiguous run (${(bestMs / 1000).toFixed(0)} s)`);
  }
  const fd = frequencyDomain(nn.slice(bestFrom, bestTo), o.spectrum);
  const freq: FrequencyDomain | null = isAvailable(fd) ? fd : null;
  if (!tooIrregular) {
    if (!freq) notes.push(`spectrum: ${(fd as { reason: string }).reason}`);
    else if (freq.respirationNote) notes.push(freq.respirationNote);
  }

  const vagal = !tooIrregular;
  return {
    beats: selected.length,
    durationS,
    fromS: Number.isNaN(firstEndS) ? 0 : firstEndS - selected[0] / 1000,
    toS: Number.isNaN(lastEndS) ? 0 : lastEndS,
    meanRrMs: time?.meanRrMs ?? null,
    meanHrBpm: time?.meanHrBpm ?? null,
    sdnnMs: vagal ? (time?.sdnnMs ?? null) : null,
    rmssdMs: vagal ? (time?.rmssdMs ?? null) : null,
    lnRmssd: vagal ? (time?.lnRmssd ?? null) : null,
    pnn50Pct: vagal ? (time?.pnn50Pct ?? null) : null,
    sd1Ms: vagal ? (time?.sd1Ms ?? null) : null,
    sd2Ms: vagal ? (time?.sd2Ms ?? null) : null,
    nnDifferences: time?.differences ?? 0,
    vlfMs2: vagal ? (freq?.vlfMs2 ?? null) : null,
    lfMs2: vagal ? (freq?.lfMs2 ?? null) : null,
    hfMs2: vagal ? (freq?.hfMs2 ?? null) : null,
    lnHf: vagal ? (freq?.lnHf ?? null) : null,
    lfHfRatio: vagal ? (freq?.lfHfRatio ?? null) : null,
    lfNu: vagal ? (freq?.lfNu ?? null) : null,
    hfNu: vagal ? (freq?.hfNu ?? null) : null,
    hfPeakHz: vagal ? (freq?.hfPeakHz ?? null) : null,
    respirationRateBpm: vagal ? (freq?.respirationRateBpm ?? null) : null,
    correctedBeats,
    correctedPct,
    artefacts,
    tooIrregular,
    notes,
  };
}
