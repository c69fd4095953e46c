/**
 * The clinic overview end to end: a real Mosquitto on a free port, real tables (`tableside simulate --mqtt …` from
 * dist/, each its own process), the real overview (`tableside clinic`, its own process), its real WebSocket and REST
 * API. What the overview shows is compared with what a plain subscriber of the broker receives.
 */

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { ClinicSocketMessage, TableView } from '../../src/clinic/shapes.js';
import { CLI, type RunningDaemon, runCliResult, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';
import { type Broker, type Received, startBroker, subscribe } from '../helpers/mosquitto.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function broker(dir: string, options: Parameters<typeof startBroker>[1] = {}): Promise<Broker> {
  const b = await startBroker(dir, options);
  cleanups.push(() => b.kill());
  return b;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
  const d = await startDaemon(args, env);
  cleanups.push(() => d.child.kill('SIGKILL'));
  return d;
}

function table(b: Broker, dir: string, name: string, seed: number): Promise<RunningDaemon> {
  return run([
    'simulate',
    '--seed',
    String(seed),
    '--speed',
    '10',
    '--db',
    `${dir}/${name}.db`,
    '--mqtt',
    b.url,
    '--table',
    name,
  ]);
}

/** The overview's socket: every message, and the latest view of each table. */
async function overviewSocket(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws').replace(/\/(\?.*)?$/, '')}/clinic/ws`, { headers });
  cleanups.push(() => ws.terminate());
  const messages: (ClinicSocketMessage & { arrivedAtMs: number })[] = [];
  const tables = new Map<string, TableView>();
  ws.on('message', (data) => {
    const m = JSON.parse(data.toString()) as ClinicSocketMessage;
    messages.push({ ...m, arrivedAtMs: Date.now() });
    if (m.type === 'overview') for (const t of m.tables) tables.set(t.table, t);
    if (m.type === 'table') tables.set(m.table.table, m.table);
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, messages, tables };
}

async function getJson(url: string, path: string, headers: Record<string, string> = {}) {
  const response = await fetch(new URL(path, url), { headers });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function payload(m: Received): Record<string, unknown> {
  return JSON.parse(m.text) as Record<string, unknown>;
}

describe('tableside clinic (real Mosquitto, real tables, real overview)', () => {
  it('shows every table live with the values the broker carries; a table killed stays listed, offline', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const b = await broker(dir.path);
    const overview = await run(['clinic', '--mqtt', b.url]);
    const page = await overviewSocket(overview.url);
    const raw = await subscribe(b.url, 'tableside/v1/+/+/metrics');
    cleanups.push(() => raw.client.end(true));
    await table(b, dir.path, 'room-1', 1);
    const room2 = await table(b, dir.path, 'room-2', 2);

    // HR and RMSSD are valid after 50 s of clean beats: 5 s at 10×.
    const valued = (name: string) => page.tables.get(name)?.streams[0]?.metrics?.rmssdMs != null;
    await waitFor(() => valued('room-1') && valued('room-2'), 30_000, 'values from both tables');
    for (const name of ['room-1', 'room-2']) {
      expect(page.tables.get(name)).toMatchObject({
        online: true,
        recording: true,
        streams: [
          {
            stream: 'client',
            state: { kind: 'simulated', demo: true, state: 'live', batteryPct: 100, session: true, recording: true },
          },
        ],
      });
    }
    // Every metric the broker carried reached the page as it was, in a `table` message of its own.
    const metricsOnPage = page.messages.flatMap((m) =>
      m.type === 'table'
        ? m.table.streams.flatMap((s) => (s.metrics ? [{ table: m.table.table, ...s.metrics }] : []))
        : [],
    );
    const onBroker = raw.received.map(payload);
    expect(onBroker.length).toBeGreaterThan(6);
    for (const p of onBroker.slice(0, -1)) {
      const seen = metricsOnPage.find((m) => m.table === p.table && m.atMs === p.atMs);
      expect(seen, `${p.table} at ${p.atMs}`).toBeDefined();
      expect(seen).toMatchObject({ tS: p.tS, hrBpm: p.hrBpm, rmssdMs: p.rmssdMs, lnRmssd: p.lnRmssd, shift: p.shift });
      expect(seen?.quality).toEqual(p.quality);
    }

    // kill -9: the broker's last will says offline; the table stays on the overview, offline.
    room2.child.kill('SIGKILL');
    await waitFor(() => page.tables.get('room-2')?.online === false, 10_000, 'room-2 offline');
    const listed = await getJson(overview.url, '/api/clinic/tables');
    const tables = listed.body.tables as TableView[];
    expect(tables.map((t) => [t.table, t.online])).toEqual([
      ['room-1', true],
      ['room-2', false],
    ]);
    expect(tables[1].streams.map((s) => s.stream)).toEqual(['client']);
    const health = await getJson(overview.url, '/api/clinic/health');
    expect(health.body).toMatchObject({ broker: { state: 'connected' }, tables: 2, online: 1 });
    expect((health.body.malformed as { total: number }).total).toBe(0);
  }, 60_000);

  it('a malformed message is ignored and counted by reason (API, socket); the log names its topic, never its payload', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const b = await broker(dir.path);
    const overview = await run(['clinic', '--mqtt', b.url], { TABLESIDE_LOG_LEVEL: 'debug' });
    const page = await overviewSocket(overview.url);
    const publisher = await subscribe(b.url, 'nothing/here');
    cleanups.push(() => publisher.client.end(true));
    const word = 'Anna-Kowalska-note';
    const bad: [string, string][] = [
      ['tableside/v1/room-7/status/extra', JSON.stringify({ v: 1, table: 'room-7', online: true, note: word })],
      ['tableside/v1/room-7/status', `not json ${word}`],
      ['tableside/v1/room-7/status', JSON.stringify({ v: 2, table: 'room-7', online: true, note: word })],
      ['tableside/v1/room-7/status', JSON.stringify({ v: 1, table: 'room-8', online: true, note: word })],
      ['tableside/v1/room-7/client/metrics', JSON.stringify({ v: 1, table: 'room-7', stream: 'client', atMs: word })],
      ['tableside/v1/room-7/client/state', JSON.stringify({ v: 1, table: 'room-7', stream: 'client', kind: word })],
    ];
    for (const [topic, text] of bad) await publisher.client.publishAsync(topic, text, { qos: 1 });
    const counted = { topic: 1, json: 1, version: 1, name: 1, fields: 2, total: 6 };
    await waitFor(
      () => page.messages.some((m) => m.type === 'health' && m.health.malformed.total === 6),
      10_000,
      'the counts on the socket',
    );
    const health = await getJson(overview.url, '/api/clinic/health');
    expect(health.body.malformed).toEqual(counted);
    expect(health.body).toMatchObject({ tables: 0, accepted: 0 });
    expect(page.tables.size).toBe(0);
    const log = overview.output();
    expect(log.match(/malformed message ignored/g)).toHaveLength(6);
    expect(log).toContain('tableside/v1/room-7/status/extra');
    expect(log).not.toContain(word);

    // A page of another site cannot open the overview's socket (WebSockets are not bound by CORS).
    const foreign = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${overview.url.replace(/^http/, 'ws').replace(/\/$/, '')}/clinic/ws`, {
        headers: { origin: 'http://rooms.example' },
      });
      ws.on('error', () => undefined);
      ws.once('open', () => resolve('open'));
      ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
    });
    expect(foreign).toBe('refused 403');
    const plain = await fetch(new URL('/clinic/ws', overview.url));
    expect(plain.status).toBe(426);
  }, 60_000);

  it('an unreachable broker at start is a warning: the overview runs and shows the tables once the broker is there', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const port = await freePort();
    const overview = await run(['clinic', '--mqtt', `mqtt://127.0.0.1:${port}`]);
    expect(overview.output()).toMatch(/the MQTT broker cannot be reached: the overview shows no live table/);
    expect((await getJson(overview.url, '/api/clinic/health')).body).toMatchObject({
      broker: { shown: `mqtt://127.0.0.1:${port}`, state: 'unreachable' },
      tables: 0,
    });
    const page = await overviewSocket(overview.url);
    const b = await broker(dir.path, { port });
    await table(b, dir.path, 'room-3', 3);
    await waitFor(() => page.tables.get('room-3')?.online === true, 15_000, 'room-3 on the overview');
    await waitFor(
      () => page.messages.some((m) => m.type === 'health' && m.health.broker.state === 'connected'),
      5000,
      'the broker connected on the socket',
    );
    expect(overview.output().match(/MQTT broker cannot be reached/g)).toHaveLength(1);
  }, 60_000);

  it('a wrong password is a clear error at start (exit 2) that does not show the password', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const b = await broker(dir.path, { users: { desk: 'right-secret' } });
    const result = await runCliResult(['clinic', '--mqtt', b.url, '--port', '0'], {
      env: { TABLESIDE_MQTT_USERNAME: 'desk', TABLESIDE_MQTT_PASSWORD: 'wrong-secret', TABLESIDE_LOG_LEVEL: 'warn' },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`tableside: the MQTT broker ${b.url} refused`);
    expect(result.stderr).toMatch(/TABLESIDE_MQTT_PASSWORD/);
    expect(result.stdout + result.stderr).not.toContain('wrong-secret');
    // The right one: it runs.
    const overview = await run(['clinic', '--mqtt', b.url], {
      TABLESIDE_MQTT_USERNAME: 'desk',
      TABLESIDE_MQTT_PASSWORD: 'right-secret',
    });
    expect((await getJson(overview.url, '/api/clinic/health')).body).toMatchObject({ broker: { state: 'connected' } });
  }, 60_000);

  it('on the network it asks for the access token and serves HTTPS, as a table does (REST and socket)', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const b = await broker(dir.path);
    const config = `${dir.path}/config`;
    const child = spawn(
      process.execPath,
      [CLI, 'clinic', '--mqtt', b.url, '--host', '0.0.0.0', '--port', '0', '--tls'],
      {
        env: { ...process.env, TABLESIDE_LOG_LEVEL: 'warn', TABLESIDE_CONFIG_DIR: config },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    cleanups.push(() => child.kill('SIGKILL'));
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      out += d;
    });
    await waitFor(() => /SHA-256 fingerprint/.test(out), 20_000, 'the start message');
    const shown = new URL(/open (https:\/\/\S+)/.exec(out)?.[1] as string);
    const token = shown.searchParams.get('token') as string;
    expect(token).toBe(readFileSync(`${config}/access-token`, 'utf8').trim());
    const ca = readFileSync(`${config}/tls-cert.pem`, 'utf8');
    const get = (path: string, headers: Record<string, string> = {}) =>
      new Promise<number>((resolve, reject) => {
        const req = httpsRequest({ host: '127.0.0.1', port: Number(shown.port), path, ca, headers }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        req.end();
      });
    expect(await get('/api/clinic/tables')).toBe(401);
    expect(await get('/api/clinic/tables', { authorization: `Bearer ${token}` })).toBe(200);
    const socket = (headers: Record<string, string>) =>
      new Promise<string>((resolve) => {
        const ws = new WebSocket(`wss://127.0.0.1:${shown.port}/clinic/ws`, { ca, headers });
        cleanups.push(() => ws.terminate());
        ws.once('message', (data) => resolve(String((JSON.parse(data.toString()) as { type: string }).type)));
        ws.once('unexpected-response', (_req, res) => resolve(`refused ${res.statusCode}`));
        ws.once('error', (err) => resolve(`error ${err.message}`));
      });
    expect(await socket({})).toBe('refused 401');
    expect(await socket({ authorization: `Bearer ${token}` })).toBe('overview');
  }, 60_000);
});
