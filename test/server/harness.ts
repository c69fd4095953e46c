/**
 * Real parts for the server tests: a SQLite file in a temp folder, a `Daemon` over a real source, the app built by
 * `buildApp`, and viewer sockets through `app.injectWS` whose messages are all kept (from before `open`, so the
 * first `hello` is never missed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { type Logger, pino } from 'pino';
import type { WebSocket } from 'ws';
import { Daemon, type DaemonDeps } from '../../src/daemon/daemon.js';
import type { SourceCatalog } from '../../src/daemon/source-catalog.js';
import type { HeartRateSource } from '../../src/domain/source.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { type AppDeps, buildApp } from '../../src/server/app.js';
import type { Speed } from '../../src/sources/pacing.js';
import { rrSource } from '../../src/sources/replay.js';
import { SessionStore } from '../../src/store/session-store.js';

export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));
export const RECORDING = 'recordings/bartels_rest_rri.txt';

/** The recording's raw RR, ms, as the reader gives it. */
export async function recordingRr(): Promise<number[]> {
  return Array.from((await readRrFile(RECORDING)).rrMs);
}

export async function replaySource(speed: Speed): Promise<HeartRateSource> {
  const rec = await readRrFile(RECORDING);
  return rrSource(rec.rrMs, rec.gapBefore, 'bartels_rest_rri.txt', speed);
}

/** Everything a test needs, torn down in reverse order by `close()`. */
export interface Rig {
  readonly dir: string;
  readonly store: SessionStore;
  readonly daemon: Daemon;
  readonly app: FastifyInstance;
  /** every log line (JSON) the app, the daemon and the store wrote */
  readonly logs: Record<string, unknown>[];
  connect(path?: string): Promise<Viewer>;
  close(): Promise<void>;
}

export interface RigOptions {
  readonly source: HeartRateSource;
  readonly demo?: boolean;
  readonly autoSession?: DaemonDeps['autoSession'];
  /** runs on the open store before the daemon exists (e.g. to plant a failing trigger) */
  readonly prepare?: (dbPath: string) => void;
  /** straps beside the client's */
  readonly streams?: DaemonDeps['streams'];
  /** the sources a viewer may choose */
  readonly catalog?: SourceCatalog;
  /** the folder of the database (default: the rig's temp folder), e.g. a small tmpfs for a full disk */
  readonly dbDir?: string;
  /** the store's busy timeout, ms (default the store's own) */
  readonly busyTimeoutMs?: number;
  /** the level of the captured log (default debug) */
  readonly logLevel?: string;
  /** who may connect: host names and the access token (default: this machine's names, no token) */
  readonly access?: AppDeps['access'];
  /** serve HTTPS (only over a real port: `app.listen`) */
  readonly https?: AppDeps['https'];
  /** beats per piece of a viewer's backfill (default the daemon's) */
  readonly backfillPieceBeats?: number;
}

export async function rig(options: RigOptions): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'tableside-server-'));
  const logs: Record<string, unknown>[] = [];
  const log: Logger = pino(
    { level: options.logLevel ?? 'debug' },
    { write: (line: string) => logs.push(JSON.parse(line)) },
  );
  const dbPath = join(options.dbDir ?? dir, 'tableside.db');
  const store = SessionStore.open(dbPath, {
    log: log.child({ module: 'store' }),
    ...(options.busyTimeoutMs === undefined ? {} : { busyTimeoutMs: options.busyTimeoutMs }),
  });
  options.prepare?.(dbPath);
  const daemon = new Daemon({
    store,
    source: options.source,
    log: log.child({ module: 'daemon' }),
    demo: options.demo ?? true,
    autoSession: options.autoSession,
    ...(options.streams === undefined ? {} : { streams: options.streams }),
    ...(options.backfillPieceBeats === undefined ? {} : { backfillPieceBeats: options.backfillPieceBeats }),
  });
  const app = await buildApp({
    daemon,
    store,
    log,
    webRoot: WEB_ROOT,
    ...(options.catalog === undefined ? {} : { catalog: options.catalog }),
    ...(options.access === undefined ? {} : { access: options.access }),
    ...(options.https === undefined ? {} : { https: options.https }),
  });
  await app.ready();
  const viewers: Viewer[] = [];
  return {
    dir,
    store,
    daemon,
    app,
    logs,
    async connect(path = '/ws') {
      let viewer: Viewer | undefined;
      await app.injectWS(path, {}, { onInit: (ws) => (viewer = new Viewer(ws)) });
      if (!viewer) throw new Error('injectWS did not call onInit');
      viewers.push(viewer);
      return viewer;
    },
    async close() {
      daemon.stop();
      for (const v of viewers) v.socket.terminate();
      await app.close();
      store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: protocol messages are checked field by field in the tests
export type Message = Record<string, any> & { type: string };

interface Waiter {
  readonly done: (messages: readonly Message[]) => boolean;
  readonly resolve: () => void;
}

/** One viewer socket and every message it received, in order. */
export class Viewer {
  readonly messages: Message[] = [];
  closed = false;
  private waiters: Waiter[] = [];

  constructor(readonly socket: WebSocket) {
    socket.on('message', (data, isBinary) => {
      if (isBinary) throw new Error('the server sent a binary frame');
      this.messages.push(JSON.parse(String(data)) as Message);
      this.check();
    });
    socket.on('close', () => {
      this.closed = true;
      this.check();
    });
  }

  of(type: string): Message[] {
    return this.messages.filter((m) => m.type === type);
  }

  send(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** Resolves once `done(messages)` holds; rejects after `timeoutMs` with what arrived so far. */
  until(done: (messages: readonly Message[]) => boolean, what: string, timeoutMs = 15_000): Promise<void> {
    if (done(this.messages)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        const types = [...new Set(this.messages.map((m) => m.type))].join(', ');
        reject(new Error(`timed out waiting for ${what}; got ${this.messages.length} messages (${types})`));
      }, timeoutMs);
      const waiter: Waiter = {
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }

  /** Message number `index` (0-based), once it has arrived. */
  async nth(index: number): Promise<Message> {
    await this.until((m) => m.length > index, `message #${index}`);
    return this.messages[index] as Message;
  }

  untilBeats(count: number): Promise<void> {
    return this.until((m) => m.filter((x) => x.type === 'beat').length >= count, `${count} beats`);
  }

  untilSessionEnded(): Promise<void> {
    return this.until((m) => m.some((x) => x.type === 'session' && x.event === 'ended'), 'the session to end');
  }

  private check(): void {
    for (const w of [...this.waiters]) {
      if (w.done(this.messages)) {
        this.waiters = this.waiters.filter((x) => x !== w);
        w.resolve();
      }
    }
  }
}

/** Waits until `done()` holds, checking every few ms (for state that has no message). */
export async function eventually(done: () => boolean, what: string, timeoutMs = 15_000): Promise<void> {
  const start = Date.now();
  while (!done()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
