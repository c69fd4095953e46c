/**
 * A client's record from the terminal, as real `tableside` processes on a real database (`npm test` builds dist/
 * first): `client NAME --rename NEW` and `--note`, `client NAME --export DIR` (the JSON export and every RR as text),
 * `merge-client FROM INTO` and `client NAME --delete`, both asking first (without a terminal: refused unless --yes).
 * What each did is checked in the database and in the files, not in the command's own words only.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findClient } from '../../src/store/clients.js';
import { SessionStore } from '../../src/store/session-store.js';
import { runCliResult, tempDir } from '../helpers/daemon-process.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
const cli = (...args: string[]) => runCliResult(args);

/** A valid reading's RR (~72 s around 800 ms), shifted by `k` so each one is its own. */
const rrOf = (k: number) => Array.from({ length: 90 }, (_, i) => Math.round(800 + k + 35 * Math.sin(i / 2.2)));

function count(db: string, sql: string, ...params: unknown[]): number {
  const store = SessionStore.open(db);
  try {
    return store.withConnection('count', (c) => (c.prepare(sql).get(...params) as { n: number }).n);
  } finally {
    store.close();
  }
}

/**
 * A database with "Ada L" (two readings and an ended session of 200 beats) and "Ada Lovelace" (one reading, the same
 * as one of Ada L's): imported through the CLI, the session written through the store.
 */
async function seeded() {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const db = join(dir.path, 't.db');
  const files = [0, 1].map((k) => {
    const file = join(dir.path, `r${k}.txt`);
    writeFileSync(file, rrOf(k).join('\n'));
    return file;
  });
  for (const [file, at, client] of [
    [files[0], '2026-03-02T07:00', 'Ada L'],
    [files[1], '2026-03-03T07:00', 'Ada L'],
    [files[1], '2026-03-03T07:00', 'Ada Lovelace'],
  ] as const) {
    const added = await cli('import', file, '--client', client, '--kind', 'morning', '--at', at, '--db', db);
    expect(added.code, added.stderr).toBe(0);
  }
  const store = SessionStore.open(db);
  const sessionRr: number[] = [];
  try {
    const ada = findClient(store, 'Ada L');
    const s = store.createSession({
      clientLabel: 'Ada L',
      therapistNote: '',
      sourceKind: 'simulated',
      sourceLabel: 'test',
      params: {},
      clientId: ada?.id ?? null,
    });
    let t = 0;
    const events = Array.from({ length: 200 }, (_, seq) => {
      const rrMs = 850 + (seq % 7) * 10;
      sessionRr.push(rrMs);
      t += rrMs / 1000;
      return { type: 'beat' as const, seq, tS: t, rrMs, gapBefore: false, receivedAtMs: 0 };
    });
    store.writeBatch(s.id, events);
    store.endSession(s.id);
  } finally {
    store.close();
  }
  return { dir: dir.path, db, sessionRr };
}

