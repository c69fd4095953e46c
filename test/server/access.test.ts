/**
 * Who may use the daemon (src/server/access.ts, src/server/security-headers.ts), on the real app with a simulated
 * strap: the Host check against DNS rebinding, the Origin check on commands, the access token on the network
 * (header, cookie, pairing URL, rotation, rate-limited failures), the security headers, and no way out of `web/`.
 * Requests go through `app.inject` and `app.injectWS`; test/server/https.test.ts does the same over a real TLS port.
 */
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import {
  hostWithoutPort,
  isOwnHost,
  TOKEN_COOKIE,
  TOKEN_FAILURES_PER_WINDOW,
  withoutToken,
} from '../../src/server/access.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { eventually, type Rig, rig, Viewer, WEB_ROOT } from './harness.js';

const TOKEN = 'test-token-0123456789abcdefghijklmnopqrstuv';
const HOST = { host: 'localhost:8080' };

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** A daemon on a simulated strap; `token` set: as if listening on the network. */
async function daemon(token?: () => string): Promise<Rig> {
  r = await rig({
    source: simulatedSource({ seed: 3, durationS: 600, speed: 1 }),
    ...(token === undefined ? {} : { access: { token } }),
  });
  r.daemon.start();
  return r;
}

type Res = { statusCode: number; json(): unknown; headers: Record<string, unknown>; body: string };

function expectError(res: Res, statusCode: number, code: string): void {
  expect(res.statusCode).toBe(statusCode);
  expect(res.json()).toMatchObject({ statusCode, code });
}

function wsClosed(ws: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => ws.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
}

describe('the Host check (DNS rebinding), also on localhost', () => {
  it('answers to localhost, IP addresses and this machine’s own names, with or without a port', async () => {
    const { app } = await daemon();
    const name = hostname().toLowerCase();
    for (const host of [
      'localhost:8080',
      'localhost',
      'LOCALHOST:8080',
      '127.0.0.1:8080',
      '[::1]:8080',
      '192.168.1.23:8080',
      '[fd00::2]:8443',
      `${name}:8080`,
      `${name.split('.')[0]}.local:8080`,
    ]) {
      const res = await app.inject({ method: 'GET', url: '/api/health', headers: { host } });
      expect(res.statusCode, host).toBe(200);
    }
  });

  it('refuses a page whose own name was pointed at this machine: REST, pages and the socket', async () => {
    const { app, store } = await daemon();
    // What a rebinding page sends: its own name in Host, and (for a command) its own origin, which matches it.
    const rebound = { host: 'rebind.example:8080', origin: 'http://rebind.example:8080' };
    expectError(await app.inject({ method: 'GET', url: '/api/sessions', headers: rebound }), 403, 'HOST_REFUSED');
    expectError(await app.inject({ method: 'GET', url: '/', headers: rebound }), 403, 'HOST_REFUSED');
    const before = store.listSessions().length;
    const post = await app.inject({ method: 'POST', url: '/api/sessions', headers: rebound, payload: {} });
    expectError(post, 403, 'HOST_REFUSED');
    expect(store.listSessions()).toHaveLength(before);
    await expect(app.injectWS('/ws', { headers: rebound })).rejects.toThrow(/403/);
    for (const host of ['localhost.rebind.example', 'evil.localhost', 'localhost:8080@evil.example']) {
      expectError(await app.inject({ method: 'GET', url: '/api/health', headers: { host } }), 403, 'HOST_REFUSED');
    }
  });

  it('parses Host headers', () => {
    expect(hostWithoutPort('[::1]:8080')).toBe('::1');
    expect(hostWithoutPort('[::1]')).toBe('::1');
    expect(hostWithoutPort('Example.Local:80')).toBe('example.local');
    expect(hostWithoutPort('[::1]x')).toBeUndefined();
    expect(hostWithoutPort('a b')).toBeUndefined();
    const names = new Set(['localhost', 'clinic-pc', 'clinic-pc.local']);
    expect(isOwnHost('clinic-pc.local.:8080', names)).toBe(true);
    expect(isOwnHost('clinic-pc.evil.example', names)).toBe(false);
    expect(isOwnHost('10.0.0.7', names)).toBe(true);
  });
});

