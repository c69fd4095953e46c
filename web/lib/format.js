// Number and time formatting shared by the live screen, the session list and the report. Pure functions.

export const DASH = '—';

/**
 * A number with `digits` decimals, or the dash for null/undefined/NaN.
 * @param {number | null | undefined} value
 */
export function num(value, digits = 0) {
  if (value === null || value === undefined || Number.isNaN(value)) return DASH;
  return value.toFixed(digits);
}

/**
 * RMSSD-style ms: one decimal below 10 ms, whole ms above (as `describeShift` on the server).
 * @param {number | null | undefined} value
 */
export function ms(value) {
  if (value === null || value === undefined) return DASH;
  return value < 10 ? value.toFixed(1) : value.toFixed(0);
}

/**
 * A signed percentage with a real minus sign: "+24 %", "−8 %".
 * @param {number | null | undefined} pct
 */
export function signedPct(pct) {
  if (pct === null || pct === undefined || Number.isNaN(pct)) return DASH;
  const r = Math.round(pct);
  return `${r < 0 ? '−' : '+'}${Math.abs(r)} %`;
}

/**
 * The ln band as the ± percentage of RMSSD it stands for (upwards).
 * @param {number | null | undefined} bandLn
 */
export function bandPct(bandLn) {
  if (bandLn === null || bandLn === undefined) return DASH;
  return `±${Math.round((Math.exp(bandLn) - 1) * 100)} %`;
}

/**
 * Beat time in s → "m:ss" or "h:mm:ss".
 * @param {number | null | undefined} seconds
 */
export function clock(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return DASH;
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/**
 * A duration in s for prose: "45 s", "12 min", "1 h 05 min".
 * @param {number | null | undefined} seconds
 */
export function duration(seconds) {
  if (seconds === null || seconds === undefined) return DASH;
  if (seconds < 90) return `${Math.round(seconds)} s`;
  const min = Math.round(seconds / 60);
  if (min < 60) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

/**
 * ISO date → local "Mon 23 Nov 2026, 10:04".
 * @param {string | null | undefined} iso
 */
export function localDateTime(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  return d.toLocaleString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
  });
}

/** @type {Readonly<Record<string, string>>} */
export const PHASE_WORDS = { baseline: 'Baseline', massage: 'Massage', recovery: 'Recovery' };

/**
 * The verdicts of `shiftAgainst` (src/session/summary.ts) as the screen says them.
 * @type {Readonly<Record<import('../../src/session/summary.js').ShiftVerdict, string>>}
 */
export const VERDICT_WORDS = {
  'shifting-to-rest': 'Shifting to rest',
  activated: 'Activated',
  'no-clear-change': 'No clear change',
  unknown: 'No verdict',
};

/**
 * A glyph beside the words, so a verdict never rests on colour alone.
 * @type {Readonly<Record<string, string>>}
 */
export const VERDICT_GLYPHS = {
  'shifting-to-rest': '▲',
  activated: '▼',
  'no-clear-change': '≈',
  unknown: '?',
};

/**
 * Sources that are not a strap on a client: the screen says DEMO at all times.
 * @param {string} kind
 */
export function isDemoSource(kind) {
  return kind === 'replay' || kind === 'simulated';
}
