/**
 * All of the store's SQL: the schema migrations and the statements, prepared once per connection.
 *
 * Tables are STRICT (a JS bug that binds a string to a time fails loudly instead of storing it) and CHECK only the
 * enums the store owns (status, phase and marker kinds). A beat's `kind` is not checked: a kind added to the artefact
 * layer must not make every batch of a live session fail.
 *
 * Beats, metrics and samples are keyed `(session_id, seq)` so a beat cannot be stored twice; the keys double as the
 * indexes that read a session in order. Times are REAL: replay and simulated clocks are fractional ms.
 */
import type { Database, Statement } from 'better-sqlite3';
import type { MetricValues, TrendPoint } from '../domain/metrics.js';

/** 'tbls': stamped into the file header so another program's SQLite file is recognised as not ours. */
export const APPLICATION_ID = 0x74626c73;

export interface Migration {
  /** the `user_version` the database has after it */
  readonly version: number;
  readonly what: string;
  readonly sql: string;
}

/** A random UUID (version 4 layout) in SQL: evaluated once per row. */
const UUID = `(lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' ||
  substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + abs(random()) % 4, 1) ||
  substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6))))`;
/** ISO 8601 UTC with milliseconds, like the store's other times. */
const NOW = `strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`;
/** The outbox queues only while it is on (migration 4). */
const ON = `(SELECT value FROM store_meta WHERE key = 'outbox') = 'on'`;
/** A session's uid in the clinic database: '<store uid>:<session id>'. */
const SESSION_UID = (id: string) => `(SELECT value FROM store_meta WHERE key = 'uid') || ':' || ${id}`;

