/**
 * The HTTP side of the daemon: the REST API (`/api/…`), the live view's socket (`/ws`), the pages (`web/`: the live
 * screen at `/`, the session list at `/sessions`, a session's report at `/sessions/:id`) and the chart library the
 * pages use, served from the installed `uplot` package at `/vendor/uplot/` — nothing is fetched from the internet.
 *
 * `buildApp` registers everything and returns the app without listening: the daemon's entry point listens, tests use
 * `app.inject` / `app.injectWS`. Data flows one way: reads come from the store, commands go to the daemon, live
 * values reach the viewers through the daemon's hub.
 */
import { readFileSync } from 'node:fs';
import fastifyStatic from '@fastify/static';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ClinicLookup } from '../clinic/lookup.js';
import type { Daemon } from '../daemon/daemon.js';
import type { SourceCatalog } from '../daemon/source-catalog.js';
import type { LogsState } from '../host/logger.js';
import type { SessionStore } from '../store/session-store.js';
import { type FastifyAppOptions, fastifyApp, serveUplot } from './fastify-app.js';
import { apiRoutes } from './routes/api.js';
import { clientRoutes } from './routes/clients.js';
import { pageRoutes } from './routes/pages.js';
import { readingRoutes } from './routes/readings.js';
import { VIEWER_MAX_PAYLOAD_BYTES, viewerRoutes } from './routes/viewer.js';

/** The largest request body, bytes: a therapist note (2000 characters, up to 4 bytes each) and its JSON around it. */
export const BODY_LIMIT_BYTES = 16 * 1024;

export interface AppDeps {
  readonly daemon: Daemon;
  readonly store: SessionStore;
  /** a pino logger (the daemon's); the app logs through a child with `module: 'server'` */
  readonly log: FastifyBaseLogger;
  /** the folder served at `/` (the repository's `web/`) */
  readonly webRoot: string;
  /** reported by /api/health; default: package.json's */
  readonly version?: string;
  /** where the daemon's log goes and whether it flows, for /api/health; without it `logs` is null there */
  readonly logs?: () => LogsState;
  /** the sources a viewer may choose for a stream; without it, the streams keep their sources */
  readonly catalog?: SourceCatalog;
  /** who may connect, and HTTPS (fastify-app.ts) */
  readonly access?: FastifyAppOptions['access'];
  readonly https?: FastifyAppOptions['https'];
  /** the clinic database (`--clinic-db`): a client's record then shows every room's sessions */
  readonly clinic?: ClinicLookup;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = await fastifyApp({
    log: deps.log,
    module: 'server',
    bodyLimit: BODY_LIMIT_BYTES,
    wsMaxPayload: VIEWER_MAX_PAYLOAD_BYTES,
    ...(deps.access === undefined ? {} : { access: deps.access }),
    ...(deps.https === undefined ? {} : { https: deps.https }),
  });
  viewerRoutes(app, deps.daemon);
  apiRoutes(app, {
    daemon: deps.daemon,
    store: deps.store,
    version: deps.version ?? packageVersion(),
    ...(deps.logs === undefined ? {} : { logs: deps.logs }),
    ...(deps.catalog === undefined ? {} : { catalog: deps.catalog }),
    ...(deps.clinic === undefined ? {} : { clinic: deps.clinic }),
  });
  clientRoutes(app, deps.store, deps.clinic);
  readingRoutes(app, deps.daemon, deps.store);
  await app.register(fastifyStatic, { root: deps.webRoot, prefix: '/', index: 'index.html' });
  await serveUplot(app);
  pageRoutes(app);
  return app;
}

/** src/server/app.ts and dist/server/app.js both sit two folders below package.json. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
