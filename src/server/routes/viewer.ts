/**
 * `GET /ws`: the live view's socket (protocol v2, see ../protocol.ts). The hub sends `hello` and everything after it;
 * this file only answers what a viewer sends: `ping` gets `pong`; a page that connected a strap itself feeds it to the
 * daemon (`strap-status`, `strap-notification`: see the daemon's `feedFromPage`); anything else gets an `error`, and
 * the socket stays open.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Daemon } from '../../daemon/daemon.js';
import { CLIENT_STREAM } from '../../daemon/stream.js';
import { answerViewer, PROTOCOL, readStrapMessage } from '../../viewers/protocol.js';
import { sameHost } from '../access.js';
import { errorBody } from '../errors.js';

/** A viewer only ever sends pings: a bigger frame is refused by `ws` (close 1009). */
export const VIEWER_MAX_PAYLOAD_BYTES = PROTOCOL.viewerMaxPayloadBytes;

/** A page over the strap rate bound is told at most this often. */
const FLOOD_TOLD_EVERY_MS = 1000;

export function viewerRoutes(app: FastifyInstance, daemon: Daemon): void {
  app.route<{ Querystring: { stream?: string } }>({
    method: 'GET',
    url: '/ws',
    onRequest: refuseForeignOrigin,
    preValidation: requireKnownStream(daemon),
    // A plain GET (a browser tab, curl without the upgrade headers) gets an answer in the API's own shape.
    handler: async (_request, reply) =>
      reply
        .code(426)
        .header('upgrade', 'websocket')
        .send(
          errorBody(426, 'WS_UPGRADE_REQUIRED', "/ws is the live view's WebSocket: open it with a WebSocket client"),
        ),
    wsHandler: (socket, request) => {
      const hub = daemon.hubFor(request.query.stream ?? CLIENT_STREAM);
      // The stream was there a moment ago (preValidation); if it has just been removed, say so and close.
      if (!hub) {
        socket.close(4404, 'no such stream');
        return;
      }
      const stream = request.query.stream ?? CLIENT_STREAM;
      // A page that connected a strap itself feeds it through this socket; when the socket goes, so does the strap.
      socket.on('close', () => daemon.pageGone(socket));
      // A flooding page is told once a second, not once per dropped notification.
      let floodToldAt = Number.NEGATIVE_INFINITY;
      hub.add(socket, (data) => {
        const strap = readStrapMessage(data);
        const answer =
          strap === null
            ? answerViewer(data)
            : strap.type === 'error'
              ? strap
              : daemon.feedFromPage(stream, socket, strap);
        if (answer === null || socket.readyState !== socket.OPEN) return;
        if (answer.type === 'error' && answer.code === 'WS_STRAP_FLOOD') {
          const now = Date.now();
          if (now - floodToldAt < FLOOD_TOLD_EVERY_MS) return;
          floodToldAt = now;
        }
        socket.send(JSON.stringify(answer));
      });
    },
  });
}

/** `/ws?stream=ID` follows one stream (one strap); an unknown one is refused before the upgrade, with a 404. */
function requireKnownStream(daemon: Daemon) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const stream = (request.query as { stream?: unknown }).stream ?? CLIENT_STREAM;
    if (typeof stream === 'string' && daemon.hubFor(stream)) return undefined;
    const shown = typeof stream === 'string' ? JSON.stringify(stream.slice(0, 40)) : 'given more than once';
    return reply
      .code(404)
      .send(errorBody(404, 'DAEMON_UNKNOWN_STREAM', `no stream ${shown}: GET /api/streams lists them`));
  };
}

/**
 * A browser page from another site could open this socket (WebSockets are not bound by CORS) and read a client's
 * heart data: refuse an `Origin` that is not this server. No `Origin` (curl, scripts, tests) is not a browser page.
 */
export async function refuseForeignOrigin(
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<FastifyReply | undefined> {
  const origin = request.headers.origin;
  if (origin === undefined || sameHost(origin, request.headers.host)) return undefined;
  request.log.warn({ origin }, 'viewer socket from another origin refused');
  return reply.code(403).send(errorBody(403, 'WS_ORIGIN_REFUSED', 'the live view must be opened from this server'));
}
