/**
 * Pacing on a fake clock (vitest's fake timers, and the same clock passed as `now`): events leave at `speed` × real
 * time by their own source time, `max` gives the sinks a fixed share per turn, each event is stamped as it leaves.
 */
import type { Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { SourceEvent } from '../../src/domain/source.js';
import { MAX_SPEED_EVENTS_PER_TURN, paced } from '../../src/sources/pacing.js';

/** 2024-05-01T10:00:00Z, ms: the fake wall clock at the start of each test */
const START_MS = Date.UTC(2024, 4, 1, 10);

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'Date'], now: START_MS });
});
afterEach(() => {
  vi.useRealTimers();
});

/** Fake wall clock, ms since the epoch. */
const clock = () => Date.now();

/** RR samples at the given source times, pulled one by one; counts the pulls. */
function samples(sourceTimesMs: readonly number[]) {
  let i = 0;
  const source = {
    pulls: 0,
    pull: () => {
      source.pulls++;
      if (i >= sourceTimesMs.length) return null;
      const sourceTimeMs = sourceTimesMs[i++];
      return { type: 'rr' as const, sourceTimeMs, rrMs: [800] };
    },
  };
  return source;
}

/** Subscribes and records every event with the fake time it arrived at (ms after the subscription), and the end. */
function watch(source: ReturnType<typeof paced>) {
  const arrivals: { event: SourceEvent; atMs: number }[] = [];
  const seen = { completedAtMs: Number.NaN, error: null as unknown };
  const subscription: Subscription = source.subscribe({
    next: (event) => arrivals.push({ event, atMs: Date.now() - START_MS }),
    complete: () => {
      seen.completedAtMs = Date.now() - START_MS;
    },
    error: (err) => {
      seen.error = err;
    },
  });
  return { arrivals, seen, subscription };
}

