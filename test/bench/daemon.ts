/**
 * Benchmarks of the whole daemon: replay at max speed through pipeline, store and one WebSocket viewer; latency from
 * a sample entering the daemon to its `beat` message reaching a viewer at real-time speed; memory of the real CLI
 * process over an hour of simulated session.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import WebSocket from 'ws';
import { Daemon } from '../../src/daemon/daemon.js';
import type { HeartRateSource } from '../../src/domain/source.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { buildApp } from '../../src/server/app.js';
import { rrSource } from '../../src/sources/replay.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { SessionStore } from '../../src/store/session-store.js';
import type { BeatMessage } from '../../src/viewers/protocol.js';
import { CLI, tempDir } from '../helpers/daemon-process.js';
import type { Figure } from './report.js';

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

  // 1. Replay at max speed: pipeline + store + one viewer.
  const { rrMs } = await readRrFile('recordings/physionet_rr_healthy_000.txt');
  const source = rrSource(rrMs, undefined, 'physionet_rr_healthy_000.txt', 'max');
  const { beats, seconds, rehellos } = await withDaemon(source, async (url) => {
    const start = process.hrtime.bigint();
    const v = await viewer(url);
    await v.ended;
    const s = Number(process.hrtime.bigint() - start) / 1e9;
    v.ws.close();
    return { beats: v.state.beats, seconds: s, rehellos: v.state.rehellos - 1 };
  });
  figures.push({
    name:
      `replay at max speed through pipeline, store and one viewer (${beats} beats reached the viewer; ` +
      `${rehellos} catch-up hellos)`,
    value: beats / seconds,
    unit: 'beats/s',
    target: '≥ 50 000',
    ok: beats / seconds >= 50_000,
  });

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
