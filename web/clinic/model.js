// What the overview shows of a table's stream, in words: pure functions of the overview's messages (no DOM), so that
// the page and its tests say the same. The shapes are src/clinic/overview.ts's (TableView) over the topic tree.
import { DASH, num, VERDICT_GLYPHS, VERDICT_WORDS } from '../lib/format.js';

/**
 * @typedef {import('../../src/clinic/shapes.js').TableView} TableView
 * @typedef {import('../../src/clinic/shapes.js').StreamView} StreamView
 */

/** A metric older than this (ms) is shown as stale: the strap or the table has gone quiet. */
export const STALE_AFTER_MS = 5000;

/** @type {Readonly<Record<string, string>>} */
const STATE_WORDS = {
  scanning: 'looking for the strap',
  connecting: 'connecting',
  live: 'strap live',
  stale: 'strap quiet',
  disconnected: 'strap disconnected',
  ended: 'ended',
};

/**
 * Age of a time in the past, as the screen says it: "2 s", "3 min", "1 h".
 * @param {number} ageMs
 */
export function ageWords(ageMs) {
  const s = Math.max(0, Math.round(ageMs / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  return `${Math.floor(s / 3600)} h`;
}

/**
 * The words of one stream's head: strap state, battery, session and recording.
 * @param {StreamView} s
 * @returns {{ strap: string, battery: string, session: string }}
 */
export function streamHead(s) {
  const st = s.state;
  if (st === null) return { strap: 'no state yet', battery: '', session: '' };
  const kind = st.kind === 'ble' || st.kind === 'browser' ? '' : ` (${st.kind}, demo)`;
  return {
    strap: `${st.state === null ? 'starting' : (STATE_WORDS[st.state] ?? st.state)}${kind}`,
    battery: st.batteryPct === null ? '' : `battery ${Math.round(st.batteryPct)} %`,
    session: st.session ? (st.recording ? 'recording' : 'session running, NOT stored') : 'no session',
  };
}

/**
 * The live values of one stream, at `nowMs` on the overview's clock.
 * @param {StreamView} s
 * @param {number} nowMs
 */
export function streamValues(s, nowMs) {
  const m = s.metrics;
  const ageMs = s.metricsReceivedAtMs === null ? null : nowMs - s.metricsReceivedAtMs;
  if (m === null) {
    return { hr: DASH, rmssd: DASH, shift: DASH, verdict: '', quality: 'no values yet', age: DASH, stale: true };
  }
  const verdict = m.shift ?? '';
  const quality = m.quality.reason
    ? m.quality.reason
    : m.quality.settling
      ? 'settling'
      : m.quality.tooIrregular
        ? 'too irregular'
        : `${num(m.quality.correctedPct, 1)} % corrected`;
  return {
    hr: m.hrBpm === null ? DASH : `${num(m.hrBpm)}`,
    rmssd: m.rmssdMs === null ? DASH : `${num(m.rmssdMs)}`,
    shift: m.shift === null ? 'before a baseline' : `${VERDICT_GLYPHS[m.shift] ?? ''} ${VERDICT_WORDS[m.shift]}`,
    verdict,
    quality,
    age: ageMs === null ? DASH : ageWords(ageMs),
    stale: ageMs === null || ageMs > STALE_AFTER_MS,
  };
}
