/**
 * A virtual Bluetooth LE controller with virtual H10 straps in range: the far side of the HCI socket that noble's
 * hci-socket bindings talk to (ble.md §4.4–4.6). It answers noble's init sequence, scans (ADV_IND then SCAN_RSP, with
 * the H10's real bytes), connects and disconnects, carries ACL with L2CAP/ATT to the straps, and sends Number Of
 * Completed Packets for every host ACL packet so noble's flow control keeps going.
 *
 * Test knobs: adapter down/up, scanning refused, link loss with a reason code, and the straps' own knobs
 * (advertising, connections, CCCD behaviour, bursty delivery). Time: the straps run on a strap clock that follows
 * real time × `speed`, or only moves when `tick()` is called (`speed: 'manual'`). Everything the controller says
 * reaches the host asynchronously, never from inside the host's `write()`.
 */
import {
  ACL_CONTINUATION,
  ACL_START,
  ACL_START_NO_FLUSH,
  ADV_IND,
  aclPackets,
  addressBytes,
  advertisingReport,
  type ConnectionParameters,
  commandComplete,
  commandStatus,
  disconnectionComplete,
  HCI_ACLDATA_PKT,
  HCI_COMMAND_PKT,
  HCI_STATUS,
  L2CAP_CID_ATT,
  leConnectionComplete,
  numberOfCompletedPackets,
  OP,
  SCAN_RSP,
} from './hci.js';
import { VirtualH10, type VirtualH10Options } from './strap.js';

export type AdapterState =
  /** present and up */
  | 'up'
  /** present but down (`hciconfig hci0 down`, rfkill): noble reports poweredOff */
  | 'down'
  /** no adapter at all: creating the socket throws EAFNOSUPPORT, as on a machine without Bluetooth */
  | 'absent'
  /** every write fails with EPERM (no CAP_NET_RAW): noble reports unauthorized */
  | 'unauthorized';

export interface VirtualControllerOptions {
  /** the adapter's public address */
  readonly address: string;
  readonly adapter: AdapterState;
  /** HCI version from Read Local Version Information; below 6 (Bluetooth 4.0) noble says unsupported */
  readonly hciVersion: number;
  /** LE Set Scan Enable (on) answers Command Disallowed, as when another stack is scanning */
  readonly scanRefused: boolean;
  /** LE Read Buffer Size: ACL payload length and packet count */
  readonly aclBufferLength: number;
  readonly aclBufferCount: number;
  /** largest ACL payload the controller sends to the host; longer L2CAP frames are fragmented */
  readonly fragmentLength: number;
  /** wall time between advertising events of the straps (a pending connection completes at one), ms */
  readonly advertisingIntervalMs: number;
  /** strap time per wall time, or 'manual': the strap clock moves only on `tick()` / `advanceStrapTime()` */
  readonly speed: number | 'manual';
  /** the straps in range; one H10 when not given */
  readonly straps: readonly Partial<VirtualH10Options>[];
  /** keep a trace of every packet (hex), for debugging a test */
  readonly trace: boolean;
}

export const VIRTUAL_CONTROLLER_DEFAULTS: VirtualControllerOptions = {
  address: '00:1a:7d:da:71:13',
  adapter: 'up',
  hciVersion: 9,
  scanRefused: false,
  aclBufferLength: 27,
  aclBufferCount: 8,
  fragmentLength: 27,
  advertisingIntervalMs: 20,
  speed: 1,
  straps: [{}],
  trace: false,
};

/** Wall time between steps of the strap clock in real-time mode, ms. */
const CLOCK_STEP_MS = 10;
/**
 * Longest wall time one step counts, ms. A process that stalls (GC, a busy test machine) pauses the strap clock
 * instead of making it jump: a jump would send a burst of notifications whose beats ended long before they arrive,
 * which at speed 20 looks like seconds of missing beats to the beat timeline.
 */
const MAX_CLOCK_STEP_MS = 20;
/** The first connection handle handed out (Linux controllers often start around here). */
const FIRST_CONNECTION_HANDLE = 0x0040;
/** Manufacturer id reported by Read Local Version (0x05F1: The Linux Foundation, as for virtual controllers). */
const MANUFACTURER_ID = 0x05f1;

