/**
 * Load: many tables on one daemon. `LOAD_STRAPS` simulated straps (one stream each, real time: a notification a
 * second with 0–3 beats) and `LOAD_VIEWERS_PER_STRAP` viewers per stream in a child process (./served.ts), over real
 * WebSockets on a loopback port. After a warm-up, for `LOAD_SECONDS`:
 * - beat → message latency: the viewer's arrival time minus the `receivedAtMs` the `beat` message carries (the
 *   sub-millisecond wall-clock time the simulated notification was released into the daemon: sources/pacing.ts);
 * - the same from the notification's due time (when the strap's pacing timer was due): it adds the time the
 *   notification waited for the daemon's event loop, as a real strap's notification waits in the kernel;
 * - the daemon process's CPU, and messages lost (as in ./soak.ts).
 * The straps start in the same turn; each sends its first notification at a seeded moment within the first second,
 * then one every 1000 ± 20 ms (sources/simulated-strap.ts), so their notifications spread over the second and drift,
 * as real straps' do; now and then several coincide.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CLIENT_STREAM } from '../../src/daemon/stream.js';
import type { HeartRateSource } from '../../src/domain/source.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import type { Figure } from './report.js';
import {
  loadAverage,
  lostMessages,
  preciseNowMs,
  quantile,
  servedDaemon,
  sortedCopy,
  tapped,
  ViewerProcess,
} from './served.js';

export const LOAD_STRAPS = 16;
export const LOAD_VIEWERS_PER_STRAP = 2;
/** The measured window, s (after `WARM_UP_S`): ~20 beats/s in all, so a few thousand beats, twice each. */
export const LOAD_SECONDS = 180;
/** Compiling the code paths, the first SQLite pages: left out, and said so. */
const WARM_UP_S = 10;
const TARGET_P99_MS = 25;

