/**
 * A Bluetooth LE heart-rate strap as a HeartRateSource, through `@abandonware/noble` 1.9.2-26. This is the only
 * module that loads noble, and only when a source starts (or a scan runs): replay, simulate and the tests that do not
 * need Bluetooth never load it, and a machine without an adapter gets a status that says what to do instead of a
 * crash at start-up (noble's require throws there, ble.md §3.1).
 *
 * One subscription runs this loop until it is unsubscribed:
 *
 *   adapter poweredOn? ─→ scan for 180D (watchdog) ─→ stop scan, connect (timeout) ─→ discover services and
 *   characteristics (timeout per step) ─→ read battery, body sensor location, device information ─→ subscribe to
 *   0x2A37 (timeout) ─→ live: notifications as samples, `stale` after STALE_AFTER_MS of silence
 *        ↑                                                                                               │
 *        └──── backoff (RECONNECT_BACKOFF_MIN_MS … MAX_MS) ←── `disconnected` with the reason in words ──┘
 *
 * noble hangs silently in several places (connect, subscribe, any unanswered ATT request), so every step has a
 * timeout that ends the attempt: the link is released and the loop starts again. noble creates new service and
 * characteristic objects on every connection (ble.md §3.6), so each attempt discovers and subscribes afresh, and
 * every listener an attempt adds is removed when it ends.
 */
import { createRequire } from 'node:module';
import { Observable } from 'rxjs';
import { decodeHeartRateMeasurement, isHrmError } from '../domain/hrm.js';
import type { DeviceInfo, HeartRateSource, SourceEvent, SourceState, SourceStatus } from '../domain/source.js';
import type { CharacteristicLike, NobleLike, PeripheralLike, ServiceLike } from './noble-types.js';
import { Radio } from './radio.js';
import { bleSourceClock } from './source-clock.js';
import {
  adapterStateText,
  disconnectReasonText,
  noAdapterText,
  type StrapIdentity,
  strapIdentity,
  strapMatches,
} from './strap-words.js';
import { backoffMs, formatSeconds, sleep, TimeoutError, waitFor } from './waits.js';

export const HEART_RATE_SERVICE = '180d';
export const HEART_RATE_MEASUREMENT = '2a37';
export const BODY_SENSOR_LOCATION = '2a38';
export const BATTERY_SERVICE = '180f';
export const BATTERY_LEVEL = '2a19';
export const DEVICE_INFORMATION_SERVICE = '180a';

/** Device Information characteristics → the names they are logged under. */
const DEVICE_INFORMATION: Readonly<Record<string, string>> = {
  '2a29': 'manufacturer',
  '2a24': 'model',
  '2a25': 'serial',
  '2a27': 'hardware',
  '2a26': 'firmware',
  '2a28': 'software',
};

/** Body Sensor Location (0x2A38) values. */
const BODY_SENSOR_LOCATIONS = ['other', 'chest', 'wrist', 'finger', 'hand', 'ear lobe', 'foot'] as const;

/** Connected and subscribed, but no notification for this long: the values shown are not current. Straps notify ~1 Hz. */
export const STALE_AFTER_MS = 3_000;
/**
 * This many notifications in a row without an RR interval (about 10 s on a strap notifying once a second) and the
 * status says so: a strap that sends only heart rate (or has RR switched off) keeps its link alive without ever giving
 * a beat, and the screen must say why rather than wait. Real straps send 0–3 RR per notification and hold late RR
 * back for a few seconds, so a short run without RR is normal.
 */
export const NO_RR_AFTER_NOTIFICATIONS = 10;
/** The status reason while a live strap sends no RR intervals. */
export const NO_RR_REASON =
  'the strap sends heart rate but no RR intervals, and HRV needs them: check that RR (or "HRV") is on in its settings, ' +
  'or use a strap that sends RR';
