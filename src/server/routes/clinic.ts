/**
 * The clinic overview's live routes (`tableside clinic`, ../clinic-app.ts):
 *
 * - `GET /api/clinic/tables`: every table heard of, online or offline, with its streams (src/clinic/overview.ts).
 * - `GET /api/clinic/health`: the broker (shown as scheme://host:port, and whether it answers), the tables, and the
 *   messages ignored as malformed, by reason.
 * - `GET /clinic/ws`: the page's socket. First `overview` (everything), then `table` whenever a table changes (a
 *   metric goes out in the turn it arrived), and `health` when the broker's state or the malformed counts changed
 *   (looked at once a second). Every message carries `nowMs`, the server's clock, so that a page on another device
 *   can tell the age of a metric without trusting its own clock. The page sends nothing but `ping`.
 */
import type { FastifyInstance } from 'fastify';
import type { WebSocket } from 'ws';
import type { ClinicOverview } from '../../clinic/overview.js';
import {
  type BrokerState,
  type ClinicHealth,
  type ClinicSocketMessage,
  type DatabaseState,
  MALFORMED_REASONS,
} from '../../clinic/shapes.js';
import { errorBody } from '../errors.js';
import { refuseForeignOrigin } from './viewer.js';

/** How often the broker's state and the malformed counts are looked at for the sockets, ms. */
export const CLINIC_HEALTH_EVERY_MS = 1000;
/** A page sends only pings: a larger frame closes the socket. */
export const CLINIC_WS_MAX_PAYLOAD_BYTES = 1024;
/** A socket whose unsent bytes pass this is closed: the page reconnects and gets the whole picture again. */
const SOCKET_HIGH_WATER_BYTES = 1024 * 1024;

export interface ClinicLive {
  readonly overview: ClinicOverview;
  /** the broker as the log shows it, and how it answers now */
  readonly broker: () => { readonly shown: string; readonly state: BrokerState };
  /** the clinic database as the log shows it, and how it answers now; absent without --clinic-db */
  readonly database?: () => { readonly shown: string; readonly state: DatabaseState };
}

export function clinicHealth(live: ClinicLive): ClinicHealth {
  const tables = live.overview.all;
  const malformed = live.overview.malformed;
  return {
    broker: live.broker(),
    database: live.database?.() ?? null,
    tables: tables.length,
    online: tables.filter((t) => t.online).length,
    accepted: live.overview.accepted,
    malformed: { ...malformed, total: MALFORMED_REASONS.reduce((sum, r) => sum + malformed[r], 0) },
  };
}

export function clinicLiveRoutes(app: FastifyInstance, live: ClinicLive): void {
  app.get('/api/clinic/tables', async () => ({ nowMs: Date.now(), tables: live.overview.all }));
  app.get('/api/clinic/health', async () => clinicHealth(live));

  const sockets = new Set<WebSocket>();
  const send = (socket: WebSocket, message: ClinicSocketMessage) => {
    if (socket.readyState !== socket.OPEN) return;
    if (socket.bufferedAmount > SOCKET_HIGH_WATER_BYTES) {
      socket.close(1013, 'too far behind: reconnect for the whole picture');
      return;
    }
    socket.send(JSON.stringify(message));
  };
  const unlisten = live.overview.onChange((table) => {
    if (sockets.size === 0) return;
    const text: ClinicSocketMessage = { type: 'table', nowMs: Date.now(), table };
    for (const socket of sockets) send(socket, text);
  });
  let lastHealth = '';
  const timer = setInterval(() => {
    if (sockets.size === 0) return;
    const health = clinicHealth(live);
    const key = JSON.stringify({
      b: health.broker.state,
      d: health.database?.state,
      m: health.malformed,
      o: health.online,
    });
    if (key === lastHealth) return;
    lastHealth = key;
    for (const socket of sockets) send(socket, { type: 'health', nowMs: Date.now(), health });
  }, CLINIC_HEALTH_EVERY_MS);
  timer.unref();
  app.addHook('onClose', async () => {
    clearInterval(timer);
    unlisten();
  });

  app.route({
    method: 'GET',
    url: '/clinic/ws',
    onRequest: refuseForeignOrigin,
    handler: async (_request, reply) =>
      reply
        .code(426)
        .header('upgrade', 'websocket')
        .send(
          errorBody(
            426,
            'WS_UPGRADE_REQUIRED',
            "/clinic/ws is the overview's WebSocket: open it with a WebSocket client",
          ),
        ),
    wsHandler: (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('message', (data) => {
        let ping = false;
        try {
          ping = (JSON.parse(data.toString()) as { type?: unknown }).type === 'ping';
        } catch {
          ping = false;
        }
        if (ping) send(socket, { type: 'pong', nowMs: Date.now() });
      });
      send(socket, { type: 'overview', nowMs: Date.now(), tables: live.overview.all, health: clinicHealth(live) });
    },
  });
}
