/**
 * The one seam every beat producer plugs into: a `HeartRateSource` is a cold RxJS Observable of samples and status
 * changes. Sources never see the pipeline or the sinks; the pipeline never reaches back into a source.
 *
 * Two clocks travel with every event:
 * - `sourceTimeMs`: time on the source's own clock — the wall clock for a live strap, the recorded arrival time for a
 *   replay, the simulated time for the simulated strap. The beat timeline uses it (after a gap it re-anchors beat
 *   time to it), so a replay at any speed produces the same beat times and the same metrics.
 * - `receivedAtMs`: the wall-clock time (ms since the epoch) the event entered the daemon, for latency figures and
 *   for the viewer's "time since last beat": Date.now() for a strap, `preciseNowMs()` (the same clock with
 *   sub-millisecond steps) for replay and simulated sources. It never enters a metric.
 */
import type { Observable } from 'rxjs';

export type SourceState =
  /** looking for a strap */
  | 'scanning'
  | 'connecting'
  /** samples are flowing */
  | 'live'
  /** connected, but no notification for a while: the last values are not current */
  | 'stale'
  | 'disconnected'
  /** the source has nothing more to send (end of a replay) */
  | 'ended';

export interface DeviceInfo {
  readonly name: string;
  readonly id: string;
}

export interface SourceStatus {
  readonly state: SourceState;
  /** plain-language reason: "link lost (supervision timeout)", "end of recording", … */
  readonly reason?: string;
  readonly device?: DeviceInfo;
  readonly batteryPct?: number;
}

/** A Heart Rate Measurement notification (0x2A37 payload) as the strap sent it. */
export interface NotificationSample {
  readonly type: 'notification';
  readonly sourceTimeMs: number;
  readonly receivedAtMs: number;
  readonly payload: Uint8Array;
}

/** RR values without a notification around them (files that hold only intervals). */
export interface RrSample {
  readonly type: 'rr';
  readonly sourceTimeMs: number;
  readonly receivedAtMs: number;
  readonly rrMs: readonly number[];
  /** the file marks a gap before the first of these values */
  readonly gapBefore?: boolean;
}

export interface StatusEvent {
  readonly type: 'status';
  readonly sourceTimeMs: number;
  readonly receivedAtMs: number;
  readonly status: SourceStatus;
}

export type SourceEvent = NotificationSample | RrSample | StatusEvent;

/** `ble`: a strap through this computer's adapter (noble); `browser`: a strap a browser page connected (Web Bluetooth) */
export type SourceKind = 'replay' | 'simulated' | 'ble' | 'browser';

export interface HeartRateSource {
  readonly kind: SourceKind;
  /** what the viewer shows as the source: a file name, "simulated strap (seed 7)", a strap name */
  readonly label: string;
  /** Cold: each subscription starts the source; unsubscribing stops it and releases what it holds. */
  readonly events$: Observable<SourceEvent>;
}
