/**
 * A client's page on a table with `--clinic-db`, in Chromium: two real table daemons on one real PostgreSQL, a client
 * seen in both rooms. On room-2's page the client's sessions of both rooms are listed, room-1's named by its room and
 * without a report link; with the database stopped, the page shows room-2's session alone and says why. Screenshots:
 * test-output/screenshots/clinic-record-all-rooms.png and clinic-record-unreachable.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/daemon-process.js';
import { type PgCluster, startPostgres } from '../helpers/postgres.js';
import { api } from '../helpers/rest.js';
import { type Daemon, screenshotPath, startDaemonOn } from './browser.js';
import { type Browser, installedEngines, launch, textOf, waitFor } from './driver.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!installedEngines().includes('chromium'))(
  "a client's page with every room's sessions (Chromium)",
  () => {
    const dir = tempDir('tableside-clinic-page-');
    let cluster: PgCluster;
    let browser: Browser;
    const daemons: Daemon[] = [];

    beforeAll(async () => {
      cluster = await startPostgres();
      await cluster.createDatabase('clinic');
      browser = await launch('chromium');
    }, 90_000);

    afterAll(async () => {
      await browser?.close();
      for (const d of daemons) await d.kill();
      await cluster?.destroy();
      dir.remove();
    });

    async function table(name: string): Promise<Daemon> {
      const d = await startDaemonOn(
        0,
        [
          'simulate',
          '--speed',
          '20',
          '--db',
          `${dir.path}/${name}.db`,
          '--clinic-db',
          cluster.url('clinic'),
          '--table',
          name,
        ],
        { ...cluster.env, TABLESIDE_LOG_LEVEL: 'info' },
      );
      daemons.push(d);
      return d;
    }

    async function session(d: Daemon, clientId: unknown): Promise<void> {
      const s = await api(d.url, 'POST', '/api/sessions', { clientId });
      await sleep(1500);
      await api(d.url, 'POST', `/api/sessions/${s.id}/end`, {});
    }

    it("lists both rooms' sessions, and this room's alone when the database is gone", async () => {
      const room1 = await table('room-1');
      const room2 = await table('room-2');
      const a1 = await api(room1.url, 'POST', '/api/clients', { name: 'Anna K', note: 'left knee' });
      await session(room1, a1.id);
      await sleep(1500);
      const a2 = await api(room2.url, 'POST', '/api/clients', { name: 'Anna K' });
      await session(room2, a2.id);
      const started = Date.now();
      while (Date.now() - started < 20_000) {
        const record = await api(room2.url, 'GET', `/api/clients/${a2.id}`);
        if ((record.sessions as unknown[]).length === 2) break;
        await sleep(300);
      }

      const page = await browser.newScreen({ width: 1280, height: 900 });
      const errors: string[] = [];
      page.onError((m) => errors.push(m));
      await page.goto(new URL(`/clients/${a2.id}`, room2.url).href);
      await waitFor(page, () => !(document.getElementById('clinic-note') as HTMLElement).hidden, undefined, {
        what: 'the clinic line',
      });
      expect(await textOf(page, '#clinic-note')).toBe(
        "Every room's sessions, from the clinic database (room-1, room-2).",
      );
      const rows = await page.evaluate(() =>
        [...document.querySelectorAll('#sessions tbody tr')].map((tr) => ({
          room: (tr as HTMLElement).dataset.room ?? null,
          link: tr.querySelector('a')?.getAttribute('href') ?? null,
          text: (tr.querySelector('th') as HTMLElement).innerText,
        })),
      );
      expect(rows).toHaveLength(2);
      const other = rows.find((r) => r.room === 'room-1');
      expect(other?.link).toBeNull();
      expect(other?.text).toContain('room-1');
      expect(rows.find((r) => r.room === null)?.link).toMatch(/^\/sessions\/\d+$/);
      await page.screenshot(screenshotPath('clinic-record-all-rooms.png'), { fullPage: true });

      await cluster.stop();
      try {
        await page.reload();
        await waitFor(
          page,
          () => (document.getElementById('clinic-note') as HTMLElement).dataset.clinic === 'unreachable',
          undefined,
          { what: 'the unreachable line' },
        );
        expect(await textOf(page, '#clinic-note')).toBe(
          "This table's sessions only: the clinic database is unreachable.",
        );
        const left = await page.evaluate(() => document.querySelectorAll('#sessions tbody tr').length);
        expect(left).toBe(1);
        await page.screenshot(screenshotPath('clinic-record-unreachable.png'), { fullPage: true });
      } finally {
        await cluster.start();
      }
      expect(errors).toEqual([]);
      await page.close();
    }, 120_000);
  },
);