/** What the controller needs from the socket the host holds. */
export interface HostPort {
  deliver(packet: Buffer): void;
  fail(error: NodeJS.ErrnoException): void;
}

interface Connection {
  readonly handle: number;
  readonly strap: VirtualH10;
  /** an L2CAP frame being reassembled from host fragments */
  rx: { length: number; cid: number; data: Buffer } | null;
}

interface PendingConnection {
  readonly address: string;
  readonly addressType: 'public' | 'random';
  readonly params: ConnectionParameters;
}

export class VirtualController {
  readonly options: VirtualControllerOptions;
  readonly straps: readonly VirtualH10[];
  /** packets in both directions as hex (`>` host to controller, `<` controller to host) when `trace` is on */
  readonly traceLines: string[] = [];

  private adapter: AdapterState;
  private scanRefused: boolean;
  private host: HostPort | null = null;
  private started = false;
  private readonly startListeners: (() => void)[] = [];
  private closed = false;
  private scanning = false;
  private filterDuplicates = true;
  private readonly reported = new Set<string>();
  private pending: PendingConnection | null = null;
  private readonly connections = new Map<number, Connection>();
  private nextHandle = FIRST_CONNECTION_HANDLE;
  private outbox: Buffer[] = [];
  private flushScheduled: NodeJS.Immediate | null = null;
  private airTimer: NodeJS.Timeout | null = null;
  private clockTimer: NodeJS.Timeout | null = null;
  private lastClockWallMs = 0;
  private strapTime = 0;
  /** host ACL packets received, and host commands by opcode */
  readonly counters = { aclFromHost: 0, commands: new Map<number, number>() };

  constructor(options: Partial<VirtualControllerOptions> = {}) {
    this.options = { ...VIRTUAL_CONTROLLER_DEFAULTS, ...options };
    const speed = this.options.speed;
    if (speed !== 'manual' && !(speed > 0)) throw new RangeError(`speed must be > 0 or 'manual', got ${speed}`);
    this.adapter = this.options.adapter;
    this.scanRefused = this.options.scanRefused;
    this.straps = this.options.straps.map((s) => new VirtualH10(s));
  }

  /** the first strap */
  get strap(): VirtualH10 {
    return this.straps[0];
  }

  get adapterState(): AdapterState {
    return this.adapter;
  }

  get isScanning(): boolean {
    return this.scanning;
  }

  get connectionCount(): number {
    return this.connections.size;
  }

  get hasPendingConnection(): boolean {
    return this.pending !== null;
  }

  /** strap time since the controller started, ms */
  get strapTimeMs(): number {
    return this.strapTime;
  }

  // ── the socket side ────────────────────────────────────────────────────────────────────────────────────────────

  /** A socket was bound to this adapter: it is now the host. */
  bind(host: HostPort): void {
    if (this.closed) return;
    this.host = host;
    this.start();
  }

  isDevUp(host: HostPort): boolean {
    return host === this.host && !this.closed && (this.adapter === 'up' || this.adapter === 'unauthorized');
  }

  /** One packet written by the host. */
  fromHost(host: HostPort, packet: Buffer): void {
    if (host !== this.host || this.closed) return;
    if (this.adapter === 'unauthorized') {
      setImmediate(() => host.fail(errnoError('EPERM', 'Operation not permitted')));
      return;
    }
    if (this.adapter !== 'up') {
      setImmediate(() => host.fail(errnoError('ENETDOWN', 'Network is down')));
      return;
    }
    this.trace('>', packet);
    if (packet[0] === HCI_COMMAND_PKT) this.command(packet);
    else if (packet[0] === HCI_ACLDATA_PKT) this.aclFromHost(packet);
  }

  // ── knobs ──────────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Adapter down (as `hciconfig hci0 down`): links vanish without any event to the host, scanning stops, writes fail
   * with ENETDOWN; noble notices on its next 1 s `isDevUp()` poll. Up again: noble re-initialises on the same socket.
   */
  setAdapterUp(up: boolean): void {
    if (up) {
      if (this.adapter === 'down') this.adapter = 'up';
      return;
    }
    if (this.adapter !== 'up') return;
    this.adapter = 'down';
    for (const c of this.connections.values()) c.strap.disconnected(true);
    this.connections.clear();
    this.resetLinkLayer();
  }

