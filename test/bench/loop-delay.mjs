// Preloaded with `node --import` into a tableside daemon by the logpipe benchmark: measures the daemon's event-loop
// delay — a timer due every INTERVAL_MS, and how late it runs. On a busy machine part of that lateness is the time the
// daemon was ready to run and waited for a CPU that other programs had: Linux counts it per thread
// (/proc/self/schedstat, second field, ns), and `ownMs` is each lateness less that wait — what the daemon's own work,
// or a wait on its output, cost. A daemon blocked on a write waits for no CPU: all of it stays in `ownMs`.
// Each SIGUSR2 writes what was measured since the one before (or since the start) to
// $TABLESIDE_BENCH_LOOP_DELAY_FILE and starts again: the benchmark sends one once the daemon answers (leaving out the
// start: loading modules, opening the database) and one at the end of the measured run (before the stop).
import { readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const INTERVAL_MS = 5;
const file = process.env.TABLESIDE_BENCH_LOOP_DELAY_FILE;

function cpuWaitMs() {
  try {
    return Number(readFileSync('/proc/self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return 0;
  }
}

let late = [];
let own = [];
let dueMs = performance.now() + INTERVAL_MS;
let waitedMs = cpuWaitMs();
function tick() {
  const nowMs = performance.now();
  const waitNowMs = cpuWaitMs();
  const lateMs = Math.max(0, nowMs - dueMs);
  late.push(lateMs);
  own.push(Math.max(0, lateMs - (waitNowMs - waitedMs)));
  waitedMs = waitNowMs;
  dueMs = nowMs + INTERVAL_MS;
  setTimeout(tick, INTERVAL_MS).unref();
}
setTimeout(tick, INTERVAL_MS).unref();

const summary = (values) => {
  const sorted = Float64Array.from(values).sort();
  return {
    maxMs: sorted.at(-1) ?? 0,
    p99Ms: sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0,
  };
};

process.on('SIGUSR2', () => {
  if (file !== undefined) {
    writeFileSync(file, JSON.stringify({ late: summary(late), own: summary(own), samples: late.length }));
  }
  late = [];
  own = [];
});
