/**
 * Clients as records: a name (or pseudonym), a note, and everything recorded for them — sessions and readings — and
 * the values a client's timeline shows of each session. Like admin.ts, these run on the store's connection; all SQL
 * is in sql.ts. Names and notes are personal data: they never appear in an error message or a log line (store errors
 * reach the daemon's log), only ids and counts do.
 */
import { createHash } from 'node:crypto';
import { StoreError } from './errors.js';
import { type SessionStore, toSession } from './session-store.js';
import type { ClientRow, ReadingRow, SessionValuesRow } from './sql.js';
import type {
  ClientListing,
  NewReading,
  ReadingKind,
  SessionValues,
  StoredClient,
  StoredReading,
  StoredSession,
} from './types.js';

/** Longest client name, characters (the REST schema and the CLI take it from here). */
export const CLIENT_NAME_MAX = 80;
/** Longest client note, characters. */
export const CLIENT_NOTE_MAX = 2000;

export function listClients(store: SessionStore): ClientListing[] {
  return store.withConnection('listing clients', (_db, s) => s.clientList.all());
}

export function getClient(store: SessionStore, clientId: number): StoredClient | undefined {
  return store.withConnection(`reading client ${clientId}`, (_db, s) => s.clientGet.get(clientId));
}

/** The client of exactly this name, or undefined. */
export function findClient(store: SessionStore, name: string): StoredClient | undefined {
  return store.withConnection('finding a client by name', (_db, s) => s.clientByName.get(name));
}

/** Creates a client; STORE_NAME_TAKEN when the name is in use, STORE_CONSTRAINT for an empty one. */
export function createClient(store: SessionStore, name: string, note = ''): StoredClient {
  return store.withConnection('creating a client', (db, s) =>
    db.transaction(() => insertClient(store, s, name, note)).immediate(),
  );
}

/** The client of this name, created when there is none: `created` says which. */
export function findOrCreateClient(store: SessionStore, name: string): { client: StoredClient; created: boolean } {
  return store.withConnection('finding or creating a client', (db, s) =>
    db
      .transaction(() => {
        const found = s.clientByName.get(name);
        if (found) return { client: found, created: false };
        return { client: insertClient(store, s, name, ''), created: true };
      })
      .immediate(),
  );
}

/**
 * Renames a client and/or changes the note. The sessions on the record carry the new name as their label. A name
 * another client has is refused (STORE_NAME_TAKEN): merge the two instead.
 */
export function updateClient(
  store: SessionStore,
  clientId: number,
  change: { name?: string; note?: string },
): StoredClient {
  return store.withConnection(`updating client ${clientId}`, (db, s) =>
    db
      .transaction(() => {
        const client = requireClient(store, s.clientGet.get(clientId), clientId);
        const name = change.name ?? client.name;
        const note = change.note ?? client.note;
        if (name !== client.name) {
          checkName(store, name);
          const other = s.clientByName.get(name);
          if (other && other.id !== clientId) {
            throw new StoreError(
              'STORE_NAME_TAKEN',
              store.path,
              `another client (${other.id}) has that name: merge client ${clientId} into it instead. Nothing was changed.`,
            );
          }
          s.sessionsRelabel.run(name, clientId, clientId);
        }
        return s.clientUpdate.get(name, note, clientId) as ClientRow;
      })
      .immediate(),
  );
}

export interface MergePlan {
  readonly from: number;
  readonly into: number;
  /** sessions that move (companion streams go with them) */
  readonly sessions: number;
  /** readings that move */
  readonly readings: number;
  /** readings `into` has already (same time and beats): dropped instead of moved */
  readonly duplicateReadings: number;
  /** true when the merge was done; false when this only says what would move */
  readonly merged: boolean;
}

/**
 * Merges client `from` into client `into`: every session and reading moves, the note is appended, `from` is
 * deleted. Without `confirm` nothing changes and the plan says what would move. One transaction.
 */
export function mergeClients(store: SessionStore, from: number, into: number, confirm: boolean): MergePlan {
  if (from === into) {
    throw new StoreError('STORE_CONSTRAINT', store.path, `client ${from} cannot be merged into itself.`);
  }
  return store.withConnection(`merging client ${from} into ${into}`, (db, s) =>
    db
      .transaction((): MergePlan => {
        const source = requireClient(store, s.clientGet.get(from), from);
        const target = requireClient(store, s.clientGet.get(into), into);
        const sessions = s.sessionsOfClient.all(from).length;
        const keys = new Set(
          db
            .prepare<[number], { k: string }>('SELECT content_key AS k FROM readings WHERE client_id = ?')
            .all(into)
            .map((r) => r.k),
        );
        const fromKeys = db
          .prepare<[number], { k: string }>('SELECT content_key AS k FROM readings WHERE client_id = ?')
          .all(from)
          .map((r) => r.k);
        const duplicateReadings = fromKeys.filter((k) => keys.has(k)).length;
        const plan = {
          from,
          into,
          sessions,
          readings: fromKeys.length - duplicateReadings,
          duplicateReadings,
          merged: false,
        };
        if (!confirm) return plan;
        s.sessionsRelabel.run(target.name, from, from);
        s.sessionsMoveClient.run(into, target.name, from);
        s.readingsDropDuplicates.run(from, into);
        s.readingsMove.run(into, from);
        const note = [target.note, source.note].filter((n) => n !== '').join('\n');
        s.clientUpdate.run(target.name, note, into);
        // The clinic learns a merge, not a delete: `from` becomes another name for `into` there too.
        s.outboxMerge.run(from, into);
        s.clientDelete.run(from);
        return { ...plan, merged: true };
      })
      .immediate(),
  );
}