  setScanRefused(refused: boolean): void {
    this.scanRefused = refused;
  }

  /**
   * The link to a strap ends from the strap's side or the air: Disconnection Complete with `reason` (0x08 supervision
   * timeout, 0x13 remote user terminated, 0x3B unacceptable parameters, …). `advertise: false` keeps the strap quiet
   * afterwards (taken off). Returns false when the strap was not connected.
   */
  dropLink(reason: number = HCI_STATUS.CONNECTION_TIMEOUT, options: { strap?: VirtualH10; advertise?: boolean } = {}) {
    const strap = options.strap ?? this.strap;
    const connection = [...this.connections.values()].find((c) => c.strap === strap);
    if (connection === undefined) return false;
    if (options.advertise !== undefined) strap.setAdvertising(options.advertise);
    this.endConnection(connection.handle, reason, true);
    return true;
  }

  /** Manual clock: advances the strap clock by `notifications` notification intervals of each strap. */
  tick(notifications = 1): void {
    for (const strap of this.straps) strap.advance(notifications * strap.options.notificationIntervalMs);
    this.strapTime += notifications * this.strap.options.notificationIntervalMs;
  }

  /** Advances the strap clock by `ms` of strap time. */
  advanceStrapTime(ms: number): void {
    for (const strap of this.straps) strap.advance(ms);
    this.strapTime += ms;
  }

