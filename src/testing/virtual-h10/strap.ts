/**
 * One virtual Polar H10: its identity, its GATT server, and a heart that beats through a given RR sequence.
 *
 * Beats follow the strap's own clock (advanced by the controller, in real time × speed or by `tick()`): beat k ends at
 * the sum of the first k RR values. About once per `notificationIntervalMs` the strap notifies 0x2A37 with the RR
 * values of the beats that ended since the previous notification, in 1/1024 s ticks, oldest first — when it is
 * connected and the client has enabled notifications. Beats that end while nobody listens are lost, as on a real strap.
 */
import { decodeHeartRateMeasurement, encodeHeartRateMeasurement, isHrmError } from '../../domain/hrm.js';
import { ATT, type AttConnection, AttServer, type CccdBehaviour } from './att.js';
import {
  H10_HANDLE,
  H10_SERVER_MTU,
  h10AdvertisingData,
  h10AttributeTable,
  h10ScanResponseData,
} from './h10-profile.js';

export interface VirtualH10Options {
  /** complete local name; a real H10 says "Polar H10 " and the 8 hex digits printed on it */
  readonly name: string;
  /** random static address, as noble shows it */
  readonly address: string;
  readonly rssi: number;
  /** the RR sequence, 1/1024 s ticks (or give `rrMs`) */
  readonly rrTicks?: readonly number[];
  /** the RR sequence in ms, rounded to ticks */
  readonly rrMs?: readonly number[];
  /** at the end of the sequence: start it again, or keep notifying HR without RR */
  readonly whenRrEnd: 'loop' | 'stop';
  /** strap time between notifications (about 1 s on a real strap) */
  readonly notificationIntervalMs: number;
  /** most RR values in one notification; more wait for the next one (9 fit in the default ATT MTU) */
  readonly maxRrPerNotification: number;
  readonly batteryPct: number;
  readonly bodySensorLocation: number;
  readonly serverMtu: number;
  /** the 0x2A37 CCCD: present, missing, refused or unanswered */
  readonly cccd: CccdBehaviour;
  /** worn and free: advertising (a strap held by a phone, or off the skin, does not advertise) */
  readonly advertising: boolean;
  /** answer a connection request (false: the request stays pending, noble's connect() hangs) */
  readonly acceptConnections: boolean;
  /** start advertising again right after the link was lost (a strap still worn, back in range) */
  readonly advertiseAfterLinkLoss: boolean;
  /**
   * Bursty delivery: hold RR values for this many notifications (they go out without RR), then send them all at once,
   * as late RR do on real straps (ble.md §1.3). 0 = off.
   */
  readonly burstHoldNotifications: number;
}

export const VIRTUAL_H10_DEFAULTS: VirtualH10Options = {
  name: 'Polar H10 8AA87D20',
  address: 'ec:ea:02:85:d9:7a',
  rssi: -58,
  whenRrEnd: 'loop',
  notificationIntervalMs: 1000,
  maxRrPerNotification: 9,
  batteryPct: 87,
  bodySensorLocation: 1,
  serverMtu: H10_SERVER_MTU,
  cccd: 'present',
  advertising: true,
  acceptConnections: true,
  advertiseAfterLinkLoss: true,
  burstHoldNotifications: 0,
};

/** A default RR sequence (a calm resting heart around 64 bpm), used when none is given. */
const DEFAULT_RR_MS = [938, 961, 987, 952, 915, 902, 926, 958, 979, 965, 931, 909];

/** What the controller offers the strap while it is connected. */
export interface StrapLink {
  readonly handle: number;
  sendAtt(pdu: Uint8Array): void;
}

export interface NotificationRecord {
  readonly strapTimeMs: number;
  readonly payload: Uint8Array;
}

/**
 * What the strap did, for a test to compare with what tableside stored: every notification it sent (with the RR
 * values in it), every beat that ended while nobody was subscribed, link changes, and the end of its RR sequence.
 */
export type StrapJournalEntry =
  | { readonly kind: 'notify'; readonly strapTimeMs: number; readonly payload: string; readonly rrTicks: number[] }
  | { readonly kind: 'lost'; readonly strapTimeMs: number; readonly rrTicks: number[] }
  | { readonly kind: 'connected' | 'disconnected'; readonly strapTimeMs: number }
  | { readonly kind: 'rrEnded'; readonly strapTimeMs: number };

export class VirtualH10 {
  readonly options: VirtualH10Options;
  private readonly rrTicks: readonly number[];
  private readonly server: AttServer;
  private readonly connection: AttConnection = { mtu: 23, cccd: new Map() };
  private link: StrapLink | null = null;

