// A light process of its own that asks a daemon's /api/health every POLL_EVERY_MS and times each answer, so that a
// busy test process cannot make the daemon look slow. Started with `fork(this file, [baseUrl, daemonPid])` as soon as
// the daemon is (it polls until the daemon listens); send it 'stop' and it answers with a summary and exits. Plain
// JavaScript: no TypeScript loader to start. Times `atMs` are wall-clock (Date.now()).
//
// On a busy machine an answer can take long although neither side did anything wrong: the daemon, or this poller,
// was ready to run and waited for a CPU that other programs had. Linux counts that wait per thread
// (/proc/PID/schedstat, second field: run_delay, ns). Each poll reads it for this process and for the daemon's main
// thread before and after, and `daemonMs` is the answer's time less those waits: what the daemon itself took. A
// daemon that is blocked (waiting on a write, sleeping in Atomics.wait) is not ready to run and waits for no CPU, so
// all of its blocked time stays in `daemonMs`. Without schedstat (another OS), `daemonMs` is the whole time.
import { readFileSync } from 'node:fs';
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

/** How long the thread has waited for a CPU while ready to run, ms, since it started; 0 where Linux does not say. */
function cpuWaitMs(pid) {
  try {
    return Number(readFileSync(`/proc/${pid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return 0;
  }
}
const waits = () => cpuWaitMs('self') + (daemonPid === undefined ? 0 : cpuWaitMs(daemonPid));
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
  const waitedBefore = waits();
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
      const cpuWaitMs = Math.min(ms, Math.max(0, waits() - waitedBefore));
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
      cpuWaitKnown: cpuWaitMs('self') > 0,
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
