/**
 * `tableside clinic --mqtt URL`: the clinic overview. Subscribes to every table's live state on the broker
 * (src/clinic/subscriber.ts) and serves the overview page and its socket (src/server/clinic-app.ts), behind the same
 * access token and TLS as a table's daemon (pairing.ts).
 *
 * At start: a broker that cannot be reached is a warning, and the overview runs and shows the tables once it can; a
 * broker that refuses the user name or password is an error and the overview stops (exit 2): without the broker it
 * has nothing to show, and a wrong password does not fix itself.
 */
import { hostname } from 'node:os';
import { ClinicOverview } from '../clinic/overview.js';
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
  const app = await buildClinicApp({
    live: { overview, broker: () => ({ shown: settings.shown, state: subscriber.state }) },
    log,
    webRoot: WEB_ROOT,
    access: reach.access,
    ...(reach.https === undefined ? {} : { https: reach.https }),
  });
  try {
    await app.listen({ port: options.port, host: options.host });
  } catch (err) {
    await subscriber.close();
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
    { url: withoutToken(shown.url), mqtt: settings.shown, broker: answer, token: reach.token !== undefined },
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
    await Promise.all([daemonLog.flush(STOP_FLUSH_MS), stdout().flush(STOP_FLUSH_MS)]);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}
