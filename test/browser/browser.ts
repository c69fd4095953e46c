/**
 * What the browser tests need: Debian's Chromium driven by playwright-core (never a downloaded browser), the real
 * `tableside` CLI on a port the test chooses (so a restart can come back on the same one), a tableside recording
 * with a pause in it, and WCAG contrast arithmetic.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { encodeHeartRateMeasurement } from '../../src/domain/hrm.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { CLI } from '../helpers/daemon-process.js';

export const CHROMIUM = '/usr/bin/chromium';

/** The flags this machine needs: no sandbox as root, and no calls home (the network is closed). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export const SCREENSHOTS = join(import.meta.dirname, '../../test-output/screenshots');

export function chromiumInstalled(): boolean {
  return existsSync(CHROMIUM);
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return join(SCREENSHOTS, name);
}

export { freePort } from '../helpers/free-port.js';

export interface Daemon {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Starts `tableside <args> --port <port>` (with `env` added) and resolves once it prints its URL. Port 0 lets the
 * daemon bind any free port (the URL says which): use it unless the test restarts a daemon on the same port. A port
 * from `freePort()` can be taken between the asking and the binding — by any outgoing connection of a browser or a
 * driver starting beside it, which draws from the same ephemeral range.
 */
export function startDaemonOn(port: number, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Daemon> {
  const child = spawn(process.execPath, [CLI, ...args, '--port', String(port)], {
    env: { ...process.env, TABLESIDE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const collect = (d: Buffer) => {
    out += d;
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const kill = (signal: NodeJS.Signals = 'SIGKILL') =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill(signal);
    });
  return new Promise((resolve, reject) => {
    // Seconds on an idle machine; far more while browsers start beside it on a machine busy with other work.
    const timer = setTimeout(() => {
      child.kill('SIGKILL'); // not left running after the test that gave up on it
      reject(new Error(`daemon did not start:\n${out}`));
    }, 60_000);
    const check = () => {
      const m = /open (http:\/\/\S+)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      child.stdout?.off('data', check);
      resolve({ child, url: m[1], output: () => out, kill });
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before it started:\n${out}`));
    });
  });
}

/**
 * A tableside recording (raw 0x2A37 notifications with arrival times) of a real RR file in which the strap goes
 * quiet for `pause.lengthS` seconds of its own time from `pause.atS` on, without saying so: no notification, no
 * status — what a strap that lost skin contact does. The replay then pauses like the strap would; the beats in
 * the pause are lost, as they would be. With `pause.everyS` the strap goes quiet again every `everyS` seconds after
 * `atS`, so a page that joins the replay late (a slow start on a busy machine) still sees a pause begin.
 */
export async function recordingWithPause(
  rrFile: string,
  outFile: string,
  pause: { atS: number; lengthS: number; everyS?: number },
): Promise<void> {
  const { rrMs } = await readRrFile(rrFile);
  const lines = [
    '# tableside recording v1',
    JSON.stringify({
      startedAt: '2026-11-23T10:00:00.000Z',
      source: `${rrFile} with a ${pause.lengthS} s pause`,
      device: { name: 'replay: paused strap', id: 'replay:paused' },
    }),
  ];
  const every = pause.everyS ?? Number.POSITIVE_INFINITY;
  if (!(every > pause.lengthS)) throw new RangeError(`pauses of ${pause.lengthS} s cannot repeat every ${every} s`);
  const quiet = (tS: number) => {
    const intoS = (tS - pause.atS) % every; // negative before the first pause
    return intoS > 0 && intoS <= pause.lengthS;
  };
  let tMs = 0;
  for (const rr of rrMs) {
    tMs += rr;
    const tS = tMs / 1000;
    if (quiet(tS)) continue;
    const payload = encodeHeartRateMeasurement({ hrBpm: 60000 / rr, rrTicks: [(rr * 1024) / 1000] });
    lines.push(`${tMs.toFixed(3)}\tn\t${Buffer.from(payload).toString('hex')}`);
  }
  writeFileSync(outFile, `${lines.join('\n')}\n`);
}

// ---------------------------------------------------------------------------------------------------------------
// WCAG 2.x contrast

export type Rgba = [number, number, number, number];

/** `#rgb`, `#rrggbb`, `rgb(…)`, `rgba(…)` → [r, g, b, a] with r, g, b in 0–255 and a in 0–1. */
export function parseColour(text: string): Rgba {
  const t = text.trim();
  if (t.startsWith('#')) {
    const hex = t.length === 4 ? [...t.slice(1)].map((c) => c + c).join('') : t.slice(1);
    return [
      Number.parseInt(hex.slice(0, 2), 16),
      Number.parseInt(hex.slice(2, 4), 16),
      Number.parseInt(hex.slice(4, 6), 16),
      1,
    ];
  }
  const m = /rgba?\(([^)]+)\)/.exec(t);
  if (!m) throw new Error(`not a colour: ${text}`);
  const parts = m[1]
    .split(/[\s,/]+/)
    .filter(Boolean)
    .map(Number);
  return [parts[0], parts[1], parts[2], parts[3] ?? 1];
}

/** `top` with its alpha laid over an opaque `bottom`. */
export function over(top: Rgba, bottom: Rgba): Rgba {
  const a = top[3];
  return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
}

function luminance([r, g, b]: Rgba): number {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two opaque colours, 1–21. */
export function contrast(a: Rgba, b: Rgba): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}
