/**
 * A strap that a browser page connected itself (Web Bluetooth) as a HeartRateSource. The page subscribes to 0x2A37
 * and forwards each notification's raw bytes, with the time it arrived there, over its viewer socket; the daemon
 * hands them here, and from here on they travel exactly as a noble strap's do: the same decoder, beat timeline,
 * store and statuses.
 *
 * The page is the radio, so the page says how the link goes (`connecting`, `live`, `disconnected` with the reason);
 * what the page cannot say, this source sees itself:
 * - no notification for `staleAfterMs` while live: `stale` (a background tab whose browser holds the strap back,
 *   a strap taken off);
 * - the page's socket closed (a reload, a closed tab, a dropped network): `disconnected` with that reason. The beat
 *   timeline ends its run on every `disconnected`, so the next beat after a reconnection comes after a gap — nothing
 *   is ever made up for the time between.
 *
 * One page feeds a stream at a time (its "feeder", the socket). Another page takes over only by announcing a new
 * link (`connecting`); until then its messages are refused, so two pages never double the beats of one strap.
 *
 * Times: the page stamps each notification with its own clock; the daemon's may differ by any amount. The first
 * notification of a feeder fixes the offset between the two, and the smallest transit seen since keeps it, so beat
 * arrivals keep the spacing the strap gave them (no socket jitter) on the daemon's clock. A page clock that jumps is
 * re-anchored; source time never runs backwards.
 */
import { Observable, type Subscriber } from 'rxjs';
import { decodeHeartRateMeasurement, isHrmError } from '../domain/hrm.js';
import type { DeviceInfo, HeartRateSource, SourceEvent, SourceState, SourceStatus } from '../domain/source.js';

/** Connected, but no notification for this long: the values shown are not current (as for a noble strap). */
export const BROWSER_STALE_AFTER_MS = 3_000;
/** A notification mapped further back than this from its arrival at the daemon: the page's clock moved, re-anchor. */
const MAX_TRANSIT_MS = 5_000;
/** At most one warning about dropped or malformed notifications per this long. */
const WARN_EVERY_MS = 10_000;

/** The reason the stream shows until a page connects a strap. */
export const WAITING_FOR_PAGE_REASON =
  'no strap yet: open the table-side screen in Chrome or Edge on a device with Bluetooth and tap ' +
  '"Connect a strap from this device"';
/** The reason when the page that held the strap went away. */
export const PAGE_GONE_REASON =
  'the page holding the strap was closed, reloaded or lost its connection to tableside; it reconnects the strap ' +
  'when it is back (or asks for one tap)';

export type BrowserStrapMessage =
  | {
      readonly type: 'strap-status';
      readonly state: 'connecting' | 'live' | 'disconnected';
      readonly reason?: string;
      readonly device?: DeviceInfo;
      readonly batteryPct?: number;
      readonly hidden?: boolean;
    }
  | { readonly type: 'strap-notification'; readonly atMs: number; readonly bytes: readonly number[] };

/** Why a message was not taken. */
export interface Refusal {
  readonly refused: 'not-feeding' | 'other-page' | 'flood';
  readonly message: string;
}

export interface BrowserStrapLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface BrowserStrapOptions {
  /** notifications per second on average, and in one burst; beyond, they are dropped and counted */
  readonly rate: { readonly perS: number; readonly burst: number };
  readonly log: BrowserStrapLog;
  readonly staleAfterMs?: number;
  /** the daemon's clock, ms since the epoch (tests pass their own) */
  readonly now?: () => number;
}

/** What the source has taken and refused since it started. */
export interface BrowserStrapCounts {
  notifications: number;
  /** notifications whose 0x2A37 payload does not decode: kept as samples with their error, never beats */
  malformed: number;
  /** notifications dropped by the rate bound */
  flooded: number;
  /** messages from a page that does not feed the stream */
  refused: number;
}

export class BrowserStrapSource implements HeartRateSource {
  readonly kind = 'browser' as const;
  readonly label = 'strap connected in the browser';
  readonly events$: Observable<SourceEvent>;
  readonly counts: BrowserStrapCounts = { notifications: 0, malformed: 0, flooded: 0, refused: 0 };

