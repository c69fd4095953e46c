import { map } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import type { BeatEvent, PipelineEvent } from '../../src/domain/events.js';
import { encodeHeartRateMeasurement } from '../../src/domain/hrm.js';
import type { SourceEvent } from '../../src/domain/source.js';
import { toBeatTimeline } from '../../src/pipeline/timeline.js';

/** A notification arriving at `atMs` (marble frame time) carrying RR values given in 1/1024 s ticks. */
const note = (atMs: number, ...rrTicks: number[]): SourceEvent => ({
  type: 'notification',
  sourceTimeMs: atMs,
  receivedAtMs: atMs,
  payload: encodeHeartRateMeasurement({ hrBpm: 60, rrTicks }),
});
const status = (atMs: number, state: 'disconnected' | 'live'): SourceEvent => ({
  type: 'status',
  sourceTimeMs: atMs,
  receivedAtMs: atMs,
  status: { state, reason: state === 'disconnected' ? 'link lost' : undefined },
});

/** Compact view of the timeline's output: beats as `seq@tS` (ms, rounded to 0.1 ms), gaps as `gap(from-to)`. */
function compact(e: PipelineEvent): string {
  if (e.type === 'beat') return `${e.seq}@${Math.round(e.tS * 10_000) / 10}${e.gapBefore ? '!' : ''}`;
  if (e.type === 'gap') return `gap(${Math.round(e.fromS * 1000)}-${Math.round(e.toS * 1000)})`;
  return e.type;
}

function run(marble: string, values: Record<string, SourceEvent>, expected: string, out: Record<string, string>) {
  const scheduler = new TestScheduler((actual, wanted) => expect(actual).toEqual(wanted));
  scheduler.run(({ cold, expectObservable }) => {
    const source = cold(marble, values);
    expectObservable(source.pipe(toBeatTimeline(), map(compact)), undefined).toBe(expected, out);
  });
}

describe('beat timeline (marble tests)', () => {
  it('places beats by cumulative RR, anchored at the first arrival, whatever the delivery pattern', () => {
    // 1024 ticks = exactly 1000 ms. Frame times are ms on the source clock; beat time starts where the first beat
    // began (1 s before the first notification arrived), so the first beat ends at 1 s.
    const a = note(0, 1024);
    const b = note(1000, 1024);
    const c = note(2000); // no RR this second
    const d = note(3000, 1024, 1024); // two at once
    run('a 999ms b 999ms c 999ms d', { a, b, c, d }, '(sw) 996ms (sx) 996ms s 999ms (syz)', {
      s: 'sample',
      w: '0@1000',
      x: '1@2000',
      y: '2@3000',
      z: '3@4000',
    });
  });

  it('late RR and bursts do not move beat times', () => {
    // Beats every 1000 ms; the second and third arrive 2.5 s late, together with the fourth (a burst).
    const a = note(0, 1024);
    const burst = note(3500, 1024, 1024, 1024);
    run('a 3499ms b', { a, b: burst }, '(sw) 3496ms (sxyz)', {
      s: 'sample',
      w: '0@1000',
      x: '1@2000',
      y: '2@3000',
      z: '3@4000',
    });
  });

  it('a disconnect ends the run: a gap event, then the next beat re-anchored to its arrival', () => {
    const a = note(0, 1024);
    const off = status(1000, 'disconnected');
    const on = status(9000, 'live');
    const b = note(10_000, 512);
    run('a 999ms d 7999ms l 999ms b', { a, d: off, l: on, b }, '(sw) 996ms t 7999ms t 999ms (sgx)', {
      s: 'sample',
      t: 'status',
      w: '0@1000',
      g: 'gap(1000-10500)',
      x: '1@11000!',
    });
  });

  it('beats missing from a stream that keeps notifying make a gap (lost contact)', () => {
    const values: Record<string, SourceEvent> = {
      a: note(0, 1024),
      b: note(1000, 1024),
      // 5 s of notifications without RR: contact lost
      c: note(7000, 1024),
    };
    run('a 999ms b 5999ms c', values, '(sw) 996ms (sx) 5996ms (sgy)', {
      s: 'sample',
      w: '0@1000',
      x: '1@2000',
      g: 'gap(2000-7000)',
      y: '2@8000!',
    });
  });

  it('keeps a malformed notification as a sample with its error and goes on', () => {
    const bad: SourceEvent = {
      type: 'notification',
      sourceTimeMs: 0,
      receivedAtMs: 0,
      payload: Uint8Array.of(0x10, 60, 1),
    };
    const events: PipelineEvent[] = [];
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold }) => {
      cold('ab', { a: bad, b: note(1, 1024) })
        .pipe(toBeatTimeline())
        .subscribe((e) => events.push(e));
    });
    const sample = events[0];
    expect(sample.type === 'sample' && sample.error).toMatch(/RR values are 2 bytes/);
    expect(events.filter((e): e is BeatEvent => e.type === 'beat').map((e) => e.seq)).toEqual([0]);
  });
});

describe('beat timeline origin', () => {
  it('never gives a negative beat time when the first notification carries several beats', () => {
    const events: PipelineEvent[] = [];
    const scheduler = new TestScheduler((a, b) => expect(a).toEqual(b));
    scheduler.run(({ cold }) => {
      cold('a 999ms b', { a: note(0, 1024, 1024), b: note(1000, 1024) })
        .pipe(toBeatTimeline())
        .subscribe((e) => events.push(e));
    });
    const beats = events.filter((e): e is BeatEvent => e.type === 'beat');
    expect(beats.map((b) => b.tS)).toEqual([1, 2, 3]);
  });
});
