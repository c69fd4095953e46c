/**
 * wss with tableside's self-signed certificate on WebKit (WebKitGTK, the engine of Safari): the real CLI simulates a
 * strap with `--host 0.0.0.0 --tls` (spoken to through 127.0.0.1 only) and WebKit opens the pairing URL it prints,
 * the way an iPad would after scanning the QR code.
 *
 * - A WebKit that has not accepted the certificate shows nothing of tableside: the navigation is refused.
 * - Once the certificate is accepted (WebDriver's acceptInsecureCerts: what a person does who clicks through the
 *   warning), the page pairs, is a secure context, and its WebSocket (wss, same origin) brings the live figures.
 *
 * What an iPad needs beyond this (Safari does not extend a page's certificate exception to wss) is in the README,
 * "Using a tablet on the clinic's Wi-Fi".
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, tempDir } from '../helpers/daemon-process.js';
import { freePort, screenshotPath } from './browser.js';
import { type Browser, installedEngines, launch, textOf, waitFor, waitForSelector } from './driver.js';

const TABLET = { width: 1024, height: 768 };

const dir = tempDir('tableside-tls-webkit-');
let child: ChildProcess;
let output = '';
let pairingUrl: string;
let origin: string;
const browsers: Browser[] = [];

async function webkit(acceptInsecureCerts: boolean): Promise<Browser> {
  const b = await launch('webkit', { acceptInsecureCerts });
  browsers.push(b);
  return b;
}

describe.runIf(installedEngines().includes('webkit'))('wss with the self-signed certificate on WebKit', () => {
  beforeAll(async () => {
    const port = await freePort();
    child = spawn(
      process.execPath,
      [CLI, 'simulate', '--seed', '3', '--speed', '20', '--host', '0.0.0.0', '--port', String(port), '--tls'],
      {
        env: {
          ...process.env,
          TABLESIDE_LOG_LEVEL: 'warn',
          TABLESIDE_CONFIG_DIR: join(dir.path, 'config'),
          TABLESIDE_DATA_DIR: join(dir.path, 'data'),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const collect = (d: Buffer) => {
      output += d;
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the daemon did not start:\n${output}`)), 30_000);
      child.stdout?.on('data', () => {
        if (!/SHA-256 fingerprint/.test(output)) return;
        clearTimeout(timer);
        resolve();
      });
      child.once('exit', (code) => reject(new Error(`the daemon exited with ${code}:\n${output}`)));
    });
    const m = /open (https:\/\/\S+)/.exec(output);
    if (!m) throw new Error(`no pairing URL in:\n${output}`);
    const url = new URL(m[1] as string);
    url.hostname = '127.0.0.1';
    pairingUrl = url.href;
    origin = url.origin;
  }, 40_000);

  afterAll(async () => {
    for (const b of browsers) await b.close();
    if (child && child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      });
    }
    dir.remove();
  });

  it('refuses the page while the certificate is not accepted', async () => {
    const screen = await (await webkit(false)).newScreen(TABLET);
    const refused = await screen.goto(pairingUrl).then(
      () => null,
      (err: Error) => err,
    );
    // Another version may report an insecure certificate. WebKitGTK 2.50 loads nothing: its document stays
    // about:blank, and on a loaded machine it sometimes shows its own error page ("Operation was cancelled") with the
    // refused address in the view's URL. Either way the document is never tableside's.
    if (refused) expect(refused.message).toMatch(/insecure certificate|certificate|TLS/i);
    else {
      expect(await screen.evaluate(() => location.href)).toBe('about:blank');
      expect(await screen.evaluate(() => document.getElementById('hr'))).toBeNull();
    }
  }, 60_000);

  it('pairs and shows live figures over wss once the certificate is accepted', async () => {
    const screen = await (await webkit(true)).newScreen(TABLET);
    const errors: string[] = [];
    screen.onError((e) => errors.push(e));
    await screen.goto(pairingUrl);
    await waitFor(screen, (o) => location.href === `${o}/`, origin, { what: 'the token to leave the address bar' });
    await waitForSelector(screen, 'body[data-conn="up"][data-signal="live"]', 'attached', 20_000);
    await waitFor(screen, () => /^\d+$/.test(document.getElementById('hr')?.textContent ?? ''));
    expect(Number(await textOf(screen, '#hr'))).toBeGreaterThan(40);
    expect(await screen.evaluate(() => window.isSecureContext)).toBe(true);
    expect(await screen.evaluate(() => document.cookie)).toBe('');
    await screen.screenshot(screenshotPath('live-tls-paired-webkit.png'));
    expect(errors).toEqual([]);
  }, 60_000);
});
