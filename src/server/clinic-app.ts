/**
 * The HTTP side of the clinic overview (`tableside clinic`): the page (`/`: web/clinic.html and its modules in
 * web/clinic/), its socket and the live API (routes/clinic.ts). The same checks as the table's daemon, from the same
 * module (access.ts): the Host check, the Origin check, and the access token when it listens beyond this machine;
 * HTTPS with the same certificate options.
 *
 * `buildClinicApp` returns the app without listening: the command listens (src/cli/clinic-command.ts), tests use
 * `app.listen({ port: 0 })` or `app.inject`.
 */
import fastifyCookie from '@fastify/cookie';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { ClinicDirectory } from '../clinic/directory.js';
import { ownHostNames } from '../host/network.js';
import { type AccessOptions, accessControl, requestForLog } from './access.js';
import { type AppDeps, UPLOT_FILES, uplotDist } from './app.js';
import { formatSchemaErrors, handleError, handleNotFound } from './errors.js';
import { CLINIC_WS_MAX_PAYLOAD_BYTES, type ClinicLive, clinicLiveRoutes } from './routes/clinic.js';
import { clinicRecordRoutes } from './routes/clinic-records.js';
import { securityHeaders } from './security-headers.js';

/** What the overview serves of web/: its page, its modules, the shared modules and the style sheet. */
const CLINIC_FILES = /^\/?(clinic(-client)?\.html|clinic\/[a-z-]+\.(js|css)|lib\/[a-z-]+\.js|style\.css|favicon\.svg)$/;

export interface ClinicAppDeps {
  readonly live: ClinicLive;
  /** the clients' records (`--clinic-db`); without it the overview shows the live tables only */
  readonly directory?: ClinicDirectory;
  /** a pino logger; the app logs through a child with `module: 'clinic-server'` */
  readonly log: FastifyBaseLogger;
  /** the folder the page comes from (the repository's `web/`) */
  readonly webRoot: string;
  /** as the table daemon's (app.ts): the names `Host` may carry and the access token */
  readonly access?: AppDeps['access'];
  readonly https?: AppDeps['https'];
}

export async function buildClinicApp(deps: ClinicAppDeps): Promise<FastifyInstance> {
  const options = {
    loggerInstance: deps.log.child({ module: 'clinic-server' }, { serializers: { req: requestForLog } }),
    bodyLimit: 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
    schemaErrorFormatter: formatSchemaErrors,
    ...(deps.https === undefined ? {} : { https: { cert: deps.https.cert, key: deps.https.key } }),
  };
  const app = Fastify(options) as unknown as FastifyInstance;
  app.setErrorHandler(handleError);
  app.setNotFoundHandler(handleNotFound);

  await securityHeaders(app);
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, { global: false });
  const access: AccessOptions = {
    hostNames: deps.access?.hostNames ?? ownHostNames(),
    secure: deps.https !== undefined,
    ...(deps.access?.token === undefined ? {} : { token: deps.access.token }),
  };
  accessControl(app, access);

  await app.register(fastifyWebsocket, { options: { maxPayload: CLINIC_WS_MAX_PAYLOAD_BYTES } });
  clinicLiveRoutes(app, deps.live);
  if (deps.directory !== undefined) clinicRecordRoutes(app, deps.directory);
  await app.register(fastifyStatic, {
    root: deps.webRoot,
    prefix: '/',
    index: false,
    allowedPath: (path) => CLINIC_FILES.test(path),
  });
  await app.register(fastifyStatic, {
    root: uplotDist(),
    prefix: '/vendor/uplot/',
    decorateReply: false,
    index: false,
    allowedPath: (path) => UPLOT_FILES.includes(path.replace(/^\//, '')),
  });
  app.get('/', async (_request, reply) => reply.sendFile('clinic.html'));
  app.get('/clients/:uid', async (_request, reply) => reply.sendFile('clinic-client.html'));
  return app;
}
