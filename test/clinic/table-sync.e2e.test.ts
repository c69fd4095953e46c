/**
 * `tableside simulate --clinic-db`, end to end: the real CLI in its own process (bin/tableside.js, built by
 * `npm test`), a real SQLite file and a throwaway PostgreSQL cluster that is stopped and started under it.
 */
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { openClinicDb } from '../../src/clinic/pg.js';
import { exited, runCliResult, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';
import { clusterSettings } from '../helpers/postgres.js';
import { postgresPerFile } from '../helpers/postgres-suite.js';
import { api } from '../helpers/rest.js';

const pg = postgresPerFile();
const { cleanups } = pg;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tableside --clinic-db (real PostgreSQL, real daemon process)', () => {
  it('records on through a database outage mid-session; afterwards every session is in the clinic exactly once', async () => {
    await pg.cluster.createDatabase('e2e');
    const dir = tempDir();
    cleanups.push(dir.remove);
    const dbFile = `${dir.path}/t.db`;
    const daemon = await startDaemon(
      ['simulate', '--speed', '20', '--db', dbFile, '--clinic-db', pg.cluster.url('e2e'), '--table', 'room-1'],
      { ...pg.cluster.env, TABLESIDE_LOG_LEVEL: 'info' },
    );
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const first = await api(daemon.url, 'POST', '/api/sessions', { clientName: 'Anna K' });
    await sleep(1500);
    await pg.cluster.stop();
    let second: Record<string, unknown>;
    try {
      // mid-session: the clinic is gone; the session goes on, ends, and the next one starts and ends
      await sleep(1500);
      await api(daemon.url, 'POST', `/api/sessions/${first.id}/end`, {});
      second = await api(daemon.url, 'POST', '/api/sessions', { clientName: 'Anna K' });
      await sleep(1500);
      await api(daemon.url, 'POST', `/api/sessions/${second.id}/end`, {});
      await waitFor(() => /clinic database cannot be used/.test(daemon.output()), 15_000, 'the outage warning');
    } finally {
      await pg.cluster.start();
    }
    await waitFor(() => /clinic database answers again/.test(daemon.output()), 20_000, 'the sender back');

    const db = await openClinicDb(clusterSettings(pg.cluster, 'e2e'));
    cleanups.push(() => db.close());
    const local = new Database(dbFile, { readonly: true });
    cleanups.push(() => local.close());
    const ended = local
      .prepare<[], { id: number; beats: number }>(
        `SELECT id, beat_count AS beats FROM sessions WHERE status <> 'recording' ORDER BY id`,
      )
      .all();
    expect(ended.length).toBe(3); // the demo session the simulator starts with, and Anna's two
    const storeUid = (local.prepare(`SELECT value FROM store_meta WHERE key = 'uid'`).get() as { value: string }).value;
    let rows: { uid: string; beat_count: number; client_uid: string | null; table_name: string }[] = [];
    const started = Date.now();
    while (Date.now() - started < 15_000) {
      rows = await db.query('SELECT uid, beat_count, client_uid, table_name FROM sessions ORDER BY started_at');
      if (rows.length >= 3) break;
      await sleep(200);
    }
    expect(rows.map((r) => [r.uid, r.beat_count])).toEqual(ended.map((s) => [`${storeUid}:${s.id}`, s.beats]));
    expect(rows.every((r) => r.table_name === 'room-1')).toBe(true);
    // recording never stopped: the session recorded while the clinic was gone has ~1.5 s × 20 of beats
    expect(ended[2].beats).toBeGreaterThan(20);
    const anna = local.prepare(`SELECT uid FROM clients WHERE name = 'Anna K'`).get() as { uid: string };
    expect(rows.filter((r) => r.client_uid === anna.uid)).toHaveLength(2);
    const [clients] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM clients');
    expect(clients.n).toBe(1);
    expect(daemon.output()).not.toContain('Anna K');
    expect(daemon.output()).not.toContain(pg.cluster.env.TABLESIDE_CLINIC_DB_PASSWORD);
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
  }, 90_000);

  it('a wrong password is a clear error, an unreachable database a warning: the table runs alone in both', async () => {
    await pg.cluster.createDatabase('bad');
    const dir = tempDir();
    cleanups.push(dir.remove);
    const wrong = await startDaemon(
      ['simulate', '--speed', '20', '--db', `${dir.path}/a.db`, '--clinic-db', pg.cluster.url('bad')],
      { ...pg.cluster.env, TABLESIDE_CLINIC_DB_PASSWORD: 'not-it-at-all' },
    );
    cleanups.push(() => wrong.child.kill('SIGKILL'));
    await waitFor(() => /refused the user name or password/.test(wrong.output()), 15_000, 'the password error');
    expect(wrong.output()).toMatch(/"level":50/); // an error, not a warning
    expect(wrong.output()).not.toContain('not-it-at-all');
    await api(wrong.url, 'GET', '/api/health'); // the table still serves (api() asserts a 2xx)

    const closed = await freePort();
    const nowhere = await startDaemon(
      ['simulate', '--speed', '20', '--db', `${dir.path}/b.db`, '--clinic-db', `postgres://127.0.0.1:${closed}/x`],
      pg.cluster.env,
    );
    cleanups.push(() => nowhere.child.kill('SIGKILL'));
    await waitFor(() => /clinic database cannot be used/.test(nowhere.output()), 15_000, 'the warning');
    expect(nowhere.output()).toMatch(/"level":40/);
    await sleep(1000);
    const sessions = (await api(nowhere.url, 'GET', '/api/sessions')).sessions as { beatCount: number }[];
    expect(sessions[0].beatCount).toBeGreaterThan(0);
  }, 60_000);

  it('a password in the URL is refused before anything starts, and not repeated', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const result = await runCliResult([
      'simulate',
      '--port',
      '0',
      '--db',
      `${dir.path}/t.db`,
      '--clinic-db',
      'postgres://table:s3cret-word@127.0.0.1/clinic',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/holds a password.*TABLESIDE_CLINIC_DB_PASSWORD/);
    expect(result.stdout + result.stderr).not.toContain('s3cret-word');
    // `start --browser-strap` (no Bluetooth on this computer) reads the same options
    const browserStrap = await runCliResult(
      [
        'start',
        '--browser-strap',
        '--port',
        '0',
        '--db',
        `${dir.path}/b.db`,
        '--clinic-db',
        'postgres://u:s3cret-word@h/c',
      ],
      { env: { XDG_CONFIG_HOME: dir.path, XDG_DATA_HOME: dir.path } },
    );
    expect(browserStrap.code).toBe(1);
    expect(browserStrap.stderr).toMatch(/--clinic-db: the URL holds a password/);
  });
});
