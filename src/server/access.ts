/**
 * Who may use the daemon. Three checks run on every request, before any route, the pages and the viewer socket:
 *
 * 1. **Host** (always, also on localhost): a request must name this daemon — `localhost`, an IP address, this
 *    machine's name or `.local` name, or the `--host` name. A web page on another site can point its own DNS name at
 *    127.0.0.1 or at this machine's LAN address ("DNS rebinding") and then read the API as if it were same-origin;
 *    its requests still carry its own name in `Host`, and are refused. IP addresses are always accepted: a page can
 *    only be same-origin with an address by having been loaded from that address, i.e. from this daemon.
 * 2. **Origin** on every state-changing request (POST, PUT, PATCH, DELETE): a page from another site must not start
 *    or end sessions here (CSRF). No `Origin` means no browser page (curl, scripts), as for `/ws` (routes/viewer.ts).
 * 3. **Access token** when the daemon listens beyond this machine: each device shows the token once through the
 *    pairing URL (`/?token=…`), which sets an HttpOnly, SameSite=Strict cookie and loads the page without the token;
 *    scripts send `Authorization: Bearer <token>`. Without it: 401; after `TOKEN_FAILURES_PER_WINDOW` wrong tokens
 *    from one address within `TOKEN_FAILURE_WINDOW_MS`: 429 for that address until the window ends.
 *
 * | status | code                 | when                                                                   |
 * | ------ | -------------------- | ---------------------------------------------------------------------- |
 * | 403    | `HOST_REFUSED`       | the `Host` header names something other than this daemon               |
 * | 403    | `ORIGIN_REFUSED`     | a state-changing request from a page of another site                   |
 * | 401    | `TOKEN_REQUIRED`     | listening on the network and the request carries no token              |
 * | 401    | `TOKEN_INVALID`      | it carries a token that is not the current one (e.g. after a rotation) |
 * | 429    | `TOKEN_RATE_LIMITED` | too many wrong tokens from this address                                |
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { unbracket } from '../host/network.js';
import { errorBody } from './errors.js';

export type AccessErrorCode =
  | 'HOST_REFUSED'
  | 'ORIGIN_REFUSED'
  | 'TOKEN_REQUIRED'
  | 'TOKEN_INVALID'
  | 'TOKEN_RATE_LIMITED';

export interface AccessOptions {
  /** the names (besides IP addresses) a request's `Host` may carry; lower case (see host/network.ts) */
  readonly hostNames: readonly string[];
  /**
   * The token every request must carry, when the daemon listens beyond this machine; read at every check, so that a
   * rotated token takes effect at once. Undefined: listening on loopback only, no token needed.
   */
  readonly token?: () => string;
  /** served over HTTPS: the cookie is marked Secure */
  readonly secure: boolean;
}

/** The cookie a paired browser keeps the token in. */
export const TOKEN_COOKIE = 'tableside_token';
/** The query parameter of the pairing URL. */
export const TOKEN_QUERY = 'token';

/**
 * 400 days: the longest a browser keeps a cookie (Chrome caps Max-Age there). A tablet stays paired until the token
 * is rotated, not until some session timeout in the middle of a massage.
 */
export const TOKEN_COOKIE_MAX_AGE_S = 400 * 24 * 3600;

/** Wrong tokens one address may send within a window before it is refused with 429. */
export const TOKEN_FAILURES_PER_WINDOW = 10;
export const TOKEN_FAILURE_WINDOW_MS = 60_000;

/** How often a rotation of the token is looked for, to close the viewer sockets opened with the old one (ms). */
const ROTATION_CHECK_MS = 2000;

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Adds the three checks as `onRequest` hooks on the root instance, so they run before every route, the static files
 * and the socket upgrade. Needs @fastify/cookie and @fastify/rate-limit registered first.
 */
