/**
 * The table's lookup with `--clinic-db`, end to end: two table daemons (real processes) on one real PostgreSQL. A
 * client's record on either table shows both rooms' sessions; with the database stopped, the table shows its own
 * sessions and says why; a client made at a table by a name the clinic knows takes the clinic's note at once.
 */
import { describe, expect, it } from 'vitest';
import { exited, type RunningDaemon, runCliResult, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { postgresPerFile } from '../helpers/postgres-suite.js';
import { api } from '../helpers/rest.js';

const pg = postgresPerFile();
const { cleanups } = pg;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Session = { id: number; table?: string; local?: boolean; date: string };

describe("a client's record on a table with --clinic-db (two real daemons, real PostgreSQL)", () => {
  it("shows every room's sessions, and this table's alone (saying so) when the database is gone", async () => {
    await pg.cluster.createDatabase('lookup');
    const dir = tempDir();
    cleanups.push(dir.remove);
    // --table comes from the host name by default; each daemon names its room explicitly
    const table = async (name: string) => {
      const d = await startDaemon(
        [
          'simulate',
          '--speed',
          '20',
          '--db',
          `${dir.path}/${name}.db`,
          '--clinic-db',
          pg.cluster.url('lookup'),
          '--table',
          name,
        ],
        { ...pg.cluster.env, TABLESIDE_LOG_LEVEL: 'info' },
      );
      cleanups.push(() => d.child.kill('SIGKILL'));
      return d;
    };
    const room1 = await table('room-1');
    const room2 = await table('room-2');

    const connected = (d: RunningDaemon) => /connected to the clinic database/.test(d.output());
    await waitFor(() => connected(room1) && connected(room2), 15_000, 'both tables connected');

    // room-1 knows Anna with a note; room-2 makes "Anna K" later and takes the clinic's uid and note at once
    const anna1 = await api(room1.url, 'POST', '/api/clients', { name: 'Anna K', note: 'left knee' });
    const s1 = await api(room1.url, 'POST', '/api/sessions', { clientId: anna1.id });
    await sleep(1200);
    await api(room1.url, 'POST', `/api/sessions/${s1.id}/end`, {});
    await sleep(1500); // the sender polls once a second
    const anna2 = await api(room2.url, 'POST', '/api/clients', { name: 'Anna K' });
    expect(anna2.note).toBe('left knee');
    const s2 = await api(room2.url, 'POST', '/api/sessions', { clientId: anna2.id });
    await sleep(1200);
    await api(room2.url, 'POST', `/api/sessions/${s2.id}/end`, {});

    let record: Record<string, unknown> = {};
    const started = Date.now();
    while (Date.now() - started < 15_000) {
      record = await api(room2.url, 'GET', `/api/clients/${anna2.id}`);
      if ((record.sessions as Session[]).length === 2) break;
      await sleep(300);
    }
    expect(record.clinic).toBe('all-rooms');
    const sessions = record.sessions as Session[];
    expect(sessions.map((s) => [s.table, s.local])).toEqual([
      ['room-1', false],
      ['room-2', true],
    ]);
    expect(sessions[1].id).toBe(s2.id);
    expect(sessions[0].id).toBeLessThan(0);
    const onRoom1 = await api(room1.url, 'GET', `/api/clients/${anna1.id}`);
    expect((onRoom1.sessions as Session[]).map((s) => [s.table, s.local])).toEqual([
      ['room-1', true],
      ['room-2', false],
    ]);

    // the same from the terminal: `tableside client NAME --clinic-db URL`
    const cli = (extra: string[] = []) =>
      runCliResult(
        ['client', 'Anna K', '--db', `${dir.path}/room-2.db`, '--clinic-db', pg.cluster.url('lookup'), ...extra],
        { env: pg.cluster.env },
      );
    const json = await cli(['--json']);
    expect(json.code, json.stderr).toBe(0);
    const printed = JSON.parse(json.stdout) as { clinic: string; sessions: Session[] };
    expect(printed.clinic).toBe('all-rooms');
    expect(printed.sessions.map((s) => s.table)).toEqual(['room-1', 'room-2']);
    const text = await cli();
    expect(text.stdout).toMatch(/^ {2}room-1 {2}/m);
    expect(text.stdout).toMatch(new RegExp(`^  session ${s2.id} .*\\(room-2\\)$`, 'm'));

    await pg.cluster.stop();
    try {
      const alone = await api(room2.url, 'GET', `/api/clients/${anna2.id}`);
      expect(alone.clinic).toBe('unreachable');
      expect((alone.sessions as Session[]).map((s) => s.id)).toEqual([s2.id]);
      const offline = await cli();
      expect(offline.code, offline.stderr).toBe(0);
      expect(offline.stdout).toContain("this table's sessions only: the clinic database is unreachable");
    } finally {
      await pg.cluster.start();
    }
    for (const d of [room1, room2]) {
      expect(d.output()).not.toContain('Anna K');
      expect(d.output()).not.toContain('left knee');
      d.child.kill('SIGTERM');
      expect(await exited(d.child)).toBe(0);
    }
  }, 90_000);
});
