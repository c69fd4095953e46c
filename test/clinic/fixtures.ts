/** Stores with clients, readings and finished sessions for the clinic tests: real SQLite files in a temp folder. */
import { join } from 'node:path';
import type { BeatEvent } from '../../src/domain/events.js';
import { addReadings, createClient } from '../../src/store/clients.js';
import { SessionStore } from '../../src/store/session-store.js';
import type { NewReading, StoredClient } from '../../src/store/types.js';

/** A store whose clock the test moves (session start and end times). */
export function openStore(dir: string, name: string, startMs = Date.UTC(2026, 2, 2, 9)) {
  const clock = { ms: startMs };
  const store = SessionStore.open(join(dir, `${name}.db`), { now: () => clock.ms });
  return { store, clock };
}

/**
 * Records a finished session of `minutes` on `client`: RR around 900 ms with a slow swing (so RMSSD has a value),
 * baseline for the first third, massage (with an 'effleurage' marker) for the second, recovery after.
 */
export function recordSession(
  store: SessionStore,
  clock: { ms: number },
  clientId: number | null,
  options: { minutes?: number; swingMs?: number; end?: boolean } = {},
): number {
  const minutes = options.minutes ?? 6;
  const swing = options.swingMs ?? 40;
  const session = store.createSession({
    clientLabel: '',
    therapistNote: '',
    sourceKind: 'simulated',
    sourceLabel: 'simulated strap',
    params: {},
    clientId,
  });
  const totalS = minutes * 60;
  const events: BeatEvent[] = [];
  let t = 0;
  for (let seq = 0; t < totalS; seq++) {
    const rrMs = 900 + swing * Math.sin(seq * 0.9) + (seq % 3) * 7;
    t += rrMs / 1000;
    events.push({ type: 'beat', seq, tS: t, rrMs, gapBefore: false, receivedAtMs: clock.ms + t * 1000 });
  }
  store.setPhase(session.id, 'baseline', 0);
  store.writeBatch(
    session.id,
    events.filter((e) => e.tS < totalS / 3),
  );
  store.setPhase(session.id, 'massage', totalS / 3);
  store.addMarker(session.id, { kind: 'technique', value: 'effleurage', atS: totalS / 3 + 1 });
  store.writeBatch(
    session.id,
    events.filter((e) => e.tS >= totalS / 3 && e.tS < (2 * totalS) / 3),
  );
  store.setPhase(session.id, 'recovery', (2 * totalS) / 3);
  store.writeBatch(
    session.id,
    events.filter((e) => e.tS >= (2 * totalS) / 3),
  );
  clock.ms += totalS * 1000;
  if (options.end !== false) store.endSession(session.id, 'ended');
  return session.id;
}

/** A morning reading with the values given (the clinic stores what the table computed). */
export function reading(at: string, lnRmssd: number, kind: NewReading['kind'] = 'morning'): NewReading {
  const rrMs = Array.from({ length: 60 }, (_, i) => 950 + ((i * 37) % 50));
  return {
    at,
    kind,
    source: 'test',
    tags: '',
    rrMs,
    rmssdMs: Math.exp(lnRmssd),
    lnRmssd,
    meanHrBpm: 62,
    correctedPct: 0,
    reason: null,
  };
}

export function clientWithReadings(store: SessionStore, name: string, readings: NewReading[]): StoredClient {
  const client = createClient(store, name, 'a note');
  addReadings(store, client.id, readings);
  return client;
}
