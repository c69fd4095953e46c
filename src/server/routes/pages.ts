/**
 * The pages that are not the live screen: `/sessions` (the stored sessions) and `/sessions/:id` (one session's
 * report). Both are static files from `web/` that read the REST API; the routes only give them readable addresses.
 */
import type { FastifyInstance } from 'fastify';
import { type SessionParams, sessionParams } from '../schemas.js';

export function pageRoutes(app: FastifyInstance): void {
  app.get('/sessions', async (_request, reply) => reply.sendFile('sessions.html'));
  app.get<{ Params: SessionParams }>('/sessions/:id', { schema: { params: sessionParams } }, async (_request, reply) =>
    reply.sendFile('report.html'),
  );
}
