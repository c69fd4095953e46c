/**
 * The pages under their Content-Security-Policy, on the network, in a real browser: the real CLI replays a real
 * recording with `--host 0.0.0.0 --tls` (spoken to through 127.0.0.1 only), Chromium opens the pairing URL it
 * prints the way a tablet would after scanning the QR code, and then:
 *
 * - the pairing cookie is HttpOnly, SameSite=Strict and Secure, and the token leaves the address bar;
 * - the page is a secure context (the Screen Wake Lock is offered), the live figures appear, a phase set from the
 *   keyboard goes through the Origin check, and the session list and report load;
 * - not one `securitypolicyviolation` event and no console error on any page;
 * - a browser that has not paired gets the "not paired" page, not the view, and a paired screen says it is no longer
 *   paired once `tableside token --rotate` has run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, tempDir } from '../helpers/daemon-process.js';
import { freePort, launchChromium, screenshotPath } from './browser.js';

const RECORDING = 'recordings/bartels_rest_rri.txt';
const TABLET = { width: 1024, height: 768 };

const dir = tempDir('tableside-csp-');
const daemonEnv = {
  ...process.env,
  TABLESIDE_LOG_LEVEL: 'warn',
  TABLESIDE_CONFIG_DIR: join(dir.path, 'config'),
  TABLESIDE_DATA_DIR: join(dir.path, 'data'),
};
let child: ChildProcess;
let output = '';
let browser: Browser;
let context: BrowserContext;
/** the pairing URL as printed, pointed at 127.0.0.1 */
let pairingUrl: string;
let origin: string;
const violations: string[] = [];
const consoleErrors: string[] = [];

/** Records CSP violations (as the page's own event reports them) and console errors of every page it is given. */
async function watch(p: Page): Promise<Page> {
  await p.exposeFunction('reportCspViolation', (text: string) => violations.push(`${p.url()}: ${text}`));
  await p.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { reportCspViolation: (t: string) => void }).reportCspViolation;
      report(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  p.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text()))
      consoleErrors.push(`${p.url()}: ${m.text()}`);
  });
  p.on('pageerror', (e) => consoleErrors.push(`${p.url()}: ${e.message}`));
  return p;
}

beforeAll(async () => {
  const port = await freePort();
  child = spawn(
    process.execPath,
    [CLI, 'replay', RECORDING, '--speed', '20', '--host', '0.0.0.0', '--port', String(port), '--tls'],
    { env: daemonEnv, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  const started = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the daemon did not start:\n${output}`)), 20_000);
    child.stdout?.on('data', () => {
      if (!/SHA-256 fingerprint/.test(output)) return;
      clearTimeout(timer);
      resolve();
    });
    child.once('exit', (code) => reject(new Error(`the daemon exited with ${code}:\n${output}`)));
  });
  [browser] = await Promise.all([launchChromium(), started]);
  const m = /open (https:\/\/\S+)/.exec(output);
  if (!m) throw new Error(`no pairing URL in:\n${output}`);
  const url = new URL(m[1] as string);
  url.hostname = '127.0.0.1';
  pairingUrl = url.href;
  origin = url.origin;
  // The self-signed certificate: a person accepts it once after checking its fingerprint; the test accepts it here.
  context = await browser.newContext({ ignoreHTTPSErrors: true, viewport: TABLET });
}, 30_000);

afterAll(async () => {
  await browser?.close();
  if (child && child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  dir.remove();
});

describe.sequential('the pages under their CSP, paired over HTTPS (Chromium, real daemon)', () => {
  it('pairs through the printed URL and shows the live figures, without one CSP violation', async () => {
    const page = await watch(await context.newPage());
    await page.goto(pairingUrl);
    await page.waitForURL(`${origin}/`);
    await page.waitForSelector('body[data-conn="up"][data-signal="live"]');
    await page.waitForFunction(() => /^\d+$/.test(document.getElementById('hr')?.textContent ?? ''));
    expect(Number(await page.locator('#hr').innerText())).toBeGreaterThan(40);

    const [cookie] = await context.cookies(origin);
    expect(cookie).toMatchObject({ name: 'tableside_token', httpOnly: true, secure: true, sameSite: 'Strict' });
    expect(await page.evaluate(() => document.cookie)).toBe('');
    expect(await page.evaluate(() => window.isSecureContext && 'wakeLock' in navigator)).toBe(true);

    // A command from the keyboard: a POST with this page's Origin and the cookie.
    await page.keyboard.press('b');
    await page.waitForSelector('#hero[data-verdict="measuring"]');
    await page.waitForFunction(() => /^\d+$/.test(document.getElementById('rmssd')?.textContent ?? ''), null, {
      timeout: 20_000,
    });
    await page.screenshot({ path: screenshotPath('live-tls-paired.png') });

    const sessionId = await page.locator('body').getAttribute('data-session');
    const list = await watch(await context.newPage());
    await list.goto(`${origin}/sessions`);
    await list.waitForSelector('#sessions tbody tr');
    await list.goto(`${origin}/sessions/${sessionId}`);
    await list.waitForSelector('#phases tbody tr');
    await list.waitForSelector('#trend canvas');

    expect(violations).toEqual([]);
    expect(consoleErrors).toEqual([]);
  }, 60_000);

  it('shows a browser that has not paired the "not paired" page, not the view', async () => {
    const stranger = await browser.newContext({ ignoreHTTPSErrors: true });
    const page = await watch(await stranger.newPage());
    const response = await page.goto(`${origin}/`);
    expect(response?.status()).toBe(401);
    expect(await page.locator('h1').innerText()).toBe('This device is not paired with tableside');
    const wrong = await page.goto(`${origin}/?token=not-the-token`);
    expect(wrong?.status()).toBe(401);
    await stranger.close();
    expect(violations).toEqual([]);
    // Chromium logs the 401s themselves as console errors: nothing else.
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('would see a violation: the policy blocks an inline script and a style attribute, and the watch reports them', async () => {
    const page = await watch(await context.newPage());
    await page.goto(`${origin}/sessions`);
    await page.waitForSelector('#sessions tbody tr');
    const ran = await page.evaluate(() => {
      const script = document.createElement('script');
      script.textContent = 'window.inlineRan = true';
      document.body.append(script);
      document.body.setAttribute('style', 'background: red');
      return (window as unknown as { inlineRan?: boolean }).inlineRan === true;
    });
    expect(ran).toBe(false);
    await expect.poll(() => violations.length).toBeGreaterThanOrEqual(2);
    expect(violations.join('\n')).toMatch(/script-src/);
    expect(violations.join('\n')).toMatch(/style-src/);
    // Those were planted: the tests after this one start from a clean record.
    violations.length = 0;
    consoleErrors.length = 0;
  });

  it('tells a paired screen that it is no longer paired once the token is rotated', async () => {
    const page = await watch(await context.newPage());
    await page.goto(`${origin}/`);
    await page.waitForSelector('body[data-conn="up"]');
    const before = consoleErrors.length;
    await new Promise<void>((resolve, reject) => {
      const rotate = spawn(process.execPath, [CLI, 'token', '--rotate'], { env: daemonEnv, stdio: 'ignore' });
      rotate.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`token --rotate exited with ${code}`))));
    });
    await page.waitForSelector('#banner-text:has-text("no longer paired")', { timeout: 15_000 });
    await page.screenshot({ path: screenshotPath('live-unpaired.png') });
    // What Chromium logs about the refused socket and API call, and nothing else.
    const after = consoleErrors.slice(before).filter((e) => !/401|WebSocket connection to .* failed/.test(e));
    expect(after).toEqual([]);
    expect(violations).toEqual([]);
  });
});
