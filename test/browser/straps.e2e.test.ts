/**
 * The strap as the therapist meets it, in a real browser against the real CLI: `tableside start` on the virtual H10
 * (real noble stack) through searching → live with the battery → disconnected → searching again; two straps (client
 * and therapist) on one screen; and choosing a source from the page. Screenshots go to test-output/screenshots/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SCRIPT_CUE_SIGNAL } from '../../src/testing/virtual-h10/index.js';
import { tempDir } from '../helpers/daemon-process.js';
import { virtualH10Env } from '../helpers/virtual-strap.js';
import { type Daemon, launchChromium, screenshotPath, startDaemonOn } from './browser.js';

const TABLET = { width: 1024, height: 768 };
const PHONE = { width: 390, height: 844 };

const dir = tempDir('tableside-browser-straps-');
let browser: Browser;
const daemons: Daemon[] = [];
const consoleErrors: string[] = [];

function watch(p: Page): Page {
  p.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`${p.url()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => consoleErrors.push(`${p.url()}: ${e.message}`));
  return p;
}

async function start(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  const daemon = await startDaemonOn(0, args, env);
  daemons.push(daemon);
  return daemon;
}

/** Waits until the page's signal is `key` (body[data-signal]) and returns the words it shows. */
async function signalBecomes(page: Page, key: string, timeoutMs = 15_000): Promise<string> {
  await page.waitForSelector(`body[data-signal="${key}"]`, { timeout: timeoutMs });
  return page.locator('#signal-text').innerText();
}

beforeAll(async () => {
  browser = await launchChromium();
}, 30_000);

afterAll(async () => {
  await browser?.close();
  for (const d of daemons) await d.kill();
  dir.remove();
});

