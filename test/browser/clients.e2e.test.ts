/**
 * A client's weeks in a real browser (Debian's Chromium through playwright-core) against the real `tableside` CLI on
 * the simulated strap at 20× real time: a client, three weeks of morning readings uploaded through the API, a reading
 * before the session taken on the table-side screen (H, settle, measure), a session with a baseline — the screen
 * then says where today's baseline sits against the client's usual range — a technique and a massage, a reading after
 * it on the screen (the session's after reading) and one uploaded 45 min later; then the client list, the client's
 * page (the before → after pair, the normal band, the session on the chart), the printable progress report, and a
 * second record renamed and merged into the first (asked first). The uploaded readings are slices of bartels_rest_rri.txt, which has no artefact, and the table-side ones
 * are exported with their RR: each lnRMSSD is recomputed here from the definition (ln √mean(ΔRR²)), the normal range
 * from its own (mean ± ½ SD, n − 1, of the daily values). Screenshots go to test-output/screenshots/.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/daemon-process.js';
import { type Daemon, freePort, launchChromium, screenshotPath, startDaemonOn } from './browser.js';
import { contrastFailuresInPage, unnamedControlsInPage } from './in-page.js';

const RECORDING = 'recordings/bartels_rest_rri.txt';
const SPEED = '20';
const WIDE = { width: 1280, height: 900 };
const MORNINGS = 21;
/** beats per reading slice (about 74 s of this recording), and the step between the mornings' slices */
const SLICE = 70;
const STEP = 40;

const dir = tempDir('tableside-clients-');
const db = join(dir.path, 'tableside.db');
let browser: Browser;
let daemon: Daemon;
const consoleErrors: string[] = [];

const rr = readFileSync(RECORDING, 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => /^\d/.test(l))
  .map(Number);

/** lnRMSSD from its definition: no artefact in this recording, so no correction is needed. */
function lnRmssd(values: readonly number[]): number {
  let sum = 0;
  for (let i = 1; i < values.length; i++) sum += (values[i] - values[i - 1]) ** 2;
  return Math.log(Math.sqrt(sum / (values.length - 1)));
}

