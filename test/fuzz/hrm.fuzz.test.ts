/**
 * Hostile and broken Heart Rate Measurement (0x2A37) payloads, counted: the decoder, then the beat timeline behind it.
 *
 * Inputs are the real captures of test/fixtures/ble/hrm-vectors.json mutated (bits flipped, bytes set, inserted,
 * deleted, cut, appended, the flags byte replaced), payloads encoded from random fields (including RR 0 and 65535
 * ticks) and then mutated, and random bytes. The decoder is checked against the Bluetooth specification's layout,
 * written out below independently of src/domain/hrm.ts: every payload is either decoded field for field as the
 * specification lays it out, or refused with the documented code and a message naming the byte count or offset.
 */
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/domain/events.js';
import { decodeHeartRateMeasurement, encodeHeartRateMeasurement, isHrmError } from '../../src/domain/hrm.js';
import type { SourceEvent } from '../../src/domain/source.js';
import { BeatTimeline, MAX_AHEAD_S } from '../../src/pipeline/timeline.js';
import { fuzzSeed, reportReliability } from '../helpers/reliability.js';

const PARSER_RUNS = 20_000;
const STREAM_RUNS = 1_000;
const SEED = fuzzSeed(0x2a37);

interface Vector {
  hex: string;
}
const captures: Uint8Array[] = (
  JSON.parse(readFileSync(new URL('../fixtures/ble/hrm-vectors.json', import.meta.url), 'utf8')) as Vector[]
).map((v) => Uint8Array.from(v.hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16)));

// --- the specification's layout, independently of the decoder -----------------------------------------------------

type SpecResult =
  | { kind: 'refused'; code: 'HRM_EMPTY' | 'HRM_TRUNCATED' | 'HRM_ODD_RR_BYTES'; mentions: string }
  | { kind: 'decoded'; hrBpm: number | null; contact: string; energyKj: number | null; rrTicks: number[] };

/**
 * Bluetooth SIG Heart Rate Service, Heart Rate Measurement: flags, HR (uint8, or uint16 LE with flag bit 0), Energy
 * Expended (uint16, bit 3), then RR uint16 values to the end (bit 4). Contact status bits 1–2: bit 2 says the feature
 * is supported, bit 1 then says whether contact is detected. HR 0 means no value.
 */
function specLayout(p: Uint8Array): SpecResult {
  if (p.length === 0) return { kind: 'refused', code: 'HRM_EMPTY', mentions: 'empty' };
  const flags = p[0] as number;
  const u16 = (at: number) => (p[at] as number) + 256 * (p[at + 1] as number);
  const hrEnd = flags & 0x01 ? 3 : 2;
  if (p.length < hrEnd) return { kind: 'refused', code: 'HRM_TRUNCATED', mentions: `${p.length} bytes` };
  const hr = flags & 0x01 ? u16(1) : (p[1] as number);
  const energyEnd = flags & 0x08 ? hrEnd + 2 : hrEnd;
  if (p.length < energyEnd) return { kind: 'refused', code: 'HRM_TRUNCATED', mentions: `${p.length} bytes` };
  const rrTicks: number[] = [];
  if (flags & 0x10) {
    const rrBytes = p.length - energyEnd;
    if (rrBytes % 2 !== 0) {
      return { kind: 'refused', code: 'HRM_ODD_RR_BYTES', mentions: `${rrBytes} RR bytes after offset ${energyEnd}` };
    }
    for (let at = energyEnd; at < p.length; at += 2) rrTicks.push(u16(at));
  }
  const contact = flags & 0x04 ? (flags & 0x02 ? 'detected' : 'not-detected') : 'not-supported';
  return {
    kind: 'decoded',
    hrBpm: hr === 0 ? null : hr,
    contact,
    energyKj: flags & 0x08 ? u16(hrEnd) : null,
    rrTicks,
  };
}

// --- generators -------------------------------------------------------------------------------------------------

type Mutation = (p: Uint8Array) => Uint8Array;

const at = (p: Uint8Array, i: number) => (p.length === 0 ? 0 : i % p.length);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 7 })).map(
    ([i, bit]): Mutation =>
      (p) => {
        const q = p.slice();
        if (q.length > 0) q[at(q, i)] ^= 1 << bit;
        return q;
      },
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(
    ([i, v]): Mutation =>
      (p) => {
        const q = p.slice();
        if (q.length > 0) q[at(q, i)] = v;
        return q;
      },
  ),
  fc.nat().map(
    (n): Mutation =>
      (p) =>
        p.slice(0, p.length === 0 ? 0 : n % p.length),
  ),
  fc.uint8Array({ minLength: 1, maxLength: 7 }).map(
    (tail): Mutation =>
      (p) =>
        Uint8Array.from([...p, ...tail]),
  ),
  fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })).map(
    ([i, v]): Mutation =>
      (p) => {
        const k = p.length === 0 ? 0 : i % (p.length + 1);
        return Uint8Array.from([...p.subarray(0, k), v, ...p.subarray(k)]);
      },
  ),
  fc.nat().map(
    (i): Mutation =>
      (p) => {
        const k = at(p, i);
        return Uint8Array.from([...p.subarray(0, k), ...p.subarray(k + 1)]);
      },
  ),
  fc.integer({ min: 0, max: 255 }).map(
    (flags): Mutation =>
      (p) => {
        const q = p.length === 0 ? new Uint8Array(1) : p.slice();
        q[0] = flags;
        return q;
      },
  ),
);

