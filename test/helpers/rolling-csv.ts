import type { LiveMetrics } from '../../src/hrv/rolling.js';

/** The CSV row by its definition: String() of every number (t_s rounded to the µs), '' for null, a quoted reason. */
export function definitionRow(m: LiveMetrics): string {
  const q = m.quality;
  const num = (v: number | null) => (v === null ? '' : String(v));
  const reason = q.reason ?? q.spectralReason ?? '';
  return [
    m.seq,
    Math.round(m.tS * 1e6) / 1e6,
    m.rrMs,
    m.kind,
    num(m.meanHrBpm),
    num(m.rmssdMs),
    num(m.lnRmssd),
    num(m.sdnnMs),
    num(m.hfMs2),
    num(m.lfMs2),
    num(m.lfHfRatio),
    num(m.hfPeakHz),
    num(m.respirationRateBpm),
    num(m.spectralAtS),
    q.beatsInWindow,
    q.correctedPct,
    q.settling,
    q.tooIrregular,
    reason.includes(',') ? `"${reason}"` : reason,
  ]
    .map(String)
    .join(',')
    .concat('\n');
}
