/**
 * The HTTP side of the clinic overview (`tableside clinic`): the page (`/`: web/clinic.html and its modules in
 * web/clinic/), its socket and the live API (routes/clinic.ts). The same checks as the table's daemon, from the same
 * module (access.ts): the Host check, the Origin check, and the access token when it listens beyond this machine;
 * HTTPS with the same certificate options.
 *
 * `buildClinicApp` returns the app without listening: the command listens (src/cli/clinic-command.ts), tests use
 * `app.listen({ port: 0 })` or `app.inject`.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { ClinicDirectory } from '../clinic/directory.js';
import { type FastifyAppOptions, fastifyApp, serveUplot } from './fastify-app.js';
import { CLINIC_WS_MAX_PAYLOAD_BYTES, type ClinicLive, clinicLiveRoutes } from './routes/clinic.js';
import { clinicRecordRoutes } from './routes/clinic-records.js';

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
  readonly access?: FastifyAppOptions['access'];
  readonly https?: FastifyAppOptions['https'];
}

export async function buildClinicApp(deps: ClinicAppDeps): Promise<FastifyInstance> {
  const app = await fastifyApp({
    log: deps.log,
    module: 'clinic-server',
    bodyLimit: 1024,
    wsMaxPayload: CLINIC_WS_MAX_PAYLOAD_BYTES,
    ...(deps.access === undefined ? {} : { access: deps.access }),
    ...(deps.https === undefined ? {} : { https: deps.https }),
  });
  clinicLiveRoutes(app, deps.live);
  if (deps.directory !== undefined) clinicRecordRoutes(app, deps.directory);
  await app.register(fastifyStatic, {
    root: deps.webRoot,
    prefix: '/',
    index: false,
    allowedPath: (path) => CLINIC_FILES.test(path),
  });
  await serveUplot(app);
  app.get('/', async (_request, reply) => reply.sendFile('clinic.html'));
  app.get('/clients/:uid', async (_request, reply) => reply.sendFile('clinic-client.html'));
  return app;
}
