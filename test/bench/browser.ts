/**
 * Benchmarks of the live page in Debian's Chromium (launched exactly like the browser tests): beat-to-screen latency
 * at real-time speed, and smoothness (JS heap, chart update time) over a 2-hour session replayed at 60×. Everything
 * is measured from outside the page: an init script wraps WebSocket message listeners, requestAnimationFrame,
 * queueMicrotask and uPlot's setData before the page's own scripts run; web/ is untouched.
 */
import type { Page } from 'playwright-core';
import { chromiumInstalled, launchChromium } from '../browser/browser.js';
import { type RunningDaemon, startDaemon, tempDir } from '../helpers/daemon-process.js';
import type { Figure } from './report.js';

const VIEWPORT = { width: 1280, height: 800 };
const QUICK = process.env.TABLESIDE_BENCH_BROWSER_QUICK === '1'; // a smoke run of a few seconds
const LATENCY_S = QUICK ? 8 : 60;
const LONG_SESSION_S = QUICK ? 900 : 7200;
const LONG_SPEED = 60;
const HEAP_SAMPLE_MS = 10_000;

/** Runs in the page before any of its scripts. Results go to `window.__benchStats`. */
function instrument(): void {
  type Pending = { lagMs: number; handlerMs: number; receivedAtMs: number };
  const stats = {
    beats: [] as { lagMs: number; handlerMs: number; renderMs: number; workMs: number; frameMs: number }[],
    chartMs: [] as number[],
  };
  (window as unknown as { __benchStats: typeof stats }).__benchStats = stats;
  const now = () => performance.timeOrigin + performance.now();
  const origQueueMicrotask = window.queueMicrotask.bind(window);
  let pending: Pending[] = [];

  // 1. WebSocket message listeners: arrival time (before parsing) and the handler's own duration.
  const origAdd = WebSocket.prototype.addEventListener;
  WebSocket.prototype.addEventListener = function (
    this: WebSocket,
    type: string,
    listener: unknown,
    options?: unknown,
  ) {
    if (type !== 'message' || typeof listener !== 'function') {
      return origAdd.call(this, type, listener as EventListener, options as AddEventListenerOptions);
    }
    const wrapped = function (this: WebSocket, event: MessageEvent) {
      const arrived = now();
      const t0 = performance.now();
      const r = (listener as (e: MessageEvent) => unknown).call(this, event);
      const handlerMs = performance.now() - t0;
      const data = event.data;
      if (typeof data === 'string' && data.startsWith('{"type":"beat"')) {
        const m = /"receivedAtMs":([0-9.eE+-]+)/.exec(data);
        if (m) {
          const receivedAtMs = Number(m[1]);
          pending.push({ lagMs: arrived - receivedAtMs, handlerMs, receivedAtMs });
        }
      }
      return r;
    };
    return origAdd.call(this, type, wrapped as EventListener, options as AddEventListenerOptions);
  } as typeof WebSocket.prototype.addEventListener;

  // 2. requestAnimationFrame: the render that follows a beat, including the microtasks it queued (uPlot commits its
  //    redraw in a microtask), ends when a microtask queued after the callback runs.
  const origRaf = window.requestAnimationFrame.bind(window);
  window.requestAnimationFrame = (cb: FrameRequestCallback) =>
    origRaf((ts) => {
      const owed = pending;
      pending = [];
      const t0 = performance.now();
      try {
        cb(ts);
      } finally {
        origQueueMicrotask(() => {
          const t1 = performance.now();
          const renderMs = t1 - t0;
          const doneAt = performance.timeOrigin + t1;
          for (const p of owed) {
            stats.beats.push({
              lagMs: p.lagMs,
              handlerMs: p.handlerMs,
              renderMs,
              workMs: p.lagMs + p.handlerMs + renderMs,
              frameMs: doneAt - p.receivedAtMs,
            });
          }
        });
      }
    });

  // 3. uPlot's setData: its synchronous part plus the commit microtask it queues. uPlot captures `queueMicrotask`
  //    when its module loads, so a wrapper installed now sees the commits queued inside setData.
  let inSetData: { total: number } | null = null;
  window.queueMicrotask = (fn: VoidFunction) => {
    const owner = inSetData;
    if (!owner) return origQueueMicrotask(fn);
    return origQueueMicrotask(() => {
      const t0 = performance.now();
      try {
        fn();
      } finally {
        owner.total += performance.now() - t0;
      }
    });
  };
  const wrapSetData = (proto: { setData?: (...a: unknown[]) => unknown }) => {
    const orig = proto.setData;
    if (!orig || (orig as { __wrapped?: boolean }).__wrapped) return;
    const wrapped = function (this: unknown, ...args: unknown[]) {
      const acc = { total: 0 };
      const outer = inSetData;
      inSetData = acc;
      const t0 = performance.now();
      try {
        return orig.apply(this, args);
      } finally {
        acc.total += performance.now() - t0;
        inSetData = outer;
        // The commit microtask was queued before this one, so it has run (and added to acc) by now.
        origQueueMicrotask(() => stats.chartMs.push(acc.total));
      }
    };
    (wrapped as { __wrapped?: boolean }).__wrapped = true;
    proto.setData = wrapped;
  };
  // uPlot assigns setData to each instance (`self.setData = setData`): the bench rewrites that line as the module is
  // served (page.route) to pass the function through this wrapper.
  (window as unknown as { __benchWrapSetData: (f: unknown) => unknown }).__benchWrapSetData = (f) => {
    const holder = { setData: f as (...a: unknown[]) => unknown };
    wrapSetData(holder);
    return holder.setData;
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

function summary(values: number[]) {
  const s = [...values].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.length ? s[s.length - 1] : Number.NaN, n: s.length };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function openPage(page: Page, url: string): Promise<void> {
  // tsx (esbuild keepNames) may wrap functions in `__name(…)`, which the page lacks: give it a no-op one.
  await page.addInitScript({ content: `(() => { const __name = (f) => f; (${instrument.toString()})(); })();` });
  await page.route('**/vendor/uplot/uPlot.esm.js', async (route) => {
    const response = await route.fetch();
    const body = (await response.text()).replace(
      'self.setData = setData;',
      'self.setData = (window.__benchWrapSetData ?? ((f) => f))(setData);',
    );
    if (!body.includes('__benchWrapSetData')) throw new Error('uPlot.esm.js: no `self.setData = setData;` to hook');
    await route.fulfill({ response, body });
  });
  page.on('pageerror', (e) => process.stderr.write(`[bench page error] ${e.message}\n`));
  await page.goto(url);
  await page.waitForSelector('body[data-conn="up"][data-signal="live"]', { timeout: 30_000 });
}

async function withDaemonAndPage<T>(args: string[], fn: (page: Page, daemon: RunningDaemon) => Promise<T>): Promise<T> {
  const dir = tempDir('tableside-bench-browser-');
  const daemon = await startDaemon([...args, '--db', `${dir.path}/bench.db`]);
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: VIEWPORT });
    return await fn(page, daemon);
  } finally {
    await browser.close();
    await new Promise<void>((resolve) => {
      if (daemon.child.exitCode !== null || daemon.child.signalCode !== null) return resolve();
      daemon.child.once('exit', () => resolve());
      daemon.child.kill('SIGKILL');
    });
    dir.remove();
  }
}