/** Delay before the first reconnect attempt, and after any attempt that got live. */
export const RECONNECT_BACKOFF_MIN_MS = 1_000;
/** Longest delay between attempts that keep failing (doubling from the minimum). */
export const RECONNECT_BACKOFF_MAX_MS = 30_000;
/** noble's connect() never gives up on a strap that stopped advertising (ble.md §3.6). */
export const CONNECT_TIMEOUT_MS = 10_000;
/** One GATT step (a discovery round or a read); noble has no GATT timeouts and one lost answer blocks the link. */
export const GATT_STEP_TIMEOUT_MS = 5_000;
/** Enabling 0x2A37 notifications; noble's subscribe never fails, it just never completes (ble.md §3.7). */
export const SUBSCRIBE_TIMEOUT_MS = 5_000;
/** No strap seen while scanning for this long: say why it may be, and restart the scan (it may never have started). */
export const SCAN_WATCHDOG_MS = 15_000;
/** The adapter still in state "unknown" after this long: say so. */
export const ADAPTER_WAIT_MS = 5_000;
/** How long to wait for noble to see the end of a link we ended or a connection attempt we cancelled. */
export const LINK_SETTLE_MS = 2_000;

export interface BleTiming {
  readonly staleAfterMs: number;
  readonly reconnectBackoffMinMs: number;
  readonly reconnectBackoffMaxMs: number;
  readonly connectTimeoutMs: number;
  readonly gattStepTimeoutMs: number;
  readonly subscribeTimeoutMs: number;
  readonly scanWatchdogMs: number;
  readonly adapterWaitMs: number;
  readonly linkSettleMs: number;
}

export const BLE_TIMING: BleTiming = {
  staleAfterMs: STALE_AFTER_MS,
  reconnectBackoffMinMs: RECONNECT_BACKOFF_MIN_MS,
  reconnectBackoffMaxMs: RECONNECT_BACKOFF_MAX_MS,
  connectTimeoutMs: CONNECT_TIMEOUT_MS,
  gattStepTimeoutMs: GATT_STEP_TIMEOUT_MS,
  subscribeTimeoutMs: SUBSCRIBE_TIMEOUT_MS,
  scanWatchdogMs: SCAN_WATCHDOG_MS,
  adapterWaitMs: ADAPTER_WAIT_MS,
  linkSettleMs: LINK_SETTLE_MS,
};

/** A pino logger fits. */
export interface BleLog {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/** Loads noble. The default is the process-wide instance; tests pass `loadFreshNoble` for one per source. */
export type NobleLoader = () => Promise<NobleLike>;

/**
 * noble is an optional dependency: it is compiled when tableside is installed, and a machine without a compiler (most
 * Windows and macOS computers) installs tableside without it. Named through a constant so that building tableside
 * never needs it either; its absence is a status in words (noAdapterText), never a crash.
 */
const NOBLE_MODULE = '@abandonware/noble';

/** The process-wide noble (`require('@abandonware/noble')`, which opens the HCI socket), loaded on first use. */
export const loadNoble: NobleLoader = async () => {
  const mod = (await import(NOBLE_MODULE)) as unknown as { default: NobleLike };
  return mod.default;
};

/**
 * Whether noble is installed, without loading it (loading opens the adapter). Installed does not mean usable: its
 * native part may be missing or the adapter absent, which the source then reports.
 */
export function nobleInstalled(): boolean {
  try {
    createRequire(import.meta.url).resolve(NOBLE_MODULE);
    return true;
  } catch {
    return false;
  }
}

/**
 * A new noble on new hci-socket bindings, so a new HCI socket: each caller gets its own adapter connection and its
 * own state (tests; per-test isolation, ble.md §4.3). Each instance keeps a 1 s poll timer and adds exit/SIGINT
 * listeners for the life of the process (§3.4): keep the count small.
 */
export const loadFreshNoble: NobleLoader = async () => {
  const require = createRequire(import.meta.url);
  const withBindings = require(`${NOBLE_MODULE}/with-bindings`) as (bindings: unknown) => NobleLike;
  const HciBindings = require(`${NOBLE_MODULE}/lib/hci-socket/bindings`) as new (options: object) => unknown;
  return withBindings(new HciBindings({}));
};

export interface NobleSourceOptions {
  /** the strap to use: Polar device id ("8AA87D20"), address or peripheral id; any heart-rate strap when absent */
  readonly deviceId?: string;
  readonly log: BleLog;
  /**
   * clock for sourceTimeMs and receivedAtMs; by default sourceTimeMs comes from `bleSourceClock()` (the wall clock,
   * unless a virtual adapter installed its strap clock) and receivedAtMs from the wall clock
   */
  readonly now?: () => number;
  /**
   * Called when the adapter cannot be used: noble could not be loaded (no adapter, no Bluetooth support, library not
   * built) or the adapter reports a state other than poweredOn (off, no permission, no LE). The reason is the one the
   * `disconnected` status carries; a command line can add how to fix it. `waiting`: the source goes on watching the
   * adapter and connects once it is ready (false after a load failure: only a restart tries again).
   */
  readonly onAdapterProblem?: (reason: string, waiting: boolean) => void;
  readonly timing?: Partial<BleTiming>;
  readonly loadNoble?: NobleLoader;
}

export function nobleSource(options: NobleSourceOptions): HeartRateSource {
  return {
    kind: 'ble',
    label: options.deviceId ? `Bluetooth strap ${options.deviceId}` : 'Bluetooth heart-rate strap',
    events$: new Observable<SourceEvent>((subscriber) => {
      const session = new StrapSession(options, (event) => subscriber.next(event));
      session.start();
      return () => session.stop();
    }),
  };
}

// ── errors that end an attempt ─────────────────────────────────────────────────────────────────────────────────────

/** The link went down (the strap, the air, or the adapter's host said so). */
class LinkLostError extends Error {
  constructor(readonly code: number) {
    super(disconnectReasonText(code));
  }
}

/** The adapter left poweredOn. */
class AdapterStateError extends Error {
  constructor(readonly state: string) {
    super(adapterStateText(state));
  }
}

/** Something about the strap that another attempt may fix (a missing service, a refused connection). */
class StrapError extends Error {}

class StoppedError extends Error {
  constructor() {
    super('stopped');
  }
}

// ── one attempt: what it registered, and how it ends ───────────────────────────────────────────────────────────────

class Attempt {
  private readonly controller = new AbortController();
  private readonly disposers: (() => void)[] = [];
  wasLive = false;
  peripheral: PeripheralLike | null = null;

