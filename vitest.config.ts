import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    pool: 'forks',
    // Two test files at a time (vitest's default on 2 cores is one): the suite's files spend much of their time
    // waiting on daemons, browsers and brokers they start, and two halve the run (about 17 min → 7 min here). Run and
    // passed this way on a quiet machine and with another process keeping a core busy.
    maxWorkers: 2,
  },
});
