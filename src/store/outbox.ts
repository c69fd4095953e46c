/**
 * The clinic's side of the store: its uid, the outbox the triggers of migration 4 fill, and the few writes the
 * clinic's answers make (a client taking the clinic's uid, name or note; a client deleted elsewhere). Those writes
 * run with the outbox set to 'applying', so what the table learns from the clinic is not queued back to it.
 *
 * The sender (src/clinic/sync.ts) reads the outbox in id order and removes an item only after the clinic database
 * committed it. Every item names its row; the row's current state is read when the item is sent.
 */
import { StoreError } from './errors.js';
import type { SessionStore } from './session-store.js';

export type OutboxWhat =
  | 'client'
  | 'client-delete'
  | 'client-merge'
  | 'reading'
  | 'reading-delete'
  | 'session'
  | 'session-delete';

export interface OutboxItem {
  readonly id: number;
  readonly what: OutboxWhat;
  readonly ref: string;
  readonly arg: string | null;
  readonly queuedAt: string;
}

/** A client as the clinic sees it (name and note are personal data: never logged). */
export interface SyncClient {
  readonly id: number;
  readonly uid: string;
  readonly name: string;
  readonly note: string;
  readonly createdAt: string;
  readonly editedAt: string;
}

/** The store's uid: a session's clinic uid is `${storeUid}:${sessionId}`. */
export function storeUid(store: SessionStore): string {
  return store.withConnection('reading the store uid', (db) => {
    const row = db.prepare<[], { value: string }>(`SELECT value FROM store_meta WHERE key = 'uid'`).get();
    if (!row) throw new StoreError('STORE_FAILED', store.path, 'the store has no uid (migration 4 missing).');
    return row.value;
  });
}

/**
 * Turns the outbox on (the first time a table syncs to a clinic): from then on every change is queued. The first
 * time, everything already on record is queued too — clients, readings, finished sessions — so the clinic gets the
 * table's past as well. Returns the number of items queued now (0 when it was on already).
 */
export function enableOutbox(store: SessionStore): number {
  return store.withConnection('turning the clinic outbox on', (db) =>
    db
      .transaction(() => {
        const state = db.prepare<[], { value: string }>(`SELECT value FROM store_meta WHERE key = 'outbox'`).get();
        if (state?.value === 'on') return 0;
        db.prepare(`INSERT INTO store_meta (key, value) VALUES ('outbox', 'on')
          ON CONFLICT (key) DO UPDATE SET value = 'on'`).run();
        if (state !== undefined) return 0;
        const now = new Date().toISOString();
        const uid = storeUidIn(db);
        let n = 0;
        n += db
          .prepare(`INSERT INTO outbox (what, ref, queued_at) SELECT 'client', uid, ? FROM clients ORDER BY id`)
          .run(now).changes;
        n += db
          .prepare(`INSERT INTO outbox (what, ref, arg, queued_at)
            SELECT 'reading', c.uid, r.content_key, ? FROM readings r JOIN clients c ON c.id = r.client_id
            ORDER BY r.id`)
          .run(now).changes;
        n += db
          .prepare(`INSERT INTO outbox (what, ref, queued_at)
            SELECT 'session', ? || ':' || id, ? FROM sessions WHERE status <> 'recording' ORDER BY id`)
          .run(uid, now).changes;
        return n;
      })
      .immediate(),
  );
}

/** The first item after `afterId` (in id order), or undefined when the outbox is empty. */
export function outboxNext(store: SessionStore, afterId = 0): OutboxItem | undefined {
  return store.withConnection('reading the clinic outbox', (db) =>
    db
      .prepare<[number], OutboxItem>(
        'SELECT id, what, ref, arg, queued_at AS queuedAt FROM outbox WHERE id > ? ORDER BY id LIMIT 1',
      )
      .get(afterId),
  );
}

/** The last id of the items saying the same as `item` (same what, ref, arg): one send answers them all. */
export function outboxSameUpTo(store: SessionStore, item: OutboxItem): number {
  return store.withConnection('reading the clinic outbox', (db) => {
    const row = db
      .prepare<[string, string, string | null], { id: number | null }>(
        'SELECT max(id) AS id FROM outbox WHERE what = ? AND ref = ? AND arg IS ?',
      )
      .get(item.what, item.ref, item.arg);
    return row?.id ?? item.id;
  });
}

