/**
 * Clients as records over REST: the list, one client's whole record (the object `tableside client NAME --json`
 * prints), rename and note, merge (says what would move unless `confirm: true`), export, delete, and readings
 * (upload a file's text, delete one). A session's main technique can be changed afterwards.
 *
 * With a clinic database (`--clinic-db`) a client's record is read there, with every room's sessions; when it does not
 * answer, the table's own record says so (`clinic: 'unreachable'`).
 *
 * Names and notes are personal data: no message of these routes carries one (refusals are logged with their message).
 */
import type { FastifyInstance } from 'fastify';
import type { ClinicLookup } from '../../clinic/lookup.js';
import { clientExport, clientRecord, computeSessionValues } from '../../io/client-record.js';
import { readingsFromText } from '../../io/reading-import.js';
import { baseName } from '../../io/text.js';
import {
  addReadings,
  createClient,
  deleteClient,
  deleteReading,
  getClient,
  getReading,
  getSessionValues,
  listClients,
  mergeClients,
  setMainTechnique,
  updateClient,
} from '../../store/clients.js';
import type { SessionStore } from '../../store/session-store.js';
import type { StoredClient } from '../../store/types.js';
import { ApiError, sessionNotFound } from '../errors.js';
import {
  type ClientChangeBody,
  type ClientQuery,
  clientChangeBody,
  clientParams,
  clientQuery,
  idOf,
  type MergeBody,
  mergeBody,
  type NewClientBody,
  newClientBody,
  type ReadingParams,
  type ReadingUploadBody,
  readingParams,
  readingUploadBody,
  type SessionChangeBody,
  type SessionParams,
  sessionChangeBody,
  sessionParams,
} from '../schemas.js';

export const clientNotFound = (clientId: number): ApiError =>
  new ApiError(404, 'CLIENT_NOT_FOUND', `no client ${clientId}`);

/** A name of only spaces is refused here (the schema checks length and type). */
export function checkClientName(name: string | undefined): void {
  if (name !== undefined && name.trim() === '') {
    throw new ApiError(400, 'CLIENT_NAME_BLANK', "a client's name must not be only spaces");
  }
}

