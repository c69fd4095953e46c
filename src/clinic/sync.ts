/**
 * The sender: a sink in the table's process that empties the store's outbox (src/store/outbox.ts) into the clinic
 * database, one item at a time in outbox order (so each client's changes arrive in the order they were made), each in
 * one PostgreSQL transaction, removed from the outbox only after the commit. At-least-once and idempotent: every
 * write is an upsert keyed by uids (a session '<store uid>:<id>', a reading its client and content key), so an item
 * sent twice (a crash between the commit and the removal) changes nothing the second time.
 *
 * It never blocks or fails recording: it reads the store between batches, and when the database is down the outbox
 * grows and the sender tries again (backoff up to 5 s), saying so once (a warning) and once more when it is back.
 *
 * Reconciliation — what the clinic does with a table's news, and what the table learns back:
 *  1. One person per name, clinic-wide. A client whose uid the clinic does not know but whose name it does (two rooms
 *     made "Anna K" while apart) is the clinic's client: the clinic keeps the table's uid as an alias, the table
 *     takes the clinic's uid. Rows sent under an alias land on the clinic's uid. A client made at the table and not
 *     edited since takes the clinic's note too; one edited at the table goes by rule 2.
 *  2. Name and note: the last edit wins (`edited_at`); equal times: the table whose name sorts first wins. A rename
 *     to a name another clinic client has is refused: the clinic keeps its name, the table keeps its own (logged
 *     without names), the note still follows rule 2.
 *  3. Readings: keyed by client and content key, so the same reading from two rooms is one row (the first room's).
 *     A reading deleted at any table is deleted from the clinic.
 *  4. Delete: deleting a client is an erasure. The clinic deletes the client with every room's sessions and
 *     readings and keeps a tombstone (uid only, no name) for the uid and its aliases; later items for it are dropped.
 *     A table that still holds the client deletes its copy when it learns it (its next item for that client, or the
 *     periodic check), unless one of the client's sessions is recording: then at the next check after it ends. An
 *     erasure asked for anywhere must hold everywhere, so it wins over edits made meanwhile.
 *  A merge at a table (client A into B) is a merge at the clinic: A's sessions and readings move to B (duplicate
 *  readings dropped), A's uid becomes an alias of B.
 */
import { computeSessionValues } from '../io/client-record.js';
import { sessionSummary } from '../io/session-export.js';
import { getSessionValues } from '../store/clients.js';
import {
  adoptClinicClient,
  clientByUid,
  clientUidOf,
  clientUids,
  deleteClientDeletedElsewhere,
  enableOutbox,
  type OutboxItem,
  outboxDone,
  outboxNext,
  outboxSameUpTo,
  outboxSize,
  readingForSync,
  type SyncClient,
  storeUid,
} from '../store/outbox.js';
import type { SessionStore } from '../store/session-store.js';
import { type ClinicDb, ClinicDbError, type ClinicTx, clinicDbError, openClinicDb } from './pg.js';
import { CLINIC_MIGRATION_LOCK, migrateClinicDb } from './pg-schema.js';
import type { ClinicDbSettings } from './settings.js';

