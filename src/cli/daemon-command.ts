/**
 * `tableside replay`, `tableside simulate` and `tableside start`: run the daemon — source → pipeline → store → viewers — and serve the
 * view. `main` is the only place that listens; the app is built by `buildApp`, which does not.
 */
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { ClinicLookup } from '../clinic/lookup.js';
import { type ClinicDbSettings, clinicDbSettings } from '../clinic/settings.js';
import type { ClinicSync } from '../clinic/sync.js';
import { Daemon, type StreamSpec } from '../daemon/daemon.js';
import { type BluetoothChoices, SourceCatalog } from '../daemon/source-catalog.js';
import type { HeartRateSource } from '../domain/source.js';
import { createDaemonLog, type DaemonLog } from '../host/logger.js';
import { stdout } from '../host/output.js';
import { defaultDbPath } from '../host/paths.js';
import { type MqttSettings, MqttSettingsError, mqttSettings } from '../outlets/mqtt-settings.js';
import { withoutToken } from '../server/access.js';
import { buildApp } from '../server/app.js';
import { claimDatabase } from '../store/daemon-lock.js';
import { StoreError } from '../store/errors.js';
import { SessionStore } from '../store/session-store.js';
import { prepareReach, startMessage } from './pairing.js';

export interface ServeOptions {
  port: number;
  host: string;
  db?: string;
  demo: boolean;
  autoSession?: { clientLabel: string; therapistNote: string };
  /** straps recorded beside the client's (the therapist's) */
  streams?: readonly StreamSpec[];
  /** what the view may switch a stream to besides demo sources: present for `tableside start` */
  bluetooth?: BluetoothChoices;
  /** serve HTTPS with the self-signed certificate kept in the config directory (pairing.ts) */
  tls?: boolean;
  /** serve HTTPS with this certificate and key (PEM files) */
  tlsCert?: string;
  tlsKey?: string;
  /** log to this file, rotated by size, instead of stdout */
  logFile?: string;
  /** publish the table's live state to this MQTT broker (no credentials in it: see outlets/mqtt-settings.ts) */
  mqtt?: string;
  /** a JSON file with the broker's user name, password and TLS files */
  mqttConfig?: string;
  /** announce the table to Home Assistant (`--mqtt-discovery [prefix]`): true for the default prefix */
  mqttDiscovery?: string | true;
  /** the table's name on the broker and in the clinic database (default: the host name) */
  table?: string;
  /** keep the client records in the clinic's PostgreSQL too (no credentials in it: see clinic/settings.ts) */
  clinicDb?: string;
  /** a JSON file with the database's user, password and TLS files */
  clinicDbConfig?: string;
  /** send finished sessions' beats to the clinic database too */
  clinicBeats?: boolean;
}

/** How long a stopping daemon waits for its last lines to be read before it exits anyway. */
const STOP_FLUSH_MS = 1000;

export const WEB_ROOT = fileURLToPath(new URL('../../web/', import.meta.url));
/** The recordings shipped with tableside: what the view offers to replay. */
export const RECORDINGS_DIR = fileURLToPath(new URL('../../recordings/', import.meta.url));

/**
 * Problems of an existing database the live view can run without: it then runs on a scratch store in memory,
 * recording nothing. A path that cannot be written at all (STORE_UNWRITABLE: a typo in --db, a folder without
 * permission) stops the start instead: that is fixed at once by passing another --db.
 */
const LIVE_WITHOUT: ReadonlySet<string> = new Set([
  'STORE_CORRUPT',
  'STORE_LOCKED',
  'STORE_FULL',
  'STORE_TOO_NEW',
  'STORE_NOT_TABLESIDE',
]);

/**
 * The session database — or, when it cannot be used, a scratch store in memory so that the live view still runs
 * (the screen says recording has stopped, and the terminal says why and what to do).
 */
function openStore(dbPath: string, log: Logger): { store: SessionStore; unavailable: StoreError | null } {
  try {
    return { store: SessionStore.open(dbPath, { log: log.child({ module: 'store' }) }), unavailable: null };
  } catch (err) {
    if (!(err instanceof StoreError) || !LIVE_WITHOUT.has(err.code)) throw err;
    log.error({ err }, 'the session database cannot be used: the live view runs, nothing is recorded');
    stdout().write(
      `\ntableside: NOT RECORDING. ${err.message}\n` +
        '  The live view runs, but nothing is stored until this is fixed and tableside restarted.\n' +
        '  A damaged database: `tableside restore BACKUP --db FILE`, or move the file away to start a new one.\n',
    );
    return { store: SessionStore.open(':memory:', { log: log.child({ module: 'store' }) }), unavailable: err };
  }
}

/**
 * Runs until SIGINT/SIGTERM or, with `exitWhenSourceEnds`, until the source ends. Nothing here waits on stdout or the
 * log (host/output.ts): a reader that stalls or goes away never holds up beats, recording, viewers or a stop.
 */