  /** Stops every timer; the sockets bound to this controller go quiet. */
  close(): void {
    this.closed = true;
    if (this.airTimer) clearInterval(this.airTimer);
    if (this.clockTimer) clearInterval(this.clockTimer);
    if (this.flushScheduled) clearImmediate(this.flushScheduled);
    this.airTimer = this.clockTimer = this.flushScheduled = null;
    this.outbox = [];
    this.host = null;
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────────────────────

  /** Runs `fn` when a host first opens this adapter (at once if it already has). */
  whenStarted(fn: () => void): void {
    if (this.started) fn();
    else this.startListeners.push(fn);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    for (const fn of this.startListeners.splice(0)) fn();
    this.airTimer = setInterval(() => this.airEvent(), this.options.advertisingIntervalMs);
    this.airTimer.unref();
    const speed = this.options.speed;
    if (speed !== 'manual') {
      this.lastClockWallMs = performance.now();
      this.clockTimer = setInterval(() => {
        const now = performance.now();
        this.advanceStrapTime(Math.min(now - this.lastClockWallMs, MAX_CLOCK_STEP_MS) * speed);
        this.lastClockWallMs = now;
      }, CLOCK_STEP_MS);
      this.clockTimer.unref();
    }
  }

  private resetLinkLayer(): void {
    this.scanning = false;
    this.pending = null;
    this.reported.clear();
    this.outbox = [];
  }

  private toHost(packet: Buffer): void {
    if (this.closed) return;
    this.outbox.push(packet);
    if (this.flushScheduled === null) this.flushScheduled = setImmediate(() => this.flush());
  }

  /** One packet per event-loop turn, as a real socket delivers them (promises settle in between). */
  private flush(): void {
    this.flushScheduled = null;
    const packet = this.outbox.shift();
    if (packet === undefined || this.closed || this.adapter !== 'up' || this.host === null) return;
    if (this.outbox.length > 0) this.flushScheduled = setImmediate(() => this.flush());
    this.trace('<', packet);
    this.host.deliver(packet);
  }

  private trace(direction: '<' | '>', packet: Buffer): void {
    if (this.options.trace) this.traceLines.push(`${direction} ${packet.toString('hex')}`);
  }

  /** One advertising event of every strap: advertising reports while scanning, and a pending connection completes. */
  private airEvent(): void {
    if (this.adapter !== 'up') return;
    if (this.pending !== null) {
      const pending = this.pending;
      const strap = this.straps.find((s) => s.address === pending.address);
      if (strap?.acceptsConnections) this.completeConnection(strap, pending);
    }
    if (!this.scanning) return;
    for (const strap of this.straps) {
      if (!strap.isAdvertising) continue;
      if (this.filterDuplicates && this.reported.has(strap.address)) continue;
      this.reported.add(strap.address);
      const rssi = strap.options.rssi;
      this.toHost(advertisingReport(ADV_IND, 'random', strap.address, strap.advertisingData(), rssi));
      this.toHost(advertisingReport(SCAN_RSP, 'random', strap.address, strap.scanResponseData(), rssi));
    }
  }

  private completeConnection(strap: VirtualH10, pending: PendingConnection): void {
    this.pending = null;
    const handle = this.nextHandle;
    this.nextHandle = this.nextHandle >= 0x0eff ? FIRST_CONNECTION_HANDLE : this.nextHandle + 1;
    const connection: Connection = { handle, strap, rx: null };
    this.connections.set(handle, connection);
    this.toHost(leConnectionComplete(HCI_STATUS.SUCCESS, handle, pending.addressType, strap.address, pending.params));
    strap.connected({
      handle,
      sendAtt: (pdu) => {
        if (this.connections.get(handle) !== connection || this.adapter !== 'up') return;
        for (const p of aclPackets(handle, L2CAP_CID_ATT, pdu, this.options.fragmentLength)) this.toHost(p);
      },
    });
  }

  private endConnection(handle: number, reason: number, linkLost: boolean): void {
    const connection = this.connections.get(handle);
    if (connection === undefined) return;
    this.connections.delete(handle);
    connection.strap.disconnected(linkLost);
    this.toHost(disconnectionComplete(handle, reason));
  }

  private command(packet: Buffer): void {
    const op = packet.readUInt16LE(1);
    const params = packet.subarray(4, 4 + packet[3]);
    this.counters.commands.set(op, (this.counters.commands.get(op) ?? 0) + 1);
    const o = this.options;
    switch (op) {
      case OP.RESET:
        for (const c of this.connections.values()) c.strap.disconnected(true);
        this.connections.clear();
        this.resetLinkLayer();
        this.toHost(commandComplete(op, HCI_STATUS.SUCCESS));
        return;
      case OP.SET_EVENT_MASK:
      case OP.LE_SET_EVENT_MASK:
      case OP.WRITE_LE_HOST_SUPPORTED:
      case OP.LE_SET_SCAN_PARAMETERS:
      case OP.LE_SET_RANDOM_ADDRESS:
        this.toHost(commandComplete(op, HCI_STATUS.SUCCESS));
        return;
      case OP.READ_LOCAL_VERSION:
        // [hciVer, hciRev u16, lmpVer, manufacturer u16, lmpSubver u16]
        this.toHost(
          commandComplete(op, HCI_STATUS.SUCCESS, [
            o.hciVersion,
            0x00,
            0x01,
            o.hciVersion,
            MANUFACTURER_ID & 0xff,
            MANUFACTURER_ID >> 8,
            0x00,
            0x01,
          ]),
        );
        return;
      case OP.READ_LE_HOST_SUPPORTED:
        this.toHost(commandComplete(op, HCI_STATUS.SUCCESS, [0x01, 0x00]));
        return;
      case OP.LE_READ_BUFFER_SIZE:
        this.toHost(
          commandComplete(op, HCI_STATUS.SUCCESS, [o.aclBufferLength & 0xff, o.aclBufferLength >> 8, o.aclBufferCount]),
        );
        return;
      case OP.READ_BUFFER_SIZE:
        this.toHost(
          commandComplete(op, HCI_STATUS.SUCCESS, [
            o.aclBufferLength & 0xff,
            o.aclBufferLength >> 8,
            0,
            o.aclBufferCount,
            0,
            0,
            0,
          ]),
        );
        return;
      case OP.READ_BD_ADDR:
        this.toHost(commandComplete(op, HCI_STATUS.SUCCESS, addressBytes(o.address)));
        return;
      case OP.READ_SUPPORTED_COMMANDS:
        this.toHost(commandComplete(op, HCI_STATUS.SUCCESS, new Array(64).fill(0)));
        return;
      case OP.LE_SET_SCAN_ENABLE: {
        const enable = params[0] === 1;
        if (enable && this.scanRefused) {
          this.toHost(commandComplete(op, HCI_STATUS.COMMAND_DISALLOWED));
          return;
        }
        if (enable && !this.scanning) this.reported.clear();
        this.scanning = enable;
        this.filterDuplicates = params[1] === 1;
        this.toHost(commandComplete(op, HCI_STATUS.SUCCESS));
        return;
      }
      case OP.LE_CREATE_CONN: {
        if (this.pending !== null) {
          this.toHost(commandStatus(op, HCI_STATUS.COMMAND_DISALLOWED));
          return;
        }
        // scan interval u16, window u16, filter policy, peer address type, peer address (6), own address type,
        // min interval u16, max interval u16, latency u16, supervision timeout u16, min/max CE length u16
        const address = Array.from(params.subarray(6, 12))
          .reverse()
          .map((b) => b.toString(16).padStart(2, '0'))
          .join(':');
        this.pending = {
          address,
          addressType: params[5] === 1 ? 'random' : 'public',
          params: {
            intervalUnits: params.readUInt16LE(15),
            latency: params.readUInt16LE(17),
            timeoutUnits: params.readUInt16LE(19),
          },
        };
        this.toHost(commandStatus(op, HCI_STATUS.SUCCESS));
        return;
      }
      case OP.LE_CREATE_CONN_CANCEL: {
        const pending = this.pending;
        if (pending === null) {
          this.toHost(commandComplete(op, HCI_STATUS.COMMAND_DISALLOWED));
          return;
        }
        this.pending = null;
        this.toHost(commandComplete(op, HCI_STATUS.SUCCESS));
        this.toHost(
          leConnectionComplete(HCI_STATUS.UNKNOWN_CONNECTION_ID, 0, pending.addressType, pending.address, {
            intervalUnits: 0,
            latency: 0,
            timeoutUnits: 0,
          }),
        );
        return;
      }
      case OP.DISCONNECT: {
        const handle = params.readUInt16LE(0);
        if (!this.connections.has(handle)) {
          this.toHost(commandStatus(op, HCI_STATUS.UNKNOWN_CONNECTION_ID));
          return;
        }
        this.toHost(commandStatus(op, HCI_STATUS.SUCCESS));
        this.endConnection(handle, HCI_STATUS.LOCAL_HOST_TERMINATED, false);
        return;
      }
      case OP.READ_RSSI: {
        const handle = params.readUInt16LE(0);
        const connection = this.connections.get(handle);
        if (connection === undefined) {
          this.toHost(commandComplete(op, HCI_STATUS.UNKNOWN_CONNECTION_ID, [handle & 0xff, handle >> 8, 0]));
          return;
        }
        this.toHost(
          commandComplete(op, HCI_STATUS.SUCCESS, [handle & 0xff, handle >> 8, connection.strap.options.rssi & 0xff]),
        );
        return;
      }
      case OP.LE_CONN_UPDATE:
      case OP.LE_SET_PHY:
        this.toHost(commandStatus(op, HCI_STATUS.SUCCESS));
        return;
      default:
        this.toHost(commandStatus(op, HCI_STATUS.UNKNOWN_COMMAND));
    }
  }

  private aclFromHost(packet: Buffer): void {
    this.counters.aclFromHost++;
    const field = packet.readUInt16LE(1);
    const handle = field & 0x0fff;
    const boundary = (field >> 12) & 0b11;
    const data = packet.subarray(5, 5 + packet.readUInt16LE(3));
    const connection = this.connections.get(handle);
    // noble can still write on a handle after its Disconnection Complete: drop it (ble.md §4.5).
    if (connection === undefined) return;
    this.toHost(numberOfCompletedPackets(handle, 1));
    if (boundary === ACL_START_NO_FLUSH || boundary === ACL_START) {
      if (data.length < 4) return;
      connection.rx = { length: data.readUInt16LE(0), cid: data.readUInt16LE(2), data: Buffer.from(data.subarray(4)) };
    } else if (boundary === ACL_CONTINUATION) {
      if (connection.rx === null) return;
      connection.rx.data = Buffer.concat([connection.rx.data, data]);
    }
    const rx = connection.rx;
    if (rx === null || rx.data.length < rx.length) return;
    connection.rx = null;
    // Only ATT is served; signalling (CID 5) and SMP (CID 6) from the host are ignored.
    if (rx.cid === L2CAP_CID_ATT) connection.strap.att(new Uint8Array(rx.data.subarray(0, rx.length)));
  }
}

function errnoError(code: string, message: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(message);
  error.code = code;
  return error;
}