  constructor(parent: AbortSignal) {
    const onParentAbort = () => this.abort(parent.reason);
    parent.addEventListener('abort', onParentAbort, { once: true });
    this.defer(() => parent.removeEventListener('abort', onParentAbort));
    if (parent.aborted) this.abort(parent.reason);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  abort(reason: unknown): void {
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }

  /** `emitter.on(event, listener)`, removed when the attempt ends. */
  listen(
    emitter: {
      on(e: string, l: (...a: never[]) => void): unknown;
      removeListener(e: string, l: (...a: never[]) => void): unknown;
    },
    event: string,
    listener: (...args: never[]) => void,
  ): void {
    emitter.on(event, listener);
    this.defer(() => emitter.removeListener(event, listener));
  }

  defer(dispose: () => void): void {
    this.disposers.push(dispose);
  }

  dispose(): void {
    for (const d of this.disposers.splice(0).reverse()) d();
  }
}

interface StrapGatt {
  readonly hrm: CharacteristicLike;
  readonly batteryPct?: number;
  readonly bodySensorLocation?: string;
  readonly deviceInformation: Record<string, string>;
}

class StrapSession {
  private readonly timing: BleTiming;
  private readonly log: BleLog;
  /** the two clocks of an event: the source's (the strap clock of a virtual adapter) and the wall clock */
  private readonly stamp: () => { sourceTimeMs: number; receivedAtMs: number };
  private readonly stopController = new AbortController();
  private noble: NobleLike | null = null;
  private current: Attempt | null = null;
  private device: DeviceInfo | undefined;
  private batteryPct: number | undefined;
  private last: { state: SourceState; reason: string | undefined } | null = null;
  private staleTimer: NodeJS.Timeout | undefined;
  /** the strap that went live, when none was asked for: reconnects look for it only */
  private pinned: string | undefined;
  /** notifications in a row without an RR interval; at NO_RR_AFTER_NOTIFICATIONS the status says so */
  private withoutRr = 0;

  constructor(
    private readonly options: NobleSourceOptions,
    private readonly emit: (event: SourceEvent) => void,
  ) {
    this.timing = { ...BLE_TIMING, ...options.timing };
    this.log = options.log;
    const { now } = options;
    const sourceClock = bleSourceClock();
    this.stamp = now
      ? () => {
          const t = now();
          return { sourceTimeMs: t, receivedAtMs: t };
        }
      : () => ({ sourceTimeMs: sourceClock(), receivedAtMs: Date.now() });
  }

  private get stopped(): boolean {
    return this.stopController.signal.aborted;
  }

  start(): void {
    this.run().catch((err: unknown) => {
      if (!this.stopped) this.log.error({ err }, 'Bluetooth source stopped by an unexpected error');
    });
  }

