/**
 * A client's weeks: the daily values, their rolling baseline and normal range, the sessions on the same timeline,
 * how this client's baseline moved since the first session, and which technique shifted them most. Pure: no I/O,
 * no clock (`today` is passed in or taken from the data).
 *
 * Definitions (each written here once):
 * - **daily value** of a calendar day: the lnRMSSD of the first valid morning reading of that day (kind 'morning',
 *   lnRMSSD not null, earliest `at`; the day is the reading's local date as stored). One reading on waking a day is
 *   the protocol of Plews et al. 2013/2014, HRV4Training and Elite HRV.
 * - **7-day baseline** of day d: the mean of the daily values of days d−6…d, only with ≥ 3 of them (Plews et al.
 *   2014, PMID 24334285: 3–4 readings a week are enough; Flatt & Esco 2015, IJSPP 10(8):994, ask 5 of 7).
 * - **CV** of day d: SD (n − 1) / mean × 100 of those same daily values (Flatt & Esco 2015), with ≥ 3 of them.
 * - **normal range** of day d: mean ± k·SD (n − 1) of the daily values of days d−59…d, with ≥ 14 of them; k = 0.5
 *   (the smallest worthwhile change of Plews/Buchheit, HRV4Training's "normal values") or 1 (some coaches).
 * - a session's **before** reading: a valid reading of kind 'before' from 3 h before the start up to the start (edges
 *   included) and after the client's previous session ended, the latest such; if there is none, the latest valid
 *   reading of another kind in that window, never one marked 'after' (`byKind` says which). Its **after** reading: a
 *   valid reading of kind 'after' from the end up to 4 h after it (edges included) and before the client's next
 *   session starts, the earliest such — the one taken at the table as the client gets up counts, and so does one
 *   taken at home 1–2 h later when there is none at the table; if none, the earliest valid reading of another kind
 *   in that window, never one marked 'before'. So a reading pairs with at most one session on each side, and a
 *   reading the therapist called "before" or "after" is never taken the other way round. Times are compared on the
 *   wall clock as stored (local, naive, whole seconds).
 * - a session's **next morning**: the daily value of the calendar day after the session's end (its start when it
 *   has no end), placed against that day's normal range.
 * - **today against the usual**: a session's baseline-phase lnRMSSD against the normal range of the session's date,
 *   below / within (edges included) / above it; nothing without a normal range that day.
 * - **over the weeks**: the 7-day baseline of `today` against the 7-day baseline of the day before the first
 *   session, the change judged against the half-width of today's normal range; "too early to tell" before 4 weeks
 *   after the first session or with fewer than 12 daily values up to today.
 * - **techniques**: per main technique, the number of sessions and the mean in-session shift (massage-phase
 *   lnRMSSD minus baseline) with its 95 % interval (Student t, n − 1 df); below 3 shifts "too few sessions"; one
 *   technique is said to shift more than another only when their intervals do not overlap.
 */
import type { ReadingKind } from '../domain/kinds.js';
import { READING_KINDS } from '../domain/kinds.js';
import { mean, sampleSd, studentTQuantile } from './statistics.js';

/** Days in the rolling baseline's window (d−6…d) and the daily values it needs. */
export const BASELINE_DAYS = 7;
export const BASELINE_MIN_VALUES = 3;
/** Days in the normal range's window (d−59…d) and the daily values it needs. */
export const NORMAL_RANGE_DAYS = 60;
export const NORMAL_RANGE_MIN_VALUES = 14;
/** A before reading counts from this long before the start up to the start. */
export const BEFORE_WINDOW_S = 3 * 3600;
/** An after reading counts from the end up to this long after it. */
export const AFTER_WINDOW_S = 4 * 3600;
/** "Over the weeks" speaks only this many days after the first session, with this many daily values. */
export const OVER_WEEKS_MIN_DAYS = 28;
export const OVER_WEEKS_MIN_VALUES = 12;
/** A technique's mean shift gets an interval and a comparison from this many sessions with a shift. */
export const TECHNIQUE_MIN_SESSIONS = 3;

