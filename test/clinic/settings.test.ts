/** `--clinic-db`, `--clinic-db-config`, `--table` and the environment: what reaches the driver, and what is refused. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClinicSettingsError, clinicDbSettings } from '../../src/clinic/settings.js';
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

describe('clinicDbSettings', () => {
  it('names the database by scheme, host, port and name only, port 5432 by default', () => {
    const s = clinicDbSettings({ url: 'postgres://db.local/clinic', env: {}, hostname: 'Room-1.local' });
    expect(s).toMatchObject({ host: 'db.local', port: 5432, database: 'clinic', table: 'room-1', beats: false });
    expect(s.shown).toBe('postgres://db.local:5432/clinic');
    expect(s.ssl).toBeUndefined();
    const t = clinicDbSettings({ url: 'postgresql://u@[::1]:6543/c%20db', env: {}, hostname: 'h', table: 'room-2' });
    expect(t).toMatchObject({ host: '::1', port: 6543, database: 'c db', user: 'u', table: 'room-2' });
    expect(t.shown).toBe('postgresql://[::1]:6543/c db');
  });

  it('refuses a password in the URL, other schemes, no database, without repeating the password', () => {
    const attempt = (url: string) => () => clinicDbSettings({ url, env: {}, hostname: 'h' });
    expect(attempt('postgres://u:hunter2@db/clinic')).toThrow(ClinicSettingsError);
    try {
      attempt('postgres://u:hunter2@db/clinic')();
    } catch (err) {
      expect((err as Error).message).toMatch(/TABLESIDE_CLINIC_DB_PASSWORD/);
      expect((err as Error).message).not.toContain('hunter2');
    }
    expect(attempt('mysql://db/clinic')).toThrow(/postgres:\/\/ or postgresql:\/\//);
    expect(attempt('postgres://db')).toThrow(/must name one database/);
    expect(attempt('postgres://db/a/b')).toThrow(/must name one database/);
    expect(attempt('postgres://db/clinic?sslmode=require')).toThrow(/--clinic-db-config/);
    expect(attempt('not a url')).toThrow(/expected a URL/);
    expect(() => clinicDbSettings({ url: 'postgres://db/c', env: {}, hostname: 'h', table: 'a/b' })).toThrow(/--table/);
  });

  it('takes user and password from the file and the environment (the environment wins), TLS files from the file', () => {
    const d = dir();
    writeFileSync(join(d, 'ca.pem'), 'CA');
    const file = join(d, 'clinic.json');
    writeFileSync(file, JSON.stringify({ user: 'file-user', password: 'file-pw', ca: 'ca.pem' }));
    const fromFile = clinicDbSettings({ url: 'postgres://db/c', configFile: file, env: {}, hostname: 'h' });
    expect(fromFile).toMatchObject({ user: 'file-user', password: 'file-pw' });
    expect(fromFile.ssl?.ca?.toString()).toBe('CA');
    expect(fromFile.ssl?.rejectUnauthorized).toBe(true);
    const fromEnv = clinicDbSettings({
      url: 'postgres://db/c',
      configFile: file,
      env: { TABLESIDE_CLINIC_DB_USER: 'env-user', TABLESIDE_CLINIC_DB_PASSWORD: 'env-pw' },
      hostname: 'h',
    });
    expect(fromEnv).toMatchObject({ user: 'env-user', password: 'env-pw' });
  });

  it('says what is wrong with a config file, naming the key', () => {
    const d = dir();
    const write = (text: string) => {
      const f = join(d, `c${Math.random()}.json`);
      writeFileSync(f, text);
      return () => clinicDbSettings({ url: 'postgres://db/c', configFile: f, env: {}, hostname: 'h' });
    };
    expect(write('{')).toThrow(/is not JSON/);
    expect(write('[]')).toThrow(/one JSON object/);
    expect(write('{"username": "x"}')).toThrow(/unknown key "username"/);
    expect(write('{"password": 3}')).toThrow(/"password" must be a string/);
    expect(write('{"ca": "missing.pem"}')).toThrow(/"ca": cannot read missing.pem/);
    expect(() =>
      clinicDbSettings({ url: 'postgres://db/c', configFile: join(d, 'none.json'), env: {}, hostname: 'h' }),
    ).toThrow(/cannot read/);
  });
});
