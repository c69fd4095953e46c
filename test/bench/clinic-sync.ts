/**
 * The clinic database's catch-up: a table holding 100 finished one-hour sessions (10 clients, 10 sessions each,
 * ~3,900 beats, three phases and two markers per session) turns its outbox on and sends them all to a real
 * PostgreSQL (a throwaway cluster on this machine, fsync on as a real server runs it): once with the values,
 * summaries, phases and markers (the default), once more into a fresh database with every beat (`--clinic-beats`).
 * Time from the sender's start to an empty outbox; rows/s counts every row written to the clinic's tables.
 *
 * Target: a table that was offline for a clinic's fortnight (~100 sessions) is caught up within a minute with its
 * beats, and within 30 s without; the table records meanwhile (the sender reads between the daemon's batches).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { type ClinicDb, openClinicDb } from '../../src/clinic/pg.js';
import { ClinicSync } from '../../src/clinic/sync.js';
import type { BeatEvent } from '../../src/domain/events.js';
import { createClient } from '../../src/store/clients.js';
import { SessionStore } from '../../src/store/session-store.js';
import { tempDir } from '../helpers/daemon-process.js';
import { clusterSettings, type PgCluster, startPostgres } from '../helpers/postgres.js';
import type { Figure } from './report.js';

export const CLINIC_SYNC_SESSIONS = 100;
const CLIENTS = 10;
const SESSION_S = 3600;
const TARGET_S = { values: 30, beats: 60 };

/** A store with the sessions, made once and copied for each run. */
function makeStore(path: string): number {
  const clock = { ms: Date.UTC(2026, 0, 5, 8) };
  const store = SessionStore.open(path, { now: () => clock.ms });
  let beats = 0;
  try {
    const clients = Array.from({ length: CLIENTS }, (_, i) => createClient(store, `Bench client ${i + 1}`));
    for (let n = 0; n < CLINIC_SYNC_SESSIONS; n++) {
      const client = clients[n % CLIENTS];
      const session = store.createSession({
        clientLabel: client.name,
        therapistNote: '',
        sourceKind: 'simulated',
        sourceLabel: 'bench',
        params: {},
        clientId: client.id,
      });
      const events: BeatEvent[] = [];
      let t = 0;
      for (let seq = 0; t < SESSION_S; seq++) {
        const rrMs = 880 + 45 * Math.sin(seq / 3.1 + n) + 12 * Math.sin(seq * 1.7);
        t += rrMs / 1000;
        events.push({ type: 'beat', seq, tS: t, rrMs, gapBefore: false, receivedAtMs: clock.ms + t * 1000 });
      }
      store.setPhase(session.id, 'baseline', 0);
      const third = SESSION_S / 3;
      store.writeBatch(
        session.id,
        events.filter((e) => e.tS < third),
      );
      store.setPhase(session.id, 'massage', third);
      store.addMarker(session.id, { kind: 'technique', value: 'effleurage', atS: third + 5 });
      store.addMarker(session.id, { kind: 'technique', value: 'petrissage', atS: third + 900 });
      store.writeBatch(
        session.id,
        events.filter((e) => e.tS >= third && e.tS < 2 * third),
      );
      store.setPhase(session.id, 'recovery', 2 * third);
      store.writeBatch(
        session.id,
        events.filter((e) => e.tS >= 2 * third),
      );
      clock.ms += SESSION_S * 1000;
      store.endSession(session.id);
      clock.ms += 3_600_000;
      beats += events.length;
    }
  } finally {
    store.close();
  }
  return beats;
}

async function rowsIn(db: ClinicDb): Promise<number> {
  const [r] = await db.query<{ n: number }>(
    `SELECT ((SELECT count(*) FROM clients) + (SELECT count(*) FROM sessions) + (SELECT count(*) FROM phases)
      + (SELECT count(*) FROM markers) + (SELECT count(*) FROM beats) + (SELECT count(*) FROM readings))::int AS n`,
  );
  return r.n;
}

async function run(cluster: PgCluster, source: string, dir: string, beats: boolean) {
  const database = beats ? 'bench_beats' : 'bench_values';
  await cluster.createDatabase(database);
  const path = join(dir, `${database}.db`);
  const { copyFileSync } = await import('node:fs');
  copyFileSync(source, path);
  const store = SessionStore.open(path);
  const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
  const sync = new ClinicSync({
    store,
    settings: { ...clusterSettings(cluster, database, 'bench'), beats },
    log: quiet,
    pollMs: 20,
  });
  const db = await openClinicDb(clusterSettings(cluster, database));
  try {
    const t0 = performance.now();
    await sync.start();
    await sync.idle();
    const seconds = (performance.now() - t0) / 1000;
    const rows = await rowsIn(db);
    const [s] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM sessions');
    return { seconds, rows, sessions: s.n, dropped: sync.dropped };
  } finally {
    await sync.close();
    await db.close();
    store.close();
  }
}

export async function clinicSyncBenchmarks(): Promise<Figure[]> {
  const dir = tempDir('tableside-bench-clinic-');
  const cluster = await startPostgres({ durable: true });
  try {
    const source = join(dir.path, 'source.db');
    const beats = makeStore(source);
    const values = await run(cluster, source, dir.path, false);
    const withBeats = await run(cluster, source, dir.path, true);
    return [
      { name: 'beats on the table', value: beats, unit: `in ${CLINIC_SYNC_SESSIONS} sessions` },
      {
        name: 'sessions in the clinic (values, summary, phases, markers)',
        value: values.sessions,
        unit: `of ${CLINIC_SYNC_SESSIONS}`,
        ok: values.sessions === CLINIC_SYNC_SESSIONS && values.dropped === 0,
        target: `${CLINIC_SYNC_SESSIONS}, none dropped`,
      },
      {
        name: 'catch-up time, values only',
        value: values.seconds,
        unit: 's',
        target: `≤ ${TARGET_S.values} s`,
        ok: values.seconds <= TARGET_S.values,
      },
      { name: 'rows written, values only', value: values.rows / values.seconds, unit: `rows/s (${values.rows} rows)` },
      {
        name: 'sessions in the clinic with --clinic-beats',
        value: withBeats.sessions,
        unit: `of ${CLINIC_SYNC_SESSIONS}`,
        ok: withBeats.sessions === CLINIC_SYNC_SESSIONS && withBeats.dropped === 0,
        target: `${CLINIC_SYNC_SESSIONS}, none dropped`,
      },
      {
        name: 'catch-up time with --clinic-beats',
        value: withBeats.seconds,
        unit: 's',
        target: `≤ ${TARGET_S.beats} s`,
        ok: withBeats.seconds <= TARGET_S.beats,
      },
      {
        name: 'rows written with --clinic-beats',
        value: withBeats.rows / withBeats.seconds,
        unit: `rows/s (${withBeats.rows} rows)`,
      },
      { name: 'load average (1 min) at the end', value: loadavg()[0], unit: '' },
    ];
  } finally {
    await cluster.destroy();
    dir.remove();
  }
}