/** Removes `item` and the items saying the same up to `upToId` (sent and committed by the clinic). */
export function outboxDone(store: SessionStore, item: OutboxItem, upToId: number): void {
  store.withConnection('emptying the clinic outbox', (db) =>
    db
      .prepare('DELETE FROM outbox WHERE (id = ? OR (what = ? AND ref = ? AND arg IS ? AND id <= ?))')
      .run(item.id, item.what, item.ref, item.arg, upToId),
  );
}

export function outboxSize(store: SessionStore): number {
  return store.withConnection('counting the clinic outbox', (db) =>
    Number(db.prepare<[], { n: number }>('SELECT count(*) AS n FROM outbox').get()?.n ?? 0),
  );
}

const CLIENT = 'id, uid, name, note, created_at AS createdAt, edited_at AS editedAt';

export function clientByUid(store: SessionStore, uid: string): SyncClient | undefined {
  return store.withConnection('reading a client by uid', (db) =>
    db.prepare<[string], SyncClient>(`SELECT ${CLIENT} FROM clients WHERE uid = ?`).get(uid),
  );
}

/** Every client's uid (for asking the clinic which were deleted or edited elsewhere). */
export function clientUids(store: SessionStore): string[] {
  return store.withConnection('listing client uids', (db) =>
    db
      .prepare<[], { uid: string }>('SELECT uid FROM clients ORDER BY id')
      .all()
      .map((r) => r.uid),
  );
}

/** A reading as the clinic stores it, by its client's uid and content key. */
export interface SyncReading {
  readonly at: string;
  readonly kind: string;
  readonly source: string;
  readonly tags: string;
  readonly rrJson: string;
  readonly beats: number;
  readonly rmssdMs: number | null;
  readonly lnRmssd: number | null;
  readonly meanHrBpm: number | null;
  readonly correctedPct: number;
  readonly reason: string | null;
  readonly importedAt: string;
}

export function readingForSync(store: SessionStore, clientUid: string, contentKey: string): SyncReading | undefined {
  return store.withConnection('reading a reading for the clinic', (db) =>
    db
      .prepare<[string, string], SyncReading>(
        `SELECT r.at, r.kind, r.source, r.tags, r.rr_json AS rrJson, r.beats, r.rmssd_ms AS rmssdMs,
          r.ln_rmssd AS lnRmssd, r.mean_hr_bpm AS meanHrBpm, r.corrected_pct AS correctedPct, r.reason,
          r.imported_at AS importedAt
        FROM readings r JOIN clients c ON c.id = r.client_id WHERE c.uid = ? AND r.content_key = ?`,
      )
      .get(clientUid, contentKey),
  );
}

/** The uid of a session's client, and of its group's client: what the clinic keys it by. */
export function clientUidOf(store: SessionStore, clientId: number | null): string | null {
  if (clientId === null) return null;
  return store.withConnection('reading a client uid', (db) => {
    const row = db.prepare<[number], { uid: string }>('SELECT uid FROM clients WHERE id = ?').get(clientId);
    return row?.uid ?? null;
  });
}

/**
 * What the clinic said of a client, applied without queueing it back: its uid (rule 1: the clinic's uid for the
 * same name), and its name and note when the clinic's are newer (rule 2). A name another local client has stays
 * as it is here (returns false for `renamed`).
 */
