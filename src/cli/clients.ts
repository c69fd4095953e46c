/**
 * `tableside import`, `clients`, `client` and `merge-client`: readings onto a client's record, the record read back,
 * and the record renamed, exported, deleted or merged into another — what the REST API offers, from the terminal.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { ReadingKind } from '../domain/kinds.js';
import { defaultDbPath } from '../host/paths.js';
import { clientExport, clientRecord } from '../io/client-record.js';
import { importReadings, type ReadingFileText } from '../io/reading-import.js';
import { RrFileError } from '../io/rr-file.js';
import { exportSession, loadSessionRows } from '../io/session-export.js';
import { isInUse } from '../store/admin.js';
import {
  deleteClient,
  findClient,
  listClients,
  mergeClients,
  sessionsOfClient,
  updateClient,
} from '../store/clients.js';
import { SessionStore } from '../store/session-store.js';
import type { StoredClient } from '../store/types.js';
import { fixed } from './format.js';
import { confirm, existingDatabase, settleRecording } from './privacy.js';

function withStore<T>(db: string | undefined, fn: (store: SessionStore) => T): T {
  const store = SessionStore.open(db ?? defaultDbPath());
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** The files named, a folder standing for every file in it (not hidden ones, not subfolders), in name order. */
function filesOf(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    let isFolder: boolean;
    try {
      isFolder = statSync(path).isDirectory();
    } catch (cause) {
      const code = (cause as NodeJS.ErrnoException).code ?? 'error';
      throw new RrFileError('RR_FILE_UNREADABLE', path, undefined, `cannot read the file (${code})`, { cause });
    }
    if (!isFolder) {
      out.push(path);
      continue;
    }
    const inside = readdirSync(path)
      .filter((name) => !name.startsWith('.'))
      .sort()
      .map((name) => join(path, name))
      .filter((file) => statSync(file).isFile());
    if (inside.length === 0) throw new Error(`${path}: the folder holds no files to import`);
    out.push(...inside);
  }
  return out;
}

function readText(path: string): ReadingFileText {
  try {
    return { name: path, text: readFileSync(path, 'utf8') };
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? 'error';
    throw new RrFileError('RR_FILE_UNREADABLE', path, undefined, `cannot read the file (${code})`, { cause });
  }
}

export function importCommand(
  paths: string[],
  opts: { client: string; kind?: ReadingKind; at?: string; user?: string; db?: string },
): void {
  // Every file is read and valued before the database is opened: a bad file stores nothing.
  const files = filesOf(paths).map(readText);
  withStore(opts.db, (store) => {
    const result = importReadings(store, opts.client, files, {
      ...(opts.kind === undefined ? {} : { kind: opts.kind }),
      ...(opts.at === undefined ? {} : { at: opts.at }),
      ...(opts.user === undefined ? {} : { user: opts.user }),
    });
    const lines: string[] = [];
    if (result.created) lines.push(`new client "${result.client.name}" created`);
    lines.push(
      `${plural(result.added, 'reading')} added to "${result.client.name}" from ${plural(files.length, 'file')}` +
        (result.duplicates > 0 ? `; ${plural(result.duplicates, 'reading')} already there, not added again` : ''),
    );
    if (result.withoutValue > 0) {
      lines.push(`${plural(result.withoutValue, 'reading')} kept without a value (too short or too irregular)`);
    }
    process.stdout.write(`${lines.join('\n')}\n`);
  });
}

