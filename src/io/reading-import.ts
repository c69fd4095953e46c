/**
 * Readings from files: any RR file tableside reads (one reading per file, its time from the file's own timestamps,
 * else the time given) and Welltory's multi-reading CSV (one reading per row of the person chosen). Each reading's
 * value is computed here with the reading rule (src/hrv/reading.ts); the store adds them in one transaction.
 */
import type { ReadingKind } from '../domain/kinds.js';
import { readingValue } from '../hrv/reading.js';
import { addReadingsByName } from '../store/clients.js';
import type { SessionStore } from '../store/session-store.js';
import type { NewReading, StoredClient } from '../store/types.js';
import { localDateTime } from './local-time.js';
import { parseRrText } from './rr-file.js';
import { baseName } from './text.js';
import { looksLikeWelltoryCsv, parseWelltoryCsv, welltoryKind, welltoryUsers } from './welltory-csv.js';

export type ReadingImportErrorCode =
  /** an RR file without a time of its own, and no time given */
  | 'IMPORT_NO_TIME'
  /** a time given that is not a date and time */
  | 'IMPORT_BAD_TIME'
  /** a file with the readings of several people, and none chosen */
  | 'IMPORT_USER_REQUIRED'
  /** the person chosen has no readings in the file */
  | 'IMPORT_UNKNOWN_USER'
  /** nothing to import */
  | 'IMPORT_EMPTY';

/** Why an import was refused (nothing was stored). The message names the file. */
export class ReadingImportError extends Error {
  override readonly name = 'ReadingImportError';
  constructor(
    readonly code: ReadingImportErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface ReadingImportOptions {
  /** the kind of an RR file's reading (default `other`); for a Welltory file, overrides the kind each row gives */
  readonly kind?: ReadingKind;
  /** the time of an RR file's reading when the file has none: ISO 8601, local unless it names a zone */
  readonly at?: string;
  /** in a multi-person file, the person whose readings are imported */
  readonly user?: string;
}

export interface ReadingFileText {
  /** the file's name (or path): names it in errors and as the readings' source */
  readonly name: string;
  readonly text: string;
}

/** The readings a file holds, with their values. Throws `RrFileError` or `ReadingImportError`; never a partial list. */
export function readingsFromText(file: ReadingFileText, options: ReadingImportOptions = {}): NewReading[] {
  const source = baseName(file.name);
  if (looksLikeWelltoryCsv(file.text)) {
    const rows = parseWelltoryCsv(file.text, file.name);
    const users = welltoryUsers(rows);
    let user = options.user;
    if (user === undefined) {
      if (users.length > 1) {
        const list = users.map((u) => `${u.user} (${u.readings})`).join(', ');
        throw new ReadingImportError(
          'IMPORT_USER_REQUIRED',
          `${file.name}: readings of ${users.length} people: choose one with --user CODE (readings per code: ${list})`,
        );
      }
      user = users[0]?.user;
    } else if (!users.some((u) => u.user === user)) {
      throw new ReadingImportError(
        'IMPORT_UNKNOWN_USER',
        `${file.name}: no readings of user ${user} (codes in the file: ${users.map((u) => u.user).join(', ')})`,
      );
    }
    return rows
      .filter((r) => r.user === user)
      .map((r) => withValue(r.rrMs, r.at, options.kind ?? welltoryKind(r), `${source}:${r.line}`, r.tags));
  }
  const recording = parseRrText(file.text, file.name);
  let at: string | null = null;
  if (recording.startedAt !== undefined) at = localDateTime(recording.startedAt);
  if (at === null && options.at !== undefined) at = parseAt(options.at);
  if (at === null) {
    throw new ReadingImportError(
      'IMPORT_NO_TIME',
      `${file.name}: the file does not say when it was recorded: give the time with --at (e.g. --at 2026-11-23T07:30)`,
    );
  }
  return [withValue(recording.rrMs, at, options.kind ?? 'other', source, '')];
}

export interface ReadingImportResult {
  readonly client: StoredClient;
  /** the client was not known before and was created */
  readonly created: boolean;
  /** readings in the files */
  readonly readings: number;
  readonly added: number;
  /** readings the client had already: not added again */
  readonly duplicates: number;
  /** readings in the files without a value (too short, too irregular): kept with their reason */
  readonly withoutValue: number;
}

/** Reads every file, then stores all their readings on the named client's record in one transaction. */
export function importReadings(
  store: SessionStore,
  clientName: string,
  files: readonly ReadingFileText[],
  options: ReadingImportOptions = {},
): ReadingImportResult {
  if (files.length === 0) throw new ReadingImportError('IMPORT_EMPTY', 'no files to import');
  const readings = files.flatMap((f) => readingsFromText(f, options));
  const result = addReadingsByName(store, clientName, readings);
  const withoutValue = readings.filter((r) => r.reason !== null).length;
  return {
    client: result.client,
    created: result.created,
    readings: readings.length,
    added: result.added,
    duplicates: result.duplicates,
    withoutValue,
  };
}

function withValue(rrMs: Float64Array, at: string, kind: ReadingKind, source: string, tags: string): NewReading {
  const v = readingValue(rrMs);
  return {
    at,
    kind,
    source,
    tags,
    rrMs,
    rmssdMs: v.rmssdMs,
    lnRmssd: v.lnRmssd,
    meanHrBpm: v.meanHrBpm,
    correctedPct: v.correctedPct,
    reason: v.reason,
  };
}

function parseAt(text: string): string {
  const at = localDateTime(text);
  if (at === null) {
    throw new ReadingImportError(
      'IMPORT_BAD_TIME',
      `--at "${text}" is not a date and time (ISO 8601, e.g. 2026-11-23T07:30 or 2026-11-23T07:30:00Z)`,
    );
  }
  return at;
}