/** The part of a pino logger the sender uses. */
export interface SyncLog {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ClinicSyncOptions {
  readonly store: SessionStore;
  readonly settings: ClinicDbSettings;
  readonly log: SyncLog;
  /** longest wait between attempts while the database is down, ms (default 5000) */
  readonly retryMaxMs?: number;
  /** how often an empty outbox is looked at again, ms (default 1000) */
  readonly pollMs?: number;
  /** how often the table asks the clinic what changed elsewhere (deletes, edits), ms (default 30 s) */
  readonly checkEveryMs?: number;
  /** a pool already open (tests, the bench) */
  readonly db?: ClinicDb;
}

/** The order of two edits for rule 2: the later wins; at equal times the table whose name sorts first. */
export function laterEdit(
  a: { editedAt: string | Date; by: string },
  b: { editedAt: string | Date; by: string },
): 'a' | 'b' | 'same' {
  const ta = new Date(a.editedAt).getTime();
  const tb = new Date(b.editedAt).getTime();
  if (ta !== tb) return ta > tb ? 'a' : 'b';
  if (a.by === b.by) return 'same';
  return a.by < b.by ? 'a' : 'b';
}

type ClientResult =
  | { readonly kind: 'ok'; readonly uid: string; readonly adopt?: Adopt; readonly renameRefused?: boolean }
  | { readonly kind: 'deleted' };

interface Adopt {
  readonly uid: string;
  readonly name: string;
  readonly note: string;
  readonly editedAt: string;
}

interface ClinicClientRow {
  uid: string;
  name: string;
  note: string;
  edited_at: Date;
  edited_by: string;
}

/** What one sent item taught the table, applied to the store after the clinic committed. */
interface Learnt {
  adopt?: { localUid: string; clinic: Adopt; ifEditedAt: string };
  deleted?: string;
  renameRefused?: boolean;
}

export class ClinicSync {
  private readonly store: SessionStore;
  private readonly settings: ClinicDbSettings;
  private readonly log: SyncLog;
  private readonly retryMaxMs: number;
  private readonly pollMs: number;
  private readonly checkEveryMs: number;
  private db: ClinicDb | undefined;
  private readonly ownDb: boolean;
  private uid = '';
  private migrated = false;
  private closed = false;
  private said: 'connected' | 'unreachable' | 'refused' | 'failing' | null = null;
  private timer: NodeJS.Timeout | undefined;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private lastCheck = 0;
  private idleWaiters: (() => void)[] = [];
  /** items the clinic refused for good (logged, dropped): not a connectivity problem */
  dropped = 0;
  /** items sent (committed) since start */
  sent = 0;

  constructor(options: ClinicSyncOptions) {
    this.store = options.store;
    this.settings = options.settings;
    this.log = options.log;
    this.retryMaxMs = options.retryMaxMs ?? 5000;
    this.pollMs = options.pollMs ?? 1000;
    this.checkEveryMs = options.checkEveryMs ?? 30_000;
    this.db = options.db;
    this.ownDb = options.db === undefined;
  }

  /**
   * Turns the store's outbox on and starts sending in the background. Resolves once the first connection attempt
   * is answered: `connected`, `unreachable` (a warning; the table runs alone and tries again) or `refused` (wrong
   * user name or password: an error, also tried again). Never throws for the database.
   */
  async start(): Promise<'connected' | 'unreachable' | 'refused' | 'failing'> {
    this.uid = storeUid(this.store);
    const queued = enableOutbox(this.store);
    if (queued > 0) this.log.info({ items: queued }, 'the clinic outbox is on: everything on record is queued once');
    if (!this.db) {
      this.db = await openClinicDb(this.settings, {
        max: 3,
        onIdleError: () => {
          // an idle connection cut by a server restart: the next query opens another
        },
      });
    }
    await this.connect();
    this.loop = this.run().catch((err: unknown) => {
      // the store failed under the sender (closed at shutdown, a disk fault): recording has its own handling
      if (!this.closed) this.log.error({ err }, 'the clinic sender stopped: the outbox is kept for the next start');
    });
    return this.said === null ? 'failing' : this.said;
  }

  /** Look at the outbox now (a session just ended) instead of at the next poll. */
  notify(): void {
    this.wakeUp?.();
  }

  /** Resolves when the outbox is empty and the clinic has committed everything (tests, the bench). */
  idle(): Promise<void> {
    if (this.migrated && outboxSize(this.store) === 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.idleWaiters.push(resolve);
      this.notify();
    });
  }

  get state(): 'connected' | 'unreachable' | 'refused' | 'failing' | null {
    return this.said;
  }

  /** the pool (shared with the table's lookups); undefined before start */
  get database(): ClinicDb | undefined {
    return this.db;
  }

