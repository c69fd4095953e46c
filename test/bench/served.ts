/**
 * For the soak and load benchmarks: a daemon served as users run it — real SessionStore on a temporary SQLite file,
 * the real fastify app listening on a loopback port — with its viewers in another process (./viewer-process.ts), so
 * the daemon's event loop, CPU and memory are its own.
 */
import { fork } from 'node:child_process';
import { statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import pino from 'pino';
import { tap } from 'rxjs';
import { Daemon, type StreamSpec } from '../../src/daemon/daemon.js';
import type { HeartRateSource, SourceEvent } from '../../src/domain/source.js';
import { buildApp } from '../../src/server/app.js';
import { SessionStore } from '../../src/store/session-store.js';
import { tempDir } from '../helpers/daemon-process.js';
import type { ViewerAnswer, ViewerCommand, ViewerReport } from './viewer-process.js';

const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));
const VIEWER_PROCESS = fileURLToPath(new URL('./viewer-process.ts', import.meta.url));

export const preciseNowMs = (): number => performance.timeOrigin + performance.now();

export interface ServedDaemon {
  readonly daemon: Daemon;
  readonly store: SessionStore;
  /** the viewer socket of a stream */
  wsUrl(streamId: string): string;
  /** an address of the server: `httpUrl('/api/health')` */
  httpUrl(path: string): string;
  /** the database file and its WAL, bytes */
  storeBytes(): number;
  /**
   * The most SQLite's page cache of a connection holds, MB (`PRAGMA cache_size`; better-sqlite3 builds SQLite with
   * 16 000 KiB): it fills as a long session's pages are written, so the process's RSS grows until it is full.
   */
  pageCacheCapMb(): number;
  close(): Promise<void>;
}

/**
 * Builds the daemon (the client's stream on `client`, `streams` beside it) and listens, without starting it: connect
 * the viewers first, then `daemon.start()` starts the sources and, at once, a session — so every viewer sees every
 * beat live from seq 0.
 */
export async function servedDaemon(
  client: HeartRateSource,
  streams: readonly StreamSpec[] = [],
): Promise<ServedDaemon> {
  const dir = tempDir('tableside-bench-');
  const dbPath = `${dir.path}/bench.db`;
  const store = SessionStore.open(dbPath);
  const log = pino({ level: 'warn' });
  const daemon = new Daemon({
    store,
    source: client,
    streams,
    log,
    demo: true,
    autoSession: { clientLabel: 'bench', therapistNote: '' },
  });
  const app = await buildApp({ daemon, store, log, webRoot: WEB_ROOT });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const sizeOf = (path: string) => {
    try {
      return statSync(path).size;
    } catch {
      return 0;
    }
  };
  return {
    daemon,
    store,
    wsUrl: (streamId) => `ws://127.0.0.1:${port}/ws?stream=${streamId}`,
    httpUrl: (path) => `http://127.0.0.1:${port}${path}`,
    storeBytes: () => sizeOf(dbPath) + sizeOf(`${dbPath}-wal`),
    pageCacheCapMb: () => {
      const db = new Database(dbPath, { readonly: true });
      try {
        const size = Number(db.pragma('cache_size', { simple: true }));
        const pageBytes = Number(db.pragma('page_size', { simple: true }));
        // Negative: KiB; positive: pages.
        return (size < 0 ? -size * 1024 : size * pageBytes) / 2 ** 20;
      } finally {
        db.close();
      }
    },
    close: async () => {
      daemon.stop();
      await app.close();
      store.close();
      dir.remove();
    },
  };
}

/** `source` with `onEvent` called for every event it emits, as it enters the daemon. */
export function tapped(source: HeartRateSource, onEvent: (e: SourceEvent) => void): HeartRateSource {
  return {
    kind: source.kind,
    label: source.label,
    get events$() {
      return source.events$.pipe(tap(onEvent));
    },
  };
}

