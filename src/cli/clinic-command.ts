/**
 * `tableside clinic --mqtt URL`: the clinic overview. Subscribes to every table's live state on the broker
 * (src/clinic/subscriber.ts) and serves the overview page and its socket (src/server/clinic-app.ts), behind the same
 * access token and TLS as a table's daemon (pairing.ts).
 *
 * With `--clinic-db URL`, it also shows the clients and each client's record across rooms from the clinic's
 * PostgreSQL (src/clinic/directory.ts).
 *
 * At start: a broker or a database that cannot be reached is a warning, and the overview runs with what it has and
 * shows the rest once it answers; a broker or database that refuses the user name or password (or a database with a
 * schema this tableside does not know) is an error and the overview stops with exit 2: a wrong password does not fix
 * itself, and an overview that silently lacks half its picture would be mistaken for a clinic with nothing in it.
 */
import { hostname } from 'node:os';
import { ClinicDirectory } from '../clinic/directory.js';
import { ClinicOverview } from '../clinic/overview.js';
import { openClinicDb } from '../clinic/pg.js';
import { clinicDbSettings } from '../clinic/settings.js';
import { ClinicSubscriber } from '../clinic/subscriber.js';
import { createDaemonLog } from '../host/logger.js';
import { stdout } from '../host/output.js';
import { mqttSettings } from '../outlets/mqtt-settings.js';
import { withoutToken } from '../server/access.js';
import { buildClinicApp } from '../server/clinic-app.js';
import { WEB_ROOT } from './daemon-command.js';
import { prepareReach, startMessage } from './pairing.js';

export interface ClinicOptions {
  port: number;
  host: string;
  mqtt: string;
  mqttConfig?: string;
  clinicDb?: string;
  clinicDbConfig?: string;
  tls?: boolean;
  tlsCert?: string;
  tlsKey?: string;
  logFile?: string;
}

/** How long the start waits for the broker's first answer before it goes on without it, ms. */
export const BROKER_FIRST_ANSWER_MS = 3000;
const STOP_FLUSH_MS = 1000;

/** The error the command line turns into exit code 2. */
export class ClinicStartError extends Error {
  override readonly name = 'ClinicStartError';
  readonly code = 'CLINIC_REFUSED';
}

export async function clinicCommand(options: ClinicOptions): Promise<void> {
  const daemonLog = createDaemonLog(options.logFile === undefined ? {} : { file: options.logFile });
  const { log } = daemonLog;
  const reach = await prepareReach(options);
  const settings = mqttSettings({
    url: options.mqtt,
    ...(options.mqttConfig === undefined ? {} : { configFile: options.mqttConfig }),
    env: process.env,
    hostname: hostname(),
  });
  const dbSettings =
    options.clinicDb === undefined
      ? null
      : clinicDbSettings({
          url: options.clinicDb,
          ...(options.clinicDbConfig === undefined ? {} : { configFile: options.clinicDbConfig }),
          table: 'clinic-overview',
          env: process.env,
          hostname: hostname(),
        });
  const overview = new ClinicOverview();
  const subscriber = new ClinicSubscriber(settings, overview, log.child({ module: 'mqtt' }));
  const answer = await subscriber.firstAnswer(BROKER_FIRST_ANSWER_MS);
  if (answer === 'refused') {
    await subscriber.close();
    await daemonLog.flush(STOP_FLUSH_MS);
    throw new ClinicStartError(
      `the MQTT broker ${settings.shown} refused the overview's user name or password: set TABLESIDE_MQTT_USERNAME ` +
        'and TABLESIDE_MQTT_PASSWORD (or "username" and "password" in the --mqtt-config file)',
    );
  }
  // The database: unreachable is a warning (the clients come once it answers); refused or unknown is the end.
  let directory: ClinicDirectory | undefined;
  if (dbSettings !== null) {
    directory = new ClinicDirectory(await openClinicDb(dbSettings));
    try {
      const state = await directory.start();
      if (state === 'unreachable') {
        log.warn(
          { database: dbSettings.shown },
          "the clinic database cannot be reached: the overview shows the live tables, and the clients' records once it answers",
        );
      }
    } catch (err) {
      await Promise.all([subscriber.close(), directory.close()]);
      await daemonLog.flush(STOP_FLUSH_MS);
      throw new ClinicStartError((err as Error).message);
    }
  }
  const db = directory;
  const app = await buildClinicApp({
    live: {
      overview,
      broker: () => ({ shown: settings.shown, state: subscriber.state }),
      ...(db === undefined ? {} : { database: () => ({ shown: db.shown, state: db.state }) }),
    },
    ...(db === undefined ? {} : { directory: db }),
    log,
    webRoot: WEB_ROOT,
    access: reach.access,
    ...(reach.https === undefined ? {} : { https: reach.https }),
  });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (err) {
    await Promise.all([subscriber.close(), db?.close()]);
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EADDRINUSE') {
      throw new Error(`port ${options.port} on ${options.host} is already in use: pass --port with another number`);
    }
    throw err;
  }
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : options.port;
  const shown = startMessage(reach, {
    port,
    sourceLabel: `clinic overview of ${settings.shown}`,
    demo: false,
    colour: false,
  });
  log.info(
    {
      url: withoutToken(shown.url),
      mqtt: settings.shown,
      broker: answer,
      ...(db === undefined ? {} : { database: db.shown, databaseState: db.state }),
      token: reach.token !== undefined,
    },
    'the clinic overview is running',
  );
  stdout().write(shown.text);

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) process.exit(1);
    stopping = true;
    log.info({ signal }, 'shutting down');
    await subscriber.close();
    await app.close();
    await db?.close();
    await Promise.all([daemonLog.flush(STOP_FLUSH_MS), stdout().flush(STOP_FLUSH_MS)]);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
