/**
 * A table loads the optional parts' libraries only when asked for them (like noble): the PostgreSQL driver with
 * `--clinic-db`, the MQTT client with `--mqtt`, the certificate maker when `--tls` has to make a certificate. Each
 * would otherwise be carried by every daemon (together about 16 MB of a plain table's memory). The real CLI runs with
 * a preload that notes every module resolved under those packages.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliResult, tempDir } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';

const WATCH = join(import.meta.dirname, '../helpers/module-watch.mjs');
const PACKAGES = ['pg', 'mqtt', 'selfsigned'] as const;
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** The watched packages a short simulated session loaded, each once. */
async function loadedPackages(extra: string[]): Promise<string[]> {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const list = join(dir.path, 'modules.txt');
  const result = await runCliResult(
    ['simulate', '--speed', 'max', '--duration', '60', '--exit', '--port', '0', '--db', `${dir.path}/t.db`, ...extra],
    {
      nodeArgs: ['--import', WATCH],
      env: {
        TABLESIDE_WATCH_MODULES: list,
        TABLESIDE_WATCH_PACKAGES: PACKAGES.join(','),
        TABLESIDE_LOG_LEVEL: 'warn',
        TABLESIDE_CONFIG_DIR: join(dir.path, 'config'),
      },
    },
  );
  expect(result.code, result.stderr).toBe(0);
  const urls = existsSync(list) ? readFileSync(list, 'utf8').split('\n').filter(Boolean) : [];
  return PACKAGES.filter((name) => urls.some((url) => url.includes(`/node_modules/${name}/`)));
}

describe("the optional parts' libraries", () => {
  it('are not loaded by a plain table', async () => {
    expect(await loadedPackages([])).toEqual([]);
  }, 60_000);

  it('the pg driver is loaded with --clinic-db, and nothing else', async () => {
    const closed = await freePort();
    expect(await loadedPackages(['--clinic-db', `postgres://127.0.0.1:${closed}/clinic`])).toEqual(['pg']);
  }, 60_000);

  it('the MQTT client is loaded with --mqtt, and nothing else', async () => {
    const closed = await freePort();
    expect(await loadedPackages(['--mqtt', `mqtt://127.0.0.1:${closed}`])).toEqual(['mqtt']);
  }, 60_000);

  it('the certificate maker is loaded when --tls makes a certificate, and nothing else', async () => {
    expect(await loadedPackages(['--tls'])).toEqual(['selfsigned']);
  }, 60_000);
});
