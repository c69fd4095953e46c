/**
 * The REST API. Reads go to the store; commands (start or end a session, set a phase, add or undo a marker) go to the
 * daemon, which stores them and tells the viewers, so a command shows on every screen the same way a beat does.
 */
import type { FastifyInstance } from 'fastify';
import type { Daemon } from '../../daemon/daemon.js';
import { exportSession, loadSessionRows, sessionSummary } from '../../io/session-export.js';
import { StoreError } from '../../store/errors.js';
import type { SessionStore } from '../../store/session-store.js';
import type { StoredSession } from '../../store/types.js';
import { ApiError, sessionNotFound } from '../errors.js';
import { PROTOCOL_VERSION } from '../protocol.js';
import {
  type ExportQuery,
  endSessionBody,
  exportQuery,
  idOf,
  type MarkerBody,
  type MarkerParams,
  markerBody,
  markerParams,
  type NewSessionBody,
  newSessionBody,
  type PhaseBody,
  phaseBody,
  type SessionParams,
  sessionParams,
  undoMarkerBody,
} from '../schemas.js';

export interface ApiDeps {
  readonly daemon: Daemon;
  readonly store: SessionStore;
  /** tableside's package version, for /api/health */
  readonly version: string;
}

export function apiRoutes(app: FastifyInstance, { daemon, store, version }: ApiDeps): void {
  const requireSession = (sessionId: number): StoredSession => {
    const session = store.getSession(sessionId);
    if (!session) throw sessionNotFound(sessionId);
    return session;
  };

  app.get('/api/health', async () => {
    return {
      ok: true,
      protocol: PROTOCOL_VERSION,
      version,
      source: daemon.sourceInfo,
      status: daemon.sourceStatus,
      sessionId: daemon.currentSessionId,
      recording: daemon.isRecording,
      viewers: daemon.hub.size,
    };
  });

  app.get('/api/sessions', async () => ({ sessions: store.listSessions() }));

  app.get<{ Params: SessionParams }>('/api/sessions/:id', { schema: { params: sessionParams } }, async (request) => {
    const id = idOf(request.params.id);
    const session = requireSession(id);
    const beats = store.getBeats(id);
    const phases = store.getPhases(id);
    const markers = store.getMarkers(id);
    return {
      session,
      beatCount: beats.length,
      phases,
      markers,
      gaps: store.getGaps(id),
      summary: sessionSummary({ beats, phases, markers }),
    };
  });

  app.post<{ Body: NewSessionBody }>('/api/sessions', { schema: { body: newSessionBody } }, async (request, reply) => {
    const session = daemon.startSession(request.body);
    void reply.code(201).header('location', `/api/sessions/${session.id}`);
    return session;
  });

  app.post<{ Params: SessionParams }>(
    '/api/sessions/:id/end',
    { schema: { params: sessionParams, body: endSessionBody } },
    async (request) => {
      const id = idOf(request.params.id);
      const session = requireSession(id);
      // Ending twice (a double tap, a retry) changes nothing.
      if (session.status !== 'recording') return session;
      if (daemon.currentSession?.id !== id) {
        throw new ApiError(409, 'DAEMON_NOT_CURRENT', `session ${id} is not the session being recorded`);
      }
      daemon.endSession('ended');
      return store.getSession(id) ?? session;
    },
  );

  app.post<{ Params: SessionParams; Body: PhaseBody }>(
    '/api/sessions/:id/phase',
    { schema: { params: sessionParams, body: phaseBody } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      requireSession(id);
      const phase = daemon.setPhase(id, request.body.kind);
      void reply.code(201);
      return phase;
    },
  );

  app.post<{ Params: SessionParams; Body: MarkerBody }>(
    '/api/sessions/:id/markers',
    { schema: { params: sessionParams, body: markerBody } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      requireSession(id);
      const marker = daemon.addMarker(id, request.body.kind, request.body.value);
      void reply.code(201);
      return marker;
    },
  );

  app.post<{ Params: MarkerParams }>(
    '/api/sessions/:id/markers/:markerId/undo',
    { schema: { params: markerParams, body: undoMarkerBody } },
    async (request) => {
      const id = idOf(request.params.id);
      const markerId = idOf(request.params.markerId);
      requireSession(id);
      try {
        return daemon.undoMarker(id, markerId);
      } catch (err) {
        if (err instanceof StoreError && err.code === 'STORE_NOT_FOUND') {
          throw new ApiError(404, 'MARKER_NOT_FOUND', `session ${id} has no marker ${markerId}`);
        }
        throw err;
      }
    },
  );

  app.get<{ Params: SessionParams; Querystring: ExportQuery }>(
    '/api/sessions/:id/export',
    { schema: { params: sessionParams, querystring: exportQuery } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      const rows = loadSessionRows(store, id, request.query.format);
      if (!rows) throw sessionNotFound(id);
      const file = exportSession(rows, request.query.format);
      void reply
        .header('content-type', file.contentType)
        .header('content-disposition', `attachment; filename="${file.fileName}"`)
        .header('cache-control', 'no-store');
      return file.text;
    },
  );
}