const mutated = (base: fc.Arbitrary<Uint8Array>) =>
  fc.tuple(base, fc.array(mutation, { minLength: 0, maxLength: 4 })).map(([p, ms]) => ms.reduce((q, m) => m(q), p));

/** RR ticks as a strap may send them, hostile ones included: 0, 1, a 300 ms / 2 s swing, 65535 (64 s). */
const ticks = fc.oneof(
  fc.integer({ min: 0, max: 0xffff }),
  fc.constantFrom(0, 1, 307, 2048, 0xffff),
  fc.integer({ min: 600, max: 1100 }),
);

const encoded = fc
  .record({
    hrBpm: fc.integer({ min: 0, max: 0xffff }),
    rrTicks: fc.array(ticks, { maxLength: 9 }),
    contact: fc.constantFrom('not-supported', 'not-detected', 'detected' as const),
    energyKj: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
  })
  .map((m) => encodeHeartRateMeasurement(m));

const payload = fc.oneof(
  { weight: 4, arbitrary: mutated(fc.constantFrom(...captures)) },
  { weight: 3, arbitrary: mutated(encoded) },
  { weight: 2, arbitrary: fc.uint8Array({ maxLength: 40 }) },
);

// --- the decoder ------------------------------------------------------------------------------------------------

const parserCount = { inputs: 0, decoded: 0, refused: 0, crashes: 0 };
const streamCount = { streams: 0, notifications: 0, beats: 0, notPlaced: 0, gaps: 0, crashes: 0 };

describe('0x2A37 decoder under hostile payloads', () => {
  it(`decodes as the specification lays out, or refuses with a typed error (${PARSER_RUNS} inputs)`, () => {
    fc.assert(
      fc.property(payload, (p) => {
        parserCount.inputs++;
        let result: ReturnType<typeof decodeHeartRateMeasurement>;
        try {
          result = decodeHeartRateMeasurement(p);
        } catch (error) {
          parserCount.crashes++;
          throw error;
        }
        const spec = specLayout(p);
        if (spec.kind === 'refused') {
          expect(isHrmError(result) && result.error).toBe(spec.code);
          if (!isHrmError(result)) return;
          expect(result.message).toContain(spec.mentions);
          parserCount.refused++;
        } else {
          if (isHrmError(result)) throw new Error(`refused a well-formed payload: ${result.message}`);
          expect(result).toEqual({
            hrBpm: spec.hrBpm,
            contact: spec.contact,
            energyKj: spec.energyKj,
            rrTicks: spec.rrTicks,
          });
          parserCount.decoded++;
        }
      }),
      { numRuns: PARSER_RUNS, seed: SEED },
    );
    expect(parserCount.inputs).toBe(PARSER_RUNS);
    // The generators reach both outcomes in earnest, not one of them by accident.
    expect(parserCount.decoded).toBeGreaterThan(PARSER_RUNS / 5);
    expect(parserCount.refused).toBeGreaterThan(PARSER_RUNS / 10);
  });
});

// --- behind it: the beat timeline -------------------------------------------------------------------------------

/** A notification stream: arrival steps of 0–3 s (0 = a burst), with the odd disconnect. */
const stream = fc.array(
  fc.record({
    payload,
    stepMs: fc.oneof(fc.integer({ min: 0, max: 3000 }), fc.constant(0), fc.integer({ min: 700, max: 1100 })),
    disconnect: fc.integer({ min: 0, max: 29 }).map((n) => n === 0),
  }),
  { minLength: 1, maxLength: 60, size: 'max' },
);

describe('the beat timeline under hostile notification streams', () => {
  it(`never places a beat it cannot: finite, strictly increasing, not ahead of time (${STREAM_RUNS} streams)`, () => {
    fc.assert(
      fc.property(stream, (items) => {
        streamCount.streams++;
        const timeline = new BeatTimeline();
        const out: PipelineEvent[] = [];
        let arrivalMs = 0;
        const arrivals: number[] = [];
        try {
          for (const item of items) {
            arrivalMs += item.stepMs;
            const event: SourceEvent = {
              type: 'notification',
              sourceTimeMs: arrivalMs,
              receivedAtMs: arrivalMs,
              payload: item.payload,
            };
            timeline.accept(event, (e) => {
              out.push(e);
              arrivals.push(arrivalMs);
            });
            streamCount.notifications++;
            if (item.disconnect) {
              const status: SourceEvent = {
                type: 'status',
                sourceTimeMs: arrivalMs,
                receivedAtMs: arrivalMs,
                status: { state: 'disconnected', reason: 'link lost' },
              };
              timeline.accept(status, (e) => {
                out.push(e);
                arrivals.push(arrivalMs);
              });
            }
          }
        } catch (error) {
          streamCount.crashes++;
          throw error;
        }
        checkTimeline(out, arrivals);
      }),
      { numRuns: STREAM_RUNS, seed: SEED + 1 },
    );
    expect(streamCount.streams).toBe(STREAM_RUNS);
    expect(streamCount.notPlaced).toBeGreaterThan(0);
    expect(streamCount.gaps).toBeGreaterThan(0);
  });
});