export function accessControl(app: FastifyInstance, options: AccessOptions): void {
  const hostNames = new Set(options.hostNames.map((n) => n.toLowerCase()));

  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host;
    // Browsers always send Host, so a request without one is no rebinding page (an HTTP/1.0 client, a test).
    if (host === undefined || isOwnHost(host, hostNames)) return;
    request.log.warn({ host }, 'request for another host refused');
    return refuse(reply, 403, 'HOST_REFUSED', `tableside does not answer to the host ${JSON.stringify(host)}`);
  });

  app.addHook('onRequest', async (request, reply) => {
    if (!STATE_CHANGING.has(request.method)) return;
    const origin = request.headers.origin;
    if (origin === undefined || sameHost(origin, request.headers.host)) return;
    request.log.warn({ origin, method: request.method, url: urlForLog(request.url) }, 'request from another site');
    return refuse(reply, 403, 'ORIGIN_REFUSED', 'commands must come from a page of this tableside');
  });

  const token = options.token;
  if (token === undefined) return;

  const failures = app.createRateLimit({
    max: TOKEN_FAILURES_PER_WINDOW,
    timeWindow: TOKEN_FAILURE_WINDOW_MS,
    // Per client address. A socket upgrade made in-process (app.injectWS) has none: those share one key.
    keyGenerator: (request) => request.ip ?? 'no address',
  });
  app.addHook('onRequest', async (request, reply) => {
    // Peek first: an address that guessed too often is refused even if this guess is right.
    const before = await failures(request, { increment: false });
    if (!before.isAllowed && before.isExceeded) return rateLimited(request, reply, before.ttl, 'debug');

    const { given, via } = presentedToken(request);
    if (given === undefined) {
      return unauthorised(
        request,
        reply,
        'TOKEN_REQUIRED',
        'this tableside needs its access token: open the pairing link',
      );
    }
    if (!sameToken(given, token())) {
      const after = await failures(request);
      request.log.warn({ via, remoteAddress: request.ip }, 'wrong access token');
      if (!after.isAllowed && after.isExceeded) return rateLimited(request, reply, after.ttl, 'warn');
      return unauthorised(request, reply, 'TOKEN_INVALID', 'the access token is not valid (it may have been rotated)');
    }
    if (via === 'query') return paired(request, reply, given, options.secure);
    return undefined;
  });

  // A rotation unpairs every device: close the live sockets opened with the old token (new ones need the new one).
  let known = token();
  let timer: NodeJS.Timeout | undefined;
  app.addHook('onReady', async () => {
    timer = setInterval(() => {
      const now = token();
      if (now === known) return;
      known = now;
      const clients = app.websocketServer?.clients ?? new Set();
      app.log.info({ viewers: clients.size }, 'access token rotated: closing the viewer sockets');
      for (const client of clients) client.close(1008, 'the access token was rotated: pair this screen again');
    }, ROTATION_CHECK_MS);
    timer.unref();
  });
  app.addHook('onClose', async () => clearInterval(timer));
}

/** Whether `host` (a `Host` header: name or address, with or without a port) names this daemon. */
export function isOwnHost(host: string, names: ReadonlySet<string>): boolean {
  const name = hostWithoutPort(host);
  if (name === undefined) return false;
  if (isIP(name) !== 0) return true;
  return names.has(name.replace(/\.$/, ''));
}

/** `localhost:8080` → `localhost`, `[::1]:8080` → `::1`, `192.168.1.5` → itself; undefined when malformed. */
export function hostWithoutPort(host: string): string | undefined {
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    if (end < 0) return undefined;
    const rest = h.slice(end + 1);
    if (rest !== '' && !/^:\d{1,5}$/.test(rest)) return undefined;
    return unbracket(h.slice(0, end + 1));
  }
  const m = /^([a-z0-9.-]+)(?::\d{1,5})?$/.exec(h);
  return m === null ? undefined : m[1];
}

/** Origin `https://host:port` against the request's `Host`: the same daemon? */
export function sameHost(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host.toLowerCase();
  } catch {
    // "null" (a sandboxed frame, a file:// page) or garbage
    return false;
  }
}

function presentedToken(request: FastifyRequest): { given?: string; via?: 'header' | 'cookie' | 'query' } {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    return m === null ? { given: '', via: 'header' } : { given: m[1], via: 'header' };
  }
  const fromQuery = isPage(request) ? queryToken(request.url) : undefined;
  if (fromQuery !== undefined) return { given: fromQuery, via: 'query' };
  const cookie = request.cookies[TOKEN_COOKIE];
  if (cookie !== undefined) return { given: cookie, via: 'cookie' };
  return {};
}

