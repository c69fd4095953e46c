/**
 * `tableside replay`, `tableside simulate` and `tableside start`: run the daemon — source → pipeline → store → viewers — and serve the
 * view. `main` is the only place that listens; the app is built by `buildApp`, which does not.
 */
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { Daemon } from '../daemon/daemon.js';
import { createLogger } from '../daemon/logger.js';
import { defaultDbPath } from '../daemon/paths.js';
import { buildApp } from '../server/app.js';
import type { HeartRateSource } from '../sources/source.js';
import { SessionStore } from '../store/session-store.js';

export interface ServeOptions {
  port: number;
  host: string;
  db?: string;
  demo: boolean;
  autoSession?: { clientLabel: string; therapistNote: string };
}

export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));

/** Runs until SIGINT/SIGTERM or, with `exitWhenSourceEnds`, until the source ends. */
export async function serve(source: HeartRateSource, options: ServeOptions, log: Logger = createLogger()) {
  const dbPath = options.db ?? defaultDbPath();
  const store = SessionStore.open(dbPath, { log: log.child({ module: 'store' }) });
  const daemon = new Daemon({
    store,
    source,
    log: log.child({ module: 'daemon' }),
    demo: options.demo,
    autoSession: options.autoSession,
  });
  const app = await buildApp({ daemon, store, log, webRoot: WEB_ROOT });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (err) {
    store.close();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new Error(`port ${options.port} on ${options.host} is already in use: pass --port with another number`);
    }
    throw err;
  }
  daemon.start();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shownHost = options.host === '0.0.0.0' || options.host === '::' ? 'localhost' : options.host;
  const url = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}/`;
  log.info({ url, db: dbPath, source: source.label }, 'tableside is running');
  process.stdout.write(`\ntableside: open ${url} (source: ${source.label}${options.demo ? ', DEMO' : ''})\n\n`);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A second Ctrl-C while the first is still being handled: stop at once.
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    daemon.stop();
    await app.close();
    store.close();
    // Exit explicitly: the Bluetooth library keeps a timer running for ever (ble.md §3.4).
    process.exit(0);
  };
  const onSigint = () => void shutdown('SIGINT');
  process.on('SIGINT', onSigint);
  keepLastListener('SIGINT', onSigint);
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  return { app, daemon, store, url };
}

/**
 * Keeps `listener` the last listener of `signal`. noble adds its own SIGINT listener when it opens the adapter — after
 * the daemon has started — and calls `process.exit(1)` from it when it is the last one (ble.md §3.4), which would cut
 * the graceful shutdown short: the session would not be ended and the database not closed. So whenever another
 * listener is added, this one moves behind it again.
 */
function keepLastListener(signal: NodeJS.Signals, listener: () => void): void {
  process.on('newListener', (event) => {
    if (event !== signal) return;
    // `newListener` fires before the new listener is added: move ours once it is there.
    process.nextTick(() => {
      const listeners = process.listeners(signal);
      if (!listeners.includes(listener) || listeners[listeners.length - 1] === listener) return;
      process.removeListener(signal, listener);
      process.on(signal, listener);
    });
  });
}
