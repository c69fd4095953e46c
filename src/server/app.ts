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
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ClinicLookup } from '../clinic/lookup.js';
import type { Daemon } from '../daemon/daemon.js';
import type { SourceCatalog } from '../daemon/source-catalog.js';
import type { LogsState } from '../host/logger.js';
import { ownHostNames } from '../host/network.js';
import type { SessionStore } from '../store/session-store.js';
import { type AccessOptions, accessControl, requestForLog } from './access.js';
import { formatSchemaErrors, handleError, handleNotFound } from './errors.js';
import { apiRoutes } from './routes/api.js';
import { clientRoutes } from './routes/clients.js';
import { pageRoutes } from './routes/pages.js';
import { readingRoutes } from './routes/readings.js';
import { VIEWER_MAX_PAYLOAD_BYTES, viewerRoutes } from './routes/viewer.js';
import { securityHeaders } from './security-headers.js';

/** The files of the `uplot` package the pages load; nothing else in its folder is served. */
export const UPLOT_FILES: readonly string[] = ['uPlot.esm.js', 'uPlot.min.css'];

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
  /**
   * Who may connect (access.ts): the names `Host` may carry (default: this machine's) and, when the daemon listens
   * beyond this machine, the access token. Default: no token, as for the loopback-only daemon.
   */
  readonly access?: { readonly hostNames?: readonly string[]; readonly token?: () => string };
  /** serve HTTPS with this certificate and key (PEM); default plain HTTP */
  readonly https?: { readonly cert: string; readonly key: string };
  /** the clinic database (`--clinic-db`): a client's record then shows every room's sessions */
  readonly clinic?: ClinicLookup;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const options = {
    // Request URLs are logged without the pairing URL's token.
    loggerInstance: deps.log.child({ module: 'server' }, { serializers: { req: requestForLog } }),
    bodyLimit: BODY_LIMIT_BYTES,
    // Refuse unknown fields rather than drop them, and never coerce ("5" stays a string, 5 stays a number).
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    schemaErrorFormatter: formatSchemaErrors,
    ...(deps.https === undefined ? {} : { https: { cert: deps.https.cert, key: deps.https.key } }),
  };
  // fastify types an HTTPS app apart from an HTTP one; routes and tests use nothing that differs between them.
  const app = Fastify(options) as unknown as FastifyInstance;
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  // Headers first, so that even a refusal carries them; then the checks, before any route (access.ts).
  await securityHeaders(app);
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  const access: AccessOptions = {
    hostNames: deps.access?.hostNames ?? ownHostNames(),
    secure: deps.https !== undefined,
    ...(deps.access?.token === undefined ? {} : { token: deps.access.token }),
  };
  accessControl(app, access);

  // The websocket plugin must be registered before the routes so that it can see `websocket: true` on them.
  await app.register(fastifyWebsocket, { options: { maxPayload: VIEWER_MAX_PAYLOAD_BYTES } });
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
  await app.register(fastifyStatic, {
    root: uplotDist(),
    prefix: '/vendor/uplot/',
    decorateReply: false,
    index: false,
    allowedPath: (path) => UPLOT_FILES.includes(path.replace(/^\//, '')),
  });
  pageRoutes(app);
  return app;
}

/** The installed uplot's `dist/` folder (its `main` lives there). */
export function uplotDist(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot'));
}

/** src/server/app.ts and dist/server/app.js both sit two folders below package.json. */
function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}
