/**
 * The clinic database's migrations on a real PostgreSQL cluster: a fresh database gets every table of the schema,
 * tables starting at once migrate it once, a newer database is refused, and the driver's failures read clearly.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClinicDbError, openClinicDb } from '../../src/clinic/pg.js';
import { CLINIC_SCHEMA_VERSION, ClinicSchemaError, migrateClinicDb } from '../../src/clinic/pg-schema.js';
import { freePort } from '../helpers/free-port.js';
import { clusterSettings, type PgCluster, startPostgres } from '../helpers/postgres.js';

let cluster: PgCluster;
beforeAll(async () => {
  cluster = await startPostgres();
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
});

/** The tables and columns the README's schema names (written here by hand, not read from the code). */
const EXPECTED: Record<string, string[]> = {
  clients: ['uid', 'name', 'note', 'created_at', 'edited_at', 'edited_by'],
  client_aliases: ['alias_uid', 'uid'],
  deleted_clients: ['uid', 'deleted_at', 'deleted_by'],
  sessions: [
    'uid',
    'client_uid',
    'group_uid',
    'table_name',
    'stream',
    'started_at',
    'ended_at',
    'status',
    'source_kind',
    'device_name',
    'beat_count',
    'last_beat_t_s',
    'baseline_ln_rmssd',
    'massage_shift_ln',
    'recovery_shift_ln',
    'massage_s',
    'techniques',
    'main_technique',
    'main_technique_set',
    'summary',
    'synced_at',
  ],
  phases: ['session_uid', 'local_id', 'kind', 'started_at_s', 'ended_at_s'],
  markers: ['session_uid', 'local_id', 'at_s', 'kind', 'value', 'undone'],
  beats: ['session_uid', 'seq', 't_s', 'rr_ms', 'gap_before', 'kind', 'flags'],
  readings: [
    'client_uid',
    'content_key',
    'at',
    'kind',
    'source',
    'tags',
    'rr_ms',
    'beats',
    'rmssd_ms',
    'ln_rmssd',
    'mean_hr_bpm',
    'corrected_pct',
    'reason',
    'table_name',
    'imported_at',
  ],
  tables: ['name', 'store_uid', 'last_sync_at'],
  tableside_schema: ['version'],
};

describe('the clinic database schema', () => {
  it('migrates a fresh database to every table and column of the schema, and again is a no-op', async () => {
    await cluster.createDatabase('fresh');
    const db = await openClinicDb(clusterSettings(cluster, 'fresh'));
    try {
      expect(await migrateClinicDb(db)).toEqual({ from: 0, to: CLINIC_SCHEMA_VERSION });
      const columns = await cluster.psql(
        'fresh',
        `SELECT table_name || '.' || column_name FROM information_schema.columns WHERE table_schema = 'public'`,
      );
      const found: Record<string, string[]> = {};
      for (const line of columns.split('\n')) {
        const [table, column] = line.split('.');
        found[table] = [...(found[table] ?? []), column];
      }
      for (const [table, cols] of Object.entries(EXPECTED)) expect(new Set(found[table]), table).toEqual(new Set(cols));
      expect(Object.keys(found).sort()).toEqual(Object.keys(EXPECTED).sort());
      expect(await cluster.psql('fresh', 'SELECT version FROM tableside_schema')).toBe(String(CLINIC_SCHEMA_VERSION));
      expect(await migrateClinicDb(db)).toEqual({ from: CLINIC_SCHEMA_VERSION, to: CLINIC_SCHEMA_VERSION });
      expect(await cluster.psql('fresh', 'SELECT count(*) FROM tableside_schema')).toBe('1');
    } finally {
      await db.close();
    }
  });

  it('three tables starting at once migrate it once, all succeeding', async () => {
    await cluster.createDatabase('race');
    const dbs = await Promise.all(
      ['room-1', 'room-2', 'room-3'].map((t) => openClinicDb(clusterSettings(cluster, 'race', t))),
    );
    try {
      const results = await Promise.all(dbs.map((db) => migrateClinicDb(db)));
      expect(results.filter((r) => r.from === 0)).toHaveLength(1);
      expect(results.filter((r) => r.from === CLINIC_SCHEMA_VERSION)).toHaveLength(2);
      expect(await cluster.psql('race', "SELECT count(*) || ' ' || max(version) FROM tableside_schema")).toBe(
        `1 ${CLINIC_SCHEMA_VERSION}`,
      );
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });

  it('refuses a database a newer tableside has migrated, and changes nothing in it', async () => {
    await cluster.createDatabase('newer');
    await cluster.psql('newer', 'CREATE TABLE tableside_schema (version integer NOT NULL)');
    await cluster.psql('newer', 'INSERT INTO tableside_schema VALUES (99)');
    const db = await openClinicDb(clusterSettings(cluster, 'newer'));
    try {
      const attempt = migrateClinicDb(db);
      await expect(attempt).rejects.toThrow(ClinicSchemaError);
      await expect(attempt).rejects.toThrow(/schema version 99, newer than this tableside knows/);
      expect(await cluster.psql('newer', `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`)).toBe('1');
    } finally {
      await db.close();
    }
  });

  it('says a wrong password is refused, without the password, and an unreachable server is unreachable', async () => {
    await cluster.createDatabase('auth');
    const wrong = await openClinicDb({ ...clusterSettings(cluster, 'auth'), password: 'not-the-password' });
    try {
      const err = await migrateClinicDb(wrong).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClinicDbError);
      expect((err as ClinicDbError).failure).toBe('credentials');
      expect((err as Error).message).toMatch(/refused the user name or password/);
      expect((err as Error).message).toContain(`postgres://127.0.0.1:${cluster.port}/auth`);
      expect((err as Error).message).not.toContain('not-the-password');
    } finally {
      await wrong.close();
    }
    const closedPort = await freePort();
    const nowhere = await openClinicDb({ ...clusterSettings(cluster, 'auth'), port: closedPort });
    try {
      const err = await nowhere.query('SELECT 1').catch((e: unknown) => e);
      expect((err as ClinicDbError).failure).toBe('unreachable');
    } finally {
      await nowhere.close();
    }
    const missing = await openClinicDb(clusterSettings(cluster, 'no_such_db'));
    try {
      const err = await missing.query('SELECT 1').catch((e: unknown) => e);
      expect((err as ClinicDbError).failure).toBe('no-database');
    } finally {
      await missing.close();
    }
  });
});
