/** `tableside import`, `clients` and `client`: readings onto a client's record, and the record read back. */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { ReadingKind } from '../domain/kinds.js';
import { defaultDbPath } from '../host/paths.js';
import { clientRecord } from '../io/client-record.js';
import { importReadings, type ReadingFileText } from '../io/reading-import.js';
import { RrFileError } from '../io/rr-file.js';
import { findClient, listClients } from '../store/clients.js';
import { SessionStore } from '../store/session-store.js';
import { fixed } from './format.js';

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

export function clientCommand(
  name: string,
  opts: { db?: string; json?: boolean; today?: string; normalSd?: '0.5' | '1' },
): void {
  withStore(opts.db, (store) => {
    const client = findClient(store, name);
    if (!client) {
      const near = listClients(store)
        .map((c) => c.name)
        .filter((n) => n.toLowerCase().replace(/\s+/g, ' ').trim() === name.toLowerCase().replace(/\s+/g, ' ').trim());
      const hint = near.length > 0 ? `; did you mean ${near.map((n) => `"${n}"`).join(' or ')}?` : '';
      throw new Error(`no client "${name}" in ${store.path} (see tableside clients; names must match exactly${hint})`);
    }
    const record = clientRecord(store, client.id, {
      ...(opts.today === undefined ? {} : { today: opts.today }),
      ...(opts.normalSd === undefined ? {} : { normalSdFactor: opts.normalSd === '1' ? 1 : 0.5 }),
    });
    if (!record) throw new Error(`no client "${name}" in ${store.path}`);
    if (opts.json) {
      process.stdout.write(`${JSON.stringify(record)}\n`);
      return;
    }
    const out: string[] = [`${record.client.name}${record.client.note ? ` — ${record.client.note}` : ''}`];
    out.push(`${plural(record.sessions.length, 'session')}, ${plural(record.readings.length, 'reading')}`);
    const today = record.days.at(-1);
    if (today) {
      out.push(
        `${today.date}: lnRMSSD ${fixed(today.lnRmssd, 2)}, 7-day baseline ${fixed(today.baseline7, 2)} ` +
          `(CV ${fixed(today.cv7Pct, 1)} %), normal range ${fixed(today.normalLow, 2)}–${fixed(today.normalHigh, 2)}`,
      );
    }
    out.push(`over the weeks: ${record.overWeeks.words}`);
    for (const s of record.sessions) {
      out.push(
        `  session ${s.id}  ${s.startedAt.replace('T', ' ')}  shift ${fixed(s.massageShiftLn, 2)} ln  ` +
          `${s.mainTechnique ?? '—'}`,
      );
    }
    for (const t of record.techniques) out.push(`  ${t.technique}: ${t.words}`);
    process.stdout.write(`${out.join('\n')}\n`);
  });
}
