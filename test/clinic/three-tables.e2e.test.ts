/**
 * A clinic of three rooms, end to end: a real Mosquitto, a real PostgreSQL (a throwaway cluster), three tables on
 * simulated straps (the real CLI from dist/, `simulate --mqtt … --clinic-db … --table room-N`, 10× real time) and
 * the real overview (`tableside clinic`). The overview shows the three tables live; "Anna K" is recorded in room-1
 * and room-2 — each room made her on its own, so the clinic joins them — and has one timeline; the broker and then
 * the database are killed and restarted mid-session (while the database is down, a table ends a session and another
 * takes a reading: both wait in the tables' outboxes). Afterwards every finished session of every table is in
 * PostgreSQL exactly once with its beat count, the reading both rooms took is one row, and no table stopped
 * recording: its sessions ended normally with no gap in their beats.
 */
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ClinicSocketMessage, TableView } from '../../src/clinic/shapes.js';
import { type RunningDaemon, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { type Broker, startBroker } from '../helpers/mosquitto.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';
import { api } from '../helpers/rest.js';

const ROOMS = ['room-1', 'room-2', 'room-3'] as const;
const RECORDING = 'recordings/bartels_rest_rri.txt';
const rr = readFileSync(RECORDING, 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => /^\d/.test(l));

const dir = tempDir();
const cleanups: (() => unknown)[] = [];
afterAll(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
  dir.remove();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface LocalSession {
  id: number;
  status: string;
  beatCount: number;
  clientId: number | null;
  stream: string;
}

describe('three tables, a broker and a database', () => {
  it('live on the overview, one timeline across rooms, and every session and reading in PostgreSQL once through outages', async () => {
    const b: Broker = await startBroker(dir.path);
    cleanups.push(() => b.kill());
    const pg: PgCluster = await startPostgres();
    cleanups.push(() => pg.destroy());
    await pg.createDatabase('clinic');
    const dbUrl = pg.url('clinic');

    const overview = await startDaemon(['clinic', '--mqtt', b.url, '--clinic-db', dbUrl], pg.env);
    cleanups.push(() => overview.child.kill('SIGKILL'));
    const live = new Map<string, TableView>();
    const ws = new WebSocket(`${overview.url.replace(/^http/, 'ws').replace(/\/$/, '')}/clinic/ws`);
    cleanups.push(() => ws.terminate());
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as ClinicSocketMessage;
      if (m.type === 'overview') for (const t of m.tables) live.set(t.table, t);
      if (m.type === 'table') live.set(m.table.table, m.table);
    });

    const tables = new Map<string, RunningDaemon>();
    for (const [i, room] of ROOMS.entries()) {
      const args = ['simulate', '--seed', String(i + 1), '--speed', '10', '--db', `${dir.path}/${room}.db`];
      const t = await startDaemon([...args, '--mqtt', b.url, '--table', room, '--clinic-db', dbUrl], pg.env);
      cleanups.push(() => t.child.kill('SIGKILL'));
      tables.set(room, t);
    }
    const url = (room: string) => tables.get(room)?.url as string;

    // The overview: three tables live, each with values.
    await waitFor(
      () => ROOMS.every((r) => live.get(r)?.online === true && live.get(r)?.streams[0]?.metrics !== null),
      30_000,
      'three live tables on the overview',
    );

    const slice = (from: number) => rr.slice(from, from + 70).join('\n');
    const clientOf = new Map<string, number>();
    // Anna K in room-1 and room-2: each room makes her on its own (no client by that name there yet).
    for (const room of ['room-1', 'room-2']) {
      const current = ((await api(url(room), 'GET', '/api/sessions')).sessions as LocalSession[]).find(
        (s) => s.status === 'recording' && s.stream === 'client',
      ) as LocalSession;
      await api(url(room), 'POST', `/api/sessions/${current.id}/end`, {});
      const session = (await api(url(room), 'POST', '/api/sessions', {
        clientName: 'Anna K',
      })) as unknown as LocalSession;
      // The same morning reading reaches both rooms (a phone's export, uploaded twice).
      const client = session.clientId as number;
      await api(url(room), 'POST', `/api/clients/${client}/readings`, {
        fileName: 'morning.txt',
        text: slice(0),
        kind: 'morning',
        at: '2026-03-02T07:00:00',
      });
      clientOf.set(room, client);
    }
    await sleep(3000);

    // The broker killed and restarted mid-session, then the database.
    await b.kill();
    await sleep(3000);
    const restartedAt = Date.now();
    await b.restart();
    // Fresh values from every table through the restarted broker (the overview's clock stamps their arrival).
    await waitFor(
      () =>
        ROOMS.every(
          (r) => live.get(r)?.online === true && (live.get(r)?.streams[0]?.metricsReceivedAtMs ?? 0) > restartedAt,
        ),
      15_000,
      'the tables live again on the overview after the broker restart',
    );
    await pg.stop();
    // While the database is down: room-2 takes another reading, room-3 ends its session and starts the next.
    await api(url('room-2'), 'POST', `/api/clients/${clientOf.get('room-2')}/readings`, {
      fileName: 'morning-2.txt',
      text: slice(100),
      kind: 'morning',
      at: '2026-03-03T07:00:00',
    });
    const room3 = ((await api(url('room-3'), 'GET', '/api/sessions')).sessions as LocalSession[]).find(
      (s) => s.status === 'recording',
    ) as LocalSession;
    await api(url('room-3'), 'POST', `/api/sessions/${room3.id}/end`, {});
    await api(url('room-3'), 'POST', '/api/sessions', { clientName: 'Ben' });
    await sleep(4000);
    await pg.start();
    await sleep(3000);

    // Every session ends; every finished session goes to the clinic.
    const local = new Map<string, LocalSession[]>();
    for (const room of ROOMS) {
      const recording = ((await api(url(room), 'GET', '/api/sessions')).sessions as LocalSession[]).find(
        (s) => s.status === 'recording' && s.stream === 'client',
      ) as LocalSession;
      await api(url(room), 'POST', `/api/sessions/${recording.id}/end`, {});
      local.set(room, (await api(url(room), 'GET', '/api/sessions')).sessions as LocalSession[]);
    }
    const expected = [...local.values()].reduce((n, list) => n + list.length, 0);
    // Two sessions each: the one the table started with, and the one after it.
    expect(expected).toBe(6);
    let synced = -1;
    await waitFor(
      () => {
        void pg
          .psql('clinic', 'SELECT count(*) FROM sessions')
          .then((n) => {
            synced = Number(n);
          })
          .catch(() => undefined);
        return synced === expected;
      },
      60_000,
      `${expected} sessions in PostgreSQL`,
    );

    // Exactly once each, with the beats the table stored; ended, with no gap: no table stopped recording.
    const rows = (await pg.psql('clinic', "SELECT uid || '|' || table_name || '|' || beat_count FROM sessions"))
      .split('\n')
      .map((l) => l.split('|'));
    for (const room of ROOMS) {
      for (const s of local.get(room) ?? []) {
        expect(s.status, `${room} session ${s.id}`).toBe('ended');
        const matching = rows.filter(([uid, table]) => table === room && uid.endsWith(`:${s.id}`));
        expect(matching, `${room} session ${s.id} in PostgreSQL`).toHaveLength(1);
        expect(Number(matching[0][2])).toBe(s.beatCount);
        const detail = await api(url(room), 'GET', `/api/sessions/${s.id}`);
        expect(detail.gaps, `${room} session ${s.id}: gaps`).toEqual([]);
      }
      expect(tables.get(room)?.output()).not.toMatch(/NOT RECORDING/);
    }

    // One Anna K, with both rooms' sessions on one timeline; the reading both rooms took is one row.
    const clients = (await api(overview.url, 'GET', '/api/clinic/clients')).clients as {
      uid: string;
      name: string;
      tables: string[];
      sessions: number;
      readings: number;
    }[];
    const anna = clients.filter((c) => c.name === 'Anna K');
    expect(anna).toHaveLength(1);
    expect(anna[0]).toMatchObject({ tables: ['room-1', 'room-2'], sessions: 2, readings: 2 });
    const record = await api(overview.url, 'GET', `/api/clinic/clients/${anna[0].uid}`);
    expect((record.sessions as { table: string }[]).map((s) => s.table).sort()).toEqual(['room-1', 'room-2']);
    expect(Number(await pg.psql('clinic', 'SELECT count(*) FROM readings'))).toBe(2);
  }, 240_000);
});
