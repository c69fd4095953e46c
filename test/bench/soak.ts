/**
 * Soak: a long day on one table. A simulated strap covers 8 hours of beat time at `SPEED` × real time through one
 * daemon served as users run it (./served.ts) with 4 viewers in another process, then 10 simulated minutes more while
 * a fifth viewer joins late. Measured:
 * - memory: RSS and JS heap after a forced GC, sampled every 15 simulated minutes; flat = the least-squares slope over
 *   hours 1–8 (the first hour fills caches and compiles code). The heap is the leak detector; RSS also holds SQLite's
 *   page cache, which grows with the session's pages up to its cap (16 MB: reached after ~9 h of one strap) and then
 *   stays there;
 * - messages lost: every viewer's beat seqs and metrics seqs must run 0, 1, 2, … without a break and end at the
 *   store's counts, with no catch-up hello (the hub skips a viewer that falls behind);
 * - slowdown: per simulated hour, beats per second of wall time, CPU per beat, and sample → viewer latency;
 * - the store's size, and the hello a viewer joining at 8 h gets (it carries the whole session so far, in pieces after
 *   the hello): how long the daemon's event loop stalls while it is sent (raw, and less the time it waited for a CPU:
 *   ./loop-watch.ts), and its size.
 * `TABLESIDE_BENCH_SAMPLES=1` prints each memory sample to stderr as it is taken.
 */
import { BACKFILL_PIECE_BEATS } from '../../src/daemon/stream.js';
import { decodeHeartRateMeasurement, isHrmError } from '../../src/domain/hrm.js';
import type { SourceEvent } from '../../src/domain/source.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { SIMULATED_DEFAULTS } from '../../src/sources/simulated-strap.js';
import type { SessionStore } from '../../src/store/session-store.js';
import type { StoredSession } from '../../src/store/types.js';
import { backfillMessage, sessionBackfill } from '../../src/viewers/protocol.js';
import { watchLoop } from './loop-watch.js';
import { type Figure, gc } from './report.js';
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

export const SOAK_HOURS = 8;
/** 8 h in two minutes of wall time: ~260 beats/s, a fraction of what the daemon can take (`Daemon` figures). */
export const SOAK_SPEED = 240;
const SEED = 7;
const VIEWERS = 4;
const SAMPLE_EVERY_S = 900;
/** after the 8 h: the late viewer joins, and the session ends naturally (the strap's last beats get their metrics) */
const TAIL_S = 600;
const HOUR_S = 3600;
/** a viewer joining late may hold up the other streams (the daemon's event loop) this long at most, ms */
const HELLO_TARGET_MS = 20;
/** the event loop is also watched this long just before the late viewer joins, for comparison, ms */
const BASELINE_WINDOW_MS = 1000;

interface Sample {
  /** simulated (source) time, s */
  readonly simS: number;
  readonly wallMs: number;
  /** CPU time of this process so far, less the forced GCs of the samples, ms */
  readonly cpuMs: number;
  /** beats that entered the daemon so far */
  readonly beats: number;
  readonly rssMb: number;
  /** heapUsed + arrayBuffers after GC (report.ts `heapUsedMb`) */
  readonly heapMb: number;
}

/** Least-squares slope of y against x. */
function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.x, 0) / n;
  const my = points.reduce((a, p) => a + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return num / den;
}

const mean = (xs: readonly number[]) => xs.reduce((a, x) => a + x, 0) / xs.length;