/** In order; never edit one that shipped — add the next. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    what: 'sessions with their samples, beats, gaps, statuses, metrics, phases and markers',
    sql: `
      -- AUTOINCREMENT: a deleted session's id is never reused, so a viewer's link never shows another session.
      CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        status TEXT NOT NULL DEFAULT 'recording' CHECK (status IN ('recording', 'ended', 'interrupted')),
        client_label TEXT NOT NULL,
        therapist_note TEXT NOT NULL,
        source_kind TEXT NOT NULL,
        source_label TEXT NOT NULL,
        device_name TEXT,
        device_id TEXT,
        params_json TEXT NOT NULL,
        last_beat_t_s REAL,
        -- kept by writeBatch in the batch's transaction: listing sessions must not count every beat ever stored
        beat_count INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX sessions_started ON sessions (started_at);
      CREATE INDEX sessions_status ON sessions (status);

      CREATE TABLE samples (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL CHECK (seq >= 0),
        source_time_ms REAL NOT NULL,
        received_at_ms REAL NOT NULL,
        payload BLOB,
        rr_json TEXT NOT NULL,
        error TEXT,
        PRIMARY KEY (session_id, seq)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE beats (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL CHECK (seq >= 0),
        t_s REAL NOT NULL,
        rr_ms REAL NOT NULL,
        gap_before INTEGER NOT NULL CHECK (gap_before IN (0, 1)),
        kind TEXT,
        flags INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (session_id, seq)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX beats_time ON beats (session_id, t_s);

      CREATE TABLE gaps (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        from_s REAL NOT NULL,
        to_s REAL NOT NULL,
        reason TEXT NOT NULL,
        received_at_ms REAL NOT NULL
      ) STRICT;
      CREATE INDEX gaps_time ON gaps (session_id, from_s);

      CREATE TABLE statuses (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        source_time_ms REAL NOT NULL,
        received_at_ms REAL NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        battery_pct REAL
      ) STRICT;
      CREATE INDEX statuses_time ON statuses (session_id, source_time_ms);

      -- A rowid table: quality_json makes rows too wide for WITHOUT ROWID to pay off.
      CREATE TABLE metrics (
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL CHECK (seq >= 0),
        t_s REAL NOT NULL,
        mean_hr_bpm REAL,
        rmssd_ms REAL,
        ln_rmssd REAL,
        sdnn_ms REAL,
        hf_ms2 REAL,
        lf_ms2 REAL,
        lf_hf REAL,
        hf_peak_hz REAL,
        respiration_bpm REAL,
        corrected_pct REAL NOT NULL,
        quality_json TEXT NOT NULL,
        PRIMARY KEY (session_id, seq)
      ) STRICT;
      CREATE INDEX metrics_time ON metrics (session_id, t_s, seq);

      CREATE TABLE phases (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('baseline', 'massage', 'recovery')),
        started_at_s REAL NOT NULL,
        ended_at_s REAL,
        CHECK (ended_at_s IS NULL OR ended_at_s >= started_at_s)
      ) STRICT;
      CREATE INDEX phases_time ON phases (session_id, started_at_s);
      -- At most one open phase per session.
      CREATE UNIQUE INDEX phases_one_open ON phases (session_id) WHERE ended_at_s IS NULL;

      CREATE TABLE markers (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        at_s REAL NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('technique', 'region', 'note')),
        value TEXT NOT NULL,
        undone INTEGER NOT NULL DEFAULT 0 CHECK (undone IN (0, 1)),
        created_at_ms REAL NOT NULL
      ) STRICT;
      CREATE INDEX markers_time ON markers (session_id, at_s);
    `,
  },
  {
    version: 2,
    what: 'streams: a session recorded from two straps at once (client and therapist) is one stored session per strap',
    sql: `
      -- The session a companion stream belongs to; NULL for the session itself. Deleting the session deletes its
      -- companions, and with them their beats.
      ALTER TABLE sessions ADD COLUMN group_id INTEGER REFERENCES sessions (id) ON DELETE CASCADE;
      -- Whose heart this is: 'client' for every session recorded before streams existed.
      ALTER TABLE sessions ADD COLUMN stream TEXT NOT NULL DEFAULT 'client';
      CREATE INDEX sessions_group ON sessions (group_id);
    `,
  },
  {
    version: 3,
    what: "clients as records: a client's sessions and readings, and each session's values for the client's timeline",
    sql: `
      -- A client: a name (or pseudonym) and a note. Names are unique: a command names the client by it.
      CREATE TABLE clients (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        name TEXT NOT NULL UNIQUE,
        note TEXT NOT NULL DEFAULT '',
        created_at TEXT NOT NULL
      ) STRICT;

      -- Deleting a client deletes their sessions (and with them every row of the sessions).
      ALTER TABLE sessions ADD COLUMN client_id INTEGER REFERENCES clients (id) ON DELETE CASCADE;
      CREATE INDEX sessions_client ON sessions (client_id, started_at);

      -- The sessions recorded so far belong to the client whose name is exactly their label (the client's stream
      -- only: a therapist's stream goes with its session).
      INSERT INTO clients (name, note, created_at)
        SELECT client_label, '', min(started_at) FROM sessions
        WHERE client_label <> '' AND group_id IS NULL GROUP BY client_label ORDER BY min(started_at), client_label;
      UPDATE sessions SET client_id = (SELECT id FROM clients WHERE name = sessions.client_label)
        WHERE client_label <> '' AND group_id IS NULL;

      -- A reading: a short standardised recording on the client's record. \`at\` is local time as the reading was
      -- taken ('YYYY-MM-DDTHH:MM:SS', no zone); its value is null when the reading fails the quality rules, and
      -- \`reason\` says why. \`content_key\` (a hash of time and RR) makes importing the same reading twice a no-op.
      CREATE TABLE readings (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        client_id INTEGER NOT NULL REFERENCES clients (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('morning', 'before', 'after', 'night', 'other')),
        source TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '',
        rr_json TEXT NOT NULL,
        beats INTEGER NOT NULL,
        rmssd_ms REAL,
        ln_rmssd REAL,
        mean_hr_bpm REAL,
        corrected_pct REAL NOT NULL,
        reason TEXT,
        content_key TEXT NOT NULL,
        imported_at TEXT NOT NULL,
        UNIQUE (client_id, content_key)
      ) STRICT;
      CREATE INDEX readings_client ON readings (client_id, at);

      -- What a client's timeline shows of a session, computed once from its beats (when it ends, or on first need).
      -- main_technique_set: the main technique was chosen by hand and stays as chosen.
      CREATE TABLE session_values (
        session_id INTEGER PRIMARY KEY REFERENCES sessions (id) ON DELETE CASCADE,
        baseline_ln_rmssd REAL,
        massage_shift_ln REAL,
        recovery_shift_ln REAL,
        massage_s REAL NOT NULL,
        techniques_json TEXT NOT NULL,
        main_technique TEXT,
        main_technique_set INTEGER NOT NULL DEFAULT 0 CHECK (main_technique_set IN (0, 1)),
        computed_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 4,
    what: "the clinic's outbox: the store's uid, clients' uids and edit times, and triggers queueing every change",
    sql: `
      -- The store's own facts: 'uid' (random, made once: a session's clinic uid is '<store uid>:<session id>') and
      -- 'outbox' ('on' once the table syncs to a clinic database; until then nothing is queued).
      CREATE TABLE store_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
      INSERT INTO store_meta (key, value) VALUES ('uid', ${UUID});

      -- A client's uid is made once by the table that created it (or taken from the clinic, rule 1); edited_at is
      -- the last change of name or note, for "last writer wins" between tables.
      ALTER TABLE clients ADD COLUMN uid TEXT;
      ALTER TABLE clients ADD COLUMN edited_at TEXT;
      UPDATE clients SET uid = ${UUID}, edited_at = created_at;
      CREATE UNIQUE INDEX clients_uid ON clients (uid);

      -- What the clinic database must learn, in order. \`ref\` names the row (a client's uid, a session's clinic uid,
      -- a reading's client uid) and \`arg\` says more (a reading's content key, the client a merge went into). The
      -- payload is read at send time from the rows as they are then; a delete carries the uid, the row being gone.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        what TEXT NOT NULL CHECK (what IN ('client', 'client-delete', 'client-merge', 'reading', 'reading-delete',
          'session', 'session-delete')),
        ref TEXT NOT NULL,
        arg TEXT,
        queued_at TEXT NOT NULL
      ) STRICT;
      CREATE INDEX outbox_ref ON outbox (what, ref, arg);

      -- Triggers, so that no code path can forget the outbox. They queue only while store_meta 'outbox' is 'on'
      -- (the sender sets it 'applying' while it writes what it learnt from the clinic: that is no news for it).
      CREATE TRIGGER clients_inserted AFTER INSERT ON clients BEGIN
        UPDATE clients SET uid = coalesce(uid, ${UUID}), edited_at = coalesce(edited_at, created_at)
          WHERE id = NEW.id;
        INSERT INTO outbox (what, ref, queued_at) SELECT 'client', uid, ${NOW} FROM clients
          WHERE id = NEW.id AND ${ON};
      END;
      CREATE TRIGGER clients_edited AFTER UPDATE OF name, note ON clients
        WHEN OLD.name IS NOT NEW.name OR OLD.note IS NOT NEW.note BEGIN
        UPDATE clients SET edited_at = ${NOW} WHERE id = NEW.id AND NEW.edited_at IS OLD.edited_at;
        INSERT INTO outbox (what, ref, queued_at) SELECT 'client', NEW.uid, ${NOW} WHERE ${ON};
      END;
      CREATE TRIGGER clients_deleted AFTER DELETE ON clients WHEN ${ON} AND NOT EXISTS
        (SELECT 1 FROM outbox WHERE what = 'client-merge' AND ref = OLD.uid) BEGIN
        INSERT INTO outbox (what, ref, queued_at) VALUES ('client-delete', OLD.uid, ${NOW});
      END;

      CREATE TRIGGER readings_inserted AFTER INSERT ON readings WHEN ${ON} BEGIN
        INSERT INTO outbox (what, ref, arg, queued_at)
          SELECT 'reading', uid, NEW.content_key, ${NOW} FROM clients WHERE id = NEW.client_id;
      END;
      CREATE TRIGGER readings_moved AFTER UPDATE OF client_id ON readings WHEN ${ON} BEGIN
        INSERT INTO outbox (what, ref, arg, queued_at)
          SELECT 'reading', uid, NEW.content_key, ${NOW} FROM clients WHERE id = NEW.client_id;
      END;
      -- A reading deleted with its client needs no news of its own: the client's delete says it.
      CREATE TRIGGER readings_deleted AFTER DELETE ON readings WHEN ${ON} BEGIN
        INSERT INTO outbox (what, ref, arg, queued_at)
          SELECT 'reading-delete', uid, OLD.content_key, ${NOW} FROM clients WHERE id = OLD.client_id;
      END;

      -- Sessions: once they leave 'recording', and whenever the record's view of them changes after that.
      CREATE TRIGGER sessions_finished AFTER UPDATE OF status ON sessions
        WHEN OLD.status = 'recording' AND NEW.status <> 'recording' AND ${ON} BEGIN
        INSERT INTO outbox (what, ref, queued_at) VALUES ('session', ${SESSION_UID('NEW.id')}, ${NOW});
      END;
      CREATE TRIGGER sessions_moved AFTER UPDATE OF client_id ON sessions
        WHEN OLD.client_id IS NOT NEW.client_id AND NEW.status <> 'recording' AND ${ON} BEGIN
        INSERT INTO outbox (what, ref, queued_at) VALUES ('session', ${SESSION_UID('NEW.id')}, ${NOW});
      END;
      CREATE TRIGGER sessions_deleted AFTER DELETE ON sessions WHEN OLD.status <> 'recording' AND ${ON} BEGIN
        INSERT INTO outbox (what, ref, queued_at) VALUES ('session-delete', ${SESSION_UID('OLD.id')}, ${NOW});
      END;
      CREATE TRIGGER session_values_inserted AFTER INSERT ON session_values WHEN ${ON} BEGIN
        INSERT INTO outbox (what, ref, queued_at) SELECT 'session', ${SESSION_UID('id')}, ${NOW} FROM sessions
          WHERE id = NEW.session_id AND status <> 'recording';
      END;
      CREATE TRIGGER session_values_updated AFTER UPDATE ON session_values WHEN ${ON} BEGIN
        INSERT INTO outbox (what, ref, queued_at) SELECT 'session', ${SESSION_UID('id')}, ${NOW} FROM sessions
          WHERE id = NEW.session_id AND status <> 'recording';
      END;
      CREATE TRIGGER markers_changed AFTER UPDATE ON markers WHEN ${ON} BEGIN
        INSERT INTO outbox (what, ref, queued_at) SELECT 'session', ${SESSION_UID('id')}, ${NOW} FROM sessions
          WHERE id = NEW.session_id AND status <> 'recording';
      END;
      CREATE TRIGGER markers_added AFTER INSERT ON markers WHEN ${ON} BEGIN
        INSERT INTO outbox (what, ref, queued_at) SELECT 'session', ${SESSION_UID('id')}, ${NOW} FROM sessions
          WHERE id = NEW.session_id AND status <> 'recording';
      END;
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

// Rows as SQLite returns them (columns aliased to camelCase; booleans still 0/1, JSON still text).

export interface SessionRow {
  id: number;
  startedAt: string;
  endedAt: string | null;
  status: string;
  clientLabel: string;
  therapistNote: string;
  sourceKind: string;
  sourceLabel: string;
  deviceName: string | null;
  deviceId: string | null;
  paramsJson: string;
  lastBeatTS: number | null;
  beatCount: number;
  groupId: number | null;
  stream: string;
  clientId: number | null;
}
export interface ClientRow {
  id: number;
  name: string;
  note: string;
  createdAt: string;
}
export interface ClientListRow extends ClientRow {
  sessions: number;
  readings: number;
  lastVisit: string | null;
}
export interface ReadingRow {
  id: number;
  clientId: number;
  at: string;
  kind: string;
  source: string;
  tags: string;
  beats: number;
  rmssdMs: number | null;
  lnRmssd: number | null;
  meanHrBpm: number | null;
  correctedPct: number;
  reason: string | null;
  importedAt: string;
}
export interface SessionValuesRow {
  sessionId: number;
  baselineLnRmssd: number | null;
  massageShiftLn: number | null;
  recoveryShiftLn: number | null;
  massageS: number;
  techniquesJson: string;
  mainTechnique: string | null;
  mainTechniqueSet: number;
}
export interface SampleRow {
  seq: number;
  sourceTimeMs: number;
  receivedAtMs: number;
  payload: Buffer | null;
  rrJson: string;
  error: string | null;
}
export interface BeatRow {
  seq: number;
  tS: number;
  rrMs: number;
  gapBefore: number;
  kind: string | null;
  flags: number;
}
export interface GapRow {
  fromS: number;
  toS: number;
  reason: string;
  receivedAtMs: number;
}
export interface StatusRow {
  sourceTimeMs: number;
  receivedAtMs: number;
  state: string;
  reason: string | null;
  batteryPct: number | null;
}
export type MetricsRow = {
  seq: number;
  tS: number;
  correctedPct: number;
  qualityJson: string;
} & MetricValues;
export type MetricsTrendRow = TrendPoint;
export interface PhaseRow {
  id: number;
  sessionId: number;
  kind: string;
  startedAtS: number;
  endedAtS: number | null;
}
export interface MarkerRow {
  id: number;
  sessionId: number;
  atS: number;
  kind: string;
  value: string;
  undone: number;
  createdAtMs: number;
}

const SESSION = `id, started_at AS startedAt, ended_at AS endedAt, status, client_label AS clientLabel,
  therapist_note AS therapistNote, source_kind AS sourceKind, source_label AS sourceLabel, device_name AS deviceName,
  device_id AS deviceId, params_json AS paramsJson, last_beat_t_s AS lastBeatTS, beat_count AS beatCount,
  group_id AS groupId, stream, client_id AS clientId`;
const CLIENT = 'id, name, note, created_at AS createdAt';
const READING = `id, client_id AS clientId, at, kind, source, tags, beats, rmssd_ms AS rmssdMs, ln_rmssd AS lnRmssd,
  mean_hr_bpm AS meanHrBpm, corrected_pct AS correctedPct, reason, imported_at AS importedAt`;
const SESSION_VALUES = `session_id AS sessionId, baseline_ln_rmssd AS baselineLnRmssd,
  massage_shift_ln AS massageShiftLn, recovery_shift_ln AS recoveryShiftLn, massage_s AS massageS,
  techniques_json AS techniquesJson, main_technique AS mainTechnique, main_technique_set AS mainTechniqueSet`;
const SAMPLE = `seq, source_time_ms AS sourceTimeMs, received_at_ms AS receivedAtMs, payload, rr_json AS rrJson, error`;
const BEAT = 'seq, t_s AS tS, rr_ms AS rrMs, gap_before AS gapBefore, kind, flags';
const GAP = 'from_s AS fromS, to_s AS toS, reason, received_at_ms AS receivedAtMs';
const STATUS = `source_time_ms AS sourceTimeMs, received_at_ms AS receivedAtMs, state, reason,
  battery_pct AS batteryPct`;
const METRICS = `seq, t_s AS tS, mean_hr_bpm AS meanHrBpm, rmssd_ms AS rmssdMs, ln_rmssd AS lnRmssd,
  sdnn_ms AS sdnnMs, hf_ms2 AS hfMs2, lf_ms2 AS lfMs2, lf_hf AS lfHfRatio, hf_peak_hz AS hfPeakHz,
  respiration_bpm AS respirationRateBpm, corrected_pct AS correctedPct, quality_json AS qualityJson`;
/** What a viewer's backfill draws: no quality JSON to read and parse (half the cost of a long session's hello). */
const TREND = `t_s AS tS, mean_hr_bpm AS meanHrBpm, rmssd_ms AS rmssdMs, ln_rmssd AS lnRmssd, hf_ms2 AS hfMs2,
  lf_ms2 AS lfMs2, respiration_bpm AS respirationRateBpm, corrected_pct AS correctedPct`;