/**
 * What the timeline emitted for one stream: each sample is followed by the beats it placed. A sample's beats are its
 * RR values in order, all of them, except values that are not intervals (0 ticks) — and then the sample says why.
 * Beat times are finite and strictly increasing and seq counts up from 0. Within a run (from a beat after a gap to the
 * next gap), no notification's beats end more than MAX_AHEAD_S further ahead of its arrival than the beats of the
 * notification that opened the run: a strap that sends more RR than time passes gets its run ended, not followed.
 */
function checkTimeline(out: readonly PipelineEvent[], arrivals: readonly number[]): void {
  let seq = 0;
  let lastTS = Number.NEGATIVE_INFINITY;
  let anchorLagS = Number.NaN;
  for (let i = 0; i < out.length; i++) {
    const e = out[i] as PipelineEvent;
    if (e.type === 'gap') {
      streamCount.gaps++;
      check(e.toS >= e.fromS && e.reason.length > 0, `gap ${e.fromS}–${e.toS} (${e.reason})`);
    }
    if (e.type !== 'sample') continue;
    const placed: number[] = [];
    let opensRun = false;
    for (let j = i + 1; j < out.length; j++) {
      const next = out[j] as PipelineEvent;
      if (next.type === 'sample' || next.type === 'status') break;
      if (next.type !== 'beat') continue;
      if (placed.length === 0) opensRun = next.gapBefore || next.seq === 0;
      else check(!next.gapBefore, `beat ${next.seq}: a gap inside one notification`);
      placed.push(next.rrMs);
      check(next.seq === seq++, `beat ${next.seq}: expected seq ${seq - 1}`);
      check(Number.isFinite(next.tS) && next.tS > lastTS, `beat ${next.seq}: t ${next.tS} s after ${lastTS} s`);
      check(next.rrMs > 0, `beat ${next.seq}: RR ${next.rrMs} ms`);
      lastTS = next.tS;
    }
    const intervals = e.rrMs.filter((rr) => rr > 0);
    check(placed.join() === intervals.join(), `placed [${placed}] of [${e.rrMs}]`);
    if (intervals.length < e.rrMs.length) {
      streamCount.notPlaced += e.rrMs.length - intervals.length;
      check(/not an interval/.test(e.error ?? ''), `sample [${e.rrMs}] without why: ${e.error}`);
    }
    if (e.payload !== null) {
      const decoded = decodeHeartRateMeasurement(e.payload);
      if (isHrmError(decoded)) check(e.error === decoded.message, `sample error ${e.error}`);
    }
    streamCount.beats += placed.length;
    if (placed.length === 0) continue;
    // Arrival and beat time share their origin up to a constant, which cancels in the difference of two lags.
    const lagS = (arrivals[i] as number) / 1000 - lastTS;
    if (opensRun) anchorLagS = lagS;
    else check(lagS >= anchorLagS - MAX_AHEAD_S - 1e-9, `beats ${anchorLagS - lagS} s ahead within one run`);
  }
}

/** A failed check throws at once: tens of thousands of beats per run, so no matcher per beat. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

afterAll(() => {
  if (parserCount.inputs === PARSER_RUNS) {
    reportReliability('fuzz.hrm-parser', {
      line: `fuzz: 0x2A37 parser — ${parserCount.inputs} inputs (${parserCount.decoded} decoded, ${parserCount.refused} refused with a typed error), ${parserCount.crashes} crashes (seed ${SEED})`,
      command: 'npx vitest run test/fuzz/hrm.fuzz.test.ts',
      figures: { ...parserCount, seed: SEED },
    });
  }
  if (streamCount.streams === STREAM_RUNS) {
    reportReliability('fuzz.hrm-timeline', {
      line: `fuzz: 0x2A37 streams through the beat timeline — ${streamCount.streams} streams, ${streamCount.notifications} notifications, ${streamCount.beats} beats placed, ${streamCount.notPlaced} RR values refused as not an interval, ${streamCount.gaps} gaps, ${streamCount.crashes} crashes (seed ${SEED + 1})`,
      command: 'npx vitest run test/fuzz/hrm.fuzz.test.ts',
      figures: { ...streamCount, seed: SEED + 1 },
    });
  }
});
