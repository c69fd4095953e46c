/**
 * The table's live state on MQTT: a sink beside the viewers. It listens to what the daemon publishes to its viewers
 * (after the store has committed it) and never pushes anything back; the table records the same with the broker
 * gone, slow or refusing it.
 *
 *   tableside/v1/<table>/status            retained, QoS 1   online/offline (offline: the broker's last will)
 *   tableside/v1/<table>/<stream>/state    retained, QoS 1   strap state, battery, session running, recording
 *   tableside/v1/<table>/<stream>/metrics  not retained, QoS 0, at most once a second: HR, RMSSD, shift, quality
 *
 * With `--mqtt-discovery`, also Home Assistant's discovery configs for those topics, retained (./ha-discovery.ts).
 *
 * Tables and streams only: no client name, note, session label or source file name ever leaves the table.
 *
 * Never blocking: publishing happens only while connected and while the socket keeps up; metrics wait in a bounded
 * queue (the oldest dropped first), the retained topics are kept as their latest value only and all sent again after
 * every reconnect.
 */
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { DaemonObserver } from '../daemon/daemon.js';
import type { MetricsMessage, ServerMessage, StreamInfo } from '../viewers/protocol.js';
import { discoveryConfigs, discoveryTopics } from './ha-discovery.js';
import type { MqttSettings } from './mqtt-settings.js';
import { type MetricsPayload, type StatePayload, type StatusPayload, TOPIC_VERSION, topics } from './mqtt-topics.js';

export {
  type MetricsPayload,
  type StatePayload,
  type StatusPayload,
  TOPIC_ROOT,
  TOPIC_VERSION,
  topics,
} from './mqtt-topics.js';

/** At most one metrics message per stream per this many ms. */
export const METRICS_INTERVAL_MS = 1000;
/** Values are held back at most this long to keep to METRICS_INTERVAL_MS; later ones are skipped. */
export const METRICS_HOLD_MS = 250;
/** Metrics waiting for the broker beyond this many are dropped, the oldest first. */
export const MAX_QUEUED_METRICS = 64;
/** The outlet stops writing while the socket holds this many unsent bytes. */
const SOCKET_HIGH_WATER_BYTES = 256 * 1024;
const RECONNECT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;
/** seconds: the broker gives the table up (last will) after 1.5× this without a word */
const KEEPALIVE_S = 10;
const CLOSE_WAIT_MS = 1000;

/** What the outlet reads of the daemon: in-memory state only, never the store. */
export interface ObservedTable {
  readonly streams: readonly StreamInfo[];
  readonly isRecording: boolean;
  observe(listener: DaemonObserver): () => void;
}

interface Throttle {
  lastMs: number;
  pending: MetricsMessage | null;
  timer: NodeJS.Timeout | null;
}

export class MqttOutlet {
  private readonly client: MqttClient;
  private readonly table: string;
  private readonly unobserve: () => void;
  /** retained topics: their latest payload; `dirty`: not yet sent since it changed or since the last connect */
  private readonly retained = new Map<string, string>();
  private readonly dirty = new Set<string>();
  private readonly queue: { topic: string; payload: string }[] = [];
  private readonly throttles = new Map<string, Throttle>();
  private readonly battery = new Map<string, number | null>();
  private knownStreams = new Set<string>();
  private pumpTimer: NodeJS.Timeout | null = null;
  private everConnected = false;
  /** what was last said about the connection, so a broker that stays away is logged once, not every retry */
  private said: 'connected' | 'unreachable' | 'refused' | 'lost' | null = null;
  private closed = false;
  /** metrics dropped because the broker was away or slow */
  dropped = 0;
  /** messages handed to the broker */
  published = 0;

  constructor(
    private readonly settings: MqttSettings,
    private readonly daemon: ObservedTable,
    private readonly log: Logger,
  ) {
    this.table = settings.table;
    const options: IClientOptions = {
      clientId: `tableside-${settings.table}-${randomBytes(4).toString('hex')}`,
      clean: true,
      keepalive: KEEPALIVE_S,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      queueQoSZero: false,
      will: {
        topic: topics.status(settings.table),
        payload: Buffer.from(JSON.stringify(this.statusPayload(false))),
        qos: 1,
        retain: true,
      },
      rejectUnauthorized: settings.rejectUnauthorized,
      ...(settings.username === undefined ? {} : { username: settings.username }),
      ...(settings.password === undefined ? {} : { password: settings.password }),
      ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      ...(settings.cert === undefined ? {} : { cert: settings.cert }),
      ...(settings.key === undefined ? {} : { key: settings.key }),
    };
    this.refresh();
    this.unobserve = daemon.observe((stream, message) => {
      // It runs in the daemon's publishing turn: whatever goes wrong here stays here.
      try {
        this.observed(stream, message);
      } catch (err) {
        this.log.error({ err, stream }, 'the MQTT outlet failed on a message; the table goes on');
      }
    });
    this.client = connect(settings.url, options);
    this.client.on('connect', () => this.connected());
    this.client.on('error', (err) => this.failed(err));
    this.client.on('offline', () => this.offline());
  }

