/**
 * The clinic overview under 50 tables: `CLINIC_TABLES` simulated tables in real time (`CLINIC_PROCESSES` processes of
 * several tables each: ./clinic-tables.ts) publish through a real Mosquitto (/usr/sbin/mosquitto on a free port); the
 * real overview (`tableside clinic --mqtt …` from dist/, its own process) subscribes to the tree; here, a WebSocket on
 * the overview's `/clinic/ws`, as the page opens it. Latency: the arrival here of a `table` message carrying a new
 * metric minus that metric's `atMs` (when the notification behind it entered its table; one machine, one clock). It
 * counts the table's commit and once-a-second pacing, the broker, the overview's check and its socket.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import type { ClinicSocketMessage } from '../../src/clinic/shapes.js';
import { type RunningDaemon, startDaemon, tempDir } from '../helpers/daemon-process.js';
import { startBroker } from '../helpers/mosquitto.js';
import type { Figure } from './report.js';
import { loadAverage, quantile, sortedCopy } from './served.js';

export const CLINIC_TABLES = 50;
export const CLINIC_PROCESSES = 5;
export const CLINIC_SECONDS = 60;
const WARM_UP_S = 10;
const TARGET_P99_MS = 250;
const TABLES_PROCESS = new URL('./clinic-tables.ts', import.meta.url).pathname;

export async function clinicBenchmarks(): Promise<Figure[]> {
  const dir = tempDir('tableside-bench-clinic-');
  const broker = await startBroker(dir.path);
  const children: ChildProcess[] = [];
  let overview: RunningDaemon | null = null;
  let ws: WebSocket | null = null;
  try {
    overview = await startDaemon(['clinic', '--mqtt', broker.url]);
    const arrivals: { latencyMs: number; atMs: number }[] = [];
    const seen = new Set<string>();
    let online = 0;
    ws = new WebSocket(`${overview.url.replace(/^http/, 'ws').replace(/\/$/, '')}/clinic/ws`);
    ws.on('message', (data) => {
      const arrivedMs = Date.now();
      const m = JSON.parse(data.toString()) as ClinicSocketMessage;
      if (m.type === 'health') online = m.health.online;
      if (m.type !== 'table') return;
      for (const s of m.table.streams) {
        if (s.metrics === null) continue;
        const key = `${m.table.table}/${s.stream}/${s.metrics.atMs}`;
        if (seen.has(key)) continue;
        seen.add(key);
        arrivals.push({ latencyMs: arrivedMs - s.metrics.atMs, atMs: arrivedMs });
      }
    });
    await new Promise((resolve, reject) => {
      ws?.once('open', resolve);
      ws?.once('error', reject);
    });

    const perProcess = CLINIC_TABLES / CLINIC_PROCESSES;
    await Promise.all(
      Array.from({ length: CLINIC_PROCESSES }, (_, p) => {
        const child = fork(TABLES_PROCESS, [broker.url, dir.path, String(p * perProcess + 1), String(perProcess)], {
          execArgv: ['--import', 'tsx'],
          stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        });
        children.push(child);
        return new Promise<void>((resolve, reject) => {
          child.once('message', () => resolve());
          child.once('exit', (code) => reject(new Error(`a tables process exited with ${code}`)));
        });
      }),
    );
    await sleep(WARM_UP_S * 1000);
    const windowStartMs = Date.now();
    await sleep(CLINIC_SECONDS * 1000);
    const window = arrivals.filter((a) => a.atMs >= windowStartMs);
    const latencies = sortedCopy(window.map((a) => a.latencyMs));
    const p99 = quantile(latencies, 99);
    const perTable = window.length / CLINIC_TABLES / CLINIC_SECONDS;
    const health = (await (await fetch(new URL('/api/clinic/health', overview.url))).json()) as {
      online: number;
      malformed: { total: number };
    };
    return [
      { name: 'tables online on the overview', value: Math.max(online, health.online), unit: `of ${CLINIC_TABLES}` },
      { name: 'metrics reaching the page', value: window.length, unit: `in ${CLINIC_SECONDS} s` },
      { name: 'metrics per table per second', value: perTable, unit: '/s', target: '≤ 1', ok: perTable <= 1 },
      { name: 'metric → overview page latency p50', value: quantile(latencies, 50), unit: 'ms' },
      {
        name: 'metric → overview page latency p99',
        value: p99,
        unit: 'ms',
        target: `≤ ${TARGET_P99_MS} ms`,
        ok: p99 <= TARGET_P99_MS,
      },
      { name: 'metric → overview page latency max', value: latencies[latencies.length - 1] ?? Number.NaN, unit: 'ms' },
      {
        name: 'malformed messages',
        value: health.malformed.total,
        unit: '',
        target: '0',
        ok: health.malformed.total === 0,
      },
      { name: 'load average (1 min) at the end', value: loadAverage(), unit: '' },
    ];
  } finally {
    ws?.terminate();
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 3000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            c.kill('SIGTERM');
          }),
      ),
    );
    overview?.child.kill('SIGTERM');
    await broker.kill();
    dir.remove();
  }
}