export interface ReadingPoint {
  readonly id: number;
  /** local date-time as stored, 'YYYY-MM-DDTHH:MM:SS' */
  readonly at: string;
  readonly kind: ReadingKind;
  /** null: no value (too short, too irregular) */
  readonly lnRmssd: number | null;
}

export interface SessionPoint {
  readonly id: number;
  /** local 'YYYY-MM-DDTHH:MM:SS' */
  readonly startedAt: string;
  readonly endedAt: string | null;
  readonly baselineLnRmssd: number | null;
  /** lnRMSSD of the massage phase minus the baseline's (the session report's shift) */
  readonly massageShiftLn: number | null;
  readonly recoveryShiftLn: number | null;
  readonly mainTechnique: string | null;
  readonly massageS: number | null;
}

export interface TimelineOptions {
  /** k in mean ± k·SD of the normal range; default 0.5 */
  readonly normalSdFactor?: 0.5 | 1;
  /** 'YYYY-MM-DD', the last day of `days`; default: the latest date among readings and sessions */
  readonly today?: string;
}

export interface DayRow {
  /** 'YYYY-MM-DD' */
  readonly date: string;
  /** the daily value, or null when the day has no valid morning reading */
  readonly lnRmssd: number | null;
  /** the reading that gave the daily value */
  readonly readingId: number | null;
  /** daily values in d−6…d */
  readonly values7: number;
  readonly baseline7: number | null;
  readonly cv7Pct: number | null;
  /** daily values in d−59…d */
  readonly values60: number;
  readonly normalLow: number | null;
  readonly normalHigh: number | null;
}

export type Position = 'below' | 'within' | 'above';

export interface AgainstUsual {
  readonly position: Position;
  readonly words: string;
}

/** A reading paired with a session. */
export interface PairedReading {
  readonly id: number;
  readonly at: string;
  readonly kind: ReadingKind;
  readonly lnRmssd: number;
  /** true: of the kind the protocol asks for ('before', 'after', 'morning'); false: another kind in the window */
  readonly byKind: boolean;
}

export interface SessionRow extends SessionPoint {
  /** 'YYYY-MM-DD' of the start */
  readonly date: string;
  readonly before: PairedReading | null;
  readonly after: PairedReading | null;
  readonly nextMorning: PairedReading | null;
  /** the next morning against that day's normal range; null without either */
  readonly nextMorningPosition: Position | null;
  readonly nextMorningWords: string | null;
}

export interface TechniqueRow {
  readonly technique: string;
  /** sessions with this main technique */
  readonly sessions: number;
  /** of those, the sessions with an in-session shift */
  readonly shifts: number;
  readonly meanShiftLn: number | null;
  readonly sdShiftLn: number | null;
  /** 95 % interval of the mean shift (Student t, n − 1 df); null below TECHNIQUE_MIN_SESSIONS shifts */
  readonly ciLowLn: number | null;
  readonly ciHighLn: number | null;
  /**
   * 1 + the number of techniques whose interval lies wholly above this one's: techniques that cannot be told apart
   * share a rank. null below TECHNIQUE_MIN_SESSIONS shifts.
   */
  readonly rank: number | null;
  readonly words: string;
}

export type OverWeeksVerdict = 'no-sessions' | 'too-early' | 'not-enough-data' | 'higher' | 'lower' | 'no-clear-change';

export interface OverWeeks {
  readonly verdict: OverWeeksVerdict;
  readonly firstSessionDate: string | null;
  /** whole days from the first session's date to today */
  readonly daysSinceFirstSession: number | null;
  /** daily values from the first day up to today */
  readonly dailyValues: number;
  /** the 7-day baseline of the day before the first session */
  readonly baselineBefore: number | null;
  /** the 7-day baseline of today */
  readonly baselineLatest: number | null;
  /** baselineLatest − baselineBefore */
  readonly changeLn: number | null;
  /** half-width of today's normal range (k·SD) */
  readonly halfWidthLn: number | null;
  readonly words: string;
}

