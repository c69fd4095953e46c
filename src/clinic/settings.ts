/**
 * Where a table keeps its clinic records (`--clinic-db postgres://HOST[:PORT]/DBNAME`) and how it proves who it is.
 * The URL names the server and database only: a password in it would show in the process list and the log, so it is
 * refused. The user name and password come from the environment (TABLESIDE_CLINIC_DB_USER,
 * TABLESIDE_CLINIC_DB_PASSWORD) or a JSON file (`--clinic-db-config FILE`: user, password, ca, cert, key,
 * rejectUnauthorized; paths relative to the file); the environment wins over the file. With a CA or a client
 * certificate the connection is TLS. The log only ever sees `shown`: scheme, host, port and database.
 */
import { connectionCredentials, parseConnectionUrl } from '../host/connection-config.js';
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

export class ClinicSettingsError extends Error {
  override readonly name = 'ClinicSettingsError';
}

const NAMES = {
  option: '--clinic-db',
  configOption: '--clinic-db-config',
  userKey: 'user',
  userEnv: 'TABLESIDE_CLINIC_DB_USER',
  passwordEnv: 'TABLESIDE_CLINIC_DB_PASSWORD',
  fail: (message: string) => new ClinicSettingsError(message),
};

export function clinicDbSettings(input: {
  readonly url: string;
  readonly configFile?: string;
  readonly table?: string;
  readonly beats?: boolean;
  readonly env: NodeJS.ProcessEnv;
  readonly hostname: string;
}): ClinicDbSettings {
  const parsed = parseConnectionUrl(input.url, {
    ...NAMES,
    expected: 'a URL such as postgres://db.local:5432/clinic',
    protocols: ['postgres:', 'postgresql:'],
  });
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
  const { user, password, ca, cert, key, rejectUnauthorized } = connectionCredentials(
    parsed,
    input.configFile,
    input.env,
    NAMES,
  );
  const tls = ca !== undefined || cert !== undefined || key !== undefined || rejectUnauthorized !== undefined;
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
            rejectUnauthorized: rejectUnauthorized !== false,
          },
        }
      : {}),
    beats: input.beats === true,
  };
}