export function clientsCommand(opts: { db?: string; json?: boolean }): void {
  withStore(opts.db, (store) => {
    const clients = listClients(store);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(clients)}\n`);
      return;
    }
    if (clients.length === 0) {
      process.stdout.write('no clients yet\n');
      return;
    }
    const width = Math.max(6, ...clients.map((c) => c.name.length));
    process.stdout.write(
      `${'client'.padEnd(width)}  ${'sessions'.padStart(8)}  ${'readings'.padStart(8)}  last visit\n`,
    );
    for (const c of clients) {
      const last = c.lastVisit === null ? '—' : c.lastVisit.slice(0, 16).replace('T', ' ');
      process.stdout.write(
        `${c.name.padEnd(width)}  ${String(c.sessions).padStart(8)}  ${String(c.readings).padStart(8)}  ${last}\n`,
      );
    }
  });
}

export interface ClientOptions {
  db?: string;
  json?: boolean;
  today?: string;
  normalSd?: '0.5' | '1';
  rename?: string;
  note?: string;
  export?: string;
  delete?: boolean;
  yes?: boolean;
  /** read the record from the clinic's PostgreSQL: every room's sessions */
  clinicDb?: string;
  clinicDbConfig?: string;
  table?: string;
}

/** The client of exactly this name; an error naming near misses (case, spaces) when there is none. */
function requireClient(store: SessionStore, name: string): StoredClient {
  const client = findClient(store, name);
  if (client) return client;
  const near = listClients(store)
    .map((c) => c.name)
    .filter((n) => n.toLowerCase().replace(/\s+/g, ' ').trim() === name.toLowerCase().replace(/\s+/g, ' ').trim());
  const hint = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
  throw new Error(`no client "${name}" in ${store.path} (see tableside clients; names must match exactly${hint})`);
}

/** `tableside client NAME`: the record; or, with --rename/--note, --export DIR or --delete, that action. */
export async function clientCommand(name: string, opts: ClientOptions): Promise<void> {
  const actions = [
    opts.rename !== undefined || opts.note !== undefined,
    opts.export !== undefined,
    opts.delete === true,
  ];
  if (actions.filter(Boolean).length > 1) {
    throw new Error('choose one of --rename/--note, --export and --delete at a time');
  }
  if (opts.delete) return deleteClientCommand(name, opts);
  if (opts.clinicDb !== undefined && !actions.some(Boolean)) return printClinicRecord(name, opts);
  withStore(opts.db, (store) => {
    const client = requireClient(store, name);
    if (opts.rename !== undefined || opts.note !== undefined) return changeClient(store, client, opts);
    if (opts.export !== undefined) return exportClient(store, client, opts.export, opts);
    printRecord(store, client, opts);
  });
}

function timelineOptions(opts: ClientOptions) {
  return {
    ...(opts.today === undefined ? {} : { today: opts.today }),
    ...(opts.normalSd === undefined ? {} : { normalSdFactor: opts.normalSd === '1' ? (1 as const) : (0.5 as const) }),
  };
}

function changeClient(store: SessionStore, client: StoredClient, opts: ClientOptions): void {
  const changed = updateClient(store, client.id, {
    ...(opts.rename === undefined ? {} : { name: opts.rename }),
    ...(opts.note === undefined ? {} : { note: opts.note }),
  });
  const lines: string[] = [];
  if (changed.name !== client.name) lines.push(`client "${client.name}" renamed "${changed.name}"`);
  if (changed.note !== client.note) lines.push(`the note of "${changed.name}" changed`);
  if (lines.length === 0) lines.push(`"${changed.name}" unchanged`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Everything on the record into `dir`: the JSON export (`GET /api/clients/:id/export`: the record, every reading with
 * its RR, every session's JSON with its beats) and, for other programs (Kubios…), each reading's and each session's
 * RR as plain text. Nothing is overwritten.
 */
function exportClient(store: SessionStore, client: StoredClient, dir: string, opts: ClientOptions): void {
  const file = clientExport(store, client.id, timelineOptions(opts));
  if (!file) throw new Error(`no client "${client.name}" in ${store.path}`);
  const texts = new Map<string, string>([[`tableside-client-${client.id}.json`, `${JSON.stringify(file)}\n`]]);
  for (const r of file.readings) {
    texts.set(`reading-${r.id}-${r.at.replace(/:/g, '')}-${r.kind}.txt`, `${r.rrMs.join('\n')}\n`);
  }
  for (const s of sessionsOfClient(store, client.id)) {
    const rows = loadSessionRows(store, s.id, 'rr');
    if (rows) texts.set(`session-${s.id}-rr.txt`, exportSession(rows, 'rr').text);
  }
  mkdirSync(dir, { recursive: true });
  const there = [...texts.keys()].filter((name) => existsSync(join(dir, name)));
  if (there.length > 0) {
    throw new Error(`${join(dir, there[0] as string)} exists already: choose an empty folder. Nothing was written.`);
  }
  for (const [name, text] of texts) writeFileSync(join(dir, name), text);
  process.stdout.write(
    `exported "${client.name}" to ${dir}: tableside-client-${client.id}.json (the whole record), ` +
      `${plural(file.readings.length, 'reading')} and ${plural(texts.size - 1 - file.readings.length, 'session')} ` +
      'as RR text. It holds health data: keep it as safe as the database.\n',
  );
}

async function deleteClientCommand(name: string, opts: ClientOptions): Promise<void> {
  const path = existingDatabase(opts.db);
  const daemonRunning = isInUse(path);
  const store = SessionStore.open(path);
  try {
    const client = requireClient(store, name);
    const sessions = sessionsOfClient(store, client.id);
    const companions = sessions.flatMap((s) => store.getCompanions(s.id));
    settleRecording(store, [...sessions, ...companions], daemonRunning, path);
    const readings = listClients(store).find((c) => c.id === client.id)?.readings ?? 0;
    const what =
      `client "${client.name}" with ${plural(sessions.length, 'session')}` +
      `${companions.length > 0 ? ` (and ${plural(companions.length, 'companion stream')})` : ''} and ` +
      plural(readings, 'reading');
    await confirm(opts, `Delete ${what}? This cannot be undone.`);
    const deleted = deleteClient(store, client.id);
    process.stdout.write(
      `deleted client "${client.name}": ${plural(deleted.sessionIds.length, 'session')} ` +
        `(${plural(deleted.beats, 'beat')}) and ${plural(deleted.readings, 'reading')} from ${path}\n`,
    );
  } finally {
    store.close();
  }
}

/** `tableside merge-client FROM INTO`: FROM's sessions and readings move to INTO, FROM goes (asks first). */
export async function mergeClientCommand(from: string, into: string, opts: { db?: string; yes?: boolean }) {
  const path = existingDatabase(opts.db);
  const store = SessionStore.open(path);
  try {
    const source = requireClient(store, from);
    const target = requireClient(store, into);
    if (source.id === target.id) throw new Error(`"${from}" and "${into}" are the same client: nothing to merge`);
    const plan = mergeClients(store, source.id, target.id, false);
    const dropped =
      plan.duplicateReadings > 0 ? `; ${plural(plan.duplicateReadings, 'reading')} already on "${into}" dropped` : '';
    await confirm(
      opts,
      `Merge "${from}" into "${into}": ${plural(plan.sessions, 'session')} and ${plural(plan.readings, 'reading')} ` +
        `move${dropped}, then "${from}" is deleted. Go on?`,
      'nothing was merged',
    );
    const done = mergeClients(store, source.id, target.id, true);
    process.stdout.write(
      `merged "${from}" into "${into}": ${plural(done.sessions, 'session')} and ${plural(done.readings, 'reading')} ` +
        `moved${dropped}; "${from}" is no more\n`,
    );
  } finally {
    store.close();
  }
}

function printRecord(store: SessionStore, client: StoredClient, opts: ClientOptions): void {
  const record = clientRecord(store, client.id, timelineOptions(opts));
  if (!record) throw new Error(`no client "${client.name}" in ${store.path}`);
  writeRecord(record, opts);
}

type PrintedRecord = NonNullable<ReturnType<typeof clientRecord>> & {
  readonly clinic?: string;
  readonly sessions: readonly (NonNullable<ReturnType<typeof clientRecord>>['sessions'][number] & { table?: string })[];
};

function writeRecord(record: PrintedRecord, opts: ClientOptions): void {
  if (opts.json) {
    process.stdout.write(`${JSON.stringify(record)}\n`);
    return;
  }
  const out: string[] = [`${record.client.name}${record.client.note ? ` — ${record.client.note}` : ''}`];
  out.push(`${plural(record.sessions.length, 'session')}, ${plural(record.readings.length, 'reading')}`);
  if (record.clinic === 'unreachable') out.push("this table's sessions only: the clinic database is unreachable");
  const today = record.days.at(-1);
  if (today) {
    out.push(
      `${today.date}: lnRMSSD ${fixed(today.lnRmssd, 2)}, 7-day baseline ${fixed(today.baseline7, 2)} ` +
        `(CV ${fixed(today.cv7Pct, 1)} %), normal range ${fixed(today.normalLow, 2)}–${fixed(today.normalHigh, 2)}`,
    );
  }
  out.push(`over the weeks: ${record.overWeeks.words}`);
  for (const s of record.sessions) {
    // another room's session has no id here: its room says where it is
    const which = s.id > 0 ? `session ${s.id}` : `${s.table ?? 'another room'}`;
    out.push(
      `  ${which}  ${s.startedAt.replace('T', ' ')}  shift ${fixed(s.massageShiftLn, 2)} ln  ` +
        `${s.mainTechnique ?? '—'}${s.table === undefined || s.id < 0 ? '' : `  (${s.table})`}`,
    );
  }
  for (const t of record.techniques) out.push(`  ${t.technique}: ${t.words}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

/** The record with every room's sessions, from the clinic database (this table's own when it does not answer). */
async function printClinicRecord(name: string, opts: ClientOptions): Promise<void> {
  const [{ clinicDbSettings }, { openClinicDb }, { clinicLookup }] = await Promise.all([
    import('../clinic/settings.js'),
    import('../clinic/pg.js'),
    import('../clinic/lookup.js'),
  ]);
  const settings = clinicDbSettings({
    url: opts.clinicDb as string,
    ...(opts.clinicDbConfig === undefined ? {} : { configFile: opts.clinicDbConfig }),
    ...(opts.table === undefined ? {} : { table: opts.table }),
    env: process.env,
    hostname: hostname(),
  });
  const store = SessionStore.open(opts.db ?? defaultDbPath());
  const db = await openClinicDb(settings, { max: 1, connectTimeoutMs: 3000 });
  try {
    const client = requireClient(store, name);
    const local = clientRecord(store, client.id, timelineOptions(opts));
    if (!local) throw new Error(`no client "${client.name}" in ${store.path}`);
    const answer = await clinicLookup(store, () => db, { timeoutMs: 5000 }).record(client.id, timelineOptions(opts));
    writeRecord(
      answer.kind === 'record' ? { ...answer.record, clinic: 'all-rooms' } : { ...local, clinic: answer.kind },
      opts,
    );
  } finally {
    await db.close().catch(() => undefined);
    store.close();
  }
}