describe('the Origin check on commands', () => {
  it('refuses a command from a page of another site, and takes one from this daemon’s page or a script', async () => {
    const { app, store } = await daemon();
    const before = store.listSessions().length;
    for (const origin of ['https://evil.example', 'http://localhost:9999', 'null']) {
      const res = await app.inject({
        method: 'POST',
        url: '/api/sessions',
        headers: { ...HOST, origin },
        payload: { clientLabel: 'x' },
      });
      expectError(res, 403, 'ORIGIN_REFUSED');
    }
    expect(store.listSessions()).toHaveLength(before);

    const own = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...HOST, origin: 'http://localhost:8080' },
      payload: {},
    });
    expect(own.statusCode).toBe(201);
    const script = await app.inject({ method: 'POST', url: '/api/sessions', headers: HOST, payload: {} });
    expect(script.statusCode).toBe(201);
    // Reads stay readable to this daemon's pages only: no CORS header lets another site read them.
    const read = await app.inject({
      method: 'GET',
      url: '/api/sessions',
      headers: { ...HOST, origin: 'https://evil.example' },
    });
    expect(read.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('keeps refusing a socket from another origin with WS_ORIGIN_REFUSED', async () => {
    const { app } = await daemon();
    await expect(app.injectWS('/ws', { headers: { ...HOST, origin: 'https://evil.example' } })).rejects.toThrow(/403/);
  });
});

