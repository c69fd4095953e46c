/**
 * The live pipeline, named once: a source's events → the beat timeline (beat time from the RR values, gaps) → the
 * live metrics (artefact layer, rolling RMSSD, HF/LF) → pipeline events, in order. Everything runs on beat time, so a
 * replay at any speed gives the events it gave live. The daemon's stream wires its output to the store and the
 * viewers (persist, then publish); `tableside analyze --rolling` runs the same engine without RxJS.
 */
import type { OperatorFunction } from 'rxjs';
import type { PipelineEvent } from '../domain/events.js';
import type { SourceEvent } from '../domain/source.js';
import type { RollingOptions } from '../hrv/rolling.js';
import { withLiveMetrics } from './metrics.js';
import { toBeatTimeline } from './timeline.js';

export function livePipeline(rolling: Partial<RollingOptions> = {}): OperatorFunction<SourceEvent, PipelineEvent> {
  return (events$) => events$.pipe(toBeatTimeline(), withLiveMetrics(rolling));
}
