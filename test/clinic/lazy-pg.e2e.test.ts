/**
 * A table without `--clinic-db` never loads the PostgreSQL driver (like noble, pg is loaded only when asked for): the
 * real CLI runs with a preload that notes every module resolved under node_modules/pg/.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runCliResult, tempDir } from '../helpers/daemon-process.js';
import { freePort } from '../helpers/free-port.js';

const WATCH = join(import.meta.dirname, '../helpers/module-watch.mjs');
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

async function loadedPg(extra: string[]): Promise<string[]> {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const list = join(dir.path, 'modules.txt');
  const result = await runCliResult(
    ['simulate', '--speed', 'max', '--duration', '60', '--exit', '--port', '0', '--db', `${dir.path}/t.db`, ...extra],
    { nodeArgs: ['--import', WATCH], env: { TABLESIDE_WATCH_MODULES: list, TABLESIDE_LOG_LEVEL: 'warn' } },
  );
  expect(result.code, result.stderr).toBe(0);
  return existsSync(list) ? readFileSync(list, 'utf8').split('\n').filter(Boolean) : [];
}

describe('the pg driver', () => {
  it('is not loaded by a table without --clinic-db, and is with it', async () => {
    expect(await loadedPg([])).toEqual([]);
    const closed = await freePort();
    const withClinic = await loadedPg(['--clinic-db', `postgres://127.0.0.1:${closed}/clinic`]);
    expect(withClinic.length).toBeGreaterThan(0);
  }, 60_000);
});
