/** Beats → live metrics: the rolling engine as an RxJS operator. Every event passes through; metrics follow beats. */
import { Observable, type OperatorFunction } from 'rxjs';
import type { MetricsEvent, PipelineEvent } from '../domain/events.js';
import { RollingEngine, type RollingOptions } from '../hrv/rolling.js';

export function withLiveMetrics(options: Partial<RollingOptions> = {}): OperatorFunction<PipelineEvent, PipelineEvent> {
  return (source) =>
    new Observable<PipelineEvent>((subscriber) => {
      const engine = new RollingEngine(options);
      return source.subscribe({
        next: (event) => {
          subscriber.next(event);
          if (event.type !== 'beat') return;
          for (const metrics of engine.push(event.rrMs, event.tS, event.gapBefore)) {
            const m: MetricsEvent = { type: 'metrics', metrics, receivedAtMs: event.receivedAtMs };
            subscriber.next(m);
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          // End of the stream: the beats held for look-ahead are classified without it.
          const now = Date.now();
          for (const metrics of engine.flush()) subscriber.next({ type: 'metrics', metrics, receivedAtMs: now });
          subscriber.complete();
        },
      });
    });
}
