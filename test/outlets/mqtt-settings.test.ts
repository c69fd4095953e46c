/** `--mqtt`, `--mqtt-config`, `--table` and the environment: what reaches the MQTT client, and what is refused. */
import { writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { MqttSettingsError, mqttSettings, tableName } from '../../src/outlets/mqtt-settings.js';
import { tempDir } from '../helpers/daemon-process.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function dir(): string {
  const d = tempDir();
  cleanups.push(d.remove);
  return d.path;
}

describe('mqttSettings', () => {
  it('names the broker by scheme, host and port only, with the default port of each scheme', () => {
    const plain = mqttSettings({ url: 'mqtt://broker.local', env: {}, hostname: 'room-1' });
    expect(plain.shown).toBe('mqtt://broker.local:1883');
    const tls = mqttSettings({ url: 'mqtts://user@broker.local/x?y=1', env: {}, hostname: 'room-1' });
    expect(tls.shown).toBe('mqtts://broker.local:8883');
    expect(tls.url).toBe('mqtts://broker.local:8883');
    expect(tls.username).toBe('user');
    expect(tls.rejectUnauthorized).toBe(true);
  });

  it('refuses a password in the URL, other schemes and non-URLs, without repeating the password', () => {
    const attempt = (url: string) => () => mqttSettings({ url, env: {}, hostname: 'h' });
    expect(attempt('mqtt://u:hunter2@broker:1883')).toThrow(MqttSettingsError);
    try {
      attempt('mqtt://u:hunter2@broker:1883')();
    } catch (err) {
      expect((err as Error).message).toMatch(/TABLESIDE_MQTT_PASSWORD/);
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(attempt('http://broker:1883')).toThrow(/mqtt:\/\/ or mqtts:\/\//);
    expect(attempt('broker:1883')).toThrow(/mqtt:\/\/ or mqtts:\/\//);
    expect(attempt('not a url')).toThrow(/expected a broker URL/);
  });

  it('takes credentials and TLS files from --mqtt-config (paths beside it); the environment wins', () => {
    const d = dir();
    writeFileSync(`${d}/ca.pem`, 'CA PEM');
    writeFileSync(`${d}/mqtt.json`, JSON.stringify({ username: 'room-2', password: 'from-file', ca: 'ca.pem' }));
    const fromFile = mqttSettings({ url: 'mqtts://b', configFile: `${d}/mqtt.json`, env: {}, hostname: 'h' });
    expect(fromFile).toMatchObject({ username: 'room-2', password: 'from-file' });
    expect(fromFile.ca?.toString()).toBe('CA PEM');
    const fromEnv = mqttSettings({
      url: 'mqtts://b',
      configFile: `${d}/mqtt.json`,
      env: { TABLESIDE_MQTT_USERNAME: 'env-user', TABLESIDE_MQTT_PASSWORD: 'env-pass' },
      hostname: 'h',
    });
    expect(fromEnv).toMatchObject({ username: 'env-user', password: 'env-pass' });
  });

  it('says what is wrong with a config file, and where', () => {
    const d = dir();
    const check = (text: string) => () => {
      writeFileSync(`${d}/m.json`, text);
      mqttSettings({ url: 'mqtt://b', configFile: `${d}/m.json`, env: {}, hostname: 'h' });
    };
    expect(check('{ nope')).toThrow(/m\.json is not JSON/);
    expect(check('[]')).toThrow(/one JSON object/);
    expect(check('{"user": "x"}')).toThrow(/unknown key "user"/);
    expect(check('{"password": 12}')).toThrow(/"password" must be a string/);
    expect(check('{"ca": "missing.pem"}')).toThrow(/"ca": cannot read missing\.pem/);
    expect(() => mqttSettings({ url: 'mqtt://b', configFile: `${d}/none.json`, env: {}, hostname: 'h' })).toThrow(
      /--mqtt-config: cannot read/,
    );
  });
});

describe('tableName', () => {
  it('checks --table as one topic level', () => {
    expect(tableName('room-2', 'x')).toBe('room-2');
    for (const bad of ['', 'a/b', 'a+', '#', 'room 2', '-x', 'x'.repeat(64)]) {
      expect(() => tableName(bad, 'x'), bad).toThrow(/--table/);
    }
  });

  it('makes the host name into one by default', () => {
    expect(tableName(undefined, 'Room-2.clinic.local')).toBe('room-2');
    expect(tableName(undefined, 'Massage Room #3')).toBe('massage-room-3');
    expect(tableName(undefined, '...')).toBe('table');
  });
});
