// What the screen says about the signal and the shift, derived from the state and the session model. Pure: the view
// (view.js) puts it on the page.
import { bandPct, clock, ms, signedPct, VERDICT_WORDS } from '../lib/format.js';
import { PROTOCOL } from '../lib/protocol.js';

/**
 * @typedef {import('./state.js').LiveState} LiveState
 * @typedef {import('./state.js').ConnState} ConnState
 * @typedef {import('../lib/session-model.js').SessionModel} SessionModel
 *
 * @typedef {'live' | 'stale' | 'waiting' | 'searching' | 'disconnected' | 'ended' | 'offline'} SignalKey
 * @typedef {{ key: SignalKey, text: string }} Signal
 *
 * @typedef {object} Hero what the hero (the big verdict) shows
 * @property {string} verdict a verdict of `shiftAgainst`, or none | measuring | waiting
 * @property {string} title
 * @property {string} [pct]
 * @property {string} [values]
 * @property {string} detail
 * @property {number | null} [delta] ln RMSSD against the baseline
 * @property {number | null} [band] the baseline's noise band, ln
 */

/** No beat for this long while the source says live: the values are stale. */
const STALE_AFTER_MS = PROTOCOL.staleAfterMs;

/**
 * @param {LiveState} state
 * @param {number} now page clock (performance.now)
 * @returns {Signal}
 */
export function signalState(state, now) {
  if (state.conn !== 'up') return { key: 'offline', text: connWords(state.conn) };
  const s = state.status;
  if (!s) return { key: 'waiting', text: 'Waiting for the source' };
  const device = s.device?.name ? ` (${s.device.name})` : '';
  switch (s.state) {
    case 'scanning':
      return { key: 'searching', text: 'Searching for the strap…' };
    case 'connecting':
      return { key: 'searching', text: `Connecting to the strap${device}…` };
    case 'disconnected':
      return { key: 'disconnected', text: `Strap disconnected${s.reason ? `: ${s.reason}` : ''}` };
    case 'ended':
      return { key: 'ended', text: s.reason ? `Ended: ${s.reason}` : 'Source ended' };
    default:
      break;
  }
  // Connected and notifying, but giving no beats, and the strap's status says why (no RR intervals).
  if (s.state === 'live' && s.reason && (state.lastBeatAt === null || now - state.lastBeatAt > STALE_AFTER_MS)) {
    return { key: 'stale', text: `No beats: ${s.reason}` };
  }
  if (state.lastBeatAt === null) return { key: 'stale', text: 'Stale: waiting for the next beat' };
  const ageMs = now - state.lastBeatAt;
  if (s.state === 'stale' || ageMs > STALE_AFTER_MS) {
    return { key: 'stale', text: `Stale: no beat for ${Math.floor(ageMs / 1000)} s` };
  }
  return { key: 'live', text: 'Live' };
}

/** @param {ConnState} conn */
export function connWords(conn) {
  if (conn === 'mismatch') return 'Protocol mismatch';
  if (conn === 'connecting') return 'Connecting to tableside…';
  return 'Not connected to tableside';
}

/**
 * @param {SessionModel} model
 * @returns {Hero}
 */
export function heroModel(model) {
  if (!model.info) {
    return { verdict: 'none', title: 'No session', detail: 'Start a session (N) to record and compare.' };
  }
  const phase = model.currentPhase;
  if (phase?.kind === 'baseline') {
    const runS = model.lastBeatS - phase.startedAtS;
    return {
      verdict: 'measuring',
      title: model.baseline ? 'Measuring a new baseline' : 'Measuring baseline',
      pct: clock(runS),
      detail:
        runS < 120
          ? 'Client resting. At least 2 clean minutes, then start the massage (M).'
          : 'Enough for a baseline: start the massage (M) when ready.',
    };
  }
  if (!model.baseline) {
    return {
      verdict: 'waiting',
      title: 'Waiting for baseline',
      detail: phase
        ? 'No baseline before this phase: nothing to compare with. Start one (B) while the client rests.'
        : 'Start the baseline (B, or → / Space twice) while the client rests.',
    };
  }
  const shift = model.latest?.shift;
  const ref = model.baseline.reference;
  if (!shift) return { verdict: 'waiting', title: 'Comparing from the next beat', detail: '' };
  const values =
    shift.rmssdMs !== null && shift.baselineRmssdMs !== null
      ? `RMSSD ${ms(shift.rmssdMs)} ms vs baseline ${ms(shift.baselineRmssdMs)} ms`
      : `baseline RMSSD ${ms(ref.rmssdMs)} ms`;
  if (shift.verdict === 'unknown') {
    return {
      verdict: 'unknown',
      title: 'No verdict',
      pct: shift.rmssdPct === null ? '' : signedPct(shift.rmssdPct),
      values,
      detail: capitalise(shift.words),
    };
  }
  const inside = shift.verdict === 'no-clear-change';
  return {
    verdict: shift.verdict,
    title: VERDICT_WORDS[shift.verdict],
    pct: signedPct(shift.rmssdPct),
    values,
    detail: `${inside ? 'Inside' : 'Beyond'} the baseline's noise band (${bandPct(shift.bandLn)}).`,
    delta: shift.lnRmssdDelta,
    band: shift.bandLn,
  };
}

/**
 * What the hero's stale note says, by the signal shown (body's data-signal).
 * @param {string | undefined} signal
 */
export function staleWords(signal) {
  switch (signal) {
    case 'offline':
      return 'not connected';
    case 'disconnected':
      return 'strap disconnected';
    case 'ended':
      return 'ended';
    case 'searching':
      return 'no strap';
    default:
      return 'stale';
  }
}

/** @param {string} s */
export function capitalise(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** @param {string} reason */
export function shorten(reason) {
  return reason.length > 60 ? `${reason.slice(0, 58)}…` : reason;
}
