/** The frame of a test file on one throwaway PostgreSQL cluster (postgres.ts). */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type PgCluster, startPostgres } from './postgres.js';

/**
 * Starts one cluster before the file's tests and destroys it after them; `cleanups` run after each test, the last
 * added first. Call it at the top of the file; `cluster` is there once the tests run.
 */
export function postgresPerFile(): { readonly cluster: PgCluster; readonly cleanups: (() => unknown)[] } {
  let cluster: PgCluster | undefined;
  const cleanups: (() => unknown)[] = [];
  beforeAll(async () => {
    cluster = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await cluster?.destroy();
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  return {
    get cluster() {
      if (cluster === undefined) throw new Error('the PostgreSQL cluster has not started');
      return cluster;
    },
    cleanups,
  };
}
