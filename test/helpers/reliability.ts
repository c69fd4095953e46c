/**
 * The reliability figures the fuzz and kill -9 tests produce (inputs tried, rounds run), printed in the test run's
 * output and kept in `test-output/reliability.json`, so the README's reliability section can be reproduced and
 * checked. One entry per figure id: a re-run replaces its own entry and leaves the others (other test files, the
 * soak and load figures) alone.
 *
 * Test files run in parallel worker processes, so the JSON file is rewritten under a lock file (created with `wx`,
 * which only one process can win) and replaced by a rename: no reader ever sees half a file.
 */
import { closeSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const TEST_OUTPUT = fileURLToPath(new URL('../../test-output/', import.meta.url));
export const RELIABILITY_JSON = join(TEST_OUTPUT, 'reliability.json');

/** A lock older than this was left by a killed run, ms. */
const STALE_LOCK_MS = 10_000;

export interface ReliabilityFigure {
  /** the line printed in the test output, e.g. `fuzz: 0x2A37 parser — 20000 inputs, 0 crashes` */
  readonly line: string;
  /** how to reproduce it */
  readonly command: string;
  /** the numbers behind the line */
  readonly figures: Readonly<Record<string, number | string | boolean>>;
}

interface ReliabilityFile {
  readonly about: string;
  readonly figures: Record<string, ReliabilityFigure & { readonly at: string }>;
}

/** Fuzz runs: a fixed seed, so a run can be repeated input for input; `TABLESIDE_FUZZ_SEED` explores others. */
export function fuzzSeed(fallback: number): number {
  const env = process.env.TABLESIDE_FUZZ_SEED;
  return env === undefined || env === '' ? fallback : Number(env);
}

/**
 * Prints the figure's line (straight to the process's stdout, so vitest's reporter cannot fold it away for a passing
 * test) and records it under `id` in test-output/reliability.json.
 */
export function reportReliability(id: string, figure: ReliabilityFigure): void {
  process.stdout.write(`\n${figure.line}\n`);
  mkdirSync(TEST_OUTPUT, { recursive: true });
  withLock(() => {
    const file = readFigures();
    file.figures[id] = { ...figure, at: new Date().toISOString() };
    const temp = `${RELIABILITY_JSON}.${process.pid}.tmp`;
    writeFileSync(temp, `${JSON.stringify(file, null, 2)}\n`);
    renameSync(temp, RELIABILITY_JSON);
  });
}

function readFigures(): ReliabilityFile {
  const empty: ReliabilityFile = {
    about: 'reliability figures written by the fuzz and kill -9 tests (see README, Reliability)',
    figures: {},
  };
  try {
    const parsed = JSON.parse(readFileSync(RELIABILITY_JSON, 'utf8')) as Partial<ReliabilityFile>;
    return { ...empty, ...parsed, figures: { ...parsed.figures } };
  } catch {
    return empty;
  }
}

function withLock(fn: () => void): void {
  const lock = `${RELIABILITY_JSON}.lock`;
  const started = Date.now();
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (lockAgeMs(lock) > STALE_LOCK_MS) rmSync(lock, { force: true });
      if (Date.now() - started > 2 * STALE_LOCK_MS) throw new Error(`could not lock ${RELIABILITY_JSON}`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10);
    }
  }
  try {
    fn();
  } finally {
    rmSync(lock, { force: true });
  }
}

function lockAgeMs(path: string): number {
  try {
    return Date.now() - statSync(path).mtimeMs;
  } catch {
    return 0;
  }
}
