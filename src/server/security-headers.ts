/**
 * Security headers on every response, through @fastify/helmet, with a Content-Security-Policy that the pages pass as
 * they are: every script and style sheet is a file from this daemon (`web/`, `/vendor/uplot/`), no inline script,
 * no inline style, no `style=` attribute (the pages set element styles through CSSOM, which CSP allows), nothing from
 * another site. So a note or client label that ever slipped into the page as markup could not run.
 *
 * Left out on purpose:
 * - `Strict-Transport-Security`: with the self-signed certificate of `--tls`, HSTS would stop the browser from
 *   letting the user accept the certificate again after it is replaced; and on plain HTTP it means nothing.
 * - `upgrade-insecure-requests`: on the plain-HTTP LAN view it would send the page's requests to an HTTPS port
 *   that does not exist.
 */
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** The CSP directives (as helmet takes them); exported for the tests. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'"],
  fontSrc: ["'self'"],
  // 'self' covers ws:/wss: to the same host in CSP 3, but older Safari (iPad) needs the socket's address spelled out.
  connectSrc: ["'self'", socketSource],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

export async function securityHeaders(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    strictTransportSecurity: false,
    // The pages are never framed (clickjacking a phase button); the CSP says it too, for newer browsers.
    xFrameOptions: { action: 'deny' },
    // The pairing URL carries the token: no page sends its address to anyone.
    referrerPolicy: { policy: 'no-referrer' },
    crossOriginEmbedderPolicy: false,
  });
}

/**
 * `ws://host:port` (or `wss://` over TLS) for the request's own `Host`. The Host check (access.ts) refuses any other
 * name before a page is served; this only makes sure a header that is not a plain host cannot add to the policy.
 */
function socketSource(req: { headers: { host?: string }; socket?: unknown }): string {
  const host = req.headers.host ?? '';
  if (!/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return "'self'";
  const tls = (req.socket as { encrypted?: boolean } | undefined)?.encrypted === true;
  return `${tls ? 'wss' : 'ws'}://${host}`;
}
