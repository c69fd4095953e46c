/**
 * The span of a client's timeline chart (web/lib/client-model.js, run here as the pages run it): a session is drawn at
 * its time of day, so one that began in the evening of the chart's last day lies most of a day past that date, and
 * the span must reach it. It once ended at the last date (the axis 0.7 day beyond it), so sessions begun after 16:48
 * on the last day were not drawn: the client page's browser test failed every evening.
 */
import { describe, expect, it } from 'vitest';

interface Span {
  first: number;
  last: number;
}
interface ClientModel {
  timelineSpan(record: unknown, fromDay?: number): Span;
}
const model = (await import(new URL('../../web/lib/client-model.js', import.meta.url).href)) as ClientModel;

const day = (date: string, lnRmssd: number) => ({ date, lnRmssd, baseline7: null, normalLow: null, normalHigh: null });
const session = (startedAt: string) => ({ startedAt, before: null, after: null, nextMorning: null });
const DAY = 86_400_000;

describe("a client's timeline span", () => {
  it('reaches a session that began late in the evening of the last day', () => {
    const record = {
      days: [day('2026-11-30', 4.1), day('2026-12-01', 4.2)],
      sessions: [session('2026-12-01T23:30:00')],
    };
    const span = model.timelineSpan(record);
    expect(span.first).toBe(Date.UTC(2026, 10, 30) / DAY);
    // 23:30 of 1 December, counted from the epoch in days as the chart's x axis counts them
    expect(span.last).toBe(Date.UTC(2026, 11, 1, 23, 30) / DAY);
  });

  it('ends at the last reading day when the sessions came before it, and starts at the first session day', () => {
    const record = { days: [day('2026-12-01', 4.2)], sessions: [session('2026-11-28T18:00:00')] };
    expect(model.timelineSpan(record)).toEqual({
      first: Date.UTC(2026, 10, 28) / DAY,
      last: Date.UTC(2026, 11, 1) / DAY,
    });
  });

  it('spans a record with sessions and no readings, a record with nothing, and starts where asked', () => {
    expect(model.timelineSpan({ days: [], sessions: [session('2026-12-02T09:15:00')] })).toEqual({
      first: Date.UTC(2026, 11, 2) / DAY,
      last: Date.UTC(2026, 11, 2, 9, 15) / DAY,
    });
    expect(model.timelineSpan({ days: [], sessions: [] })).toEqual({ first: 0, last: 1 });
    const from = Date.UTC(2026, 11, 1) / DAY;
    const record = { days: [day('2026-11-20', 4), day('2026-12-02', 4.3)], sessions: [] };
    expect(model.timelineSpan(record, from)).toEqual({ first: from, last: Date.UTC(2026, 11, 2) / DAY });
  });
});
