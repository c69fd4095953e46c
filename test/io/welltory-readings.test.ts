/**
 * Welltory's research export read as readings: one reading per row of the person chosen, and for every reading with
 * no corrected beat our RMSSD equals the `rmssd` column Welltory printed (it computes RMSSD from the same RR with no
 * correction) to its 3 decimals. The expected values are Welltory's, read from the file with a separate CSV split.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReadingImportError, readingsFromText } from '../../src/io/reading-import.js';
import { RrFileError } from '../../src/io/rr-file.js';
import { parseWelltoryCsv, welltoryKind } from '../../src/io/welltory-csv.js';

const FILE = 'test/fixtures/readings/welltory-hrv-covid19/hrv_measurements.csv';
const text = readFileSync(FILE, 'utf8');

/** The file's rows by an independent reading: quoted fields, header names. */
function referenceRows(): Record<string, string>[] {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  const fields = (line: string): string[] => {
    const out: string[] = [];
    let i = 0;
    while (i < line.length) {
      if (line[i] === '"') {
        const end = line.indexOf('"', i + 1);
        out.push(line.slice(i + 1, end));
        i = end + 2;
      } else {
        const end = line.indexOf(',', i);
        out.push(end < 0 ? line.slice(i) : line.slice(i, end));
        i = end < 0 ? line.length : end + 1;
      }
    }
    return out;
  };
  const header = fields(lines[0] as string);
  return lines.slice(1).map((l) => {
    const f = fields(l);
    return Object.fromEntries(header.map((h, i) => [h, f[i] ?? '']));
  });
}

const USERS = ['a62c11c164', 'fcf3ea75b0', '6be5033971', 'fde84801d8', '01bad5a519'];

describe('Welltory readings', () => {
  const reference = referenceRows();

  it('reads every row of the file', () => {
    expect(parseWelltoryCsv(text, FILE)).toHaveLength(reference.length);
    expect(reference.length).toBe(2567);
  });

  for (const user of USERS) {
    it(`user ${user}: one reading per row, RMSSD equal to Welltory's where no beat was corrected`, () => {
      const rows = reference.filter((r) => r.user_code === user);
      const readings = readingsFromText({ name: FILE, text }, { user });
      expect(readings).toHaveLength(rows.length);
      let compared = 0;
      for (let i = 0; i < rows.length; i++) {
        const row = rows[i] as Record<string, string>;
        const reading = readings[i];
        expect(reading?.at).toBe(row.measurement_datetime?.replace(' ', 'T'));
        expect(Array.from(reading?.rrMs ?? [])).toEqual(row.rr_data?.split(',').map(Number));
        if (reading?.rmssdMs === null || reading?.correctedPct !== 0) continue;
        expect(reading.rmssdMs.toFixed(3), `row at ${row.measurement_datetime}`).toBe(row.rmssd);
        compared++;
      }
      // most readings of these people are clean enough to compare
      expect(compared).toBeGreaterThan(rows.length / 3);
    });
  }

  it('readings too short or too irregular are kept without a value, with the reason', () => {
    const readings = readingsFromText({ name: FILE, text }, { user: 'a62c11c164' });
    const without = readings.filter((r) => r.lnRmssd === null);
    for (const r of without) expect(r.reason).toMatch(/too (short|irregular|few)/);
    const irregular = readings.filter((r) => r.correctedPct > 5);
    for (const r of irregular) {
      expect(r.lnRmssd).toBeNull();
      expect(r.reason).toMatch(/too irregular/);
    }
  });

  it("a noisy person's readings (f9edcb7056: every one over 5 % corrected) are all kept without a value", () => {
    const readings = readingsFromText({ name: FILE, text }, { user: 'f9edcb7056' });
    expect(readings).toHaveLength(101);
    for (const r of readings) {
      expect(r.correctedPct).toBeGreaterThan(5);
      expect(r.lnRmssd).toBeNull();
      expect(r.reason).toMatch(/^too irregular: /);
    }
  });

  it('kinds: morning from time_of_day, before/after from the tags, tags kept', () => {
    expect(welltoryKind({ timeOfDay: 'morning', tags: 'After; Sleep' })).toBe('morning');
    expect(welltoryKind({ timeOfDay: 'evening', tags: 'Before; Sleep; After; Massage' })).toBe('before');
    expect(welltoryKind({ timeOfDay: 'day', tags: 'After; Massage; Day' })).toBe('after');
    expect(welltoryKind({ timeOfDay: 'day', tags: 'Massage; A little' })).toBe('other');
    const readings = readingsFromText({ name: FILE, text }, { user: 'fcf3ea75b0' });
    const massage = readings.filter((r) => /After; Massage/.test(r.tags));
    expect(massage.length).toBe(11);
    for (const r of massage) expect(['morning', 'before', 'after']).toContain(r.kind);
    expect(massage.some((r) => r.kind === 'after')).toBe(true);
  });

  it('a multi-person file without a user is an error listing the codes and their counts', () => {
    const err = (() => {
      try {
        readingsFromText({ name: FILE, text });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ReadingImportError);
    expect((err as ReadingImportError).code).toBe('IMPORT_USER_REQUIRED');
    expect((err as Error).message).toContain('a62c11c164 (405)');
    expect((err as Error).message).toContain('fcf3ea75b0 (157)');
  });

  it('an unknown user is an error', () => {
    expect(() => readingsFromText({ name: FILE, text }, { user: 'nobody' })).toThrow(/no readings of user nobody/);
  });

  it('a bad RR value names the file and line', () => {
    const lines = text.split('\n');
    const bad = [lines[0], lines[1]?.replace(/"rr_data"|"(\d+),/, '"x,')].join('\n');
    try {
      readingsFromText({ name: 'w.csv', text: bad }, { user: lines[1]?.slice(1, 11) });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(RrFileError);
      expect((e as Error).message).toMatch(/^w\.csv:2: /);
    }
  });
});

describe('RR files as readings', () => {
  const rr = Array.from({ length: 90 }, (_, i) => 800 + 40 * Math.sin(i / 3)).map((x) => x.toFixed(0));

  it('a file without its own time needs --at', () => {
    const file = { name: 'reading.txt', text: rr.join('\n') };
    expect(() => readingsFromText(file)).toThrow(ReadingImportError);
    expect(() => readingsFromText(file)).toThrow(/reading\.txt: .*--at/);
    const [reading] = readingsFromText(file, { at: '2026-11-23T07:30', kind: 'morning' });
    expect(reading?.at).toBe('2026-11-23T07:30:00');
    expect(reading?.kind).toBe('morning');
    expect(reading?.lnRmssd).not.toBeNull();
  });

  it('a file named with its time takes it from there', () => {
    const [reading] = readingsFromText({ name: '2017-07-19 07-50-42.txt', text: rr.join('\n') });
    expect(reading?.at).toBe('2017-07-19T07:50:42');
  });

  it('a reading under 50 s is kept without a value and says so', () => {
    const [reading] = readingsFromText({ name: 'r.txt', text: rr.slice(0, 40).join('\n') }, { at: '2026-01-01T07:00' });
    expect(reading?.lnRmssd).toBeNull();
    expect(reading?.reason).toMatch(/too short/);
  });

  it('a bad --at is refused', () => {
    expect(() => readingsFromText({ name: 'r.txt', text: rr.join('\n') }, { at: 'tomorrow' })).toThrow(
      /--at "tomorrow"/,
    );
  });
});