export interface ClientDeleted {
  /** sessions deleted, companion streams included, in id order */
  readonly sessionIds: readonly number[];
  readonly beats: number;
  readonly readings: number;
}

/**
 * Deletes a client with every session (and companion stream) and reading on the record, in one transaction: all or
 * nothing. Refused (STORE_RECORDING) while one of the sessions records. Deleted rows are overwritten with zeros.
 */
export function deleteClient(store: SessionStore, clientId: number): ClientDeleted {
  const result = store.withConnection(`deleting client ${clientId}`, (db, s) =>
    db
      .transaction((): ClientDeleted => {
        requireClient(store, s.clientGet.get(clientId), clientId);
        const doomed = s.sessionsOfClientWithStreams.all(clientId, clientId);
        const recording = doomed.filter((r) => r.status === 'recording').map((r) => r.id);
        if (recording.length > 0) {
          throw new StoreError(
            'STORE_RECORDING',
            store.path,
            `session ${recording.join(', ')} of client ${clientId} is still recording: end it first; nothing was deleted.`,
          );
        }
        const readings = s.readingsCount.get(clientId)?.n ?? 0;
        // Sessions and readings go with the client (ON DELETE CASCADE), companion streams with their session.
        s.clientDelete.run(clientId);
        return {
          sessionIds: doomed.map((r) => r.id),
          beats: doomed.reduce((n, r) => n + r.beatCount, 0),
          readings,
        };
      })
      .immediate(),
  );
  store.clearWal();
  return result;
}

/** The client's sessions (their own stream), oldest first. */
export function sessionsOfClient(store: SessionStore, clientId: number): StoredSession[] {
  return store.withConnection(`reading the sessions of client ${clientId}`, (_db, s) =>
    s.sessionsOfClient.all(clientId).map(toSession),
  );
}

// Readings.

export interface ReadingsAdded {
  readonly added: number;
  /** readings the client had already (same time and beats): not added again */
  readonly duplicates: number;
  readonly ids: readonly number[];
}

/**
 * Adds readings to a client's record in one transaction: all of them or none. A reading already on the record (its
 * key is a hash of its time and its RR) is skipped and counted as a duplicate.
 */
export function addReadings(store: SessionStore, clientId: number, readings: readonly NewReading[]): ReadingsAdded {
  return store.withConnection(`adding ${readings.length} readings to client ${clientId}`, (db, s) =>
    db
      .transaction((): ReadingsAdded => {
        requireClient(store, s.clientGet.get(clientId), clientId);
        return insertReadings(s, clientId, readings);
      })
      .immediate(),
  );
}

/**
 * Adds readings to the record of the client of this name, creating the client when there is none, in one
 * transaction: the client is not created when the readings cannot be stored.
 */
export function addReadingsByName(
  store: SessionStore,
  name: string,
  readings: readonly NewReading[],
): ReadingsAdded & { client: StoredClient; created: boolean } {
  return store.withConnection(`adding ${readings.length} readings to a client`, (db, s) =>
    db
      .transaction(() => {
        const found = s.clientByName.get(name);
        const client = found ?? insertClient(store, s, name, '');
        return { client, created: found === undefined, ...insertReadings(s, client.id, readings) };
      })
      .immediate(),
  );
}

function insertReadings(s: Statements, clientId: number, readings: readonly NewReading[]): ReadingsAdded {
  const importedAt = new Date().toISOString();
  const ids: number[] = [];
  let duplicates = 0;
  for (const r of readings) {
    const rr = Array.from(r.rrMs);
    const info = s.readingInsert.run(
      clientId,
      r.at,
      r.kind,
      r.source,
      r.tags,
      JSON.stringify(rr),
      rr.length,
      r.rmssdMs,
      r.lnRmssd,
      r.meanHrBpm,
      r.correctedPct,
      r.reason,
      readingKey(r.at, rr),
      importedAt,
    );
    if (info.changes === 0) duplicates++;
    else ids.push(Number(info.lastInsertRowid));
  }
  return { added: ids.length, duplicates, ids };
}