export async function serve(
  source: HeartRateSource,
  options: ServeOptions,
  daemonLog: DaemonLog = createDaemonLog(options.logFile === undefined ? {} : { file: options.logFile }),
) {
  const { log } = daemonLog;
  // The token and the certificate first: a problem with either stops the start before anything is opened.
  const reach = await prepareReach(options);
  if (options.mqttDiscovery !== undefined && options.mqtt === undefined) {
    throw new MqttSettingsError('--mqtt-discovery needs --mqtt: the broker Home Assistant reads');
  }
  const mqtt: MqttSettings | null =
    options.mqtt === undefined
      ? null
      : mqttSettings({
          url: options.mqtt,
          ...(options.mqttConfig === undefined ? {} : { configFile: options.mqttConfig }),
          ...(options.mqttDiscovery === undefined ? {} : { discovery: options.mqttDiscovery }),
          ...(options.table === undefined ? {} : { table: options.table }),
          env: process.env,
          hostname: hostname(),
        });
  const clinicDb: ClinicDbSettings | null =
    options.clinicDb === undefined
      ? null
      : clinicDbSettings({
          url: options.clinicDb,
          ...(options.clinicDbConfig === undefined ? {} : { configFile: options.clinicDbConfig }),
          ...(options.table === undefined ? {} : { table: options.table }),
          beats: options.clinicBeats === true,
          env: process.env,
          hostname: hostname(),
        });
  const dbPath = options.db ?? defaultDbPath();
  // Before the store opens: a second daemon must not mark the first one's recording session interrupted.
  const claim = await claimDatabase(dbPath).catch((err: unknown) => {
    // A folder that cannot be written is the store's to report (it runs the live view without recording).
    if (err instanceof StoreError && err.code !== 'STORE_IN_USE') return { path: '', release: () => undefined };
    throw err;
  });
  const { store, unavailable } = openStore(dbPath, log);
  const daemon = new Daemon({
    store,
    source,
    log: log.child({ module: 'daemon' }),
    demo: options.demo,
    autoSession: options.autoSession,
    ...(unavailable === null ? {} : { recordingUnavailable: unavailable.code }),
    ...(options.streams === undefined ? {} : { streams: options.streams }),
  });
  const catalog = new SourceCatalog({
    recordingsDir: RECORDINGS_DIR,
    log: log.child({ module: 'browser-strap' }),
    ...(options.bluetooth === undefined ? {} : { bluetooth: options.bluetooth }),
  });
  // The sender is loaded only with --clinic-db (and with it the pg driver); a store that cannot record has nothing
  // to send.
  let clinic: ClinicSync | null = null;
  let lookup: ClinicLookup | null = null;
  if (clinicDb !== null && unavailable === null) {
    const [{ ClinicSync }, { clinicLookup }, { loadClinicDriver }] = await Promise.all([
      import('../clinic/sync.js'),
      import('../clinic/lookup.js'),
      import('../clinic/pg.js'),
    ]);
    await loadClinicDriver();
    const sync = new ClinicSync({ store, settings: clinicDb, log: log.child({ module: 'clinic' }) });
    clinic = sync;
    lookup = clinicLookup(store, () => sync.database, { reachable: () => sync.state === 'connected' });
  }
  const app = await buildApp({
    daemon,
    store,
    log,
    webRoot: WEB_ROOT,
    catalog,
    logs: daemonLog.state,
    access: reach.access,
    ...(reach.https === undefined ? {} : { https: reach.https }),
    ...(lookup === null ? {} : { clinic: lookup }),
  });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (err) {
    store.close();
    claim.release();
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new Error(`port ${options.port} on ${options.host} is already in use: pass --port with another number`);
    }
    throw err;
  }
  // The broker is never waited for: the table runs alone until it answers.
  // The MQTT client is loaded only for a table that publishes (its modules would be carried by every daemon).
  const outlet =
    mqtt === null
      ? null
      : new (await import('../outlets/mqtt.js')).MqttOutlet(mqtt, daemon, log.child({ module: 'mqtt' }));
  daemon.start();
  // The clinic database is never waited for either: the sender keeps the outbox until it answers.
  clinic?.start().catch((err: unknown) => log.error({ err }, 'the clinic sender could not start'));
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = startMessage(reach, {
    port,
    sourceLabel: source.label,
    demo: options.demo,
    colour: process.stdout.isTTY === true,
  });
  // The token goes to the terminal only, never to the log.
  const url = withoutToken(shown.url);
  log.info(
    {
      url,
      db: dbPath,
      source: source.label,
      token: reach.token !== undefined,
      tls: reach.tls !== undefined,
      ...(mqtt === null ? {} : { mqtt: mqtt.shown, table: mqtt.table }),
      ...(clinicDb === null ? {} : { clinicDb: clinicDb.shown, table: clinicDb.table }),
    },
    'tableside is running',
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      // A second Ctrl-C while the first is still being handled: stop at once.
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    daemon.stop();
    await outlet?.close();
    await clinic?.close(STOP_FLUSH_MS);
    await app.close();
    store.close();
    claim.release();
    // The last lines get a moment to be read, never more: a reader that stalls does not hold up the stop.
    await Promise.all([daemonLog.flush(STOP_FLUSH_MS), stdout().flush(STOP_FLUSH_MS)]);
    // Exit explicitly: the Bluetooth library keeps a timer running for ever (ble.md §3.4).
    process.exit(0);
  };
  const onSigint = () => void shutdown('SIGINT');
  process.on('SIGINT', onSigint);
  keepLastListener('SIGINT', onSigint);
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // The address last, once Ctrl-C and SIGTERM are handled: whoever reads it may stop the daemon at once (a script,
  // a service manager), and a signal before its handler would end the process without closing the session.
  stdout().write(shown.text);
  stdout().whenClosed((reason) =>
    log.warn(
      { reason },
      'stdout was closed: tableside goes on running, recording and serving, and writes nothing there',
    ),
  );
  return { app, daemon, store, url, outlet, clinic };
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