  get isConnected(): boolean {
    return this.client.connected;
  }

  /** Says `offline` (retained) and disconnects, waiting at most a second. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unobserve();
    for (const t of this.throttles.values()) if (t.timer) clearTimeout(t.timer);
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    const client = this.client;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true);
        resolve();
      }, CLOSE_WAIT_MS);
      const end = () =>
        client.end(false, {}, () => {
          clearTimeout(timer);
          resolve();
        });
      if (!client.connected) {
        end();
        return;
      }
      const payload = JSON.stringify(this.statusPayload(false));
      client.publish(topics.status(this.table), payload, { qos: 1, retain: true }, end);
    });
  }

  private observed(stream: string, message: ServerMessage | null): void {
    if (this.closed) return;
    if (message === null) {
      this.refresh();
      return;
    }
    switch (message.type) {
      case 'metrics':
        this.metrics(stream, message);
        return;
      case 'status':
        this.battery.set(stream, message.status.batteryPct ?? null);
        this.refresh();
        return;
      case 'session':
      case 'recording':
        this.refresh();
        return;
      default:
        // Beats, phases, markers (their words are the therapist's), readings (a client's id): not for the broker.
        return;
    }
  }

  /** Recomputes the retained topics from the daemon's state; those that changed are sent. */
  private refresh(): void {
    const streams = this.daemon.streams;
    this.setRetained(topics.status(this.table), this.statusPayload(true, streams));
    const now = new Set<string>();
    for (const s of streams) {
      now.add(s.id);
      const state: StatePayload = {
        v: TOPIC_VERSION,
        table: this.table,
        stream: s.id,
        kind: s.kind,
        demo: s.demo,
        state: s.state,
        batteryPct: this.battery.get(s.id) ?? null,
        session: s.sessionId !== null,
        recording: s.sessionId !== null && this.daemon.isRecording,
      };
      this.setRetained(topics.state(this.table, s.id), state);
    }
    const prefix = this.settings.discoveryPrefix;
    if (prefix !== undefined) {
      for (const [topic, config] of discoveryConfigs(prefix, this.table, [...now])) this.setRetained(topic, config);
    }
    // A removed stream: its retained state (and discovery configs) are cleared (an empty retained message).
    for (const gone of this.knownStreams) {
      if (now.has(gone)) continue;
      const cleared = [
        topics.state(this.table, gone),
        ...(prefix === undefined ? [] : discoveryTopics(prefix, this.table, gone)),
      ];
      for (const topic of cleared) {
        this.retained.set(topic, '');
        this.dirty.add(topic);
      }
      const t = this.throttles.get(gone);
      if (t?.timer) clearTimeout(t.timer);
      this.throttles.delete(gone);
      this.battery.delete(gone);
    }
    this.knownStreams = now;
    this.pump();
  }

  private statusPayload(online: boolean, streams?: readonly StreamInfo[]): StatusPayload {
    if (!online) return { v: TOPIC_VERSION, table: this.table, online: false };
    return {
      v: TOPIC_VERSION,
      table: this.table,
      online: true,
      streams: (streams ?? []).map((s) => s.id),
      recording: this.daemon.isRecording,
    };
  }

  private setRetained(topic: string, payload: object): void {
    const text = JSON.stringify(payload);
    if (this.retained.get(topic) === text) return;
    this.retained.set(topic, text);
    this.dirty.add(topic);
  }

