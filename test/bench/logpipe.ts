/**
 * Log pipe: the daemon's event loop while its stdout is a pipe nobody reads (as under `tableside replay … | sleep
 * 120`, or a stuck log collector): the case (b) of test/cli/output-pipe.e2e.test.ts, measured. The real CLI replays a
 * recording at `SPEED`× with stdout and stderr on a real pipe whose read end stays open and is never read, while
 * test/helpers/health-poller.mjs asks /api/health every 50 ms (each request logs ~8 KB, so the pipe is full within a
 * second and the daemon's 1 MB bound within seconds; the rest of the run drops lines). ./loop-delay.mjs, preloaded
 * into the daemon, measures its event-loop delay from the moment it answers to the end of the replay. For reference,
 * the same run with stdout on /dev/null. On a busy machine both include the time the daemon waited for a CPU.
 */
import { fork, spawn } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CLI, exited, tempDir } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';
import { osPipe } from '../helpers/os-pipe.js';
import type { Figure } from './report.js';
import { loadAverage } from './served.js';

const RECORDING = 'recordings/pyhrv_nni_short_5min.txt';
/** 300 s of beats in 30 s */
const SPEED = 10;
const RECORDING_S = 300;
const TARGET_MS = 20;
const PRELOAD = join(import.meta.dirname, 'loop-delay.mjs');
const POLLER = join(import.meta.dirname, '../helpers/health-poller.mjs');

interface Delays {
  maxMs: number;
  p99Ms: number;
}

interface Run {
  /** how late the daemon's timers ran; `own`: less the time it waited for a CPU (./loop-delay.mjs) */
  loop: { late: Delays; own: Delays; samples: number };
  health: { daemonMs: { p99: number; max: number }; polls: number; failures: unknown[] };
  logs: { dropped: number; waitingBytes: number; closed: boolean };
  maxWaitingBytes: number;
}

async function run(stdout: 'pipe never read' | '/dev/null'): Promise<Run> {
  const dir = tempDir('tableside-bench-logpipe-');
  try {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}/`;
    const pipe = stdout === 'pipe never read' ? osPipe(dir.path) : null;
    const fd = pipe?.writeFd ?? openSync('/dev/null', 'w');
    const loopFile = join(dir.path, 'loop.json');
    const daemon = spawn(
      process.execPath,
      ['--import', PRELOAD, CLI, 'replay', RECORDING, '--speed', String(SPEED), '--port', String(port)],
      {
        env: {
          ...process.env,
          TABLESIDE_LOG_LEVEL: 'info',
          TABLESIDE_DATA_DIR: dir.path,
          TABLESIDE_BENCH_LOOP_DELAY_FILE: loopFile,
        },
        stdio: ['ignore', fd, fd],
      },
    );
    pipe?.parentDone();
    const poller = fork(POLLER, [url, String(daemon.pid)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    try {
      // The measure starts once the daemon answers (and the replay runs), and ends before the stop.
      for (;;) {
        try {
          await fetch(`${url}api/health`, { signal: AbortSignal.timeout(2000) });
          break;
        } catch {
          await sleep(100);
        }
      }
      daemon.kill('SIGUSR2');
      await sleep((RECORDING_S / SPEED) * 1000);
      daemon.kill('SIGUSR2');
      await sleep(500);
      const summary = await new Promise<Run['health'] & { maxWaitingBytes: number; last: { logs: Run['logs'] } }>(
        (resolve) => {
          poller.once('message', (m) =>
            resolve(m as Run['health'] & { maxWaitingBytes: number; last: { logs: Run['logs'] } }),
          );
          poller.send('stop');
        },
      );
      daemon.kill('SIGTERM');
      await exited(daemon);
      const loop = JSON.parse(readFileSync(loopFile, 'utf8')) as Run['loop'];
      return { loop, health: summary, logs: summary.last.logs, maxWaitingBytes: summary.maxWaitingBytes };
    } finally {
      daemon.kill('SIGKILL');
      poller.kill('SIGKILL');
      pipe?.close();
    }
  } finally {
    dir.remove();
  }
}

export async function logPipeBenchmarks(): Promise<Figure[]> {
  const loadAtStart = loadAverage();
  const never = await run('pipe never read');
  const reference = await run('/dev/null');
  const pipe = never.loop;
  const ref = reference.loop;
  return [
    {
      name: 'worst event-loop delay, stdout on a pipe never read',
      value: pipe.late.maxMs,
      unit: `ms (p99 ${pipe.late.p99Ms.toFixed(1)} ms)`,
      target: `≤ ${TARGET_MS} ms`,
      ok: pipe.late.maxMs <= TARGET_MS,
    },
    {
      name: '… less the time the daemon waited for a CPU (the machine busy with other work)',
      value: pipe.own.maxMs,
      unit: `ms (p99 ${pipe.own.p99Ms.toFixed(1)} ms)`,
      target: `≤ ${TARGET_MS} ms`,
      ok: pipe.own.maxMs <= TARGET_MS,
    },
    {
      name: '/api/health answer, daemon time (less CPU waits), p99 / max',
      value: never.health.daemonMs.p99,
      unit: `/ ${never.health.daemonMs.max.toFixed(1)} ms`,
    },
    { name: 'log waiting for the reader at most (bound 1 MB)', value: never.maxWaitingBytes / 1024, unit: 'KB' },
    { name: 'log lines dropped (and counted)', value: never.logs.dropped, unit: 'lines' },
    {
      name: 'reference, stdout on /dev/null: worst event-loop delay; less CPU waits',
      value: ref.late.maxMs,
      unit: `ms; ${ref.own.maxMs.toFixed(1)} ms`,
    },
    { name: 'load average at start / end (2 cores)', value: loadAtStart, unit: `/ ${loadAverage().toFixed(1)}` },
  ];
}
