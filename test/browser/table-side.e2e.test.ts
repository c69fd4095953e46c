/**
 * The table-side screen in a real browser (Debian's Chromium through playwright-core) against the real `tableside`
 * CLI replaying a real recording: what a therapist sees and does, end to end. Screenshots go to
 * test-output/screenshots/ for a reviewer to look at.
 *
 * Two daemons: A replays bartels_rest_rri.txt three times over at 20× (2.4 min: still recording when it is killed,
 * however slowly a busy machine runs the tests before) for the live screen, the restart and the report; B replays the
 * same beats as a strap recording that goes quiet for 150 s (7.5 s here) after every 120 s of beats, for the stale
 * state: however late the page joins (the start takes seconds on a busy machine), a pause is still to come.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/daemon-process.js';
import {
  type Daemon,
  freePort,
  launchChromium,
  parseColour,
  recordingWithPause,
  screenshotPath,
  startDaemonOn,
} from './browser.js';
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
/** What Chromium itself logs while the daemon is deliberately down: the page's reconnect attempts being refused. */
const REFUSED = /ERR_CONNECTION_REFUSED|WebSocket connection to .* failed/;

const dir = tempDir('tableside-browser-');
const db = join(dir.path, 'tableside.db');
let browser: Browser;
let daemon: Daemon;
let port: number;
let page: Page;
let sessionId: number;
/** the daemon is down on purpose: refused connections are expected, not errors */
let outage = false;
const consoleErrors: string[] = [];

