/**
 * Benchmarks of the whole daemon: replay at max speed through pipeline, store and one WebSocket viewer, and where its
 * CPU goes per beat (engine, store, serialisation, the rest); how long the event loop stalls while another program
 * holds the database's write lock; latency from a sample entering the daemon to its `beat` message reaching a viewer
 * at real-time speed; memory of the real CLI process over an hour of simulated session.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { lastValueFrom, toArray } from 'rxjs';
import WebSocket from 'ws';
import { Daemon } from '../../src/daemon/daemon.js';
import type { PipelineEvent } from '../../src/domain/events.js';
import type { HeartRateSource } from '../../src/domain/source.js';
import { ROLLING_DEFAULTS } from '../../src/hrv/rolling.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { livePipeline } from '../../src/pipeline/live.js';
import { buildApp } from '../../src/server/app.js';
import { MAX_SPEED_EVENTS_PER_TURN } from '../../src/sources/pacing.js';
import { rrSource } from '../../src/sources/replay.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { SessionStore } from '../../src/store/session-store.js';
import { type BeatMessage, messageFor } from '../../src/viewers/protocol.js';
import { CLI, tempDir } from '../helpers/daemon-process.js';
import { holdWriteLockElsewhere } from '../helpers/disk-faults.js';
import { watchLoop } from './loop-watch.js';
import type { Figure } from './report.js';
import { loadAverage, lostMessages, servedDaemon, ViewerProcess } from './served.js';

const WEB_ROOT = new URL('../../web/', import.meta.url).pathname;

/** An in-process daemon (real store, real server on a loopback port) with `source`, a session started at once. */
export async function withDaemon<T>(
  source: HeartRateSource,
  fn: (url: string, daemon: Daemon) => Promise<T>,
  options: { demo?: boolean } = {},
): Promise<T> {
  const dir = tempDir('tableside-bench-');
  const store = SessionStore.open(`${dir.path}/bench.db`);
  const log = pino({ level: 'warn' });
  const daemon = new Daemon({
    store,
    source,
    log,
    demo: options.demo ?? true,
    autoSession: { clientLabel: 'bench', therapistNote: '' },
  });
  const app = await buildApp({ daemon, store, log, webRoot: WEB_ROOT });
  await app.listen({ port: 0, host: '127.0.0.1' });
  daemon.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    return await fn(`ws://127.0.0.1:${port}/ws`, daemon);
  } finally {
    daemon.stop();
    await app.close();
    store.close();
    dir.remove();
  }
}

/** Wall-clock time with sub-millisecond resolution, ms since the epoch. */
export const preciseNowMs = (): number => performance.timeOrigin + performance.now();

/**
 * Connects a viewer. It counts the beats it has (a fresh `hello` — sent to a viewer that fell behind — carries all beats
 * so far), calls `onBeat(beat, arrivedAtMs)` for every live beat message (`arrivedAtMs`: `preciseNowMs()` taken as the
 * message event fired, before parsing), and `ended` resolves when the session ends.
 */