  /**
   * Stops sending. An item in flight is given `waitMs` to finish (default: as long as it takes); one cut short stays
   * in the outbox and is sent again at the next start (idempotent).
   */
  async close(waitMs?: number): Promise<void> {
    // What is queued (the session that just ended) gets the same time to reach a database that answers.
    const timeout = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());
    if (waitMs !== undefined && this.said === 'connected') await Promise.race([this.idle(), timeout(waitMs)]);
    this.closed = true;
    this.notify();
    const loop = (this.loop ?? Promise.resolve()).catch(() => undefined);
    if (waitMs === undefined) await loop;
    else await Promise.race([loop, timeout(waitMs)]);
    if (this.ownDb) await this.db?.close().catch(() => undefined);
  }

  private async connect(): Promise<boolean> {
    try {
      await migrateClinicDb(this.db as ClinicDb);
      await (this.db as ClinicDb).query(
        `INSERT INTO tables (name, store_uid, last_sync_at) VALUES ($1, $2, NULL)
          ON CONFLICT (name) DO UPDATE SET store_uid = EXCLUDED.store_uid`,
        [this.settings.table, this.uid],
      );
      this.migrated = true;
      this.connected();
      return true;
    } catch (err) {
      this.failed(err);
      return false;
    }
  }

  private async run(): Promise<void> {
    let backoff = 250;
    let after = 0;
    while (!this.closed) {
      if (!this.migrated && !(await this.connect())) {
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.retryMaxMs);
        continue;
      }
      const item = outboxNext(this.store, after);
      if (!item) {
        after = 0;
        if (Date.now() - this.lastCheck >= this.checkEveryMs) {
          try {
            await this.check();
            this.lastCheck = Date.now();
            this.connected();
          } catch (err) {
            this.failed(err);
            await this.sleep(backoff);
            backoff = Math.min(backoff * 2, this.retryMaxMs);
            continue;
          }
        }
        if (outboxSize(this.store) === 0) for (const w of this.idleWaiters.splice(0)) w();
        await this.sleep(this.pollMs);
        continue;
      }
      try {
        await this.send(item);
        backoff = 250;
        this.sent++;
        this.connected();
      } catch (err) {
        const e = clinicDbError(err, this.settings.shown);
        if (e.failure === 'other') {
          // Not the network: the clinic refuses this item for good. Logged (what and which, never names) and set
          // aside, so one bad item does not hold up every later one.
          this.dropped++;
          this.log.error(
            { item: item.id, what: item.what, error: e.message },
            'the clinic database refused an item of the outbox: it is dropped, the next ones go on',
          );
          outboxDone(this.store, item, item.id);
          continue;
        }
        this.failed(e);
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, this.retryMaxMs);
      }
    }
    for (const w of this.idleWaiters.splice(0)) w();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(this.timer);
        this.wakeUp = undefined;
        resolve();
      };
      if (this.closed) return resolve();
      this.wakeUp = done;
      this.timer = setTimeout(done, ms);
    });
  }

  private connected(): void {
    if (this.said === 'connected') return;
    const before = this.said;
    this.said = 'connected';
    const queued = outboxSize(this.store);
    this.log.info(
      { db: this.settings.shown, table: this.settings.table, queued },
      before === null
        ? 'connected to the clinic database'
        : 'the clinic database answers again: sending what was queued',
    );
  }

  private failed(err: unknown): void {
    const e = clinicDbError(err, this.settings.shown);
    if (e.failure === 'credentials') {
      if (this.said === 'refused') return;
      this.said = 'refused';
      this.log.error(
        { db: this.settings.shown, table: this.settings.table },
        `${e.message}; the table goes on recording alone and keeps what it owes the clinic until it is let in`,
      );
      return;
    }
    if (this.said === 'unreachable' || this.said === 'failing') return;
    this.said = e.failure === 'unreachable' ? 'unreachable' : 'failing';
    this.log.warn(
      { db: this.settings.shown, table: this.settings.table, error: e.message },
      `the clinic database cannot be used: the table runs alone, keeps its changes and tries again every ` +
        `${this.retryMaxMs / 1000} s at most`,
    );
  }

  /** Sends one item (and every later item saying the same) in one transaction, then applies what it taught. */
  private async send(item: OutboxItem): Promise<void> {
    const db = this.db as ClinicDb;
    const learnt: Learnt = {};
    const prepared = this.prepare(item);
    const upTo = outboxSameUpTo(this.store, item);
    await db.transaction(async (tx) => {
      await this.apply(tx, item, prepared, learnt);
      await tx.query(
        `INSERT INTO tables (name, store_uid, last_sync_at) VALUES ($1, $2, now())
          ON CONFLICT (name) DO UPDATE SET store_uid = EXCLUDED.store_uid, last_sync_at = now()`,
        [this.settings.table, this.uid],
      );
    });
    this.learn(learnt);
    outboxDone(this.store, item, upTo);
  }

  private learn(learnt: Learnt): void {
    if (learnt.renameRefused) {
      this.log.warn(
        { table: this.settings.table },
        'the clinic refused a rename: another clinic client has that name (this table keeps its name; merge them)',
      );
    }
    if (learnt.adopt)
      adoptClinicClient(this.store, learnt.adopt.localUid, learnt.adopt.clinic, learnt.adopt.ifEditedAt);
    if (learnt.deleted !== undefined) this.deletedElsewhere(learnt.deleted);
  }

  private deletedElsewhere(uid: string): void {
    const outcome = deleteClientDeletedElsewhere(this.store, uid);
    if (outcome === 'deleted')
      this.log.info({ table: this.settings.table }, 'a client deleted at another table is deleted here too');
  }

  /** Everything the item needs from the store, read now (synchronously, between the daemon's batches). */
  private prepare(item: OutboxItem): Prepared {
    switch (item.what) {
      case 'client': {
        const client = clientByUid(this.store, item.ref);
        return { client };
      }
      case 'client-merge':
        return { client: item.arg === null ? undefined : clientByUid(this.store, item.arg) };
      case 'reading': {
        const reading = item.arg === null ? undefined : readingForSync(this.store, item.ref, item.arg);
        return { client: clientByUid(this.store, item.ref), reading };
      }
      case 'session':
        return { session: this.prepareSession(item.ref) };
      default:
        return {};
    }
  }

  private prepareSession(uid: string): PreparedSession | undefined {
    const prefix = `${this.uid}:`;
    if (!uid.startsWith(prefix)) return undefined;
    const id = Number(uid.slice(prefix.length));
    const session = this.store.getSession(id);
    if (!session || session.status === 'recording') return undefined;
    const values = getSessionValues(this.store, id) ?? computeSessionValues(this.store, id);
    const beats = this.store.getBeats(id);
    const phases = this.store.getPhases(id);
    const markers = this.store.getMarkers(id);
    const clientUid = clientUidOf(this.store, session.clientId);
    return {
      uid,
      session,
      values: values ?? null,
      summary: sessionSummary({ beats, phases, markers }),
      phases,
      markers,
      beats: this.settings.beats ? beats : null,
      client: clientUid === null ? undefined : clientByUid(this.store, clientUid),
      groupUid: session.groupId === null ? null : `${this.uid}:${session.groupId}`,
      companions: this.store.getCompanions(id).map((c) => `${this.uid}:${c.id}`),
    };
  }

  private async apply(tx: ClinicTx, item: OutboxItem, p: Prepared, learnt: Learnt): Promise<void> {
    switch (item.what) {
      case 'client': {
        if (!p.client) return; // deleted since: its delete follows
        const r = await this.upsertClient(tx, p.client, learnt);
        if (r.kind === 'deleted') learnt.deleted = p.client.uid;
        return;
      }
      case 'client-delete':
        await this.eraseClient(tx, item.ref);
        return;
      case 'client-merge':
        await this.mergeClient(tx, item.ref, p.client, learnt);
        return;
      case 'reading': {
        if (!p.reading || !p.client || item.arg === null) return;
        const r = await this.upsertClient(tx, p.client, learnt);
        if (r.kind === 'deleted') {
          learnt.deleted = p.client.uid;
          return;
        }
        const x = p.reading;
        await tx.query(
          `INSERT INTO readings (client_uid, content_key, at, kind, source, tags, rr_ms, beats, rmssd_ms, ln_rmssd,
              mean_hr_bpm, corrected_pct, reason, table_name, imported_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9, $10, $11, $12, $13, $14, $15)
            ON CONFLICT (client_uid, content_key) DO NOTHING`,
          [
            r.uid,
            item.arg,
            x.at,
            x.kind,
            x.source,
            x.tags,
            x.rrJson,
            x.beats,
            x.rmssdMs,
            x.lnRmssd,
            x.meanHrBpm,
            x.correctedPct,
            x.reason,
            this.settings.table,
            x.importedAt,
          ],
        );
        return;
      }
      case 'reading-delete': {
        if (item.arg === null) return;
        const uid = await resolveUid(tx, item.ref);
        if (uid !== undefined) {
          await tx.query('DELETE FROM readings WHERE client_uid = $1 AND content_key = $2', [uid, item.arg]);
        }
        return;
      }
      case 'session':
        if (p.session) await this.upsertSession(tx, p.session, learnt);
        return;
      case 'session-delete':
        await tx.query('DELETE FROM sessions WHERE uid = $1', [item.ref]);
        return;
    }
  }

  /** Rules 1, 2 and 4 for one client of this table. */
  private async upsertClient(tx: ClinicTx, client: SyncClient, learnt: Learnt): Promise<ClientResult> {
    // Client writes are few: one at a time clinic-wide, so two tables sending the same new name cannot both insert.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CLINIC_MIGRATION_LOCK + 1]);
    const tomb = await tx.query('SELECT 1 FROM deleted_clients WHERE uid = $1', [client.uid]);
    if (tomb.length > 0) return { kind: 'deleted' };
    const mine = { editedAt: client.editedAt, by: this.settings.table };
    const known = await resolveUid(tx, client.uid);
    if (known === undefined) {
      const [byName] = await tx.query<ClinicClientRow>(
        'SELECT uid, name, note, edited_at, edited_by FROM clients WHERE name = $1',
        [client.name],
      );
      if (!byName) {
        await tx.query(
          `INSERT INTO clients (uid, name, note, created_at, edited_at, edited_by) VALUES ($1, $2, $3, $4, $5, $6)`,
          [client.uid, client.name, client.note, client.createdAt, client.editedAt, this.settings.table],
        );
        return { kind: 'ok', uid: client.uid };
      }
      // Rule 1: the same name is the same person; this table's uid becomes an alias. A client made here and not
      // edited since is no edit of that person's record: it takes the clinic's note; an edited one goes by rule 2.
      await tx.query('INSERT INTO client_aliases (alias_uid, uid) VALUES ($1, $2) ON CONFLICT DO NOTHING', [
        client.uid,
        byName.uid,
      ]);
      const fresh = client.editedAt === client.createdAt;
      return this.lastWriterWins(
        tx,
        client,
        byName,
        fresh ? { editedAt: new Date(0).toISOString(), by: '' } : mine,
        learnt,
      );
    }
    const [row] = await tx.query<ClinicClientRow>(
      'SELECT uid, name, note, edited_at, edited_by FROM clients WHERE uid = $1',
      [known],
    );
    return this.lastWriterWins(tx, client, row, mine, learnt);
  }

  /** Rule 2 between this table's client and the clinic's row for it. */
  private async lastWriterWins(
    tx: ClinicTx,
    client: SyncClient,
    row: ClinicClientRow,
    mine: { editedAt: string; by: string },
    learnt: Learnt,
  ): Promise<ClientResult> {
    const order = laterEdit(mine, { editedAt: row.edited_at, by: row.edited_by });
    if (order === 'a' && (client.name !== row.name || client.note !== row.note)) {
      let name = client.name;
      if (name !== row.name) {
        const clash = await tx.query('SELECT 1 FROM clients WHERE name = $1 AND uid <> $2', [name, row.uid]);
        if (clash.length > 0) {
          name = row.name;
          learnt.renameRefused = true;
        }
      }
      await tx.query('UPDATE clients SET name = $1, note = $2, edited_at = $3, edited_by = $4 WHERE uid = $5', [
        name,
        client.note,
        client.editedAt,
        this.settings.table,
        row.uid,
      ]);
      if (row.uid !== client.uid) {
        // the table takes the clinic's uid, keeps its own (newer) name and note
        learnt.adopt = {
          localUid: client.uid,
          clinic: { uid: row.uid, name: client.name, note: client.note, editedAt: client.editedAt },
          ifEditedAt: client.editedAt,
        };
      }
      return { kind: 'ok', uid: row.uid };
    }
    const clinicNewer = order === 'b';
    if (row.uid !== client.uid || (clinicNewer && (row.name !== client.name || row.note !== client.note))) {
      learnt.adopt = {
        localUid: client.uid,
        clinic: clinicNewer
          ? { uid: row.uid, name: row.name, note: row.note, editedAt: row.edited_at.toISOString() }
          : { uid: row.uid, name: client.name, note: client.note, editedAt: client.editedAt },
        ifEditedAt: client.editedAt,
      };
    }
    return { kind: 'ok', uid: row.uid };
  }

  /** Rule 4: a tombstone for the uid, the clinic uid it names and every alias of it; the rows go. */
  private async eraseClient(tx: ClinicTx, uid: string): Promise<void> {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [CLINIC_MIGRATION_LOCK + 1]);
    const known = await resolveUid(tx, uid);
    const table = this.settings.table;
    await tx.query(
      `INSERT INTO deleted_clients (uid, deleted_at, deleted_by) VALUES ($1, now(), $2) ON CONFLICT DO NOTHING`,
      [uid, table],
    );
    if (known === undefined) return;
    await tx.query(
      `INSERT INTO deleted_clients (uid, deleted_at, deleted_by)
        SELECT $1, now(), $2 UNION SELECT alias_uid, now(), $2 FROM client_aliases WHERE uid = $1
        ON CONFLICT DO NOTHING`,
      [known, table],
    );
    await tx.query('DELETE FROM clients WHERE uid = $1', [known]);
  }

  /** A merge at this table: `fromUid` went into the client `into`. */
  private async mergeClient(
    tx: ClinicTx,
    fromUid: string,
    into: SyncClient | undefined,
    learnt: Learnt,
  ): Promise<void> {
    if (!into) return; // `into` was deleted since: its delete follows
    const target = await this.upsertClient(tx, into, learnt);
    if (target.kind === 'deleted') {
      learnt.deleted = into.uid;
      return;
    }
    const tomb = await tx.query('SELECT 1 FROM deleted_clients WHERE uid = $1', [fromUid]);
    if (tomb.length > 0) return;
    const from = await resolveUid(tx, fromUid);
    if (from !== undefined && from !== target.uid) {
      await tx.query(
        `DELETE FROM readings WHERE client_uid = $1
          AND content_key IN (SELECT content_key FROM readings WHERE client_uid = $2)`,
        [from, target.uid],
      );
      await tx.query('UPDATE readings SET client_uid = $2 WHERE client_uid = $1', [from, target.uid]);
      await tx.query('UPDATE sessions SET client_uid = $2 WHERE client_uid = $1', [from, target.uid]);
      await tx.query('UPDATE client_aliases SET uid = $2 WHERE uid = $1', [from, target.uid]);
      await tx.query('DELETE FROM clients WHERE uid = $1', [from]);
      await tx.query(
        'INSERT INTO client_aliases (alias_uid, uid) VALUES ($1, $2) ON CONFLICT (alias_uid) DO UPDATE SET uid = $2',
        [from, target.uid],
      );
    }
    if (fromUid !== from && fromUid !== target.uid) {
      await tx.query(
        'INSERT INTO client_aliases (alias_uid, uid) VALUES ($1, $2) ON CONFLICT (alias_uid) DO UPDATE SET uid = $2',
        [fromUid, target.uid],
      );
    }
  }

  private async upsertSession(tx: ClinicTx, p: PreparedSession, learnt: Learnt): Promise<void> {
    let clientUid: string | null = null;
    if (p.client) {
      const r = await this.upsertClient(tx, p.client, learnt);
      if (r.kind === 'deleted') {
        learnt.deleted = p.client.uid;
        return;
      }
      clientUid = r.uid;
    }
    const s = p.session;
    const v = p.values;
    await tx.query(
      `INSERT INTO sessions (uid, client_uid, group_uid, table_name, stream, started_at, ended_at, status, source_kind,
          device_name, beat_count, last_beat_t_s, baseline_ln_rmssd, massage_shift_ln, recovery_shift_ln, massage_s,
          techniques, main_technique, main_technique_set, summary, synced_at)
        VALUES ($1, $2, (SELECT uid FROM sessions WHERE uid = $3), $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
          $15, $16, $17::jsonb, $18, $19, $20::jsonb, now())
        ON CONFLICT (uid) DO UPDATE SET client_uid = EXCLUDED.client_uid, group_uid = EXCLUDED.group_uid,
          table_name = EXCLUDED.table_name, stream = EXCLUDED.stream, started_at = EXCLUDED.started_at,
          ended_at = EXCLUDED.ended_at, status = EXCLUDED.status, source_kind = EXCLUDED.source_kind,
          device_name = EXCLUDED.device_name, beat_count = EXCLUDED.beat_count,
          last_beat_t_s = EXCLUDED.last_beat_t_s, baseline_ln_rmssd = EXCLUDED.baseline_ln_rmssd,
          massage_shift_ln = EXCLUDED.massage_shift_ln, recovery_shift_ln = EXCLUDED.recovery_shift_ln,
          massage_s = EXCLUDED.massage_s, techniques = EXCLUDED.techniques, main_technique = EXCLUDED.main_technique,
          main_technique_set = EXCLUDED.main_technique_set, summary = EXCLUDED.summary, synced_at = now()`,
      [
        p.uid,
        clientUid,
        p.groupUid,
        this.settings.table,
        s.stream,
        s.startedAt,
        s.endedAt,
        s.status,
        s.sourceKind,
        s.device?.name ?? null,
        s.beatCount,
        s.lastBeatTS,
        v?.baselineLnRmssd ?? null,
        v?.massageShiftLn ?? null,
        v?.recoveryShiftLn ?? null,
        v?.massageS ?? null,
        JSON.stringify(v?.techniques ?? []),
        v?.mainTechnique ?? null,
        v?.mainTechniqueSet ?? false,
        JSON.stringify(p.summary),
      ],
    );
    if (p.companions.length > 0) {
      await tx.query('UPDATE sessions SET group_uid = $1 WHERE uid = ANY($2::text[])', [p.uid, p.companions]);
    }
    await tx.query('DELETE FROM phases WHERE session_uid = $1', [p.uid]);
    await tx.query(
      `INSERT INTO phases (session_uid, local_id, kind, started_at_s, ended_at_s)
        SELECT $1, * FROM unnest($2::int[], $3::text[], $4::float8[], $5::float8[])`,
      [
        p.uid,
        p.phases.map((x) => x.id),
        p.phases.map((x) => x.kind),
        p.phases.map((x) => x.startedAtS),
        p.phases.map((x) => x.endedAtS),
      ],
    );
    await tx.query('DELETE FROM markers WHERE session_uid = $1', [p.uid]);
    await tx.query(
      `INSERT INTO markers (session_uid, local_id, at_s, kind, value, undone)
        SELECT $1, * FROM unnest($2::int[], $3::float8[], $4::text[], $5::text[], $6::bool[])`,
      [
        p.uid,
        p.markers.map((x) => x.id),
        p.markers.map((x) => x.atS),
        p.markers.map((x) => x.kind),
        p.markers.map((x) => x.value),
        p.markers.map((x) => x.undone),
      ],
    );
    if (p.beats !== null) {
      const [have] = await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM beats WHERE session_uid = $1', [
        p.uid,
      ]);
      if (have?.n !== p.beats.length) {
        await tx.query('DELETE FROM beats WHERE session_uid = $1', [p.uid]);
        const chunk = 5000;
        for (let i = 0; i < p.beats.length; i += chunk) {
          const part = p.beats.slice(i, i + chunk);
          await tx.query(
            `INSERT INTO beats (session_uid, seq, t_s, rr_ms, gap_before, kind, flags)
              SELECT $1, * FROM unnest($2::int[], $3::float8[], $4::float8[], $5::bool[], $6::text[], $7::int[])`,
            [
              p.uid,
              part.map((b) => b.seq),
              part.map((b) => b.tS),
              part.map((b) => b.rrMs),
              part.map((b) => b.gapBefore),
              part.map((b) => b.kind ?? null),
              part.map((b) => b.flags),
            ],
          );
        }
      }
    }
  }

  /**
   * What changed elsewhere for this table's clients: a tombstone (rule 4: delete here unless recording) or a newer
   * name or note, or the clinic's uid for one of ours (rules 1, 2).
   */
  private async check(): Promise<void> {
    const db = this.db as ClinicDb;
    const uids = clientUids(this.store);
    if (uids.length === 0) return;
    const tombs = await db.query<{ uid: string }>('SELECT uid FROM deleted_clients WHERE uid = ANY($1::text[])', [
      uids,
    ]);
    for (const t of tombs) this.deletedElsewhere(t.uid);
    const rows = await db.query<ClinicClientRow & { local_uid: string }>(
      `SELECT u AS local_uid, c.uid, c.name, c.note, c.edited_at, c.edited_by
        FROM unnest($1::text[]) AS u
        JOIN clients c ON c.uid = u OR c.uid = (SELECT a.uid FROM client_aliases a WHERE a.alias_uid = u)`,
      [uids],
    );
    for (const row of rows) {
      const local = clientByUid(this.store, row.local_uid);
      if (!local) continue;
      const clinicNewer =
        laterEdit(
          { editedAt: row.edited_at, by: row.edited_by },
          { editedAt: local.editedAt, by: this.settings.table },
        ) === 'a';
      const differs = row.name !== local.name || row.note !== local.note;
      if (row.uid !== local.uid || (clinicNewer && differs)) {
        adoptClinicClient(
          this.store,
          local.uid,
          clinicNewer
            ? { uid: row.uid, name: row.name, note: row.note, editedAt: row.edited_at.toISOString() }
            : { uid: row.uid, name: local.name, note: local.note, editedAt: local.editedAt },
          local.editedAt,
        );
      }
    }
  }
}

interface Prepared {
  readonly client?: SyncClient | undefined;
  readonly reading?: ReturnType<typeof readingForSync>;
  readonly session?: PreparedSession | undefined;
}

interface PreparedSession {
  readonly uid: string;
  readonly session: NonNullable<ReturnType<SessionStore['getSession']>>;
  readonly values: ReturnType<typeof getSessionValues> | null;
  readonly summary: ReturnType<typeof sessionSummary>;
  readonly phases: ReturnType<SessionStore['getPhases']>;
  readonly markers: ReturnType<SessionStore['getMarkers']>;
  readonly beats: ReturnType<SessionStore['getBeats']> | null;
  readonly client: SyncClient | undefined;
  readonly groupUid: string | null;
  readonly companions: readonly string[];
}

async function resolveUid(tx: ClinicTx, uid: string): Promise<string | undefined> {
  const rows = await tx.query<{ uid: string }>(
    `SELECT uid FROM clients WHERE uid = $1
      UNION ALL SELECT uid FROM client_aliases WHERE alias_uid = $1`,
    [uid],
  );
  return rows[0]?.uid;
}

export { ClinicDbError };