  /** Stops scanning, ends or cancels the link and removes every listener, synchronously. */
  stop(): void {
    if (this.stopped) return;
    this.stopController.abort(new StoppedError());
    clearTimeout(this.staleTimer);
    const attempt = this.current;
    this.current = null;
    attempt?.dispose();
    const p = attempt?.peripheral;
    if (p?.state === 'connecting') p.cancelConnect();
    else if (p?.state === 'connected') p.disconnect();
    if (this.noble) {
      const radio = Radio.of(this.noble);
      radio.dropScan(this);
      radio.release(this);
    }
    this.log.info({}, 'Bluetooth source stopped');
  }

  private async run(): Promise<void> {
    const noble = await this.load();
    if (noble === null) return;
    this.noble = noble;
    let failures = 0;
    while (!this.stopped) {
      const attempt = new Attempt(this.stopController.signal);
      this.current = attempt;
      let adapterLeft = false;
      try {
        await this.poweredOn(noble, attempt);
        attempt.listen(noble, 'stateChange', (state: string) => {
          if (state !== 'poweredOn') attempt.abort(new AdapterStateError(state));
        });
        const found = await this.scan(noble, attempt);
        await this.connectAndStream(noble, found.peripheral, found.identity, attempt);
      } catch (err) {
        if (this.stopped) break;
        adapterLeft = err instanceof AdapterStateError;
        this.report(err);
        await this.release(attempt.peripheral, err);
      } finally {
        clearTimeout(this.staleTimer);
        if (this.current === attempt) this.current = null;
        attempt.dispose();
        Radio.of(noble).release(this);
      }
      if (this.stopped) break;
      failures = attempt.wasLive ? 0 : failures + 1;
      // After the adapter went away, waiting for it to come back is the delay.
      if (adapterLeft) continue;
      const delayMs = backoffMs(failures, this.timing.reconnectBackoffMinMs, this.timing.reconnectBackoffMaxMs);
      this.log.debug({ delayMs, failures }, 'reconnecting after a delay');
      await sleep(delayMs, this.stopController.signal).catch(() => {});
    }
  }

  private async load(): Promise<NobleLike | null> {
    const loader = this.options.loadNoble ?? loadNoble;
    try {
      return await loader();
    } catch (err) {
      this.log.error({ err }, 'cannot load the Bluetooth library');
      this.adapterProblem(noAdapterText(err), false);
      return null;
    }
  }

  // ── statuses and samples ─────────────────────────────────────────────────────────────────────────────────────────

  private status(state: SourceState, reason?: string): void {
    if (this.stopped) return;
    if (this.last !== null && this.last.state === state && this.last.reason === reason) return;
    this.last = { state, reason };
    const status: SourceStatus = {
      state,
      ...(reason === undefined ? {} : { reason }),
      ...(this.device === undefined ? {} : { device: this.device }),
      ...(this.batteryPct === undefined ? {} : { batteryPct: this.batteryPct }),
    };
    this.log.info({ state, reason, device: this.device?.id }, 'strap status');
    this.emit({ type: 'status', ...this.stamp(), status });
  }

  /** `disconnected` because of the adapter, and the caller is told (once per reason in a row). */
  private adapterProblem(reason: string, waiting = true): void {
    if (this.stopped) return;
    const told = this.last?.state === 'disconnected' && this.last.reason === reason;
    this.status('disconnected', reason);
    if (!told) this.options.onAdapterProblem?.(reason, waiting);
  }

  private report(err: unknown): void {
    if (err instanceof AdapterStateError) {
      this.log.warn({ reason: err.message }, 'Bluetooth adapter unavailable');
      this.adapterProblem(err.message);
      return;
    }
    if (err instanceof LinkLostError) {
      this.log.warn({ reason: err.message }, 'strap disconnected');
      this.status('disconnected', err.message);
      return;
    }
    const reason = err instanceof Error ? err.message : String(err);
    this.log.warn({ err }, 'strap attempt failed');
    this.status('disconnected', reason);
  }

  /** Why a live strap gives no beats, if it does not: no RR intervals for a while. */
  private liveReason(): string | undefined {
    return this.withoutRr >= NO_RR_AFTER_NOTIFICATIONS ? NO_RR_REASON : undefined;
  }

