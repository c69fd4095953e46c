/**
 * `tableside delete`, `purge`, `backup` and `restore`: a client's data leaves the database when asked, and the
 * database can be copied out and put back (README, Privacy). The store does the work; this file asks, refuses and
 * reports.
 *
 * A session still `recording` belongs to a running daemon, which is refused: the daemon would go on writing into a
 * session that no longer exists. When no program has the database open, such a session is the leftover of a daemon
 * that was killed; it is marked interrupted first, as the next start would, and can then be deleted.
 */
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { stdout } from '../host/output.js';
import { defaultDbPath } from '../host/paths.js';
import { backupTo, deleteSession, isInUse, purgeClient, restoreBackup } from '../store/admin.js';
import { SessionStore } from '../store/session-store.js';
import type { StoredSession } from '../store/types.js';
import { clock } from './format.js';

interface DbOptions {
  db?: string;
}
interface ConfirmOptions {
  yes?: boolean;
}

export async function deleteCommand(id: number, opts: DbOptions & ConfirmOptions): Promise<void> {
  const path = existingDatabase(opts.db);
  const daemonRunning = isInUse(path);
  await withStore(path, async (store) => {
    const session = store.getSession(id);
    if (!session) throw new Error(`no session ${id} in ${path} (see tableside sessions)`);
    const companions = store.getCompanions(id);
    settleRecording(store, [session, ...companions], daemonRunning, path);
    // Companion streams (the therapist's strap) are deleted with their session (ON DELETE CASCADE).
    const streams = companions.map(
      (c) => ` with its ${c.stream} stream (session ${c.id}, ${plural(c.beatCount, 'beat')})`,
    );
    const what = `session ${id} (${describe(session)})${streams.join(',')}`;
    await confirm(opts, `Delete ${what} and everything stored with it? This cannot be undone.`);
    deleteSession(store, id);
    say(`deleted ${what} from ${path}`);
  });
}

export async function purgeCommand(opts: DbOptions & ConfirmOptions & { client: string }): Promise<void> {
  const path = existingDatabase(opts.db);
  const label = opts.client;
  const daemonRunning = isInUse(path);
  await withStore(path, async (store) => {
    const all = store.listSessions();
    const matched = all.filter((s) => s.clientLabel === label);
    if (matched.length === 0) {
      const near = [...new Set(all.map((s) => s.clientLabel))].filter((l) => sameWords(l, label));
      const hint = near.length > 0 ? `; did you mean ${near.map((l) => `"${l}"`).join(' or ')}?` : '';
      say(`no sessions of client "${label}" in ${path} (labels must match exactly${hint})`);
      return;
    }
    const ids = new Set(matched.map((s) => s.id));
    const doomed = all.filter((s) => ids.has(s.id) || (s.groupId !== null && ids.has(s.groupId)));
    settleRecording(store, doomed, daemonRunning, path);
    const beats = plural(
      doomed.reduce((n, s) => n + s.beatCount, 0),
      'beat',
    );
    const what = `${plural(doomed.length, 'session')} of client "${label}" (ids ${doomed.map((s) => s.id).join(', ')}; ${beats})`;
    await confirm(opts, `Delete ${what} and everything stored with them? This cannot be undone.`);
    const result = purgeClient(store, label);
    say(
      `deleted ${plural(result.sessionIds.length, 'session')} of client "${label}" (${plural(result.beats, 'beat')}) from ${path}`,
    );
  });
}

export async function backupCommand(file: string, opts: DbOptions & { force?: boolean }): Promise<void> {
  const path = existingDatabase(opts.db);
  if (existsSync(file) && !opts.force) {
    throw new Error(`${file} exists already: pass --force to replace it, or choose another file name`);
  }
  await withStore(path, async (store) => {
    const result = await backupTo(store, file, { overwrite: opts.force === true });
    say(
      `backed up ${path} to ${result.path}: ${plural(result.sessions, 'session')}, ${megabytes(result.bytes)}. ` +
        "It holds your clients' health data: keep it as safe as the database.",
    );
  });
}

export function restoreCommand(file: string, opts: DbOptions): void {
  const path = opts.db ?? defaultDbPath();
  const result = restoreBackup(file, path);
  say(`restored ${path} from ${file}: ${plural(result.sessions, 'session')}.`);
  if (result.previous) {
    say(
      `The database it replaced is kept as ${result.previous}; it holds the sessions recorded before. Delete it once ` +
        'the restored database is right.',
    );
  }
}

/** The database at `db` (or the default one), which must exist: these commands never create an empty one. */
export function existingDatabase(db: string | undefined): string {
  const path = db ?? defaultDbPath();
  if (!existsSync(path)) throw new Error(`no database at ${path} (nothing recorded there yet; pass --db FILE?)`);
  return path;
}

async function withStore(path: string, fn: (store: SessionStore) => Promise<void>): Promise<void> {
  const store = SessionStore.open(path);
  try {
    await fn(store);
  } finally {
    store.close();
  }
}

/**
 * Refuses sessions that a running daemon is recording; marks the leftovers of a killed daemon interrupted (what its
 * next start would do), so that the store lets them go.
 */
export function settleRecording(
  store: SessionStore,
  sessions: readonly StoredSession[],
  running: boolean,
  path: string,
) {
  const recording = sessions.filter((s) => s.status === 'recording').map((s) => s.id);
  if (recording.length === 0) return;
  if (running) {
    throw new Error(
      `session ${recording.join(', ')} is being recorded by the tableside running on ${path}: end it first (End ` +
        'on the screen, or stop tableside with Ctrl-C), then delete. Nothing was deleted.',
    );
  }
  store.recoverInterrupted();
}

/** Asks on the terminal unless `--yes`; without a terminal to ask on, refuses, saying `nothing` ("nothing was …"). */
export async function confirm(opts: ConfirmOptions, question: string, nothing = 'nothing was deleted'): Promise<void> {
  if (opts.yes) return;
  if (!process.stdin.isTTY) {
    throw new Error(`${nothing}: pass --yes to confirm (stdin is not a terminal, so tableside cannot ask)`);
  }
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await rl.question(`${question} [y/N] `);
    if (!/^y(es)?$/i.test(answer.trim())) throw new Error(`${nothing} (the answer was not "y")`);
  } finally {
    rl.close();
  }
}

/** `client "Anna", 2024-05-01 10:00 UTC, 16:03, 910 beats` */
function describe(s: StoredSession): string {
  const started = s.startedAt.slice(0, 16).replace('T', ' ');
  return `client "${s.clientLabel}", ${started} UTC, ${clock(s.durationS)}, ${plural(s.beatCount, 'beat')}`;
}

function sameWords(a: string, b: string): boolean {
  const words = (s: string) => s.trim().toLowerCase().split(/\s+/).join(' ');
  return words(a) === words(b);
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function megabytes(bytes: number): string {
  return `${(bytes / 1_048_576).toFixed(1)} MB`;
}

function say(line: string): void {
  stdout().write(`${line}\n`);
}