  private cccdBehaviour: CccdBehaviour;
  private advertisingNow: boolean;
  private acceptingNow: boolean;
  private burstHold: number;

  /** index of the next beat in `rrTicks` */
  private nextBeat = 0;
  /** strap time at which that beat ends, ms */
  private nextBeatEndMs: number;
  private strapTimeMs = 0;
  private nextNotificationMs: number;
  private sequenceEnded = false;
  private held: number[] = [];
  private heldNotifications = 0;
  private recentTicks: number[] = [];

  /** every notification sent, for tests */
  readonly sent: NotificationRecord[] = [];
  /** RR values (ticks) that ended while nobody was subscribed */
  lostTicks = 0;
  private readonly journalListeners: ((entry: StrapJournalEntry) => void)[] = [];

  constructor(options: Partial<VirtualH10Options> = {}) {
    this.options = { ...VIRTUAL_H10_DEFAULTS, ...options };
    const o = this.options;
    const ticks = o.rrTicks ?? (o.rrMs ?? DEFAULT_RR_MS).map((ms) => Math.round((ms * 1024) / 1000));
    if (ticks.length === 0) throw new RangeError('the virtual H10 needs at least one RR value');
    for (const t of ticks) {
      if (!Number.isInteger(t) || t <= 0 || t > 0xffff) throw new RangeError(`RR of ${t} ticks cannot be sent`);
    }
    this.rrTicks = ticks;
    this.nextBeatEndMs = (ticks[0] * 1000) / 1024;
    this.nextNotificationMs = o.notificationIntervalMs;
    this.cccdBehaviour = o.cccd;
    this.advertisingNow = o.advertising;
    this.acceptingNow = o.acceptConnections;
    this.burstHold = o.burstHoldNotifications;
    this.server = new AttServer(
      h10AttributeTable({
        name: o.name,
        batteryPct: o.batteryPct,
        bodySensorLocation: o.bodySensorLocation,
        manufacturer: 'Polar Electro Oy',
        model: 'H10',
        serial: 'C7A4012345',
        hardwareRevision: '39044024.10',
        firmwareRevision: '5.0.0',
        softwareRevision: '3.1.1',
      }),
      {
        serverMtu: o.serverMtu,
        cccd: () => this.cccdBehaviour,
        hiddenWhenMissing: new Set([H10_HANDLE.HEART_RATE_MEASUREMENT_CCCD]),
      },
    );
  }

  get name(): string {
    return this.options.name;
  }

  get address(): string {
    return this.options.address;
  }

  get isConnected(): boolean {
    return this.link !== null;
  }

  /** true while the client has notifications of 0x2A37 enabled */
  get isSubscribed(): boolean {
    return this.link !== null && ((this.connection.cccd.get(H10_HANDLE.HEART_RATE_MEASUREMENT_CCCD) ?? 0) & 1) === 1;
  }

  get isAdvertising(): boolean {
    return this.advertisingNow && this.link === null;
  }

  get acceptsConnections(): boolean {
    return this.acceptingNow && this.isAdvertising;
  }

  /** the RR values (ticks) the strap has sent so far, in order */
  get sentTicks(): number[] {
    return this.sent.flatMap((n) => decodeRrTicks(n.payload));
  }

  /** Calls `listener` with every journal entry from now on (see StrapJournalEntry). */
  observe(listener: (entry: StrapJournalEntry) => void): void {
    this.journalListeners.push(listener);
  }

  private journal(entry: StrapJournalEntry): void {
    for (const l of this.journalListeners) l(entry);
  }

  // ── knobs ──────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Put on / take off (or connected to another central): advertising or not. */
  setAdvertising(on: boolean): void {
    this.advertisingNow = on;
  }

  setAcceptConnections(on: boolean): void {
    this.acceptingNow = on;
  }

  setCccd(behaviour: CccdBehaviour): void {
    this.cccdBehaviour = behaviour;
  }

  setBurstHold(notifications: number): void {
    this.burstHold = Math.max(0, Math.floor(notifications));
  }

  /** From now on heart rate only, no RR values (as at the end of the sequence with `whenRrEnd: 'stop'`). */
  stopRr(): void {
    if (this.sequenceEnded) return;
    this.sequenceEnded = true;
    this.journal({ kind: 'rrEnded', strapTimeMs: this.strapTimeMs });
  }

  // ── called by the controller ───────────────────────────────────────────────────────────────────────────────────