export async function viewer(url: string, onBeat: (beat: BeatMessage, arrivedAtMs: number) => void = () => {}) {
  const ws = new WebSocket(url);
  const state = { beats: 0, rehellos: 0 };
  let markEnded: () => void = () => {};
  const ended = new Promise<void>((resolve) => {
    markEnded = resolve;
  });
  ws.on('message', (data) => {
    const arrivedAtMs = preciseNowMs();
    const text = data.toString();
    if (text.startsWith('{"type":"beat"')) {
      state.beats++;
      onBeat(JSON.parse(text) as BeatMessage, arrivedAtMs);
    } else if (text.startsWith('{"type":"hello"')) {
      const hello = JSON.parse(text);
      state.beats = hello.session ? hello.session.beats.seq.length : 0;
      state.rehellos++;
    } else if (text.startsWith('{"type":"backfill"')) {
      state.beats += JSON.parse(text).beats.seq.length;
    } else if (text.startsWith('{"type":"session"')) {
      markEnded();
    }
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, state, ended };
}

export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export async function daemonBenchmarks(): Promise<Figure[]> {
  const figures: Figure[] = [];

  figures.push(...(await replayFigures()));
  figures.push(...(await lockFigures()));

  // 2. Latency at real-time speed: a simulated strap, ~1 notification per second.
  const latencySeconds = 90;
  /** The first beats also pay for compiling the code paths they take: left out, and said so. */
  const warmUpBeats = 10;
  const latencies: number[] = [];
  await withDaemon(simulatedSource({ seed: 3, speed: 1, durationS: latencySeconds }), async (url) => {
    const v = await viewer(url, (beat, arrivedAtMs) => latencies.push(arrivedAtMs - beat.receivedAtMs));
    await v.ended;
    v.ws.close();
  });
  latencies.splice(0, warmUpBeats);
  latencies.sort((a, b) => a - b);
  figures.push({
    name:
      `sample → beat message at the viewer, p50 (real time, ${latencies.length} beats over ${latencySeconds} s ` +
      `after ${warmUpBeats} warm-up beats; sub-ms clock)`,
    value: percentile(latencies, 50),
    unit: 'ms',
  });
  figures.push({
    name: 'sample → beat message at the viewer, p99',
    value: percentile(latencies, 99),
    unit: `ms (max ${latencies.at(-1)} ms)`,
    target: '≤ 5',
    ok: percentile(latencies, 99) <= 5,
  });

  // 3. Memory of the real CLI over an hour of simulated session (at max speed).
  const dir = tempDir('tableside-bench-');
  const child = spawn(
    process.execPath,
    [CLI, 'simulate', '--duration', '3600', '--speed', 'max', '--exit', '--port', '0', '--db', `${dir.path}/b.db`],
    { stdio: 'ignore', env: { ...process.env, TABLESIDE_LOG_LEVEL: 'warn' } },
  );
  let maxRssKb = 0;
  let lastRssKb = 0;
  const poll = setInterval(() => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) {
        lastRssKb = Number(m[1]);
        maxRssKb = Math.max(maxRssKb, lastRssKb);
      }
    } catch {
      // the process has exited
    }
  }, 50);
  await new Promise((resolve) => child.once('exit', resolve));
  clearInterval(poll);
  dir.remove();
  figures.push({
    name: 'RSS of `tableside simulate` over 1 h of session (peak; last reading before exit)',
    value: maxRssKb / 1024,
    unit: `MB (last ${(lastRssKb / 1024).toFixed(0)} MB)`,
    target: '≤ 120',
    ok: maxRssKb / 1024 <= 120,
  });
  return figures;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuMs = (since?: NodeJS.CpuUsage) => {
  const c = process.cpuUsage(since);
  return (c.user + c.system) / 1000;
};

const REPLAY_FILE = 'recordings/physionet_rr_healthy_000.txt';

/**
 * Replay at `max` through the daemon as it is served (real store on a file, real server) to one viewer in a process
 * of its own; then the parts of the daemon's CPU per beat, each measured alone in this process on the same file: the
 * engine (source, beat timeline, live metrics), the store (one transaction per turn's events, as the daemon commits),
 * serialising the messages (once for all viewers). The rest is what the parts leave of the whole: WebSocket framing
 * and socket writes, RxJS plumbing, scheduling, garbage collection.
 */
