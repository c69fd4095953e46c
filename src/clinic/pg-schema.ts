/**
 * The clinic database's schema (PostgreSQL), versioned like the SQLite store's: an ordered list of migrations, never
 * edited once shipped. Every table that connects runs `migrateClinicDb` under one transaction-scoped advisory lock,
 * so three tables starting at once apply each migration once; the version is kept in `tableside_schema`. A database
 * a newer tableside has migrated further is refused: an older table would write rows it does not understand.
 *
 * Uids, not local ids: a client's uid is made once by the table that created it; a session's uid is
 * '<store uid>:<local session id>' (content-derived, so sending it twice is one row); a reading is keyed by its
 * client and the store's `readingKey(at, rr)`, so the same reading from two rooms is one row.
 */
import type { ClinicQueryable } from './pg.js';

export interface ClinicMigration {
  /** the version the database has after it */
  readonly version: number;
  readonly what: string;
  readonly sql: string;
}

/** In order; never edit one that shipped — add the next. */
export const CLINIC_MIGRATIONS: readonly ClinicMigration[] = [
  {
    version: 1,
    what: 'clients, their aliases and tombstones, sessions with phases, markers and beats, readings, tables',
    sql: `
      CREATE TABLE clients (
        uid text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        note text NOT NULL DEFAULT '',
        created_at timestamptz NOT NULL,
        edited_at timestamptz NOT NULL,
        edited_by text NOT NULL
      );
      CREATE TABLE client_aliases (
        alias_uid text PRIMARY KEY,
        uid text NOT NULL REFERENCES clients ON DELETE CASCADE
      );
      CREATE INDEX client_aliases_uid ON client_aliases (uid);
      CREATE TABLE deleted_clients (uid text PRIMARY KEY, deleted_at timestamptz NOT NULL, deleted_by text NOT NULL);
      CREATE TABLE sessions (
        uid text PRIMARY KEY,
        client_uid text REFERENCES clients ON DELETE CASCADE,
        group_uid text REFERENCES sessions ON DELETE CASCADE,
        table_name text NOT NULL,
        stream text NOT NULL,
        started_at timestamptz NOT NULL,
        ended_at timestamptz,
        status text NOT NULL,
        source_kind text NOT NULL,
        device_name text,
        beat_count integer NOT NULL,
        last_beat_t_s double precision,
        baseline_ln_rmssd double precision,
        massage_shift_ln double precision,
        recovery_shift_ln double precision,
        massage_s double precision,
        techniques jsonb NOT NULL DEFAULT '[]',
        main_technique text,
        main_technique_set boolean NOT NULL DEFAULT false,
        summary jsonb,
        synced_at timestamptz NOT NULL
      );
      CREATE INDEX sessions_client ON sessions (client_uid, started_at);
      CREATE INDEX sessions_group ON sessions (group_uid);
      CREATE TABLE phases (
        session_uid text REFERENCES sessions ON DELETE CASCADE,
        local_id integer,
        kind text NOT NULL,
        started_at_s double precision NOT NULL,
        ended_at_s double precision,
        PRIMARY KEY (session_uid, local_id)
      );
      CREATE TABLE markers (
        session_uid text REFERENCES sessions ON DELETE CASCADE,
        local_id integer,
        at_s double precision NOT NULL,
        kind text NOT NULL,
        value text NOT NULL,
        undone boolean NOT NULL,
        PRIMARY KEY (session_uid, local_id)
      );
      CREATE TABLE beats (
        session_uid text REFERENCES sessions ON DELETE CASCADE,
        seq integer,
        t_s double precision NOT NULL,
        rr_ms double precision NOT NULL,
        gap_before boolean NOT NULL,
        kind text,
        flags integer NOT NULL,
        PRIMARY KEY (session_uid, seq)
      );
      CREATE TABLE readings (
        client_uid text NOT NULL REFERENCES clients ON DELETE CASCADE,
        content_key text NOT NULL,
        at text NOT NULL,
        kind text NOT NULL,
        source text NOT NULL,
        tags text NOT NULL,
        rr_ms jsonb NOT NULL,
        beats integer NOT NULL,
        rmssd_ms double precision,
        ln_rmssd double precision,
        mean_hr_bpm double precision,
        corrected_pct double precision NOT NULL,
        reason text,
        table_name text NOT NULL,
        imported_at timestamptz NOT NULL,
        PRIMARY KEY (client_uid, content_key)
      );
      CREATE INDEX readings_client ON readings (client_uid, at);
      CREATE TABLE tables (name text PRIMARY KEY, store_uid text NOT NULL, last_sync_at timestamptz);
    `,
  },
];

export const CLINIC_SCHEMA_VERSION = CLINIC_MIGRATIONS[CLINIC_MIGRATIONS.length - 1].version;

/** The advisory lock every tableside takes to migrate: 'tbls' as a number, like the SQLite file's application id. */
export const CLINIC_MIGRATION_LOCK = 0x74626c73;

export class ClinicSchemaError extends Error {
  override readonly name = 'ClinicSchemaError';
}

/**
 * Brings the clinic database to CLINIC_SCHEMA_VERSION in one transaction. Returns the version found and the version
 * left. Throws ClinicSchemaError for a database at a newer version than this tableside knows.
 */
export async function migrateClinicDb(db: ClinicQueryable): Promise<{ from: number; to: number }> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CLINIC_MIGRATION_LOCK]);
    await tx.query('CREATE TABLE IF NOT EXISTS tableside_schema (version integer NOT NULL)');
    const rows = await tx.query<{ version: number }>('SELECT version FROM tableside_schema');
    if (rows.length > 1) throw new ClinicSchemaError('the clinic database: tableside_schema holds more than one row');
    const from = rows[0]?.version ?? 0;
    if (rows.length === 0) await tx.query('INSERT INTO tableside_schema (version) VALUES (0)');
    if (from > CLINIC_SCHEMA_VERSION) {
      throw new ClinicSchemaError(
        `the clinic database is at schema version ${from}, newer than this tableside knows ` +
          `(${CLINIC_SCHEMA_VERSION}): update tableside on this table`,
      );
    }
    for (const m of CLINIC_MIGRATIONS) {
      if (m.version <= from) continue;
      await tx.query(m.sql);
      await tx.query('UPDATE tableside_schema SET version = $1', [m.version]);
    }
    return { from, to: Math.max(from, CLINIC_SCHEMA_VERSION) };
  });
}
