/**
 * The pages that are not the live screen: `/sessions` (the stored sessions), `/sessions/:id` (one session's
 * report), `/clients` (the clients), `/clients/:id` (one client's weeks) and `/clients/:id/report` (their printable
 * progress report). Both are static files from `web/` that read the REST API; the routes only give them readable addresses.
 * And `/lib/protocol.js`: the facts the pages share with the daemon (protocol version, timings, limits, kinds), made
 * from src/viewers/protocol.ts so that they are written once.
 */
import type { FastifyInstance } from 'fastify';
import { pageFactsModule } from '../../viewers/protocol.js';
import { type SessionParams, sessionParams } from '../schemas.js';

export function pageRoutes(app: FastifyInstance): void {
  const facts = pageFactsModule();
  app.get('/lib/protocol.js', async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(facts),
  );
  app.get('/sessions', async (_request, reply) => reply.sendFile('sessions.html'));
  app.get<{ Params: SessionParams }>('/sessions/:id', { schema: { params: sessionParams } }, async (_request, reply) =>
    reply.sendFile('report.html'),
  );
  app.get('/clients', async (_request, reply) => reply.sendFile('clients.html'));
  app.get<{ Params: SessionParams }>('/clients/:id', { schema: { params: sessionParams } }, async (_request, reply) =>
    reply.sendFile('client.html'),
  );
  app.get<{ Params: SessionParams }>(
    '/clients/:id/report',
    { schema: { params: sessionParams } },
    async (_request, reply) => reply.sendFile('client-report.html'),
  );
}