export async function loadBenchmarks(): Promise<Figure[]> {
  const loadAtStart = loadAverage();
  /** per stream: a notification's receivedAtMs → the wall-clock time it was due */
  const dueAt = new Map<string, Map<number, number>>();
  const withDueTimes = (streamId: string, source: HeartRateSource) => {
    const due = new Map<number, number>();
    dueAt.set(streamId, due);
    let anchorWallMs = Number.NaN;
    let anchorSourceMs = Number.NaN;
    // The pacing's clock starts at the first event, released at once: its receivedAtMs is the anchor (real time: 1×).
    return tapped(source, (e) => {
      if (Number.isNaN(anchorWallMs)) {
        anchorWallMs = e.receivedAtMs;
        anchorSourceMs = e.sourceTimeMs;
      }
      due.set(e.receivedAtMs, anchorWallMs + (e.sourceTimeMs - anchorSourceMs));
    });
  };
  const ids = Array.from({ length: LOAD_STRAPS }, (_, i) => (i === 0 ? CLIENT_STREAM : `table-${i + 1}`));
  const sources = ids.map((id, i) => withDueTimes(id, simulatedSource({ seed: i + 1, speed: 1 })));
  const served = await servedDaemon(
    sources[0],
    ids.slice(1).map((id, i) => ({ id, source: sources[i + 1], demo: true })),
  );
  const viewers = ViewerProcess.start();
  try {
    const urls = ids.flatMap((id) => Array.from({ length: LOAD_VIEWERS_PER_STRAP }, () => served.wsUrl(id)));
    await viewers.connect(urls);
    const clock = await viewers.clockOffset();
    served.daemon.start();
    await sleep(WARM_UP_S * 1000);

    await viewers.mark();
    const cpuAtStart = process.cpuUsage();
    const windowStartMs = preciseNowMs();
    await sleep(LOAD_SECONDS * 1000);
    const windowEndMs = preciseNowMs();
    const cpu = process.cpuUsage(cpuAtStart);

    const sessionOf = new Map(served.daemon.streams.map((s) => [s.id, s.sessionId]));
    served.daemon.stop(); // ends the session: every viewer gets `session ended`
    const report = await viewers.report(30_000);

    let lost = 0;
    let catchUpHellos = 0;
    const fromReceived: number[] = [];
    const fromDue: number[] = [];
    let missingDue = 0;
    for (const v of report.viewers) {
      const streamId = new URL(v.url).searchParams.get('stream') ?? CLIENT_STREAM;
      const sessionId = sessionOf.get(streamId);
      if (sessionId === null || sessionId === undefined) throw new Error(`stream ${streamId} recorded no session`);
      const stored = {
        beats: served.store.getSession(sessionId)?.beatCount ?? 0,
        metrics: served.store.getMetrics(sessionId).length,
      };
      const l = lostMessages(v, stored);
      lost += l.lost;
      catchUpHellos += l.catchUpHellos;
      const due = dueAt.get(streamId) as Map<number, number>;
      for (let i = 0; i < v.beats; i++) {
        const received = v.receivedAtMs[i];
        if (received < windowStartMs || received > windowEndMs) continue;
        const arrived = v.arrivedAtMs[i] - clock.offsetMs;
        fromReceived.push(arrived - received);
        const dueMs = due.get(received);
        if (dueMs === undefined) missingDue++;
        else fromDue.push(arrived - dueMs);
      }
    }
    if (missingDue > 0) throw new Error(`${missingDue} beats carry a receivedAtMs no notification had`);
    const latency = sortedCopy(fromReceived);
    const latencyFromDue = sortedCopy(fromDue);
    const n = latency.length;
    const wallS = (windowEndMs - windowStartMs) / 1000;
    const cpuPct = ((cpu.user + cpu.system) / 1000 / (wallS * 1000)) * 100;
    const viewersCpuPct = (report.cpuMs / report.wallMs) * 100;
    const ms = (x: number) => x.toFixed(1);
    const p99 = quantile(latency, 99);
    return [
      {
        name:
          `beat → message at a viewer (viewer's arrival − the beat's receivedAtMs), p50 (${n.toLocaleString('en-US')} ` +
          `beat messages = ${(n / LOAD_VIEWERS_PER_STRAP).toLocaleString('en-US')} beats × ` +
          `${LOAD_VIEWERS_PER_STRAP} viewers, over ${LOAD_SECONDS} s after a ${WARM_UP_S} s warm-up; viewers in a ` +
          `child process, clock offset ${clock.offsetMs.toFixed(3)} ms subtracted)`,
        value: quantile(latency, 50),
        unit: 'ms',
      },
      {
        name: 'beat → message at a viewer, p99',
        value: p99,
        unit: `ms (max ${ms(latency[n - 1])} ms)`,
        target: `≤ ${TARGET_P99_MS}`,
        ok: p99 <= TARGET_P99_MS,
      },
      {
        name: "the same from the notification's due time (adds its wait for the event loop), p99",
        value: quantile(latencyFromDue, 99),
        unit: `ms (p50 ${ms(quantile(latencyFromDue, 50))} ms, max ${ms(latencyFromDue[latencyFromDue.length - 1])} ms)`,
      },
      {
        name: "the daemon process's CPU (user + system) over the window",
        value: cpuPct,
        unit: `% of one core (of 2); the viewers' process ${viewersCpuPct.toFixed(1)} %`,
      },
      {
        name:
          `messages lost (${report.viewers.length} viewers: beat and metrics seqs unbroken from 0 and equal to their ` +
          `stream's stored counts; catch-up hellos ${catchUpHellos})`,
        value: lost,
        unit: 'messages',
        target: '0',
        ok: lost === 0,
      },
      {
        name: 'machine load average (1 min, 2 cores) at the start / end of the load test',
        value: loadAtStart,
        unit: `/ ${loadAverage().toFixed(2)}`,
      },
    ];
  } finally {
    viewers.kill();
    await served.close();
  }
}