  /** Subscribed (or the first notification came even before the subscription was confirmed). */
  private goLive(attempt: Attempt): void {
    if (attempt.wasLive) return;
    attempt.wasLive = true;
    this.withoutRr = 0;
    this.status('live');
    this.armStale();
  }

  private onNotification(data: Buffer): void {
    if (this.stopped) return;
    const stamp = this.stamp();
    const m = decodeHeartRateMeasurement(data);
    // An RR of 0 ticks is no interval either (the timeline refuses it).
    const carriesRr = !isHrmError(m) && m.rrTicks.some((t) => t > 0);
    this.withoutRr = carriesRr ? 0 : this.withoutRr + 1;
    // Live again after stale, or still live: status() says nothing when neither the state nor the reason changed.
    this.status('live', this.liveReason());
    this.armStale();
    this.emit({ type: 'notification', ...stamp, payload: Uint8Array.from(data) });
  }

  private armStale(): void {
    clearTimeout(this.staleTimer);
    this.staleTimer = setTimeout(() => {
      this.status('stale', `no data from the strap for ${formatSeconds(this.timing.staleAfterMs)}`);
    }, this.timing.staleAfterMs);
  }

  // ── the steps ────────────────────────────────────────────────────────────────────────────────────────────────────

  private async poweredOn(noble: NobleLike, attempt: Attempt): Promise<void> {
    const state = noble.state; // reading it starts noble's bindings
    if (state === 'poweredOn') return;
    if (state !== 'unknown') this.adapterProblem(adapterStateText(state));
    await waitFor<void>(attempt.signal, 'waiting for the Bluetooth adapter', undefined, (resolve) => {
      const onState = (s: string) => {
        if (s === 'poweredOn') resolve();
        else this.adapterProblem(adapterStateText(s));
      };
      noble.on('stateChange', onState);
      const slow = setTimeout(() => {
        if (noble.state === 'unknown') this.adapterProblem(adapterStateText('unknown'));
      }, this.timing.adapterWaitMs);
      return () => {
        clearTimeout(slow);
        noble.removeListener('stateChange', onState);
      };
    });
  }

  private scan(noble: NobleLike, attempt: Attempt): Promise<{ peripheral: PeripheralLike; identity: StrapIdentity }> {
    this.status('scanning');
    // Once a strap has gone live, "any strap" means that strap: a reconnect never moves to another client's strap.
    const wanted = this.options.deviceId ?? this.pinned;
    const radio = Radio.of(noble);
    return waitFor(attempt.signal, 'scanning', undefined, (resolve, reject) => {
      const onDiscover = (p: PeripheralLike) => {
        const identity = strapIdentity(p.advertisement.localName, p.id);
        if (!strapMatches(wanted, identity, p)) {
          this.log.debug({ name: identity.name, id: identity.id }, 'ignoring another heart-rate strap');
          return;
        }
        if (radio.takenByOther(p.id, this)) {
          this.log.debug({ name: identity.name, id: identity.id }, 'strap in use by another stream');
          return;
        }
        radio.claim(p.id, this);
        this.log.info({ name: identity.name, id: identity.id, rssi: p.rssi }, 'strap found');
        resolve({ peripheral: p, identity });
      };
      const startScanning = () => {
        try {
          // allowDuplicates false: discover fires once per startScanning call, so every call looks afresh (§3.5).
          radio.wantScan(this);
        } catch (err) {
          reject(err);
        }
      };
      noble.on('discover', onDiscover);
      startScanning();
      // The scan may report success and still never run (Command Disallowed, ble.md §3.5): restart it, and say why
      // nothing may be found.
      const watchdog = setInterval(() => {
        const who = wanted ? `strap ${wanted}` : 'heart-rate strap';
        this.status(
          'scanning',
          `no ${who} found for ${formatSeconds(this.timing.scanWatchdogMs)}: put the strap on (it advertises only ` +
            'with skin contact, moisten the electrodes) and close any phone app connected to it',
        );
        startScanning();
      }, this.timing.scanWatchdogMs);
      return () => {
        clearInterval(watchdog);
        noble.removeListener('discover', onDiscover);
        radio.dropScan(this); // the radio stops the scan before connecting (§3.5)
      };
    });
  }