export async function soakBenchmarks(): Promise<Figure[]> {
  const loadAtStart = loadAverage();
  const endS = SOAK_HOURS * HOUR_S;
  const samples: Sample[] = [];
  let beatsIn = 0;
  let gcCpuMs = 0;
  let nextSampleS = SAMPLE_EVERY_S;
  let reachedEnd: () => void = () => {};
  const reached = new Promise<void>((resolve) => {
    reachedEnd = resolve;
  });

  const cpuMsNow = () => {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  };
  const memory = () => {
    const before = cpuMsNow();
    gc();
    gcCpuMs += cpuMsNow() - before;
    const m = process.memoryUsage();
    return { rssMb: m.rss / 2 ** 20, heapMb: (m.heapUsed + m.arrayBuffers) / 2 ** 20 };
  };
  const onEvent = (e: SourceEvent) => {
    if (nextSampleS <= endS && e.sourceTimeMs >= nextSampleS * 1000) {
      // Time and counts as the mark is crossed; memory (a forced GC) in the next turn, after this event's beats have
      // been stored and sent (the store commits in this turn's check phase).
      const at = { simS: nextSampleS, wallMs: preciseNowMs(), cpuMs: cpuMsNow() - gcCpuMs, beats: beatsIn };
      nextSampleS += SAMPLE_EVERY_S;
      setImmediate(() =>
        setImmediate(() => {
          samples.push({ ...at, ...memory() });
          if (process.env.TABLESIDE_BENCH_SAMPLES) process.stderr.write(`${JSON.stringify(samples.at(-1))}\n`);
          if (at.simS === endS) reachedEnd();
        }),
      );
    }
    if (e.type === 'notification') {
      const m = decodeHeartRateMeasurement(e.payload);
      if (!isHrmError(m)) beatsIn += m.rrTicks.length;
    }
  };

  const source = tapped(simulatedSource({ seed: SEED, speed: SOAK_SPEED, durationS: endS + TAIL_S }), onEvent);
  const served = await servedDaemon(source);
  const viewers = ViewerProcess.start();
  try {
    const url = served.wsUrl('client');
    await viewers.connect(Array.from({ length: VIEWERS }, () => url));
    const clock = await viewers.clockOffset();

    samples.push({ simS: 0, wallMs: preciseNowMs(), cpuMs: cpuMsNow() - gcCpuMs, beats: 0, ...memory() });
    served.daemon.start();
    const sessionId = served.daemon.currentSessionId;
    if (sessionId === null) throw new Error('the soak session did not start');
    await reached;

    // The late viewer: how long the daemon's one event loop stalls (every stream, every viewer waits that long) from
    // its socket opening until its hello and the last backfill piece have arrived; then what the viewer sees.
    // For comparison, the same measure over as long just before: what the machine's other work costs anyway.
    const watchBefore = watchLoop();
    await new Promise((resolve) => setTimeout(resolve, BASELINE_WINDOW_MS));
    const before = watchBefore.stop();
    const watchJoin = watchLoop();
    const late = await viewers.late(url);
    const stall = watchJoin.stop();

    while (served.daemon.currentSessionId !== null) await new Promise((resolve) => setTimeout(resolve, 50));
    const report = await viewers.report(30_000);
    const oneGoMs = helloInOneGoMs(served.store, sessionId, late.helloBeats);
    const steps = helloStepsMs(served.store, sessionId, late.helloBeats);
    const session = served.store.getSession(sessionId);
    const stored = { beats: session?.beatCount ?? 0, metrics: served.store.getMetrics(sessionId).length };
    const storeMb = served.storeBytes() / 2 ** 20;
    const pageCacheMb = served.pageCacheCapMb();

    // Messages lost.
    const live = report.viewers.slice(0, VIEWERS);
    const lateViewer = report.viewers[VIEWERS];
    let lost = 0;
    let catchUpHellos = 0;
    for (const v of live) {
      const l = lostMessages(v, stored);
      lost += l.lost;
      catchUpHellos += l.catchUpHellos;
    }
    const lateLost = lostMessages(lateViewer, stored, 1);

    // Per simulated hour.
    const at = (simS: number) => samples.find((s) => s.simS === simS) as Sample;
    const hour = (h: number) => {
      const a = at(h * HOUR_S);
      const b = at((h + 1) * HOUR_S);
      const beats = b.beats - a.beats;
      const wallS = (b.wallMs - a.wallMs) / 1000;
      return { wallS, beatsPerS: beats / wallS, cpuUsPerBeat: ((b.cpuMs - a.cpuMs) * 1000) / beats };
    };
    const first = hour(0);
    const last = hour(SOAK_HOURS - 1);
    const slowest = Math.max(...Array.from({ length: SOAK_HOURS }, (_, h) => hour(h).wallS));
    const paceS = HOUR_S / SOAK_SPEED;
    const inHour = (h: number) => samples.filter((s) => s.simS > h * HOUR_S && s.simS <= (h + 1) * HOUR_S);
    const memoryOf = (key: 'rssMb' | 'heapMb') => ({
      first: mean(inHour(0).map((s) => s[key])),
      last: mean(inHour(SOAK_HOURS - 1).map((s) => s[key])),
      slopePerHour: slope(samples.filter((s) => s.simS >= HOUR_S).map((s) => ({ x: s.simS / HOUR_S, y: s[key] }))),
    });
    const rss = memoryOf('rssMb');
    const heap = memoryOf('heapMb');

    // Sample → viewer latency, by the beat's hour; `tail`: while the late viewer joined.
    const latencies = (fromS: number, toS: number) => {
      const out: number[] = [];
      for (const v of live) {
        for (let i = 0; i < v.beats; i++) {
          if (v.tS[i] > fromS && v.tS[i] <= toS) out.push(v.arrivedAtMs[i] - clock.offsetMs - v.receivedAtMs[i]);
        }
      }
      return sortedCopy(out);
    };
    const firstLatency = latencies(0, HOUR_S);
    const lastLatency = latencies(endS - HOUR_S, endS);
    const tailLatency = latencies(endS, endS + TAIL_S);

    const perViewer = `${stored.beats.toLocaleString('en-US')} beats and ${stored.metrics.toLocaleString('en-US')} metrics`;
    const ms = (x: number) => x.toFixed(1);
    return [
      {
        name:
          `RSS of the daemon's process, mean of the samples in the last simulated hour (simulated strap seed ${SEED}, ` +
          `${SOAK_HOURS} h at ${SOAK_SPEED}× real time, ${VIEWERS} viewers in a child process; a sample every ` +
          `${SAMPLE_EVERY_S / 60} simulated min)`,
        value: rss.last,
        unit:
          `MB (first hour ${rss.first.toFixed(1)} MB; slope over hours 1–${SOAK_HOURS} ${signed(rss.slopePerHour)} MB ` +
          `per simulated hour, while SQLite's page cache fills towards its ${pageCacheMb.toFixed(1)} MB cap)`,
        target: `bounded: last hour − first hour ≤ the page cache's cap`,
        ok: rss.last - rss.first <= pageCacheMb,
      },
      {
        name: 'JS heap after GC (heapUsed + arrayBuffers), mean of the last simulated hour',
        value: heap.last,
        unit:
          `MB (first hour ${heap.first.toFixed(2)} MB; slope over hours 1–${SOAK_HOURS} ` +
          `${signed(heap.slopePerHour, 3)} MB per simulated hour)`,
        target: 'flat: slope ≤ 0.1 MB per simulated hour (a leak of ~25 bytes per beat)',
        ok: heap.slopePerHour <= 0.1,
      },
      {
        name:
          `messages lost (${VIEWERS} viewers, each ${perViewer}: seqs unbroken from 0 and equal to the store's ` +
          `counts; catch-up hellos ${catchUpHellos})`,
        value: lost,
        unit: 'messages',
        target: '0',
        ok: lost === 0,
      },
      {
        name:
          `throughput in the last simulated hour (the strap's heart rate falls from ${SIMULATED_DEFAULTS.startHrBpm} ` +
          `to ${SIMULATED_DEFAULTS.endHrBpm} bpm over the session, and beats per hour with it)`,
        value: last.beatsPerS,
        unit:
          `beats/s of wall time (first hour ${first.beatsPerS.toFixed(0)}); wall time per simulated hour ` +
          `${first.wallS.toFixed(2)} s first, ${last.wallS.toFixed(2)} s last, slowest ${slowest.toFixed(2)} s`,
        target: `no slowdown: every simulated hour within 5 % of the pace (${paceS.toFixed(1)} s at ${SOAK_SPEED}×)`,
        ok: slowest <= 1.05 * paceS,
      },
      {
        name: "the daemon's CPU per beat in the last simulated hour (pipeline, store, 4 viewers; forced GCs left out)",
        value: last.cpuUsPerBeat,
        unit: `µs (first hour ${first.cpuUsPerBeat.toFixed(0)} µs)`,
        target: 'no slowdown: ≤ 125 % of the first hour',
        ok: last.cpuUsPerBeat <= 1.25 * first.cpuUsPerBeat,
      },
      {
        name: `sample → beat message at the viewers, p99 in the last simulated hour (${lastLatency.length} beats)`,
        value: quantile(lastLatency, 99),
        unit:
          `ms (p50 ${ms(quantile(lastLatency, 50))}; first hour p50 / p99 ${ms(quantile(firstLatency, 50))} / ` +
          `${ms(quantile(firstLatency, 99))} ms; clock offset to the viewers' process ${clock.offsetMs.toFixed(3)} ms)`,
      },
      {
        name: `store after ${SOAK_HOURS} h ${TAIL_S / 60} min (database and WAL)`,
        value: storeMb,
        unit: `MB (${((storeMb * 2 ** 20) / stored.beats).toFixed(0)} bytes per beat with its sample and metrics)`,
      },
      {
        name:
          `a viewer joining at ${SOAK_HOURS} h: the longest step of its hello on the daemon's event loop (the hello ` +
          `with its first ${BACKFILL_PIECE_BEATS} beats, or one backfill piece of as many, read from the store and ` +
          `serialised; ${steps.count} steps, measured on the stored session after it, best of 3 each)`,
        value: steps.longestMs,
        unit: `ms (the same backfill in one message, as before: ${ms(oneGoMs)} ms)`,
        target: `≤ ${HELLO_TARGET_MS}`,
        ok: steps.longestMs <= HELLO_TARGET_MS,
      },
      {
        name:
          `… the daemon's event loop while it joined (its hello and ${lateViewer.pieces} pieces, ${ms(late.helloMs)} ` +
          `ms): longest stall`,
        value: stall.late.maxMs,
        unit:
          `ms (p99 ${ms(stall.late.p99Ms)} ms; over ${BASELINE_WINDOW_MS} ms just before, without it: ` +
          `longest ${ms(before.late.maxMs)} ms, p99 ${ms(before.late.p99Ms)} ms — the machine's other work)`,
        target: `≤ ${HELLO_TARGET_MS}`,
        ok: stall.late.maxMs <= HELLO_TARGET_MS,
      },
      {
        name: '… the same less the time the event loop waited for a CPU (the machine busy with other work)',
        value: stall.own.maxMs,
        unit: `ms (p99 ${ms(stall.own.p99Ms)} ms; just before, without it: longest ${ms(before.own.maxMs)} ms)`,
        target: `≤ ${HELLO_TARGET_MS}`,
        ok: stall.own.maxMs <= HELLO_TARGET_MS,
      },
      {
        name:
          `hello for a viewer joining at ${SOAK_HOURS} h (${late.helloBeats.toLocaleString('en-US')} beats of ` +
          `backfill): size`,
        value: late.helloBytes / 2 ** 20,
        unit:
          `MB of JSON with its pieces; whole at the viewer ${ms(late.helloMs)} ms after it opened the socket; ` +
          `${lateViewer.hellos} hello(s) to it, ` +
          `${lateLost.lost} messages lost after it`,
      },
      {
        name: `sample → beat message at the other viewers while it joined (${tailLatency.length} beats), max`,
        value: tailLatency.at(-1) ?? Number.NaN,
        unit: `ms (p99 ${ms(quantile(tailLatency, 99))} ms)`,
      },
      {
        name: 'machine load average (1 min, 2 cores) at the start / end of the soak',
        value: loadAtStart,
        unit: `/ ${loadAverage().toFixed(2)}`,
      },
    ];
  } finally {
    viewers.kill();
    await served.close();
  }
}