type Stats = {
  beats: { lagMs: number; handlerMs: number; renderMs: number; workMs: number; frameMs: number }[];
  chartMs: number[];
};
const readStats = (page: Page) => page.evaluate(() => (window as unknown as { __benchStats: Stats }).__benchStats);

async function heapMb(page: Page, cdp: import('playwright-core').CDPSession, collect: boolean): Promise<number> {
  if (collect) await cdp.send('HeapProfiler.collectGarbage');
  const { metrics } = await cdp.send('Performance.getMetrics');
  void page;
  const used = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? Number.NaN;
  return used / 2 ** 20;
}

export async function browserBenchmarks(): Promise<{ latency: Figure[]; smoothness: Figure[] }> {
  if (!chromiumInstalled()) {
    process.stdout.write('\n(browser benchmarks skipped: /usr/bin/chromium is not installed)\n');
    return { latency: [], smoothness: [] };
  }

  // 1. Beat-to-screen at real-time speed: a simulated strap, ~1 beat a second, for LATENCY_S seconds of wall time.
  const latency = await withDaemonAndPage(['simulate', '--seed', '3', '--speed', '1'], async (page, daemon) => {
    await openPage(page, daemon.url);
    await page.evaluate(() => {
      const s = (window as unknown as { __benchStats: Stats }).__benchStats;
      s.beats.length = 0; // the ones around the first hello
    });
    await sleep(LATENCY_S * 1000);
    const { beats } = await readStats(page);
    const work = summary(beats.map((b) => b.workMs));
    const lag = summary(beats.map((b) => b.lagMs));
    const handler = summary(beats.map((b) => b.handlerMs));
    const render = summary(beats.map((b) => b.renderMs));
    const frame = summary(beats.map((b) => b.frameMs));
    const figures: Figure[] = [
      {
        name: `beat-to-DOM (daemon receipt → page receipt + handler + render), p50 (n=${work.n})`,
        value: work.p50,
        unit: 'ms',
      },
      { name: 'beat-to-DOM, p99', value: work.p99, unit: 'ms', target: '≤ 16 ms (one frame)', ok: work.p99 <= 16 },
      { name: 'beat-to-DOM, max', value: work.max, unit: 'ms' },
      {
        name: '  of which daemon receipt → page message event, p50 / p99',
        value: lag.p50,
        unit: `ms / ${lag.p99.toFixed(2)} ms`,
      },
      {
        name: '  of which page message handler, p50 / p99',
        value: handler.p50,
        unit: `ms / ${handler.p99.toFixed(2)} ms`,
      },
      {
        name: "  of which next frame's render (incl. uPlot commit), p50 / p99",
        value: render.p50,
        unit: `ms / ${render.p99.toFixed(2)} ms`,
      },
      {
        name: 'daemon receipt → end of the next rendered frame (incl. waiting for vsync), p50 / p99',
        value: frame.p50,
        unit: `ms / ${frame.p99.toFixed(2)} ms (max ${frame.max.toFixed(2)})`,
      },
    ];
    return figures;
  });

  // 2. Smoothness over a 2-hour session replayed at LONG_SPEED×.
  const smoothness = await withDaemonAndPage(
    ['simulate', '--seed', '5', '--duration', String(LONG_SESSION_S), '--speed', String(LONG_SPEED)],
    async (page, daemon) => {
      const started = Date.now();
      await openPage(page, daemon.url);
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Performance.enable');
      await sleep(5_000); // charts built, first beats drawn
      const startHeap = await heapMb(page, cdp, true);
      const samples: number[] = [];
      const wallS = (LONG_SESSION_S / LONG_SPEED) * 1000;
      while (Date.now() - started < wallS) {
        await sleep(Math.min(HEAP_SAMPLE_MS, Math.max(0, wallS - (Date.now() - started))));
        samples.push(await heapMb(page, cdp, false));
      }
      await page.waitForSelector('body:not([data-signal="live"])', { timeout: 30_000 }).catch(() => {});
      const endHeap = await heapMb(page, cdp, true);
      const { chartMs, beats } = await readStats(page);
      const chart = summary(chartMs);
      const peak = Math.max(...samples);
      const figures: Figure[] = [
        { name: 'JS heap after GC at start of session (~5 s in)', value: startHeap, unit: 'MB' },
        {
          name: `JS heap after GC at end of 2 h session (${beats.length} beats drawn)`,
          value: endHeap,
          unit: 'MB',
          target: 'flat (≤ start + 5 MB)',
          ok: endHeap <= startHeap + 5,
        },
        {
          name: `JS heap peak of ${samples.length} samples every ${HEAP_SAMPLE_MS / 1000} s (no forced GC)`,
          value: peak,
          unit: 'MB',
        },
        { name: `chart update (uPlot setData + its commit), p50 (n=${chart.n})`, value: chart.p50, unit: 'ms' },
        { name: 'chart update, p99', value: chart.p99, unit: 'ms', target: '< 4 ms', ok: chart.p99 < 4 },
        { name: 'chart update, max', value: chart.max, unit: 'ms' },
      ];
      return figures;
    },
  );
  return { latency, smoothness };
}