export interface ClientTimeline {
  readonly days: DayRow[];
  readonly sessions: SessionRow[];
  readonly techniques: TechniqueRow[];
  readonly overWeeks: OverWeeks;
}

// ---- dates, on the wall clock as stored ----

const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})$/;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DAY_S = 86_400;

/** Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's days_from_civil): no Date object per call. */
function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** True for a real calendar date-time (no 30 February, no 24:00, no leap second). */
function realDateTime(y: number, mo: number, d: number, h: number, mi: number, s: number): boolean {
  return mo >= 1 && mo <= 12 && d >= 1 && d <= daysInMonth(y, mo) && h <= 23 && mi <= 59 && s <= 59;
}

/** Seconds of the naive local date-time `at` since 1970-01-01T00:00:00 of the same wall clock. */
function wallSeconds(at: string, what: () => string): number {
  const m = DATE_TIME.exec(at);
  if (!m) throw new RangeError(`${what()}: expected a local date-time 'YYYY-MM-DDTHH:MM:SS', got '${at}'`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  const h = Number(m[4]);
  const mi = Number(m[5]);
  const s = Number(m[6]);
  if (!realDateTime(y, mo, d, h, mi, s)) throw new RangeError(`${what()}: no such date-time '${at}'`);
  return daysFromCivil(y, mo, d) * DAY_S + h * 3600 + mi * 60 + s;
}

/** Day number (days since 1970-01-01) of 'YYYY-MM-DD'. */
function dayNumber(date: string, what: string): number {
  const m = DATE.exec(date);
  if (!m) throw new RangeError(`${what}: expected a date 'YYYY-MM-DD', got '${date}'`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  const d = Number(m[3]);
  if (!realDateTime(y, mo, d, 0, 0, 0)) throw new RangeError(`${what}: no such date '${date}'`);
  return daysFromCivil(y, mo, d);
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** 'YYYY-MM-DD' of a day number (Hinnant's civil_from_days). */
function dateOfDay(day: number): string {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${pad2(m)}-${pad2(d)}`;
}

// ---- input checks ----

interface Reading extends ReadingPoint {
  readonly t: number;
  readonly day: number;
}

function checkReadings(readings: readonly ReadingPoint[]): Reading[] {
  return readings.map((r, i) => {
    const what = () => `reading ${r.id} (at index ${i})`;
    const t = wallSeconds(r.at, () => `${what()} at`);
    if (!(READING_KINDS as readonly string[]).includes(r.kind)) {
      throw new RangeError(`${what()}: kind must be one of ${READING_KINDS.join(', ')}, got '${r.kind}'`);
    }
    if (r.lnRmssd !== null && !Number.isFinite(r.lnRmssd)) {
      throw new RangeError(`${what()}: lnRmssd must be a finite number or null, got ${r.lnRmssd}`);
    }
    return { id: r.id, at: r.at, kind: r.kind, lnRmssd: r.lnRmssd, t, day: Math.floor(t / DAY_S) };
  });
}

interface Session {
  readonly point: SessionPoint;
  readonly start: number;
  readonly end: number | null;
}

function checkSessions(sessions: readonly SessionPoint[]): Session[] {
  return sessions.map((s, i) => {
    const what = () => `session ${s.id} (at index ${i})`;
    const start = wallSeconds(s.startedAt, () => `${what()} startedAt`);
    const end = s.endedAt === null ? null : wallSeconds(s.endedAt, () => `${what()} endedAt`);
    if (end !== null && end < start) throw new RangeError(`${what()}: endedAt ${s.endedAt} is before startedAt`);
    for (const key of ['baselineLnRmssd', 'massageShiftLn', 'recoveryShiftLn', 'massageS'] as const) {
      const v = s[key];
      if (v !== null && !Number.isFinite(v)) throw new RangeError(`${what()}: ${key} must be a finite number or null`);
    }
    return { point: s, start, end };
  });
}

/** Readings in time order; equal times by id, so "first" is always the same reading. */
function byTime(a: Reading, b: Reading): number {
  return a.t - b.t || a.id - b.id;
}

// ---- days ----

/** The daily value of each day that has one: the first valid morning reading (readings in time order). */
function dailyValues(sorted: readonly Reading[]): Map<number, Reading> {
  const daily = new Map<number, Reading>();
  for (const r of sorted) {
    if (r.kind === 'morning' && r.lnRmssd !== null && !daily.has(r.day)) daily.set(r.day, r);
  }
  return daily;
}

/**
 * The daily values of the last `length` days, in day order, slid along the days in one pass: each value enters once
 * and leaves once, and the window holds the very values (in the same order) a fresh look-up of days d−length+1…d
 * would give, so its mean and SD are the same numbers.
 */
class DayWindow {
  readonly values: number[] = [];
  private readonly days: number[] = [];
  constructor(private readonly length: number) {}

  /** Moves the window's end to `day`, adding that day's value when it has one. */
  advance(day: number, value: number | null): void {
    if (value !== null) {
      this.values.push(value);
      this.days.push(day);
    }
    let drop = 0;
    while (drop < this.days.length && (this.days[drop] as number) <= day - this.length) drop++;
    if (drop > 0) {
      this.values.splice(0, drop);
      this.days.splice(0, drop);
    }
  }
}

function dayRows(daily: Map<number, Reading>, lastDay: number, k: number): DayRow[] {
  if (daily.size === 0) return [];
  let firstDay = Number.POSITIVE_INFINITY;
  for (const d of daily.keys()) firstDay = Math.min(firstDay, d);
  const rows: DayRow[] = [];
  const weekWindow = new DayWindow(BASELINE_DAYS);
  const sixtyWindow = new DayWindow(NORMAL_RANGE_DAYS);
  for (let day = firstDay; day <= lastDay; day++) {
    const own = daily.get(day);
    const value = own ? (own.lnRmssd as number) : null;
    weekWindow.advance(day, value);
    sixtyWindow.advance(day, value);
    const week = weekWindow.values;
    const sixty = sixtyWindow.values;
    let baseline7: number | null = null;
    let cv7Pct: number | null = null;
    if (week.length >= BASELINE_MIN_VALUES) {
      baseline7 = mean(week);
      // a CV needs a positive mean; lnRMSSD ≤ 0 (RMSSD ≤ 1 ms) has no meaningful one
      cv7Pct = baseline7 > 0 ? (sampleSd(week) / baseline7) * 100 : null;
    }
    let normalLow: number | null = null;
    let normalHigh: number | null = null;
    if (sixty.length >= NORMAL_RANGE_MIN_VALUES) {
      const m = mean(sixty);
      const half = k * sampleSd(sixty);
      normalLow = m - half;
      normalHigh = m + half;
    }
    rows.push({
      date: dateOfDay(day),
      lnRmssd: value,
      readingId: own ? own.id : null,
      values7: week.length,
      baseline7,
      cv7Pct,
      values60: sixty.length,
      normalLow,
      normalHigh,
    });
  }
  return rows;
}

/**
 * A value (today's reading, a next morning) against a day's normal range: below it, within it (edges included) or
 * above it, in words for the screen. null when the day has no normal range (fewer than 14 daily values in 60 days).
 */
export function againstUsual(lnRmssd: number, day: DayRow): AgainstUsual | null {
  if (day.normalLow === null || day.normalHigh === null) return null;
  if (lnRmssd < day.normalLow) return { position: 'below', words: 'came in below their usual' };
  if (lnRmssd > day.normalHigh) return { position: 'above', words: 'came in above their usual' };
  return { position: 'within', words: 'came in within their usual range' };
}

/** Today's baseline against the client's usual range: the value, that day's range and where the value sits. */
export interface TodayAgainstUsual extends AgainstUsual {
  /** 'YYYY-MM-DD' */
  readonly date: string;
  readonly lnRmssd: number;
  readonly normalLow: number;
  readonly normalHigh: number;
  /** the daily values the range was made of (d−59…d) */
  readonly values60: number;
}

/**
 * **Today against the usual**: a session's baseline lnRMSSD against the client's normal range on the session's date
 * (`today`), from the client's readings (the day row `clientTimeline` gives that date). null when the client has no
 * normal range that day (fewer than 14 daily values in the 60 days up to it).
 */
export function todayAgainstUsual(
  readings: readonly ReadingPoint[],
  lnRmssd: number,
  today: string,
  options: Pick<TimelineOptions, 'normalSdFactor'> = {},
): TodayAgainstUsual | null {
  if (!Number.isFinite(lnRmssd)) throw new RangeError(`lnRmssd must be a finite number, got ${lnRmssd}`);
  const { days } = clientTimeline(readings, [], { ...options, today });
  const row = days[days.length - 1];
  if (!row || row.date !== today || row.normalLow === null || row.normalHigh === null) return null;
  const usual = againstUsual(lnRmssd, row) as AgainstUsual;
  return {
    ...usual,
    date: today,
    lnRmssd,
    normalLow: row.normalLow,
    normalHigh: row.normalHigh,
    values60: row.values60,
  };
}

// ---- sessions ----

function paired(r: Reading, byKind: boolean): PairedReading {
  return { id: r.id, at: r.at, kind: r.kind, lnRmssd: r.lnRmssd as number, byKind };
}

/** Index of the first reading at or after `t` (readings in time order). */
function firstFrom(sorted: readonly Reading[], t: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as Reading).t < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The valid reading of `kind` in [from, to] (else of another kind, never of kind `never`), the latest (`latest`) or
 * the earliest one.
 */
function pick(
  sorted: readonly Reading[],
  from: number,
  to: number,
  kind: ReadingKind,
  never: ReadingKind,
  latest: boolean,
): PairedReading | null {
  let ofKind: Reading | null = null;
  let other: Reading | null = null;
  for (let i = firstFrom(sorted, from); i < sorted.length; i++) {
    const r = sorted[i] as Reading;
    if (r.t > to) break;
    if (r.lnRmssd === null || r.kind === never) continue;
    if (r.kind === kind) {
      if (ofKind === null || latest) ofKind = r;
    } else if (other === null || latest) other = r;
  }
  if (ofKind) return paired(ofKind, true);
  return other ? paired(other, false) : null;
}

/** Sessions in start order: each one's before and after windows stop at its neighbours. */
function sessionRows(
  sessions: readonly Session[],
  sorted: readonly Reading[],
  daily: Map<number, Reading>,
  rowOfDay: (day: number) => DayRow | undefined,
): SessionRow[] {
  return sessions.map(({ point, start, end }, i) => {
    const previous = sessions[i - 1];
    const next = sessions[i + 1];
    // Whole seconds: "after the previous session ended" is from a second after its end.
    const previousEnd = previous ? (previous.end ?? previous.start) + 1 : Number.NEGATIVE_INFINITY;
    const before = pick(sorted, Math.max(start - BEFORE_WINDOW_S, previousEnd), start, 'before', 'after', true);
    const afterTo = Math.min((end ?? 0) + AFTER_WINDOW_S, next ? next.start - 1 : Number.POSITIVE_INFINITY);
    const after = end === null ? null : pick(sorted, end, afterTo, 'after', 'before', false);
    const nextDay = Math.floor((end ?? start) / DAY_S) + 1;
    const morning = daily.get(nextDay);
    const nextMorning = morning ? paired(morning, true) : null;
    const row = rowOfDay(nextDay);
    const usual = nextMorning && row ? againstUsual(nextMorning.lnRmssd, row) : null;
    return {
      ...point,
      date: dateOfDay(Math.floor(start / DAY_S)),
      before,
      after,
      nextMorning,
      nextMorningPosition: usual ? usual.position : null,
      nextMorningWords: usual ? `the next morning ${usual.words}` : null,
    };
  });
}

// ---- techniques ----

const fmt = (x: number) => x.toFixed(2);

function techniqueRows(sessions: readonly Session[]): TechniqueRow[] {
  const groups = new Map<string, SessionPoint[]>();
  for (const { point } of sessions) {
    if (point.mainTechnique === null) continue;
    const list = groups.get(point.mainTechnique) ?? [];
    list.push(point);
    groups.set(point.mainTechnique, list);
  }
  const names = [...groups.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const base = names.map((technique) => {
    const points = groups.get(technique) as SessionPoint[];
    const shifts = points.map((p) => p.massageShiftLn).filter((v): v is number => v !== null);
    const n = shifts.length;
    const meanShiftLn = n > 0 ? mean(shifts) : null;
    const sdShiftLn = n > 1 ? sampleSd(shifts) : null;
    let ciLowLn: number | null = null;
    let ciHighLn: number | null = null;
    if (n >= TECHNIQUE_MIN_SESSIONS && meanShiftLn !== null && sdShiftLn !== null) {
      const half = (studentTQuantile(0.975, n - 1) * sdShiftLn) / Math.sqrt(n);
      ciLowLn = meanShiftLn - half;
      ciHighLn = meanShiftLn + half;
    }
    return { technique, sessions: points.length, shifts: n, meanShiftLn, sdShiftLn, ciLowLn, ciHighLn };
  });
  const rated = base.filter((r) => r.ciLowLn !== null);
  return base.map((row) => {
    if (row.ciLowLn === null || row.ciHighLn === null) {
      const words = `too few sessions to tell: ${row.shifts} with a shift, needs ${TECHNIQUE_MIN_SESSIONS}`;
      return { ...row, rank: null, words };
    }
    const low = row.ciLowLn;
    const high = row.ciHighLn;
    const others = rated.filter((o) => o !== row);
    const above = others.filter((o) => (o.ciLowLn as number) > high).map((o) => o.technique);
    const below = others.filter((o) => (o.ciHighLn as number) < low).map((o) => o.technique);
    const overlap = others.filter((o) => !above.includes(o.technique) && !below.includes(o.technique));
    const parts = [
      `mean shift ${fmt(row.meanShiftLn as number)} (95 % interval ${fmt(low)} to ${fmt(high)}) over ${row.shifts} sessions`,
    ];
    if (others.length === 0) parts.push('no other technique has enough sessions to compare');
    if (below.length) parts.push(`shifts more than ${below.join(', ')}`);
    if (above.length) parts.push(`shifts less than ${above.join(', ')}`);
    if (overlap.length) {
      parts.push(`cannot be told apart from ${overlap.map((o) => o.technique).join(', ')} (intervals overlap)`);
    }
    return { ...row, rank: 1 + above.length, words: parts.join('; ') };
  });
}

// ---- over the weeks ----

function overWeeks(
  sessions: readonly Session[],
  days: readonly DayRow[],
  lastDay: number,
  rowOfDay: (day: number) => DayRow | undefined,
): OverWeeks {
  const dailyCount = days.filter((d) => d.lnRmssd !== null).length;
  const empty = {
    firstSessionDate: null,
    daysSinceFirstSession: null,
    dailyValues: dailyCount,
    baselineBefore: null,
    baselineLatest: null,
    changeLn: null,
    halfWidthLn: null,
  };
  if (sessions.length === 0) return { ...empty, verdict: 'no-sessions', words: 'no sessions yet' };
  const firstDay = Math.floor(sessions[0].start / DAY_S); // sessions come in start order
  const since = lastDay - firstDay;
  const beforeRow = rowOfDay(firstDay - 1);
  const todayRow = rowOfDay(lastDay);
  const baselineBefore = beforeRow ? beforeRow.baseline7 : null;
  const baselineLatest = todayRow ? todayRow.baseline7 : null;
  const halfWidthLn =
    todayRow && todayRow.normalLow !== null && todayRow.normalHigh !== null
      ? (todayRow.normalHigh - todayRow.normalLow) / 2
      : null;
  const changeLn = baselineBefore !== null && baselineLatest !== null ? baselineLatest - baselineBefore : null;
  const facts = {
    firstSessionDate: dateOfDay(firstDay),
    daysSinceFirstSession: since,
    dailyValues: dailyCount,
    baselineBefore,
    baselineLatest,
    changeLn,
    halfWidthLn,
  };
  if (since < OVER_WEEKS_MIN_DAYS || dailyCount < OVER_WEEKS_MIN_VALUES) {
    const weeks = Math.max(0, Math.floor(since / 7));
    return {
      ...facts,
      verdict: 'too-early',
      words:
        `too early to tell: ${weeks} week${weeks === 1 ? '' : 's'} since the first session and ${dailyCount} ` +
        `morning readings (needs 4 weeks and ${OVER_WEEKS_MIN_VALUES})`,
    };
  }
  if (baselineBefore === null) {
    return {
      ...facts,
      verdict: 'not-enough-data',
      words: `no baseline before the first session (needs ${BASELINE_MIN_VALUES} morning readings in the week before it)`,
    };
  }
  if (baselineLatest === null) {
    return {
      ...facts,
      verdict: 'not-enough-data',
      words: `no current baseline (needs ${BASELINE_MIN_VALUES} morning readings in the last 7 days)`,
    };
  }
  if (halfWidthLn === null || changeLn === null) {
    return {
      ...facts,
      verdict: 'not-enough-data',
      words: `no normal range yet (needs ${NORMAL_RANGE_MIN_VALUES} morning readings in the last 60 days)`,
    };
  }
  const amount = `${fmt(Math.abs(changeLn))} lnRMSSD`;
  if (changeLn > halfWidthLn) {
    return {
      ...facts,
      verdict: 'higher',
      words: `their 7-day baseline is ${amount} higher than before the first session, more than their usual day-to-day range`,
    };
  }
  if (changeLn < -halfWidthLn) {
    return {
      ...facts,
      verdict: 'lower',
      words: `their 7-day baseline is ${amount} lower than before the first session, more than their usual day-to-day range`,
    };
  }
  return {
    ...facts,
    verdict: 'no-clear-change',
    words: `no clear change: their 7-day baseline moved ${amount} since before the first session, within their usual range`,
  };
}

// ---- the entry point ----

/**
 * A client's weeks from their readings and sessions (any order). `days` runs from the first daily value's date to
 * `today`; readings after `today` give no day rows but still pair with sessions. Throws a RangeError naming the
 * reading or session when a date-time is malformed, a kind unknown or a number not finite.
 */
export function clientTimeline(
  readings: readonly ReadingPoint[],
  sessions: readonly SessionPoint[],
  options: TimelineOptions = {},
): ClientTimeline {
  const k = options.normalSdFactor ?? 0.5;
  if (k !== 0.5 && k !== 1) throw new RangeError(`normalSdFactor must be 0.5 or 1, got ${k}`);
  const sorted = checkReadings(readings).sort(byTime);
  const checkedSessions = checkSessions(sessions).sort((a, b) => a.start - b.start || a.point.id - b.point.id);

  let lastDay: number;
  if (options.today !== undefined) lastDay = dayNumber(options.today, 'today');
  else {
    lastDay = Number.NEGATIVE_INFINITY;
    for (const r of sorted) lastDay = Math.max(lastDay, r.day);
    for (const s of checkedSessions) lastDay = Math.max(lastDay, Math.floor((s.end ?? s.start) / DAY_S));
  }

  const daily = dailyValues(sorted);
  const days = Number.isFinite(lastDay) ? dayRows(daily, lastDay, k) : [];
  const firstDay = days.length ? dayNumber(days[0].date, 'first day') : 0;
  const rowOfDay = (day: number) => (days.length ? days[day - firstDay] : undefined);

  return {
    days,
    sessions: sessionRows(checkedSessions, sorted, daily, rowOfDay),
    techniques: techniqueRows(checkedSessions),
    overWeeks: overWeeks(checkedSessions, days, lastDay, rowOfDay),
  };
}
