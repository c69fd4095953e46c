/**
 * Latency of a strap connected in the browser: from the moment a page sends a 0x2A37 notification on its socket
 * (`strap-notification`) to the moment the `beat` it carries arrives at a viewer — over real loopback WebSockets,
 * through the server, the browser strap source, the pipeline and the store commit (persist, then publish). The page
 * and the viewer are `ws` clients in this process, so both ends read the same sub-millisecond wall clock.
 *
 * The page sends one notification (one RR of a real recording) every `EVERY_MS`, under the protocol's rate bound;
 * each beat is matched to its notification by seq (one RR per notification, one beat per RR).
 */
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { WebSocket } from 'ws';
import { browserStrapSource } from '../../src/daemon/source-catalog.js';
import { percentile, preciseNowMs, viewer, withDaemon } from './daemon.js';
import type { Figure } from './report.js';

const RECORDING = 'recordings/bartels_rest_rri.txt';
const SECONDS = 30;
const EVERY_MS = 125;
const WARM_UP_BEATS = 10;
/** The target: a browser strap adds no more than this on loopback, p99. */
const TARGET_P99_MS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function browserStrapBenchmarks(): Promise<Figure[]> {
  const rr = readFileSync(RECORDING, 'utf8')
    .split(/\r?\n/)
    .map(Number)
    .filter((x) => x > 0);
  const source = browserStrapSource(pino({ level: 'warn' }));
  const sentAt: number[] = [];
  const latencies: number[] = [];
  let beats = 0;
  await withDaemon(
    source,
    async (url) => {
      const seen = await viewer(url, (beat, arrivedAtMs) => {
        beats++;
        const at = sentAt[beat.seq];
        if (at !== undefined && beat.seq >= WARM_UP_BEATS) latencies.push(arrivedAtMs - at);
      });
      const page = new WebSocket(url);
      await new Promise((resolve, reject) => {
        page.once('open', resolve);
        page.once('error', reject);
      });
      const n = Math.floor((SECONDS * 1000) / EVERY_MS);
      for (let i = 0; i < n; i++) {
        const ticks = Math.round((rr[i % rr.length] * 1024) / 1000);
        const message = JSON.stringify({
          type: 'strap-notification',
          stream: 'client',
          atMs: Date.now(),
          bytes: [0x10, 60, ticks & 0xff, ticks >> 8],
        });
        sentAt[i] = preciseNowMs();
        page.send(message);
        await sleep(EVERY_MS);
      }
      await sleep(500);
      page.close();
      seen.ws.close();
    },
    { demo: false },
  );
  const sorted = [...latencies].sort((a, b) => a - b);
  const p99 = percentile(sorted, 99);
  const name = 'browser strap: strap-notification sent by the page → beat message at a viewer (loopback)';
  return [
    {
      name: `${name}, p50 (${sorted.length} beats of ${beats}, one notification every ${EVERY_MS} ms for ${SECONDS} s, after ${WARM_UP_BEATS} warm-up beats)`,
      value: percentile(sorted, 50),
      unit: 'ms',
    },
    {
      name: `${name}, p99`,
      value: p99,
      unit: `ms (max ${sorted[sorted.length - 1]?.toFixed(2)} ms)`,
      target: `≤ ${TARGET_P99_MS} ms`,
      ok: p99 <= TARGET_P99_MS,
    },
  ];
}
