/**
 * The REST API. Reads go to the store; commands (start or end a session, set a phase, add or undo a marker) go to the
 * daemon, which stores them and tells the viewers, so a command shows on every screen the same way a beat does.
 */
import type { FastifyInstance } from 'fastify';
import type { ClinicLookup } from '../../clinic/lookup.js';
import type { Daemon } from '../../daemon/daemon.js';
import type { SourceCatalog, SourceChoice } from '../../daemon/source-catalog.js';
import type { LogsState } from '../../host/logger.js';
import { exportSession, loadSessionRows, sessionSummary } from '../../io/session-export.js';
import { deleteSession } from '../../store/admin.js';
import { findOrCreateClient, getClient } from '../../store/clients.js';
import { StoreError } from '../../store/errors.js';
import type { SessionStore } from '../../store/session-store.js';
import type { StoredClient, StoredSession } from '../../store/types.js';
import { PROTOCOL } from '../../viewers/protocol.js';
import { ApiError, sessionNotFound } from '../errors.js';
import {
  type ExportQuery,
  endSessionBody,
  exportQuery,
  healthResponse,
  idOf,
  type MarkerBody,
  type MarkerParams,
  markerBody,
  markerParams,
  type NewSessionBody,
  newSessionBody,
  type PhaseBody,
  phaseBody,
  type ScanBody,
  type SessionParams,
  type StreamParams,
  scanBody,
  sessionParams,
  sourceChoiceBody,
  streamParams,
  undoMarkerBody,
} from '../schemas.js';
import { checkClientName, clientNotFound } from './clients.js';

export interface ApiDeps {
  readonly daemon: Daemon;
  readonly store: SessionStore;
  /** tableside's package version, for /api/health */
  readonly version: string;
  /** the sources a viewer may choose; without it, streams keep the sources they started with */
  readonly catalog?: SourceCatalog;
  /** where the daemon's log goes and whether it flows (host/logger.ts) */
  readonly logs?: () => LogsState;
  /** the clinic database: a client made here by a name it knows takes its uid and note */
  readonly clinic?: ClinicLookup;
}

export function apiRoutes(app: FastifyInstance, { daemon, store, version, catalog, logs, clinic }: ApiDeps): void {
  const requireCatalog = (): SourceCatalog => {
    if (!catalog) throw new ApiError(409, 'SOURCE_FIXED', 'this tableside was started with a fixed source');
    return catalog;
  };
  const requireSession = (sessionId: number): StoredSession => {
    const session = store.getSession(sessionId);
    if (!session) throw sessionNotFound(sessionId);
    return session;
  };

  app.get('/api/health', { schema: { response: { 200: healthResponse } } }, async () => {
    return {
      ok: true,
      protocol: PROTOCOL.version,
      version,
      source: daemon.sourceInfo,
      status: daemon.sourceStatus,
      sessionId: daemon.currentSessionId,
      recording: daemon.isRecording,
      viewers: daemon.viewerCount,
      streams: daemon.streams,
      logs: logs?.() ?? null,
    };
  });

  // ── streams and their sources ─────────────────────────────────────────────────────────────────────────────────

  app.get('/api/streams', async () => ({ streams: daemon.streams }));

  /** What a stream's source may be changed to. */
  app.get('/api/sources', async () => ({
    bluetooth: catalog?.bluetooth ?? false,
    /** a strap connected by the page itself (Web Bluetooth) */
    browser: catalog !== undefined,
    simulated: catalog !== undefined,
    recordings: catalog?.recordings() ?? [],
  }));

  app.post<{ Body: ScanBody }>('/api/straps/scan', { schema: { body: scanBody } }, async (request) => {
    const straps = await requireCatalog().straps(request.body.seconds ?? 4);
    return { straps };
  });

  // Choosing a source ends the session being recorded: a session's report names the straps it recorded.
  app.put<{ Params: StreamParams; Body: SourceChoice }>(
    '/api/streams/:stream/source',
    { schema: { params: streamParams, body: sourceChoiceBody } },
    async (request) => {
      const next = await requireCatalog().create(request.params.stream, request.body);
      return daemon.replaceSource(request.params.stream, next);
    },
  );

  app.delete<{ Params: StreamParams }>(
    '/api/streams/:stream',
    { schema: { params: streamParams } },
    async (request, reply) => {
      daemon.removeStream(request.params.stream);
      return reply.code(204).send();
    },
  );

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
    const { clientId, clientName, clientLabel, therapistNote } = request.body;
    // The client: by id, or by name (created when new); an old caller's label is a name too ('' is no client).
    let client: StoredClient | undefined;
    if (clientId !== undefined) {
      client = getClient(store, clientId);
      if (!client) throw clientNotFound(clientId);
    } else {
      const name = clientName ?? clientLabel;
      checkClientName(clientName);
      if (name !== undefined && name.trim() !== '') {
        const found = findOrCreateClient(store, name);
        client = found.client;
        if (found.created && clinic) await clinic.created(client.id);
      }
    }
    const session = daemon.startSession({
      clientLabel: client?.name ?? clientLabel ?? '',
      ...(therapistNote === undefined ? {} : { therapistNote }),
      clientId: client?.id ?? null,
    });
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
      if (!daemon.isCurrentSession(id)) {
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

  // Privacy (README): a session and everything stored with it, its companion streams too. The session being recorded
  // is refused by the store (409 STORE_RECORDING); deleted rows are overwritten with zeros in the file.
  app.delete<{ Params: SessionParams }>(
    '/api/sessions/:id',
    { schema: { params: sessionParams } },
    async (request, reply) => {
      const id = idOf(request.params.id);
      if (!deleteSession(store, id)) throw sessionNotFound(id);
      return reply.code(204).send();
    },
  );
}