const PHASE = 'id, session_id AS sessionId, kind, started_at_s AS startedAtS, ended_at_s AS endedAtS';
const MARKER = `id, session_id AS sessionId, at_s AS atS, kind, value, undone, created_at_ms AS createdAtMs`;

type Id = [sessionId: number];
type Range = [sessionId: number, fromS: number, toS: number];
type SeqRange = [sessionId: number, fromSeq: number, toSeq: number];

/** Prepares every statement the store runs. Call once per connection, after the migrations. */
export function prepareStatements(db: Database) {
  const p = <P extends unknown[], R = unknown>(sql: string): Statement<P, R> => db.prepare<P, R>(sql);
  return {
    sessionInsert: p<
      [
        string,
        string,
        string,
        string,
        string,
        string | null,
        string | null,
        string,
        number | null,
        string,
        number | null,
      ],
      SessionRow
    >(
      `INSERT INTO sessions (started_at, client_label, therapist_note, source_kind, source_label, device_name,
        device_id, params_json, group_id, stream, client_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        RETURNING ${SESSION}`,
    ),
    sessionsOfClient: p<[clientId: number], SessionRow>(
      `SELECT ${SESSION} FROM sessions WHERE client_id = ? ORDER BY started_at, id`,
    ),
    /** A client's sessions with their companion streams: what deleting the client deletes. */
    sessionsOfClientWithStreams: p<[clientId: number, clientId: number], SessionRow>(
      `SELECT ${SESSION} FROM sessions WHERE client_id = ?
        OR group_id IN (SELECT id FROM sessions WHERE client_id = ?) ORDER BY id`,
    ),
    sessionsMoveClient: p<[toId: number, label: string, fromId: number], unknown>(
      'UPDATE sessions SET client_id = ?, client_label = ? WHERE client_id = ?',
    ),
    /** A renamed client's sessions carry the new name as their label, companion streams too. */
    sessionsRelabel: p<[label: string, clientId: number, clientId: number], unknown>(
      `UPDATE sessions SET client_label = ? WHERE client_id = ?
        OR group_id IN (SELECT id FROM sessions WHERE client_id = ?)`,
    ),

    clientInsert: p<[name: string, note: string, createdAt: string], ClientRow>(
      `INSERT INTO clients (name, note, created_at) VALUES (?, ?, ?) RETURNING ${CLIENT}`,
    ),
    clientGet: p<[clientId: number], ClientRow>(`SELECT ${CLIENT} FROM clients WHERE id = ?`),
    clientByName: p<[name: string], ClientRow>(`SELECT ${CLIENT} FROM clients WHERE name = ?`),
    clientList: p<[], ClientListRow>(
      `SELECT ${CLIENT},
        (SELECT count(*) FROM sessions s WHERE s.client_id = clients.id) AS sessions,
        (SELECT count(*) FROM readings r WHERE r.client_id = clients.id) AS readings,
        (SELECT max(started_at) FROM sessions s WHERE s.client_id = clients.id) AS lastVisit
        FROM clients ORDER BY name COLLATE NOCASE, id`,
    ),
    clientUpdate: p<[name: string, note: string, clientId: number], ClientRow>(
      `UPDATE clients SET name = ?, note = ? WHERE id = ? RETURNING ${CLIENT}`,
    ),
    clientDelete: p<[clientId: number], unknown>('DELETE FROM clients WHERE id = ?'),
    /** Before a merge deletes `from`: the clinic is told it went into `into` (when the outbox is on). */
    outboxMerge: p<[fromId: number, intoId: number], unknown>(
      `INSERT INTO outbox (what, ref, arg, queued_at)
        SELECT 'client-merge', f.uid, t.uid, ${NOW} FROM clients f, clients t WHERE f.id = ? AND t.id = ? AND ${ON}`,
    ),

    readingInsert: p<
      [
        clientId: number,
        at: string,
        kind: string,
        source: string,
        tags: string,
        rrJson: string,
        beats: number,
        rmssdMs: number | null,
        lnRmssd: number | null,
        meanHrBpm: number | null,
        correctedPct: number,
        reason: string | null,
        contentKey: string,
        importedAt: string,
      ],
      unknown
    >(
      `INSERT INTO readings (client_id, at, kind, source, tags, rr_json, beats, rmssd_ms, ln_rmssd, mean_hr_bpm,
        corrected_pct, reason, content_key, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (client_id, content_key) DO NOTHING`,
    ),
    readingsOfClient: p<[clientId: number], ReadingRow>(
      `SELECT ${READING} FROM readings WHERE client_id = ? ORDER BY at, id`,
    ),
    readingRr: p<[readingId: number], { rrJson: string }>('SELECT rr_json AS rrJson FROM readings WHERE id = ?'),
    readingGet: p<[readingId: number], ReadingRow>(`SELECT ${READING} FROM readings WHERE id = ?`),
    readingDelete: p<[readingId: number], unknown>('DELETE FROM readings WHERE id = ?'),
    /** Merging: a reading the target client has already (same key) is dropped, the others move. */
    readingsDropDuplicates: p<[fromId: number, toId: number], unknown>(
      `DELETE FROM readings WHERE client_id = ? AND content_key IN
        (SELECT content_key FROM readings WHERE client_id = ?)`,
    ),
    readingsMove: p<[toId: number, fromId: number], unknown>('UPDATE readings SET client_id = ? WHERE client_id = ?'),
    readingsCount: p<[clientId: number], { n: number; beats: number }>(
      'SELECT count(*) AS n, coalesce(sum(beats), 0) AS beats FROM readings WHERE client_id = ?',
    ),

    sessionValuesGet: p<[sessionId: number], SessionValuesRow>(
      `SELECT ${SESSION_VALUES} FROM session_values WHERE session_id = ?`,
    ),
    sessionValuesOfClient: p<[clientId: number], SessionValuesRow>(
      `SELECT ${SESSION_VALUES} FROM session_values
        WHERE session_id IN (SELECT id FROM sessions WHERE client_id = ?)`,
    ),
    /** Computed values replace computed ones; a main technique chosen by hand stays. */
    sessionValuesPut: p<
      [
        sessionId: number,
        baselineLnRmssd: number | null,
        massageShiftLn: number | null,
        recoveryShiftLn: number | null,
        massageS: number,
        techniquesJson: string,
        mainTechnique: string | null,
        computedAt: string,
      ],
      unknown
    >(
      `INSERT INTO session_values (session_id, baseline_ln_rmssd, massage_shift_ln, recovery_shift_ln, massage_s,
        techniques_json, main_technique, computed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT (session_id) DO UPDATE SET baseline_ln_rmssd = excluded.baseline_ln_rmssd,
          massage_shift_ln = excluded.massage_shift_ln, recovery_shift_ln = excluded.recovery_shift_ln,
          massage_s = excluded.massage_s, techniques_json = excluded.techniques_json,
          main_technique = iif(main_technique_set = 1, main_technique, excluded.main_technique),
          computed_at = excluded.computed_at`,
    ),
    sessionValuesSetMain: p<[mainTechnique: string | null, sessionId: number], unknown>(
      'UPDATE session_values SET main_technique = ?, main_technique_set = 1 WHERE session_id = ?',
    ),
    sessionCompanions: p<Id, SessionRow>(`SELECT ${SESSION} FROM sessions WHERE group_id = ? ORDER BY id`),
    sessionGet: p<Id, SessionRow>(`SELECT ${SESSION} FROM sessions WHERE id = ?`),
    sessionList: p<[], SessionRow>(`SELECT ${SESSION} FROM sessions ORDER BY started_at DESC, id DESC`),
    sessionExists: p<Id, { id: number }>('SELECT id FROM sessions WHERE id = ?'),
    sessionRecordingIds: p<[], { id: number }>(`SELECT id FROM sessions WHERE status = 'recording' ORDER BY id`),
    sessionEnd: p<[status: string, endedAt: string, sessionId: number], unknown>(
      `UPDATE sessions SET status = ?, ended_at = ? WHERE id = ? AND status = 'recording'`,
    ),
    sessionBeatsAdded: p<[tS: number, tS: number, count: number, sessionId: number], unknown>(
      `UPDATE sessions SET last_beat_t_s = iif(last_beat_t_s IS NULL OR last_beat_t_s < ?, ?, last_beat_t_s),
        beat_count = beat_count + ? WHERE id = ?`,
    ),
    /** The first strap a session connected to stays its strap. */
    sessionDevice: p<[name: string, id: string, sessionId: number], unknown>(
      `UPDATE sessions SET device_name = coalesce(device_name, ?), device_id = coalesce(device_id, ?) WHERE id = ?`,
    ),
    sessionDelete: p<Id, unknown>('DELETE FROM sessions WHERE id = ?'),

    sampleNextSeq: p<Id, { next: number }>(
      'SELECT coalesce(max(seq) + 1, 0) AS next FROM samples WHERE session_id = ?',
    ),
    sampleInsert: p<[number, number, number, number, Uint8Array | null, string, string | null], unknown>(
      `INSERT INTO samples (session_id, seq, source_time_ms, received_at_ms, payload, rr_json, error)
        VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ),
    sampleList: p<Id, SampleRow>(`SELECT ${SAMPLE} FROM samples WHERE session_id = ? ORDER BY seq`),

    /** `kind` is null until the beat's metrics classify it (or given at once when they come in the same batch). */
    beatInsert: p<[number, number, number, number, number, string | null, number], unknown>(
      'INSERT INTO beats (session_id, seq, t_s, rr_ms, gap_before, kind, flags) VALUES (?, ?, ?, ?, ?, ?, ?)',
    ),
    /** Bit 2 (corrected) is set or cleared, bit 1 (gap before) kept. */
    beatClassify: p<[kind: string, correctedBit: number, sessionId: number, seq: number], unknown>(
      'UPDATE beats SET kind = ?, flags = (flags & ~2) | ? WHERE session_id = ? AND seq = ?',
    ),
    beatList: p<Id, BeatRow>(`SELECT ${BEAT} FROM beats WHERE session_id = ? ORDER BY seq`),
    beatSeqRange: p<SeqRange, BeatRow>(
      `SELECT ${BEAT} FROM beats WHERE session_id = ? AND seq >= ? AND seq < ? ORDER BY seq`,
    ),
    /** The last beat and metrics seq stored, null when none. */
    lastSeqs: p<[sessionId: number, sessionId: number], { beat: number | null; metrics: number | null }>(
      `SELECT (SELECT max(seq) FROM beats WHERE session_id = ?) AS beat,
        (SELECT max(seq) FROM metrics WHERE session_id = ?) AS metrics`,
    ),
    beatRange: p<Range, BeatRow>(
      `SELECT ${BEAT} FROM beats WHERE session_id = ? AND t_s >= ? AND t_s < ? ORDER BY t_s, seq`,
    ),

    gapInsert: p<[number, number, number, string, number], unknown>(
      'INSERT INTO gaps (session_id, from_s, to_s, reason, received_at_ms) VALUES (?, ?, ?, ?, ?)',
    ),
    gapList: p<Id, GapRow>(`SELECT ${GAP} FROM gaps WHERE session_id = ? ORDER BY from_s, id`),

    statusInsert: p<[number, number, number, string, string | null, number | null], unknown>(
      `INSERT INTO statuses (session_id, source_time_ms, received_at_ms, state, reason, battery_pct)
        VALUES (?, ?, ?, ?, ?, ?)`,
    ),
    statusList: p<Id, StatusRow>(`SELECT ${STATUS} FROM statuses WHERE session_id = ? ORDER BY source_time_ms, id`),

    metricsInsert: p<
      [
        number,
        number,
        number,
        number | null,
        number | null,
        number | null,
        number | null,
        number | null,
        number | null,
        number | null,
        number | null,
        number | null,
        number,
        string,
      ],
      unknown
    >(
      `INSERT INTO metrics (session_id, seq, t_s, mean_hr_bpm, rmssd_ms, ln_rmssd, sdnn_ms, hf_ms2, lf_ms2, lf_hf,
        hf_peak_hz, respiration_bpm, corrected_pct, quality_json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    metricsList: p<Id, MetricsRow>(`SELECT ${METRICS} FROM metrics WHERE session_id = ? ORDER BY seq`),
    /** What a viewer's backfill draws: no quality JSON to read and parse (half the cost of a long session's hello). */
    metricsTrend: p<Id, MetricsTrendRow>(`SELECT ${TREND} FROM metrics WHERE session_id = ? ORDER BY seq`),
    metricsTrendSeqRange: p<SeqRange, MetricsTrendRow>(
      `SELECT ${TREND} FROM metrics WHERE session_id = ? AND seq >= ? AND seq < ? ORDER BY seq`,
    ),
    metricsRange: p<Range, MetricsRow>(
      `SELECT ${METRICS} FROM metrics WHERE session_id = ? AND t_s >= ? AND t_s < ? ORDER BY t_s, seq`,
    ),

    phaseClose: p<[endedAtS: number, sessionId: number], unknown>(
      'UPDATE phases SET ended_at_s = ? WHERE session_id = ? AND ended_at_s IS NULL',
    ),
    /** Ending a session closes its open phase at the last beat (or where it started, if no beat came after). */
    phaseCloseAtLastBeat: p<Id, unknown>(
      `UPDATE phases SET ended_at_s = max(started_at_s,
          coalesce((SELECT last_beat_t_s FROM sessions WHERE id = phases.session_id), started_at_s))
        WHERE session_id = ? AND ended_at_s IS NULL`,
    ),
    phaseInsert: p<[number, string, number], PhaseRow>(
      `INSERT INTO phases (session_id, kind, started_at_s) VALUES (?, ?, ?) RETURNING ${PHASE}`,
    ),
    phaseList: p<Id, PhaseRow>(`SELECT ${PHASE} FROM phases WHERE session_id = ? ORDER BY started_at_s, id`),

    markerInsert: p<[number, number, string, string, number], MarkerRow>(
      `INSERT INTO markers (session_id, at_s, kind, value, created_at_ms) VALUES (?, ?, ?, ?, ?) RETURNING ${MARKER}`,
    ),
    markerUndo: p<[sessionId: number, markerId: number], MarkerRow>(
      `UPDATE markers SET undone = 1 WHERE session_id = ? AND id = ? RETURNING ${MARKER}`,
    ),
    markerList: p<Id, MarkerRow>(`SELECT ${MARKER} FROM markers WHERE session_id = ? ORDER BY at_s, id`),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
