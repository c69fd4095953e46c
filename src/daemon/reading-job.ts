/**
 * A reading taken at the table: while no session records on a stream, a short-lived live pipeline on the stream's
 * source events, `settleS` of beat time for the client to settle, then `measureS` measured. The measured beats are
 * valued by the reading rule (src/hrv/reading.ts) and stored on the client's record in one transaction, then the
 * result is published (persist, then publish). Progress goes to the stream's viewers as `reading` messages about once
 * a second of beat time.
 *
 * Beat time, not the wall clock, decides when it is done: a replay or a simulated strap run faster than real time
 * takes its reading faster, with the same beats.
 */
import type { Observable, Subscription } from 'rxjs';
import type { ReadingKind } from '../domain/kinds.js';
import type { SourceEvent } from '../domain/source.js';
import { readingValue } from '../hrv/reading.js';
import type { RollingOptions } from '../hrv/rolling.js';
import { formatLocal } from '../io/local-time.js';
import { livePipeline } from '../pipeline/live.js';
import { addReadings } from '../store/clients.js';
import type { SessionStore } from '../store/session-store.js';
import { READING_TIMING, type ReadingMessage, readingMessage } from '../viewers/protocol.js';

export interface ReadingRequest {
  readonly clientId: number;
  readonly kind: ReadingKind;
  /** measured beat time, s: whole minutes in READING_TIMING's range */
  readonly measureS: number;
}

export interface ReadingJobDeps {
  readonly store: SessionStore;
  readonly rolling: RollingOptions;
  /** where the reading came from, as the record shows it (the source's label) */
  readonly sourceLabel: string;
  /** every message of this job, in order */
  readonly publish: (message: ReadingMessage) => void;
  /** the job has ended (done, failed or cancelled) */
  readonly ended: (job: ReadingJob) => void;
  readonly now?: () => number;
}

/** Why a measure length is refused, or null. */
export function measureProblem(measureS: number): string | null {
  const { measureMinS, measureMaxS } = READING_TIMING;
  if (!Number.isInteger(measureS) || measureS % 60 !== 0 || measureS < measureMinS || measureS > measureMaxS) {
    return `measureS must be whole minutes from ${measureMinS} to ${measureMaxS} s, got ${measureS}`;
  }
  return null;
}

export class ReadingJob {
  readonly settleS = READING_TIMING.settleS;
  private subscription: Subscription | null = null;
  private firstTS: number | null = null;
  private readonly measured: number[] = [];
  private lastSecond = -1;
  private measureStartedAt: string | null = null;
  private finished = false;
  private latest: ReadingMessage;

  constructor(
    readonly request: ReadingRequest,
    private readonly deps: ReadingJobDeps,
  ) {
    const problem = measureProblem(request.measureS);
    if (problem) throw new RangeError(problem);
    this.latest = this.message('settling', 0);
  }

  /** The latest message of this job (for a viewer that joins while it runs). */
  get state(): ReadingMessage {
    return this.latest;
  }

  get running(): boolean {
    return !this.finished;
  }

  start(events$: Observable<SourceEvent>): void {
    this.send(this.latest);
    this.subscription = events$.pipe(livePipeline(this.deps.rolling)).subscribe({
      next: (e) => {
        if (this.finished) return;
        if (e.type === 'gap' && this.firstTS !== null) {
          this.fail(`the strap lost beats (${e.reason}): take the reading again`);
        } else if (e.type === 'beat') this.onBeat(e.tS, e.rrMs);
      },
      error: () => this.fail('the strap failed: take the reading again'),
      complete: () => this.fail('the source ended before the reading was complete'),
    });
  }

  cancel(reason: string): void {
    if (this.finished) return;
    this.end(this.message('cancelled', this.elapsed(), { reason }));
  }

  private elapsed(tS?: number): number {
    if (this.firstTS === null || tS === undefined) return this.latest.elapsedS;
    return tS - this.firstTS;
  }

  private onBeat(tS: number, rrMs: number): void {
    // The first beat's interval ended at tS: the reading's time starts where that interval began.
    if (this.firstTS === null) this.firstTS = tS - rrMs / 1000;
    const elapsedS = tS - this.firstTS;
    const endS = this.settleS + this.request.measureS;
    if (elapsedS > this.settleS && elapsedS <= endS) {
      if (this.measureStartedAt === null) this.measureStartedAt = formatLocal(new Date(this.now()));
      this.measured.push(rrMs);
    }
    if (elapsedS > endS) {
      this.finish(endS);
      return;
    }
    const second = Math.floor(elapsedS);
    if (second !== this.lastSecond) {
      this.lastSecond = second;
      this.send(this.message(elapsedS > this.settleS ? 'measuring' : 'settling', second));
    }
  }

  private finish(elapsedS: number): void {
    const value = readingValue(this.measured);
    const at = this.measureStartedAt ?? formatLocal(new Date(this.now()));
    let readingId: number;
    try {
      const added = addReadings(this.deps.store, this.request.clientId, [
        {
          at,
          kind: this.request.kind,
          source: `taken at the table (${this.deps.sourceLabel})`,
          tags: '',
          rrMs: this.measured,
          rmssdMs: value.rmssdMs,
          lnRmssd: value.lnRmssd,
          meanHrBpm: value.meanHrBpm,
          correctedPct: value.correctedPct,
          reason: value.reason,
        },
      ]);
      readingId = added.ids[0];
    } catch (err) {
      const what =
        err instanceof Error && /client/i.test(err.message)
          ? 'the client is no longer on record'
          : 'the store could not be written';
      this.fail(`the reading could not be stored: ${what}`);
      return;
    }
    this.end(
      this.message('done', elapsedS, {
        result: {
          readingId,
          at,
          beats: value.beats,
          rmssdMs: value.rmssdMs,
          lnRmssd: value.lnRmssd,
          meanHrBpm: value.meanHrBpm,
          reason: value.reason,
        },
      }),
    );
  }

  private fail(reason: string): void {
    if (this.finished) return;
    this.end(this.message('failed', this.elapsed(), { reason }));
  }

  private end(message: ReadingMessage): void {
    this.finished = true;
    this.subscription?.unsubscribe();
    this.subscription = null;
    this.send(message);
    this.deps.ended(this);
  }

  private send(message: ReadingMessage): void {
    this.latest = message;
    this.deps.publish(message);
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }

  private message(
    state: ReadingMessage['state'],
    elapsedS: number,
    extra: Partial<Pick<ReadingMessage, 'result' | 'reason'>> = {},
  ): ReadingMessage {
    return readingMessage({
      state,
      clientId: this.request.clientId,
      kind: this.request.kind,
      settleS: this.settleS,
      measureS: this.request.measureS,
      elapsedS: Math.round(elapsedS * 10) / 10,
      result: extra.result ?? null,
      reason: extra.reason ?? null,
    });
  }
}
