/**
 * Where a table keeps its clinic records (`--clinic-db postgres://HOST[:PORT]/DBNAME`) and how it proves who it is.
 * The URL names the server and database only: a password in it would show in the process list and the log, so it is
 * refused. The user name and password come from the environment (TABLESIDE_CLINIC_DB_USER,
 * TABLESIDE_CLINIC_DB_PASSWORD) or a JSON file (`--clinic-db-config FILE`: user, password, ca, cert, key,
 * rejectUnauthorized; paths relative to the file); the environment wins over the file. With a CA or a client
 * certificate the connection is TLS. The log only ever sees `shown`: scheme, host, port and database.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { tableName } from '../outlets/mqtt-settings.js';

export interface ClinicDbSettings {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** what the log may say of the database: scheme://host:port/database */
  readonly shown: string;
  /** this table's name (the same `--table` as on MQTT) */
  readonly table: string;
  readonly user?: string;
  readonly password?: string;
  /** TLS: the server's CA, a client certificate and key (PEM); absent for a plain connection */
  readonly ssl?: { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean };
  /** send every beat of a finished session too (`--clinic-beats`) */
  readonly beats: boolean;
}

/** The keys `--clinic-db-config` may hold. */
export interface ClinicDbConfigFile {
  user?: string;
  password?: string;
  ca?: string;
  cert?: string;
  key?: string;
  rejectUnauthorized?: boolean;
}

export class ClinicSettingsError extends Error {
  override readonly name = 'ClinicSettingsError';
}

export function clinicDbSettings(input: {
  readonly url: string;
  readonly configFile?: string;
  readonly table?: string;
  readonly beats?: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly hostname: string;
}): ClinicDbSettings {
  let parsed: URL;
  try {
    parsed = new URL(input.url);
  } catch {
    throw new ClinicSettingsError('--clinic-db: expected a URL such as postgres://db.local:5432/clinic');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new ClinicSettingsError(
      `--clinic-db: the URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`,
    );
  }
  if (parsed.password !== '') {
    throw new ClinicSettingsError(
      '--clinic-db: the URL holds a password, which would show in the process list and the log: ' +
        'put it in TABLESIDE_CLINIC_DB_PASSWORD or in the --clinic-db-config file instead',
    );
  }
  if (parsed.hostname === '') throw new ClinicSettingsError('--clinic-db: the URL names no host');
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database === '' || database.includes('/')) {
    throw new ClinicSettingsError('--clinic-db: the URL must name one database: postgres://HOST[:PORT]/DBNAME');
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new ClinicSettingsError('--clinic-db: no query or fragment in the URL: TLS goes in --clinic-db-config');
  }
  const port = parsed.port === '' ? 5432 : Number(parsed.port);
  // An IPv6 literal keeps its brackets in URL.hostname; the driver wants it bare.
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  const shown = `${parsed.protocol}//${parsed.hostname}:${port}/${database}`;
  const fromUrl = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const file = input.configFile === undefined ? {} : readConfigFile(input.configFile);
  const base = input.configFile === undefined ? process.cwd() : dirname(resolve(input.configFile));
  const pem = (key: 'ca' | 'cert' | 'key') => {
    const path = file[key];
    if (path === undefined) return undefined;
    try {
      return readFileSync(resolve(base, path));
    } catch (err) {
      throw new ClinicSettingsError(`--clinic-db-config: "${key}": cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const user = nonEmpty(input.env.TABLESIDE_CLINIC_DB_USER) ?? file.user ?? fromUrl;
  const password = nonEmpty(input.env.TABLESIDE_CLINIC_DB_PASSWORD) ?? file.password;
  const ca = pem('ca');
  const cert = pem('cert');
  const key = pem('key');
  const tls = ca !== undefined || cert !== undefined || key !== undefined || file.rejectUnauthorized !== undefined;
  return {
    host,
    port,
    database,
    shown,
    table: tableName(input.table, input.hostname),
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(tls
      ? {
          ssl: {
            ...(ca === undefined ? {} : { ca }),
            ...(cert === undefined ? {} : { cert }),
            ...(key === undefined ? {} : { key }),
            rejectUnauthorized: file.rejectUnauthorized !== false,
          },
        }
      : {}),
    beats: input.beats === true,
  };
}

function readConfigFile(path: string): ClinicDbConfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ClinicSettingsError(`--clinic-db-config: cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ClinicSettingsError(`--clinic-db-config: ${path} is not JSON (expected {"user": …, "password": …})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ClinicSettingsError(`--clinic-db-config: ${path} must hold one JSON object`);
  }
  const known = new Set(['user', 'password', 'ca', 'cert', 'key', 'rejectUnauthorized']);
  for (const [k, v] of Object.entries(value)) {
    if (!known.has(k)) throw new ClinicSettingsError(`--clinic-db-config: ${path}: unknown key "${k.slice(0, 40)}"`);
    const want = k === 'rejectUnauthorized' ? 'boolean' : 'string';
    if (typeof v !== want) throw new ClinicSettingsError(`--clinic-db-config: ${path}: "${k}" must be a ${want}`);
  }
  return value as ClinicDbConfigFile;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