type Answer<T extends ViewerAnswer['type']> = Extract<ViewerAnswer, { type: T }>;

/** The viewers' process, driven one command at a time. */
export class ViewerProcess {
  private constructor(private readonly child: ReturnType<typeof fork>) {}

  static start(): ViewerProcess {
    const child = fork(VIEWER_PROCESS, [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      // Float64Arrays travel as such, not as JSON objects.
      serialization: 'advanced',
    });
    return new ViewerProcess(child);
  }

  /** Opens the sockets; resolves once every one has its first hello. */
  async connect(urls: readonly string[]): Promise<void> {
    await this.ask({ type: 'connect', urls }, 'connected');
  }

  /**
   * The viewers' wall clock minus this process's, estimated from IPC round trips (the shortest of several): both read
   * the same system clock, so it is small, but the latency figures subtract it rather than assume it.
   */
  async clockOffset(): Promise<{ offsetMs: number; roundTripMs: number }> {
    let best = { offsetMs: 0, roundTripMs: Number.POSITIVE_INFINITY };
    for (let i = 0; i < 20; i++) {
      const { parentMs, childMs } = await this.ask({ type: 'clock', parentMs: preciseNowMs() }, 'clock');
      const backMs = preciseNowMs();
      const roundTripMs = backMs - parentMs;
      if (roundTripMs < best.roundTripMs) best = { offsetMs: childMs - (parentMs + backMs) / 2, roundTripMs };
    }
    return best;
  }

  /** Starts the viewers' CPU window. */
  async mark(): Promise<void> {
    await this.ask({ type: 'mark' }, 'marked');
  }

  /** One more viewer; resolves with its first hello's size and how long it took. */
  late(url: string): Promise<Answer<'late'>> {
    return this.ask({ type: 'late', url }, 'late');
  }

  /** Waits until every viewer has seen its session end (or `timeoutMs`), then collects and ends the process. */
  async report(timeoutMs: number): Promise<Answer<'report'>> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    const report = await this.ask({ type: 'report', timeoutMs }, 'report');
    await exited;
    return report;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill();
  }

  private ask<T extends ViewerAnswer['type']>(command: ViewerCommand, type: T): Promise<Answer<T>> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: ViewerAnswer) => {
        if (m.type !== type) return;
        this.child.off('message', onMessage);
        this.child.off('exit', onExit);
        resolve(m as Answer<T>);
      };
      const onExit = (code: number | null) => {
        this.child.off('message', onMessage);
        reject(new Error(`the viewer process exited (${code}) before answering ${command.type}`));
      };
      this.child.on('message', onMessage);
      this.child.once('exit', onExit);
      this.child.send(command);
    });
  }
}

/**
 * Messages a viewer missed: beats or metrics not received (against the store's counts), seq breaks, and catch-up
 * hellos (the hub skipped it). `expectedHellos`: the hello on connect and the one when the session started.
 */
export function lostMessages(
  v: ViewerReport,
  stored: { beats: number; metrics: number },
  expectedHellos = 2,
): { lost: number; catchUpHellos: number } {
  const catchUpHellos = Math.max(0, v.hellos - expectedHellos);
  const lost =
    Math.abs(stored.beats - (v.backfillBeats + v.beats)) +
    Math.abs(stored.metrics - (v.backfillMetrics + v.metrics)) +
    v.beatSeqBreaks +
    v.metricsSeqBreaks +
    catchUpHellos +
    (v.sessionEnded ? 0 : 1);
  return { lost, catchUpHellos };
}

/** The machine's 1-minute load average (2 cores here: above 2, other work competes for the CPU). */
export function loadAverage(): number {
  return loadavg()[0];
}

/** Sorted ascending (a typed array sorts numerically). */
export function sortedCopy(values: ArrayLike<number>): Float64Array {
  return Float64Array.from(values).sort();
}

/** The p-th percentile of sorted values, the rule of ./daemon.ts's `percentile`; NaN for none. */
export function quantile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
