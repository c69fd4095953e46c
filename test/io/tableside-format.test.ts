import { describe, expect, it } from 'vitest';
import { BeatFlag } from '../../src/hrv/types.js';
import { parseRrText, RrFileError } from '../../src/io/rr-file.js';
import {
  formatTablesideBeats,
  parseTablesideBeats,
  TABLESIDE_BEAT_FLAG,
  TABLESIDE_BEATS_HEADER,
  TABLESIDE_BEATS_SIGNATURE,
  type TablesideBeat,
} from '../../src/io/tableside-format.js';

const beats: TablesideBeat[] = [
  { seq: 0, tS: 1.114, rrMs: 1114, flags: 0 },
  { seq: 1, tS: 2.227, rrMs: 1113, flags: TABLESIDE_BEAT_FLAG.Corrected },
  { seq: 2, tS: 9.5, rrMs: 1066.25, flags: TABLESIDE_BEAT_FLAG.GapBefore },
];

function errorOf(fn: () => unknown): RrFileError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RrFileError) return error;
    throw error;
  }
  throw new Error('expected an RrFileError');
}

describe('tableside beats v1', () => {
  it('pins the on-disk text', () => {
    expect(TABLESIDE_BEATS_SIGNATURE).toBe('# tableside beats v1');
    expect(TABLESIDE_BEATS_HEADER).toBe('seq,t_s,rr_ms,flags');
    expect(formatTablesideBeats(beats, { startedAt: '2024-05-05T16:50:00.436' })).toBe(
      '# tableside beats v1\n# startedAt: 2024-05-05T16:50:00.436\nseq,t_s,rr_ms,flags\n' +
        '0,1.114,1114,0\n1,2.227,1113,2\n2,9.5,1066.25,1\n',
    );
  });

  it('stores the same flag bits as the engine', () => {
    expect(TABLESIDE_BEAT_FLAG).toEqual(BeatFlag);
  });

  it('reads back beats and meta', () => {
    const text = formatTablesideBeats(beats, { startedAt: '2024-05-05T16:50:00.436', source: 'H10 A40F6F28' });
    expect(parseTablesideBeats(text, 'b.csv')).toEqual({
      beats,
      meta: { startedAt: '2024-05-05T16:50:00.436', source: 'H10 A40F6F28' },
    });
    const rec = parseRrText(text, 'b.csv');
    expect(rec.gapBefore).toEqual([false, false, true]);
    expect(rec.meta['tableside.source']).toBe('H10 A40F6F28');
  });

  it('maps columns by header name', () => {
    const text = '# tableside beats v1\nrr_ms,flags,seq,t_s\n812,0,0,0.812\n790,1,1,5\n';
    expect(parseTablesideBeats(text, 'b.csv').beats[1]).toEqual({ seq: 1, tS: 5, rrMs: 790, flags: 1 });
  });

  it.each([
    ['seq skips', '0,0.8,800,0\n2,1.6,800,0\n', 4],
    ['seq not an integer', '0,0.8,800,0\n1.5,1.6,800,0\n', 4],
    ['t_s goes back', '0,0.8,800,0\n1,0.8,800,0\n', 4],
    ['rr_ms zero', '0,0.8,0,0\n', 3],
    ['rr_ms text', '0,0.8,x,0\n', 3],
    ['unknown flag bit', '0,0.8,800,4\n', 3],
    ['missing field', '0,0.8,800\n', 3],
  ])('refuses a row where %s', (_label, rows, line) => {
    const text = `${TABLESIDE_BEATS_SIGNATURE}\n${TABLESIDE_BEATS_HEADER}\n${rows}`;
    const error = errorOf(() => parseRrText(text, 'b.csv'));
    expect(error.code).toBe('RR_FILE_BAD_VALUE');
    expect(error.line).toBe(line);
  });

  it('refuses a later version with a clear code', () => {
    const error = errorOf(() => parseRrText('# tableside beats v2\nseq,t_s,rr_ms,flags,x\n', 'b.csv'));
    expect(error.code).toBe('RR_FILE_UNSUPPORTED');
    expect(error.line).toBe(1);
  });

  it('the writer refuses what the reader would refuse', () => {
    expect(() => formatTablesideBeats([{ seq: 0, tS: 1, rrMs: -1, flags: 0 }])).toThrow(RangeError);
    expect(() => formatTablesideBeats([beats[0] as TablesideBeat, beats[0] as TablesideBeat])).toThrow(RangeError);
    expect(() => formatTablesideBeats([], { 'bad key': 'x' })).toThrow(RangeError);
    expect(() => formatTablesideBeats([], { note: 'two\nlines' })).toThrow(RangeError);
  });
});
