/**
 * A client's whole record as one object — the client, their readings, the days with their rolling baseline and
 * normal range, the sessions with their shift, techniques and paired readings, the techniques compared, and the
 * change over the weeks — for `tableside client NAME --json` and `GET /api/clients/:id`. The statistics are
 * src/tracking/timeline.ts; this file gathers what they need from the store.
 *
 * A page load never recomputes a session from its beats: each session's values are computed once (when it ends, or
 * here for a session without them) and stored.
 */

import { sessionTimelineValues } from '../session/values.js';
import {
  getClient,
  putSessionValues,
  readingRr,
  readingsOfClient,
  sessionsOfClient,
  sessionValuesOfClient,
} from '../store/clients.js';
import type { SessionStore } from '../store/session-store.js';
import type { SessionValues, StoredClient, StoredReading, StoredSession } from '../store/types.js';
import {
  type ClientTimeline,
  clientTimeline,
  type SessionRow,
  type TimelineOptions,
  type TodayAgainstUsual,
  todayAgainstUsual,
} from '../tracking/timeline.js';
import { formatLocal } from './local-time.js';
import { loadSessionRows, sessionJson } from './session-export.js';

/** A reading as the record shows it: `reason` only when it has no value. */
export interface RecordReading {
  readonly id: number;
  readonly at: string;
  readonly kind: StoredReading['kind'];
  readonly source: string;
  readonly tags: string;
  readonly beats: number;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly meanHrBpm: number | null;
  readonly correctedPct: number;
  readonly reason?: string;
}

export type RecordSession = SessionRow & {
  readonly status: StoredSession['status'];
  readonly techniques: readonly string[];
  /** the main technique was chosen by hand */
  readonly mainTechniqueSet: boolean;
};

export interface ClientRecord {
  readonly client: StoredClient;
  readonly readings: RecordReading[];
  readonly days: ClientTimeline['days'];
  readonly sessions: RecordSession[];
  readonly techniques: ClientTimeline['techniques'];
  readonly overWeeks: ClientTimeline['overWeeks'];
}

/** Computes and stores a session's timeline values from its beats. Null for a session still recording. */
export function computeSessionValues(store: SessionStore, sessionId: number): SessionValues | null {
  const session = store.getSession(sessionId);
  if (!session || session.status === 'recording') return null;
  const values = sessionTimelineValues({
    beats: store.getBeats(sessionId),
    phases: store.getPhases(sessionId),
    markers: store.getMarkers(sessionId),
  });
  return putSessionValues(store, { sessionId, ...values });
}

/** The client's record, or undefined for an unknown client. `today` defaults to this machine's local date. */
export function clientRecord(
  store: SessionStore,
  clientId: number,
  options: TimelineOptions = {},
): ClientRecord | undefined {
  const client = getClient(store, clientId);
  if (!client) return undefined;
  const readings = readingsOfClient(store, clientId);
  const sessions = sessionsOfClient(store, clientId);
  const values = sessionValuesOfClient(store, clientId);
  for (const s of sessions) {
    if (values.has(s.id)) continue;
    // Once, on first need: stored, so the next load reads it.
    const computed = computeSessionValues(store, s.id);
    if (computed) values.set(s.id, computed);
  }
  const points = sessions.map((s) => {
    const v = values.get(s.id);
    return {
      id: s.id,
      startedAt: formatLocal(new Date(s.startedAt)),
      endedAt: s.endedAt === null ? null : formatLocal(new Date(s.endedAt)),
      baselineLnRmssd: v?.baselineLnRmssd ?? null,
      massageShiftLn: v?.massageShiftLn ?? null,
      recoveryShiftLn: v?.recoveryShiftLn ?? null,
      mainTechnique: v?.mainTechnique ?? null,
      massageS: v?.massageS ?? null,
    };
  });
  const timeline = clientTimeline(
    readings.map((r) => ({ id: r.id, at: r.at, kind: r.kind, lnRmssd: r.lnRmssd })),
    points,
    { normalSdFactor: options.normalSdFactor, today: options.today ?? formatLocal(new Date()).slice(0, 10) },
  );
  const byId = new Map(sessions.map((s) => [s.id, s]));
  return {
    client,
    readings: readings.map(recordReading),
    days: timeline.days,
    sessions: timeline.sessions.map((row) => ({
      ...row,
      status: byId.get(row.id)?.status ?? 'ended',
      techniques: values.get(row.id)?.techniques ?? [],
      mainTechniqueSet: values.get(row.id)?.mainTechniqueSet ?? false,
    })),
    techniques: timeline.techniques,
    overWeeks: timeline.overWeeks,
  };
}

/**
 * Where a session's baseline (`lnRmssd`) sits against the client's usual range on `date` ('YYYY-MM-DD', the
 * session's local date): for the therapist's live screen. null without a normal range that day.
 */
export function sessionAgainstUsual(
  store: SessionStore,
  clientId: number,
  lnRmssd: number,
  date: string,
): TodayAgainstUsual | null {
  const readings = readingsOfClient(store, clientId).map((r) => ({
    id: r.id,
    at: r.at,
    kind: r.kind,
    lnRmssd: r.lnRmssd,
  }));
  return todayAgainstUsual(readings, lnRmssd, date);
}

function recordReading(r: StoredReading): RecordReading {
  const base = {
    id: r.id,
    at: r.at,
    kind: r.kind,
    source: r.source,
    tags: r.tags,
    beats: r.beats,
    rmssdMs: r.rmssdMs,
    lnRmssd: r.lnRmssd,
    meanHrBpm: r.meanHrBpm,
    correctedPct: r.correctedPct,
  };
  return r.reason === null ? base : { ...base, reason: r.reason };
}

/** Version of the client export's layout; bump it when a field changes meaning or goes away. */
export const CLIENT_EXPORT_VERSION = 1;

/**
 * Everything on a client's record in one JSON object: the record itself, the RR of every reading, and every session
 * as its JSON export (beats included). For the client's own copy, or moving them to another computer.
 */
export function clientExport(store: SessionStore, clientId: number, options: TimelineOptions = {}) {
  const record = clientRecord(store, clientId, options);
  if (!record) return undefined;
  const readings = record.readings.map((r) => ({ ...r, rrMs: readingRr(store, r.id) }));
  const sessions = sessionsOfClient(store, clientId).flatMap((s) => {
    const rows = loadSessionRows(store, s.id, 'json');
    return rows ? [sessionJson(rows)] : [];
  });
  return {
    format: 'tableside-client' as const,
    version: CLIENT_EXPORT_VERSION,
    exportedAt: new Date().toISOString(),
    ...record,
    readings,
    sessionExports: sessions,
  };
}
