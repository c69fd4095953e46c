/**
 * The one module that loads `pg`, and only when a table is given `--clinic-db`: a table without it never loads the
 * driver. A small pool (the sender and the lookups share it), queries returning plain rows, and transactions.
 *
 * Errors say what went wrong in the user's terms and name the database by its `shown` form only (scheme, host,
 * port, database): never the user name or password. An idle connection the server drops (a restart) is logged by
 * the caller through `onIdleError`, not thrown: the next query opens a fresh one.
 */
import type { Pool, PoolClient, PoolConfig } from 'pg';
import type { ClinicDbSettings } from './settings.js';

export interface ClinicTx {
  query<R = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<R[]>;
}

export interface ClinicQueryable extends ClinicTx {
  /** runs `fn` in one transaction: committed when it resolves, rolled back when it throws */
  transaction<T>(fn: (tx: ClinicTx) => Promise<T>): Promise<T>;
}

export interface ClinicDb extends ClinicQueryable {
  readonly shown: string;
  close(): Promise<void>;
}

/** Why the clinic database could not be used. */
export type ClinicDbFailure = 'unreachable' | 'credentials' | 'no-database' | 'other';

export class ClinicDbError extends Error {
  override readonly name = 'ClinicDbError';
  constructor(
    message: string,
    readonly failure: ClinicDbFailure,
  ) {
    super(message);
  }
}

export interface OpenOptions {
  /** connections at most (default 2: the sender and one lookup) */
  readonly max?: number;
  /** how long a connection attempt may take (default 5 s) */
  readonly connectTimeoutMs?: number;
  /** an idle connection failed (the server went away); the pool drops it */
  readonly onIdleError?: (err: ClinicDbError) => void;
}

/** Opens a pool (no connection yet: the first query connects). */
export async function openClinicDb(settings: ClinicDbSettings, options: OpenOptions = {}): Promise<ClinicDb> {
  const pg = (await import('pg')).default;
  const config: PoolConfig = {
    host: settings.host,
    port: settings.port,
    database: settings.database,
    max: options.max ?? 2,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 5000,
    idleTimeoutMillis: 10_000,
    keepAlive: true,
    // A query the server never answers (a network that drops packets) fails instead of holding the sender.
    query_timeout: 60_000,
    application_name: `tableside ${settings.table}`.slice(0, 63),
    ...(settings.user === undefined ? {} : { user: settings.user }),
    ...(settings.password === undefined ? {} : { password: settings.password }),
    ...(settings.ssl === undefined ? {} : { ssl: settings.ssl }),
  };
  const pool: Pool = new pg.Pool(config);
  pool.on('error', (err) => options.onIdleError?.(clinicDbError(err, settings.shown)));
  const run = async <R>(client: Pool | PoolClient, sql: string, params?: readonly unknown[]): Promise<R[]> => {
    try {
      const result = await client.query(sql, params as unknown[] | undefined);
      return result.rows as R[];
    } catch (err) {
      throw clinicDbError(err, settings.shown);
    }
  };
  return {
    shown: settings.shown,
    query: (sql, params) => run(pool, sql, params),
    async transaction(fn) {
      let client: PoolClient;
      try {
        client = await pool.connect();
      } catch (err) {
        throw clinicDbError(err, settings.shown);
      }
      let broken: unknown;
      try {
        await run(client, 'BEGIN');
        const value = await fn({ query: (sql, params) => run(client, sql, params) });
        await run(client, 'COMMIT');
        return value;
      } catch (err) {
        broken = err;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        // A connection that failed mid-transaction is not given back to the pool to be reused.
        client.release(broken instanceof ClinicDbError && broken.failure === 'unreachable' ? true : undefined);
      }
    },
    close: () => pool.end(),
  };
}

/** What a driver or network error means here, without credentials. Errors already made here pass through. */
export function clinicDbError(err: unknown, shown: string): ClinicDbError {
  if (err instanceof ClinicDbError) return err;
  const e = err as { code?: string; message?: string };
  const code = typeof e?.code === 'string' ? e.code : '';
  const message = typeof e?.message === 'string' ? e.message : String(err);
  // 28P01 invalid_password, 28000 invalid_authorization_specification (no such role, pg_hba refuses)
  if (code === '28P01' || code === '28000') {
    return new ClinicDbError(
      `the clinic database ${shown} refused the user name or password ` +
        '(TABLESIDE_CLINIC_DB_USER / TABLESIDE_CLINIC_DB_PASSWORD or the --clinic-db-config file)',
      'credentials',
    );
  }
  if (code === '3D000')
    return new ClinicDbError(`the clinic database ${shown} does not exist on that server`, 'no-database');
  if (
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENETUNREACH',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EPIPE',
    ].includes(code) ||
    // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now (starting up or shutting down)
    code.startsWith('57P') ||
    code.startsWith('08') ||
    /timeout|terminated|Connection terminated|not queryable|ended/i.test(message)
  ) {
    return new ClinicDbError(`the clinic database ${shown} is unreachable (${code || message})`, 'unreachable');
  }
  return new ClinicDbError(`the clinic database ${shown}: ${message}${code ? ` (${code})` : ''}`, 'other');
}
