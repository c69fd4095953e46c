/**
 * The daemon never waits on its own output. The real CLI replays a recording with stdout and stderr on one real pipe
 * (`tableside replay … 2>&1 | reader`) whose reader
 *   (a) closes it after the first line, as `| head -1` does;
 *   (b) never reads it, as `| sleep 120` (or a stuck log collector) does;
 *   (c) stops reading for 30 s and then reads again, as a `tee` behind a slow disk, or a terminal paused a while;
 *   (d) or the daemon's output is a terminal (`script`'s) that is never read again, as one paused with Ctrl-S and
 *       left so (Node writes to a terminal synchronously unless told otherwise).
 * In each: /api/health answers within 100 ms throughout (timed by a process of its own, test/helpers/health-poller.mjs),
 * the recording is stored beat for beat, a WebSocket viewer gets every beat, a second session started afterwards on
 * another source is recording when SIGTERM arrives, and SIGTERM ends the daemon within 5 s with both sessions
 * `ended` (not `interrupted`, which is what a kill leaves). Each health poll logs about 8 KB, so in (b), (c) and (d)
 * the log passes the daemon's bound: it waits up to the bound and no further, the lines beyond are dropped and counted
 * in /api/health, and in (c) the count is logged once the reader is back, after every line that waited, none cut.
 * The cases run side by side (each is mostly waiting). (`npm test` builds dist/ first; these run bin/tableside.js.)
 */
import { type ChildProcess, fork, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LINES_DROPPED_MESSAGE } from '../../src/host/logger.js';
import { LIVE_WAITING_MAX_BYTES } from '../../src/host/output.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { CLI, exited, openViewer, runCli, tempDir, waitFor } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';
import { type OsPipe, osPipe } from '../helpers/os-pipe.js';
import { reportReliability } from '../helpers/reliability.js';

const RECORDING = 'recordings/bartels_rest_rri.txt';
/** 963 s of beats in about 39 s. */
const SPEED = '25';
const STALL_MS = 30_000;
/** how long after the polls start reader (c) stops reading */
const STALL_AFTER_MS = 2_000;
const POLLER = join(import.meta.dirname, '../helpers/health-poller.mjs');

interface Quantiles {
  p50: number;
  p99: number;
  max: number;
}

interface PollSummary {
  polls: number;
  /** each answer's time */
  ms: Quantiles;
  /** each answer's time less what the daemon and the poller waited for a CPU (the machine was busy) */
  daemonMs: Quantiles;
  slow: { atMs: number; ms: number; daemonMs: number; cpuWaitMs: number }[];
  failures: { atMs: number; error: string }[];
  maxOwnLagMs: number;
  cpuWaitKnown: boolean;
  firstAtMs: number;
  lastAtMs: number;
  maxWaitingBytes: number;
  closedSeen: boolean;
  droppedSeen: number;
  last: { logs: { destination: string; dropped: number; closed: boolean; waitingBytes: number } };
}

type Reader = 'closed after the first line' | 'never read' | 'stalled 30 s, then read' | 'a terminal, never read';
const TERMINAL: Reader = 'a terminal, never read';
/** util-linux's `script` gives the daemon a terminal (a pseudo-terminal), and copies it to its own stdout. */
const HAS_SCRIPT = spawnSync('script', ['--version']).status === 0;

const cleanups: (() => void)[] = [];
afterAll(() => {
  for (const c of cleanups) c();
});

