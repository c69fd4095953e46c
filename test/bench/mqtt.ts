/**
 * MQTT: a few tables publishing through a real Mosquitto (/usr/sbin/mosquitto, started here on a free port). Each
 * table is the real CLI in its own process (`simulate --speed 1 --mqtt … --table bench-N`); one subscriber here takes
 * `tableside/v1/+/+/metrics`. Latency: the subscriber's arrival time minus the payload's `atMs` (the wall-clock time
 * the notification behind those values entered its daemon; one machine, one clock). It includes the store's commit,
 * the outlet's once-a-second pacing, the broker and the subscriber's parsing.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type RunningDaemon, startDaemon, tempDir } from '../helpers/daemon-process.js';
import { startBroker, subscribe } from '../helpers/mosquitto.js';
import type { Figure } from './report.js';
import { loadAverage, quantile, sortedCopy } from './served.js';

export const MQTT_TABLES = 5;
export const MQTT_SECONDS = 60;
const WARM_UP_S = 10;
const TARGET_P99_MS = 250;

export async function mqttBenchmarks(): Promise<Figure[]> {
  const dir = tempDir('tableside-bench-mqtt-');
  const broker = await startBroker(dir.path);
  const daemons: RunningDaemon[] = [];
  try {
    const { client, received } = await subscribe(broker.url, 'tableside/v1/+/+/metrics');
    for (let i = 1; i <= MQTT_TABLES; i++) {
      daemons.push(
        await startDaemon([
          'simulate',
          '--seed',
          String(i),
          '--speed',
          '1',
          '--db',
          `${dir.path}/table-${i}.db`,
          '--mqtt',
          broker.url,
          '--table',
          `bench-${i}`,
        ]),
      );
    }
    await sleep(WARM_UP_S * 1000);
    const from = received.length;
    await sleep(MQTT_SECONDS * 1000);
    const window = received.slice(from);
    client.end(true);
    const latencies = sortedCopy(window.map((m) => m.atMs - (JSON.parse(m.text) as { atMs: number }).atMs));
    const p99 = quantile(latencies, 99);
    const perTable = window.length / MQTT_TABLES / MQTT_SECONDS;
    return [
      { name: 'metrics messages received', value: window.length, unit: `in ${MQTT_SECONDS} s` },
      { name: 'messages per table per second', value: perTable, unit: '/s', target: '≤ 1', ok: perTable <= 1 },
      { name: 'metric → subscriber latency p50', value: quantile(latencies, 50), unit: 'ms' },
      {
        name: 'metric → subscriber latency p99',
        value: p99,
        unit: 'ms',
        target: `≤ ${TARGET_P99_MS} ms`,
        ok: p99 <= TARGET_P99_MS,
      },
      { name: 'load average (1 min) at the end', value: loadAverage(), unit: '' },
    ];
  } finally {
    for (const d of daemons) d.child.kill('SIGKILL');
    await broker.kill();
    dir.remove();
  }
}