export function clientRoutes(app: FastifyInstance, store: SessionStore, clinic?: ClinicLookup): void {
  const requireClient = (clientId: number): StoredClient => {
    const client = getClient(store, clientId);
    if (!client) throw clientNotFound(clientId);
    return client;
  };

  app.get('/api/clients', async () => ({ clients: listClients(store) }));

  app.post<{ Body: NewClientBody }>('/api/clients', { schema: { body: newClientBody } }, async (request, reply) => {
    checkClientName(request.body.name);
    const created = createClient(store, request.body.name, request.body.note ?? '');
    // A name the clinic knows is that person: the client takes the clinic's uid and note (when it answers in time).
    if (clinic) await clinic.created(created.id);
    const client = getClient(store, created.id) ?? created;
    void reply.code(201).header('location', `/api/clients/${client.id}`);
    return client;
  });

  app.get<{ Params: SessionParams; Querystring: ClientQuery }>(
    '/api/clients/:id',
    { schema: { params: clientParams, querystring: clientQuery } },
    async (request) => {
      const id = idOf(request.params.id);
      const options = timelineOptions(request.query);
      const record = clientRecord(store, id, options);
      if (!record) throw clientNotFound(id);
      if (!clinic) return record;
      // With a clinic database: every room's sessions, or this table's with a word on why.
      const answer = await clinic.record(id, options);
      if (answer.kind === 'record') return { ...answer.record, clinic: 'all-rooms' };
      return { ...record, clinic: answer.kind };
    },
  );

  app.patch<{ Params: SessionParams; Body: ClientChangeBody }>(
    '/api/clients/:id',
    { schema: { params: clientParams, body: clientChangeBody } },
    async (request) => {
      const id = idOf(request.params.id);
      requireClient(id);
      checkClientName(request.body.name);
      return updateClient(store, id, request.body);
    },
  );

  app.post<{ Params: SessionParams; Body: MergeBody }>(
    '/api/clients/:id/merge',
    { schema: { params: clientParams, body: mergeBody } },
    async (request) => {
      const id = idOf(request.params.id);
      const into = request.body.into;
      requireClient(id);
      requireClient(into);
      if (id === into) throw new ApiError(400, 'CLIENT_MERGE_SELF', `client ${id} cannot be merged into itself`);
      return mergeClients(store, id, into, request.body.confirm === true);
    },
  );

  app.get<{ Params: SessionParams; Querystring: ClientQuery }>(
    '/api/clients/:id/export',
    { schema: { params: clientParams, querystring: clientQuery } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      const file = clientExport(store, id, timelineOptions(request.query));
      if (!file) throw clientNotFound(id);
      void reply
        .header('content-type', 'application/json; charset=utf-8')
        .header('content-disposition', `attachment; filename="tableside-client-${id}.json"`)
        .header('cache-control', 'no-store');
      return JSON.stringify(file);
    },
  );

  // Privacy (README): the client with every session and reading on the record; refused while one records.
  app.delete<{ Params: SessionParams }>('/api/clients/:id', { schema: { params: clientParams } }, async (request) => {
    const id = idOf(request.params.id);
    requireClient(id);
    return deleteClient(store, id);
  });

  app.post<{ Params: SessionParams; Body: ReadingUploadBody }>(
    '/api/clients/:id/readings',
    { schema: { params: clientParams, body: readingUploadBody }, bodyLimit: 12 * 1024 * 1024 },
    async (request, reply) => {
      const id = idOf(request.params.id);
      requireClient(id);
      const { fileName, text, kind, at, user } = request.body;
      // Errors name the file "upload", not the name it was sent with: refusals are logged.
      const readings = readingsFromText(
        { name: 'upload', text },
        {
          ...(kind === undefined ? {} : { kind }),
          ...(at === undefined ? {} : { at }),
          ...(user === undefined ? {} : { user }),
        },
      ).map((r) => ({ ...r, source: r.source.replace(/^upload/, baseName(fileName)) }));
      const added = addReadings(store, id, readings);
      void reply.code(added.added > 0 ? 201 : 200);
      return {
        readings: readings.length,
        added: added.added,
        duplicates: added.duplicates,
        withoutValue: readings.filter((r) => r.reason !== null).length,
        ids: added.ids,
      };
    },
  );

  app.delete<{ Params: ReadingParams }>(
    '/api/clients/:id/readings/:readingId',
    { schema: { params: readingParams } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      const readingId = idOf(request.params.readingId);
      const reading = getReading(store, readingId);
      if (!reading || reading.clientId !== id) {
        throw new ApiError(404, 'READING_NOT_FOUND', `client ${id} has no reading ${readingId}`);
      }
      deleteReading(store, readingId);
      return reply.code(204).send();
    },
  );

  /** The main technique of a session, chosen by hand: kept when the session's values are computed again. */
  app.patch<{ Params: SessionParams; Body: SessionChangeBody }>(
    '/api/sessions/:id',
    { schema: { params: sessionParams, body: sessionChangeBody } },
    async (request) => {
      const id = idOf(request.params.id);
      const session = store.getSession(id);
      if (!session) throw sessionNotFound(id);
      if (!getSessionValues(store, id) && !computeSessionValues(store, id)) {
        throw new ApiError(409, 'SESSION_NO_VALUES', `session ${id} is still recording: end it first`);
      }
      return setMainTechnique(store, id, request.body.mainTechnique);
    },
  );
}

function timelineOptions(query: ClientQuery): { today?: string; normalSdFactor?: 0.5 | 1 } {
  return {
    ...(query.today === undefined ? {} : { today: query.today }),
    ...(query.normalSd === undefined ? {} : { normalSdFactor: query.normalSd === '1' ? 1 : 0.5 }),
  };
}
