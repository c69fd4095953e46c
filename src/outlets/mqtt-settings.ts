/**
 * Where a table publishes its live state (`--mqtt URL`) and how it proves who it is. The URL names the broker only:
 * a password in it would show in the process list and the log, so it is refused; the user name and password come
 * from the environment (TABLESIDE_MQTT_USERNAME, TABLESIDE_MQTT_PASSWORD) or a JSON file (`--mqtt-config FILE`), as
 * do the TLS files of an `mqtts://` broker. The log only ever sees `shown`: scheme, host and port.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

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
}

/** The keys `--mqtt-config` may hold; file paths are relative to the file itself. */
export interface MqttConfigFile {
  username?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}

/** A table's name: a single topic level (no `/`, `+` or `#`), plain enough for a URL and a log line. */
export const TABLE_NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/;

export class MqttSettingsError extends Error {
  override readonly name = 'MqttSettingsError';
}

export function mqttSettings(input: {
  readonly url: string;
  readonly configFile?: string;
  readonly table?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly hostname: string;
}): MqttSettings {
  let parsed: URL;
  try {
    parsed = new URL(input.url);
  } catch {
    throw new MqttSettingsError('--mqtt: expected a broker URL such as mqtt://broker.local:1883 or mqtts://…:8883');
  }
  if (parsed.protocol !== 'mqtt:' && parsed.protocol !== 'mqtts:') {
    throw new MqttSettingsError(`--mqtt: the URL must start with mqtt:// or mqtts://, not ${parsed.protocol}//`);
  }
  if (parsed.password !== '') {
    throw new MqttSettingsError(
      '--mqtt: the URL holds a password, which would show in the process list and the log: ' +
        'put it in TABLESIDE_MQTT_PASSWORD or in the --mqtt-config file instead',
    );
  }
  const port = parsed.port || (parsed.protocol === 'mqtts:' ? '8883' : '1883');
  const shown = `${parsed.protocol}//${parsed.hostname}:${port}`;
  const fromUrl = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const file = input.configFile === undefined ? {} : readConfigFile(input.configFile);
  const base = input.configFile === undefined ? process.cwd() : dirname(resolve(input.configFile));
  const pem = (key: 'ca' | 'cert' | 'key') => {
    const path = file[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(resolve(base, path));
    } catch (err) {
      throw new MqttSettingsError(`--mqtt-config: "${key}": cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const username = nonEmpty(input.env.TABLESIDE_MQTT_USERNAME) ?? file.username ?? fromUrl;
  const password = nonEmpty(input.env.TABLESIDE_MQTT_PASSWORD) ?? file.password;
  const ca = pem('ca');
  const cert = pem('cert');
  const key = pem('key');
  return {
    url: shown,
    shown,
    table: tableName(input.table, input.hostname),
    ...(username === undefined ? {} : { username }),
    ...(password === undefined ? {} : { password }),
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    rejectUnauthorized: file.rejectUnauthorized !== false,
  };
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

function readConfigFile(path: string): MqttConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MqttSettingsError(`--mqtt-config: cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MqttSettingsError(`--mqtt-config: ${path} is not JSON (expected {"username": …, "password": …})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MqttSettingsError(`--mqtt-config: ${path} must hold one JSON object`);
  }
  const known = new Set(['username', 'password', 'ca', 'cert', 'key', 'rejectUnauthorized']);
  for (const [k, v] of Object.entries(value)) {
    if (!known.has(k)) throw new MqttSettingsError(`--mqtt-config: ${path}: unknown key "${k.slice(0, 40)}"`);
    const want = k === 'rejectUnauthorized' ? 'boolean' : 'string';
    if (typeof v !== want) throw new MqttSettingsError(`--mqtt-config: ${path}: "${k}" must be a ${want}`);
  }
  return value as MqttConfigFile;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
