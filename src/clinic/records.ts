/**
 * A client's record across the clinic's rooms, read from PostgreSQL: the same `ClientRecord` shape as
 * src/io/client-record.ts builds from one table's SQLite (so the pages draw it with the same code), computed by the
 * same pure statistics (src/tracking/timeline.ts) from every room's sessions and readings.
 *
 * Ids: the timeline pairs sessions and readings by number, and a session's number is a report link on the table
 * that recorded it. A session recorded on the asking table (its uid starts with that table's store uid) keeps its
 * local id, and so does a reading the asking table has (by content key); every other session and reading gets a
 * negative number, unique within the record, that links to nothing. Each session says its room (`table`) and its `uid`; each reading its `contentKey` and the room it came from.
 */

import type { ClientRecord, RecordReading, RecordSession } from '../io/client-record.js';
import { formatLocal } from '../io/local-time.js';
import type { ReadingKind, SessionStatus, StoredClient } from '../store/types.js';
import { clientTimeline, type TimelineOptions } from '../tracking/timeline.js';
import type { ClinicTx } from './pg.js';

export interface ClinicClient extends StoredClient {
  /** the clinic-wide uid (the one a table's alias resolves to) */
  readonly uid: string;
  /** ISO 8601, UTC: the last change of name or note */
  readonly editedAt: string;
  /** the table that made that change */
  readonly editedBy: string;
}

export type ClinicRecordSession = RecordSession & {
  readonly uid: string;
  /** the room (table) that recorded it */
  readonly table: string;
  /** true when the asking table recorded it: `id` is then its local session id (its report link) */
  readonly local: boolean;
};

export type ClinicRecordReading = RecordReading & {
  readonly contentKey: string;
  /** the room (table) that sent it first */
  readonly table: string;
};

export interface ClinicClientRecord extends ClientRecord {
  readonly client: ClinicClient;
  readonly sessions: ClinicRecordSession[];
  readonly readings: ClinicRecordReading[];
  /** where the record was read: every room's sessions */
  readonly source: 'clinic';
}

export interface ClinicRecordOptions extends TimelineOptions {
  /** the asking table's store uid: its own sessions keep their local ids */
  readonly storeUid?: string;
  /** the asking table's id for this client (the record's `client.id`); 0 when it has none */
  readonly localClientId?: number;
  /** the asking table's readings of this client, content key → local id: those keep their local ids */
  readonly localReadings?: ReadonlyMap<string, number>;
}

/** A client in the clinic's list. */
export interface ClinicClientListing {
  readonly uid: string;
  readonly name: string;
  readonly sessions: number;
  readonly readings: number;
  /** the start of the latest session, ISO 8601 UTC; null without sessions */
  readonly lastVisit: string | null;
  /** the rooms that recorded the client's sessions, by name */
  readonly tables: string[];
}

interface ClientPgRow {
  uid: string;
  name: string;
  note: string;
  created_at: Date;
  edited_at: Date;
  edited_by: string;
}

interface SessionPgRow {
  uid: string;
  table_name: string;
  started_at: Date;
  ended_at: Date | null;
  status: SessionStatus;
  baseline_ln_rmssd: number | null;
  massage_shift_ln: number | null;
  recovery_shift_ln: number | null;
  massage_s: number | null;
  techniques: string[];
  main_technique: string | null;
  main_technique_set: boolean;
}

interface ReadingPgRow {
  content_key: string;
  at: string;
  kind: ReadingKind;
  source: string;
  tags: string;
  beats: number;
  rmssd_ms: number | null;
  ln_rmssd: number | null;
  mean_hr_bpm: number | null;
  corrected_pct: number;
  reason: string | null;
  table_name: string;
}

/** The clinic's uid for `uid`: itself, or the client an alias names; undefined when the clinic has no such client. */
export async function resolveClientUid(db: ClinicTx, uid: string): Promise<string | undefined> {
  const rows = await db.query<{ uid: string }>(
    `SELECT uid FROM clients WHERE uid = $1
      UNION ALL SELECT c.uid FROM client_aliases a JOIN clients c ON c.uid = a.uid WHERE a.alias_uid = $1`,
    [uid],
  );
  return rows[0]?.uid;
}

export async function clinicClientByName(db: ClinicTx, name: string): Promise<ClinicClient | undefined> {
  const rows = await db.query<ClientPgRow>('SELECT * FROM clients WHERE name = $1', [name]);
  return rows[0] && toClient(rows[0], 0);
}