/** Compares in constant time (hashes first, so that the length of the token does not show either). */
function sameToken(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** A page (not the API, not the socket) that a browser navigates to: the pairing URL's `?token=` works only here. */
function isPage(request: FastifyRequest): boolean {
  if (request.method !== 'GET' && request.method !== 'HEAD') return false;
  const path = request.url.split('?')[0] as string;
  return !path.startsWith('/api/') && path !== '/ws';
}

function queryToken(url: string): string | undefined {
  const q = url.indexOf('?');
  if (q < 0) return undefined;
  return new URLSearchParams(url.slice(q + 1)).get(TOKEN_QUERY) ?? undefined;
}

/** The URL without its `token` parameter (the address to load after pairing, and the one to log). */
export function withoutToken(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  params.delete(TOKEN_QUERY);
  const rest = params.toString();
  return rest === '' ? url.slice(0, q) : `${url.slice(0, q)}?${rest}`;
}

/** Request URLs go to the log without the token. */
export function urlForLog(url: string): string {
  return url.includes(`${TOKEN_QUERY}=`) ? withoutToken(url) : url;
}

/**
 * The pairing URL was right: keep the token in a cookie and load the same page without it. The page is loaded by a
 * `<meta http-equiv="refresh">` from this response rather than by a 3xx redirect: a SameSite=Strict cookie is not
 * sent on a redirect that follows a link from another site (a chat or mail in the browser), but it is on a
 * navigation this page starts itself. The token then no longer sits in the address bar.
 */
function paired(request: FastifyRequest, reply: FastifyReply, token: string, secure: boolean): FastifyReply {
  const target = withoutToken(request.url);
  request.log.info({ remoteAddress: request.ip }, 'device paired');
  return reply
    .setCookie(TOKEN_COOKIE, token, {
      httpOnly: true,
      sameSite: 'strict',
      secure,
      path: '/',
      maxAge: TOKEN_COOKIE_MAX_AGE_S,
    })
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      page(
        'tableside · paired',
        // The icon the pages use: without it the browser asks for /favicon.ico, which does not exist.
        `<meta http-equiv="refresh" content="0; url=${escapeHtml(target)}" />` +
          '<link rel="icon" href="/favicon.svg" type="image/svg+xml" />',
        `<p>This device is paired with tableside. <a href="${escapeHtml(target)}">Open the live screen</a>.</p>`,
      ),
    );
}

function unauthorised(
  request: FastifyRequest,
  reply: FastifyReply,
  code: 'TOKEN_REQUIRED' | 'TOKEN_INVALID',
  message: string,
): FastifyReply {
  void reply.header('www-authenticate', 'Bearer realm="tableside"');
  if (!wantsHtml(request)) return refuse(reply, 401, code, message);
  return reply
    .code(401)
    .header('cache-control', 'no-store')
    .type('text/html; charset=utf-8')
    .send(
      page(
        'tableside · not paired',
        '',
        '<h1>This device is not paired with tableside</h1>' +
          `<p>${code === 'TOKEN_INVALID' ? 'Its access token is no longer valid (it was rotated). ' : ''}` +
          'On the computer running tableside, scan the QR code it shows with this device, or open the link printed ' +
          'beside it. <code>tableside token</code> shows them again.</p>',
      ),
    );
}

/** `level`: warn when an address reaches the limit, debug for its requests after that (no log flood from a guesser). */
function rateLimited(
  request: FastifyRequest,
  reply: FastifyReply,
  ttlMs: number,
  level: 'warn' | 'debug',
): FastifyReply {
  const retryS = Math.max(1, Math.ceil(ttlMs / 1000));
  request.log[level]({ remoteAddress: request.ip, retryS }, 'too many wrong access tokens');
  void reply.header('retry-after', String(retryS));
  return refuse(reply, 429, 'TOKEN_RATE_LIMITED', `too many wrong access tokens: try again in ${retryS} s`);
}

function refuse(reply: FastifyReply, status: number, code: AccessErrorCode, message: string): FastifyReply {
  return reply.code(status).send(errorBody(status, code, message));
}

/** A browser navigating to a page gets words; the API, the socket and scripts get the JSON error. */
function wantsHtml(request: FastifyRequest): boolean {
  return isPage(request) && (request.headers.accept ?? '').includes('text/html');
}

/** A complete page that passes the Content-Security-Policy: no script, no inline style. */
function page(title: string, head: string, body: string): string {
  return (
    '<!doctype html><html lang="en"><head><meta charset="utf-8" />' +
    '<meta name="viewport" content="width=device-width, initial-scale=1" />' +
    `<meta name="color-scheme" content="dark light" /><title>${escapeHtml(title)}</title>${head}</head>` +
    `<body>${body}</body></html>`
  );
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** fastify's request serializer for the log, with the pairing URL's token taken out. */
export function requestForLog(request: FastifyRequest): Record<string, unknown> {
  return {
    method: request.method,
    url: urlForLog(request.url),
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort,
  };
}
