/**
 * A client's weeks on real readings: Welltory's open COVID-19 data (CC0, test/fixtures/readings/welltory-hrv-covid19,
 * see its SOURCE.txt), user fcf3ea75b0 (157 readings, 122 days with a morning reading). The days, baselines, CVs and
 * normal ranges are recomputed here straight from the definitions with plain loops over the dates.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { clientTimeline, type ReadingPoint } from '../../src/tracking/timeline.js';

const CSV = 'test/fixtures/readings/welltory-hrv-covid19/hrv_measurements.csv';
const USER = 'fcf3ea75b0';

/** Fields of one CSV line: double-quoted fields may hold commas (rr_data). */
function splitCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      fields.push(field);
      field = '';
    } else field += c;
  }
  fields.push(field);
  return fields;
}

interface Row {
  readonly id: number;
  readonly at: string; // 'YYYY-MM-DDTHH:MM:SS'
  readonly morning: boolean;
  readonly lnRmssd: number;
}

function userRows(): Row[] {
  const lines = readFileSync(CSV, 'utf8')
    .split('\n')
    .filter((l) => l.length > 0);
  const header = splitCsvLine(lines[0]);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`no column ${name}`);
    return i;
  };
  const [user, when, timeOfDay, rmssd] = ['user_code', 'measurement_datetime', 'time_of_day', 'rmssd'].map(col);
  const rows: Row[] = [];
  lines.slice(1).forEach((line, i) => {
    const f = splitCsvLine(line);
    if (f.length !== header.length) throw new Error(`line ${i + 2}: ${f.length} fields, header has ${header.length}`);
    if (f[user] !== USER) return;
    rows.push({
      id: i + 1,
      at: f[when].replace(' ', 'T'),
      morning: f[timeOfDay] === 'morning',
      lnRmssd: Math.log(Number(f[rmssd])),
    });
  });
  return rows;
}

/** 'YYYY-MM-DD' n days after `date`. */
function addDays(date: string, n: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

describe(`Welltory user ${USER}`, () => {
  const rows = userRows();
  const readings: ReadingPoint[] = rows.map((r) => ({
    id: r.id,
    at: r.at,
    kind: r.morning ? 'morning' : 'other',
    lnRmssd: r.lnRmssd,
  }));

  // the reference: the first morning reading of each date, by time
  const byTime = [...rows].sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.id - b.id));
  const daily = new Map<string, number>();
  for (const r of byTime) if (r.morning && !daily.has(r.at.slice(0, 10))) daily.set(r.at.slice(0, 10), r.lnRmssd);
  const dates = [...daily.keys()].sort();
  const first = dates[0];
  const last = byTime[byTime.length - 1].at.slice(0, 10);

  function stats(date: string, length: number) {
    const values: number[] = [];
    for (let k = length - 1; k >= 0; k--) {
      const v = daily.get(addDays(date, -k));
      if (v !== undefined) values.push(v);
    }
    let sum = 0;
    for (const v of values) sum += v;
    const m = sum / values.length;
    let ss = 0;
    for (const v of values) ss += (v - m) ** 2;
    return { n: values.length, mean: m, sd: Math.sqrt(ss / (values.length - 1)) };
  }

  it('has the readings SOURCE.txt describes', () => {
    expect(rows).toHaveLength(157);
    expect(daily.size).toBe(122);
  });

  for (const k of [0.5, 1] as const) {
    it(`gives every day's value, 7-day baseline, CV and normal range (k = ${k}) as the definitions do`, () => {
      const t = clientTimeline(readings, [], { normalSdFactor: k });
      const expectedDates: string[] = [];
      for (let d = first; d <= last; d = addDays(d, 1)) expectedDates.push(d);
      expect(t.days.map((d) => d.date)).toEqual(expectedDates);

      let baselines = 0;
      let ranges = 0;
      for (const row of t.days) {
        expect(row.lnRmssd).toBe(daily.get(row.date) ?? null);
        const week = stats(row.date, 7);
        const sixty = stats(row.date, 60);
        expect(row.values7).toBe(week.n);
        expect(row.values60).toBe(sixty.n);
        if (week.n >= 3) {
          baselines++;
          expect(Math.abs((row.baseline7 as number) - week.mean), row.date).toBeLessThanOrEqual(1e-12);
          expect(Math.abs((row.cv7Pct as number) - (week.sd / week.mean) * 100), row.date).toBeLessThanOrEqual(1e-12);
        } else {
          expect(row.baseline7).toBeNull();
          expect(row.cv7Pct).toBeNull();
        }
        if (sixty.n >= 14) {
          ranges++;
          expect(Math.abs((row.normalLow as number) - (sixty.mean - k * sixty.sd)), row.date).toBeLessThanOrEqual(
            1e-12,
          );
          expect(Math.abs((row.normalHigh as number) - (sixty.mean + k * sixty.sd)), row.date).toBeLessThanOrEqual(
            1e-12,
          );
        } else {
          expect(row.normalLow).toBeNull();
          expect(row.normalHigh).toBeNull();
        }
      }
      // the data exercise both sides of each threshold
      expect(baselines).toBeGreaterThan(100);
      expect(baselines).toBeLessThan(t.days.length);
      expect(ranges).toBeGreaterThan(100);
      expect(ranges).toBeLessThan(t.days.length);
    });
  }
});
