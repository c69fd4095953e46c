import { describe, expect, it } from 'vitest';
import type { ReadingKind } from '../../src/domain/kinds.js';
import {
  againstUsual,
  type ClientTimeline,
  clientTimeline,
  type DayRow,
  type ReadingPoint,
  type SessionPoint,
  todayAgainstUsual,
} from '../../src/tracking/timeline.js';

/** 'YYYY-MM-DD' of day n after 2026-03-01 (day 0). */
function dateOf(n: number): string {
  const d = new Date(Date.UTC(2026, 2, 1));
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

let nextId = 1;
function reading(day: number, time: string, kind: ReadingKind, lnRmssd: number | null): ReadingPoint {
  return { id: nextId++, at: `${dateOf(day)}T${time}`, kind, lnRmssd };
}
/** One morning reading at 07:00 on each of `days`, with `values`. */
function mornings(days: readonly number[], values: readonly number[]): ReadingPoint[] {
  return days.map((d, i) => reading(d, '07:00:00', 'morning', values[i]));
}
function session(
  id: number,
  startedAt: string,
  endedAt: string | null,
  more: Partial<SessionPoint> = {},
): SessionPoint {
  return {
    id,
    startedAt,
    endedAt,
    baselineLnRmssd: null,
    massageShiftLn: null,
    recoveryShiftLn: null,
    mainTechnique: null,
    massageS: null,
    ...more,
  };
}
function day(t: ClientTimeline, n: number): DayRow {
  const row = t.days.find((d) => d.date === dateOf(n));
  if (!row) throw new Error(`no row for ${dateOf(n)}`);
  return row;
}

describe('daily value', () => {
  it('is the first valid morning reading of the day: earlier readings without a value and other kinds skipped', () => {
    const skippedNull = reading(0, '06:00:00', 'morning', null);
    const otherKind = reading(0, '06:10:00', 'before', 3.1);
    const first = reading(0, '06:30:00', 'morning', 4.1);
    const second = reading(0, '08:00:00', 'morning', 4.9);
    // given out of order: the order of the input does not matter
    const t = clientTimeline([second, otherKind, first, skippedNull], [], { today: dateOf(0) });
    expect(t.days).toHaveLength(1);
    expect(t.days[0]).toMatchObject({ date: dateOf(0), lnRmssd: 4.1, readingId: first.id });
  });

  it('gives a row for every calendar day from the first daily value to today, null on days without one', () => {
    const t = clientTimeline([reading(0, '23:59:59', 'morning', 4), ...mornings([3], [4.2])], [], { today: dateOf(5) });
    expect(t.days.map((d) => d.date)).toEqual([0, 1, 2, 3, 4, 5].map(dateOf));
    expect(t.days.map((d) => d.lnRmssd)).toEqual([4, null, null, 4.2, null, null]);
  });

  it('starts at the first daily value, not at an earlier reading of another kind; default today is the latest date', () => {
    const t = clientTimeline(
      [reading(0, '10:00:00', 'other', 3.9), ...mornings([2], [4.0])],
      [session(1, `${dateOf(4)}T10:00:00`, `${dateOf(4)}T11:00:00`)],
    );
    expect(t.days.map((d) => d.date)).toEqual([2, 3, 4].map(dateOf));
  });

  it('gives no days without any daily value', () => {
    expect(clientTimeline([reading(0, '07:00:00', 'morning', null)], []).days).toEqual([]);
    expect(clientTimeline([], []).days).toEqual([]);
  });
});

describe('7-day baseline and CV', () => {
  // 4.0, 4.3, 4.6: mean 4.3; deviations −0.3, 0, 0.3; SS 0.18; SD (n−1) = sqrt(0.09) = 0.3; CV = 0.3/4.3 × 100
  const t = clientTimeline(mornings([0, 1, 2], [4.0, 4.3, 4.6]), [], { today: dateOf(9) });

  it('needs 3 daily values', () => {
    expect(day(t, 0)).toMatchObject({ values7: 1, baseline7: null, cv7Pct: null });
    expect(day(t, 1)).toMatchObject({ values7: 2, baseline7: null, cv7Pct: null });
    expect(day(t, 2).values7).toBe(3);
    expect(day(t, 2).baseline7).toBeCloseTo(4.3, 14);
    expect(day(t, 2).cv7Pct).toBeCloseTo((0.3 / 4.3) * 100, 12);
  });

  it('covers days d−6 … d: day 6 still holds day 0, day 7 no longer does', () => {
    expect(day(t, 6).values7).toBe(3);
    expect(day(t, 6).baseline7).toBeCloseTo(4.3, 14);
    expect(day(t, 7)).toMatchObject({ values7: 2, baseline7: null, cv7Pct: null });
    expect(day(t, 9)).toMatchObject({ values7: 0, baseline7: null });
  });

  it('with missing days in the window uses the values there are', () => {
    // days 0, 3, 6: 4.0, 4.6, 4.3 → same three values, same mean and CV on day 6
    const gaps = clientTimeline(mornings([0, 3, 6], [4.0, 4.6, 4.3]), []);
    expect(day(gaps, 5).baseline7).toBeNull();
    expect(day(gaps, 6).baseline7).toBeCloseTo(4.3, 14);
    expect(day(gaps, 6).cv7Pct).toBeCloseTo((0.3 / 4.3) * 100, 12);
  });
});

describe('normal range', () => {
  // day 0: 4.0; days 47…59: 13 values alternating 4.4, 4.0, … (7 × 4.4, 6 × 4.0) → 7 × 4.0 and 7 × 4.4 in all:
  // mean 4.2, every deviation ±0.2, SS = 14 × 0.04 = 0.56, SD (n−1) = sqrt(0.56 / 13)
  const days = [0, ...Array.from({ length: 13 }, (_, i) => 47 + i)];
  const values = [4.0, ...Array.from({ length: 13 }, (_, i) => (i % 2 === 0 ? 4.4 : 4.0))];
  const sd = Math.sqrt(0.56 / 13);

  it('is mean ± 0.5 SD of days d−59 … d with 14 values; 13 give none', () => {
    const t = clientTimeline(mornings(days, values), [], { today: dateOf(60) });
    expect(day(t, 58)).toMatchObject({ values60: 13, normalLow: null, normalHigh: null });
    expect(day(t, 59).values60).toBe(14);
    expect(day(t, 59).normalLow).toBeCloseTo(4.2 - 0.5 * sd, 13);
    expect(day(t, 59).normalHigh).toBeCloseTo(4.2 + 0.5 * sd, 13);
    // day 60: the window 1…60 no longer holds day 0
    expect(day(t, 60)).toMatchObject({ values60: 13, normalLow: null, normalHigh: null });
  });

  it('is mean ± 1 SD with normalSdFactor 1', () => {
    const t = clientTimeline(mornings(days, values), [], { today: dateOf(59), normalSdFactor: 1 });
    expect(day(t, 59).normalLow).toBeCloseTo(4.2 - sd, 13);
    expect(day(t, 59).normalHigh).toBeCloseTo(4.2 + sd, 13);
  });

  it('places a value below, within (edges included) or above it, and says nothing without one', () => {
    const row: DayRow = {
      date: '2026-03-01',
      lnRmssd: null,
      readingId: null,
      values7: 0,
      baseline7: null,
      cv7Pct: null,
      values60: 20,
      normalLow: 4,
      normalHigh: 4.4,
    };
    expect(againstUsual(3.99, row)).toEqual({ position: 'below', words: 'came in below their usual' });
    expect(againstUsual(4, row)?.position).toBe('within');
    expect(againstUsual(4.4, row)?.position).toBe('within');
    expect(againstUsual(4.41, row)).toEqual({ position: 'above', words: 'came in above their usual' });
    expect(againstUsual(4.2, { ...row, normalLow: null, normalHigh: null })).toBeNull();
  });
});

describe('today against the usual', () => {
  // days 0…13: 4.0 and 4.4 alternating — mean 4.2, SD (n − 1) 0.2·√(14/13); day 14 has a reading that must not count
  const values = Array.from({ length: 14 }, (_, i) => (i % 2 ? 4.4 : 4.0));
  const readings = [...mornings([...values.keys()], values), reading(14, '07:00:00', 'morning', 9)];
  const sd = 0.2 * Math.sqrt(14 / 13);

  it("places a session's baseline against the normal range of its date, in words", () => {
    const below = todayAgainstUsual(readings, 4.0, dateOf(13));
    expect(below).toMatchObject({ position: 'below', words: 'came in below their usual', date: dateOf(13) });
    expect(below?.normalLow).toBeCloseTo(4.2 - sd / 2, 13);
    expect(below?.normalHigh).toBeCloseTo(4.2 + sd / 2, 13);
    expect(below?.values60).toBe(14);
    expect(todayAgainstUsual(readings, 4.2, dateOf(13))?.words).toBe('came in within their usual range');
    expect(todayAgainstUsual(readings, 4.4, dateOf(13))?.words).toBe('came in above their usual');
    expect(todayAgainstUsual(readings, 4.0, dateOf(13), { normalSdFactor: 1 })?.normalLow).toBeCloseTo(4.2 - sd, 13);
  });

  it('says nothing without a normal range that day (13 daily values) and refuses a value that is no number', () => {
    expect(todayAgainstUsual(readings, 4.0, dateOf(12))).toBeNull();
    expect(todayAgainstUsual([], 4.0, dateOf(12))).toBeNull();
    expect(() => todayAgainstUsual(readings, Number.NaN, dateOf(13))).toThrow(/lnRmssd/);
  });
});

describe('sessions on the timeline', () => {
  const start = `${dateOf(20)}T10:00:00`;
  const end = `${dateOf(20)}T11:00:00`;
  const pairOf = (readings: ReadingPoint[]) => clientTimeline(readings, [session(1, start, end)]).sessions[0];

  it('pairs a before reading from exactly 3 h before the start up to the start, not a second earlier or later', () => {
    const atEdge = reading(20, '07:00:00', 'before', 4.1);
    expect(pairOf([atEdge]).before).toMatchObject({ id: atEdge.id, lnRmssd: 4.1, kind: 'before', byKind: true });
    expect(pairOf([reading(20, '06:59:59', 'before', 4.1)]).before).toBeNull();
    expect(pairOf([reading(20, '10:00:00', 'before', 4.1)]).before?.lnRmssd).toBe(4.1);
    expect(pairOf([reading(20, '10:00:01', 'before', 4.1)]).before).toBeNull();
  });

  it('pairs an after reading from the end (a reading taken at the table as the client gets up) to exactly 4 h after', () => {
    expect(pairOf([reading(20, '10:59:59', 'after', 4.5)]).after).toBeNull();
    expect(pairOf([reading(20, '11:00:00', 'after', 4.5)]).after?.lnRmssd).toBe(4.5);
    expect(pairOf([reading(20, '11:02:10', 'after', 4.5)]).after?.lnRmssd).toBe(4.5);
    expect(pairOf([reading(20, '15:00:00', 'after', 4.5)]).after?.lnRmssd).toBe(4.5);
    expect(pairOf([reading(20, '15:00:01', 'after', 4.5)]).after).toBeNull();
    // The one at the table and one at home 1–2 h later: the first one after the session is its after reading.
    const atTable = reading(20, '11:01:00', 'after', 4.4);
    const atHome = reading(20, '12:30:00', 'after', 4.7);
    expect(pairOf([atHome, atTable]).after).toMatchObject({ id: atTable.id, byKind: true });
    expect(pairOf([atHome]).after).toMatchObject({ id: atHome.id, byKind: true });
  });

  it('never takes a reading marked after as a before, or one marked before as an after', () => {
    expect(pairOf([reading(20, '09:30:00', 'after', 4.1)]).before).toBeNull();
    expect(pairOf([reading(20, '11:30:00', 'before', 4.1)]).after).toBeNull();
    // a reading of another kind still stands in, and says so
    expect(pairOf([reading(20, '11:30:00', 'night', 4.1)]).after).toMatchObject({ kind: 'night', byKind: false });
  });

  it('stops the windows at the neighbouring sessions: a reading pairs with one session on each side', () => {
    // two sessions 10:00–11:00 and 12:00–12:30 the same day
    const first = session(1, start, end);
    const second = session(2, `${dateOf(20)}T12:00:00`, `${dateOf(20)}T12:30:00`);
    const afterFirst = reading(20, '11:05:00', 'after', 4.5);
    const afterSecond = reading(20, '12:40:00', 'after', 4.8);
    const between = reading(20, '11:40:00', 'before', 4.2);
    const t = clientTimeline([afterSecond, between, afterFirst], [second, first]);
    expect(t.sessions.map((s) => [s.id, s.before?.id ?? null, s.after?.id ?? null])).toEqual([
      [1, null, afterFirst.id],
      [2, between.id, afterSecond.id],
    ]);
    // without the one after the first session, the second session's after reading is not taken for the first
    const alone = clientTimeline([afterSecond], [first, second]);
    expect(alone.sessions.map((s) => s.after?.id ?? null)).toEqual([null, afterSecond.id]);
    // nor is a reading taken before the first session's end the second one's before
    const early = reading(20, '10:30:00', 'before', 4.0);
    expect(clientTimeline([early], [first, second]).sessions.map((s) => s.before?.id ?? null)).toEqual([null, null]);
  });

  it('prefers the kind the protocol asks for, then falls back to another valid reading and says so', () => {
    const closerOther = reading(20, '09:50:00', 'other', 3.8);
    const before = reading(20, '09:00:00', 'before', 4.0);
    const earlierBefore = reading(20, '08:00:00', 'before', 3.9);
    const noValue = reading(20, '09:55:00', 'before', null);
    expect(pairOf([closerOther, before, earlierBefore, noValue]).before).toMatchObject({ id: before.id, byKind: true });
    expect(pairOf([closerOther, noValue]).before).toMatchObject({ id: closerOther.id, kind: 'other', byKind: false });

    const firstAfter = reading(20, '12:00:00', 'after', 4.6);
    const laterAfter = reading(20, '13:00:00', 'after', 4.7);
    const otherAfter = reading(20, '11:45:00', 'night', 4.2);
    expect(pairOf([laterAfter, firstAfter, otherAfter]).after).toMatchObject({ id: firstAfter.id, byKind: true });
    expect(pairOf([otherAfter]).after).toMatchObject({ id: otherAfter.id, byKind: false });
  });

  it('has no after reading while the session has no end', () => {
    const t = clientTimeline([reading(20, '12:00:00', 'after', 4.6)], [session(1, start, null)]);
    expect(t.sessions[0].after).toBeNull();
  });

  it('takes the next morning from the day after the end and places it against that day’s normal range', () => {
    // days 0…19: 4.0 and 4.4 alternating (20 values, range about 4.2 ± 0.1); the next morning (day 21) 5.0 is far above
    const base = mornings(
      Array.from({ length: 20 }, (_, i) => i),
      Array.from({ length: 20 }, (_, i) => (i % 2 ? 4.4 : 4.0)),
    );
    const early = reading(21, '06:00:00', 'morning', null);
    const next = reading(21, '06:30:00', 'morning', 5.0);
    const sameDay = reading(20, '18:00:00', 'morning', 3.0);
    const t = clientTimeline([...base, early, next, sameDay], [session(1, start, end)]);
    const s = t.sessions[0];
    expect(s.nextMorning).toMatchObject({ id: next.id, lnRmssd: 5.0 });
    expect(s.nextMorningPosition).toBe('above');
    expect(s.nextMorningWords).toBe('the next morning came in above their usual');

    // ended after midnight: the next morning is the day after the end (day 22), which has none
    const late = clientTimeline([...base, next], [session(2, `${dateOf(20)}T23:30:00`, `${dateOf(21)}T00:30:00`)]);
    expect(late.sessions[0].nextMorning).toBeNull();
    expect(late.sessions[0].nextMorningPosition).toBeNull();
  });

  it('without a normal range the next morning has a value but no position', () => {
    const next = reading(21, '06:30:00', 'morning', 4.2);
    const t = clientTimeline([next], [session(1, start, end)]);
    expect(t.sessions[0].nextMorning?.id).toBe(next.id);
    expect(t.sessions[0].nextMorningPosition).toBeNull();
  });

  it('keeps each session’s own values, in start order, with its date', () => {
    const a = session(7, `${dateOf(3)}T09:00:00`, `${dateOf(3)}T10:00:00`, {
      massageShiftLn: 0.3,
      mainTechnique: 'Effleurage',
    });
    const b = session(5, `${dateOf(1)}T09:00:00`, null, { baselineLnRmssd: 3.9, massageS: 1800 });
    const t = clientTimeline([], [a, b]);
    expect(t.sessions.map((s) => s.id)).toEqual([5, 7]);
    expect(t.sessions[0]).toMatchObject({ date: dateOf(1), baselineLnRmssd: 3.9, massageS: 1800 });
    expect(t.sessions[1]).toMatchObject({ date: dateOf(3), massageShiftLn: 0.3, mainTechnique: 'Effleurage' });
  });
});

describe('which technique', () => {
  let id = 100;
  const withShifts = (technique: string | null, shifts: Array<number | null>) =>
    shifts.map((massageShiftLn) =>
      session(id, `${dateOf(id++ - 100)}T10:00:00`, null, {
        mainTechnique: technique,
        massageShiftLn,
      }),
    );
  const t = clientTimeline(
    [],
    [
      ...withShifts('A', [0.1, 0.2, 0.3]), // mean 0.2, SD 0.1
      ...withShifts('B', [1.0, 1.1, 1.2, null]), // mean 1.1, SD 0.1; one session without a shift
      ...withShifts('C', [0.5, 0.6]), // too few
      ...withShifts('D', [0.0, 0.2, 0.4]), // mean 0.2, SD 0.2
      ...withShifts(null, [9]), // no technique: not in any row
    ],
  );
  const row = (name: string) => {
    const r = t.techniques.find((x) => x.technique === name);
    if (!r) throw new Error(name);
    return r;
  };
  const T_975_2 = 4.302653; // Student t table, 2 df

  it('gives the mean shift with its 95 % Student-t interval', () => {
    expect(t.techniques.map((r) => r.technique)).toEqual(['A', 'B', 'C', 'D']);
    const a = row('A');
    expect(a).toMatchObject({ sessions: 3, shifts: 3 });
    expect(a.meanShiftLn).toBeCloseTo(0.2, 14);
    expect(a.sdShiftLn).toBeCloseTo(0.1, 14);
    expect(a.ciLowLn).toBeCloseTo(0.2 - (T_975_2 * 0.1) / Math.sqrt(3), 6);
    expect(a.ciHighLn).toBeCloseTo(0.2 + (T_975_2 * 0.1) / Math.sqrt(3), 6);
    expect(row('B')).toMatchObject({ sessions: 4, shifts: 3 });
    expect(row('D').ciHighLn).toBeCloseTo(0.2 + (T_975_2 * 0.2) / Math.sqrt(3), 6);
  });

  it('says "too few sessions" below 3 shifts, with no interval and no rank', () => {
    const c = row('C');
    expect(c).toMatchObject({ sessions: 2, shifts: 2, ciLowLn: null, ciHighLn: null, rank: null });
    expect(c.meanShiftLn).toBeCloseTo(0.55, 14);
    expect(c.words).toMatch(/^too few sessions/);
  });

  it('ranks one above another only where the intervals do not overlap', () => {
    // B: 1.1 ± 0.248 lies wholly above A (0.2 ± 0.248) and D (0.2 ± 0.497); A and D overlap
    expect(row('B').rank).toBe(1);
    expect(row('A').rank).toBe(2);
    expect(row('D').rank).toBe(2);
    expect(row('B').words).toContain('shifts more than A, D');
    expect(row('A').words).toContain('shifts less than B');
    expect(row('A').words).toContain('cannot be told apart from D (intervals overlap)');
  });

  it('with one technique rated, says there is nothing to compare it with', () => {
    const one = clientTimeline([], withShifts('A', [0.1, 0.2, 0.3]));
    expect(one.techniques[0].rank).toBe(1);
    expect(one.techniques[0].words).toContain('no other technique has enough sessions to compare');
  });
});

describe('over the weeks', () => {
  // days 0…59 alternating lo/hi (even days lo, odd days hi) in two halves; the first session on day 10
  function weeks(first: [number, number], second: [number, number], today: number, more: ReadingPoint[] = []) {
    const days = Array.from({ length: 60 }, (_, i) => i).filter((d) => d <= today);
    const values = days.map((d) => (d < 30 ? first : second)[d % 2]);
    return clientTimeline(
      [...mornings(days, values), ...more],
      [session(1, `${dateOf(10)}T10:00:00`, `${dateOf(10)}T11:00:00`)],
      { today: dateOf(today) },
    ).overWeeks;
  }

  it('compares the baseline of today with the day before the first session, against the normal half-width', () => {
    const w = weeks([4.0, 4.2], [4.6, 4.8], 59);
    // before: day 9 → days 3…9: 4 odd days (4.2) and 3 even (4.0) → 28.8 / 7; today: days 53…59 → 4 × 4.8 + 3 × 4.6 = 33 / 7
    expect(w.baselineBefore).toBeCloseTo(28.8 / 7, 13);
    expect(w.baselineLatest).toBeCloseTo(33 / 7, 13);
    expect(w.changeLn).toBeCloseTo(4.2 / 7, 13);
    // 60 values, 15 each of 4.0, 4.2, 4.6, 4.8: mean 4.4, SS = 15 × (0.16 + 0.04 + 0.04 + 0.16) = 6
    expect(w.halfWidthLn).toBeCloseTo(0.5 * Math.sqrt(6 / 59), 13);
    expect(w).toMatchObject({ verdict: 'higher', firstSessionDate: dateOf(10), daysSinceFirstSession: 49 });
    expect(w.words).toMatch(/higher than before the first session/);
    expect(weeks([4.6, 4.8], [4.0, 4.2], 59).verdict).toBe('lower');
  });

  it('finds no clear change when the baseline stays within the usual range', () => {
    const w = weeks([4.0, 4.2], [4.0, 4.2], 59);
    expect(w.changeLn).toBeCloseTo(0, 13);
    expect(w.verdict).toBe('no-clear-change');
  });

  it('is too early to tell before 4 weeks after the first session, or with fewer than 12 daily values', () => {
    expect(weeks([4.0, 4.2], [4.6, 4.8], 37).verdict).toBe('too-early'); // 27 days
    expect(weeks([4.0, 4.2], [4.6, 4.8], 38).daysSinceFirstSession).toBe(28);
    expect(weeks([4.0, 4.2], [4.6, 4.8], 38).verdict).not.toBe('too-early');
    // 11 daily values (days 3…9 and 35…38), 28 days after the first session
    const sparse = clientTimeline(
      mornings([3, 4, 5, 6, 7, 8, 9, 35, 36, 37, 38], [4, 4.1, 4, 4.1, 4, 4.1, 4, 4.5, 4.6, 4.5, 4.6]),
      [session(1, `${dateOf(10)}T10:00:00`, null)],
      { today: dateOf(38) },
    ).overWeeks;
    expect(sparse).toMatchObject({ verdict: 'too-early', dailyValues: 11 });
    expect(sparse.words).toMatch(/^too early to tell/);
  });

  it('says what is missing: no baseline before the first session, no sessions', () => {
    const noBefore = clientTimeline(
      mornings(
        Array.from({ length: 40 }, (_, i) => 12 + i),
        Array.from({ length: 40 }, (_, i) => 4 + (i % 3) / 10),
      ),
      [session(1, `${dateOf(10)}T10:00:00`, null)],
    ).overWeeks;
    expect(noBefore.verdict).toBe('not-enough-data');
    expect(noBefore.words).toMatch(/no baseline before the first session/);
    expect(clientTimeline(mornings([0], [4]), []).overWeeks).toMatchObject({ verdict: 'no-sessions' });
  });
});

describe('bad input', () => {
  it('names the reading or session and what is wrong', () => {
    expect(() => clientTimeline([{ id: 9, at: '2026-03-01 07:00:00', kind: 'morning', lnRmssd: 4 }], [])).toThrow(
      /reading 9 .*'YYYY-MM-DDTHH:MM:SS'/,
    );
    expect(() => clientTimeline([{ id: 9, at: '2026-02-30T07:00:00', kind: 'morning', lnRmssd: 4 }], [])).toThrow(
      /reading 9 .*no such date-time/,
    );
    expect(() =>
      clientTimeline([{ id: 9, at: '2026-03-01T07:00:00', kind: 'evening' as ReadingKind, lnRmssd: 4 }], []),
    ).toThrow(/reading 9 .*kind/);
    expect(() =>
      clientTimeline([{ id: 9, at: '2026-03-01T07:00:00', kind: 'morning', lnRmssd: Number.NaN }], []),
    ).toThrow(/reading 9 .*lnRmssd/);
    expect(() => clientTimeline([], [session(4, '2026-03-01T10:00:00', '2026-03-01T09:00:00')])).toThrow(
      /session 4 .*before startedAt/,
    );
    expect(() => clientTimeline([], [], { today: '1.3.2026' })).toThrow(/today/);
    for (const at of ['2025-02-29T07:00:00', '2026-04-31T07:00:00', '2026-03-01T24:00:00', '2026-03-01T07:60:00']) {
      expect(() => clientTimeline([{ id: 9, at, kind: 'morning', lnRmssd: 4 }], [])).toThrow(/no such date-time/);
    }
    expect(() => clientTimeline([], [], { today: '2100-02-29' })).toThrow(/no such date/);
  });

  it('counts calendar days as the Date object does, across leap years and centuries', () => {
    // one morning every 97 days from 1999 to 2101: each day row's date is the Date object's for that day
    const days = Array.from({ length: 390 }, (_, i) => i * 97);
    const isoOf = (n: number) => new Date(Date.UTC(1999, 0, 1) + n * 86_400_000).toISOString().slice(0, 10);
    const t = clientTimeline(
      days.map((n, i) => ({ id: i + 1, at: `${isoOf(n)}T07:00:00`, kind: 'morning' as const, lnRmssd: 4 })),
      [],
    );
    expect(t.days).toHaveLength(days[days.length - 1] + 1);
    for (const n of [0, 424, 366, 3000, 36_889, 37_733]) expect(t.days[n].date).toBe(isoOf(n));
    expect(t.days.filter((d) => d.lnRmssd !== null).map((d) => d.date)).toEqual(days.map(isoOf));
  });
});
