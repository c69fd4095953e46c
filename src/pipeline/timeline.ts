/**
 * Samples → the beat timeline.
 *
 * Beat times come from cumulative RR within a contiguous run, never from arrival times: notifications arrive about
 * once per second with 0–3 RR values, often late and sometimes in bursts, so arrival time is not beat time. Arrival
 * time is used only to anchor a run (its first notification's last RR ends at the arrival time) and to notice that
 * beats are missing: when arrival runs ahead of the summed RR by more than `MAX_LAG_EXCESS_S` beyond the smallest lag
 * seen in the run, beats were lost (poor contact, a dropped link) — a gap — and the next beat starts a new run,
 * re-anchored to its arrival. A disconnect reported by the source ends the run too.
 *
 * Hostile or broken input is contained here, where values become beats:
 * - only a finite interval longer than zero is placed on beat time. A strap's 0 (no interval) and, from an RR-only
 *   source, a negative, NaN or infinite value — or one too short to move beat time at all — stay in the sample, with
 *   why, and never become beats: they would stop beat time, run it backwards or make it NaN, and hang the spectral
 *   updates (an infinite time never arrives);
 * - beats that end more than `MAX_AHEAD_S` after their notification arrived cannot have happened yet: the strap sent
 *   more RR than time passed (a flood of repeated notifications, nonsense values). The run ends there — a gap with
 *   that reason — so no metric window spans them; the beats are still placed and classified by the artefact layer;
 * - a new run never starts before the previous one ended: beat time only moves forward.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { BeatEvent, GapEvent, PipelineEvent, SampleEvent, StatusChangeEvent } from '../domain/events.js';
import { decodeHeartRateMeasurement, isHrmError } from '../domain/hrm.js';
import type { SourceEvent } from '../domain/source.js';
import { ticksToMs } from '../hrv/units.js';

/** Beats missing from the stream for longer than this (beyond the run's usual delivery lag) make a gap, s. */
export const MAX_LAG_EXCESS_S = 3;

/**
 * Beats ending more than this after their notification arrived (beyond the run's anchor) end the run, s. A live strap's
 * RR arrive late, never early: the first notification of a run may be a few seconds late, so later ones can look
 * early by that much, never by 10 s. Short of the RMSSD window's 50 s of clean beats, so a flood never fills one.
 */
export const MAX_AHEAD_S = 10;

/** A value that can be placed on beat time: a finite interval longer than zero, ms. */
function isInterval(rrMs: number): boolean {
  return Number.isFinite(rrMs) && rrMs > 0;
}

/** A pure state machine; `toBeatTimeline()` wraps it as an RxJS operator. */
export class BeatTimeline {
  private seq = 0;
  /** end time of the last beat of the current run, s; NaN when no run is open */
  private lastEndS = Number.NaN;
  /** the smallest (arrival − beat end) seen in the current run, s */
  private minLagS = Number.POSITIVE_INFINITY;
  /** (arrival − beat end) of the notification that opened the run: 0, or less when it had to start later, s */
  private anchorLagS = 0;
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

    let sent: number[];
    let error: string | null = null;
    let gapMarked = false;
    if (event.type === 'notification') {
      const m = decodeHeartRateMeasurement(event.payload);
      if (isHrmError(m)) {
        error = m.message;
        sent = [];
      } else {
        sent = m.rrTicks.map(ticksToMs);
      }
    } else {
      sent = [...event.rrMs];
      gapMarked = event.gapBefore === true;
    }
    // Values that are no interval, and any too short to move beat time at all, stay in the sample with why.
    const refused = sent.filter((rr) => !isInterval(rr));
    if (gapMarked) this.endRun('gap in the recording');
    const placed = this.place(sent.filter(isInterval), arrivalS, event.receivedAtMs, refused);
    if (refused.length > 0) {
      error =
        `RR ${refused.join(', ')} ms is not an interval (zero, negative, not finite, or too short to move beat ` +
        'time): kept in the sample, not placed on the beat timeline';
    }
    const sample: SampleEvent = {
      type: 'sample',
      sourceTimeMs: event.sourceTimeMs,
      receivedAtMs: event.receivedAtMs,
      payload: event.type === 'notification' ? event.payload : null,
      rrMs: sent,
      error,
    };
    emit(sample);
    for (const e of placed) emit(e);
  }

  /** Places one sample's intervals on beat time: the gap and beats it yields, in order (the sample goes first). */
  private place(rrMs: readonly number[], arrivalS: number, receivedAtMs: number, refused: number[]): PipelineEvent[] {
    const out: PipelineEvent[] = [];
    let sumS = 0;
    for (const rr of rrMs) sumS += rr / 1000;
    if (!Number.isNaN(this.lastEndS)) {
      const lagS = arrivalS - (this.lastEndS + sumS);
      if (lagS < this.anchorLagS - MAX_AHEAD_S) {
        const aheadS = this.anchorLagS - lagS;
        this.endRun(`beats ${aheadS.toFixed(1)} s ahead of their arrival (the strap sent more RR than time passed)`);
      } else if (lagS - this.minLagS > MAX_LAG_EXCESS_S) {
        this.endRun(`no beats for ${(lagS - this.minLagS).toFixed(1)} s (lost contact or missed beats)`);
      } else if (rrMs.length > 0) {
        this.minLagS = Math.min(this.minLagS, lagS);
      }
    }
    if (rrMs.length === 0) return out;

    let gapBefore = false;
    if (Number.isNaN(this.lastEndS)) {
      // Open a run: the last RR of this notification ends at its arrival time.
      let startS = arrivalS - sumS;
      let anchorLagS = 0;
      if (this.seq === 0 && startS < 0) {
        // The session's first beats began before its first event: move the origin so beat time never goes negative.
        this.originMs += startS * 1000;
        startS = 0;
      } else if (this.pendingGapReason !== null && startS < this.gapFromS) {
        // More RR than time passed since the last run ended: start where it ended, never before it.
        startS = this.gapFromS;
        anchorLagS = arrivalS - (startS + sumS);
      }
      if (this.pendingGapReason !== null) {
        const gap: GapEvent = {
          type: 'gap',
          fromS: this.gapFromS,
          toS: startS,
          reason: this.pendingGapReason,
          receivedAtMs,
        };
        out.push(gap);
        gapBefore = true;
        this.pendingGapReason = null;
      }
      this.lastEndS = startS;
      this.anchorLagS = anchorLagS;
      this.minLagS = anchorLagS;
    }
    for (const rr of rrMs) {
      const endS = this.lastEndS + rr / 1000;
      if (!(endS > this.lastEndS)) {
        refused.push(rr);
        continue;
      }
      this.lastEndS = endS;
      const beat: BeatEvent = {
        type: 'beat',
        seq: this.seq++,
        tS: endS,
        rrMs: rr,
        gapBefore,
        receivedAtMs,
      };
      out.push(beat);
      gapBefore = false;
    }
    return out;
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
