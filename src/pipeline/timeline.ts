/**
 * Samples → the beat timeline.
 *
 * Beat times come from cumulative RR within a contiguous run, never from arrival times: notifications arrive about
 * once per second with 0–3 RR values, often late and sometimes in bursts, so arrival time is not beat time. Arrival
 * time is used only to anchor a run (its first notification's last RR ends at the arrival time) and to notice that
 * beats are missing: when arrival runs ahead of the summed RR by more than `MAX_LAG_EXCESS_S` beyond the smallest lag
 * seen in the run, beats were lost (poor contact, a dropped link) — a gap — and the next beat starts a new run,
 * re-anchored to its arrival. A disconnect reported by the source ends the run too.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { decodeHeartRateMeasurement, isHrmError } from '../ble/hrm.js';
import { ticksToMs } from '../hrv/units.js';
import type { SourceEvent } from '../sources/source.js';
import type { BeatEvent, GapEvent, PipelineEvent, SampleEvent, StatusChangeEvent } from './events.js';

/** Beats missing from the stream for longer than this (beyond the run's usual delivery lag) make a gap, s. */
export const MAX_LAG_EXCESS_S = 3;

/** A pure state machine; `toBeatTimeline()` wraps it as an RxJS operator. */
export class BeatTimeline {
  private seq = 0;
  /** end time of the last beat of the current run, s; NaN when no run is open */
  private lastEndS = Number.NaN;
  /** the smallest (arrival − beat end) seen in the current run, s */
  private minLagS = Number.POSITIVE_INFINITY;
  /** source time of the session's first event, ms: beat time 0 */
  private originMs = Number.NaN;
  /** set when a run ended: the next beat opens a new run after a gap with this reason */
  private pendingGapReason: string | null = null;
  /** end of the last beat before the pending gap, s */
  private gapFromS = 0;

  /** Feeds one source event; calls `emit` for each pipeline event it yields, in order. */
  accept(event: SourceEvent, emit: (e: PipelineEvent) => void): void {
    if (Number.isNaN(this.originMs)) this.originMs = event.sourceTimeMs;
    const arrivalS = (event.sourceTimeMs - this.originMs) / 1000;

    if (event.type === 'status') {
      const status: StatusChangeEvent = {
        type: 'status',
        status: event.status,
        sourceTimeMs: event.sourceTimeMs,
        receivedAtMs: event.receivedAtMs,
      };
      emit(status);
      if (event.status.state === 'disconnected' || event.status.state === 'ended') this.endRun(event.status.reason);
      return;
    }

    let rrMs: number[];
    let error: string | null = null;
    let gapMarked = false;
    if (event.type === 'notification') {
      const m = decodeHeartRateMeasurement(event.payload);
      if (isHrmError(m)) {
        error = m.message;
        rrMs = [];
      } else {
        rrMs = m.rrTicks.map(ticksToMs);
      }
    } else {
      rrMs = [...event.rrMs];
      gapMarked = event.gapBefore === true;
    }
    const sample: SampleEvent = {
      type: 'sample',
      sourceTimeMs: event.sourceTimeMs,
      receivedAtMs: event.receivedAtMs,
      payload: event.type === 'notification' ? event.payload : null,
      rrMs,
      error,
    };
    emit(sample);
    if (gapMarked) this.endRun('gap in the recording');

    let sumS = 0;
    for (const rr of rrMs) sumS += rr / 1000;
    if (!Number.isNaN(this.lastEndS)) {
      const lagS = arrivalS - (this.lastEndS + sumS);
      if (lagS - this.minLagS > MAX_LAG_EXCESS_S) {
        this.endRun(`no beats for ${(lagS - this.minLagS).toFixed(1)} s (lost contact or missed beats)`);
      } else if (rrMs.length > 0) {
        this.minLagS = Math.min(this.minLagS, lagS);
      }
    }
    if (rrMs.length === 0) return;

    let gapBefore = false;
    if (Number.isNaN(this.lastEndS)) {
      // Open a run: the last RR of this notification ends at its arrival time.
      let startS = arrivalS - sumS;
      if (this.seq === 0 && startS < 0) {
        // The session's first beats began before its first event: move the origin so beat time never goes negative.
        this.originMs += startS * 1000;
        startS = 0;
      }
      if (this.pendingGapReason !== null) {
        const gap: GapEvent = {
          type: 'gap',
          fromS: this.gapFromS,
          toS: startS,
          reason: this.pendingGapReason,
          receivedAtMs: event.receivedAtMs,
        };
        emit(gap);
        gapBefore = true;
        this.pendingGapReason = null;
      }
      this.lastEndS = startS;
      this.minLagS = 0;
    }
    for (const rr of rrMs) {
      this.lastEndS += rr / 1000;
      const beat: BeatEvent = {
        type: 'beat',
        seq: this.seq++,
        tS: this.lastEndS,
        rrMs: rr,
        gapBefore,
        receivedAtMs: event.receivedAtMs,
      };
      emit(beat);
      gapBefore = false;
    }
  }

  private endRun(reason: string | undefined): void {
    if (Number.isNaN(this.lastEndS)) return;
    this.gapFromS = this.lastEndS;
    this.pendingGapReason = reason ?? 'disconnected';
    this.lastEndS = Number.NaN;
    this.minLagS = Number.POSITIVE_INFINITY;
  }
}

/** Source events → samples, beats on beat time, gaps and status changes. */
export function toBeatTimeline(): OperatorFunction<SourceEvent, PipelineEvent> {
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const timeline = new BeatTimeline();
      const emit = (e: PipelineEvent) => subscriber.next(e);
      return source.subscribe({
        next: (event) => timeline.accept(event, emit),
        error: (err) => subscriber.error(err),
        complete: () => subscriber.complete(),
      });
    });
}
