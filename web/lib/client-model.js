// A client's record as the pages read it (`GET /api/clients/:id`, src/io/client-record.ts) and the words the client
// pages share: kinds of reading, shifts in ln units as percentages of RMSSD, the trend of their weeks. Pure functions:
// every statistic is the server's (src/tracking/timeline.ts); nothing here recomputes one.
import { DASH, num, signedPct } from './format.js';

/**
 * The record's shapes are src/io/client-record.ts's (ClientRecord, RecordReading, RecordSession), written again here
 * from their parts: that module's imports reach the store and Node's types, which the pages must not see.
 *
 * @typedef {object} ClientRecord what `GET /api/clients/:id` answers
 * @property {import('../../src/store/types.js').StoredClient} client
 * @property {RecordReading[]} readings
 * @property {DayRow[]} days
 * @property {RecordSession[]} sessions
 * @property {TechniqueRow[]} techniques
 * @property {OverWeeks} overWeeks
 * @property {'all-rooms' | 'not-yet' | 'unreachable'} [clinic] with a clinic database (src/clinic/lookup.ts): every
 *   room's sessions, the client not there yet, or this table's sessions only because the database did not answer
 *
 * @typedef {object} RecordReading a reading as the record shows it: `reason` only when it has no value
 * @property {number} id
 * @property {string} at local 'YYYY-MM-DDTHH:MM:SS'
 * @property {import('../../src/domain/kinds.js').ReadingKind} kind
 * @property {string} source
 * @property {string} tags
 * @property {number} beats
 * @property {number | null} rmssdMs
 * @property {number | null} lnRmssd
 * @property {number | null} meanHrBpm
 * @property {number} correctedPct
 * @property {string} [reason]
 *
 * @typedef {import('../../src/tracking/timeline.js').SessionRow & {
 *   status: import('../../src/store/types.js').StoredSession['status'],
 *   techniques: readonly string[],
 *   mainTechniqueSet: boolean,
 *   table?: string,
 *   local?: boolean,
 * }} RecordSession `table` and `local` with a clinic database: the room that recorded it, and whether it is this
 *   table's (only those have a report here)
 * @typedef {import('../../src/tracking/timeline.js').DayRow} DayRow
 * @typedef {import('../../src/tracking/timeline.js').TechniqueRow} TechniqueRow
 * @typedef {import('../../src/tracking/timeline.js').OverWeeks} OverWeeks
 * @typedef {import('../../src/tracking/timeline.js').PairedReading} PairedReading
 * @typedef {import('../../src/store/types.js').ClientListing} ClientListing what `GET /api/clients` lists
 */

/** @type {Readonly<Record<string, string>>} */
export const READING_KIND_WORDS = {
  morning: 'morning',
  before: 'before a session',
  after: 'after a session',
  night: 'night',
  other: 'other',
};

/**
 * An ln difference as the percentage change of RMSSD it stands for: "+12 %".
 * @param {number | null | undefined} ln
 */
export function lnPct(ln) {
  if (ln === null || ln === undefined) return DASH;
  return signedPct((Math.exp(ln) - 1) * 100);
}

/**
 * An ln difference with its sign: "+0.12".
 * @param {number | null | undefined} ln
 */
export function signedLn(ln) {
  if (ln === null || ln === undefined) return DASH;
  return `${ln < 0 ? '−' : '+'}${Math.abs(ln).toFixed(2)}`;
}

/**
 * lnRMSSD with the RMSSD in ms it stands for: "4.02 (56 ms)".
 * @param {number | null | undefined} ln
 */
export function lnWithMs(ln) {
  if (ln === null || ln === undefined) return DASH;
  return `${num(ln, 2)} (${Math.round(Math.exp(ln))} ms)`;
}

/** The arrow of the weeks' trend, and its words for a screen reader. */
export const TREND = {
  higher: { glyph: '↗', label: 'baseline higher than before the first session' },
  lower: { glyph: '↘', label: 'baseline lower than before the first session' },
  'no-clear-change': { glyph: '→', label: 'no clear change' },
  'too-early': { glyph: '·', label: 'too early to tell' },
  'not-enough-data': { glyph: '·', label: 'not enough readings to tell' },
  'no-sessions': { glyph: '·', label: 'no sessions yet' },
};

/**
 * 'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM:SS' (local, naive, as stored) → days since 1970-01-01 on that same wall clock,
 * with the time of day as the fraction.
 * @param {string} at
 */
export function wallDay(at) {
  const [date, time = '00:00:00'] = at.split('T');
  const [y, mo, d] = date.split('-').map(Number);
  const [h, mi, s] = time.split(':').map(Number);
  return Date.UTC(y, mo - 1, d, h, mi, s) / 86_400_000;
}

/**
 * The days a client's timeline spans, as wall-clock day numbers: from the day of its first reading or session (or
 * `fromDay`) to its last reading day or the moment its last session began — a session is drawn at its time of day,
 * between that day's morning and the next, so an evening session lies most of a day past its date.
 * @param {ClientRecord} record
 * @param {number} [fromDay]
 * @returns {{ first: number, last: number }}
 */
export function timelineSpan(record, fromDay) {
  const at = [...record.days.map((r) => wallDay(r.date)), ...record.sessions.map((s) => wallDay(s.startedAt))];
  if (at.length === 0) {
    const first = fromDay ?? 0;
    return { first, last: first + 1 };
  }
  const first = fromDay ?? Math.floor(Math.min(...at));
  return { first, last: Math.max(first, ...at) };
}

/**
 * A wall-clock day number → "Mon 3 Nov".
 * @param {number} day
 */
export function dayLabel(day) {
  return new Date(Math.floor(day) * 86_400_000).toLocaleDateString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    timeZone: 'UTC',
  });
}

/**
 * A stored local date-time 'YYYY-MM-DDTHH:MM:SS' → "Mon 3 Nov 2026, 07:12" (it is shown as taken, not converted).
 * @param {string} at
 */
export function wallDateTime(at) {
  const d = new Date(wallDay(at) * 86_400_000);
  return d.toLocaleString(undefined, {
    weekday: 'short',
    day: 'numeric',
    month: 'short',
    year: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    timeZone: 'UTC',
  });
}

/**
 * A session's before → after pair in words: "before 3.90 → after 4.10 (+22 %)", or what is missing.
 * @param {RecordSession} s
 */
export function pairWords(s) {
  if (!s.before && !s.after) return 'no readings before or after';
  const part = (/** @type {string} */ what, /** @type {PairedReading | null} */ r) =>
    r ? `${what} ${num(r.lnRmssd, 2)}${r.byKind ? '' : ` (a ${r.kind} reading)`}` : `no ${what} reading`;
  const change = s.before && s.after ? ` (${lnPct(s.after.lnRmssd - s.before.lnRmssd)})` : '';
  return `${part('before', s.before)} → ${part('after', s.after)}${change}`;
}

/**
 * The latest day with a normal range, or null.
 * @param {readonly DayRow[]} days
 */
export function latestRange(days) {
  for (let i = days.length - 1; i >= 0; i--) {
    if (days[i].normalLow !== null) return days[i];
  }
  return null;
}