  private readonly now: () => number;
  private readonly staleAfterMs: number;
  private subscriber: Subscriber<SourceEvent> | null = null;
  private feeder: object | null = null;
  /** daemon clock − page clock, ms, for the current feeder (NaN until its first notification) */
  private offsetMs = Number.NaN;
  private lastSourceMs = Number.NEGATIVE_INFINITY;
  private last: SourceStatus | null = null;
  private device: DeviceInfo | undefined;
  private batteryPct: number | undefined;
  private hidden = false;
  private staleTimer: NodeJS.Timeout | undefined;
  private tokens: number;
  private tokensAt = Number.NaN;
  private warnedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: BrowserStrapOptions) {
    this.now = options.now ?? Date.now;
    this.staleAfterMs = options.staleAfterMs ?? BROWSER_STALE_AFTER_MS;
    this.tokens = options.rate.burst;
    this.events$ = new Observable<SourceEvent>((subscriber) => {
      this.subscriber = subscriber;
      this.last = null;
      this.status('disconnected', WAITING_FOR_PAGE_REASON);
      return () => {
        if (this.subscriber === subscriber) this.subscriber = null;
        clearTimeout(this.staleTimer);
        this.feeder = null;
      };
    });
  }

  /** Whether `feeder` is the page feeding this stream now. */
  isFeeder(feeder: object): boolean {
    return this.feeder === feeder;
  }

  /** Takes one message from a page; returns why not when it is refused (the message is then dropped). */
  accept(feeder: object, message: BrowserStrapMessage): Refusal | null {
    if (this.subscriber === null) {
      this.counts.refused++;
      return { refused: 'not-feeding', message: 'this stream is not running its browser strap now' };
    }
    if (this.feeder !== feeder) {
      const takesOver = this.feeder === null || (message.type === 'strap-status' && message.state === 'connecting');
      if (!takesOver) {
        this.counts.refused++;
        return {
          refused: 'other-page',
          message: 'another page feeds this stream now: connect the strap again from this page to take it over',
        };
      }
      this.feeder = feeder;
      this.offsetMs = Number.NaN;
    }
    const nowMs = this.now();
    if (message.type === 'strap-status') {
      this.onStatus(message);
      return null;
    }
    if (!this.takeToken(nowMs)) {
      this.counts.flooded++;
      this.warn(nowMs, 'notifications from the browser beyond the rate bound dropped');
      return {
        refused: 'flood',
        message: `more than ${this.options.rate.perS} notifications a second: dropped (${this.counts.flooded} so far)`,
      };
    }
    this.onNotification(message.atMs, message.bytes, nowMs);
    return null;
  }

  /** The page's socket closed: if it fed the stream, the strap is disconnected from here on. */
  detach(feeder: object): void {
    if (this.feeder !== feeder) return;
    this.feeder = null;
    clearTimeout(this.staleTimer);
    this.status('disconnected', PAGE_GONE_REASON);
  }

  private onStatus(m: Extract<BrowserStrapMessage, { type: 'strap-status' }>): void {
    if (m.device !== undefined) this.device = m.device;
    if (m.batteryPct !== undefined) this.batteryPct = m.batteryPct;
    this.hidden = m.hidden === true;
    switch (m.state) {
      case 'connecting':
        clearTimeout(this.staleTimer);
        this.status('connecting');
        return;
      case 'disconnected':
        clearTimeout(this.staleTimer);
        this.status('disconnected', m.reason ? `in the browser: ${m.reason}` : 'the browser lost the strap');
        return;
      case 'live':
        // Still live or stale as the notifications say; a live link that has sent nothing yet is live from now.
        if (this.last?.state !== 'stale') this.status('live');
        else this.status('stale', this.staleReason());
        this.armStale();
        return;
    }
  }

  private onNotification(atMs: number, bytes: readonly number[], nowMs: number): void {
    this.counts.notifications++;
    const payload = Uint8Array.from(bytes);
    if (isHrmError(decodeHeartRateMeasurement(payload))) {
      this.counts.malformed++;
      this.warn(nowMs, 'malformed Heart Rate Measurement notifications from the browser (kept as samples, no beats)');
    }
    const transit = nowMs - atMs;
    if (Number.isNaN(this.offsetMs) || transit < this.offsetMs || transit - this.offsetMs > MAX_TRANSIT_MS) {
      this.offsetMs = transit;
    }
    const sourceTimeMs = Math.max(atMs + this.offsetMs, this.lastSourceMs);
    this.status('live');
    this.armStale();
    this.lastSourceMs = sourceTimeMs;
    this.subscriber?.next({ type: 'notification', sourceTimeMs, receivedAtMs: nowMs, payload });
  }

  private staleReason(): string {
    const s = `no data from the strap for ${this.staleAfterMs / 1000} s`;
    return this.hidden ? `${s}: the page holding it is in the background, and the browser may pause it` : s;
  }

  private armStale(): void {
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => this.status('stale', this.staleReason()), this.staleAfterMs);
    this.staleTimer.unref?.();
  }

  private status(state: SourceState, reason?: string): void {
    const subscriber = this.subscriber;
    if (subscriber === null) return;
    const status: SourceStatus = {
      state,
      ...(reason === undefined ? {} : { reason }),
      ...(this.device === undefined ? {} : { device: this.device }),
      ...(this.batteryPct === undefined ? {} : { batteryPct: this.batteryPct }),
    };
    const l = this.last;
    if (
      l !== null &&
      l.state === status.state &&
      l.reason === status.reason &&
      l.batteryPct === status.batteryPct &&
      l.device?.id === status.device?.id &&
      l.device?.name === status.device?.name
    ) {
      return;
    }
    this.last = status;
    const nowMs = this.now();
    // A status is stamped on the daemon's clock, never before what came before it.
    const sourceTimeMs = Math.max(nowMs, this.lastSourceMs);
    this.lastSourceMs = sourceTimeMs;
    this.options.log.info({ state, reason, device: this.device?.id }, 'browser strap status');
    subscriber.next({ type: 'status', sourceTimeMs, receivedAtMs: nowMs, status });
  }

  private takeToken(nowMs: number): boolean {
    const { perS, burst } = this.options.rate;
    if (!Number.isNaN(this.tokensAt)) {
      this.tokens = Math.min(burst, this.tokens + ((nowMs - this.tokensAt) * perS) / 1000);
    }
    this.tokensAt = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private warn(nowMs: number, msg: string): void {
    if (nowMs - this.warnedAt < WARN_EVERY_MS) return;
    this.warnedAt = nowMs;
    this.options.log.warn({ ...this.counts }, msg);
  }
}
