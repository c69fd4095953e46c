/**
 * The clinic overview's MQTT client: subscribes to the whole tree (`tableside/v1/#`, QoS 1: the retained status and
 * states arrive at once, and after every reconnect), checks every message (./messages.ts) and hands the good ones to
 * the overview; a malformed one is ignored and counted by reason, and logged at debug with its topic, never its
 * payload. The broker going away never stops the overview: it tries again every 2 s and says when it is back.
 */
import { randomBytes } from 'node:crypto';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { MqttSettings } from '../outlets/mqtt-settings.js';
import { TOPIC_ROOT } from '../outlets/mqtt-topics.js';
import { checkMessage } from './messages.js';
import type { ClinicOverview } from './overview.js';
import type { BrokerState } from './shapes.js';

const RECONNECT_MS = 2000;
const CONNECT_TIMEOUT_MS = 5000;
const KEEPALIVE_S = 10;

export class ClinicSubscriber {
  private readonly client: MqttClient;
  private closed = false;
  private everConnected = false;
  state: BrokerState = 'connecting';
  private readonly waiting = new Set<() => void>();

  constructor(
    private readonly settings: MqttSettings,
    private readonly overview: ClinicOverview,
    private readonly log: Logger,
  ) {
    const options: IClientOptions = {
      clientId: `tableside-clinic-${randomBytes(4).toString('hex')}`,
      clean: true,
      keepalive: KEEPALIVE_S,
      reconnectPeriod: RECONNECT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      rejectUnauthorized: settings.rejectUnauthorized,
      ...(settings.username === undefined ? {} : { username: settings.username }),
      ...(settings.password === undefined ? {} : { password: settings.password }),
      ...(settings.ca === undefined ? {} : { ca: settings.ca }),
      ...(settings.cert === undefined ? {} : { cert: settings.cert }),
      ...(settings.key === undefined ? {} : { key: settings.key }),
    };
    this.client = connect(settings.url, options);
    this.client.on('connect', () => this.connected());
    this.client.on('error', (err) => this.failed(err));
    this.client.on('offline', () => this.offline());
    this.client.on('message', (topic, payload) => this.received(topic, payload));
  }

  get shown(): string {
    return this.settings.shown;
  }

  /**
   * Resolves with the broker's first answer (connected, refused, unreachable), or `connecting` after `timeoutMs`:
   * the start says what it found and goes on whatever it is.
   */
  firstAnswer(timeoutMs: number): Promise<BrokerState> {
    if (this.state !== 'connecting') return Promise.resolve(this.state);
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiting.delete(done);
        resolve(this.state);
      };
      const timer = setTimeout(done, timeoutMs);
      this.waiting.add(done);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await new Promise<void>((resolve) => this.client.end(true, {}, () => resolve()));
  }

  private answered(state: BrokerState): void {
    this.state = state;
    for (const done of [...this.waiting]) done();
  }

  private received(topic: string, payload: Buffer): void {
    const checked = checkMessage(topic, payload);
    if (!checked.ok) {
      this.overview.countMalformed(checked.reason);
      // The topic only: a payload that is not what the tree says could hold anything.
      this.log.debug(
        { topic: topic.slice(0, 200), reason: checked.reason, detail: checked.detail },
        'malformed message ignored',
      );
      return;
    }
    try {
      this.overview.apply(checked.message);
    } catch (err) {
      this.log.error({ err, topic: topic.slice(0, 200) }, 'the overview failed on a message; it goes on');
    }
  }

  private connected(): void {
    const again = this.everConnected;
    this.everConnected = true;
    this.client.subscribe(`${TOPIC_ROOT}/#`, { qos: 1 }, (err) => {
      if (err && !this.closed)
        this.log.error({ err, broker: this.settings.shown }, 'could not subscribe to the tables');
    });
    this.log.info({ broker: this.settings.shown }, again ? 'MQTT broker back' : 'MQTT broker connected');
    this.answered('connected');
  }

  private failed(err: Error & { code?: string | number }): void {
    if (this.closed) return;
    const code = err.code;
    if (code === 4 || code === 5 || code === 134 || code === 135) {
      if (this.state === 'refused') return;
      this.log.error(
        { broker: this.settings.shown, code },
        'the MQTT broker refused the overview: wrong user name or password, or not authorised ' +
          '(TABLESIDE_MQTT_USERNAME / TABLESIDE_MQTT_PASSWORD or --mqtt-config)',
      );
      this.answered('refused');
      return;
    }
    if (this.state === 'unreachable' || this.state === 'lost') return;
    this.log.warn(
      { broker: this.settings.shown, reason: typeof code === 'string' ? code : err.message },
      `the MQTT broker cannot be reached: the overview shows no live table until it can, and tries again every ${RECONNECT_MS / 1000} s`,
    );
    this.answered('unreachable');
  }

  private offline(): void {
    if (this.closed) return;
    if (this.state === 'connected') {
      this.log.warn(
        { broker: this.settings.shown },
        `lost the MQTT broker: the tables shown are as last heard; trying again every ${RECONNECT_MS / 1000} s`,
      );
      this.answered('lost');
    } else if (this.state === 'connecting') {
      // Gone before any answer (connection refused at the socket): unreachable, said once by `failed` or here.
      this.log.warn(
        { broker: this.settings.shown },
        `the MQTT broker cannot be reached: the overview shows no live table until it can, and tries again every ${RECONNECT_MS / 1000} s`,
      );
      this.answered('unreachable');
    }
  }
}