  advertisingData(): number[] {
    return h10AdvertisingData(this.currentHrBpm());
  }

  scanResponseData(): number[] {
    return h10ScanResponseData(this.options.name);
  }

  connected(link: StrapLink): void {
    this.link = link;
    this.connection.mtu = 23;
    this.connection.cccd.clear();
    this.journal({ kind: 'connected', strapTimeMs: this.strapTimeMs });
  }

  /** The link is gone (either side ended it, or it was lost). An unbonded strap forgets its CCCDs. */
  disconnected(linkLost: boolean): void {
    this.link = null;
    this.connection.cccd.clear();
    this.held = [];
    this.heldNotifications = 0;
    if (linkLost && !this.options.advertiseAfterLinkLoss) this.advertisingNow = false;
    this.journal({ kind: 'disconnected', strapTimeMs: this.strapTimeMs });
  }

  /** One ATT PDU from the client; the answer (if any) goes back on the link. */
  att(pdu: Uint8Array): void {
    const response = this.server.handle(pdu, this.connection);
    if (response !== null) this.link?.sendAtt(response);
  }

  /** Advances the strap clock by `ms`, sending the notifications that fall due. */
  advance(ms: number): void {
    const until = this.strapTimeMs + ms;
    while (this.nextNotificationMs <= until) {
      this.strapTimeMs = this.nextNotificationMs;
      this.notifyDue();
      this.nextNotificationMs += this.options.notificationIntervalMs;
    }
    this.strapTimeMs = until;
  }

  // ── beats and notifications ────────────────────────────────────────────────────────────────────────────────────

  /** RR values (ticks) of the beats that ended by the current strap time. */
  private endedBeats(): number[] {
    const ended: number[] = [];
    while (!this.sequenceEnded && this.nextBeatEndMs <= this.strapTimeMs) {
      ended.push(this.rrTicks[this.nextBeat]);
      this.nextBeat++;
      if (this.nextBeat >= this.rrTicks.length) {
        if (this.options.whenRrEnd === 'stop') {
          this.sequenceEnded = true;
          this.journal({ kind: 'rrEnded', strapTimeMs: this.strapTimeMs });
          break;
        }
        this.nextBeat = 0;
      }
      this.nextBeatEndMs += (this.rrTicks[this.nextBeat] * 1000) / 1024;
    }
    return ended;
  }

  private notifyDue(): void {
    const ended = this.endedBeats();
    for (const t of ended) this.remember(t);
    if (!this.isSubscribed) {
      this.lostTicks += ended.length;
      if (ended.length > 0) this.journal({ kind: 'lost', strapTimeMs: this.strapTimeMs, rrTicks: ended });
      return;
    }
    this.held.push(...ended);
    if (this.burstHold > 0 && this.heldNotifications < this.burstHold) {
      this.heldNotifications++;
      this.sendNotification([]);
      return;
    }
    this.heldNotifications = 0;
    const max = this.options.maxRrPerNotification;
    do {
      this.sendNotification(this.held.splice(0, max));
    } while (this.held.length > 0);
  }

  private remember(ticks: number): void {
    this.recentTicks.push(ticks);
    if (this.recentTicks.length > 4) this.recentTicks.shift();
  }

  /** The strap's averaged HR, bpm: from the last few RR values. */
  private currentHrBpm(): number {
    const recent = this.recentTicks.length > 0 ? this.recentTicks : this.rrTicks.slice(0, 4);
    const meanTicks = recent.reduce((a, b) => a + b, 0) / recent.length;
    return (60 * 1024) / meanTicks;
  }

  private sendNotification(rrTicks: number[]): void {
    if (this.link === null) return;
    const payload = encodeHeartRateMeasurement({ hrBpm: this.currentHrBpm(), rrTicks });
    const pdu = Uint8Array.from([
      ATT.HANDLE_VALUE_NOTIFICATION,
      H10_HANDLE.HEART_RATE_MEASUREMENT & 0xff,
      H10_HANDLE.HEART_RATE_MEASUREMENT >> 8,
      ...payload,
    ]);
    this.sent.push({ strapTimeMs: this.strapTimeMs, payload });
    this.journal({
      kind: 'notify',
      strapTimeMs: this.strapTimeMs,
      payload: Buffer.from(payload).toString('hex'),
      rrTicks: [...decodeRrTicks(payload)],
    });
    this.link.sendAtt(pdu);
  }
}

function decodeRrTicks(payload: Uint8Array): readonly number[] {
  const m = decodeHeartRateMeasurement(payload);
  return isHrmError(m) ? [] : m.rrTicks;
}
