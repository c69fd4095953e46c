// A light process of its own that asks a daemon's /api/health every POLL_EVERY_MS and times each answer, so that a
// busy test process cannot make the daemon look slow. Started with `fork(this file, [baseUrl, daemonPid])` as soon as
// the daemon is (it polls until the daemon listens); send it 'stop' and it answers with a summary and exits. Plain
// JavaScript: no TypeScript loader to start. Times `atMs` are wall-clock (Date.now()).
//
// On a busy machine an answer can take long although neither side did anything wrong: the daemon, or this poller,
// was ready to run and waited for a CPU that other programs had. Linux counts that wait per thread
// (/proc/PID/task/TID/schedstat: time on a CPU, then run_delay, both ns). Each poll reads them before and after, and
// `daemonMs` is the answer's time less what was waiting for a CPU:
//   - this process's wait, and the daemon's main thread's wait;
//   - and, while the daemon's main thread was blocked (neither on a CPU nor waiting for one), the waits of the
//     daemon's other threads, up to that blocked time. V8's garbage collector runs its work on helper threads and
//     the main thread waits for them: on a loaded machine a young-generation collection was seen taking 616 ms with
//     the main thread on a CPU for 3.6 ms and waiting for one for 208 ms; the other 400 ms it waited for its helpers,
//     which were waiting for a CPU.
// A daemon that blocks on its own (waiting on a write to a full pipe, sleeping in Atomics.wait) has no thread waiting
// for a CPU meanwhile, so its blocked time stays in `daemonMs`. Without schedstat (another OS), `daemonMs` is the
// whole time.
import { readdirSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

const POLL_EVERY_MS = 50;
/**
 * Each poll carries a long query string (the route ignores it) so that its request log line is long: the daemon's log
 * grows by about 8 KB per poll, and a pipe nobody reads fills past the daemon's bound (1 MB) within a run.
 */
const PADDING = `?pad=${'x'.repeat(8000)}`;
/** A poll that takes longer than this has failed: the daemon did not answer. */
const GIVE_UP_MS = 2000;

const base = process.argv[2];
const daemonPid = process.argv[3];

/** [time on a CPU, time waiting for one] of a thread since it started, ms; null where Linux does not say. */
function schedstat(path) {
  try {
    const [onCpuNs, waitNs] = readFileSync(path, 'utf8').split(' ').map(Number);
    return [onCpuNs / 1e6, waitNs / 1e6];
  } catch {
    return null;
  }
}

/** What this process and the daemon's threads have spent so far, ms (zeros where Linux does not say). */
function sample() {
  const own = schedstat('/proc/self/schedstat');
  const main = daemonPid === undefined ? null : schedstat(`/proc/${daemonPid}/task/${daemonPid}/schedstat`);
  let othersWaitMs = 0;
  if (daemonPid !== undefined) {
    let tids = [];
    try {
      tids = readdirSync(`/proc/${daemonPid}/task`);
    } catch {
      // the daemon is gone
    }
    for (const tid of tids) {
      if (tid === daemonPid) continue;
      othersWaitMs += schedstat(`/proc/${daemonPid}/task/${tid}/schedstat`)?.[1] ?? 0;
    }
  }
  return {
    waitMs: (own?.[1] ?? 0) + (main?.[1] ?? 0),
    mainOnCpuMs: main?.[0] ?? 0,
    othersWaitMs,
  };
}

/** Of an answer that took `ms`, the time spent waiting for a CPU (see the top of this file). */
function cpuWaitOf(ms, before, after) {
  const waitMs = Math.min(ms, Math.max(0, after.waitMs - before.waitMs));
  const blockedMs = Math.max(0, ms - waitMs - Math.max(0, after.mainOnCpuMs - before.mainOnCpuMs));
  // A thread that ended meanwhile takes its count with it: never less than nothing.
  const helpersWaitMs = Math.max(0, after.othersWaitMs - before.othersWaitMs);
  return waitMs + Math.min(blockedMs, helpersWaitMs);
}

const agent = new Agent({ keepAlive: true, maxSockets: 1 });
const polls = [];
/** how late each poll started: this process's own timer lag */
const lags = [];
const failures = [];
let maxWaitingBytes = 0;
let closedSeen = false;
let droppedSeen = 0;
let last = null;
let stopped = false;
/** Until the daemon first answers, a refused connection means it is not listening yet: polls go on, none counted. */
let answered = false;

function poll() {
  if (stopped) return;
  const before = sample();
  const startMs = performance.now();
  const atEpochMs = Date.now();
  const req = request(`${base}api/health${PADDING}`, { agent, timeout: GIVE_UP_MS }, (res) => {
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d) => {
      body += d;
    });
    res.on('end', () => {
      answered = true;
      const ms = performance.now() - startMs;
      const cpuWaitMs = cpuWaitOf(ms, before, sample());
      try {
        const health = JSON.parse(body);
        last = health;
        if (health.logs) {
          maxWaitingBytes = Math.max(maxWaitingBytes, health.logs.waitingBytes ?? 0);
          closedSeen ||= health.logs.closed === true;
          droppedSeen = Math.max(droppedSeen, health.logs.dropped ?? 0);
        }
        if (res.statusCode !== 200) failures.push({ atMs: atEpochMs, error: `status ${res.statusCode}` });
      } catch (err) {
        failures.push({ atMs: atEpochMs, error: String(err) });
      }
      polls.push({ atMs: atEpochMs, ms, daemonMs: ms - cpuWaitMs, cpuWaitMs });
      next(startMs);
    });
  });
  req.on('timeout', () => req.destroy(new Error(`no answer within ${GIVE_UP_MS} ms`)));
  req.on('error', (err) => {
    if (answered || err.code !== 'ECONNREFUSED') failures.push({ atMs: atEpochMs, error: err.message });
    next(startMs);
  });
  req.end();
}

/** Each poll starts POLL_EVERY_MS after the one before; how late that happens is this process's own lag. */
function next(previousStartMs) {
  const dueMs = previousStartMs + POLL_EVERY_MS;
  setTimeout(
    () => {
      const lagMs = performance.now() - dueMs;
      lags.push(Math.max(0, lagMs));
      poll();
    },
    Math.max(0, dueMs - performance.now()),
  );
}
process.on('message', (message) => {
  if (message !== 'stop') return;
  stopped = true;
  const quantiles = (values) => {
    const sorted = [...values].sort((a, b) => a - b);
    const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
    return { p50: at(0.5), p99: at(0.99), max: sorted.at(-1) ?? Number.NaN };
  };
  process.send(
    {
      polls: polls.length,
      ms: quantiles(polls.map((p) => p.ms)),
      daemonMs: quantiles(polls.map((p) => p.daemonMs)),
      /** polls whose answer took over 100 ms, with how much of it was waiting for a CPU */
      slow: polls.filter((p) => p.ms > 100),
      failures,
      maxOwnLagMs: Math.max(0, ...lags),
      cpuWaitKnown: schedstat('/proc/self/schedstat') !== null,
      firstAtMs: polls[0]?.atMs,
      lastAtMs: polls.at(-1)?.atMs,
      maxWaitingBytes,
      closedSeen,
      droppedSeen,
      last,
    },
    () => process.exit(0),
  );
});

poll();