async function replayFigures(): Promise<Figure[]> {
  const name = REPLAY_FILE.split('/').at(-1) as string;
  const { rrMs } = await readRrFile(REPLAY_FILE);
  const loadAtStart = loadAverage();

  const served = await servedDaemon(rrSource(rrMs, undefined, name, 'max'));
  const viewers = ViewerProcess.start();
  let whole: { beatsPerS: number; cpuUsPerBeat: number; beats: number; lost: number; catchUps: number };
  try {
    await viewers.connect([served.wsUrl('client')]);
    const clock = await viewers.clockOffset();
    const cpu0 = process.cpuUsage();
    const startMs = preciseNowMs();
    served.daemon.start();
    const sessionId = served.daemon.currentSessionId as number;
    while (served.daemon.currentSessionId !== null) await sleep(10);
    const daemonCpuMs = cpuMs(cpu0);
    const report = await viewers.report(60_000);
    const v = report.viewers[0];
    const stored = {
      beats: served.store.getSession(sessionId)?.beatCount ?? 0,
      metrics: served.store.getMetrics(sessionId).length,
    };
    const lastArrivalMs = v.arrivedAtMs[v.beats - 1] - clock.offsetMs;
    const { lost, catchUpHellos } = lostMessages(v, stored);
    whole = {
      beats: v.beats,
      beatsPerS: v.beats / ((lastArrivalMs - startMs) / 1000),
      cpuUsPerBeat: (daemonCpuMs * 1000) / stored.beats,
      lost,
      catchUps: catchUpHellos,
    };
  } finally {
    viewers.kill();
    await served.close();
  }

  // The parts, alone: the best of two runs each (CPU time, so other work on the machine counts less).
  const best = async (run: () => Promise<number> | number) => Math.min(await run(), await run());
  let events: PipelineEvent[] = [];
  const engineUs = await best(async () => {
    const c0 = process.cpuUsage();
    events = await lastValueFrom(
      rrSource(rrMs, undefined, name, 'max').events$.pipe(livePipeline(ROLLING_DEFAULTS), toArray()),
    );
    return (cpuMs(c0) * 1000) / rrMs.length;
  });
  // A turn at `max` releases MAX_SPEED_EVENTS_PER_TURN samples: about three times as many pipeline events a commit.
  const perCommit = 3 * MAX_SPEED_EVENTS_PER_TURN;
  const storeUs = await best(() => {
    const dir = tempDir('tableside-bench-');
    const store = SessionStore.open(`${dir.path}/split.db`);
    try {
      const { id } = store.createSession({
        clientLabel: '',
        therapistNote: '',
        sourceKind: 'replay',
        sourceLabel: name,
        params: {},
      });
      const c0 = process.cpuUsage();
      for (let i = 0; i < events.length; i += perCommit) store.tryWriteBatch(id, events.slice(i, i + perCommit));
      return (cpuMs(c0) * 1000) / rrMs.length;
    } finally {
      store.close();
      dir.remove();
    }
  });
  let bytes = 0;
  const jsonUs = await best(() => {
    const c0 = process.cpuUsage();
    bytes = 0;
    for (const e of events) {
      const m = messageFor(e);
      if (m !== null) bytes += JSON.stringify(m).length;
    }
    return (cpuMs(c0) * 1000) / rrMs.length;
  });
  const restUs = whole.cpuUsPerBeat - engineUs - storeUs - jsonUs;
  const us = (x: number) => `${x.toFixed(1)} µs`;
  return [
    {
      name:
        `replay at max speed through pipeline, store and one viewer in another process (${name}, ` +
        `${whole.beats.toLocaleString('en-US')} beats reached the viewer; lost ${whole.lost}, catch-up hellos ` +
        `${whole.catchUps})`,
      value: whole.beatsPerS,
      unit: `beats/s (the daemon's CPU: ${us(whole.cpuUsPerBeat)} per beat, ${Math.round(1e6 / whole.cpuUsPerBeat).toLocaleString('en-US')} beats per CPU-second)`,
      target: '≥ 50 000',
      ok: whole.beatsPerS >= 50_000,
    },
    {
      name: '… its CPU per beat: the engine (source, beat timeline, live metrics; alone, best of 2)',
      value: engineUs,
      unit: `µs (${Math.round(1e6 / engineUs).toLocaleString('en-US')} beats/s alone)`,
    },
    {
      name: `… the store (its sample, beat and metrics rows; a transaction per ${perCommit} events, as at max speed)`,
      value: storeUs,
      unit: 'µs',
    },
    {
      name: `… serialising its messages (beat and metrics, ${Math.round(bytes / rrMs.length)} bytes of JSON; once for all viewers)`,
      value: jsonUs,
      unit: 'µs',
    },
    {
      name: '… the rest (WebSocket framing and socket writes, RxJS, scheduling, GC: the whole less the parts)',
      value: restUs,
      unit: 'µs',
    },
    {
      name: 'machine load average (1 min, 2 cores) at the start / end of the replay figures',
      value: loadAtStart,
      unit: `/ ${loadAverage().toFixed(2)}`,
    },
  ];
}