describe('tableside client --rename/--export/--delete and merge-client', { timeout: 180_000 }, () => {
  it('renames a client (their sessions carry the new name), refuses a name in use, changes the note', async () => {
    const { db } = await seeded();
    const renamed = await cli('client', 'Ada L', '--rename', 'Ada K', '--db', db);
    expect(renamed.code, renamed.stderr).toBe(0);
    expect(renamed.stdout).toBe('client "Ada L" renamed "Ada K"\n');
    expect(count(db, "SELECT count(*) AS n FROM clients WHERE name = 'Ada K'")).toBe(1);
    expect(count(db, "SELECT count(*) AS n FROM sessions WHERE client_label = 'Ada K'")).toBe(1);

    const taken = await cli('client', 'Ada K', '--rename', 'Ada Lovelace', '--db', db);
    expect(taken.code).toBe(1);
    expect(taken.stderr).toMatch(/another client \(\d+\) has that name: merge .* Nothing was changed/);
    expect(count(db, "SELECT count(*) AS n FROM clients WHERE name = 'Ada K'")).toBe(1);

    const noted = await cli('client', 'Ada K', '--note', 'left shoulder', '--db', db);
    expect(noted.stdout).toBe('the note of "Ada K" changed\n');
    expect(count(db, "SELECT count(*) AS n FROM clients WHERE note = 'left shoulder'")).toBe(1);

    const unknown = await cli('client', 'ada k', '--rename', 'X', '--db', db);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('no client "ada k"');
    expect(unknown.stderr).toContain('did you mean "Ada K"?');
  });

  it('exports everything on the record into a folder: the JSON export and each RR as text, nothing overwritten', async () => {
    const { dir, db, sessionRr } = await seeded();
    const out = join(dir, 'ada');
    const done = await cli('client', 'Ada L', '--export', out, '--db', db);
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(
      /^exported "Ada L" to .*: tableside-client-1\.json .*2 readings and 1 session as RR text/,
    );
    const names = readdirSync(out).sort();
    expect(names).toEqual([
      'reading-1-2026-03-02T070000-morning.txt',
      'reading-2-2026-03-03T070000-morning.txt',
      'session-1-rr.txt',
      'tableside-client-1.json',
    ]);
    const json = JSON.parse(readFileSync(join(out, 'tableside-client-1.json'), 'utf8'));
    expect(json).toMatchObject({ format: 'tableside-client', client: { name: 'Ada L' } });
    expect(json.readings.map((r: { rrMs: number[] }) => r.rrMs)).toEqual([rrOf(0), rrOf(1)]);
    expect(json.sessionExports).toHaveLength(1);
    const lines = (name: string) => readFileSync(join(out, name), 'utf8').trim().split('\n').map(Number);
    expect(lines('reading-1-2026-03-02T070000-morning.txt')).toEqual(rrOf(0));
    expect(lines('session-1-rr.txt')).toEqual(sessionRr);

    const again = await cli('client', 'Ada L', '--export', out, '--db', db);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/exists already: choose an empty folder\. Nothing was written\./);
  });

  it('merges a client into another only when confirmed: sessions and readings move, a reading held twice once', async () => {
    const { db } = await seeded();
    const refused = await cli('merge-client', 'Ada L', 'Ada Lovelace', '--db', db);
    expect(refused).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'tableside: nothing was merged: pass --yes to confirm (stdin is not a terminal, so tableside cannot ask)\n',
    });
    expect(count(db, 'SELECT count(*) AS n FROM clients')).toBe(2);

    const merged = await cli('merge-client', 'Ada L', 'Ada Lovelace', '--yes', '--db', db);
    expect(merged.code, merged.stderr).toBe(0);
    expect(merged.stdout).toBe(
      'merged "Ada L" into "Ada Lovelace": 1 session and 1 reading moved; 1 reading already on "Ada Lovelace" ' +
        'dropped; "Ada L" is no more\n',
    );
    expect(count(db, 'SELECT count(*) AS n FROM clients')).toBe(1);
    expect(
      count(
        db,
        "SELECT count(*) AS n FROM readings r JOIN clients c ON c.id = r.client_id WHERE c.name = 'Ada Lovelace'",
      ),
    ).toBe(2);
    expect(
      count(db, "SELECT count(*) AS n FROM sessions WHERE client_label = 'Ada Lovelace' AND client_id IS NOT NULL"),
    ).toBe(1);

    const self = await cli('merge-client', 'Ada Lovelace', 'Ada Lovelace', '--yes', '--db', db);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain('the same client: nothing to merge');
  });

  it('deletes a client with every session and reading only when confirmed', async () => {
    const { db } = await seeded();
    const refused = await cli('client', 'Ada L', '--delete', '--db', db);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe(
      'tableside: nothing was deleted: pass --yes to confirm (stdin is not a terminal, so tableside cannot ask)\n',
    );
    expect(count(db, 'SELECT count(*) AS n FROM readings')).toBe(3);

    const deleted = await cli('client', 'Ada L', '--delete', '--yes', '--db', db);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toBe(`deleted client "Ada L": 1 session (200 beats) and 2 readings from ${db}\n`);
    expect(count(db, 'SELECT count(*) AS n FROM readings')).toBe(1);
    expect(count(db, 'SELECT count(*) AS n FROM sessions')).toBe(0);
    expect(count(db, 'SELECT count(*) AS n FROM beats')).toBe(0);
    const gone = await cli('client', 'Ada L', '--db', db);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no client "Ada L"');

    const both = await cli('client', 'Ada Lovelace', '--delete', '--export', 'x', '--db', db);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('choose one of --rename/--note, --export and --delete at a time');
  });
});