describe.sequential('straps on the table-side screen (Chromium, real daemon)', () => {
  it('shows searching, then live with the battery, then disconnected with the reason, then searching again', async () => {
    // Strap time runs 10× wall time. The strap is not worn at first (no advertising); it is put on once the page
    // shows the search (first cue), and its link is lost with a supervision timeout once the page has shown it live
    // (second cue) — and it stays away. Cued, not timed: on a busy machine the start alone can take seconds.
    const config = {
      speed: 10,
      strap: { recording: 'recordings/bartels_rest_rri.txt', advertising: false, batteryPct: 12 },
      script: [
        { afterCue: 1, atMs: 0, do: 'advertising', on: true },
        { afterCue: 2, atMs: 0, do: 'dropLink', reason: 0x08, advertise: false },
      ],
    };
    const daemon = await start(['start', '--db', join(dir.path, 'ble.db')], virtualH10Env(config, dir.path));
    const page = watch(await browser.newPage({ viewport: TABLET }));
    await page.goto(daemon.url);

    expect(await signalBecomes(page, 'searching')).toMatch(/Searching for the strap/);
    await page.screenshot({ path: screenshotPath('strap-searching-tablet.png') });
    daemon.child.kill(SCRIPT_CUE_SIGNAL); // the strap is put on

    expect(await signalBecomes(page, 'live')).toBe('Live');
    // The battery as the strap reports it, marked low (≤ 15 %), and the strap by its advertised name.
    await page.waitForSelector('#battery:not([hidden])');
    expect(await page.locator('#battery').innerText()).toBe('battery 12 %');
    expect(await page.locator('#battery').getAttribute('class')).toContain('warn');
    expect(await page.locator('#source').innerText()).toBe('strap: Polar H10 8AA87D20');
    await page.waitForFunction(() => document.getElementById('hr')?.textContent !== '—', undefined, {
      timeout: 10_000,
    });
    await page.screenshot({ path: screenshotPath('strap-live-battery-tablet.png') });

    daemon.child.kill(SCRIPT_CUE_SIGNAL); // the link is lost
    const lost = await signalBecomes(page, 'disconnected');
    expect(lost).toMatch(/^Strap disconnected: link lost \(supervision timeout/);
    // A disconnected strap's last values never look live: the figures are greyed out (the hero says so too).
    expect(await page.locator('body').getAttribute('data-signal')).toBe('disconnected');
    await page.screenshot({ path: screenshotPath('strap-disconnected-tablet.png') });

    // By itself it looks for the strap again.
    expect(await signalBecomes(page, 'searching')).toMatch(/Searching for the strap/);
    await page.close();
  }, 60_000);

  it('says why there are no beats when a live strap sends heart rate without RR intervals', async () => {
    // Beats with their RR values until the page has shown them live (the cue), then heart rate alone: the link stays
    // up and notifications keep coming, but no beat.
    const config = {
      speed: 10,
      strap: { recording: 'recordings/bartels_rest_rri.txt' },
      script: [{ afterCue: 1, atMs: 0, do: 'stopRr' }],
    };
    const daemon = await start(['start', '--db', join(dir.path, 'no-rr.db')], virtualH10Env(config, dir.path));
    const page = watch(await browser.newPage({ viewport: TABLET }));
    await page.goto(daemon.url);
    expect(await signalBecomes(page, 'live')).toBe('Live');
    daemon.child.kill(SCRIPT_CUE_SIGNAL);
    const words = await signalBecomes(page, 'stale', 20_000);
    expect(words).toBe(
      'No beats: the strap sends heart rate but no RR intervals, and HRV needs them: check that RR (or "HRV") is on ' +
        'in its settings, or use a strap that sends RR',
    );
    await page.screenshot({ path: screenshotPath('strap-no-rr-tablet.png') });
    await page.close();
  }, 60_000);

  it('follows either strap when client and therapist each wear one', async () => {
    const daemon = await start(['simulate', '--therapist', '--speed', '5', '--db', join(dir.path, 'two.db')]);
    const page = watch(await browser.newPage({ viewport: TABLET }));
    await page.goto(daemon.url);
    await page.waitForSelector('#streams:not([hidden])');
    expect(await page.locator('#streams a').allInnerTexts()).toEqual(['Client', 'Therapist']);
    expect(await page.locator('#streams a[aria-current="page"]').innerText()).toBe('Client');
    await page.waitForSelector('body[data-signal="live"]');

    await page.locator('#streams a', { hasText: 'Therapist' }).click();
    await page.waitForURL(/\?stream=therapist$/);
    await page.waitForSelector('body[data-signal="live"]');
    expect(await page.locator('#client').innerText()).toMatch(/^Therapist's strap · Demo \(simulated\)/);
    expect(await page.locator('#streams a[aria-current="page"]').innerText()).toBe('Therapist');
    await page.waitForFunction(() => document.getElementById('hr')?.textContent !== '—', undefined, {
      timeout: 10_000,
    });
    await page.screenshot({ path: screenshotPath('two-straps-therapist-tablet.png') });

    // A marker set on the therapist's screen lands in both streams' sessions.
    await page.keyboard.press('b');
    await page.waitForSelector('button.phase[data-phase="baseline"][aria-pressed="true"]');
    const { sessions } = (await (await fetch(new URL('/api/sessions', daemon.url))).json()) as {
      sessions: { id: number; stream: string; groupId: number | null }[];
    };
    const client = sessions.find((s) => s.stream === 'client');
    const therapist = sessions.find((s) => s.stream === 'therapist');
    expect(therapist?.groupId).toBe(client?.id);
    for (const id of [client?.id, therapist?.id]) {
      const detail = (await (await fetch(new URL(`/api/sessions/${id}`, daemon.url))).json()) as {
        phases: { kind: string }[];
      };
      expect(detail.phases.map((p) => p.kind)).toEqual(['baseline']);
    }
    // The session list shows the therapist's strap below the client's session; each report links to the other.
    const list = watch(await browser.newPage({ viewport: TABLET }));
    await list.goto(new URL('/sessions', daemon.url).href);
    await list.waitForSelector(`tr[data-session="${therapist?.id}"]`);
    expect(
      await list.locator('tbody tr').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.session)),
    ).toEqual([String(client?.id), String(therapist?.id)]);
    expect(await list.locator(`tr[data-session="${therapist?.id}"] td`).nth(1).innerText()).toBe(
      `↳ Therapist's strap, with session ${client?.id}`,
    );
    await list.goto(new URL(`/sessions/${client?.id}`, daemon.url).href);
    await list.waitForSelector('#streams-line:not([hidden])');
    expect(await list.locator('#streams-line').innerText()).toBe(
      `This report is the client's strap. Recorded with it: the therapist's strap (session ${therapist?.id}).`,
    );
    await list.close();

    await page.setViewportSize(PHONE);
    await page.screenshot({ path: screenshotPath('two-straps-therapist-phone.png') });
    // Upright on a phone the header keeps to three short rows (who, signal, straps and tools): under a sixth of the
    // screen, so the figures stay in view.
    const headerHeight = await page.locator('header.bar').evaluate((el) => el.getBoundingClientRect().height);
    expect(headerHeight).toBeLessThan(PHONE.height / 6);
    await page.close();
  }, 60_000);

  it('chooses a demo source from the new-session dialog, labelled DEMO', async () => {
    const db = join(dir.path, 'choose.db');
    const daemon = await start(['replay', 'recordings/pyhrv_nni_short_5min.txt', '--speed', '5', '--db', db]);
    const page = watch(await browser.newPage({ viewport: TABLET }));
    await page.goto(daemon.url);
    await page.waitForSelector('body[data-signal="live"]');

    await page.keyboard.press('n');
    await page.waitForSelector('#new-session[open]');
    await page.waitForSelector('#source-choice option:has-text("DEMO: simulated client")', { state: 'attached' });
    // No Bluetooth on a replay daemon: nothing to look for.
    expect(await page.locator('#scan-straps').isHidden()).toBe(true);
    await page.selectOption('#source-choice', { label: 'DEMO: simulated client' });
    await page.fill('#client-label', 'A. Example');
    await page.screenshot({ path: screenshotPath('new-session-source-choice-tablet.png') });
    await page.click('#new-start');
    await page.waitForFunction(() => !(document.getElementById('new-session') as HTMLDialogElement).open, undefined, {
      timeout: 10_000,
    });

    await page.waitForFunction(() => document.getElementById('source')?.textContent?.startsWith('simulated'));
    expect(await page.locator('#demo').isVisible()).toBe(true);
    expect(await page.locator('#client').innerText()).toBe('A. Example');
    const { sessions } = (await (await fetch(new URL('/api/sessions', daemon.url))).json()) as {
      sessions: { clientLabel: string; sourceKind: string; status: string }[];
    };
    expect(sessions.find((s) => s.clientLabel === 'A. Example')).toMatchObject({
      sourceKind: 'simulated',
      status: 'recording',
    });
    // The replay's session ended when the source changed.
    expect(sessions.find((s) => s.sourceKind === 'replay')?.status).toBe('ended');

    // The technique list is this screen's own: edited, saved, and key 1 marks its first entry.
    await page.locator('.edit-lists summary').click();
    await page.fill('#techniques-edit', 'lymphatic drainage\ncupping');
    await page.fill('#regions-edit', 'abdomen');
    await page.click('#lists-form button[type="submit"]');
    expect(await page.locator('#techniques .chip').allInnerTexts()).toEqual(['1 lymphatic drainage', '2 cupping']);
    expect(await page.locator('#regions .chip').allInnerTexts()).toEqual(['3 abdomen']);
    await page.locator('body').click({ position: { x: 5, y: 300 } });
    await page.keyboard.press('1');
    const id = Number(await page.locator('body').getAttribute('data-session'));
    await page.waitForFunction(() => document.getElementById('timeline')?.textContent?.includes('lymphatic drainage'));
    const detail = (await (await fetch(new URL(`/api/sessions/${id}`, daemon.url))).json()) as {
      markers: { kind: string; value: string }[];
    };
    expect(detail.markers).toMatchObject([{ kind: 'technique', value: 'lymphatic drainage' }]);
    // Kept on this screen across a reload.
    await page.reload();
    await page.waitForSelector('#techniques .chip');
    expect(await page.locator('#techniques .chip').allInnerTexts()).toEqual(['1 lymphatic drainage', '2 cupping']);
    await page.close();
  }, 60_000);

  it('logged no console error on any page', () => {
    expect(consoleErrors).toEqual([]);
  });
});