/**
 * How long building the late viewer's backfill in one message took — as the hello did before it was sent in pieces:
 * the session's first `beats` beats and their metrics read from the store and serialised, ms.
 */
function helloInOneGoMs(store: SessionStore, sessionId: number, beats: number): number {
  const session = store.getSession(sessionId) as StoredSession;
  const start = performance.now();
  const range = { fromSeq: 0, toSeq: beats };
  const backfill = sessionBackfill({
    session,
    beats: store.getBeatsBySeq(sessionId, range),
    metrics: store.getMetricsTrend(sessionId, range),
    phases: store.getPhases(sessionId),
    markers: store.getMarkers(sessionId),
    gaps: store.getGaps(sessionId),
    latest: null,
    baseline: null,
  });
  JSON.stringify(backfill);
  return performance.now() - start;
}

/**
 * The steps of the late viewer's hello as the daemon runs them, one per event-loop turn at most: the hello's first
 * piece, then each piece of `BACKFILL_PIECE_BEATS` beats with their metrics, read from the store and serialised (as
 * src/daemon/stream.ts reads them); the longest, ms, each the best of 3 runs (a step is short: the best leaves out
 * the moments the machine gave the CPU to other work).
 */
function helloStepsMs(store: SessionStore, sessionId: number, beats: number): { longestMs: number; count: number } {
  let longestMs = 0;
  let count = 0;
  for (let fromSeq = 0; fromSeq < beats; fromSeq += BACKFILL_PIECE_BEATS) {
    const range = { fromSeq, toSeq: Math.min(fromSeq + BACKFILL_PIECE_BEATS, beats) };
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const start = performance.now();
      JSON.stringify(
        backfillMessage(
          sessionId,
          store.getBeatsBySeq(sessionId, range),
          store.getMetricsTrend(sessionId, range),
          fromSeq + BACKFILL_PIECE_BEATS >= beats,
        ),
      );
      best = Math.min(best, performance.now() - start);
    }
    longestMs = Math.max(longestMs, best);
    count++;
  }
  return { longestMs, count };
}

function signed(x: number, digits = 2): string {
  return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(digits)}`;
}
