/**
 * The table-side screen in real browsers — Chromium, WebKit (the engine of Safari on an iPad) and Firefox, see
 * driver.ts — against the real `tableside` CLI replaying a real recording: what a therapist sees and does, end to
 * end. Screenshots go to test-output/screenshots/ (named after the engine, except Chromium's) for a reviewer to
 * look at. What only Chromium can be asked (intercepting the WebSocket, walking the page with Tab) runs on Chromium.
 *
 * Two daemons per engine: A replays bartels_rest_rri.txt three times over at 20× (2.4 min: still recording when it
 * is killed, however slowly a busy machine runs the tests before) for the live screen, the restart and the report;
 * B replays the same beats as a strap recording that goes quiet for 150 s (7.5 s here) after every 120 s of beats,
 * for the stale state: however late the page joins (the start takes seconds on a busy machine), a pause is still to
 * come.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROTOCOL } from '../../src/viewers/protocol.js';
import { tempDir } from '../helpers/daemon-process.js';
import { type Daemon, freePort, parseColour, recordingWithPause, screenshotPath, startDaemonOn } from './browser.js';
import {
  attributeOf,
  type Browser,
  countOf,
  type Engine,
  installedEngines,
  isVisible,
  launch,
  type Screen,
  textOf as text,
  waitFor,
  waitForSelector,
  waitForText,
} from './driver.js';
import {
  contrastFailuresInPage,
  focusableControlsInPage,
  focusedControlInPage,
  unnamedControlsInPage,
} from './in-page.js';

const RECORDING = 'recordings/bartels_rest_rri.txt';
const SPEED = '20';
const TABLET = { width: 1024, height: 768 };
const PHONE = { width: 390, height: 844 };
/** What a browser itself logs while the daemon is deliberately down: the page's reconnect attempts being refused. */
const REFUSED = /ERR_CONNECTION_REFUSED|WebSocket connection to .* failed|can.t establish a connection to the server/;

/** Chromium's screenshots keep their names; the other engines' carry theirs. */
const shot = (engine: Engine, name: string) =>
  screenshotPath(engine === 'chromium' ? name : name.replace(/\.png$/, `-${engine}.png`));

/** "m:ss" → s */
const seconds = (clock: string) => {
  const [m, s] = clock.split(':').map(Number);
  return m * 60 + s;
};

async function cssVar(p: Screen, name: string): Promise<string> {
  return p.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);
}

async function colourOf(p: Screen, selector: string): Promise<string> {
  return p.evaluate((sel) => getComputedStyle(document.querySelector(sel) as Element).color, selector);
}

const sameColour = (a: string, b: string) => parseColour(a).slice(0, 3).join() === parseColour(b).slice(0, 3).join();

/** RECORDING three times over, one RR value a line. */
function longRecordingIn(dirPath: string): string {
  const file = join(dirPath, 'bartels_rest_rri_x3.txt');
  const rr = readFileSync(RECORDING, 'utf8').trim();
  writeFileSync(file, `${[rr, rr, rr].join('\n')}\n`);
  return file;
}