  /**
   * At most one per stream per METRICS_INTERVAL_MS, the latest values each time, and never held back long: values
   * go at the end of the turn that brought them (the metrics of one notification's beats come together: the last of
   * them goes) when the last message went an interval ago; at the end of the interval when that is at most
   * METRICS_HOLD_MS away; otherwise they are skipped (the next notification's values are due within a second). A
   * strap notifies about once a second, never exactly: holding every early value to the end of the interval would
   * make values ever staler, by up to a second.
   */
  private metrics(stream: string, message: MetricsMessage): void {
    let t = this.throttles.get(stream);
    if (!t) {
      t = { lastMs: Number.NEGATIVE_INFINITY, pending: null, timer: null };
      this.throttles.set(stream, t);
    }
    const wait = Math.max(0, t.lastMs + METRICS_INTERVAL_MS - Date.now());
    if (wait > METRICS_HOLD_MS && t.timer === null) return;
    t.pending = message;
    if (t.timer) return;
    const throttle = t;
    t.timer = setTimeout(() => {
      throttle.timer = null;
      if (!this.closed) this.sendMetrics(stream, throttle);
    }, wait);
  }

  private sendMetrics(stream: string, t: Throttle): void {
    const m = t.pending;
    if (m === null) return;
    t.pending = null;
    t.lastMs = Date.now();
    const payload: MetricsPayload = {
      v: TOPIC_VERSION,
      table: this.table,
      stream,
      atMs: m.receivedAtMs,
      tS: m.tS,
      hrBpm: m.meanHrBpm,
      rmssdMs: m.rmssdMs,
      lnRmssd: m.lnRmssd,
      shift: m.shift?.verdict ?? null,
      quality: {
        settling: m.quality.settling,
        tooIrregular: m.quality.tooIrregular,
        correctedPct: m.quality.correctedPct,
        reason: m.quality.reason,
      },
    };
    this.queue.push({ topic: topics.metrics(this.table, stream), payload: JSON.stringify(payload) });
    while (this.queue.length > MAX_QUEUED_METRICS) {
      this.queue.shift();
      this.dropped += 1;
    }
    this.pump();
  }

  /** Hands what waits to the client while it is connected and its socket keeps up; otherwise tries again later. */
  private pump(): void {
    if (this.closed || !this.client?.connected) return;
    const client = this.client;
    const full = () => (client.stream?.writableLength ?? 0) > SOCKET_HIGH_WATER_BYTES;
    for (const topic of this.dirty) {
      if (full()) {
        this.pumpLater();
        return;
      }
      this.dirty.delete(topic);
      client.publish(topic, this.retained.get(topic) ?? '', { qos: 1, retain: true });
      this.published += 1;
      if (this.retained.get(topic) === '') this.retained.delete(topic);
    }
    while (this.queue.length > 0) {
      if (full()) {
        this.pumpLater();
        return;
      }
      const next = this.queue.shift() as { topic: string; payload: string };
      client.publish(next.topic, next.payload, { qos: 0, retain: false });
      this.published += 1;
    }
  }

  private pumpLater(): void {
    if (this.pumpTimer) return;
    this.pumpTimer = setTimeout(() => {
      this.pumpTimer = null;
      this.pump();
    }, 100);
  }

  private connected(): void {
    const again = this.everConnected;
    this.everConnected = true;
    this.said = 'connected';
    this.log.info(
      { broker: this.settings.shown, table: this.table },
      again ? 'MQTT broker back' : 'MQTT broker connected',
    );
    // A broker that restarted may have lost the retained topics: everything is said again.
    for (const topic of this.retained.keys()) this.dirty.add(topic);
    this.pump();
  }

  private failed(err: Error & { code?: string | number }): void {
    if (this.closed) return;
    const code = err.code;
    if (code === 4 || code === 5 || code === 134 || code === 135) {
      if (this.said === 'refused') return;
      this.said = 'refused';
      this.log.error(
        { broker: this.settings.shown, table: this.table, code },
        'the MQTT broker refused this table: wrong user name or password, or not authorised ' +
          '(TABLESIDE_MQTT_USERNAME / TABLESIDE_MQTT_PASSWORD or --mqtt-config); the table goes on recording alone',
      );
      return;
    }
    if (this.said === 'unreachable' || this.said === 'lost') return;
    this.said = 'unreachable';
    this.log.warn(
      { broker: this.settings.shown, table: this.table, reason: typeof code === 'string' ? code : err.message },
      `the MQTT broker cannot be reached: the table runs alone and tries again every ${RECONNECT_MS / 1000} s`,
    );
  }

  private offline(): void {
    if (this.closed || this.said !== 'connected') return;
    this.said = 'lost';
    this.log.warn(
      { broker: this.settings.shown, table: this.table },
      `lost the MQTT broker: the table goes on recording and tries again every ${RECONNECT_MS / 1000} s`,
    );
  }
}
