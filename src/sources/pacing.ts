/**
 * Pacing for sources that are not a radio: events carry their own source time, and this releases them at `speed`
 * times real time, or as fast as the sinks take them (`'max'`). Pacing lives in the source; the pipeline runs on beat
 * time, so the numbers do not depend on the speed.
 */
import { Observable } from 'rxjs';
import type { SourceEvent } from '../domain/source.js';

export type Speed = number | 'max';

/** Wall-clock ms since the epoch with sub-millisecond resolution (Date.now() has whole ms): for latency figures. */
export function preciseNowMs(): number {
  return performance.timeOrigin + performance.now();
}

/** At `max` speed, events released per event-loop turn: big enough to be fast, small enough to let sockets drain. */
export const MAX_SPEED_EVENTS_PER_TURN = 512;

type Unstamped = SourceEvent extends infer E ? (E extends SourceEvent ? Omit<E, 'receivedAtMs'> : never) : never;

/**
 * A cold Observable over `pull()` (null = no more events). Each event gets `receivedAtMs` when it is released.
 * Completes after the last event; unsubscribing stops the timers.
 */
export function paced(
  pull: () => Unstamped | null,
  speed: Speed,
  now: () => number = preciseNowMs,
): Observable<SourceEvent> {
  // Infinity would release the whole source in one turn, past the per-turn share that `max` keeps to.
  if (speed !== 'max' && !(speed > 0 && Number.isFinite(speed))) {
    throw new RangeError(`speed must be a positive finite number or "max", got ${speed}`);
  }
  return new Observable<SourceEvent>((subscriber) => {
    let timeout: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let startWallMs = Number.NaN;
    let startSourceMs = Number.NaN;
    let next = pull();

    const step = () => {
      let released = 0;
      while (next !== null && !subscriber.closed) {
        if (Number.isNaN(startSourceMs)) {
          startSourceMs = next.sourceTimeMs;
          startWallMs = now();
        }
        if (speed === 'max') {
          if (released >= MAX_SPEED_EVENTS_PER_TURN) {
            immediate = setImmediate(step);
            return;
          }
        } else {
          const waitMs = startWallMs + (next.sourceTimeMs - startSourceMs) / speed - now();
          if (waitMs > 0) {
            timeout = setTimeout(step, waitMs);
            return;
          }
        }
        subscriber.next({ ...next, receivedAtMs: now() } as SourceEvent);
        released++;
        next = pull();
      }
      subscriber.complete();
    };
    immediate = setImmediate(step);
    return () => {
      clearTimeout(timeout);
      clearImmediate(immediate);
    };
  });
}
