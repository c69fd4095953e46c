import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeHeartRateMeasurement, encodeHeartRateMeasurement, isHrmError } from '../../src/domain/hrm.js';
import { ticksToMs } from '../../src/hrv/units.js';

interface Vector {
  hex: string;
  expected: { hrBpm: number; contact: string; energyKj: number | null; rrRaw1024: number[]; rrMs: number[] };
  device: string;
}
const vectors: Vector[] = JSON.parse(
  readFileSync(new URL('../fixtures/ble/hrm-vectors.json', import.meta.url), 'utf8'),
);
const bytes = (hex: string) =>
  Uint8Array.from(hex.replace(/\s+/g, '').match(/../g) ?? [], (h) => Number.parseInt(h, 16));

describe('0x2A37 decoder on real captures (hrm-vectors.json)', () => {
  it('has the captures', () => expect(vectors.length).toBeGreaterThanOrEqual(19));
  for (const v of vectors) {
    it(`${v.hex} (${v.device})`, () => {
      const m = decodeHeartRateMeasurement(bytes(v.hex));
      if (isHrmError(m)) throw new Error(m.message);
      expect(m.hrBpm).toBe(v.expected.hrBpm);
      expect(m.contact).toBe(v.expected.contact);
      expect(m.energyKj).toBe(v.expected.energyKj);
      expect(m.rrTicks).toEqual(v.expected.rrRaw1024);
      expect(m.rrTicks.map(ticksToMs)).toEqual(v.expected.rrMs);
    });
  }
});

describe('0x2A37 decoder on the specification edge cases', () => {
  const cases: [
    string,
    Partial<{ hrBpm: number | null; contact: string; energyKj: number | null; rrTicks: number[] }>,
  ][] = [
    ['00 FF', { hrBpm: 255, rrTicks: [] }],
    ['01 80 80', { hrBpm: 32896 }],
    ['06 00', { contact: 'detected', hrBpm: null }],
    ['04 00', { contact: 'not-detected' }],
    ['02 00', { contact: 'not-supported' }],
    ['09 00 00 FF FF', { hrBpm: null, energyKj: 65535 }],
    ['08 00 7F 80', { energyKj: 32895 }],
    ['10 00 FF FF', { rrTicks: [65535] }],
    ['11 00 00 FF FF 7F 80', { rrTicks: [65535, 32895] }],
    ['11 00 00 00 00', { rrTicks: [0] }],
    ['10 28', { hrBpm: 40, rrTicks: [] }],
    ['1E 40 10 00 20 03', { contact: 'detected', energyKj: 16, rrTicks: [800] }],
    ['F0 40 00 04', { hrBpm: 64, rrTicks: [1024] }],
  ];
  for (const [hex, expected] of cases) {
    it(hex, () => {
      const m = decodeHeartRateMeasurement(bytes(hex));
      if (isHrmError(m)) throw new Error(m.message);
      expect(m).toMatchObject(expected);
    });
  }

  it.each([
    ['', 'HRM_EMPTY'],
    ['01 40', 'HRM_TRUNCATED'],
    ['08 40 01', 'HRM_TRUNCATED'],
    ['10 40 20', 'HRM_ODD_RR_BYTES'],
    ['10 40 20 03 01', 'HRM_ODD_RR_BYTES'],
  ])('%s is refused with %s', (hex, code) => {
    const m = decodeHeartRateMeasurement(bytes(hex));
    expect(isHrmError(m) && m.error).toBe(code);
  });
});

// Hostile and random payloads, counted, against the specification's layout: test/fuzz/hrm.fuzz.test.ts.
describe('0x2A37 properties', () => {
  it('encode → decode round-trips every field', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 0xffff }),
        fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }),
        fc.constantFrom('not-supported', 'not-detected', 'detected' as const),
        fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
        (hrBpm, rrTicks, contact, energyKj) => {
          const m = decodeHeartRateMeasurement(encodeHeartRateMeasurement({ hrBpm, rrTicks, contact, energyKj }));
          if (isHrmError(m)) throw new Error(m.message);
          expect(m).toEqual({ hrBpm, contact, energyKj: energyKj ?? null, rrTicks });
        },
      ),
    );
  });
});
