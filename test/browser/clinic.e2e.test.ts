/**
 * The clinic overview's page in Chromium against the real parts: a Mosquitto, three simulated tables (the real CLI
 * at 10× real time; room-2 with the therapist's strap too), a throwaway PostgreSQL holding one client seen in two
 * rooms, and the real overview process (`tableside clinic --mqtt … --clinic-db …`). The page's values are checked
 * against what a plain MQTT subscriber received; a table killed turns offline on the page; a malformed message shows
 * in the badge; the clients' list leads to the client's weeks across rooms. Screenshots go to
 * test-output/screenshots/ (clinic-overview.png, clinic-client.png).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openClinicDb } from '../../src/clinic/pg.js';
import { migrateClinicDb } from '../../src/clinic/pg-schema.js';
import { type RunningDaemon, startDaemon, tempDir } from '../helpers/daemon-process.js';
import { type Broker, startBroker, subscribe } from '../helpers/mosquitto.js';
import { clusterSettings, type PgCluster, startPostgres } from '../helpers/postgres.js';
import { chromiumInstalled, screenshotPath } from './browser.js';
import { type Browser, countOf, launch, type Screen, textOf, waitFor, waitForText } from './driver.js';
import { contrastFailuresInPage } from './in-page.js';

const ROOMS = ['room-1', 'room-2', 'room-3'];
const dir = tempDir();
let b: Broker;
let cluster: PgCluster;
let overview: RunningDaemon;
const tables = new Map<string, RunningDaemon>();
let browser: Browser;
let raw: Awaited<ReturnType<typeof subscribe>>;

beforeAll(async () => {
  b = await startBroker(dir.path);
  cluster = await startPostgres();
  await cluster.createDatabase('clinic');
  const db = await openClinicDb(clusterSettings(cluster, 'clinic'));
  // The four weeks before today (UTC dates), so that the chart shows them as recent.
  const day = (d: number) => new Date(Date.now() - (29 - d) * 86_400_000).toISOString().slice(0, 10);
  try {
    await migrateClinicDb(db);
    await db.query(`INSERT INTO clients VALUES ('uid-anna', 'Anna K', '', '2026-03-01T09:00:00Z',
      '2026-03-01T09:00:00Z', 'room-1')`);
    for (const [i, table] of ['room-1', 'room-2', 'room-1', 'room-3'].entries()) {
      await db.query(
        `INSERT INTO sessions (uid, client_uid, table_name, stream, started_at, ended_at, status, source_kind,
          beat_count, last_beat_t_s, baseline_ln_rmssd, massage_shift_ln, massage_s, techniques, main_technique,
          synced_at)
          VALUES ($1, 'uid-anna', $2, 'client', $3, $4, 'ended', 'simulated', 3000, 3600, 3.5, $5, 1800, '[]'::jsonb,
          NULL, now())`,
        [`store-${i}:1`, table, `${day(2 + 7 * i)}T10:00:00Z`, `${day(2 + 7 * i)}T11:00:00Z`, 0.1 + i * 0.05],
      );
    }
    // Four weeks of morning readings, from whichever room she was in.
    for (let d = 1; d <= 28; d++) {
      await db.query(
        `INSERT INTO readings VALUES ('uid-anna', $1, $2, 'morning', 'phone', '', '[]'::jsonb, 60, $3, $4, 62, 0,
          NULL, $5, now())`,
        [`k${d}`, `${day(d)}T07:00:00`, Math.exp(3.4 + 0.1 * Math.sin(d)), 3.4 + 0.1 * Math.sin(d), ROOMS[d % 3]],
      );
    }
  } finally {
    await db.close();
  }
  raw = await subscribe(b.url, 'tableside/v1/+/+/metrics');
  overview = await startDaemon(['clinic', '--mqtt', b.url, '--clinic-db', cluster.url('clinic')], cluster.env);
  for (const [i, name] of ['room-1', 'room-2', 'room-3'].entries()) {
    const args = ['simulate', '--seed', String(i + 1), '--speed', '10', '--db', `${dir.path}/${name}.db`];
    if (name === 'room-2') args.push('--therapist');
    tables.set(name, await startDaemon([...args, '--mqtt', b.url, '--table', name]));
  }
  if (chromiumInstalled()) browser = await launch('chromium');
}, 120_000);

afterAll(async () => {
  await browser?.close();
  for (const t of tables.values()) t.child.kill('SIGKILL');
  overview?.child.kill('SIGKILL');
  raw?.client.end(true);
  await b?.kill();
  await cluster?.destroy();
  dir.remove();
});

describe.skipIf(!chromiumInstalled())('the clinic overview page (Chromium)', () => {
  it('shows the three tables live, a table killed as offline, the malformed badge, and a client across rooms', async () => {
    const p: Screen = await browser.newScreen({ width: 1280, height: 900 });
    const errors: string[] = [];
    p.onError((m) => errors.push(m));
    await p.goto(overview.url);
    await waitFor(p, () => document.querySelectorAll('[data-table][data-online="true"]').length === 3, undefined, {
      timeoutMs: 20_000,
      what: 'three tables online',
    });
    expect(await textOf(p, '#overview-status')).toBe('3 of 3 tables online');
    expect(await countOf(p, '[data-table="room-2"] .clinic-stream')).toBe(2);
    // HR and RMSSD once 50 s of clean beats are in: 5 s at 10×.
    await waitFor(
      p,
      () =>
        [...document.querySelectorAll('.clinic-stream .rmssd')].length === 4 &&
        [...document.querySelectorAll('.clinic-stream .rmssd')].every((e) => /^\d+$/.test(e.textContent ?? '')),
      undefined,
      { timeoutMs: 30_000, what: 'values on every stream' },
    );
    // What the page shows is what the broker carried for that table a moment ago (rounded as the page rounds).
    for (const name of ['room-1', 'room-3']) {
      const hr = await textOf(p, `[data-table="${name}"] .hr`);
      const rmssd = await textOf(p, `[data-table="${name}"] .rmssd`);
      const recent = raw.received
        .filter((m) => m.topic === `tableside/v1/${name}/client/metrics`)
        .slice(-3)
        .map((m) => JSON.parse(m.text) as { hrBpm: number; rmssdMs: number });
      expect(
        recent.some((m) => String(Math.round(m.hrBpm)) === hr && String(Math.round(m.rmssdMs)) === rmssd),
        `${name}: ${hr} bpm, ${rmssd} ms among ${JSON.stringify(recent)}`,
      ).toBe(true);
    }
    // Each value sits under its own label.
    const columns = await p.evaluate(() =>
      [...document.querySelectorAll('[data-table="room-1"] .values dt')].map((dt) => {
        const dd = dt.nextElementSibling as HTMLElement;
        const a = dt.getBoundingClientRect();
        const b = dd.getBoundingClientRect();
        return { label: dt.textContent, value: dd.className, sameColumn: a.left === b.left, below: b.top >= a.bottom };
      }),
    );
    expect(columns).toEqual([
      { label: 'HR (bpm)', value: 'hr', sameColumn: true, below: true },
      { label: 'RMSSD (ms)', value: 'rmssd', sameColumn: true, below: true },
      { label: 'last value', value: 'age', sameColumn: true, below: true },
    ]);
    expect(await textOf(p, '[data-table="room-1"] .strap')).toBe('strap live (simulated, demo)');
    expect(await textOf(p, '[data-table="room-1"] .session')).toBe('recording');
    expect(await textOf(p, '[data-table="room-1"] .age')).toMatch(/^[0-2] s$/);
    expect(await textOf(p, '#broker')).toBe(`broker ${b.url}: connected`);
    expect(await textOf(p, '#database')).toBe(`database ${cluster.url('clinic')}: connected`);

    // A stray publisher: counted, shown, and nothing of it on the page.
    await raw.client.publishAsync('tableside/v1/room-9/status', 'Anna K was here', { qos: 1 });
    await waitForText(p, '#malformed', '1 malformed');
    expect(await countOf(p, '[data-table="room-9"]')).toBe(0);

    // The clients, from the clinic database.
    await waitForText(p, '#clients tbody tr', 'Anna K', 10_000);
    expect(await textOf(p, '#clients tbody tr .rooms')).toBe('room-1, room-2, room-3');

    expect(await p.evaluate(contrastFailuresInPage)).toEqual([]);
    await p.screenshot(screenshotPath('clinic-overview.png'), { fullPage: true });

    // room-3 killed: the broker's last will turns its card offline; it stays on the page.
    tables.get('room-3')?.child.kill('SIGKILL');
    await waitFor(
      p,
      () => document.querySelector('[data-table="room-3"]')?.getAttribute('data-online') === 'false',
      undefined,
      {
        timeoutMs: 10_000,
        what: 'room-3 offline',
      },
    );
    expect(await textOf(p, '#overview-status')).toBe('2 of 3 tables online');
    expect(await textOf(p, '[data-table="room-3"] .online')).toMatch(/^offline \(last heard \d+ s ago\)$/);

    // The client's weeks across rooms.
    await p.click('#clients tbody a');
    await waitForText(p, '#title', 'Anna K');
    await waitFor(p, () => document.querySelectorAll('#sessions tbody tr').length === 4, undefined, {
      what: 'four sessions',
    });
    const rooms = await p.evaluate(() =>
      [...document.querySelectorAll('#sessions tbody .room')].map((e) => e.textContent),
    );
    expect(rooms).toEqual(['room-3', 'room-1', 'room-2', 'room-1']);
    expect(await textOf(p, '#meta')).toContain('rooms room-1, room-2, room-3');
    expect(await p.evaluate(() => document.querySelector('#timeline')?.getAttribute('data-drawn-sessions'))).toBe('4');
    expect(await p.evaluate(contrastFailuresInPage)).toEqual([]);
    await p.screenshot(screenshotPath('clinic-client.png'), { fullPage: true });
    expect(errors).toEqual([]);
    await p.close();
  }, 120_000);
});