describe('paced at a speed', () => {
  // Source times with a first event that is not at 0, two at once, and a long pause.
  const SOURCE_TIMES_MS = [2000, 2800, 3600, 3600, 4400, 12_400, 13_200];

  it.each([1, 2, 0.5, 4, 20])('at %s× releases each event (source time − first) / speed after the start', (speed) => {
    const { arrivals, seen } = watch(paced(samples(SOURCE_TIMES_MS).pull, speed, clock));
    vi.runAllTimers();
    // Independently of the code: the definition of playback at `speed` × real time, anchored at the first event.
    const expected = SOURCE_TIMES_MS.map((t) => (t - SOURCE_TIMES_MS[0]) / speed);
    expect(arrivals.map((a) => a.atMs)).toEqual(expected);
    expect(arrivals.map((a) => a.event.sourceTimeMs)).toEqual(SOURCE_TIMES_MS);
    // Stamped when released, on the wall clock: not the source time.
    expect(arrivals.map((a) => a.event.receivedAtMs)).toEqual(expected.map((t) => START_MS + t));
    // Completes with the last event, not a step later.
    expect(seen.completedAtMs).toBe(expected.at(-1));
    expect(seen.error).toBeNull();
  });

  it('releases nothing before its time', () => {
    const { arrivals } = watch(paced(samples([0, 1000, 2000]).pull, 2, clock));
    expect(arrivals).toHaveLength(0); // cold until the next turn
    vi.advanceTimersByTime(0);
    expect(arrivals).toHaveLength(1);
    vi.advanceTimersByTime(499);
    expect(arrivals).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(arrivals).toHaveLength(2);
    vi.advanceTimersByTime(499);
    expect(arrivals).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(arrivals).toHaveLength(3);
  });

  it('keeps to the schedule after a stall: what fell due is released at once, the rest on time', () => {
    // A clock that jumps 2.5 s ahead after the second event, as when the process was busy elsewhere.
    let stallMs = 0;
    const now = () => Date.now() + stallMs;
    const source = paced(samples([0, 1000, 2000, 3000, 4000, 5000]).pull, 1, now);
    const released: { sourceTimeMs: number; receivedAtMs: number }[] = [];
    source.subscribe((e) => {
      released.push({ sourceTimeMs: e.sourceTimeMs, receivedAtMs: e.receivedAtMs });
      if (released.length === 2) stallMs = 2500;
    });
    vi.runAllTimers();
    // Due at start + source time: 2000 and 3000 fell due during the stall (at 1000 + 2500 = 3500 on the clock).
    expect(released).toEqual([
      { sourceTimeMs: 0, receivedAtMs: START_MS },
      { sourceTimeMs: 1000, receivedAtMs: START_MS + 1000 },
      { sourceTimeMs: 2000, receivedAtMs: START_MS + 3500 },
      { sourceTimeMs: 3000, receivedAtMs: START_MS + 3500 },
      { sourceTimeMs: 4000, receivedAtMs: START_MS + 4000 },
      { sourceTimeMs: 5000, receivedAtMs: START_MS + 5000 },
    ]);
  });

  it.each([0, -1, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])(
    'refuses a speed of %s with a RangeError naming it, before anything is pulled',
    (speed) => {
      const source = samples([0, 1000]);
      expect(() => paced(source.pull, speed, clock)).toThrow(RangeError);
      expect(() => paced(source.pull, speed, clock)).toThrow(
        `speed must be a positive finite number or "max", got ${speed}`,
      );
      expect(source.pulls).toBe(0);
    },
  );

  it('stops its timer and pulls no more once unsubscribed', () => {
    const source = samples([0, 1000, 2000, 3000]);
    const { arrivals, seen, subscription } = watch(paced(source.pull, 1, clock));
    vi.advanceTimersByTime(1500);
    expect(arrivals).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(1); // the timeout for the event at 2000
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    const pulls = source.pulls;
    vi.advanceTimersByTime(10_000);
    expect(arrivals).toHaveLength(2);
    expect(source.pulls).toBe(pulls);
    expect(seen.completedAtMs).toBeNaN();
  });

  it('an empty source completes on the first turn without an event', () => {
    const { arrivals, seen } = watch(paced(samples([]).pull, 1, clock));
    expect(seen.completedAtMs).toBeNaN();
    vi.advanceTimersByTime(0);
    expect(arrivals).toEqual([]);
    expect(seen.completedAtMs).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('starts on subscription, not on creation: nothing is pulled before, the schedule is anchored there', () => {
    const source = samples([0, 500]);
    const events = paced(source.pull, 1, clock);
    vi.advanceTimersByTime(300);
    expect(source.pulls).toBe(0);
    const { arrivals } = watch(events);
    vi.runAllTimers();
    expect(arrivals.map((x) => x.atMs)).toEqual([300, 800]);
  });
});

describe('paced at max speed', () => {
  const COUNT = 3 * MAX_SPEED_EVENTS_PER_TURN + 100;
  const times = Array.from({ length: COUNT }, (_, i) => i * 1000);

  it(`releases ${MAX_SPEED_EVENTS_PER_TURN} events per event-loop turn, whatever their source times, then completes`, () => {
    const { arrivals, seen } = watch(paced(samples(times).pull, 'max', clock));
    const perTurn: number[] = [];
    let before = 0;
    expect(arrivals).toHaveLength(0);
    while (Number.isNaN(seen.completedAtMs)) {
      vi.advanceTimersToNextTimer(); // one turn: one immediate
      perTurn.push(arrivals.length - before);
      before = arrivals.length;
    }
    expect(perTurn).toEqual([
      MAX_SPEED_EVENTS_PER_TURN,
      MAX_SPEED_EVENTS_PER_TURN,
      MAX_SPEED_EVENTS_PER_TURN,
      COUNT - 3 * MAX_SPEED_EVENTS_PER_TURN,
    ]);
    expect(arrivals.map((a) => a.event.sourceTimeMs)).toEqual(times);
    // Source times play no part: each event is stamped with the wall clock of the turn that released it.
    expect(arrivals.map((a) => a.event.receivedAtMs)).toEqual(arrivals.map((a) => START_MS + a.atMs));
    expect(seen.completedAtMs).toBe(arrivals.at(-1)?.atMs);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('stamps each event with `now` at its release', () => {
    let ticks = 0;
    const counter = () => START_MS + ticks++ / 4;
    const { arrivals } = watch(paced(samples([0, 0, 5000]).pull, 'max', counter));
    vi.runAllTimers();
    // One reading of `now` for the anchor, then one per release.
    expect(arrivals.map((a) => a.event.receivedAtMs)).toEqual([START_MS + 0.25, START_MS + 0.5, START_MS + 0.75]);
  });

  it('stops between turns once unsubscribed', () => {
    const source = samples(times);
    const { arrivals, seen, subscription } = watch(paced(source.pull, 'max', clock));
    vi.advanceTimersToNextTimer();
    expect(arrivals).toHaveLength(MAX_SPEED_EVENTS_PER_TURN);
    expect(vi.getTimerCount()).toBe(1); // the next turn's immediate
    subscription.unsubscribe();
    expect(vi.getTimerCount()).toBe(0);
    const pulls = source.pulls;
    vi.runAllTimers();
    expect(arrivals).toHaveLength(MAX_SPEED_EVENTS_PER_TURN);
    expect(source.pulls).toBe(pulls);
    expect(seen.completedAtMs).toBeNaN();
  });

  it('stops within a turn when the subscriber unsubscribes from its callback', () => {
    const source = samples(times);
    const received: number[] = [];
    const subscription = paced(source.pull, 'max', clock).subscribe((e) => {
      received.push(e.sourceTimeMs);
      if (received.length === 10) subscription.unsubscribe();
    });
    vi.runAllTimers();
    expect(received).toEqual(times.slice(0, 10));
    expect(vi.getTimerCount()).toBe(0);
  });
});
