/**
 * A real Mosquitto broker (Debian's /usr/sbin/mosquitto) on a free loopback port with a temporary config: anonymous,
 * or with a password file made by mosquitto_passwd. It can be killed (-9) and started again on the same port.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';

import { freePort } from './free-port.js';

export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface Broker {
  readonly port: number;
  readonly url: string;
  readonly output: () => string;
  /** kill -9, then wait for the process to be gone */
  kill(): Promise<void>;
  /** starts it again on the same port and config */
  restart(): Promise<void>;
}

export async function startBroker(
  dir: string,
  options: { users?: Record<string, string>; port?: number } = {},
): Promise<Broker> {
  const port = options.port ?? (await freePort());
  const config = join(dir, `mosquitto-${port}.conf`);
  // Started as root, mosquitto would become the user `mosquitto`, who cannot read a private temp directory.
  const lines = [`listener ${port} 127.0.0.1`, 'persistence false', 'log_dest stderr', `user ${userInfo().username}`];
  if (options.users) {
    const passwords = join(dir, `passwords-${port}`);
    writeFileSync(passwords, '');
    for (const [user, password] of Object.entries(options.users)) {
      execFileSync('/usr/bin/mosquitto_passwd', ['-b', passwords, user, password]);
    }
    lines.push('allow_anonymous false', `password_file ${passwords}`);
  } else {
    lines.push('allow_anonymous true');
  }
  writeFileSync(config, `${lines.join('\n')}\n`);
  let out = '';
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn(MOSQUITTO, ['-c', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => {
      out += d;
    });
    child.stderr?.on('data', (d) => {
      out += d;
    });
    await listening(port, () => out);
  };
  await start();
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    output: () => out,
    async kill() {
      const c = child as ChildProcess | null;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      await new Promise<void>((resolve) => {
        c.once('exit', () => resolve());
        c.kill('SIGKILL');
      });
    },
    restart: start,
  };
}

function listening(port: number, output: () => string): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const socket = createConnection({ port, host: '127.0.0.1' });
      socket.once('connect', () => {
        socket.destroy();
        resolve();
      });
      socket.once('error', () => {
        socket.destroy();
        if (Date.now() - started > 10_000) reject(new Error(`mosquitto did not listen on ${port}:\n${output()}`));
        else setTimeout(attempt, 50);
      });
    };
    attempt();
  });
}

export interface Received {
  readonly topic: string;
  readonly text: string;
  readonly retain: boolean;
  readonly atMs: number;
}

/** A subscriber that records every message on `filter`; resolves once subscribed. */
export async function subscribe(
  url: string,
  filter: string,
  options: { username?: string; password?: string } = {},
): Promise<{ client: MqttClient; received: Received[] }> {
  const client = connect(url, { reconnectPeriod: 200, connectTimeout: 5000, ...options });
  const received: Received[] = [];
  client.on('message', (topic, payload, packet) => {
    received.push({ topic, text: payload.toString(), retain: packet.retain, atMs: Date.now() });
  });
  // After a broker restart the subscription is made again on every connect.
  client.on('connect', () => client.subscribe(filter, { qos: 1 }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no subscription to ${filter}`)), 10_000);
    client.once('connect', () =>
      client.subscribe(filter, { qos: 1 }, (err) => {
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      }),
    );
  });
  return { client, received };
}
