/**
 * The real `tableside` CLI on the network, as a user runs it: `simulate --host 0.0.0.0 --tls` prints a pairing URL
 * with the token, its QR code and the certificate's fingerprint; the daemon then refuses requests without the token
 * and takes them with it (over HTTPS, checked against the certificate in the config directory); and
 * `tableside token --rotate` in another process unpairs everyone at once, closing the live socket opened with the
 * old token. The daemon listens on every interface but is only ever spoken to through 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { CLI, tempDir } from '../helpers/daemon-process.js';
import { readQr } from '../helpers/qr.js';

const dir = tempDir('tableside-lan-');
const env = {
  ...process.env,
  TABLESIDE_LOG_LEVEL: 'warn',
  TABLESIDE_CONFIG_DIR: join(dir.path, 'config'),
  TABLESIDE_DATA_DIR: join(dir.path, 'data'),
};
let child: ChildProcess;
let output = '';
let port: number;
let token: string;
let cert: string;

function run(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.stderr.on('data', (d) => {
      out += d;
    });
    p.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${out}`))));
  });
}

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca: cert, headers }, (res) => {
      let body = '';
      res.on('data', (d) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  child = spawn(process.execPath, [CLI, 'simulate', '--speed', '1', '--host', '0.0.0.0', '--port', '0', '--tls'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (d) => {
    output += d;
  });
  child.stderr?.on('data', (d) => {
    output += d;
  });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the daemon did not start:\n${output}`)), 20_000);
    const check = () => {
      // Everything up to the fingerprint is printed in one write.
      if (!/SHA-256 fingerprint/.test(output)) return;
      clearTimeout(timer);
      resolve();
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`the daemon exited with ${code}:\n${output}`)));
  });
  const m = /open https:\/\/(\S+):(\d+)\/\?token=([\w-]+) /.exec(output);
  if (!m) throw new Error(`no pairing URL in:\n${output}`);
  port = Number(m[2]);
  token = m[3] as string;
  cert = readFileSync(join(env.TABLESIDE_CONFIG_DIR, 'tls-cert.pem'), 'utf8');
}, 30_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
  dir.remove();
});

describe.sequential('tableside on the network (real CLI, HTTPS, access token)', () => {
  it('prints the pairing URL with the token, its QR code, and the certificate’s fingerprint', () => {
    expect(token).toBe(readFileSync(join(env.TABLESIDE_CONFIG_DIR, 'access-token'), 'utf8').trim());
    // The QR code printed reads back (as the tablet's camera would) as the URL printed.
    expect(readQr(output)).toBe(/open (https:\/\/\S+)/.exec(output)?.[1]);
    const fingerprint = new X509Certificate(cert).fingerprint256;
    expect(output).toContain(`SHA-256 fingerprint: ${fingerprint}`);
    expect(output).toContain('tableside token --rotate');
  });

  it('refuses requests without the token and takes them with it', async () => {
    const none = await get('/api/health');
    expect(none.status).toBe(401);
    expect(JSON.parse(none.body)).toMatchObject({ code: 'TOKEN_REQUIRED' });
    const ok = await get('/api/health', { authorization: `Bearer ${token}` });
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toMatchObject({ ok: true, source: { kind: 'simulated' } });
  });

  it('unpairs everyone at once on `tableside token --rotate`: 401 for the old token, its socket closed', async () => {
    const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, {
      ca: cert,
      headers: { cookie: `tableside_token=${token}` },
    });
    await new Promise((resolve, reject) => {
      ws.once('message', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));

    const printed = await run(['token', '--rotate', '--tls', '--port', String(port)]);
    const fresh = readFileSync(join(env.TABLESIDE_CONFIG_DIR, 'access-token'), 'utf8').trim();
    expect(fresh).not.toBe(token);
    expect(printed).toContain(`/?token=${fresh}`);

    expect(await closed).toBe(1008);
    const old = await get('/api/health', { authorization: `Bearer ${token}` });
    expect(old.status).toBe(401);
    expect(JSON.parse(old.body)).toMatchObject({ code: 'TOKEN_INVALID' });
    expect((await get('/api/health', { authorization: `Bearer ${fresh}` })).status).toBe(200);
  });
});
