/**
 * The clinic overview's clients, from the clinic database (`tableside clinic --clinic-db`):
 *
 * - `GET /api/clinic/clients`: every client, by name: sessions, readings, last visit, the rooms that saw them.
 * - `GET /api/clinic/clients/:uid`: one client's record across rooms, in the shape of a table's client record
 *   (src/clinic/records.ts); a table's own uid for a client the clinic knows by another (an alias) answers too.
 *
 * | status | code                     | when                                                  |
 * | ------ | ------------------------ | ----------------------------------------------------- |
 * | 404    | `CLINIC_CLIENT_NOT_FOUND` | no client (nor alias) by that uid                     |
 * | 503    | `CLINIC_DB_UNAVAILABLE`   | the database cannot be reached or refuses the overview |
 */
import type { FastifyInstance } from 'fastify';
import type { ClinicDirectory } from '../../clinic/directory.js';
import { errorBody } from '../errors.js';

const uidParams = {
  type: 'object',
  properties: { uid: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9:_-]+$' } },
  required: ['uid'],
  additionalProperties: false,
} as const;

export function clinicRecordRoutes(app: FastifyInstance, directory: ClinicDirectory): void {
  const unavailable = (err: unknown) => {
    app.log.warn({ err, database: directory.shown }, 'the clinic database could not be read');
    return errorBody(
      503,
      'CLINIC_DB_UNAVAILABLE',
      `the clinic database ${directory.shown} is ${directory.state === 'unreachable' ? 'unreachable' : 'not usable'}: the live tables go on`,
    );
  };
  app.get('/api/clinic/clients', async (_request, reply) => {
    try {
      return { clients: await directory.clients() };
    } catch (err) {
      return reply.code(503).send(unavailable(err));
    }
  });
  app.get<{ Params: { uid: string } }>(
    '/api/clinic/clients/:uid',
    { schema: { params: uidParams } },
    async (request, reply) => {
      let record: Awaited<ReturnType<ClinicDirectory['record']>>;
      try {
        record = await directory.record(request.params.uid);
      } catch (err) {
        return reply.code(503).send(unavailable(err));
      }
      if (record === undefined) {
        return reply.code(404).send(errorBody(404, 'CLINIC_CLIENT_NOT_FOUND', 'the clinic has no such client'));
      }
      return record;
    },
  );
}
