/**
 * `--tls` end to end in process: the self-signed certificate tableside makes (src/host/tls-certificate.ts) served
 * by the real app on a real port of 127.0.0.1, checked by Node's own TLS client against that certificate — its
 * fingerprint, the names it is valid for — with the access token on: REST, the pairing cookie (Secure now) and the
 * live socket over wss.
 */
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { selfSignedCertificate, type TlsCertificate } from '../../src/host/tls-certificate.js';
import { TOKEN_COOKIE } from '../../src/server/access.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { tempDir } from '../helpers/daemon-process.js';
import { type Rig, rig } from './harness.js';

const TOKEN = 'https-test-token-0123456789abcdefghijklmnop';
const dir = tempDir('tableside-https-');
let tls: TlsCertificate;
let r: Rig;
let port: number;

beforeAll(async () => {
  tls = await selfSignedCertificate(dir.path);
  r = await rig({
    source: simulatedSource({ seed: 5, durationS: 600, speed: 1 }),
    access: { token: () => TOKEN },
    https: { cert: tls.cert, key: tls.key },
  });
  r.daemon.start();
  await r.app.listen({ host: '127.0.0.1', port: 0 });
  const address = r.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  await r?.close();
  dir.remove();
});

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  fingerprint256: string;
}

/** GET over TLS, trusting only tableside's certificate and checking the name the request is sent to. */
function get(path: string, headers: Record<string, string> = {}, name = '127.0.0.1'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        servername: name === '127.0.0.1' ? undefined : name,
        port,
        path,
        ca: tls.cert,
        headers: { host: `${name}:${port}`, ...headers },
      },
      (res) => {
        const fingerprint256 = (res.socket as TLSSocket).getPeerCertificate().fingerprint256;
        let body = '';
        res.on('data', (d) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, fingerprint256 }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function firstMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    ws.once('message', (data) => resolve(JSON.parse(String(data))));
    ws.once('error', reject);
  });
}

describe('HTTPS with the self-signed certificate, over a real port', () => {
  it('serves the certificate tableside printed, valid for 127.0.0.1 and localhost', async () => {
    const health = await get('/api/health', { authorization: `Bearer ${TOKEN}` });
    expect(health.status).toBe(200);
    expect(health.fingerprint256).toBe(tls.fingerprint256);
    const byName = await get('/api/health', { authorization: `Bearer ${TOKEN}` }, 'localhost');
    expect(byName.status).toBe(200);
    expect(tls.subjectAltName).toMatch(/IP Address:127\.0\.0\.1/);
    expect(tls.subjectAltName).toMatch(/DNS:localhost/);
  });

  it('needs the token (401 without), pairs with a Secure cookie, and sends live values over wss', async () => {
    const none = await get('/api/health');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ code: 'TOKEN_REQUIRED' });

    const paired = await get(`/?token=${TOKEN}`, { accept: 'text/html' });
    expect(paired.status).toBe(200);
    const cookie = String(paired.headers['set-cookie']);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; SameSite=Strict/);
    expect(String(paired.headers['content-security-policy'])).toContain(`connect-src 'self' wss://127.0.0.1:${port}`);

    const page = await get('/', { cookie: `${TOKEN_COOKIE}=${TOKEN}` });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>tableside');

    const url = `wss://127.0.0.1:${port}/ws`;
    const refused = new WebSocket(url, { ca: tls.cert });
    await expect(firstMessage(refused)).rejects.toThrow(/401/);

    const ws = new WebSocket(url, { ca: tls.cert, headers: { cookie: `${TOKEN_COOKIE}=${TOKEN}` } });
    const hello = await firstMessage(ws);
    expect(hello).toMatchObject({ type: 'hello', protocol: 2 });
    ws.close();
  });

  it('refuses a client that does not trust the certificate: it is not a public one', async () => {
    const untrusted = new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/api/health' }, resolve);
      req.on('error', reject);
      req.end();
    });
    await expect(untrusted).rejects.toThrow(/self-signed|self signed/i);
  });
});
