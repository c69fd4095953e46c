/** `tableside sessions` and `tableside export`: read the session store. */
import { writeFileSync } from 'node:fs';
import { stdout } from '../host/output.js';
import { defaultDbPath } from '../host/paths.js';
import { type ExportFormat, exportSession, loadSessionRows } from '../io/session-export.js';
import { SessionStore } from '../store/session-store.js';
import type { StoredSession } from '../store/types.js';
import { clock } from './format.js';

function withStore<T>(db: string | undefined, fn: (store: SessionStore) => T): T {
  const store = SessionStore.open(db ?? defaultDbPath());
  try {
    return fn(store);
  } finally {
    store.close();
  }
}

export function sessionsCommand(opts: { db?: string; json?: boolean }) {
  withStore(opts.db, (store) => {
    const sessions = store.listSessions();
    if (opts.json) {
      stdout().write(`${JSON.stringify(sessions)}\n`);
      return;
    }
    if (sessions.length === 0) {
      stdout().write('no sessions stored yet\n');
      return;
    }
    stdout().write(
      `${'id'.padStart(4)}  ${'started'.padEnd(20)}${'length'.padStart(9)}${'beats'.padStart(8)}  status       client\n`,
    );
    for (const s of sessions) {
      stdout().write(
        `${String(s.id).padStart(4)}  ${s.startedAt.slice(0, 19).replace('T', ' ').padEnd(20)}${clock(s.durationS).padStart(9)}` +
          `${String(s.beatCount).padStart(8)}  ${s.status.padEnd(12)} ${who(s)}\n`,
      );
    }
  });
}

/** The client label; for a second strap's session, whose strap it is and the session it was recorded with. */
function who(s: StoredSession): string {
  return s.groupId === null ? s.clientLabel : `${s.stream}'s strap, with session ${s.groupId}`;
}

export function exportCommand(id: number, opts: { db?: string; format: ExportFormat; out?: string }) {
  withStore(opts.db, (store) => {
    const rows = loadSessionRows(store, id, opts.format);
    if (!rows) throw new Error(`no session ${id} in ${store.path} (see tableside sessions)`);
    const { text } = exportSession(rows, opts.format);
    if (opts.out) writeFileSync(opts.out, text);
    else stdout().write(text);
  });
}
