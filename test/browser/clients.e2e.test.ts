/**
 * A client's weeks in real browsers (Chromium, WebKit and Firefox, see driver.ts) against the real `tableside` CLI on
 * the simulated strap at 20× real time: a client, three weeks of morning readings uploaded through the API, a reading
 * before the session taken on the table-side screen (H, settle, measure), a session with a baseline — the screen
 * then says where today's baseline sits against the client's usual range — a technique and a massage, a reading after
 * it on the screen (the session's after reading) and one uploaded 45 min later; then the client list, the client's
 * page (the before → after pair, the normal band, the session on the chart), the printable progress report, and a
 * second record renamed and merged into the first (asked first). The uploaded readings are slices of bartels_rest_rri.txt, which has no artefact, and the table-side ones
 * are exported with their RR: each lnRMSSD is recomputed here from the definition (ln √mean(ΔRR²)), the normal range
 * from its own (mean ± ½ SD, n − 1, of the daily values). Screenshots go to test-output/screenshots/ (named after the
 * engine, except Chromium's); print media and the PDF are Chromium's alone.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/daemon-process.js';
import { type Daemon, screenshotPath, startDaemonOn } from './browser.js';
import {
  type Browser,
  type Engine,
  installedEngines,
  isVisible,
  launch,
  type Screen,
  textOf as text,
  waitFor,
  waitForSelector,
} from './driver.js';
import { contrastFailuresInPage, unnamedControlsInPage } from './in-page.js';

const RECORDING = 'recordings/bartels_rest_rri.txt';
const SPEED = '20';
const WIDE = { width: 1280, height: 900 };
const MORNINGS = 21;
/** beats per reading slice (about 74 s of this recording), and the step between the mornings' slices */
const SLICE = 70;
const STEP = 40;

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

/** mean and sample SD (n − 1) of the mornings: the usual range is mean ± ½ SD */
function usualRange(mornings: readonly number[]): { low: number; high: number } {
  const mean = mornings.reduce((s, v) => s + v, 0) / mornings.length;
  const sd = Math.sqrt(mornings.reduce((s, v) => s + (v - mean) ** 2, 0) / (mornings.length - 1));
  return { low: mean - sd / 2, high: mean + sd / 2 };
}

/** Chromium's screenshots keep their names; the other engines' carry theirs. */
const shot = (engine: Engine, name: string) =>
  screenshotPath(engine === 'chromium' ? name : name.replace(/\.png$/, `-${engine}.png`));

/** The rendered text of every element matching `selector`. */
const textsOf = (p: Screen, selector: string) =>
  p.evaluate((sel) => [...document.querySelectorAll(sel)].map((el) => (el as HTMLElement).innerText), selector);

/** Sets a date field as a picker would: the value, then `input` and `change`. */
const setValueOf = (p: Screen, selector: string, value: string) =>
  p.evaluate(
    ([sel, v]) => {
      const el = document.querySelector(sel) as HTMLInputElement;
      el.value = v;
      el.dispatchEvent(new Event('input', { bubbles: true }));
      el.dispatchEvent(new Event('change', { bubbles: true }));
    },
    [selector, value] as const,
  );

