/**
 * One small, browser-neutral way to drive a page, so that the screen tests run unchanged on the three engines a
 * therapist's device may have, each from Debian and never downloaded:
 * - Chromium (Chrome, Edge, Android tablets): /usr/bin/chromium through playwright-core;
 * - WebKit (Safari, every browser on an iPad): WebKitGTK's MiniBrowser through WebKitWebDriver (classic WebDriver,
 *   selenium-webdriver as the client) on an Xvfb display of its own;
 * - Firefox: /usr/bin/firefox-esr through puppeteer-core over WebDriver BiDi (no geckodriver).
 *
 * Everything that waits polls a condition in the page (`waitFor`): no fixed sleeps. What only Chromium can do
 * (intercepting WebSockets, print media, PDF) stays with playwright's own page (`Screen.playwright`).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { chromium, type Browser as PlaywrightBrowser, type Page as PlaywrightPage } from 'playwright-core';
import puppeteer, { type KeyInput, type Browser as PuppeteerBrowser, type Page as PuppeteerPage } from 'puppeteer-core';
import { Builder, By, Key, type WebDriver, error as webDriverError } from 'selenium-webdriver';
import { CHROMIUM, CHROMIUM_ARGS, freePort } from './browser.js';

export type Engine = 'chromium' | 'webkit' | 'firefox';

export const FIREFOX = '/usr/bin/firefox-esr';
export const WEBKIT_DRIVER = '/usr/bin/WebKitWebDriver';
export const MINIBROWSER = '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
export const XVFB = '/usr/bin/Xvfb';

/** What each engine needs on this machine (installed by .ci/run). */
const NEEDS: Record<Engine, readonly string[]> = {
  chromium: [CHROMIUM],
  webkit: [WEBKIT_DRIVER, MINIBROWSER, XVFB],
  firefox: [FIREFOX],
};

export const ENGINES: readonly Engine[] = ['chromium', 'webkit', 'firefox'];

/**
 * The engines whose browsers are installed here; `TABLESIDE_BROWSERS=webkit,firefox` narrows them down (to try one
 * engine while fixing it).
 */
export function installedEngines(): Engine[] {
  const wanted = process.env.TABLESIDE_BROWSERS?.split(',').map((e) => e.trim());
  return ENGINES.filter((e) => (!wanted || wanted.includes(e)) && NEEDS[e].every((f) => existsSync(f)));
}

/** The keys the screen listens to, named as playwright names them. */
export type KeyName = 'Space' | 'Enter' | 'Tab' | 'Escape' | 'ArrowDown' | 'ArrowUp' | 'ArrowLeft' | 'ArrowRight';

export interface Viewport {
  readonly width: number;
  readonly height: number;
}

export type Visibility = 'attached' | 'visible' | 'hidden';

/** A tab with a page in it. */
export interface Screen {
  readonly engine: Engine;
  /** playwright's page, on Chromium only: for what the other engines cannot be asked (WebSocket routes, print, PDF) */
  readonly playwright?: PlaywrightPage;
  goto(url: string): Promise<void>;
  reload(): Promise<void>;
  url(): Promise<string>;
  /** `fn` runs in the page: self-contained (its source text is sent, not its closure), one JSON argument. */
  evaluate<R, A = undefined>(fn: (arg: A) => R, arg?: A): Promise<R>;
  press(key: KeyName | string): Promise<void>;
  /** Types into the focused element. */
  type(text: string): Promise<void>;
  click(selector: string): Promise<void>;
  fill(selector: string, text: string): Promise<void>;
  select(selector: string, value: string): Promise<void>;
  setInputFile(selector: string, path: string): Promise<void>;
  setViewport(size: Viewport): Promise<void>;
  screenshot(path: string, options?: { fullPage?: boolean }): Promise<void>;
  /** Console errors and uncaught exceptions are passed to `listener` (on WebKit: those after the page loaded). */
  onError(listener: (message: string) => void): void;
  close(): Promise<void>;
}

