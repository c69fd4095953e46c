/**
 * The table's live state on MQTT, end to end: a real Mosquitto started here on a free port, the real CLI in its own
 * process (bin/tableside.js, built by `npm test`), a real subscriber (mqtt.js), a real SQLite file.
 */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RollingEngine } from '../../src/hrv/rolling.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { exited, runCli, runCliResult, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';
import { type Broker, type Received, startBroker, subscribe } from '../helpers/mosquitto.js';
import { api } from '../helpers/rest.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const FILE = 'recordings/bartels_rest_rri.txt';

function json(m: Received): Record<string, unknown> {
  return JSON.parse(m.text) as Record<string, unknown>;
}

async function broker(dir: string, options: Parameters<typeof startBroker>[1] = {}): Promise<Broker> {
  const b = await startBroker(dir, options);
  cleanups.push(() => b.kill());
  return b;
}

async function subscriber(...args: Parameters<typeof subscribe>) {
  const s = await subscribe(...args);
  cleanups.push(() => s.client.end(true));
  return s;
}

/** A broker of its own and the CLI's `args` publishing to it (with a database in a temp folder). */
async function tableOnBroker(args: string[]) {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const b = await broker(dir.path);
  const daemon = await startDaemon([...args, '--db', `${dir.path}/t.db`, '--mqtt', b.url]);
  cleanups.push(() => daemon.child.kill('SIGKILL'));
  return { dir, b, daemon };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('tableside --mqtt (real Mosquitto, real daemon process)', () => {
  it('a late subscriber gets the retained status and state; metrics at most once a second; kill -9 → offline by the last will', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const b = await broker(dir.path);
    const daemon = await startDaemon([
      'replay',
      FILE,
      '--speed',
      '20',
      '--db',
      `${dir.path}/t.db`,
      '--mqtt',
      b.url,
      '--table',
      'room-1',
    ]);
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    await sleep(1500);

    // Subscribed after the table said it was online: the broker hands over what it retained.
    const { received } = await subscriber(b.url, 'tableside/v1/room-1/#');
    await waitFor(() => received.some((m) => m.topic.endsWith('/client/state')), 5000, 'the retained state');
    const status = received.find((m) => m.topic === 'tableside/v1/room-1/status') as Received;
    expect(status.retain).toBe(true);
    expect(json(status)).toMatchObject({ v: 1, table: 'room-1', online: true, streams: ['client'], recording: true });
    const state = received.find((m) => m.topic === 'tableside/v1/room-1/client/state') as Received;
    expect(state.retain).toBe(true);
    expect(json(state)).toMatchObject({
      v: 1,
      stream: 'client',
      kind: 'replay',
      demo: true,
      state: 'live',
      session: true,
      recording: true,
    });

    // 20 beats a second reach the table; the broker gets the latest values at most once a second.
    await sleep(5500);
    const metrics = received.filter((m) => m.topic === 'tableside/v1/room-1/client/metrics');
    expect(metrics.length).toBeGreaterThanOrEqual(4);
    expect(metrics.length).toBeLessThanOrEqual(7);
    for (const m of metrics) expect(m.retain).toBe(false);
    for (let i = 1; i < metrics.length; i++) {
      // Sent ≥ 1000 ms apart; what arrives may bunch up a little on a busy machine.
      expect(metrics[i].atMs - metrics[i - 1].atMs).toBeGreaterThan(800);
    }
    // …and they are the values of the beats of the moment (~20 s of beats apart at 20×), not a backlog: each equals
    // the engine's output for the file at that beat.
    const { rrMs } = await readRrFile(FILE);
    const engine = new RollingEngine();
    const byTime = new Map<string, { rmssdMs: number | null; meanHrBpm: number | null }>();
    let t = 0;
    for (const rr of rrMs) {
      t += rr / 1000;
      for (const m of engine.push(rr, t, false)) byTime.set(m.tS.toFixed(6), m);
    }
    const payloads = metrics.map(json);
    for (let i = 1; i < payloads.length; i++) {
      const step = (payloads[i].tS as number) - (payloads[i - 1].tS as number);
      expect(step).toBeGreaterThan(10);
      expect(step).toBeLessThan(35);
    }
    for (const p of payloads) {
      const want = byTime.get((p.tS as number).toFixed(6));
      expect(want, `a beat at ${p.tS} s`).toBeDefined();
      if (want?.rmssdMs === null) expect(p.rmssdMs).toBeNull();
      else expect(p.rmssdMs as number).toBeCloseTo(want?.rmssdMs as number, 9);
      if (want?.meanHrBpm !== null) expect(p.hrBpm as number).toBeCloseTo(want?.meanHrBpm as number, 9);
    }

    // Killed without a word: the broker says offline for it (the last will), retained.
    const before = received.length;
    daemon.child.kill('SIGKILL');
    await waitFor(
      () => received.slice(before).some((m) => m.topic.endsWith('/status') && json(m).online === false),
      10_000,
      'the last will',
    );
    const late = await subscriber(b.url, 'tableside/v1/room-1/status');
    await waitFor(() => late.received.length > 0, 5000, 'the retained offline status');
    expect(late.received[0].retain).toBe(true);
    expect(json(late.received[0])).toEqual({ v: 1, table: 'room-1', online: false });
  }, 60_000);

  it('the broker killed and restarted mid-session: every beat is stored, and the status is said again', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const b = await broker(dir.path);
    const db = `${dir.path}/t.db`;
    // 910 beats, ~16 min, at 50× ≈ 19 s.
    const daemon = await startDaemon(['replay', FILE, '--speed', '50', '--exit', '--db', db, '--mqtt', b.url]);
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const { received } = await subscriber(b.url, 'tableside/v1/#');
    await waitFor(() => received.some((m) => m.topic.endsWith('/metrics')), 10_000, 'metrics');

    await b.kill();
    await sleep(3000);
    const restartedAt = Date.now();
    // No persistence: the restarted broker has forgotten every retained topic until the table says them again.
    await b.restart();
    await waitFor(
      () => received.some((m) => m.atMs > restartedAt && m.topic.endsWith('/status') && json(m).online === true),
      10_000,
      'the status said again after the restart',
    );
    await waitFor(
      () => received.some((m) => m.atMs > restartedAt && m.topic.endsWith('/client/metrics')),
      10_000,
      'metrics after the restart',
    );
    const fresh = await subscriber(b.url, 'tableside/v1/+/client/state');
    await waitFor(() => fresh.received.length > 0, 5000, 'the retained state on the restarted broker');
    expect(fresh.received[0].retain).toBe(true);

    expect(await exited(daemon.child)).toBe(0);
    const { rrMs } = await readRrFile(FILE);
    const sessions = JSON.parse(await runCli(['sessions', '--json', '--db', db]));
    expect(sessions).toHaveLength(1);
    expect(sessions[0]).toMatchObject({ status: 'ended', beatCount: rrMs.length });
    // A warning that the broker was lost, and that the table went on.
    expect(daemon.output()).toMatch(/lost the MQTT broker/);
  }, 60_000);

  it('an unreachable broker at start is a warning: the table runs alone, connects once the broker is there, says offline on stop', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const port = await freePort();
    const daemon = await startDaemon([
      'simulate',
      '--speed',
      '5',
      '--db',
      `${dir.path}/t.db`,
      '--mqtt',
      `mqtt://127.0.0.1:${port}`,
      '--table',
      'room-3',
    ]);
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    await waitFor(() => /MQTT broker cannot be reached/.test(daemon.output()), 10_000, 'the warning');
    const sessions = (await api(daemon.url, 'GET', '/api/sessions')).sessions as { status: string }[];
    expect(sessions[0].status).toBe('recording');

    const b = await broker(dir.path, { port });
    const { received } = await subscriber(b.url, 'tableside/v1/room-3/status');
    await waitFor(() => received.some((m) => json(m).online === true), 10_000, 'the table online');
    // Said once, not at every retry.
    expect(daemon.output().match(/MQTT broker cannot be reached/g)).toHaveLength(1);

    // Stopped (Ctrl-C, SIGTERM): the table says offline itself before it goes.
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
    await waitFor(() => received.some((m) => json(m).online === false), 5000, 'offline on stop');
  }, 40_000);

  it('a wrong password is a clear error and the table goes on recording; the right one from --mqtt-config connects', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const b = await broker(dir.path, { users: { 'table-4': 'horse-battery-staple' } });
    const wrong = await startDaemon(
      ['simulate', '--speed', '5', '--db', `${dir.path}/a.db`, '--mqtt', b.url, '--table', 'room-4'],
      { TABLESIDE_MQTT_USERNAME: 'table-4', TABLESIDE_MQTT_PASSWORD: 'not-the-password' },
    );
    cleanups.push(() => wrong.child.kill('SIGKILL'));
    await waitFor(() => /MQTT broker refused this table/.test(wrong.output()), 10_000, 'the error');
    await sleep(2500);
    expect(wrong.output().match(/MQTT broker refused this table/g)).toHaveLength(1);
    expect(wrong.output()).not.toContain('not-the-password');
    const [session] = (await api(wrong.url, 'GET', '/api/sessions')).sessions as { id: number; status: string }[];
    expect(session.status).toBe('recording');
    expect(wrong.child.exitCode).toBeNull();

    const config = `${dir.path}/mqtt.json`;
    writeFileSync(config, JSON.stringify({ username: 'table-4', password: 'horse-battery-staple' }));
    const right = await startDaemon([
      'simulate',
      '--speed',
      '5',
      '--db',
      `${dir.path}/b.db`,
      '--mqtt',
      b.url,
      '--mqtt-config',
      config,
      '--table',
      'room-5',
    ]);
    cleanups.push(() => right.child.kill('SIGKILL'));
    const { received } = await subscriber(b.url, 'tableside/v1/+/status', {
      username: 'table-4',
      password: 'horse-battery-staple',
    });
    await waitFor(() => received.some((m) => m.topic === 'tableside/v1/room-5/status'), 10_000, 'room-5 online');
    expect(received.some((m) => m.topic === 'tableside/v1/room-4/status')).toBe(false);
  }, 40_000);

  it('--mqtt-discovery: Home Assistant finds each stream as entities of one device, reading the topics the table publishes', async () => {
    const { b, daemon } = await tableOnBroker([
      'simulate',
      '--speed',
      '20',
      '--therapist',
      '--table',
      'room-9',
      '--mqtt-discovery',
    ]);
    const table = await subscriber(b.url, 'tableside/v1/room-9/#');
    const first = await subscriber(b.url, 'homeassistant/#');
    await waitFor(() => first.received.length >= 14, 10_000, '7 entities for each of the 2 streams');
    // Home Assistant started later (or again): subscribed to its prefix, it gets the configs the broker retained.
    const discovery = await subscriber(b.url, 'homeassistant/#');
    await waitFor(() => discovery.received.length >= 14, 5000, 'the retained configs');
    // 2 minutes of beats at 20×: the RMSSD window (60 s) fills, and values come once a second.
    await sleep(6000);

    const configs = discovery.received.map((m) => ({ topic: m.topic, retain: m.retain, config: json(m) }));
    expect(configs).toHaveLength(14);
    const uniqueIds = new Set(configs.map((c) => c.config.unique_id));
    expect(uniqueIds.size).toBe(14);
    const devices = new Set(configs.map((c) => JSON.stringify(c.config.device)));
    expect(devices.size).toBe(1);
    expect(JSON.parse([...devices][0])).toMatchObject({ identifiers: ['tableside_room-9'], name: 'tableside room-9' });

    const payloadsOf = (topic: string) => table.received.filter((m) => m.topic === topic).map(json);
    const status = payloadsOf('tableside/v1/room-9/status');
    expect(status.at(-1)).toMatchObject({ online: true });
    /** The field each entity reads, and the values the table sent in it: `{{ value_json.<field> }}`. */
    const read = new Map<string, unknown[]>();
    for (const { topic, retain, config } of configs) {
      expect(retain, topic).toBe(true);
      expect(topic).toMatch(
        /^homeassistant\/(sensor|binary_sensor)\/tableside_room-9\/(client|therapist)_[a-z_]+\/config$/,
      );
      const stream = topic.split('/')[3].split('_')[0];
      expect(String(config.name).startsWith(`${stream} `), topic).toBe(true);
      expect(config.availability_topic).toBe('tableside/v1/room-9/status');
      expect(String(config.availability_template)).toContain('value_json.online');
      const stateTopic = String(config.state_topic);
      expect([`tableside/v1/room-9/${stream}/metrics`, `tableside/v1/room-9/${stream}/state`]).toContain(stateTopic);
      const field = /value_json\.(\w+)/.exec(String(config.value_template))?.[1] as string;
      const payloads = payloadsOf(stateTopic);
      expect(payloads.length, stateTopic).toBeGreaterThan(0);
      for (const p of payloads) expect(Object.keys(p), `${field} in ${stateTopic}`).toContain(field);
      const values = payloads.map((p) => p[field]);
      read.set(topic.split('/')[3].slice(stream.length + 1) + (stream === 'client' ? '' : `@${stream}`), values);
      if (topic.includes('/binary_sensor/')) {
        for (const v of values) expect(typeof v).toBe('boolean');
      } else if (config.device_class === 'enum') {
        for (const v of values) if (v !== null) expect(config.options as unknown[], `${field}: ${v}`).toContain(v);
      } else {
        expect(config.state_class).toBe('measurement');
        for (const v of values) if (v !== null) expect(typeof v).toBe('number');
      }
    }
    // Each entity reads the value its name and unit say: a resting heart rate, RMSSD in ms and its natural log.
    const hr = (read.get('heart_rate') as (number | null)[]).filter((v) => v !== null);
    expect(hr.length).toBeGreaterThanOrEqual(2);
    for (const v of hr) {
      expect(v).toBeGreaterThan(40);
      expect(v).toBeLessThan(110);
    }
    const rmssd = read.get('rmssd') as (number | null)[];
    const ln = read.get('ln_rmssd') as (number | null)[];
    expect(rmssd.some((v) => v !== null)).toBe(true);
    for (const [i, v] of rmssd.entries()) {
      if (v === null) expect(ln[i]).toBeNull();
      else expect(ln[i] as number).toBeCloseTo(Math.log(v), 12);
    }
    expect(read.get('strap')).toContain('live');
    expect(read.get('recording')).toContain(true);

    // The therapist's strap taken off the table: its configs are emptied (Home Assistant removes those entities).
    const removed = await fetch(new URL('/api/streams/therapist', daemon.url), { method: 'DELETE' });
    expect(removed.status).toBe(204);
    await waitFor(
      () => discovery.received.filter((m) => m.text === '' && m.topic.includes('/therapist_')).length === 7,
      5000,
      "the therapist's 7 configs emptied",
    );
    const later = await subscriber(b.url, 'homeassistant/#');
    await waitFor(() => later.received.length >= 7, 5000, 'the retained configs');
    await sleep(500); // any that should not be there would have come with them
    expect(later.received.map((m) => m.topic.split('/')[3].split('_')[0])).toEqual(Array(7).fill('client'));

    // Stopped: the table says offline, which makes every entity unavailable; the configs stay (the device remains).
    const configsBefore = discovery.received.length;
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
    await waitFor(() => payloadsOf('tableside/v1/room-9/status').at(-1)?.online === false, 5000, 'offline');
    expect(discovery.received.length).toBe(configsBefore);
  }, 60_000);

  it('--mqtt-discovery takes another prefix; a bad prefix, or the option without --mqtt, stops the start', async () => {
    const { dir, b } = await tableOnBroker(['simulate', '--table', 'room-4', '--mqtt-discovery', 'clinic/ha']);
    const { received } = await subscriber(b.url, 'clinic/ha/#');
    await waitFor(() => received.length >= 7, 10_000, "the client stream's 7 configs");
    for (const m of received) expect(m.topic).toMatch(/^clinic\/ha\/(sensor|binary_sensor)\/tableside_room-4\/client_/);

    for (const [args, message] of [
      [
        ['--mqtt', b.url, '--mqtt-discovery', 'home/#'],
        /--mqtt-discovery "home\/#": the prefix is one or more topic levels/,
      ],
      [['--mqtt', b.url, '--mqtt-discovery', 'a//b'], /--mqtt-discovery "a\/\/b": the prefix/],
      [['--mqtt-discovery'], /--mqtt-discovery needs --mqtt/],
    ] as const) {
      const result = await runCliResult(['simulate', '--port', '0', '--db', `${dir.path}/x.db`, ...args]);
      expect(result.code, result.stderr).toBe(1);
      expect(result.stderr).toMatch(message);
    }
  }, 40_000);

  it('no client name or note ever reaches the broker: a whole session under `#`', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const b = await broker(dir.path);
    const { received } = await subscriber(b.url, '#');
    const daemon = await startDaemon([
      'simulate',
      '--speed',
      '5',
      '--therapist',
      '--db',
      `${dir.path}/t.db`,
      '--mqtt',
      b.url,
      '--table',
      'room-6',
      '--mqtt-discovery',
    ]);
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const name = 'Ingrid Quarantotto';
    const note = 'left knee operated in March, prefers silence';
    const client = await api(daemon.url, 'POST', '/api/clients', { name, note });
    const session = await api(daemon.url, 'POST', '/api/sessions', {
      clientId: client.id,
      therapistNote: 'Ingrid asked for slow strokes',
    });
    await api(daemon.url, 'POST', `/api/sessions/${session.id}/markers`, { kind: 'note', value: 'Quarantotto sighs' });
    await sleep(4000);
    await api(daemon.url, 'POST', `/api/sessions/${session.id}/end`, {});
    await sleep(1000);
    const ours = received.filter((m) => m.topic.startsWith('tableside/'));
    const streams = new Set(ours.map((m) => m.topic.split('/')[3]));
    expect(streams).toEqual(new Set(['status', 'client', 'therapist']));
    // Home Assistant's discovery configs are under `#` too: 7 entities for each stream.
    expect(received.filter((m) => m.topic.startsWith('homeassistant/')).length).toBeGreaterThanOrEqual(14);
    expect(received.filter((m) => m.topic.endsWith('/metrics')).length).toBeGreaterThan(4);
    const everything = received
      .map((m) => `${m.topic}\n${m.text}`)
      .join('\n')
      .toLowerCase();
    for (const word of ['ingrid', 'quarantotto', 'knee', 'silence', 'strokes', 'sighs', 'demo (simulated)']) {
      expect(everything).not.toContain(word);
    }
  }, 40_000);

  it('a password in the URL is refused before anything starts, and not repeated', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const result = await runCliResult([
      'simulate',
      '--port',
      '0',
      '--db',
      `${dir.path}/t.db`,
      '--mqtt',
      'mqtt://table:s3cret-word@127.0.0.1:1883',
    ]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/holds a password.*TABLESIDE_MQTT_PASSWORD/);
    expect(result.stdout + result.stderr).not.toContain('s3cret-word');
  });
});