describe('the access token, when listening on the network', () => {
  it('refuses REST, pages, files and the socket without it (401), and takes it as a header or a cookie', async () => {
    const { app } = await daemon(() => TOKEN);
    const none = await app.inject({ method: 'GET', url: '/api/health', headers: HOST });
    expectError(none, 401, 'TOKEN_REQUIRED');
    expect(none.headers['www-authenticate']).toBe('Bearer realm="tableside"');
    for (const url of ['/api/sessions', '/app.js', '/style.css', '/vendor/uplot/uPlot.esm.js', '/sessions/1']) {
      expectError(await app.inject({ method: 'GET', url, headers: HOST }), 401, 'TOKEN_REQUIRED');
    }
    expectError(
      await app.inject({ method: 'POST', url: '/api/sessions', headers: HOST, payload: {} }),
      401,
      'TOKEN_REQUIRED',
    );
    // The pairing URL's token works on pages only: the API and the socket take the header or the cookie.
    expectError(
      await app.inject({ method: 'GET', url: `/api/health?token=${TOKEN}`, headers: HOST }),
      401,
      'TOKEN_REQUIRED',
    );
    await expect(app.injectWS('/ws', { headers: HOST })).rejects.toThrow(/401/);
    await expect(app.injectWS(`/ws?token=${TOKEN}`, { headers: HOST })).rejects.toThrow(/401/);

    const bearer = { ...HOST, authorization: `Bearer ${TOKEN}` };
    expect((await app.inject({ method: 'GET', url: '/api/health', headers: bearer })).statusCode).toBe(200);
    const cookie = { ...HOST, cookie: `${TOKEN_COOKIE}=${TOKEN}` };
    expect((await app.inject({ method: 'GET', url: '/api/health', headers: cookie })).statusCode).toBe(200);
    const page = await app.inject({ method: 'GET', url: '/', headers: cookie });
    expect(page.statusCode).toBe(200);
    expect(page.body).toBe(readFileSync(join(WEB_ROOT, 'index.html'), 'utf8'));
    const started = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: { ...cookie, origin: 'http://localhost:8080' },
      payload: {},
    });
    expect(started.statusCode).toBe(201);

    for (const headers of [bearer, cookie]) {
      let viewer: Viewer | undefined;
      await app.injectWS('/ws', { headers }, { onInit: (ws) => (viewer = new Viewer(ws)) });
      expect((await (viewer as Viewer).nth(0)).type).toBe('hello');
      viewer?.socket.terminate();
    }

    expectError(
      await app.inject({ method: 'GET', url: '/api/health', headers: { ...HOST, authorization: 'Bearer nope' } }),
      401,
      'TOKEN_INVALID',
    );
    expectError(
      await app.inject({ method: 'GET', url: '/api/health', headers: { ...HOST, cookie: `${TOKEN_COOKIE}=old` } }),
      401,
      'TOKEN_INVALID',
    );
  });

  it('pairs a browser through the pairing URL: an HttpOnly SameSite=Strict cookie, then the page without the token', async () => {
    const { app, logs } = await daemon(() => TOKEN);
    const html = { ...HOST, accept: 'text/html,application/xhtml+xml' };
    const res = await app.inject({ method: 'GET', url: `/?token=${TOKEN}`, headers: html });
    expect(res.statusCode).toBe(200);
    const setCookie = String(res.headers['set-cookie']);
    expect(setCookie).toMatch(new RegExp(`^${TOKEN_COOKIE}=${TOKEN};`));
    expect(setCookie).toMatch(/; HttpOnly/);
    expect(setCookie).toMatch(/; SameSite=Strict/);
    expect(setCookie).toMatch(/; Path=\//);
    expect(setCookie).toMatch(/; Max-Age=\d{7,}/);
    expect(setCookie).not.toMatch(/Secure/); // plain HTTP: https.test.ts checks Secure over TLS
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.body).toContain('<meta http-equiv="refresh" content="0; url=/" />');
    expect(res.body).not.toContain(TOKEN);

    // Other pages and their query keep everything but the token.
    const report = await app.inject({ method: 'GET', url: `/sessions?x=1&token=${TOKEN}`, headers: html });
    expect(report.body).toContain('url=/sessions?x=1');

    // A wrong pairing URL says so in words to a browser, and in JSON to anything else.
    const wrong = await app.inject({ method: 'GET', url: '/?token=wrong', headers: html });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/^text\/html/);
    expect(wrong.body).toContain('not paired');
    expect(wrong.body).toContain('rotated');
    const unpaired = await app.inject({ method: 'GET', url: '/', headers: html });
    expect(unpaired.statusCode).toBe(401);
    expect(unpaired.body).toContain('tableside token');

    // The token never reaches the log, though request URLs do.
    const text = JSON.stringify(logs);
    expect(text).toContain('/sessions?x=1');
    expect(text).not.toContain(TOKEN);
  });

  it('refuses an address with 429 after too many wrong tokens, even its right one; other addresses go on', async () => {
    const { app } = await daemon(() => TOKEN);
    const from = (remoteAddress: string, token?: string) =>
      app.inject({
        method: 'GET',
        url: '/api/health',
        remoteAddress,
        headers: token === undefined ? HOST : { ...HOST, authorization: `Bearer ${token}` },
      });
    // Requests without a token are no guesses: a tablet that is not paired yet is never locked out.
    for (let i = 0; i < 2 * TOKEN_FAILURES_PER_WINDOW; i++)
      expectError(await from('192.168.1.50'), 401, 'TOKEN_REQUIRED');
    expect((await from('192.168.1.50', TOKEN)).statusCode).toBe(200);

    for (let i = 0; i < TOKEN_FAILURES_PER_WINDOW; i++)
      expectError(await from('192.168.1.66', `guess${i}`), 401, 'TOKEN_INVALID');
    const limited = await from('192.168.1.66', 'one-more-guess');
    expectError(limited, 429, 'TOKEN_RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expectError(await from('192.168.1.66', TOKEN), 429, 'TOKEN_RATE_LIMITED');
    expectError(
      await app.inject({ method: 'GET', url: `/?token=${TOKEN}`, remoteAddress: '192.168.1.66', headers: HOST }),
      429,
      'TOKEN_RATE_LIMITED',
    );
    expect((await from('192.168.1.67', TOKEN)).statusCode).toBe(200);
  });

  it('takes a rotated token at once: the old cookie gets 401 and the sockets opened with it are closed', async () => {
    let token = TOKEN;
    const { app } = await daemon(() => token);
    const ws = await app.injectWS('/ws', { headers: { ...HOST, cookie: `${TOKEN_COOKIE}=${TOKEN}` } });
    const closed = wsClosed(ws);

    token = 'rotated-token-0123456789abcdefghijklmnop';
    expectError(
      await app.inject({ method: 'GET', url: '/api/health', headers: { ...HOST, cookie: `${TOKEN_COOKIE}=${TOKEN}` } }),
      401,
      'TOKEN_INVALID',
    );
    const fresh = { ...HOST, cookie: `${TOKEN_COOKIE}=${token}` };
    expect((await app.inject({ method: 'GET', url: '/api/health', headers: fresh })).statusCode).toBe(200);
    const { code, reason } = await closed;
    expect(code).toBe(1008);
    expect(reason).toMatch(/rotated/);
  });

  it('needs no token when listening on this machine only', async () => {
    const { app } = await daemon();
    expect((await app.inject({ method: 'GET', url: '/api/health', headers: HOST })).statusCode).toBe(200);
    const ws = await app.injectWS('/ws', { headers: HOST });
    ws.terminate();
  });

  it('strips the token from URLs', () => {
    expect(withoutToken('/?token=abc')).toBe('/');
    expect(withoutToken('/sessions/3?token=abc&print=1')).toBe('/sessions/3?print=1');
    expect(withoutToken('http://10.0.0.7:8080/?token=abc')).toBe('http://10.0.0.7:8080/');
    expect(withoutToken('/api/health')).toBe('/api/health');
  });
});