/** This machine's local wall clock, 'YYYY-MM-DDTHH:MM:SS' (how readings and sessions are placed on the timeline). */
function local(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

async function api(method: string, path: string, body?: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(new URL(path, daemon.url), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  expect(response.status, `${method} ${path}: ${text}`).toBeLessThan(300);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

function watch(p: Page): Page {
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${p.url()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => consoleErrors.push(`${p.url()}: ${e.message}`));
  return p;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let clientId: number;
let sessionId: number;
const mornings: number[] = [];
let beforeLn: number;
let afterLn: number;
let tableAfterLn: number;
let live: Page;

/** mean and sample SD (n − 1) of the mornings: the usual range is mean ± ½ SD */
function usualRange(): { low: number; high: number } {
  const mean = mornings.reduce((s, v) => s + v, 0) / mornings.length;
  const sd = Math.sqrt(mornings.reduce((s, v) => s + (v - mean) ** 2, 0) / (mornings.length - 1));
  return { low: mean - sd / 2, high: mean + sd / 2 };
}

/**
 * Takes a reading on the table-side screen: H opens the dialog, the client and the kind are chosen, 1 minute measured,
 * Enter starts it; the panel counts the settling and the measuring, then shows the value. Returns the value shown,
 * after checking it against the definition recomputed from the RR the reading stored.
 */
async function readingOnScreen(kind: 'before' | 'after'): Promise<number> {
  await live.keyboard.press('h');
  await live.waitForSelector('#reading-dialog[open]');
  expect(await live.locator('#reading-dialog').innerText()).toContain('lies on their back, still');
  await live.waitForSelector(`#reading-client option[value="${clientId}"]`, { state: 'attached' });
  await live.selectOption('#reading-client', String(clientId));
  expect(await live.locator('#reading-kind').inputValue()).toBe(kind);
  await live.selectOption('#reading-minutes', '1');
  await live.keyboard.press('Enter');
  await live.waitForSelector('#reading-panel:not([hidden])');
  await live.waitForSelector('#reading-panel[data-state="measuring"]', { timeout: 20_000 });
  await live.waitForSelector('#reading-panel[data-state="done"]', { timeout: 20_000 });
  const shown = await live.locator('#reading-text').innerText();
  const m = /stored: lnRMSSD (\d\.\d\d) \(RMSSD (\d+) ms/.exec(shown);
  expect(m, shown).not.toBeNull();
  const exported = (await api('GET', `/api/clients/${clientId}/export`)) as {
    readings: { kind: string; source: string; lnRmssd: number; rrMs: number[]; correctedPct: number }[];
  };
  const stored = exported.readings.filter((r) => r.kind === kind && r.source.startsWith('taken at the table'));
  const latest = stored[stored.length - 1];
  // 60 s measured: the beats whose end lies in the minute after the minute of settling
  const measuredS = latest.rrMs.reduce((a, b) => a + b, 0) / 1000;
  expect(measuredS).toBeGreaterThan(58);
  expect(measuredS).toBeLessThan(62);
  expect(latest.correctedPct).toBe(0);
  expect(lnRmssd(latest.rrMs).toFixed(2)).toBe(m?.[1]);
  return latest.lnRmssd;
}

beforeAll(async () => {
  [browser, daemon] = await Promise.all([
    launchChromium(),
    startDaemonOn(await freePort(), ['simulate', '--seed', '7', '--speed', SPEED, '--db', db]),
  ]);
}, 30_000);

afterAll(async () => {
  await browser?.close();
  await daemon?.kill();
  dir.remove();
});

describe.sequential("a client's weeks (Chromium, real daemon, real recording)", () => {
  it('records a client: three weeks of mornings, a reading before, a session with a technique, a reading after', async () => {
    const client = await api('POST', '/api/clients', { name: 'R. T.' });
    clientId = client.id as number;
    const now = new Date();
    for (let i = 0; i < MORNINGS; i++) {
      const day = new Date(now.getFullYear(), now.getMonth(), now.getDate() - MORNINGS + i, 7, 0, 0);
      const slice = rr.slice(i * STEP, i * STEP + SLICE);
      mornings.push(lnRmssd(slice));
      const added = await api('POST', `/api/clients/${clientId}/readings`, {
        fileName: `morning-${i}.txt`,
        text: slice.join('\n'),
        kind: 'morning',
        at: local(day).slice(0, 16),
      });
      expect(added).toMatchObject({ readings: 1, added: 1, withoutValue: 0 });
    }
    // The session the daemon started by itself is ended: a reading is taken while none records.
    const { sessions } = (await api('GET', '/api/sessions')) as { sessions: { id: number; status: string }[] };
    for (const r of sessions.filter((x) => x.status === 'recording'))
      await api('POST', `/api/sessions/${r.id}/end`, {});

    live = watch(await browser.newPage({ viewport: { width: 1024, height: 768 } }));
    await live.goto(daemon.url);
    await live.waitForSelector('body[data-conn="up"]');
    beforeLn = await readingOnScreen('before');
    await live.screenshot({ path: screenshotPath('reading-done-tablet.png') });

    const session = await api('POST', '/api/sessions', { clientId });
    sessionId = session.id as number;
    // While the session records, a reading is refused, and says why.
    const refused = await fetch(new URL('/api/streams/client/reading', daemon.url), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ clientId, kind: 'after', measureS: 60 }),
    });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ code: 'STREAM_RECORDING' });
    await api('POST', `/api/sessions/${sessionId}/phase`, { kind: 'baseline' });
    await sleep((150 / Number(SPEED)) * 1000); // 150 s of beats
    await api('POST', `/api/sessions/${sessionId}/phase`, { kind: 'massage' });
    // Today against the usual: the baseline's lnRMSSD (the report's) against mean ± ½ SD of the mornings, in words.
    const detail = (await api('GET', `/api/sessions/${sessionId}`)) as {
      summary: { phases: { kind: string; reference: { lnRmssd: number } }[] };
    };
    expect(detail.summary.phases[0].kind).toBe('baseline');
    const todayLn = detail.summary.phases[0].reference.lnRmssd;
    const { low, high } = usualRange();
    const words =
      todayLn < low
        ? 'came in below their usual'
        : todayLn > high
          ? 'came in above their usual'
          : 'came in within their usual range';
    await live.waitForSelector('#usual:not([hidden])', { timeout: 10_000 });
    expect(await live.locator('#usual').innerText()).toBe(
      `Today's baseline ${words} (lnRMSSD ${todayLn.toFixed(2)}; usual ${low.toFixed(2)}–${high.toFixed(2)})`,
    );
    await live.screenshot({ path: screenshotPath('live-usual-tablet.png') });
    // For the therapist only: the client view does not show it.
    await live.keyboard.press('c');
    await live.waitForSelector('body.calm-on');
    expect(await live.locator('#usual').isVisible()).toBe(false);
    await live.keyboard.press('c');
    await live.waitForSelector('body:not(.calm-on)');
    await api('POST', `/api/sessions/${sessionId}/markers`, { kind: 'technique', value: 'myofascial release' });
    await sleep((150 / Number(SPEED)) * 1000);
    await api('POST', `/api/sessions/${sessionId}/end`, {});
    // Taken on the screen right after the session: the session's after reading (src/tracking/timeline.ts: the first
    // after reading from the end up to 4 h after it), not the one uploaded below for 45 min later.
    tableAfterLn = await readingOnScreen('after');
    await live.close();

    const after = rr.slice(rr.length - 120);
    afterLn = lnRmssd(after);
    await api('POST', `/api/clients/${clientId}/readings`, {
      fileName: 'after.txt',
      text: after.join('\n'),
      kind: 'after',
      at: local(new Date(Date.now() + 45 * 60_000)),
    });
    // A reading that is too short keeps its reason.
    await api('POST', `/api/clients/${clientId}/readings`, {
      fileName: 'short.txt',
      text: rr.slice(200, 230).join('\n'),
      kind: 'other',
      at: local(new Date(Date.now() - 60 * 60_000)),
    });
  }, 150_000);

  it('lists the client with their last visit and the trend of their weeks', async () => {
    const p = watch(await browser.newPage({ viewport: WIDE }));
    await p.goto(new URL('/clients', daemon.url).href);
    const row = p.locator(`#clients tr[data-client="${clientId}"]`);
    await row.waitFor();
    expect(await row.locator('th').innerText()).toBe('R. T.');
    expect(await row.locator('td.num').nth(0).innerText()).toBe('1');
    expect(await row.locator('td.num').nth(1).innerText()).toBe(String(MORNINGS + 4));
    // One session a moment ago: too early to say anything about the weeks.
    await p.waitForSelector(`#clients tr[data-client="${clientId}"] td.trend[data-verdict="too-early"]`);
    await p.screenshot({ path: screenshotPath('clients-dark.png') });
    await row.locator('a').click();
    await p.waitForURL(`**/clients/${clientId}`);
    await p.close();
  }, 30_000);

  it("shows the client's page: the pair before → after, the normal band and the session on the chart", async () => {
    const p = watch(await browser.newPage({ viewport: WIDE }));
    await p.goto(new URL(`/clients/${clientId}`, daemon.url).href);
    await p.waitForSelector('#client:not([hidden])');
    expect(await p.locator('#title').innerText()).toBe('R. T.');

    // The chart: every morning, the band from the 14th morning on, one session with its pair.
    await p.waitForSelector('#timeline[data-drawn-sessions="1"][data-drawn-pairs="1"]');
    expect(Number(await p.locator('#timeline').getAttribute('data-drawn-days'))).toBe(MORNINGS);
    expect(Number(await p.locator('#timeline').getAttribute('data-drawn-band-days'))).toBeGreaterThanOrEqual(
      MORNINGS - 14 + 1,
    );

    // The sessions table: the pair with the values recomputed here, and their change as a % of RMSSD.
    const session = p.locator(`#sessions tr[data-session="${sessionId}"]`);
    const pair = await session.locator('td.pair').innerText();
    const pct = Math.round((Math.exp(tableAfterLn - beforeLn) - 1) * 100);
    expect(pair).toBe(
      `before ${beforeLn.toFixed(2)} → after ${tableAfterLn.toFixed(2)} (${pct < 0 ? '−' : '+'}${Math.abs(pct)} %)`,
    );
    expect(afterLn.toFixed(2)).not.toBe(tableAfterLn.toFixed(2));
    expect(await session.locator('td').nth(0).innerText()).toBe('myofascial release');
    expect(await session.locator('td.num').innerText()).toMatch(/^[+−]\d\.\d\d \([+−]\d+ %\)$/);

    // The usual range: mean ± ½ SD (n − 1) of the daily values, recomputed here.
    const { low, high } = usualRange();
    const rangeLine = await p.locator('#range-line').innerText();
    expect(rangeLine).toContain(`lnRMSSD ${low.toFixed(2)} (`);
    expect(rangeLine).toContain(`to ${high.toFixed(2)} (`);

    // Techniques: one session is too few to rank.
    expect(await p.locator('#techniques tr[data-technique="myofascial release"]').innerText()).toContain(
      'too few sessions',
    );
    // Readings: each with its value, the short one with its reason.
    expect(await p.locator('#readings tbody tr').count()).toBe(MORNINGS + 4);
    expect(await p.locator('#readings tbody tr', { hasText: 'taken at the table' }).count()).toBe(2);
    expect(tableAfterLn).toBeGreaterThan(0);
    expect(await p.locator('#readings tr[data-kind="other"] td.no-value').innerText()).toMatch(/^too short: \d+ s/);
    expect(await p.locator('#over-weeks').innerText()).toContain('Too early to tell');

    await p.screenshot({ path: screenshotPath('client-dark.png'), fullPage: true });
    expect(await p.evaluate(contrastFailuresInPage)).toEqual([]);
    expect(await p.evaluate(unnamedControlsInPage)).toEqual([]);
    await p.click('#theme-toggle');
    await p.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    await p.screenshot({ path: screenshotPath('client-light.png'), fullPage: true });
    expect(await p.evaluate(contrastFailuresInPage)).toEqual([]);
    await p.click('#theme-toggle');
    await p.close();
  }, 60_000);

  it('uploads an RR file from the page as a reading', async () => {
    const p = watch(await browser.newPage({ viewport: WIDE }));
    await p.goto(new URL(`/clients/${clientId}`, daemon.url).href);
    await p.waitForSelector('#client:not([hidden])');
    await p.setInputFiles('#upload-file', {
      name: 'evening.txt',
      mimeType: 'text/plain',
      buffer: Buffer.from(rr.slice(300, 400).join('\n')),
    });
    await p.selectOption('#upload-kind', 'night');
    await p.fill('#upload-at', local(new Date(Date.now() - 2 * 86_400_000)));
    await p.click('#upload button[type="submit"]');
    await expect.poll(() => p.locator('#upload-status').innerText()).toBe('evening.txt: 1 reading added.');
    const night = p.locator('#readings tr[data-kind="night"]');
    await night.waitFor();
    expect(await night.locator('td.num').nth(0).innerText()).toBe(lnRmssd(rr.slice(300, 400)).toFixed(2));
    await p.close();
  }, 30_000);

  it('prints a progress report of the weeks in plain words', async () => {
    const p = watch(await browser.newPage({ viewport: WIDE }));
    await p.goto(new URL(`/clients/${clientId}/report`, daemon.url).href);
    await p.waitForSelector('#report:not([hidden])');
    expect(await p.locator('#title').innerText()).toBe('R. T. — progress report');
    const summary = await p.locator('#summary').innerText();
    expect(summary).toContain('Over the weeks: too early to tell');
    expect(summary).toContain('1 session between');
    expect(summary).toContain(
      `The reading after the session was higher than the one before in ${tableAfterLn > beforeLn ? 1 : 0} of 1 session with both.`,
    );
    await p.waitForSelector('#timeline[data-drawn-sessions="1"][data-drawn-pairs="1"]');
    await p.screenshot({ path: screenshotPath('client-report-dark.png'), fullPage: true });
    await p.emulateMedia({ media: 'print' });
    await p.waitForFunction(() => document.documentElement.dataset.theme === 'light');
    expect(await p.locator('header.bar').isHidden()).toBe(true);
    await p.screenshot({ path: screenshotPath('client-report-print.png'), fullPage: true });
    const pdf = await p.pdf({ format: 'A4', printBackground: true });
    const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(pages).toBeLessThanOrEqual(2);
    await p.close();
    expect(consoleErrors).toEqual([]);
  }, 30_000);

  it('renames a second record and merges it into the first, asking first', async () => {
    const other = await api('POST', '/api/clients', { name: 'R T' });
    const otherId = other.id as number;
    await api('POST', `/api/clients/${otherId}/readings`, {
      fileName: 'old.txt',
      text: rr.slice(500, 600).join('\n'),
      kind: 'morning',
      at: local(new Date(Date.now() - 40 * 86_400_000)),
    });
    const p = watch(await browser.newPage({ viewport: WIDE }));
    await p.goto(new URL(`/clients/${otherId}`, daemon.url).href);
    await p.waitForSelector('#client:not([hidden])');
    await p.fill('#rename-name', 'R. T. (old record)');
    await p.click('#rename button[type="submit"]');
    await expect.poll(() => p.locator('#title').innerText()).toBe('R. T. (old record)');
    expect(((await api('GET', `/api/clients/${otherId}`)) as { client: { name: string } }).client.name).toBe(
      'R. T. (old record)',
    );

    // Merge asks first: the plan, then nothing moves on Cancel.
    await p.selectOption('#merge-into', String(clientId));
    await p.click('#merge button[type="submit"]');
    await p.waitForSelector('#merge-ask:not([hidden])');
    expect(await p.locator('#merge-plan').innerText()).toBe(
      'Merge R. T. (old record) into R. T.: 0 sessions and 1 reading move, and this record goes. This cannot be undone.',
    );
    await p.click('#merge-cancel');
    expect(await p.locator('#record-status').innerText()).toBe('Nothing was merged.');
    const before = (await api('GET', `/api/clients/${clientId}`)) as { readings: unknown[] };
    expect(((await api('GET', '/api/clients')) as { clients: unknown[] }).clients).toHaveLength(2);

    await p.click('#merge button[type="submit"]');
    await p.waitForSelector('#merge-ask:not([hidden])');
    await p.screenshot({ path: screenshotPath('client-merge-ask.png'), fullPage: false });
    await p.click('#merge-confirm');
    await p.waitForURL(`**/clients/${clientId}`);
    await p.waitForSelector('#client:not([hidden])');
    expect(await p.locator('#title').innerText()).toBe('R. T.');
    const after = (await api('GET', `/api/clients/${clientId}`)) as { readings: unknown[] };
    expect(after.readings).toHaveLength(before.readings.length + 1);
    expect(((await api('GET', '/api/clients')) as { clients: unknown[] }).clients).toHaveLength(1);
    await p.close();
    expect(consoleErrors).toEqual([]);
  }, 60_000);
});
