/**
 * The clinic overview's side of PostgreSQL: the clients' list and each client's record across rooms, through the
 * records reader (./records.ts). The overview brings the schema to its version at start (as every table does, under
 * the same lock), so it works before any table has synced; a database that cannot be reached then is tried again at
 * the next request. What the database answers is kept as `state` for /api/clinic/health and the page.
 */
import { type ClinicDb, ClinicDbError } from './pg.js';
import { ClinicSchemaError, migrateClinicDb } from './pg-schema.js';
import { type ClinicClientListing, type ClinicClientRecord, clinicClientRecord, clinicClients } from './records.js';
import type { DatabaseState } from './shapes.js';

export class ClinicDirectory {
  state: DatabaseState = 'connecting';
  private migrated = false;

  constructor(private readonly db: ClinicDb) {}

  get shown(): string {
    return this.db.shown;
  }

  /**
   * Brings the schema to this version. Resolves with the state: `ready`, or `unreachable` (tried again later);
   * throws ClinicDbError (`credentials`, `no-database`) and ClinicSchemaError (a newer schema): those do not fix
   * themselves.
   */
  async start(): Promise<DatabaseState> {
    try {
      await this.ready();
    } catch (err) {
      if (err instanceof ClinicDbError && err.failure === 'unreachable') return this.state;
      throw err;
    }
    return this.state;
  }

  async clients(): Promise<ClinicClientListing[]> {
    return this.reading(() => clinicClients(this.db));
  }

  /** The client's record from every room; undefined when the clinic has no client (nor alias) by that uid. */
  async record(uid: string, options: { today?: string } = {}): Promise<ClinicClientRecord | undefined> {
    return this.reading(() =>
      clinicClientRecord(this.db, uid, options.today === undefined ? {} : { today: options.today }),
    );
  }

  close(): Promise<void> {
    return this.db.close();
  }

  private async ready(): Promise<void> {
    if (this.migrated) return;
    try {
      await migrateClinicDb(this.db);
      this.migrated = true;
      this.state = 'ready';
    } catch (err) {
      this.state = stateOf(err);
      throw err;
    }
  }

  private async reading<T>(read: () => Promise<T>): Promise<T> {
    await this.ready();
    try {
      const value = await read();
      this.state = 'ready';
      return value;
    } catch (err) {
      this.state = stateOf(err);
      throw err;
    }
  }
}

function stateOf(err: unknown): DatabaseState {
  if (err instanceof ClinicSchemaError) return 'schema';
  if (!(err instanceof ClinicDbError)) return 'failed';
  if (err.failure === 'unreachable') return 'unreachable';
  if (err.failure === 'credentials') return 'refused';
  return 'failed';
}
