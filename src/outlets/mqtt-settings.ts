/**
 * Where a table publishes its live state (`--mqtt URL`) and how it proves who it is. The URL names the broker only:
 * a password in it would show in the process list and the log, so it is refused; the user name and password come
 * from the environment (TABLESIDE_MQTT_USERNAME, TABLESIDE_MQTT_PASSWORD) or a JSON file (`--mqtt-config FILE`), as
 * do the TLS files of an `mqtts://` broker. The log only ever sees `shown`: scheme, host and port.
 */
import { connectionCredentials, parseConnectionUrl } from '../host/connection-config.js';

export interface MqttSettings {
  /** the broker's URL without user name or password */
  readonly url: string;
  /** what the log may say of the broker: scheme, host and port */
  readonly shown: string;
  /** the table's name in the topic tree */
  readonly table: string;
  readonly username?: string;
  readonly password?: string;
  /** TLS (mqtts://): the broker's CA, and a client certificate and key, PEM */
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** false only when the config file says so (a broker with a certificate no CA vouches for) */
  readonly rejectUnauthorized: boolean;
  /** Home Assistant's discovery prefix when the table announces itself there (`--mqtt-discovery`), else undefined */
  readonly discoveryPrefix?: string;
}

/** Home Assistant's own default discovery prefix. */
export const DEFAULT_DISCOVERY_PREFIX = 'homeassistant';
/** A discovery prefix: one or more topic levels of letters, digits, "-" and "_" (no wildcard, no empty level). */
const DISCOVERY_PREFIX = /^[A-Za-z0-9_-]{1,64}(\/[A-Za-z0-9_-]{1,64}){0,7}$/;

/** A table's name: a single topic level (no `/`, `+` or `#`), plain enough for a URL and a log line. */
export const TABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export class MqttSettingsError extends Error {
  override readonly name = 'MqttSettingsError';
}

const NAMES = {
  option: '--mqtt',
  configOption: '--mqtt-config',
  userKey: 'username',
  userEnv: 'TABLESIDE_MQTT_USERNAME',
  passwordEnv: 'TABLESIDE_MQTT_PASSWORD',
  fail: (message: string) => new MqttSettingsError(message),
};

export function mqttSettings(input: {
  readonly url: string;
  readonly configFile?: string;
  readonly table?: string;
  /** `--mqtt-discovery`: true for Home Assistant's default prefix, or the prefix given */
  readonly discovery?: string | true;
  readonly env: NodeJS.ProcessEnv;
  readonly hostname: string;
}): MqttSettings {
  const parsed = parseConnectionUrl(input.url, {
    ...NAMES,
    expected: 'a broker URL such as mqtt://broker.local:1883 or mqtts://…:8883',
    protocols: ['mqtt:', 'mqtts:'],
  });
  const port = parsed.port || (parsed.protocol === 'mqtts:' ? '8883' : '1883');
  const shown = `${parsed.protocol}//${parsed.hostname}:${port}`;
  const {
    user: username,
    rejectUnauthorized,
    ...secrets
  } = connectionCredentials(parsed, input.configFile, input.env, NAMES);
  return {
    url: shown,
    shown,
    table: tableName(input.table, input.hostname),
    ...(username === undefined ? {} : { username }),
    ...secrets,
    rejectUnauthorized: rejectUnauthorized !== false,
    ...(input.discovery === undefined ? {} : { discoveryPrefix: discoveryPrefix(input.discovery) }),
  };
}

/** `--mqtt-discovery [prefix]`, checked: topic levels without wildcards, as Home Assistant's own setting takes. */
function discoveryPrefix(given: string | true): string {
  if (given === true) return DEFAULT_DISCOVERY_PREFIX;
  if (!DISCOVERY_PREFIX.test(given)) {
    throw new MqttSettingsError(
      `--mqtt-discovery ${JSON.stringify(given.slice(0, 70))}: the prefix is one or more topic levels of letters, ` +
        `digits, "-" and "_" separated by "/" (Home Assistant's default: ${DEFAULT_DISCOVERY_PREFIX})`,
    );
  }
  return given;
}

/** `--table`, checked; by default the machine's host name made into one topic level. */
export function tableName(given: string | undefined, hostname: string): string {
  if (given !== undefined) {
    if (!TABLE_NAME.test(given)) {
      throw new MqttSettingsError(
        `--table ${JSON.stringify(given.slice(0, 70))}: use letters, digits, "-" and "_" (up to 63, starting with a letter or digit)`,
      );
    }
    return given;
  }
  const name = (hostname.split('.')[0] ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 63);
  return TABLE_NAME.test(name) ? name : 'table';
}
