/** Temp-dir databases and pipeline events for the store tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'vitest';
import type { BeatEvent, GapEvent, MetricsEvent, SampleEvent, StatusChangeEvent } from '../../src/domain/events.js';
import type { SourceStatus } from '../../src/domain/source.js';
import type { LiveMetrics, LiveQuality } from '../../src/hrv/rolling.js';
import type { BeatKind } from '../../src/hrv/types.js';
import { StoreError } from '../../src/store/errors.js';
import { SessionStore, type StoreOptions } from '../../src/store/session-store.js';
import type { NewSession } from '../../src/store/types.js';

/** A fresh temp folder per test, and every store opened in it closed before the folder is removed. */
export function tempDatabases() {
  let dir = '';
  const stores: SessionStore[] = [];
  return {
    setUp(): void {
      dir = mkdtempSync(join(tmpdir(), 'tableside-store-'));
    },
    tearDown(): void {
      for (const store of stores.splice(0)) store.close();
      rmSync(dir, { recursive: true, force: true });
    },
    get dir(): string {
      return dir;
    },
    path(name = 'tableside.db'): string {
      return join(dir, name);
    },
    open(path = join(dir, 'tableside.db'), options: StoreOptions = {}): SessionStore {
      const store = SessionStore.open(path, options);
      stores.push(store);
      return store;
    },
  };
}

export const NEW_SESSION: NewSession = {
  clientLabel: 'client A',
  therapistNote: 'neck and shoulders',
  sourceKind: 'simulated',
  sourceLabel: 'simulated strap (seed 7)',
  params: { rmssdWindowS: 60, correction: true },
};

/** 2024-05-01T10:00:00Z, ms */
export const T0_MS = Date.UTC(2024, 4, 1, 10);

export const beat = (seq: number, tS: number, rrMs = 1000, gapBefore = false): BeatEvent => ({
  type: 'beat',
  seq,
  tS,
  rrMs,
  gapBefore,
  receivedAtMs: T0_MS + tS * 1000,
});

/** `count` beats of 1 s, from `firstSeq`, ending at firstSeq + 1, firstSeq + 2, … s. */
export const beats = (firstSeq: number, count: number): BeatEvent[] =>
  Array.from({ length: count }, (_, i) => beat(firstSeq + i, firstSeq + i + 1));

const QUALITY: LiveQuality = {
  beatsInWindow: 60,
  differences: 59,
  correctedPct: 0,
  coveredS: 60,
  gapInWindow: false,
  settling: false,
  tooIrregular: false,
  reason: null,
  spectralSegments: 8,
  spectralProvisional: false,
  spectralReason: null,
  respirationNote: null,
};

export function metrics(seq: number, tS: number, kind: BeatKind = 'normal', over: Partial<LiveMetrics> = {}) {
  const m: LiveMetrics = {
    seq,
    tS,
    rrMs: 1000,
    kind,
    meanRrMs: 1000,
    meanHrBpm: 60,
    sdnnMs: 42.5,
    rmssdMs: 35.25,
    lnRmssd: Math.log(35.25),
    pnn50Pct: 12,
    lfMs2: 800.5,
    hfMs2: 600.25,
    lnHf: Math.log(600.25),
    lfHfRatio: 800.5 / 600.25,
    hfPeakHz: 0.25,
    respirationRateBpm: 15,
    spectralAtS: tS,
    quality: QUALITY,
    ...over,
  };
  const event: MetricsEvent = { type: 'metrics', metrics: m, receivedAtMs: T0_MS + tS * 1000 };
  return event;
}

export const sample = (
  sourceTimeMs: number,
  payload: Uint8Array | null,
  rrMs: number[],
  error: string | null = null,
): SampleEvent => ({ type: 'sample', sourceTimeMs, receivedAtMs: T0_MS + sourceTimeMs, payload, rrMs, error });

export const gap = (fromS: number, toS: number, reason = 'link lost'): GapEvent => ({
  type: 'gap',
  fromS,
  toS,
  reason,
  receivedAtMs: T0_MS + toS * 1000,
});

export const status = (sourceTimeMs: number, s: SourceStatus): StatusChangeEvent => ({
  type: 'status',
  status: s,
  sourceTimeMs,
  receivedAtMs: T0_MS + sourceTimeMs,
});

/** Every table that holds a session's rows, keyed by session_id. */
export const SESSION_TABLES = ['samples', 'beats', 'metrics', 'gaps', 'statuses', 'phases', 'markers'] as const;

/** A session's rows in every table, counted through a separate read-only connection (as another process sees them). */
export function rowCounts(
  path: string,
  sessionId: number,
): Record<'sessions' | (typeof SESSION_TABLES)[number], number> {
  const raw = new Database(path, { readonly: true, fileMustExist: true });
  const count = (sql: string) => (raw.prepare(sql).get(sessionId) as { n: number }).n;
  try {
    const counts = { sessions: count('SELECT count(*) AS n FROM sessions WHERE id = ?') } as Record<string, number>;
    for (const table of SESSION_TABLES)
      counts[table] = count(`SELECT count(*) AS n FROM ${table} WHERE session_id = ?`);
    return counts as ReturnType<typeof rowCounts>;
  } finally {
    raw.close();
  }
}

/** Runs `fn` expecting a StoreError and returns it. */
export function storeError(fn: () => unknown): StoreError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(StoreError);
    return err as StoreError;
  }
  throw new Error('expected a StoreError');
}
