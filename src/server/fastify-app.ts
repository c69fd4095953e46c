/**
 * What the table's daemon (app.ts) and the clinic overview (clinic-app.ts) set up alike: the fastify instance with its
 * logger, body limit, strict schemas and error handlers; the security headers; the checks of access.ts before any
 * route; the websocket plugin; and the chart library served from the installed `uplot` package at `/vendor/uplot/`.
 */
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { ownHostNames } from '../host/network.js';
import { type AccessOptions, accessControl, requestForLog } from './access.js';
import { formatSchemaErrors, handleError, handleNotFound } from './errors.js';
import { securityHeaders } from './security-headers.js';

/** The files of the `uplot` package the pages load; nothing else in its folder is served. */
export const UPLOT_FILES: readonly string[] = ['uPlot.esm.js', 'uPlot.min.css'];

export interface FastifyAppOptions {
  /** a pino logger; the app logs through a child with this `module` */
  readonly log: FastifyBaseLogger;
  readonly module: string;
  /** the largest request body, bytes */
  readonly bodyLimit: number;
  /** the largest websocket message, bytes */
  readonly wsMaxPayload: number;
  /**
   * Who may connect (access.ts): the names `Host` may carry (default: this machine's) and, when the app listens
   * beyond this machine, the access token. Default: no token, as for the loopback-only daemon.
   */
  readonly access?: { readonly hostNames?: readonly string[]; readonly token?: () => string };
  /** serve HTTPS with this certificate and key (PEM); default plain HTTP */
  readonly https?: { readonly cert: string; readonly key: string };
}

/** The app with its checks and the websocket plugin registered, ready for routes. */
export async function fastifyApp(deps: FastifyAppOptions): Promise<FastifyInstance> {
  const options = {
    // Request URLs are logged without the pairing URL's token.
    loggerInstance: deps.log.child({ module: deps.module }, { serializers: { req: requestForLog } }),
    bodyLimit: deps.bodyLimit,
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
  await app.register(fastifyWebsocket, { options: { maxPayload: deps.wsMaxPayload } });
  return app;
}

/** Serves the installed uplot's files at `/vendor/uplot/`: nothing is fetched from the internet. */
export async function serveUplot(app: FastifyInstance): Promise<void> {
  await app.register(fastifyStatic, {
    root: uplotDist(),
    prefix: '/vendor/uplot/',
    decorateReply: false,
    index: false,
    allowedPath: (path) => UPLOT_FILES.includes(path.replace(/^\//, '')),
  });
}

/** The installed uplot's `dist/` folder (its `main` lives there). */
export function uplotDist(): string {
  return dirname(createRequire(import.meta.url).resolve('uplot'));
}