function watch(p: Page): Page {
  p.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (outage && REFUSED.test(m.text())) return;
    consoleErrors.push(`${p.url()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => consoleErrors.push(`${p.url()}: ${e.message}`));
  return p;
}

const text = (p: Page, selector: string) => p.locator(selector).innerText();

/** "m:ss" → s */
const seconds = (clock: string) => {
  const [m, s] = clock.split(':').map(Number);
  return m * 60 + s;
};

async function cssVar(p: Page, name: string): Promise<string> {
  return p.evaluate((n) => getComputedStyle(document.documentElement).getPropertyValue(n).trim(), name);
}

async function colourOf(p: Page, selector: string): Promise<string> {
  return p.locator(selector).evaluate((el) => getComputedStyle(el).color);
}

const sameColour = (a: string, b: string) => parseColour(a).slice(0, 3).join() === parseColour(b).slice(0, 3).join();

async function getJson(path: string): Promise<Record<string, unknown>> {
  const response = await fetch(new URL(path, daemon.url));
  expect(response.status).toBe(200);
  return (await response.json()) as Record<string, unknown>;
}

/** RECORDING three times over, one RR value a line. */
const longRecording = join(dir.path, 'bartels_rest_rri_x3.txt');

beforeAll(async () => {
  const rr = readFileSync(RECORDING, 'utf8').trim();
  writeFileSync(longRecording, `${[rr, rr, rr].join('\n')}\n`);
  port = await freePort();
  [browser, daemon] = await Promise.all([
    launchChromium(),
    startDaemonOn(port, ['replay', longRecording, '--speed', SPEED, '--db', db]),
  ]);
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.kill();
  dir.remove();
});

describe.sequential('the table-side screen (Chromium, real daemon, real recording)', () => {
  it('shows live figures that change, and takes phases and markers from the keyboard into the chart and the store', async () => {
    page = watch(await browser.newPage({ viewport: TABLET }));
    await page.goto(daemon.url);
    await page.waitForSelector('body[data-conn="up"][data-signal="live"]');
    expect(await page.locator('#demo').isVisible()).toBe(true);
    sessionId = Number(await page.locator('body').getAttribute('data-session'));
    expect(sessionId).toBeGreaterThan(0);
    expect(await text(page, '#verdict')).toBe('Waiting for baseline');

    // B starts the baseline; the hero counts it.
    await page.keyboard.press('b');
    await page.waitForSelector('#hero[data-verdict="measuring"]');
    await page.waitForFunction(() => /^\d+$/.test(document.getElementById('rmssd')?.textContent ?? ''));
    const firstRmssd = await text(page, '#rmssd');
    expect(Number(await text(page, '#hr'))).toBeGreaterThan(40);
    await page.waitForFunction((v) => document.getElementById('rmssd')?.textContent !== v, firstRmssd);

    // Two clean minutes of baseline, then the pedal: Space asks for confirmation, Space again starts the massage.
    await page.waitForFunction(
      () => {
        const [m, s] = (document.getElementById('shift-pct')?.textContent ?? '0:00').split(':').map(Number);
        return m * 60 + s >= 135;
      },
      null,
      { timeout: 15_000 },
    );
    expect(seconds(await text(page, '#shift-pct'))).toBeGreaterThanOrEqual(135);
    await page.keyboard.press('Space');
    await expect.poll(() => text(page, '#toast')).toContain('Press again to start the massage');
    await page.keyboard.press('Space');
    await page.waitForSelector(
      '#hero:is([data-verdict="shifting-to-rest"], [data-verdict="activated"], [data-verdict="no-clear-change"])',
    );
    expect(await text(page, '#verdict')).toMatch(/^(Shifting to rest|Activated|No clear change)$/);
    expect(await text(page, '#shift-pct')).toMatch(/^[+−]\d+ %$/);
    const detail = await text(page, '#hero-detail');
    expect(detail).toMatch(/^(Inside|Beyond) the baseline's noise band \(±\d+ %\)\.$/);

    // Markers: 3 places chip 3; ↓ selects the next chip and Enter places it; ← undoes the last one.
    await page.keyboard.press('3');
    await page.waitForSelector('#timeline li:has-text("myofascial release")');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#timeline li:has-text("trigger point")');
    await expect.poll(() => text(page, '#toast')).toContain('Marked trigger point');
    await page.keyboard.press('ArrowLeft');
    await page.waitForSelector('#timeline li.undone:has-text("trigger point (undone)")');

    // The charts draw both phases and the one marker left.
    await page.waitForSelector('#trend[data-drawn-phases="2"][data-drawn-markers="1"]');
    await page.waitForSelector('#tacho[data-drawn-markers="1"]');

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
    await page.waitForSelector('body[data-conn="up"]');
    await page.waitForSelector('#trend[data-drawn-phases="2"][data-drawn-markers="1"]');
    expect(await page.locator('#timeline li').count()).toBe(4);
    await page.waitForSelector('body[data-signal="live"]');
    await page.waitForFunction(() => /^[+−]\d+ %$/.test(document.getElementById('shift-pct')?.textContent ?? ''));

    // Screenshots: dark and light, tablet and phone.
    await page.screenshot({ path: screenshotPath('live-dark-tablet.png') });
    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('live-dark-phone.png') });
    await page.keyboard.press('t');
    await page.waitForSelector('html[data-theme="light"]');
    await page.screenshot({ path: screenshotPath('live-light-phone.png') });
    await page.setViewportSize(TABLET);
    await page.screenshot({ path: screenshotPath('live-light-tablet.png') });
    await page.keyboard.press('t');
    await page.waitForSelector('html[data-theme="dark"]');

    // The client view: no numbers at all.
    await page.keyboard.press('c');
    await page.waitForSelector('#calm:not([hidden])');
    expect(await page.locator('#calm').innerText()).not.toMatch(/\d/);
    expect(await page.locator('#live').isHidden()).toBe(true);
    expect(await page.locator('#calm-demo').isVisible()).toBe(true);
    await page.screenshot({ path: screenshotPath('calm-dark-tablet.png') });
    await page.keyboard.press('c');
    await page.waitForSelector('#calm', { state: 'hidden' });
    await page.waitForSelector('#live', { state: 'visible' });
  }, 45_000);

  it('is usable by keyboard and screen reader, with AA contrast in both themes', async () => {
    // Every visible control is reached by Tab, in a page with a session.
    const controls = await page.evaluate(focusableControlsInPage);
    expect(controls.length).toBeGreaterThan(20);
    const reached = new Set<string>();
    await page.focus('a.skip');
    const first = await page.evaluate(focusedControlInPage);
    for (let i = 0; i < 2 * controls.length; i++) {
      const f = await page.evaluate(focusedControlInPage);
      if (f) reached.add(f);
      await page.keyboard.press('Tab');
      if (i > 0 && (await page.evaluate(focusedControlInPage)) === first) break;
    }
    expect(controls.filter((c) => !reached.has(c))).toEqual([]);
    expect(await page.evaluate(unnamedControlsInPage)).toEqual([]);
    // The signal and the acknowledgements are announced.
    expect(await page.locator('#signal').getAttribute('role')).toBe('status');
    expect(await page.locator('#toast').getAttribute('aria-live')).toBe('polite');

    for (const theme of ['dark', 'light']) {
      await page.evaluate((t) => {
        document.documentElement.dataset.theme = t;
      }, theme);
      expect({ theme, failures: await page.evaluate(contrastFailuresInPage) }).toEqual({ theme, failures: [] });
    }
    await page.evaluate(() => {
      document.documentElement.dataset.theme = 'dark';
      (document.activeElement as HTMLElement | null)?.blur();
    });
  }, 20_000);

  it('survives a daemon restart: says it is not connected, then reconnects by itself and redraws', async () => {
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
    await page.waitForSelector('body[data-signal="offline"]');
    await expect.poll(() => text(page, '#banner-text')).toMatch(/^Not connected to tableside\. Retrying/);
    expect(await text(page, '#signal-text')).toBe('Not connected to tableside');
    expect(sameColour(await colourOf(page, '#hr'), await cssVar(page, '--stale'))).toBe(true);
    expect(await page.locator('#banner-action').innerText()).toBe('Retry now');
    await page.screenshot({ path: screenshotPath('live-not-connected-tablet.png') });

    // The same port, the same database: the killed session is marked interrupted, a new one starts.
    daemon = await startDaemonOn(port, ['replay', longRecording, '--speed', SPEED, '--db', db]);
    await page.waitForSelector('body[data-conn="up"]', { timeout: 15_000 });
    outage = false;
    await page.waitForSelector('body[data-signal="live"]');
    expect(await page.locator('#banner').isHidden()).toBe(true);
    expect(Number(await page.locator('body').getAttribute('data-session'))).toBeGreaterThan(sessionId);
    await page.waitForFunction(() => /^\d+$/.test(document.getElementById('hr')?.textContent ?? ''));
    expect(await text(page, '#verdict')).toBe('Waiting for baseline');
    const first = (await getJson(`/api/sessions/${sessionId}`)) as { session: { status: string } };
    expect(first.session.status).toBe('interrupted');

    // A new session for a client, with a note, from the keyboard.
    await page.keyboard.press('n');
    await page.waitForSelector('#new-session[open]');
    await page.keyboard.type('A. B.');
    await page.fill('#client-note', 'neck tension after a long drive');
    await page.click('#new-start');
    await page.waitForFunction(() => document.getElementById('client')?.textContent === 'A. B.');
    const newId = Number(await page.locator('body').getAttribute('data-session'));
    const created = (await getJson(`/api/sessions/${newId}`)) as { session: Record<string, unknown> };
    expect(created.session).toMatchObject({ clientLabel: 'A. B.', therapistNote: 'neck tension after a long drive' });
  }, 30_000);

  it('lists the sessions and shows a report with the per-phase table, the charts and the exports', async () => {
    const p = watch(await browser.newPage({ viewport: { width: 1280, height: 900 } }));
    await p.goto(new URL('/sessions', daemon.url).href);
    await p.waitForSelector('#sessions tbody tr');
    expect(await p.locator('#sessions tbody tr').count()).toBe(3);
    await p.screenshot({ path: screenshotPath('sessions-dark.png') });
    await p.locator(`#sessions tr[data-session="${sessionId}"] a[href="/sessions/${sessionId}"]`).click();
    await p.waitForURL(`**/sessions/${sessionId}`);
    await p.waitForSelector('#phases tbody tr');

    const rows = p.locator('#phases tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.nth(0).locator('th').innerText()).toBe('Baseline');
    expect(await rows.nth(0).locator('td.shift').innerText()).toMatch(
      /^reference: band ±\d+ % from \d+ one-minute windows$/,
    );
    expect(await rows.nth(1).locator('th').innerText()).toBe('Massage');
    expect(await rows.nth(1).locator('td.shift').innerText()).toMatch(
      /^[▲▼≈] (Shifting to rest|Activated|No clear change) [+−]\d+ % \(\d+ → \d+ ms; (within|beyond) the band ±\d+ %\)$/,
    );
    expect(await p.locator('#overview').innerText()).toMatch(
      /^Massage: (shifting to rest|activated|no clear change) \([+−]\d+ %\)\.$/,
    );
    expect(await p.locator('#markers').innerText()).toContain('technique: myofascial release');
    expect(await p.locator('#markers').innerText()).not.toContain('trigger point');
    expect(await p.locator('#quality-notes').innerText()).toContain('tableside stopped without ending this session');
    await p.waitForSelector('#trend[data-drawn-phases="2"][data-drawn-markers="1"]');
    for (const format of ['csv', 'rr', 'json']) {
      const href = await p.locator(`#exports a[href$="format=${format}"]`).getAttribute('href');
      const response = await fetch(new URL(href as string, daemon.url));
      expect(response.status).toBe(200);
    }
    await p.screenshot({ path: screenshotPath('report-dark.png'), fullPage: true });
    expect(await p.evaluate(contrastFailuresInPage)).toEqual([]);

    // Print: light, without the navigation and the export links.
    await p.emulateMedia({ media: 'print' });
    await p.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    expect(await p.locator('header.bar').isHidden()).toBe(true);
    await p.screenshot({ path: screenshotPath('report-print.png'), fullPage: true });
    await p.emulateMedia({ media: 'screen' });
    await p.close();
  }, 30_000);

  it('greys the figures out and says "stale" when the replayed strap goes quiet, and goes live again after', async () => {
    const pausedFile = join(dir.path, 'paused-strap.txt');
    await recordingWithPause(RECORDING, pausedFile, { atS: 120, lengthS: 150, everyS: 270 });
    const b = await startDaemonOn(await freePort(), [
      'replay',
      pausedFile,
      '--speed',
      SPEED,
      '--db',
      join(dir.path, 'b.db'),
    ]);
    // Closed before its daemon is killed, also when an assertion fails: its reconnect attempts are not errors.
    const p = watch(await browser.newPage({ viewport: TABLET }));
    try {
      await p.goto(b.url);
      await p.waitForSelector('body[data-signal="live"]');
      await p.waitForFunction(() => /^\d+$/.test(document.getElementById('hr')?.textContent ?? ''));
      expect(sameColour(await colourOf(p, '#hr'), await cssVar(p, '--fg'))).toBe(true);

      await p.waitForSelector('body[data-signal="stale"]', { timeout: 15_000 });
      expect(await text(p, '#signal-text')).toMatch(/^Stale: no beat for [3-9] s$/);
      // The last values stay on screen, greyed out, with the word beside the verdict.
      expect(await text(p, '#hr')).toMatch(/^\d+$/);
      expect(sameColour(await colourOf(p, '#hr'), await cssVar(p, '--stale'))).toBe(true);
      expect(sameColour(await colourOf(p, '#rmssd'), await cssVar(p, '--stale'))).toBe(true);
      expect(await p.locator('#hero-stale').innerText()).toBe('STALE');
      await p.waitForFunction(() =>
        /no beat for [5-9] s/.test(document.getElementById('signal-text')?.textContent ?? ''),
      );
      await p.screenshot({ path: screenshotPath('live-stale-tablet.png') });

      // The strap comes back: live again, and the gap is in the chart's data.
      await p.waitForSelector('body[data-signal="live"]', { timeout: 15_000 });
      expect(sameColour(await colourOf(p, '#hr'), await cssVar(p, '--fg'))).toBe(true);
      expect(await p.locator('#hero-stale').isHidden()).toBe(true);
    } finally {
      await p.close();
      await b.kill();
    }
    // The daemon's start, then up to a whole cycle of beats and pause before the one the page sees, in real time.
  }, 60_000);

  it('asks the API nothing when an open socket drops (the daemon may be dying): it retries, and says so', async () => {
    // A request sent at the moment the daemon dies is reset; only an attempt refused at the upgrade asks why.
    const p = watch(await browser.newPage({ viewport: TABLET }));
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
    expect(await text(p, '#banner-text')).toMatch(/^Not connected to tableside\. Retrying/);
    expect(asked).toEqual([]);
    await p.close();
  }, 30_000);

  it('says so when the daemon speaks another protocol version, instead of guessing', async () => {
    const p = watch(await browser.newPage({ viewport: TABLET }));
    await p.routeWebSocket(/\/ws$/, (ws) => {
      ws.send(JSON.stringify({ type: 'hello', protocol: 3, source: { kind: 'ble', label: 'x', demo: false } }));
    });
    await p.goto(daemon.url);
    await p.waitForSelector('body[data-conn="mismatch"]');
    expect(await text(p, '#banner-text')).toMatch(
      /^Protocol mismatch: this screen speaks tableside protocol 2, the daemon speaks 3\./,
    );
    expect(await text(p, '#signal-text')).toBe('Protocol mismatch');
    expect(await p.locator('#banner-action').innerText()).toBe('Reload');
    await p.close();
  }, 15_000);

  it('logged no console error on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
