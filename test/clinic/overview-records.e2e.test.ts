/**
 * The overview's clients from the clinic database: a real PostgreSQL (a throwaway cluster), rows written with SQL as
 * the tables' senders would leave them, the real overview process (`tableside clinic --clinic-db …`) and its API.
 * Then the bad inputs: the database down at start (a warning; the clients come once it is up) and a wrong password
 * (exit 2).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openClinicDb } from '../../src/clinic/pg.js';
import { migrateClinicDb } from '../../src/clinic/pg-schema.js';
import { type RunningDaemon, runCliResult, startDaemon, tempDir } from '../helpers/daemon-process.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { clusterSettings, type PgCluster, startPostgres } from '../helpers/postgres.js';

let cluster: PgCluster;
let b: Broker;
const dir = tempDir();
beforeAll(async () => {
  b = await startBroker(dir.path);
  cluster = await startPostgres();
  await cluster.createDatabase('clinic');
  const db = await openClinicDb(clusterSettings(cluster, 'clinic'));
  try {
    await migrateClinicDb(db);
    await db.query(`INSERT INTO clients VALUES ('uid-anna', 'Anna K', 'left shoulder', '2026-03-01T09:00:00Z',
      '2026-03-01T09:00:00Z', 'room-1'), ('uid-ben', 'Ben', '', '2026-03-01T09:00:00Z', '2026-03-01T09:00:00Z', 'room-2')`);
    // room-2 made "Anna K" while apart: its uid is the clinic's alias.
    await db.query(`INSERT INTO client_aliases VALUES ('uid-anna-room2', 'uid-anna')`);
    const session = (uid: string, table: string, day: string, shift: number, technique: string) =>
      db.query(
        `INSERT INTO sessions (uid, client_uid, table_name, stream, started_at, ended_at, status, source_kind,
          beat_count, last_beat_t_s, baseline_ln_rmssd, massage_shift_ln, massage_s, techniques, main_technique,
          synced_at)
          VALUES ($1, 'uid-anna', $2, 'client', $3, $4, 'ended', 'simulated', 3000, 3600, 3.5, $5, 1800, $6::jsonb, $7,
          now())`,
        [uid, table, `${day}T10:00:00Z`, `${day}T11:00:00Z`, shift, JSON.stringify([technique]), technique],
      );
    await session('store-a:7', 'room-1', '2026-03-02', 0.25, 'effleurage');
    await session('store-b:3', 'room-2', '2026-03-09', 0.15, 'petrissage');
    await db.query(
      `INSERT INTO readings VALUES ('uid-anna', 'k1', '2026-03-03T07:00:00', 'morning', 'phone', '', '[800, 810]'::jsonb,
        2, 40, $1, 60, 0, NULL, 'room-2', now())`,
      [Math.log(40)],
    );
  } finally {
    await db.close();
  }
}, 120_000);
afterAll(async () => {
  await cluster?.destroy();
  await b?.kill();
  dir.remove();
});

const running: RunningDaemon[] = [];
afterEach(() => {
  for (const d of running.splice(0)) d.child.kill('SIGKILL');
});

async function overview(env: NodeJS.ProcessEnv = cluster.env): Promise<RunningDaemon> {
  const d = await startDaemon(['clinic', '--mqtt', b.url, '--clinic-db', cluster.url('clinic')], env);
  running.push(d);
  return d;
}

async function get(url: string, path: string) {
  const response = await fetch(new URL(path, url));
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('tableside clinic --clinic-db (real PostgreSQL)', () => {
  it("lists the clinic's clients and shows one client's record from every room, also by a room's alias", async () => {
    const o = await overview();
    const health = await get(o.url, '/api/clinic/health');
    expect(health.body.database).toEqual({ shown: cluster.url('clinic'), state: 'ready' });
    const list = await get(o.url, '/api/clinic/clients');
    expect(list.status).toBe(200);
    expect(list.body.clients).toEqual([
      {
        uid: 'uid-anna',
        name: 'Anna K',
        sessions: 2,
        readings: 1,
        lastVisit: '2026-03-09T10:00:00.000Z',
        tables: ['room-1', 'room-2'],
      },
      { uid: 'uid-ben', name: 'Ben', sessions: 0, readings: 0, lastVisit: null, tables: [] },
    ]);
    for (const uid of ['uid-anna', 'uid-anna-room2']) {
      const record = await get(o.url, `/api/clinic/clients/${uid}`);
      expect(record.status).toBe(200);
      expect(record.body).toMatchObject({ source: 'clinic', client: { uid: 'uid-anna', name: 'Anna K' } });
      const sessions = record.body.sessions as { table: string; uid: string; massageShiftLn: number }[];
      expect(sessions.map((s) => [s.uid, s.table, s.massageShiftLn])).toEqual([
        ['store-a:7', 'room-1', 0.25],
        ['store-b:3', 'room-2', 0.15],
      ]);
      expect((record.body.readings as { table: string }[]).map((r) => r.table)).toEqual(['room-2']);
    }
    expect((await get(o.url, '/api/clinic/clients/uid-nobody')).status).toBe(404);
    expect((await get(o.url, '/api/clinic/clients/a%20b')).status).toBe(400);
    // The pages: the overview and a client's.
    for (const path of [
      '/',
      '/clients/uid-anna',
      '/clinic/client.js',
      '/clinic/clinic.css',
      '/vendor/uplot/uPlot.esm.js',
    ]) {
      expect((await fetch(new URL(path, o.url))).status, path).toBe(200);
    }
    // Only the overview's files of web/: not a table's pages.
    expect((await fetch(new URL('/index.html', o.url))).status).toBe(404);
    // Names are personal data: never in the log.
    expect(o.output()).not.toContain('Anna');
  }, 60_000);

  it('the database down at start is a warning: the live part runs, the clients come once it is up', async () => {
    await cluster.stop();
    try {
      const o = await overview();
      expect(o.output()).toMatch(/the clinic database cannot be reached/);
      expect((await get(o.url, '/api/clinic/health')).body.database).toMatchObject({ state: 'unreachable' });
      const refused = await get(o.url, '/api/clinic/clients');
      expect(refused.status).toBe(503);
      expect(refused.body).toMatchObject({ code: 'CLINIC_DB_UNAVAILABLE' });
      await cluster.start();
      const list = await get(o.url, '/api/clinic/clients');
      expect(list.status).toBe(200);
      expect((list.body.clients as unknown[]).length).toBe(2);
      expect((await get(o.url, '/api/clinic/health')).body.database).toMatchObject({ state: 'ready' });
    } finally {
      await cluster.start().catch(() => undefined);
    }
  }, 60_000);

  it('a wrong database password is a clear error at start (exit 2) that does not show it', async () => {
    const result = await runCliResult(
      ['clinic', '--mqtt', b.url, '--clinic-db', cluster.url('clinic'), '--port', '0'],
      {
        env: { ...cluster.env, TABLESIDE_CLINIC_DB_PASSWORD: 'not-the-password', TABLESIDE_LOG_LEVEL: 'warn' },
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`the clinic database ${cluster.url('clinic')} refused the user name or password`);
    expect(result.stdout + result.stderr).not.toContain('not-the-password');
    // A password in the URL is refused before anything is opened.
    const inUrl = await runCliResult(
      ['clinic', '--mqtt', b.url, '--clinic-db', `postgres://u:secret@127.0.0.1:${cluster.port}/clinic`, '--port', '0'],
      { env: { TABLESIDE_LOG_LEVEL: 'warn' } },
    );
    expect(inUrl.code).not.toBe(0);
    expect(inUrl.stderr).toMatch(/--clinic-db/);
  }, 60_000);
});