  private async connectAndStream(
    noble: NobleLike,
    p: PeripheralLike,
    identity: StrapIdentity,
    attempt: Attempt,
  ): Promise<void> {
    this.device = { name: identity.name, id: identity.id };
    // After an adapter down/up noble still thinks the old link is up and would refuse to connect.
    if (p.state === 'connected') p.disconnect();
    attempt.peripheral = p;
    this.status('connecting');
    attempt.listen(p, 'disconnect', (code: number) => attempt.abort(new LinkLostError(code)));
    // With the scan stopped (another stream's scan resumes once this link is set up).
    await Radio.of(noble).settingUp(() => this.setUpLink(p, attempt));
    this.goLive(attempt);
    this.pinned = identity.id;
    // Live until the link drops, the adapter goes away or the source is stopped: each aborts the attempt.
    await waitFor<void>(attempt.signal, 'streaming', undefined, () => undefined);
  }

  /** Connect, discover, read, subscribe: each step with its timeout. */
  private async setUpLink(p: PeripheralLike, attempt: Attempt): Promise<void> {
    await connect(p, attempt.signal, this.timing);

    const gatt = await discoverStrap(p, attempt.signal, this.timing);
    if (gatt.batteryPct !== undefined) this.batteryPct = gatt.batteryPct;
    this.log.info(
      {
        device: this.device,
        mtu: p.mtu,
        batteryPct: gatt.batteryPct,
        bodySensorLocation: gatt.bodySensorLocation,
        ...gatt.deviceInformation,
      },
      'strap connected',
    );
    if (gatt.bodySensorLocation !== undefined && gatt.bodySensorLocation !== 'chest') {
      this.log.warn({ bodySensorLocation: gatt.bodySensorLocation }, 'the sensor is not a chest strap');
    }

    // Listen before subscribing: the first notification can follow the CCCD write at once (§3.7).
    attempt.listen(gatt.hrm, 'data', (data: Buffer, isNotification: boolean) => {
      if (!isNotification) return;
      this.goLive(attempt);
      this.onNotification(data);
    });
    await waitFor<void>(
      attempt.signal,
      'subscribing to heart-rate notifications',
      this.timing.subscribeTimeoutMs,
      (resolve) => {
        const onNotify = () => resolve();
        gatt.hrm.once('notify', onNotify);
        gatt.hrm.subscribe();
        return () => gatt.hrm.removeListener('notify', onNotify);
      },
    );
  }

