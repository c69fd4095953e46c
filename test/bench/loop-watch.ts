/**
 * This process's event loop, watched from inside (the benchmarks whose daemon runs in the bench process): a timer due
 * every `INTERVAL_MS`, and how late it runs — every stream, every viewer and the REST API wait as long. On a busy
 * machine part of that lateness is the time the event loop's thread was ready to run and waited for a CPU that other
 * programs had: Linux counts it per thread (/proc/thread-self/schedstat, second field, ns), and `own` is each lateness
 * less that wait — what the daemon's own work cost. The same measure as ./loop-delay.mjs, which is preloaded into a
 * daemon of its own process.
 */
import { readFileSync } from 'node:fs';

const INTERVAL_MS = 1;

/** ms the event loop's thread has waited for a CPU since it started; 0 where Linux does not say. */
function cpuWaitMs(): number {
  try {
    return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return 0;
  }
}

export interface LoopDelays {
  /** the latest the timer ran, ms */
  readonly maxMs: number;
  readonly p99Ms: number;
}

export interface LoopWatch {
  /** stops watching: how late the timer ran (`late`), and the same less the CPU waits (`own`) */
  stop(): { late: LoopDelays; own: LoopDelays; samples: number };
}

export function watchLoop(): LoopWatch {
  const late: number[] = [];
  const own: number[] = [];
  let dueMs = performance.now() + INTERVAL_MS;
  let waitedMs = cpuWaitMs();
  let timer: NodeJS.Timeout;
  const tick = () => {
    const nowMs = performance.now();
    const waitNowMs = cpuWaitMs();
    const lateMs = Math.max(0, nowMs - dueMs);
    late.push(lateMs);
    own.push(Math.max(0, lateMs - (waitNowMs - waitedMs)));
    waitedMs = waitNowMs;
    dueMs = nowMs + INTERVAL_MS;
    timer = setTimeout(tick, INTERVAL_MS);
  };
  timer = setTimeout(tick, INTERVAL_MS);
  const summary = (values: number[]): LoopDelays => {
    const sorted = Float64Array.from(values).sort();
    return {
      maxMs: sorted.at(-1) ?? 0,
      p99Ms: sorted[Math.min(sorted.length - 1, Math.floor(0.99 * sorted.length))] ?? 0,
    };
  };
  return {
    stop: () => {
      clearTimeout(timer);
      tick(); // the last stretch counts too
      clearTimeout(timer);
      return { late: summary(late), own: summary(own), samples: late.length };
    },
  };
}
