/**
 * A reading taken at the table, commanded over REST (never through the socket): `POST /api/streams/:stream/reading`
 * `{ clientId, kind, measureS }` starts one on that stream's strap — refused while a session records on the stream or
 * another reading runs there — and answers at once; its progress and its value reach the stream's viewers as
 * `reading` messages. `GET` gives the latest message of the reading running now, `DELETE` cancels it.
 */
import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../../daemon/daemon.js';
import { measureProblem } from '../../daemon/reading-job.js';
import { StreamBusy } from '../../daemon/stream.js';
import { READING_KINDS, type ReadingKind } from '../../domain/kinds.js';
import { getClient } from '../../store/clients.js';
import type { SessionStore } from '../../store/session-store.js';
import { READING_TIMING } from '../../viewers/protocol.js';
import { ApiError } from '../errors.js';
import { type StreamParams, streamParams } from '../schemas.js';
import { clientNotFound } from './clients.js';

const takeReadingBody = {
  type: 'object',
  additionalProperties: false,
  required: ['clientId', 'kind'],
  properties: {
    clientId: { type: 'integer', minimum: 1 },
    kind: { type: 'string', enum: READING_KINDS },
    measureS: { type: 'integer', minimum: READING_TIMING.measureMinS, maximum: READING_TIMING.measureMaxS },
  },
} as const;

interface TakeReadingBody {
  clientId: number;
  kind: ReadingKind;
  measureS?: number;
}

const BUSY_STATUS: Record<StreamBusy['code'], number> = {
  STREAM_RECORDING: 409,
  READING_RUNNING: 409,
  STREAM_NO_SOURCE: 409,
};

export function readingRoutes(app: FastifyInstance, daemon: Daemon, store: SessionStore): void {
  const requireStream = (id: string) => {
    const stream = daemon.stream(id);
    if (!stream) throw new ApiError(404, 'DAEMON_UNKNOWN_STREAM', `no stream ${id}: GET /api/streams lists them`);
    return stream;
  };

  app.post<{ Params: StreamParams; Body: TakeReadingBody }>(
    '/api/streams/:stream/reading',
    { schema: { params: streamParams, body: takeReadingBody } },
    async (request, reply) => {
      const stream = requireStream(request.params.stream);
      const { clientId, kind } = request.body;
      const measureS = request.body.measureS ?? READING_TIMING.measureDefaultS;
      const problem = measureProblem(measureS);
      if (problem) throw new ApiError(400, 'READING_BAD_MEASURE', problem);
      if (!getClient(store, clientId)) throw clientNotFound(clientId);
      try {
        const job = stream.takeReading({ clientId, kind, measureS });
        void reply.code(202);
        return job.state;
      } catch (err) {
        if (err instanceof StreamBusy) throw new ApiError(BUSY_STATUS[err.code], err.code, err.message);
        throw err;
      }
    },
  );

  app.get<{ Params: StreamParams }>(
    '/api/streams/:stream/reading',
    { schema: { params: streamParams } },
    async (request) => {
      const job = requireStream(request.params.stream).reading;
      if (!job)
        throw new ApiError(404, 'READING_NOT_RUNNING', `no reading is being taken on stream ${request.params.stream}`);
      return job.state;
    },
  );

  app.delete<{ Params: StreamParams }>(
    '/api/streams/:stream/reading',
    { schema: { params: streamParams } },
    async (request, reply) => {
      const stream = requireStream(request.params.stream);
      if (!stream.cancelReading('cancelled by the therapist')) {
        throw new ApiError(404, 'READING_NOT_RUNNING', `no reading is being taken on stream ${request.params.stream}`);
      }
      return reply.code(204).send();
    },
  );
}