/** Every client of the clinic, by name. */
export async function clinicClients(db: ClinicTx): Promise<ClinicClientListing[]> {
  const rows = await db.query<{
    uid: string;
    name: string;
    sessions: number;
    readings: number;
    last_visit: Date | null;
    tables: string[] | null;
  }>(
    `SELECT c.uid, c.name,
        (SELECT count(*)::int FROM sessions s WHERE s.client_uid = c.uid) AS sessions,
        (SELECT count(*)::int FROM readings r WHERE r.client_uid = c.uid) AS readings,
        (SELECT max(started_at) FROM sessions s WHERE s.client_uid = c.uid) AS last_visit,
        (SELECT array_agg(DISTINCT table_name ORDER BY table_name) FROM sessions s WHERE s.client_uid = c.uid) AS tables
      FROM clients c ORDER BY lower(c.name), c.uid`,
  );
  return rows.map((r) => ({
    uid: r.uid,
    name: r.name,
    sessions: r.sessions,
    readings: r.readings,
    lastVisit: r.last_visit === null ? null : r.last_visit.toISOString(),
    tables: r.tables ?? [],
  }));
}

/**
 * The client's record from every room, or undefined when the clinic has no client by that uid (nor alias). Read in
 * one transaction, so a sync landing meanwhile is seen whole or not at all.
 */
export async function clinicClientRecord(
  db: { transaction<T>(fn: (tx: ClinicTx) => Promise<T>): Promise<T> },
  uid: string,
  options: ClinicRecordOptions = {},
): Promise<ClinicClientRecord | undefined> {
  const read = await db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const clinicUid = await resolveClientUid(tx, uid);
    if (clinicUid === undefined) return undefined;
    const [client] = await tx.query<ClientPgRow>('SELECT * FROM clients WHERE uid = $1', [clinicUid]);
    const sessions = await tx.query<SessionPgRow>(
      `SELECT uid, table_name, started_at, ended_at, status, baseline_ln_rmssd, massage_shift_ln, recovery_shift_ln,
          massage_s, techniques, main_technique, main_technique_set
        FROM sessions WHERE client_uid = $1 ORDER BY started_at, uid`,
      [clinicUid],
    );
    const readings = await tx.query<ReadingPgRow>(
      `SELECT content_key, at, kind, source, tags, beats, rmssd_ms, ln_rmssd, mean_hr_bpm, corrected_pct, reason,
          table_name
        FROM readings WHERE client_uid = $1 ORDER BY at, content_key`,
      [clinicUid],
    );
    return { client, sessions, readings };
  });
  if (!read) return undefined;
  const localPrefix = options.storeUid === undefined ? undefined : `${options.storeUid}:`;
  let next = 0;
  const sessions = read.sessions.map((s) => {
    const localId =
      localPrefix !== undefined && s.uid.startsWith(localPrefix) ? Number(s.uid.slice(localPrefix.length)) : NaN;
    const local = Number.isInteger(localId) && localId > 0;
    return { row: s, id: local ? localId : --next, local };
  });
  const readings = read.readings.map((r) => ({ row: r, id: options.localReadings?.get(r.content_key) ?? --next }));
  const timeline = clientTimeline(
    readings.map(({ row, id }) => ({ id, at: row.at, kind: row.kind, lnRmssd: row.ln_rmssd })),
    sessions.map(({ row, id }) => ({
      id,
      startedAt: formatLocal(row.started_at),
      endedAt: row.ended_at === null ? null : formatLocal(row.ended_at),
      baselineLnRmssd: row.baseline_ln_rmssd,
      massageShiftLn: row.massage_shift_ln,
      recoveryShiftLn: row.recovery_shift_ln,
      mainTechnique: row.main_technique,
      massageS: row.massage_s,
    })),
    { normalSdFactor: options.normalSdFactor, today: options.today ?? formatLocal(new Date()).slice(0, 10) },
  );
  const byId = new Map(sessions.map((s) => [s.id, s]));
  return {
    source: 'clinic',
    client: toClient(read.client, options.localClientId ?? 0),
    readings: readings.map(({ row, id }) => toReading(row, id)),
    days: timeline.days,
    sessions: timeline.sessions.map((point) => {
      const s = byId.get(point.id);
      return {
        ...point,
        status: s?.row.status ?? 'ended',
        techniques: s?.row.techniques ?? [],
        mainTechniqueSet: s?.row.main_technique_set ?? false,
        uid: s?.row.uid ?? '',
        table: s?.row.table_name ?? '',
        local: s?.local ?? false,
      };
    }),
    techniques: timeline.techniques,
    overWeeks: timeline.overWeeks,
  };
}

function toClient(row: ClientPgRow, id: number): ClinicClient {
  return {
    id,
    uid: row.uid,
    name: row.name,
    note: row.note,
    createdAt: row.created_at.toISOString(),
    editedAt: row.edited_at.toISOString(),
    editedBy: row.edited_by,
  };
}

function toReading(r: ReadingPgRow, id: number): ClinicRecordReading {
  const base = {
    id,
    at: r.at,
    kind: r.kind,
    source: r.source,
    tags: r.tags,
    beats: r.beats,
    rmssdMs: r.rmssd_ms,
    lnRmssd: r.ln_rmssd,
    meanHrBpm: r.mean_hr_bpm,
    correctedPct: r.corrected_pct,
    contentKey: r.content_key,
    table: r.table_name,
  };
  return r.reason === null ? base : { ...base, reason: r.reason };
}