describe.each(installedEngines())("a client's weeks on %s (real daemon, real recording)", (engine) => {
  const dir = tempDir(`tableside-clients-${engine}-`);
  const db = join(dir.path, 'tableside.db');
  let browser: Browser;
  let daemon: Daemon;
  const consoleErrors: string[] = [];
  /**
   * WebKit's and Firefox's drivers take a round trip per question, and a loaded machine slows them most: their tests
   * may take twice as long before they count as stuck (every wait is on a condition, never a fixed time).
   */
  const slow = engine === 'chromium' ? 1 : 2;

  let clientId: number;
  let sessionId: number;
  const mornings: number[] = [];
  let beforeLn: number;
  let afterLn: number;
  let tableAfterLn: number;
  let live: Screen;

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

  async function open(viewport = WIDE): Promise<Screen> {
    const p = await browser.newScreen(viewport);
    p.onError((message) => consoleErrors.push(`${engine}: ${message}`));
    return p;
  }

  /** Waits until the session has `beatsS` seconds of beats since its phase `kind` began (the replay runs at 20×). */
  async function beatsInto(id: number, kind: string, beatsS: number): Promise<void> {
    type Detail = { session: { lastBeatTS: number | null }; phases: { kind: string; startedAtS: number }[] };
    await expect
      .poll(
        async () => {
          const d = (await api('GET', `/api/sessions/${id}`)) as Detail;
          const start = d.phases.find((p) => p.kind === kind)?.startedAtS ?? Number.POSITIVE_INFINITY;
          return (d.session.lastBeatTS ?? 0) - start;
        },
        { timeout: 30_000, interval: 200 },
      )
      .toBeGreaterThanOrEqual(beatsS);
  }

  /**
   * Takes a reading on the table-side screen: H opens the dialog, the client and the kind are chosen, 1 minute
   * measured, Enter starts it; the panel counts the settling and the measuring, then shows the value. Returns the
   * value shown, after checking it against the definition recomputed from the RR the reading stored.
   */
  async function readingOnScreen(kind: 'before' | 'after'): Promise<number> {
    await live.press('h');
    await waitForSelector(live, '#reading-dialog[open]');
    expect(await text(live, '#reading-dialog')).toContain('lies on their back, still');
    await waitForSelector(live, `#reading-client option[value="${clientId}"]`, 'attached');
    await live.select('#reading-client', String(clientId));
    expect(await live.evaluate(() => (document.getElementById('reading-kind') as HTMLSelectElement).value)).toBe(kind);
    await live.select('#reading-minutes', '1');
    await live.press('Enter');
    await waitForSelector(live, '#reading-panel:not([hidden])');
    await waitForSelector(live, '#reading-panel[data-state="measuring"]', 'attached', 20_000);
    await waitForSelector(live, '#reading-panel[data-state="done"]', 'attached', 20_000);
    const shown = await text(live, '#reading-text');
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
    // Both kept as soon as each has started, so that afterAll ends the one that did if the other did not.
    const [launched, started] = await Promise.allSettled([
      launch(engine),
      startDaemonOn(0, ['simulate', '--seed', '7', '--speed', SPEED, '--db', db]),
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
    'records a client: three weeks of mornings, a reading before, a session with a technique, a reading after',
    async () => {
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

      live = await open({ width: 1024, height: 768 });
      await live.goto(daemon.url);
      await waitForSelector(live, 'body[data-conn="up"]', 'attached');
      beforeLn = await readingOnScreen('before');
      await live.screenshot(shot(engine, 'reading-done-tablet.png'));

      const session = await api('POST', '/api/sessions', { clientId });
      sessionId = session.id as number;
      // The screen sees the session begin (and, below, end): a reading taken after it is then an 'after' reading.
      await waitForSelector(live, `body[data-session="${sessionId}"]`, 'attached', 20_000);
      // While the session records, a reading is refused, and says why.
      const refused = await fetch(new URL('/api/streams/client/reading', daemon.url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ clientId, kind: 'after', measureS: 60 }),
      });
      expect(refused.status).toBe(409);
      expect(await refused.json()).toMatchObject({ code: 'STREAM_RECORDING' });
      await api('POST', `/api/sessions/${sessionId}/phase`, { kind: 'baseline' });
      await beatsInto(sessionId, 'baseline', 150);
      await api('POST', `/api/sessions/${sessionId}/phase`, { kind: 'massage' });
      // Today against the usual: the baseline's lnRMSSD (the report's) against mean ± ½ SD of the mornings, in words.
      const detail = (await api('GET', `/api/sessions/${sessionId}`)) as {
        summary: { phases: { kind: string; reference: { lnRmssd: number } }[] };
      };
      expect(detail.summary.phases[0].kind).toBe('baseline');
      const todayLn = detail.summary.phases[0].reference.lnRmssd;
      const { low, high } = usualRange(mornings);
      const words =
        todayLn < low
          ? 'came in below their usual'
          : todayLn > high
            ? 'came in above their usual'
            : 'came in within their usual range';
      await waitForSelector(live, '#usual:not([hidden])', 'visible', 10_000 * slow);
      expect(await text(live, '#usual')).toBe(
        `Today's baseline ${words} (lnRMSSD ${todayLn.toFixed(2)}; usual ${low.toFixed(2)}–${high.toFixed(2)})`,
      );
      await live.screenshot(shot(engine, 'live-usual-tablet.png'));
      // For the therapist only: the client view does not show it.
      await live.press('c');
      await waitForSelector(live, 'body.calm-on', 'attached');
      expect(await isVisible(live, '#usual')).toBe(false);
      await live.press('c');
      await waitForSelector(live, 'body:not(.calm-on)', 'attached');
      await api('POST', `/api/sessions/${sessionId}/markers`, { kind: 'technique', value: 'myofascial release' });
      await beatsInto(sessionId, 'massage', 150);
      await api('POST', `/api/sessions/${sessionId}/end`, {});
      await waitFor(live, () => document.getElementById('client')?.textContent === 'No session', undefined, {
        timeoutMs: 20_000,
        what: 'the screen to see the session end',
      });
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
    },
    150_000 * slow,
  );

  it(
    'lists the client with their last visit and the trend of their weeks',
    async () => {
      const p = await open();
      await p.goto(new URL('/clients', daemon.url).href);
      const row = `#clients tr[data-client="${clientId}"]`;
      await waitForSelector(p, row);
      expect(await text(p, `${row} th`)).toBe('R. T.');
      const nums = await textsOf(p, `${row} td.num`);
      expect(nums[0]).toBe('1');
      expect(nums[1]).toBe(String(MORNINGS + 4));
      // One session a moment ago: too early to say anything about the weeks.
      await waitForSelector(p, `${row} td.trend[data-verdict="too-early"]`, 'attached');
      await p.screenshot(shot(engine, 'clients-dark.png'));
      await p.click(`${row} a`);
      await waitFor(p, (path) => location.pathname === path, `/clients/${clientId}`);
      await p.close();
    },
    30_000 * slow,
  );

  it(
    "shows the client's page: the pair before → after, the normal band and the session on the chart",
    async () => {
      const p = await open();
      await p.goto(new URL(`/clients/${clientId}`, daemon.url).href);
      await waitForSelector(p, '#client:not([hidden])');
      expect(await text(p, '#title')).toBe('R. T.');

      // The chart: every morning, the band from the 14th morning on, one session with its pair.
      await waitForSelector(p, '#timeline[data-drawn-sessions="1"][data-drawn-pairs="1"]', 'attached');
      const drawn = (name: string) =>
        p.evaluate((n) => Number(document.getElementById('timeline')?.getAttribute(n)), name);
      expect(await drawn('data-drawn-days')).toBe(MORNINGS);
      expect(await drawn('data-drawn-band-days')).toBeGreaterThanOrEqual(MORNINGS - 14 + 1);

      // The sessions table: the pair with the values recomputed here, and their change as a % of RMSSD.
      const session = `#sessions tr[data-session="${sessionId}"]`;
      const pair = await text(p, `${session} td.pair`);
      const pct = Math.round((Math.exp(tableAfterLn - beforeLn) - 1) * 100);
      expect(pair).toBe(
        `before ${beforeLn.toFixed(2)} → after ${tableAfterLn.toFixed(2)} (${pct < 0 ? '−' : '+'}${Math.abs(pct)} %)`,
      );
      expect(afterLn.toFixed(2)).not.toBe(tableAfterLn.toFixed(2));
      expect((await textsOf(p, `${session} td`))[0]).toBe('myofascial release');
      expect(await text(p, `${session} td.num`)).toMatch(/^[+−]\d\.\d\d \([+−]\d+ %\)$/);

      // The usual range: mean ± ½ SD (n − 1) of the daily values, recomputed here.
      const { low, high } = usualRange(mornings);
      const rangeLine = await text(p, '#range-line');
      expect(rangeLine).toContain(`lnRMSSD ${low.toFixed(2)} (`);
      expect(rangeLine).toContain(`to ${high.toFixed(2)} (`);

      // One client on record: nothing to merge into, and no merge offered.
      expect(await isVisible(p, '#merge')).toBe(false);
      expect(await isVisible(p, '#merge-ask')).toBe(false);

      // Techniques: one session is too few to rank.
      expect(await text(p, '#techniques tr[data-technique="myofascial release"]')).toContain('too few sessions');
      // Readings: each with its value, the short one with its reason.
      const readings = await textsOf(p, '#readings tbody tr');
      expect(readings.length).toBe(MORNINGS + 4);
      expect(readings.filter((r) => r.includes('taken at the table')).length).toBe(2);
      expect(tableAfterLn).toBeGreaterThan(0);
      expect(await text(p, '#readings tr[data-kind="other"] td.no-value')).toMatch(/^too short: \d+ s/);
      expect(await text(p, '#over-weeks')).toContain('Too early to tell');

      await p.screenshot(shot(engine, 'client-dark.png'), { fullPage: true });
      expect(await p.evaluate(contrastFailuresInPage)).toEqual([]);
      expect(await p.evaluate(unnamedControlsInPage)).toEqual([]);
      await p.click('#theme-toggle');
      await waitFor(p, () => document.documentElement.dataset.theme === 'light');
      await p.screenshot(shot(engine, 'client-light.png'), { fullPage: true });
      expect(await p.evaluate(contrastFailuresInPage)).toEqual([]);
      await p.click('#theme-toggle');
      await waitFor(p, () => document.documentElement.dataset.theme === 'dark');
      await p.close();
    },
    60_000 * slow,
  );

  it(
    'uploads an RR file from the page as a reading',
    async () => {
      const p = await open();
      await p.goto(new URL(`/clients/${clientId}`, daemon.url).href);
      await waitForSelector(p, '#client:not([hidden])');
      const file = join(dir.path, 'evening.txt');
      writeFileSync(file, rr.slice(300, 400).join('\n'));
      await p.setInputFile('#upload-file', file);
      await p.select('#upload-kind', 'night');
      await setValueOf(p, '#upload-at', local(new Date(Date.now() - 2 * 86_400_000)));
      await p.click('#upload button[type="submit"]');
      await expect.poll(() => text(p, '#upload-status')).toBe('evening.txt: 1 reading added.');
      await waitForSelector(p, '#readings tr[data-kind="night"]');
      expect((await textsOf(p, '#readings tr[data-kind="night"] td.num'))[0]).toBe(
        lnRmssd(rr.slice(300, 400)).toFixed(2),
      );
      await p.close();
    },
    30_000 * slow,
  );

  it(
    'prints a progress report of the weeks in plain words',
    async () => {
      const p = await open();
      await p.goto(new URL(`/clients/${clientId}/report`, daemon.url).href);
      await waitForSelector(p, '#report:not([hidden])');
      expect(await text(p, '#title')).toBe('R. T. — progress report');
      const summary = await text(p, '#summary');
      expect(summary).toContain('Over the weeks: too early to tell');
      expect(summary).toContain('1 session between');
      expect(summary).toContain(
        `The reading after the session was higher than the one before in ${tableAfterLn > beforeLn ? 1 : 0} of 1 session with both.`,
      );
      await waitForSelector(p, '#timeline[data-drawn-sessions="1"][data-drawn-pairs="1"]', 'attached');
      await p.screenshot(shot(engine, 'client-report-dark.png'), { fullPage: true });
      if (p.playwright) {
        await p.playwright.emulateMedia({ media: 'print' });
        await waitFor(p, () => document.documentElement.dataset.theme === 'light');
        expect(await isVisible(p, 'header.bar')).toBe(false);
        await p.screenshot(shot(engine, 'client-report-print.png'), { fullPage: true });
        const pdf = await p.playwright.pdf({ format: 'A4', printBackground: true });
        const pages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) ?? []).length;
        expect(pages).toBeGreaterThanOrEqual(1);
        expect(pages).toBeLessThanOrEqual(2);
      }
      await p.close();
      expect(consoleErrors).toEqual([]);
    },
    30_000 * slow,
  );

  it(
    'renames a second record and merges it into the first, asking first',
    async () => {
      const other = await api('POST', '/api/clients', { name: 'R T' });
      const otherId = other.id as number;
      await api('POST', `/api/clients/${otherId}/readings`, {
        fileName: 'old.txt',
        text: rr.slice(500, 600).join('\n'),
        kind: 'morning',
        at: local(new Date(Date.now() - 40 * 86_400_000)),
      });
      const p = await open();
      await p.goto(new URL(`/clients/${otherId}`, daemon.url).href);
      await waitForSelector(p, '#client:not([hidden])');
      await p.fill('#rename-name', 'R. T. (old record)');
      await p.click('#rename button[type="submit"]');
      await expect.poll(() => text(p, '#title')).toBe('R. T. (old record)');
      expect(((await api('GET', `/api/clients/${otherId}`)) as { client: { name: string } }).client.name).toBe(
        'R. T. (old record)',
      );

      // Merge asks first: the plan, then nothing moves on Cancel.
      expect(await isVisible(p, '#merge-ask')).toBe(false);
      await p.select('#merge-into', String(clientId));
      await p.click('#merge button[type="submit"]');
      await waitForSelector(p, '#merge-ask:not([hidden])');
      expect(await text(p, '#merge-plan')).toBe(
        'Merge R. T. (old record) into R. T.: 0 sessions and 1 reading move, and this record goes. This cannot be undone.',
      );
      await p.click('#merge-cancel');
      await expect.poll(() => text(p, '#record-status')).toBe('Nothing was merged.');
      expect(await isVisible(p, '#merge-ask')).toBe(false);
      const before = (await api('GET', `/api/clients/${clientId}`)) as { readings: unknown[] };
      expect(((await api('GET', '/api/clients')) as { clients: unknown[] }).clients).toHaveLength(2);

      await p.click('#merge button[type="submit"]');
      await waitForSelector(p, '#merge-ask:not([hidden])');
      await p.screenshot(shot(engine, 'client-merge-ask.png'));
      await p.click('#merge-confirm');
      await waitFor(p, (path) => location.pathname === path, `/clients/${clientId}`);
      await waitForSelector(p, '#client:not([hidden])');
      await expect.poll(() => text(p, '#title')).toBe('R. T.');
      const after = (await api('GET', `/api/clients/${clientId}`)) as { readings: unknown[] };
      expect(after.readings).toHaveLength(before.readings.length + 1);
      expect(((await api('GET', '/api/clients')) as { clients: unknown[] }).clients).toHaveLength(1);
      await p.close();
      expect(consoleErrors).toEqual([]);
    },
    60_000 * slow,
  );
});