/** A reading's identity: its local time and its RR values. */
export function readingKey(at: string, rrMs: readonly number[]): string {
  return createHash('sha256')
    .update(`${at}\n${rrMs.join(',')}`)
    .digest('hex');
}

/** The client's readings, oldest first (without their RR: `readingRr`). */
export function readingsOfClient(store: SessionStore, clientId: number): StoredReading[] {
  return store.withConnection(`reading the readings of client ${clientId}`, (_db, s) =>
    s.readingsOfClient.all(clientId).map(toReading),
  );
}

export function getReading(store: SessionStore, readingId: number): StoredReading | undefined {
  const row = store.withConnection(`reading reading ${readingId}`, (_db, s) => s.readingGet.get(readingId));
  return row && toReading(row);
}

/** A reading's RR intervals, ms. */
export function readingRr(store: SessionStore, readingId: number): number[] {
  const row = store.withConnection(`reading the beats of reading ${readingId}`, (_db, s) => s.readingRr.get(readingId));
  if (!row) throw new StoreError('STORE_NOT_FOUND', store.path, `no reading ${readingId}.`);
  return JSON.parse(row.rrJson) as number[];
}

/** Deletes one reading; false if there was none. */
export function deleteReading(store: SessionStore, readingId: number): boolean {
  const deleted = store.withConnection(
    `deleting reading ${readingId}`,
    (_db, s) => s.readingDelete.run(readingId).changes > 0,
  );
  if (deleted) store.clearWal();
  return deleted;
}

// Session values.

export function getSessionValues(store: SessionStore, sessionId: number): SessionValues | undefined {
  const row = store.withConnection(`reading the values of session ${sessionId}`, (_db, s) =>
    s.sessionValuesGet.get(sessionId),
  );
  return row && toValues(row);
}

/** The stored values of every session of the client, by session id. */
export function sessionValuesOfClient(store: SessionStore, clientId: number): Map<number, SessionValues> {
  const rows = store.withConnection(`reading the session values of client ${clientId}`, (_db, s) =>
    s.sessionValuesOfClient.all(clientId),
  );
  return new Map(rows.map((r) => [r.sessionId, toValues(r)]));
}

/** Stores computed values; a main technique chosen by hand is kept. */
export function putSessionValues(store: SessionStore, values: Omit<SessionValues, 'mainTechniqueSet'>): SessionValues {
  store.withConnection(`storing the values of session ${values.sessionId}`, (_db, s) =>
    s.sessionValuesPut.run(
      values.sessionId,
      values.baselineLnRmssd,
      values.massageShiftLn,
      values.recoveryShiftLn,
      values.massageS,
      JSON.stringify(values.techniques),
      values.mainTechnique,
      new Date().toISOString(),
    ),
  );
  return getSessionValues(store, values.sessionId) as SessionValues;
}

/** Sets the main technique by hand (null: none). STORE_NOT_FOUND when the session has no values yet. */
export function setMainTechnique(store: SessionStore, sessionId: number, mainTechnique: string | null): SessionValues {
  const changed = store.withConnection(
    `setting the main technique of session ${sessionId}`,
    (_db, s) => s.sessionValuesSetMain.run(mainTechnique, sessionId).changes,
  );
  if (changed === 0) throw new StoreError('STORE_NOT_FOUND', store.path, `session ${sessionId} has no values yet.`);
  return getSessionValues(store, sessionId) as SessionValues;
}

// Internals.

type Statements = Parameters<Parameters<SessionStore['withConnection']>[1]>[1];

function insertClient(store: SessionStore, s: Statements, name: string, note: string): StoredClient {
  checkName(store, name);
  if (s.clientByName.get(name)) {
    throw new StoreError('STORE_NAME_TAKEN', store.path, 'a client of that name exists already.');
  }
  return s.clientInsert.get(name, note, new Date().toISOString()) as ClientRow;
}

function checkName(store: SessionStore, name: string): void {
  if (name.trim() === '' || name.length > CLIENT_NAME_MAX) {
    throw new StoreError(
      'STORE_CONSTRAINT',
      store.path,
      `a client's name must have 1 to ${CLIENT_NAME_MAX} characters, not only spaces.`,
    );
  }
}

function requireClient<T>(store: SessionStore, row: T | undefined, clientId: number): T {
  if (!row) throw new StoreError('STORE_NOT_FOUND', store.path, `no client ${clientId}.`);
  return row;
}

function toReading(r: ReadingRow): StoredReading {
  return { ...r, kind: r.kind as ReadingKind };
}

function toValues(r: SessionValuesRow): SessionValues {
  return {
    sessionId: r.sessionId,
    baselineLnRmssd: r.baselineLnRmssd,
    massageShiftLn: r.massageShiftLn,
    recoveryShiftLn: r.recoveryShiftLn,
    massageS: r.massageS,
    techniques: JSON.parse(r.techniquesJson) as string[],
    mainTechnique: r.mainTechnique,
    mainTechniqueSet: r.mainTechniqueSet === 1,
  };
}