export interface Browser {
  readonly engine: Engine;
  newScreen(viewport: Viewport): Promise<Screen>;
  close(): Promise<void>;
}

export interface LaunchOptions {
  /**
   * Accept any certificate, as a person does who clicks through the browser's warning (WebKit only here: it is how
   * `tableside --tls`'s self-signed certificate is tried on WebKit).
   */
  readonly acceptInsecureCerts?: boolean;
}

export function launch(engine: Engine, options: LaunchOptions = {}): Promise<Browser> {
  switch (engine) {
    case 'chromium':
      return launchPlaywrightChromium();
    case 'webkit':
      return launchWebKit(options);
    case 'firefox':
      return launchFirefox();
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Conditions, the same on every engine

/**
 * How each engine's driver says the page it was asked went away under the question (WebKitWebDriver: "Callback was
 * not called before the unload event", when a click's navigation unloads the page while a script runs in it).
 */
const NAVIGATED =
  /context was destroyed|navigated|detached|document unloaded|no such execution context|before the unload event/i;

/** Polls `fn` in the page until it returns something truthy; fails with `what` after `timeoutMs`. */
export async function waitFor<A>(
  screen: Pick<Screen, 'engine' | 'evaluate'>,
  fn: (arg: A) => unknown,
  arg?: A,
  options: { timeoutMs?: number; what?: string } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await screen.evaluate(fn, arg)) return;
    } catch (error) {
      // The page navigated while it was asked (a form that moves to another page): ask the new page next time.
      if (!NAVIGATED.test(String(error)) || Date.now() > deadline) throw error;
    }
    if (Date.now() > deadline) {
      throw new Error(`${screen.engine}: timed out after ${timeoutMs} ms waiting for ${options.what ?? String(fn)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The element `selector` is in the page (`attached`), shown (`visible`), or hidden or absent (`hidden`). */
export function waitForSelector(
  screen: Screen,
  selector: string,
  state: Visibility = 'visible',
  timeoutMs = 10_000,
): Promise<void> {
  return waitFor(
    screen,
    ([sel, st]) => {
      const el = document.querySelector(sel);
      const shown =
        !!el && (el as HTMLElement).getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
      return st === 'attached' ? !!el : st === 'visible' ? shown : !shown;
    },
    [selector, state] as const,
    { timeoutMs, what: `${selector} to be ${state}` },
  );
}

/** The first element matching `selector` whose text contains `text` is there. */
export function waitForText(screen: Screen, selector: string, text: string, timeoutMs = 10_000): Promise<void> {
  return waitFor(
    screen,
    ([sel, t]) => [...document.querySelectorAll(sel)].some((el) => (el.textContent ?? '').includes(t)),
    [selector, text] as const,
    { timeoutMs, what: `${selector} with the text "${text}"` },
  );
}

/** The rendered text of the first element matching `selector` (what a reader sees). */
export async function textOf(screen: Screen, selector: string): Promise<string> {
  const t = await screen.evaluate((sel) => {
    const el = document.querySelector(sel) as HTMLElement | null;
    return el ? el.innerText : null;
  }, selector);
  if (t === null) throw new Error(`${screen.engine}: no element ${selector}`);
  return t;
}

export function attributeOf(screen: Screen, selector: string, name: string): Promise<string | null> {
  return screen.evaluate(([sel, n]) => document.querySelector(sel)?.getAttribute(n) ?? null, [selector, name] as const);
}

export function isVisible(screen: Screen, selector: string): Promise<boolean> {
  return screen.evaluate((sel) => {
    const el = document.querySelector(sel);
    return !!el && el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  }, selector);
}

export function countOf(screen: Screen, selector: string): Promise<number> {
  return screen.evaluate((sel) => document.querySelectorAll(sel).length, selector);
}

export function focus(screen: Screen, selector: string): Promise<void> {
  return screen.evaluate((sel) => (document.querySelector(sel) as HTMLElement).focus(), selector);
}

// ---------------------------------------------------------------------------------------------------------------
// Chromium: playwright-core

async function launchPlaywrightChromium(): Promise<Browser> {
  const browser: PlaywrightBrowser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return {
    engine: 'chromium',
    async newScreen(viewport) {
      const page = await browser.newPage({ viewport });
      return {
        engine: 'chromium',
        playwright: page,
        goto: async (url) => void (await page.goto(url)),
        reload: async () => void (await page.reload()),
        url: async () => page.url(),
        evaluate: (fn, arg) => page.evaluate(fn, arg as never),
        press: (key) => page.keyboard.press(key),
        type: (text) => page.keyboard.type(text),
        click: (selector) => page.click(selector),
        fill: (selector, text) => page.fill(selector, text),
        select: async (selector, value) => void (await page.selectOption(selector, value)),
        setInputFile: (selector, path) => page.setInputFiles(selector, path),
        setViewport: (size) => page.setViewportSize(size),
        screenshot: async (path, options) => void (await page.screenshot({ path, fullPage: options?.fullPage })),
        onError(listener) {
          page.on('console', (m) => {
            if (m.type() === 'error') listener(m.text());
          });
          page.on('pageerror', (e) => listener(e.message));
        },
        close: () => page.close(),
      };
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Firefox: puppeteer-core over WebDriver BiDi

const PUPPETEER_KEYS: Record<string, KeyInput> = { Space: ' ' };

/**
 * puppeteer-core sends `emulation.setScreenOrientationOverride` beside BiDi's `browsingContext.setViewport`, and Firefox
 * ESR 140.12 does not know that command: its refusal fails the whole call although the viewport is set. The refusal
 * of that one command is let pass once the page's own window shows the size asked for.
 */
async function setFirefoxViewport(page: PuppeteerPage, size: Viewport): Promise<void> {
  try {
    await page.setViewport(size);
  } catch (err) {
    if (!(err instanceof Error && err.message.includes('unknown command emulation.setScreenOrientationOverride'))) {
      throw err;
    }
    // Polled with evaluate (waitFor): puppeteer's waitForFunction builds a Function(), which the daemon's pages forbid.
    const evaluate: Screen['evaluate'] = (fn, arg) => page.evaluate(fn as (a: unknown) => never, arg);
    const asked = [size.width, size.height];
    await waitFor(
      { engine: 'firefox', evaluate },
      ([w, h]) => window.innerWidth === w && window.innerHeight === h,
      asked,
      {
        timeoutMs: 5_000,
        what: `the viewport to be ${size.width}×${size.height}`,
      },
    );
  }
}

async function launchFirefox(): Promise<Browser> {
  const browser: PuppeteerBrowser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    // No calls home: the network is closed, and a test must not wait for it.
    extraPrefsFirefox: {
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      'app.update.enabled': false,
    },
  });
  return {
    engine: 'firefox',
    async newScreen(viewport) {
      const page: PuppeteerPage = await browser.newPage();
      await setFirefoxViewport(page, viewport);
      return {
        engine: 'firefox',
        goto: async (url) => void (await page.goto(url)),
        reload: async () => void (await page.reload()),
        url: async () => page.url(),
        evaluate: (fn, arg) => page.evaluate(fn as (a: unknown) => never, arg),
        press: (key) => page.keyboard.press(PUPPETEER_KEYS[key] ?? (key as KeyInput)),
        type: (text) => page.keyboard.type(text),
        click: (selector) => page.click(selector),
        async fill(selector, text) {
          await page.$eval(selector, (el) => {
            (el as HTMLInputElement).value = '';
          });
          await page.type(selector, text);
        },
        select: async (selector, value) => void (await page.select(selector, value)),
        async setInputFile(selector, path) {
          const input = await page.$(selector);
          if (!input) throw new Error(`firefox: no element ${selector}`);
          await (input as import('puppeteer-core').ElementHandle<HTMLInputElement>).uploadFile(path);
        },
        setViewport: (size) => setFirefoxViewport(page, size),
        screenshot: async (path, options) => void (await page.screenshot({ path, fullPage: options?.fullPage })),
        onError(listener) {
          page.on('console', (m) => {
            if (m.type() === 'error') listener(m.text());
          });
          page.on('pageerror', (e) => listener(e instanceof Error ? e.message : String(e)));
        },
        close: () => page.close(),
      };
    },
    close: () => browser.close(),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// WebKit: WebKitGTK's MiniBrowser through WebKitWebDriver, on an Xvfb display

const WEBDRIVER_KEYS: Record<string, string> = {
  Space: ' ',
  Enter: Key.ENTER,
  Tab: Key.TAB,
  Escape: Key.ESCAPE,
  ArrowDown: Key.ARROW_DOWN,
  ArrowUp: Key.ARROW_UP,
  ArrowLeft: Key.ARROW_LEFT,
  ArrowRight: Key.ARROW_RIGHT,
};

/** Starts Xvfb on a display number it picks itself, and resolves with that display once Xvfb names it. */
function startXvfb(): Promise<{ child: ChildProcess; display: string }> {
  const child = spawn(XVFB, ['-displayfd', '3', '-screen', '0', '1920x1200x24', '-nolisten', 'tcp'], {
    stdio: ['ignore', 'ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (d) => {
    err += d;
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdio[3]?.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve({ child, display: `:${out.trim()}` });
    });
    child.once('exit', (code) => reject(new Error(`Xvfb exited with ${code}: ${err}`)));
  });
}

async function untilListening(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited with ${child.exitCode}`);
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`WebKitWebDriver did not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const stop = (child: ChildProcess) =>
  new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });

/**
 * The console errors and uncaught errors of the page since the last call. The first call on a page (after a
 * navigation, also one the page made by itself) wraps console.error and listens for uncaught errors.
 */
function errorsInPage(): string[] {
  const w = window as unknown as { __testErrors?: string[] };
  if (w.__testErrors) return w.__testErrors.splice(0);
  const errors: string[] = [];
  w.__testErrors = errors;
  const original = console.error.bind(console);
  console.error = (...args: unknown[]) => {
    errors.push(args.map(String).join(' '));
    original(...args);
  };
  window.addEventListener('error', (e) => errors.push(e.message));
  window.addEventListener('unhandledrejection', (e) => errors.push(String(e.reason)));
  return [];
}

async function launchWebKit(options: LaunchOptions): Promise<Browser> {
  const xvfb = await startXvfb();
  const port = await freePort();
  // WebKitGTK takes the page's language from the environment: under the C locale of a CI machine it would be "C",
  // which no Intl API accepts (no device a therapist owns says that).
  const { LC_ALL: _, LC_MESSAGES: __, LANGUAGE: ___, ...env } = process.env;
  const driverProcess = spawn(WEBKIT_DRIVER, [`--port=${port}`], {
    env: { ...env, DISPLAY: xvfb.display, LANG: 'en_US.UTF-8' },
    stdio: 'ignore',
  });
  let driver: WebDriver;
  try {
    await untilListening(`http://127.0.0.1:${port}/status`, driverProcess);
    driver = await new Builder()
      .usingServer(`http://127.0.0.1:${port}`)
      .withCapabilities({
        browserName: 'MiniBrowser',
        acceptInsecureCerts: options.acceptInsecureCerts === true,
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      })
      .build();
  } catch (err) {
    await stop(driverProcess);
    await stop(xvfb.child);
    throw err;
  }
  const d = driver;
  let current = await d.getWindowHandle();
  let firstFree = true;
  const open = new Set<string>();

  return {
    engine: 'webkit',
    async newScreen(viewport) {
      let handle: string;
      if (firstFree) {
        firstFree = false;
        handle = current;
      } else {
        await d.switchTo().newWindow('window');
        handle = await d.getWindowHandle();
        current = handle;
      }
      open.add(handle);
      const listeners: ((m: string) => void)[] = [];
      const activate = async () => {
        if (current === handle) return;
        await d.switchTo().window(handle);
        current = handle;
      };
      const collect = async () => {
        if (listeners.length === 0) return;
        const errors = (await d.executeScript(`return (${errorsInPage})()`)) as string[];
        for (const e of errors) for (const l of listeners) l(e);
      };
      // A page may replace itself as soon as it has loaded (the pairing page's meta refresh): the script then meets
      // the unload ("NoSuchFrameError: Callback was not called before the unload event") and is tried again on the
      // page that took its place, once that one has loaded.
      const afterLoad = async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            await d.executeScript(`return (${errorsInPage})()`);
            return;
          } catch (err) {
            if (!(err instanceof webDriverError.NoSuchFrameError) || attempt === 5) throw err;
            await d.wait(
              () =>
                d.executeScript('return document.readyState').then(
                  (state) => state === 'complete',
                  () => false,
                ),
              10_000,
              'the page that replaced the loaded one did not load',
            );
          }
        }
      };
      const screen: Screen = {
        engine: 'webkit',
        async goto(url) {
          await activate();
          await d.get(url);
          await afterLoad();
        },
        async reload() {
          await activate();
          await collect();
          await d.navigate().refresh();
          await afterLoad();
        },
        async url() {
          await activate();
          return d.getCurrentUrl();
        },
        async evaluate(fn, arg) {
          await activate();
          // One round trip: the result, and the errors the page logged meanwhile (`fn` returns no promise here).
          const [result, errors] = (await d.executeScript(
            `const result = (${fn})(arguments[0]); return [result === undefined ? null : result, (${errorsInPage})()];`,
            arg,
          )) as [unknown, string[]];
          for (const e of errors) for (const l of listeners) l(e);
          return result as never;
        },
        async press(key) {
          await activate();
          await d
            .actions()
            .sendKeys(WEBDRIVER_KEYS[key] ?? key)
            .perform();
        },
        async type(text) {
          await activate();
          await d.actions().sendKeys(text).perform();
        },
        async click(selector) {
          await activate();
          await d.findElement(By.css(selector)).click();
        },
        async fill(selector, text) {
          await activate();
          const el = await d.findElement(By.css(selector));
          await el.clear();
          await el.sendKeys(text);
        },
        async select(selector, value) {
          await activate();
          await d.findElement(By.css(`${selector} option[value="${value}"]`)).click();
        },
        async setInputFile(selector, path) {
          await activate();
          await d.findElement(By.css(selector)).sendKeys(path);
        },
        async setViewport(size) {
          await activate();
          // WebDriver sizes the window; the window's own frame is measured and added.
          await d.manage().window().setRect({ width: size.width, height: size.height });
          const inner = (await d.executeScript('return [innerWidth, innerHeight]')) as [number, number];
          await d
            .manage()
            .window()
            .setRect({ width: 2 * size.width - inner[0], height: 2 * size.height - inner[1] });
        },
        async screenshot(path) {
          await activate();
          writeFileSync(path, Buffer.from(await d.takeScreenshot(), 'base64'));
        },
        onError(listener) {
          listeners.push(listener);
        },
        async close() {
          await activate();
          await collect().catch(() => {});
          open.delete(handle);
          if (open.size === 0) {
            // The session ends with its last window: keep it, empty.
            await d.get('about:blank');
            firstFree = true;
            return;
          }
          await d.close();
          const next = [...open][0];
          await d.switchTo().window(next);
          current = next;
        },
      };
      await screen.setViewport(viewport);
      return screen;
    },
    async close() {
      await d.quit().catch(() => {});
      await stop(driverProcess);
      await stop(xvfb.child);
    },
  };
}