/** How long another program holds the write lock in the lock figure, ms (under the store's 5 s busy timeout). */
const LOCK_HOLD_MS = 3000;

/** The live view may not freeze longer than this while another program holds the lock, ms. */
const LOCK_TARGET_MS = 100;

/**
 * The daemon live (a simulated strap at 20× real time, one viewer in another process) while another process holds the
 * database's write lock for `LOCK_HOLD_MS`: the longest the event loop stalled (every stream's view, every viewer,
 * the REST API wait that long) from the lock until half a second after it cleared (the beats that waited stored and
 * published), raw and less the time the event loop waited for a CPU (./loop-watch.ts); the slowest `/api/health`
 * asked every 50 ms meanwhile; and whether every beat was stored and reached the viewer once the lock cleared.
 */
async function lockFigures(): Promise<Figure[]> {
  const served = await servedDaemon(simulatedSource({ seed: 9, speed: 20, durationS: 36_000 }));
  const viewers = ViewerProcess.start();
  try {
    await viewers.connect([served.wsUrl('client')]);
    served.daemon.start();
    const sessionId = served.daemon.currentSessionId as number;
    await sleep(2000);
    const loadAtStart = loadAverage();
    const holder = holdWriteLockElsewhere(served.store.path);
    await holder.locked;
    const watch = watchLoop();
    const lockedAt = performance.now();
    let slowestHealthMs = 0;
    let healthAnswers = 0;
    while (performance.now() - lockedAt < LOCK_HOLD_MS) {
      const asked = performance.now();
      const ok = (await fetch(served.httpUrl('/api/health'))).ok;
      slowestHealthMs = Math.max(slowestHealthMs, performance.now() - asked);
      if (ok) healthAnswers++;
      await sleep(50);
    }
    await holder.release();
    await sleep(500);
    const loop = watch.stop();
    served.daemon.endSession();
    const report = await viewers.report(30_000);
    const stored = {
      beats: served.store.getSession(sessionId)?.beatCount ?? 0,
      metrics: served.store.getMetrics(sessionId).length,
    };
    const { lost } = lostMessages(report.viewers[0], stored);
    return [
      {
        name:
          `live view freeze while another writer holds the lock: the longest event-loop stall during a ` +
          `${LOCK_HOLD_MS / 1000} s lock held by another process and the 0.5 s after (simulated strap at 20×, one viewer)`,
        value: loop.late.maxMs,
        unit:
          `ms (p99 ${loop.late.p99Ms.toFixed(1)} ms; /api/health every 50 ms meanwhile: ${healthAnswers} ` +
          `answers, slowest ${slowestHealthMs.toFixed(1)} ms; afterwards ${stored.beats} beats stored, lost at the ` +
          `viewer ${lost}; load average ${loadAtStart.toFixed(1)} / ${loadAverage().toFixed(1)})`,
        target: `≤ ${LOCK_TARGET_MS}`,
        ok: loop.late.maxMs <= LOCK_TARGET_MS,
      },
      {
        name: '… less the time the event loop waited for a CPU (the machine busy with other work)',
        value: loop.own.maxMs,
        unit: `ms (p99 ${loop.own.p99Ms.toFixed(1)} ms)`,
        target: `≤ ${LOCK_TARGET_MS}`,
        ok: loop.own.maxMs <= LOCK_TARGET_MS,
      },
    ];
  } finally {
    viewers.kill();
    await served.close();
  }
}