describe('security headers', () => {
  it('sends a Content-Security-Policy without exceptions, and the usual headers, on pages, API and refusals', async () => {
    const { app } = await daemon(() => TOKEN);
    const cookie = { ...HOST, cookie: `${TOKEN_COOKIE}=${TOKEN}` };
    for (const res of [
      await app.inject({ method: 'GET', url: '/', headers: cookie }),
      await app.inject({ method: 'GET', url: '/api/health', headers: cookie }),
      await app.inject({ method: 'GET', url: '/api/health', headers: HOST }),
      await app.inject({ method: 'GET', url: '/', headers: { host: 'evil.example' } }),
    ]) {
      const csp = String(res.headers['content-security-policy']);
      const directives = Object.fromEntries(
        csp.split(';').map((d) => {
          const [name, ...values] = d.trim().split(/\s+/);
          return [name, values.join(' ')];
        }),
      );
      expect(directives).toMatchObject({
        'default-src': "'self'",
        'script-src': "'self'",
        'script-src-attr': "'none'",
        'style-src': "'self'",
        'object-src': "'none'",
        'base-uri': "'none'",
        'frame-ancestors': "'none'",
      });
      expect(csp).not.toMatch(/unsafe|\*|https:|data:/);
      expect(res.headers['x-frame-options']).toBe('DENY');
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['strict-transport-security']).toBeUndefined();
      expect(res.headers['x-powered-by']).toBeUndefined();
    }
    const page = await app.inject({ method: 'GET', url: '/', headers: cookie });
    expect(String(page.headers['content-security-policy'])).toContain("connect-src 'self' ws://localhost:8080");
  });

  it('serves pages that need no CSP exception: no inline script or style, no style or on… attributes', () => {
    for (const file of ['index.html', 'sessions.html', 'report.html']) {
      const html = readFileSync(join(WEB_ROOT, file), 'utf8');
      expect(html, file).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/i);
      expect(html, file).not.toMatch(/<style/i);
      expect(html, file).not.toMatch(/\sstyle=/i);
      expect(html, file).not.toMatch(/\son[a-z]+=/i);
      expect(html, file).not.toMatch(/javascript:/i);
    }
  });
});

describe('no way out of web/', () => {
  it('never serves a file outside the served folders, however the path is spelled', async () => {
    const { app } = await daemon();
    const outside = readFileSync('package.json', 'utf8');
    for (const url of [
      '/../package.json',
      '/..%2fpackage.json',
      '/%2e%2e/package.json',
      '/%2e%2e%2fpackage.json',
      '/lib/..%2f..%2fpackage.json',
      '/lib/%2e%2e/%2e%2e/package.json',
      '/..%5cpackage.json',
      '/%252e%252e%252fpackage.json',
      '/vendor/uplot/../../../package.json',
      '/vendor/uplot/..%2f..%2f..%2fpackage.json',
      '/vendor/uplot/uPlot.d.ts',
      '/vendor/uplot/..%2fpackage.json',
      '/vendor/uplot/%2e%2e%2fpackage.json',
      '/sessions/..%2f..%2fpackage.json',
      '/api/sessions/1/export?format=..%2f..%2fpackage.json',
      '/%00/etc/passwd',
      '/.git/config',
    ]) {
      const res = await app.inject({ method: 'GET', url, headers: HOST });
      expect([400, 403, 404], `${url}: ${res.statusCode}`).toContain(res.statusCode);
      expect(res.body, url).not.toContain('"name": "tableside"');
      expect(res.body, url).not.toBe(outside);
    }
    // …while the files it should serve are there.
    expect((await app.inject({ method: 'GET', url: '/lib/api.js', headers: HOST })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/vendor/uplot/uPlot.min.css', headers: HOST })).statusCode).toBe(
      200,
    );
  });

  it('names export files by id and format only: nothing from the client label reaches the header', async () => {
    const { app } = await daemon();
    const started = await app.inject({
      method: 'POST',
      url: '/api/sessions',
      headers: HOST,
      payload: { clientLabel: '../../evil"\r\nX-Injected: 1' },
    });
    expect(started.statusCode).toBe(201);
    const id = (started.json() as { id: number }).id;
    await eventually(() => (r?.store.getBeats(id).length ?? 0) > 0, 'a stored beat');
    const res = await app.inject({ method: 'GET', url: `/api/sessions/${id}/export?format=csv`, headers: HOST });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-injected']).toBeUndefined();
    expect(String(res.headers['content-disposition'])).toMatch(/^attachment; filename="[\w.-]+"$/);
  });
});