  /** Leaves noble without a half-open link after a failed attempt: cancel a pending connect, end an open link. */
  private async release(p: PeripheralLike | null, err: unknown): Promise<void> {
    if (p === null || err instanceof LinkLostError) return;
    if (err instanceof AdapterStateError) {
      // The adapter is gone, and the link with it; noble never hears of it. Marking the peripheral disconnecting
      // lets the next connect() through (the HCI write itself fails quietly).
      if (p.state === 'connected') p.disconnect();
      else if (p.state === 'connecting') p.cancelConnect();
      return;
    }
    if (p.state === 'connecting') {
      // cancelConnect() emits one `connect` error at once; the controller's answer brings a second one (§3.6).
      // Wait for it so that it cannot land on the next attempt's connect.
      const answered = settle(p, 'connect', this.stopController.signal, this.timing.linkSettleMs);
      p.cancelConnect();
      await answered;
    }
    // (read again: the state changed while waiting)
    if (stateOf(p) === 'connected') {
      const ended = settle(p, 'disconnect', this.stopController.signal, this.timing.linkSettleMs);
      p.disconnect();
      await ended;
    }
  }
}

/** A peripheral's state, read afresh (TypeScript would keep a narrowing across an await). */
function stateOf(p: PeripheralLike): string {
  return p.state;
}

// ── noble steps, each bounded ──────────────────────────────────────────────────────────────────────────────────────

async function connect(p: PeripheralLike, signal: AbortSignal, timing: BleTiming): Promise<void> {
  await waitFor<void>(signal, 'connecting to the strap', timing.connectTimeoutMs, (resolve, reject) => {
    const onConnect = (error?: Error | string | null) => {
      if (error) reject(new StrapError(`could not connect: ${error instanceof Error ? error.message : error}`));
      else resolve();
    };
    p.once('connect', onConnect);
    p.connect();
    return () => p.removeListener('connect', onConnect);
  });
}

/** Resolves at the next `event` of `emitter`, or after `ms`, or when `signal` aborts — never rejects. */
function settle(emitter: PeripheralLike, event: string, signal: AbortSignal, ms: number): Promise<void> {
  let seen = 0;
  return waitFor<void>(signal, `waiting for ${event}`, ms, (resolve) => {
    const on = () => {
      // cancelConnect() emits its own `connect` synchronously: the controller's answer is the second.
      seen++;
      if (event !== 'connect' || seen >= 2) resolve();
    };
    emitter.on(event, on);
    return () => emitter.removeListener(event, on);
  }).catch(() => undefined);
}

async function discoverStrap(p: PeripheralLike, signal: AbortSignal, timing: BleTiming): Promise<StrapGatt> {
  const step = timing.gattStepTimeoutMs;
  const services = await waitFor<ServiceLike[]>(signal, 'discovering services', step, (resolve) => {
    const on = (s: ServiceLike[]) => resolve(s);
    p.once('servicesDiscover', on);
    p.discoverServices([HEART_RATE_SERVICE, BATTERY_SERVICE, DEVICE_INFORMATION_SERVICE]);
    return () => p.removeListener('servicesDiscover', on);
  });
  if (!services.some((s) => s.uuid === HEART_RATE_SERVICE)) {
    throw new StrapError('the device has no Heart Rate service (0x180D)');
  }
  const characteristics = new Map<string, CharacteristicLike>();
  for (const service of services) {
    const found = await waitFor<CharacteristicLike[]>(
      signal,
      `discovering the characteristics of service ${service.uuid}`,
      step,
      (resolve) => {
        const on = (c: CharacteristicLike[]) => resolve(c);
        service.once('characteristicsDiscover', on);
        service.discoverCharacteristics([]);
        return () => service.removeListener('characteristicsDiscover', on);
      },
    );
    for (const c of found) characteristics.set(c.uuid, c);
  }
  const hrm = characteristics.get(HEART_RATE_MEASUREMENT);
  if (hrm === undefined) throw new StrapError('the strap has no Heart Rate Measurement characteristic (0x2A37)');

  const read = async (uuid: string, what: string): Promise<Buffer | undefined> => {
    const c = characteristics.get(uuid);
    if (c === undefined) return undefined;
    const data = await readCharacteristic(c, signal, `reading the ${what}`, step);
    // noble answers an ATT error with an empty value.
    return data.length > 0 ? data : undefined;
  };
  const battery = await read(BATTERY_LEVEL, 'battery level');
  const location = await read(BODY_SENSOR_LOCATION, 'body sensor location');
  const deviceInformation: Record<string, string> = {};
  for (const [uuid, name] of Object.entries(DEVICE_INFORMATION)) {
    const value = await read(uuid, `device information (${name})`);
    if (value !== undefined) deviceInformation[name] = value.toString('utf8').replace(/\0+$/, '').trim();
  }
  return {
    hrm,
    ...(battery === undefined ? {} : { batteryPct: Math.min(100, battery[0]) }),
    ...(location === undefined ? {} : { bodySensorLocation: BODY_SENSOR_LOCATIONS[location[0]] ?? 'other' }),
    deviceInformation,
  };
}

function readCharacteristic(c: CharacteristicLike, signal: AbortSignal, step: string, ms: number): Promise<Buffer> {
  return waitFor<Buffer>(signal, step, ms, (resolve) => {
    const on = (data: Buffer, isNotification: boolean) => {
      if (!isNotification) resolve(data);
    };
    c.on('data', on);
    c.read();
    return () => c.removeListener('data', on);
  });
}

// ── scanning for `tableside scan` ──────────────────────────────────────────────────────────────────────────────────

export interface FoundStrap {
  readonly name: string;
  /** Polar device id, or the peripheral id for other straps: what `--device` takes */
  readonly id: string;
  readonly address: string;
  /** strongest signal seen, dBm */
  readonly rssi: number;
  /** read by connecting briefly, when asked for */
  readonly batteryPct?: number;
}

export interface ScanStrapsOptions {
  readonly durationMs: number;
  /** connect to each strap found and read its battery level (a few seconds more per strap) */
  readonly readBattery?: boolean;
  readonly log?: BleLog;
  readonly timing?: Partial<BleTiming>;
  readonly loadNoble?: NobleLoader;
  readonly signal?: AbortSignal;
}

/** Bluetooth cannot be used here; the message says why and what to do. */
export class BluetoothUnavailableError extends Error {
  readonly code = 'BLE_UNAVAILABLE';
}

/** Lists the heart-rate straps advertising nearby, strongest first. */
export async function scanStraps(options: ScanStrapsOptions): Promise<FoundStrap[]> {
  const timing = { ...BLE_TIMING, ...options.timing };
  const signal = options.signal ?? new AbortController().signal;
  let noble: NobleLike;
  try {
    noble = await (options.loadNoble ?? loadNoble)();
  } catch (err) {
    throw new BluetoothUnavailableError(noAdapterText(err), { cause: err });
  }
  if (noble.state !== 'poweredOn') {
    await waitFor<void>(signal, 'waiting for the Bluetooth adapter', timing.adapterWaitMs, (resolve) => {
      const on = (s: string) => {
        if (s === 'poweredOn') resolve();
      };
      noble.on('stateChange', on);
      return () => noble.removeListener('stateChange', on);
    }).catch((err: unknown) => {
      if (err instanceof TimeoutError) throw new BluetoothUnavailableError(adapterStateText(noble.state));
      throw err;
    });
  }

  const found = new Map<string, { peripheral: PeripheralLike; identity: StrapIdentity; rssi: number }>();
  const onDiscover = (p: PeripheralLike) => {
    const identity = strapIdentity(p.advertisement.localName, p.id);
    const previous = found.get(p.id);
    found.set(p.id, { peripheral: p, identity, rssi: Math.max(p.rssi, previous?.rssi ?? -Infinity) });
  };
  noble.on('discover', onDiscover);
  // Through the radio: a running source's scan goes on after this one, and a link being set up is not disturbed.
  const radio = Radio.of(noble);
  const owner = {};
  try {
    radio.wantScan(owner);
    await sleep(options.durationMs, signal);
  } finally {
    noble.removeListener('discover', onDiscover);
    radio.dropScan(owner);
  }

  const straps: FoundStrap[] = [];
  for (const { peripheral, identity, rssi } of found.values()) {
    const batteryPct = options.readBattery ? await readBatteryOnce(peripheral, signal, timing, options.log) : undefined;
    straps.push({
      name: identity.name,
      id: identity.id,
      address: peripheral.address,
      rssi,
      ...(batteryPct === undefined ? {} : { batteryPct }),
    });
  }
  return straps.sort((a, b) => b.rssi - a.rssi);
}

async function readBatteryOnce(
  p: PeripheralLike,
  signal: AbortSignal,
  timing: BleTiming,
  log: BleLog | undefined,
): Promise<number | undefined> {
  const attempt = new Attempt(signal);
  attempt.peripheral = p;
  attempt.listen(p, 'disconnect', (code: number) => attempt.abort(new LinkLostError(code)));
  try {
    await connect(p, attempt.signal, timing);
    const services = await waitFor<ServiceLike[]>(
      attempt.signal,
      'discovering services',
      timing.gattStepTimeoutMs,
      (resolve) => {
        const on = (s: ServiceLike[]) => resolve(s);
        p.once('servicesDiscover', on);
        p.discoverServices([BATTERY_SERVICE]);
        return () => p.removeListener('servicesDiscover', on);
      },
    );
    const service = services.find((s) => s.uuid === BATTERY_SERVICE);
    if (service === undefined) return undefined;
    const characteristics = await waitFor<CharacteristicLike[]>(
      attempt.signal,
      'discovering the battery characteristic',
      timing.gattStepTimeoutMs,
      (resolve) => {
        const on = (c: CharacteristicLike[]) => resolve(c);
        service.once('characteristicsDiscover', on);
        service.discoverCharacteristics([BATTERY_LEVEL]);
        return () => service.removeListener('characteristicsDiscover', on);
      },
    );
    const level = characteristics.find((c) => c.uuid === BATTERY_LEVEL);
    if (level === undefined) return undefined;
    const data = await readCharacteristic(level, attempt.signal, 'reading the battery level', timing.gattStepTimeoutMs);
    return data.length > 0 ? Math.min(100, data[0]) : undefined;
  } catch (err) {
    log?.warn({ err, id: p.id }, 'could not read the battery level');
    return undefined;
  } finally {
    attempt.dispose();
    if (p.state === 'connecting') p.cancelConnect();
    else if (p.state === 'connected') {
      const ended = settle(p, 'disconnect', signal, timing.linkSettleMs);
      p.disconnect();
      await ended;
    }
  }
}
