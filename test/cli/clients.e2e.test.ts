/**
 * `tableside import`, `clients` and `client` as real processes on a real database (`npm test` builds dist/ first):
 * a person's rows of Welltory's research export become one reading each, twice adds nothing, bad input stores
 * nothing and says why, and `client NAME --json` prints the whole record.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/store/session-store.js';
import { runCliResult, tempDir } from '../helpers/daemon-process.js';

const WELLTORY = 'test/fixtures/readings/welltory-hrv-covid19/hrv_measurements.csv';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});
const cli = (...args: string[]) => runCliResult(args);

function temp(): string {
  const dir = tempDir();
  cleanups.push(dir.remove);
  return dir.path;
}

function readings(db: string): number {
  const store = SessionStore.open(db);
  try {
    return store.withConnection(
      'count',
      (c) => (c.prepare('SELECT count(*) AS n FROM readings').get() as { n: number }).n,
    );
  } finally {
    store.close();
  }
}

/** 90 beats around 800 ms: a valid reading of ~72 s. */
const RR = Array.from({ length: 90 }, (_, i) => String(Math.round(800 + 35 * Math.sin(i / 2.2)))).join('\n');

// Each CLI process starts Node and opens the database: allow for a busy machine.
describe('tableside import, clients, client', { timeout: 180_000 }, () => {
  it("imports one person's rows, says a client was created, adds nothing the second time", async () => {
    const db = join(temp(), 't.db');
    const first = await cli('import', WELLTORY, '--client', 'Mara Q', '--user', 'fde84801d8', '--db', db);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain('new client "Mara Q" created');
    expect(first.stdout).toContain('109 readings added to "Mara Q" from 1 file');
    const second = await cli('import', WELLTORY, '--client', 'Mara Q', '--user', 'fde84801d8', '--db', db);
    expect(second.code).toBe(0);
    expect(second.stdout).not.toContain('created');
    expect(second.stdout).toContain('0 readings added');
    expect(second.stdout).toContain('109 readings already there, not added again');
    expect(readings(db)).toBe(109);

    const list = await cli('clients', '--db', db);
    expect(list.stdout).toMatch(/Mara Q\s+0\s+109\s+—/);

    const record = await cli('client', 'Mara Q', '--json', '--today', '2020-06-30', '--db', db);
    expect(record.code, record.stderr).toBe(0);
    const json = JSON.parse(record.stdout);
    expect(Object.keys(json)).toEqual(['client', 'readings', 'days', 'sessions', 'techniques', 'overWeeks']);
    expect(json.client.name).toBe('Mara Q');
    expect(json.readings).toHaveLength(109);
    expect(json.days.at(-1).date).toBe('2020-06-30');
    expect(json.sessions).toEqual([]);
  });

  it('bad input: stores nothing and says what and where', async () => {
    const dir = temp();
    const db = join(dir, 't.db');
    const multi = await cli('import', WELLTORY, '--client', 'X', '--db', db);
    expect(multi.code).toBe(1);
    expect(multi.stderr).toMatch(/readings of \d+ people: choose one with --user CODE .*a62c11c164 \(405\)/);

    const file = join(dir, 'reading.txt');
    writeFileSync(file, RR);
    const noTime = await cli('import', file, '--client', 'X', '--db', db);
    expect(noTime.code).toBe(1);
    expect(noTime.stderr).toContain(`${file}: the file does not say when it was recorded: give the time with --at`);

    // A folder: every file in it, all or nothing — one bad file fails the lot.
    const folder = join(dir, 'readings');
    mkdirSync(folder);
    writeFileSync(join(folder, '2026-11-20 07-00-00.txt'), RR);
    writeFileSync(join(folder, '2026-11-21 07-00-00.txt'), `${RR}\nabc\n`);
    const bad = await cli('import', folder, '--client', 'X', '--kind', 'morning', '--db', db);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/2026-11-21 07-00-00\.txt:91: /);

    const unknown = await cli('client', 'Nobody', '--db', db);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/^tableside: no client "Nobody" in .*t\.db/);
    const list = await cli('clients', '--db', db);
    expect(list.stdout).toBe('no clients yet\n');

    writeFileSync(join(folder, '2026-11-21 07-00-00.txt'), RR.split('\n').slice(0, 40).join('\n'));
    const ok = await cli('import', folder, '--client', 'X', '--kind', 'morning', '--db', db);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('2 readings added to "X" from 2 files');
    expect(ok.stdout).toContain('1 reading kept without a value');
    const json = JSON.parse((await cli('client', 'X', '--json', '--today', '2026-11-21', '--db', db)).stdout);
    expect(json.readings.map((r: { at: string; kind: string }) => [r.at, r.kind])).toEqual([
      ['2026-11-20T07:00:00', 'morning'],
      ['2026-11-21T07:00:00', 'morning'],
    ]);
    expect(json.readings[1].lnRmssd).toBeNull();
    expect(json.readings[1].reason).toMatch(/^too short/);
  });
});