export function adoptClinicClient(
  store: SessionStore,
  localUid: string,
  clinic: { uid: string; name: string; note: string; editedAt: string },
  /** the client's edit time when the clinic was asked: an edit made here since then is newer, and stays */
  ifEditedAt?: string,
): { found: boolean; renamed: boolean } {
  return applying(store, 'taking the clinic client', (db) => {
    const row = db.prepare<[string], SyncClient>(`SELECT ${CLIENT} FROM clients WHERE uid = ?`).get(localUid);
    if (!row) return { found: false, renamed: false };
    if (ifEditedAt !== undefined && row.editedAt !== ifEditedAt)
      clinic = { ...clinic, name: row.name, note: row.note, editedAt: row.editedAt };
    const clash = db
      .prepare<[string, number], { id: number }>('SELECT id FROM clients WHERE name = ? AND id <> ?')
      .get(clinic.name, row.id);
    const uidTaken = db
      .prepare<[string, number], { id: number }>('SELECT id FROM clients WHERE uid = ? AND id <> ?')
      .get(clinic.uid, row.id);
    const name = clash ? row.name : clinic.name;
    db.prepare('UPDATE clients SET uid = ?, name = ?, note = ?, edited_at = ? WHERE id = ?').run(
      uidTaken ? row.uid : clinic.uid,
      name,
      clinic.note,
      clinic.editedAt,
      row.id,
    );
    if (name !== row.name) {
      db.prepare(
        `UPDATE sessions SET client_label = ? WHERE client_id = ?
          OR group_id IN (SELECT id FROM sessions WHERE client_id = ?)`,
      ).run(name, row.id, row.id);
    }
    // Items still queued under the old uid now name the clinic's.
    if (!uidTaken && clinic.uid !== localUid) {
      db.prepare(`UPDATE outbox SET ref = ? WHERE ref = ? AND what IN ('client', 'reading', 'reading-delete')`).run(
        clinic.uid,
        localUid,
      );
    }
    return { found: true, renamed: !clash };
  });
}

/**
 * A client deleted at another table (the clinic keeps a tombstone): deleted here too, with their sessions and
 * readings, unless one of their sessions is recording now (then false: asked again at the next sync).
 */
export function deleteClientDeletedElsewhere(store: SessionStore, uid: string): 'deleted' | 'recording' | 'absent' {
  const result = applying(store, 'deleting a client deleted at another table', (db) => {
    const row = db.prepare<[string], { id: number }>('SELECT id FROM clients WHERE uid = ?').get(uid);
    if (!row) return 'absent' as const;
    const recording = db
      .prepare<[number, number], { n: number }>(
        `SELECT count(*) AS n FROM sessions WHERE status = 'recording'
          AND (client_id = ? OR group_id IN (SELECT id FROM sessions WHERE client_id = ?))`,
      )
      .get(row.id, row.id);
    if ((recording?.n ?? 0) > 0) return 'recording' as const;
    db.prepare('DELETE FROM clients WHERE id = ?').run(row.id);
    db.prepare(`DELETE FROM outbox WHERE ref = ? AND what IN ('client', 'reading', 'reading-delete')`).run(uid);
    return 'deleted' as const;
  });
  if (result === 'deleted') store.clearWal();
  return result;
}

type Db = Parameters<Parameters<SessionStore['withConnection']>[1]>[0];

/** Runs `fn` in one transaction with the outbox set to 'applying' (nothing queued), then back as it was. */
function applying<T>(store: SessionStore, doing: string, fn: (db: Db) => T): T {
  return store.withConnection(doing, (db) =>
    db
      .transaction(() => {
        const before = db.prepare<[], { value: string }>(`SELECT value FROM store_meta WHERE key = 'outbox'`).get();
        db.prepare(`UPDATE store_meta SET value = 'applying' WHERE key = 'outbox'`).run();
        try {
          return fn(db);
        } finally {
          if (before) db.prepare(`UPDATE store_meta SET value = ? WHERE key = 'outbox'`).run(before.value);
        }
      })
      .immediate(),
  );
}

function storeUidIn(db: Db): string {
  const row = db.prepare<[], { value: string }>(`SELECT value FROM store_meta WHERE key = 'uid'`).get();
  if (!row) throw new Error('the store has no uid');
  return row.value;
}

/** The client's readings by content key → local id (the clinic knows readings by their key). */
export function readingIdsByKey(store: SessionStore, clientId: number): Map<string, number> {
  return store.withConnection(`reading the reading keys of client ${clientId}`, (db) => {
    const rows = db
      .prepare<[number], { key: string; id: number }>(
        'SELECT content_key AS key, id FROM readings WHERE client_id = ? ORDER BY id',
      )
      .all(clientId);
    return new Map(rows.map((r) => [r.key, r.id]));
  });
}
