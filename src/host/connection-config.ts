/**
 * The part of an outgoing connection's settings that MQTT (`--mqtt`) and the clinic database (`--clinic-db`) share:
 * a URL that must not hold a password (it would show in the process list and the log), and the user name, password
 * and TLS files from the environment or a JSON file whose paths are relative to the file itself. The environment
 * wins over the file, the file over the URL's user name. Every error names the option it is about.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export interface ConnectionNames {
  /** the option naming the URL, e.g. `--mqtt` */
  readonly option: string;
  /** the option naming the JSON file, e.g. `--mqtt-config` */
  readonly configOption: string;
  /** the file's key for the user name (`username` or `user`) */
  readonly userKey: string;
  /** the environment variables for the user name and the password */
  readonly userEnv: string;
  readonly passwordEnv: string;
  /** the error the caller throws, with the message given */
  readonly fail: (message: string) => Error;
}

/** The user name, password and TLS files, each present only when given somewhere. */
export interface ConnectionCredentials {
  readonly user?: string;
  readonly password?: string;
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  /** as the file says; undefined when it says nothing */
  readonly rejectUnauthorized?: boolean;
}

/** `url` parsed, checked for its scheme (one of `protocols`, e.g. `mqtt:`) and for a password, which is refused. */
export function parseConnectionUrl(
  url: string,
  names: ConnectionNames & {
    /** what a good URL looks like, after "expected" */
    readonly expected: string;
    readonly protocols: readonly string[];
  },
): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw names.fail(`${names.option}: expected ${names.expected}`);
  }
  if (!names.protocols.includes(parsed.protocol)) {
    throw names.fail(
      `${names.option}: the URL must start with ${names.protocols.map((p) => `${p}//`).join(' or ')}, not ${parsed.protocol}//`,
    );
  }
  if (parsed.password !== '') {
    throw names.fail(
      `${names.option}: the URL holds a password, which would show in the process list and the log: ` +
        `put it in ${names.passwordEnv} or in the ${names.configOption} file instead`,
    );
  }
  return parsed;
}

/** The credentials for `parsed` from the environment, the JSON file `configFile` (if any) and the URL's user name. */
export function connectionCredentials(
  parsed: URL,
  configFile: string | undefined,
  env: NodeJS.ProcessEnv,
  names: ConnectionNames,
): ConnectionCredentials {
  const fromUrl = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const file: ConfigFile = configFile === undefined ? {} : readConfigFile(configFile, names);
  const base = configFile === undefined ? process.cwd() : dirname(resolve(configFile));
  const pem = (key: 'ca' | 'cert' | 'key') => {
    const path = file[key] as string | undefined;
    if (path === undefined) return undefined;
    try {
      return readFileSync(resolve(base, path));
    } catch (err) {
      throw names.fail(`${names.configOption}: "${key}": cannot read ${path}: ${(err as Error).message}`);
    }
  };
  const user = nonEmpty(env[names.userEnv]) ?? (file[names.userKey] as string | undefined) ?? fromUrl;
  const password = nonEmpty(env[names.passwordEnv]) ?? (file.password as string | undefined);
  const ca = pem('ca');
  const cert = pem('cert');
  const key = pem('key');
  const rejectUnauthorized = file.rejectUnauthorized as boolean | undefined;
  return {
    ...(user === undefined ? {} : { user }),
    ...(password === undefined ? {} : { password }),
    ...(ca === undefined ? {} : { ca }),
    ...(cert === undefined ? {} : { cert }),
    ...(key === undefined ? {} : { key }),
    ...(rejectUnauthorized === undefined ? {} : { rejectUnauthorized }),
  };
}

/** The JSON file: one object of the user key, password, ca, cert, key (strings) and rejectUnauthorized (boolean). */
type ConfigFile = Record<string, string | boolean | undefined>;

function readConfigFile(path: string, names: ConnectionNames): ConfigFile {
  const { configOption, fail } = names;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw fail(`${configOption}: cannot read ${path}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw fail(`${configOption}: ${path} is not JSON (expected {"${names.userKey}": …, "password": …})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail(`${configOption}: ${path} must hold one JSON object`);
  }
  const known = new Set([names.userKey, 'password', 'ca', 'cert', 'key', 'rejectUnauthorized']);
  for (const [k, v] of Object.entries(value)) {
    if (!known.has(k)) throw fail(`${configOption}: ${path}: unknown key "${k.slice(0, 40)}"`);
    const want = k === 'rejectUnauthorized' ? 'boolean' : 'string';
    if (typeof v !== want) throw fail(`${configOption}: ${path}: "${k}" must be a ${want}`);
  }
  return value as ConfigFile;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