async function health(url: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}api/health`, { signal: AbortSignal.timeout(2000) });
  return (await res.json()) as Record<string, unknown>;
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the daemon exited with ${child.exitCode} before it answered`);
    try {
      await health(url);
      return;
    } catch {
      if (Date.now() - started > 90_000) throw new Error('the daemon did not answer within 90 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function startPoller(url: string, daemonPid: number): { stop: () => Promise<PollSummary> } {
  const poller = fork(POLLER, [url, String(daemonPid)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  cleanups.push(() => poller.kill('SIGKILL'));
  return {
    stop: () =>
      new Promise((resolve) => {
        poller.once('message', (summary) => resolve(summary as PollSummary));
        poller.send('stop');
      }),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The pid of `parent`'s first child, once it has one (Linux). */
async function childOf(parent: number): Promise<number> {
  for (let tries = 0; tries < 500; tries++) {
    const children = readFileSync(`/proc/${parent}/task/${parent}/children`, 'utf8').trim();
    if (children !== '') return Number(children.split(' ')[0]);
    await sleep(10);
  }
  throw new Error(`process ${parent} started no child`);
}

/** Resolves once process `pid` has ended (gone, or a zombie its parent has not collected yet). */
async function ended(pid: number): Promise<void> {
  for (;;) {
    const stat = `/proc/${pid}/stat`;
    if (!existsSync(stat)) return;
    try {
      // The state follows the command name in parentheses: "pid (comm) S …".
      if (readFileSync(stat, 'utf8').split(') ')[1]?.startsWith('Z')) return;
    } catch {
      return;
    }
    await sleep(20);
  }
}

const shellQuote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;

async function runCase(reader: Reader) {
  const dir = tempDir('tableside-pipe-');
  cleanups.push(dir.remove);
  const db = `${dir.path}/t.db`;
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const pipe: OsPipe = osPipe(dir.path);
  const command = [process.execPath, CLI, 'replay', RECORDING, '--speed', SPEED, '--port', String(port), '--db', db];
  const options = {
    // Request logs on (info): each health poll logs about 8 KB (health-poller.mjs), so a pipe nobody reads is full
    // within seconds and the daemon's 1 MB bound is passed within the run.
    env: { ...process.env, TABLESIDE_LOG_LEVEL: 'info', TABLESIDE_DATA_DIR: dir.path },
    stdio: ['ignore', pipe.writeFd, pipe.writeFd] as ['ignore', number, number],
  };
  // A terminal: the daemon runs under `script`, whose own stdout is the pipe nobody reads; once it is full, `script`
  // stops reading the terminal, and the terminal stops taking the daemon's output (as a terminal paused with Ctrl-S).
  const child =
    reader === TERMINAL
      ? spawn('script', ['-qfec', `exec ${command.map(shellQuote).join(' ')}`, '/dev/null'], options)
      : spawn(command[0] as string, command.slice(1), options);
  pipe.parentDone();
  cleanups.push(() => child.kill('SIGKILL'));
  const daemonPid = reader === TERMINAL ? await childOf(child.pid as number) : (child.pid as number);
  cleanups.push(() => {
    try {
      process.kill(daemonPid, 'SIGKILL');
    } catch {
      // gone already
    }
  });
  const poller = startPoller(url, daemonPid);
  try {
    if (reader === 'closed after the first line') {
      pipe.read().on('data', () => {
        if (pipe.text().includes('\n')) pipe.close();
      });
    }
    // (b): the read end stays open and is never read; (c) reads from the start, and stalls once polls run.
    const r = reader === 'stalled 30 s, then read' ? pipe.read() : null;
    await waitForHealth(url, child);
    const { ws, messages } = await openViewer(url);
    const stall = { fromMs: 0, toMs: 0 };
    const stalled = (async () => {
      if (r === null) return;
      await sleep(STALL_AFTER_MS);
      r.pause();
      stall.fromMs = Date.now();
      await sleep(STALL_MS);
      stall.toMs = Date.now();
      r.resume();
    })();

    // The replay to its end: the viewer is told that its session ended.
    await waitFor(() => messages.some((m) => m.type === 'session' && m.event === 'ended'), 120_000, 'the replay');
    const replayMessages = messages.slice(
      0,
      messages.findIndex((m) => m.type === 'session'),
    );
    await stalled;
    if (r !== null) {
      // The reader is back: what waited flows out, and then the count of what was dropped.
      await waitFor(() => pipe.text().includes(LINES_DROPPED_MESSAGE), 30_000, 'the count of dropped lines');
    }

    // A second session on another source, being recorded when SIGTERM arrives.
    const put = await fetch(`${url}api/streams/client/source`, {
      signal: AbortSignal.timeout(2000),
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'simulated', seed: 3 }),
    });
    expect(put.status).toBe(200);
    const post = await fetch(`${url}api/sessions`, {
      signal: AbortSignal.timeout(2000),
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({}),
    });
    expect(post.status).toBe(201);
    const second = ((await post.json()) as { id: number }).id;
    const replayBeats = replayMessages.filter((m) => m.type === 'beat').length;
    await waitFor(
      () => messages.filter((m) => m.type === 'beat').length > replayBeats,
      20_000,
      'a beat of the second session',
    );

    const polled = await poller.stop();
    const logs = (await health(url)).logs as PollSummary['last']['logs'];
    const termAt = Date.now();
    process.kill(daemonPid, 'SIGTERM');
    await ended(daemonPid);
    const stopMs = Date.now() - termAt;
    // Under `script`, blocked on its full stdout, the daemon's exit code stays with `script` (null here): the
    // sessions, ended and not interrupted, say that the stop was clean.
    const code = reader === TERMINAL ? null : await exited(child);
    ws.close();
    return { db, code, stopMs, polled, logs, replayMessages, second, output: pipe.text(), stall };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    pipe.close();
  }
}

describe.concurrent('the daemon with its output on a pipe whose reader fails it', () => {
  for (const reader of [
    'closed after the first line',
    'never read',
    'stalled 30 s, then read',
    TERMINAL,
  ] as const satisfies readonly Reader[]) {
    it.skipIf(reader === TERMINAL && !HAS_SCRIPT)(
      `${reader}: health answers, every beat is stored and seen, SIGTERM ends it cleanly`,
      async () => {
        const { rrMs } = await readRrFile(RECORDING);
        const run = await runCase(reader);
        const { polled } = run;
        reportReliability(`output-pipe:${reader}`, {
          line:
            `output pipe, ${reader}: ${polled.polls} health polls, answers p99 ${polled.ms.p99.toFixed(0)} / max ` +
            `${polled.ms.max.toFixed(0)} ms, the daemon's own time p99 ${polled.daemonMs.p99.toFixed(1)} / max ` +
            `${polled.daemonMs.max.toFixed(1)} ms (the rest: waiting for a CPU); log lines dropped ` +
            `${run.logs.dropped}, closed ${run.logs.closed}; stopped in ${run.stopMs} ms (load average ` +
            `${loadavg()[0].toFixed(1)})`,
          command: 'npm run build && npx vitest run test/cli/output-pipe.e2e.test.ts',
          figures: {
            polls: polled.polls,
            answerP99Ms: Math.round(polled.ms.p99),
            answerMaxMs: Math.round(polled.ms.max),
            daemonP99Ms: Number(polled.daemonMs.p99.toFixed(1)),
            daemonMaxMs: Number(polled.daemonMs.max.toFixed(1)),
            dropped: run.logs.dropped,
            closed: run.logs.closed,
            stopMs: run.stopMs,
          },
        });
        // Health answered all along, each answer within 100 ms of the daemon's own time (the machine may be busy with
        // other work: the time the daemon and the poller waited for a CPU is not the daemon's; a blocked daemon waits
        // for none, health-poller.mjs).
        expect(polled.failures).toEqual([]);
        expect(polled.slow.filter((p) => p.daemonMs >= 100)).toEqual([]);
        expect(polled.daemonMs.max).toBeLessThan(100);
        // ... and all along: from the start to the end of the run (the replay alone lasts ~39 s), with no long pause.
        expect(polled.lastAtMs - polled.firstAtMs).toBeGreaterThan(STALL_MS);
        expect(polled.polls).toBeGreaterThan((polled.lastAtMs - polled.firstAtMs) / 250);

        // What the daemon says about its output, and what it wrote.
        expect(run.logs.destination).toBe('stdout');
        if (reader === 'closed after the first line') {
          expect(polled.closedSeen).toBe(true);
          expect(run.logs).toMatchObject({ closed: true, dropped: 0, waitingBytes: 0 });
          expect(run.output.split('\n')[0]).toMatch(/^\{"level":\d+,.*\}$/);
        } else {
          expect(run.logs.closed).toBe(false);
          // The reader fell behind by the whole bound: lines waited up to it, never beyond, and the rest was dropped.
          expect(polled.maxWaitingBytes).toBeGreaterThan(LIVE_WAITING_MAX_BYTES / 2);
          expect(polled.maxWaitingBytes).toBeLessThanOrEqual(LIVE_WAITING_MAX_BYTES);
          expect(run.logs.dropped).toBeGreaterThan(0);
        }
        if (reader === 'stalled 30 s, then read') {
          // The polls covered the stall.
          expect(polled.firstAtMs).toBeLessThan(run.stall.fromMs);
          expect(polled.lastAtMs).toBeGreaterThan(run.stall.toMs);
          // Read again: everything that waited went out, whole lines only, then the count of those dropped — all of
          // them, as /api/health counts them.
          expect(run.logs.waitingBytes).toBe(0);
          expect(run.output).toContain('open http://127.0.0.1:');
          const logLines = run.output
            .split('\n')
            .filter((line) => line.startsWith('{'))
            .map((line) => JSON.parse(line) as { msg: string; dropped?: number });
          const told = logLines.filter((line) => line.msg === LINES_DROPPED_MESSAGE);
          expect(told.length).toBeGreaterThan(0);
          expect(told.reduce((sum, line) => sum + (line.dropped ?? 0), 0)).toBe(run.logs.dropped);
        }

        // SIGTERM: a clean end, within 5 s.
        if (reader !== TERMINAL) expect(run.code).toBe(0);
        expect(run.stopMs).toBeLessThan(5000);

        // The viewer saw every beat of the replay, in order, as the file has them.
        const hello = run.replayMessages[0] as { type: string; session: { beats: { rrMs: number[] } } };
        expect(hello.type).toBe('hello');
        const seen = [
          ...hello.session.beats.rrMs,
          ...run.replayMessages.filter((m) => m.type === 'beat').map((m) => m.rrMs as number),
        ];
        expect(seen).toEqual(Array.from(rrMs));

        // Stored: the replay beat for beat, and both sessions ended (SIGTERM ended the second one cleanly).
        const sessions = JSON.parse(await runCli(['sessions', '--json', '--db', run.db])) as {
          id: number;
          status: string;
          beatCount: number;
        }[];
        const replayed = sessions.find((s) => s.id !== run.second);
        expect(replayed).toMatchObject({ status: 'ended', beatCount: rrMs.length });
        expect(sessions.find((s) => s.id === run.second)).toMatchObject({ status: 'ended' });
        expect(sessions.find((s) => s.id === run.second)?.beatCount).toBeGreaterThan(0);
        const rrText = await runCli(['export', String(replayed?.id), '--format', 'rr', '--db', run.db]);
        expect(rrText.trim().split('\n').map(Number)).toEqual(Array.from(rrMs));
      },
      300_000,
    );
  }
});