describe.each(installedEngines())('the table-side screen on %s (real daemon, real recording)', (engine) => {
  const dir = tempDir(`tableside-browser-${engine}-`);
  const db = join(dir.path, 'tableside.db');
  let browser: Browser;
  let daemon: Daemon;
  let port: number;
  let page: Screen;
  let sessionId: number;
  let longRecording: string;
  /** the daemon is down on purpose: refused connections are expected, not errors */
  let outage = false;
  const consoleErrors: string[] = [];
  /**
   * WebKit's and Firefox's drivers take a round trip per question, and a loaded machine slows them most: their tests
   * may take twice as long before they count as stuck (every wait is on a condition, never a fixed time).
   */
  const slow = engine === 'chromium' ? 1 : 2;

  function watch(p: Screen): Screen {
    p.onError((message) => {
      if (outage && REFUSED.test(message)) return;
      consoleErrors.push(`${engine}: ${message}`);
    });
    return p;
  }

  const open = async (viewport = TABLET) => watch(await browser.newScreen(viewport));

  /** playwright's page behind a Chromium screen */
  const pw = (p: Screen): Page => {
    if (!p.playwright) throw new Error(`${engine} has no playwright page`);
    return p.playwright;
  };

  async function getJson(path: string): Promise<Record<string, unknown>> {
    const response = await fetch(new URL(path, daemon.url));
    expect(response.status).toBe(200);
    return (await response.json()) as Record<string, unknown>;
  }

  beforeAll(async () => {
    longRecording = longRecordingIn(dir.path);
    port = await freePort();
    // Both kept as soon as each has started, so that afterAll ends the one that did if the other did not.
    const [launched, started] = await Promise.allSettled([
      launch(engine),
      startDaemonOn(port, ['replay', longRecording, '--speed', SPEED, '--db', db]),
    ]);
    if (launched.status === 'fulfilled') browser = launched.value;
    if (started.status === 'fulfilled') daemon = started.value;
    if (launched.status === 'rejected') throw launched.reason;
    if (started.status === 'rejected') throw started.reason;
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await daemon?.kill();
    dir.remove();
  });

  it(
    'shows live figures that change, and takes phases and markers from the keyboard into the chart and the store',
    async () => {
      page = await open();
      await page.goto(daemon.url);
      await waitForSelector(page, 'body[data-conn="up"][data-signal="live"]', 'attached');
      await waitForSelector(page, '#demo');
      sessionId = Number(await attributeOf(page, 'body', 'data-session'));
      expect(sessionId).toBeGreaterThan(0);
      expect(await text(page, '#verdict')).toBe('Waiting for baseline');

      // Where the browser cannot keep the screen awake, the page says so: WebKitGTK refuses the Screen Wake Lock.
      if (engine === 'webkit') await waitForSelector(page, '#wake-note');
      if (await isVisible(page, '#wake-note')) {
        expect(await text(page, '#wake-note')).toMatch(/set the screen timeout to "never" for the session\.$/);
      }

      // B starts the baseline; the hero counts it.
      await page.press('b');
      await waitForSelector(page, '#hero[data-verdict="measuring"]', 'attached');
      await waitFor(page, () => /^\d+$/.test(document.getElementById('rmssd')?.textContent ?? ''));
      const firstRmssd = await text(page, '#rmssd');
      expect(Number(await text(page, '#hr'))).toBeGreaterThan(40);
      await waitFor(page, (v) => document.getElementById('rmssd')?.textContent !== v, firstRmssd);

      // Two clean minutes of baseline, then the pedal: Space asks for confirmation, Space again starts the massage.
      await waitFor(
        page,
        () => {
          const [m, s] = (document.getElementById('shift-pct')?.textContent ?? '0:00').split(':').map(Number);
          return m * 60 + s >= 135;
        },
        undefined,
        { timeoutMs: 15_000, what: '2:15 of baseline' },
      );
      expect(seconds(await text(page, '#shift-pct'))).toBeGreaterThanOrEqual(135);
      await page.press('Space');
      await expect.poll(() => text(page, '#toast')).toContain('Press again to start the massage');
      await page.press('Space');
      await waitForSelector(
        page,
        '#hero:is([data-verdict="shifting-to-rest"], [data-verdict="activated"], [data-verdict="no-clear-change"])',
        'attached',
      );
      expect(await text(page, '#verdict')).toMatch(/^(Shifting to rest|Activated|No clear change)$/);
      expect(await text(page, '#shift-pct')).toMatch(/^[+−]\d+ %$/);
      const detail = await text(page, '#hero-detail');
      expect(detail).toMatch(/^(Inside|Beyond) the baseline's noise band \(±\d+ %\)\.$/);

      // Markers: 3 places chip 3; ↓ selects the next chip and Enter places it; ← undoes the last one.
      await page.press('3');
      await waitForText(page, '#timeline li', 'myofascial release');
      await page.press('ArrowDown');
      await page.press('Enter');
      await waitForText(page, '#timeline li', 'trigger point');
      await expect.poll(() => text(page, '#toast')).toContain('Marked trigger point');
      await page.press('ArrowLeft');
      await waitForText(page, '#timeline li.undone', 'trigger point (undone)');

      // The charts draw both phases and the one marker left.
      await waitForSelector(page, '#trend[data-drawn-phases="2"][data-drawn-markers="1"]', 'attached');
      await waitForSelector(page, '#tacho[data-drawn-markers="1"]', 'attached');

      // The store has them, and its baseline band is the one the live screen shows.
      const stored = (await getJson(`/api/sessions/${sessionId}`)) as {
        phases: { kind: string }[];
        markers: { kind: string; value: string; undone: boolean }[];
        summary: { phases: { kind: string; reference: { bandLn: number } | null }[] };
      };
      expect(stored.phases.map((p) => p.kind)).toEqual(['baseline', 'massage']);
      expect(stored.markers.map(({ kind, value, undone }) => ({ kind, value, undone }))).toEqual([
        { kind: 'technique', value: 'myofascial release', undone: false },
        { kind: 'technique', value: 'trigger point', undone: true },
      ]);
      const bandLn = stored.summary.phases[0].reference?.bandLn as number;
      expect(detail).toContain(`±${Math.round((Math.exp(bandLn) - 1) * 100)} %`);

      // A reload redraws the whole session from `hello`.
      await page.reload();
      await waitForSelector(page, 'body[data-conn="up"]', 'attached');
      await waitForSelector(page, '#trend[data-drawn-phases="2"][data-drawn-markers="1"]', 'attached');
      expect(await countOf(page, '#timeline li')).toBe(4);
      await waitForSelector(page, 'body[data-signal="live"]', 'attached');
      await waitFor(page, () => /^[+−]\d+ %$/.test(document.getElementById('shift-pct')?.textContent ?? ''));

      // Screenshots: dark and light, tablet and phone.
      await page.screenshot(shot(engine, 'live-dark-tablet.png'));
      await page.setViewport(PHONE);
      await page.screenshot(shot(engine, 'live-dark-phone.png'));
      await page.press('t');
      await waitForSelector(page, 'html[data-theme="light"]', 'attached');
      await page.screenshot(shot(engine, 'live-light-phone.png'));
      await page.setViewport(TABLET);
      await page.screenshot(shot(engine, 'live-light-tablet.png'));
      await page.press('t');
      await waitForSelector(page, 'html[data-theme="dark"]', 'attached');

      // The client view: no numbers at all.
      await page.press('c');
      await waitForSelector(page, '#calm:not([hidden])');
      expect(await text(page, '#calm')).not.toMatch(/\d/);
      expect(await isVisible(page, '#live')).toBe(false);
      expect(await isVisible(page, '#calm-demo')).toBe(true);
      await page.screenshot(shot(engine, 'calm-dark-tablet.png'));
      await page.press('c');
      await waitForSelector(page, '#calm', 'hidden');
      await waitForSelector(page, '#live', 'visible');
    },
    60_000 * slow,
  );

  it.runIf(engine === 'chromium')(
    'is usable by keyboard and screen reader, with AA contrast in both themes',
    async () => {
      const p = pw(page);
      // Every visible control is reached by Tab, in a page with a session.
      const controls = await p.evaluate(focusableControlsInPage);
      expect(controls.length).toBeGreaterThan(20);
      const reached = new Set<string>();
      await p.focus('a.skip');
      const first = await p.evaluate(focusedControlInPage);
      for (let i = 0; i < 2 * controls.length; i++) {
        const f = await p.evaluate(focusedControlInPage);
        if (f) reached.add(f);
        await p.keyboard.press('Tab');
        if (i > 0 && (await p.evaluate(focusedControlInPage)) === first) break;
      }
      expect(controls.filter((c) => !reached.has(c))).toEqual([]);
      expect(await p.evaluate(unnamedControlsInPage)).toEqual([]);
      // The signal and the acknowledgements are announced.
      expect(await p.locator('#signal').getAttribute('role')).toBe('status');
      expect(await p.locator('#toast').getAttribute('aria-live')).toBe('polite');

      for (const theme of ['dark', 'light']) {
        await p.evaluate((t) => {
          document.documentElement.dataset.theme = t;
        }, theme);
        expect({ theme, failures: await p.evaluate(contrastFailuresInPage) }).toEqual({ theme, failures: [] });
      }
      await p.evaluate(() => {
        document.documentElement.dataset.theme = 'dark';
        (document.activeElement as HTMLElement | null)?.blur();
      });
    },
    20_000,
  );

  it(
    'survives a daemon restart: says it is not connected, then reconnects by itself and redraws',
    async () => {
      // Let the massage run for more than a minute first, so that the report below has a shift to show.
      type Detail = { session: { lastBeatTS: number }; phases: { kind: string; startedAtS: number }[] };
      const detail = (await getJson(`/api/sessions/${sessionId}`)) as Detail;
      const massageStartS = detail.phases.find((p) => p.kind === 'massage')?.startedAtS as number;
      await expect
        .poll(async () => ((await getJson(`/api/sessions/${sessionId}`)) as Detail).session.lastBeatTS, {
          timeout: 10_000,
        })
        .toBeGreaterThan(massageStartS + 75);
      outage = true;
      await daemon.kill('SIGKILL');
      await waitForSelector(page, 'body[data-signal="offline"]', 'attached');
      await expect.poll(() => text(page, '#banner-text')).toMatch(/^Not connected to tableside\. Retrying/);
      expect(await text(page, '#signal-text')).toBe('Not connected to tableside');
      expect(sameColour(await colourOf(page, '#hr'), await cssVar(page, '--stale'))).toBe(true);
      expect(await text(page, '#banner-action')).toBe('Retry now');
      await page.screenshot(shot(engine, 'live-not-connected-tablet.png'));

      // The same port, the same database: the killed session is marked interrupted, a new one starts.
      daemon = await startDaemonOn(port, ['replay', longRecording, '--speed', SPEED, '--db', db]);
      await waitForSelector(page, 'body[data-conn="up"]', 'attached', 15_000);
      outage = false;
      await waitForSelector(page, 'body[data-signal="live"]', 'attached');
      expect(await isVisible(page, '#banner')).toBe(false);
      expect(Number(await attributeOf(page, 'body', 'data-session'))).toBeGreaterThan(sessionId);
      await waitFor(page, () => /^\d+$/.test(document.getElementById('hr')?.textContent ?? ''));
      expect(await text(page, '#verdict')).toBe('Waiting for baseline');
      const first = (await getJson(`/api/sessions/${sessionId}`)) as { session: { status: string } };
      expect(first.session.status).toBe('interrupted');

      // A new session for a client, with a note, from the keyboard.
      await page.press('n');
      await waitForSelector(page, '#new-session[open]');
      await page.type('A. B.');
      await page.fill('#client-note', 'neck tension after a long drive');
      await page.click('#new-start');
      await waitFor(page, () => document.getElementById('client')?.textContent === 'A. B.');
      const newId = Number(await attributeOf(page, 'body', 'data-session'));
      const created = (await getJson(`/api/sessions/${newId}`)) as { session: Record<string, unknown> };
      expect(created.session).toMatchObject({ clientLabel: 'A. B.', therapistNote: 'neck tension after a long drive' });
    },
    45_000 * slow,
  );

  it(
    'lists the sessions and shows a report with the per-phase table, the charts and the exports',
    async () => {
      const p = await open({ width: 1280, height: 900 });
      await p.goto(new URL('/sessions', daemon.url).href);
      await waitForSelector(p, '#sessions tbody tr');
      expect(await countOf(p, '#sessions tbody tr')).toBe(3);
      await p.screenshot(shot(engine, 'sessions-dark.png'));
      await p.click(`#sessions tr[data-session="${sessionId}"] a[href="/sessions/${sessionId}"]`);
      await waitFor(p, (path) => location.pathname === path, `/sessions/${sessionId}`);
      await waitForSelector(p, '#phases tbody tr');

      expect(await countOf(p, '#phases tbody tr')).toBe(2);
      const row = (n: number, cell: string) => text(p, `#phases tbody tr:nth-child(${n}) ${cell}`);
      expect(await row(1, 'th')).toBe('Baseline');
      expect(await row(1, 'td.shift')).toMatch(/^reference: band ±\d+ % from \d+ one-minute windows$/);
      expect(await row(2, 'th')).toBe('Massage');
      expect(await row(2, 'td.shift')).toMatch(
        /^[▲▼≈] (Shifting to rest|Activated|No clear change) [+−]\d+ % \(\d+ → \d+ ms; (within|beyond) the band ±\d+ %\)$/,
      );
      expect(await text(p, '#overview')).toMatch(
        /^Massage: (shifting to rest|activated|no clear change) \([+−]\d+ %\)\.$/,
      );
      expect(await text(p, '#markers')).toContain('technique: myofascial release');
      expect(await text(p, '#markers')).not.toContain('trigger point');
      expect(await text(p, '#quality-notes')).toContain('tableside stopped without ending this session');
      await waitForSelector(p, '#trend[data-drawn-phases="2"][data-drawn-markers="1"]', 'attached');
      for (const format of ['csv', 'rr', 'json']) {
        const href = await attributeOf(p, `#exports a[href$="format=${format}"]`, 'href');
        const response = await fetch(new URL(href as string, daemon.url));
        expect(response.status).toBe(200);
      }
      await p.screenshot(shot(engine, 'report-dark.png'), { fullPage: true });
      expect(await p.evaluate(contrastFailuresInPage)).toEqual([]);

      if (p.playwright) {
        // Print: light, without the navigation and the export links.
        await p.playwright.emulateMedia({ media: 'print' });
        await waitFor(p, () => document.documentElement.dataset.theme === 'light');
        expect(await isVisible(p, 'header.bar')).toBe(false);
        await p.screenshot(shot(engine, 'report-print.png'), { fullPage: true });
        await p.playwright.emulateMedia({ media: 'screen' });
      }
      await p.close();
    },
    30_000 * slow,
  );

  it(
    'greys the figures out and says "stale" when the replayed strap goes quiet, and goes live again after',
    async () => {
      const pausedFile = join(dir.path, 'paused-strap.txt');
      await recordingWithPause(RECORDING, pausedFile, { atS: 120, lengthS: 150, everyS: 270 });
      const b = await startDaemonOn(0, ['replay', pausedFile, '--speed', SPEED, '--db', join(dir.path, 'b.db')]);
      // Closed before its daemon is killed, also when an assertion fails: its reconnect attempts are not errors.
      const p = await open();
      try {
        await p.goto(b.url);
        await waitForSelector(p, 'body[data-signal="live"]', 'attached');
        await waitFor(p, () => /^\d+$/.test(document.getElementById('hr')?.textContent ?? ''));
        expect(sameColour(await colourOf(p, '#hr'), await cssVar(p, '--fg'))).toBe(true);

        await waitForSelector(p, 'body[data-signal="stale"]', 'attached', 15_000);
        expect(await text(p, '#signal-text')).toMatch(/^Stale: no beat for [3-9] s$/);
        // The last values stay on screen, greyed out, with the word beside the verdict.
        expect(await text(p, '#hr')).toMatch(/^\d+$/);
        expect(sameColour(await colourOf(p, '#hr'), await cssVar(p, '--stale'))).toBe(true);
        expect(sameColour(await colourOf(p, '#rmssd'), await cssVar(p, '--stale'))).toBe(true);
        expect(await text(p, '#hero-stale')).toBe('STALE');
        await waitFor(p, () => /no beat for [5-9] s/.test(document.getElementById('signal-text')?.textContent ?? ''));
        await p.screenshot(shot(engine, 'live-stale-tablet.png'));

        // The strap comes back: live again, and the gap is in the chart's data.
        await waitForSelector(p, 'body[data-signal="live"]', 'attached', 15_000);
        expect(sameColour(await colourOf(p, '#hr'), await cssVar(p, '--fg'))).toBe(true);
        expect(await isVisible(p, '#hero-stale')).toBe(false);
      } finally {
        await p.close();
        await b.kill();
      }
      // The daemon's start, then up to a whole cycle of beats and pause before the one the page sees, in real time.
    },
    60_000 * slow,
  );

  it.runIf(engine === 'chromium')(
    'asks the API nothing when an open socket drops (the daemon may be dying): it retries, and says so',
    async () => {
      // A request sent at the moment the daemon dies is reset; only an attempt refused at the upgrade asks why.
      const screen = await open();
      const p = pw(screen);
      const asked: string[] = [];
      p.on('request', (r) => {
        if (/\/api\/(health|streams)$/.test(r.url())) asked.push(r.url());
      });
      let opened = 0;
      await p.routeWebSocket(/\/ws$/, (ws) => {
        opened++;
        setTimeout(() => ws.close(), 100);
      });
      await p.goto(daemon.url);
      await expect.poll(() => opened, { timeout: 15_000 }).toBeGreaterThanOrEqual(3);
      expect(await text(screen, '#banner-text')).toMatch(/^Not connected to tableside\. Retrying/);
      expect(asked).toEqual([]);
      await p.close();
    },
    30_000,
  );

  it.runIf(engine === 'chromium')(
    'says so when the daemon speaks another protocol version, instead of guessing',
    async () => {
      const screen = await open();
      const p = pw(screen);
      await p.routeWebSocket(/\/ws$/, (ws) => {
        ws.send(
          JSON.stringify({
            type: 'hello',
            protocol: PROTOCOL.version + 1,
            source: { kind: 'ble', label: 'x', demo: false },
          }),
        );
      });
      await p.goto(daemon.url);
      await waitForSelector(screen, 'body[data-conn="mismatch"]', 'attached');
      // The words follow the state on the next frame.
      await expect
        .poll(() => text(screen, '#banner-text'))
        .toContain(
          `Protocol mismatch: this screen speaks tableside protocol ${PROTOCOL.version}, the daemon speaks ${PROTOCOL.version + 1}.`,
        );
      await expect.poll(() => text(screen, '#signal-text')).toBe('Protocol mismatch');
      await expect.poll(() => text(screen, '#banner-action')).toBe('Reload');
      await p.close();
    },
    15_000,
  );

  it('says so when the browser cannot show the page fullscreen (as on an iPhone)', async () => {
    // The engines here all can: the page is made to see a browser without the Fullscreen API.
    await page.evaluate(() => {
      Object.defineProperty(Document.prototype, 'fullscreenEnabled', { get: () => false, configurable: true });
    });
    await page.press('f');
    await expect.poll(() => text(page, '#toast')).toContain('This browser cannot show the page fullscreen.');
  });

  it('logged no console error on any page', async () => {
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});
