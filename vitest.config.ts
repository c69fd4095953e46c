import { defineConfig } from 'vitest/config';

/**
 * Files whose assertions are latency limits on the daemon (health within 100 ms while its output is stuck): they run
 * after everything else, one at a time, so another test file's disk and CPU load is not counted as the daemon's.
 */
const TIMED = ['test/cli/output-pipe.e2e.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: {
          name: 'suite',
          include: ['test/**/*.test.ts'],
          exclude: TIMED,
          // two files at a time: most of the suite waits on daemons, browsers and databases
          maxWorkers: 2,
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'timed',
          include: TIMED,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
