/**
 * Privacy as a user meets it: `tableside delete`, `purge`, `backup` and `restore` as separate processes on a real
 * database, beside a real daemon with a viewer on a real WebSocket; the question on a real terminal (a pty through
 * `script`); and a daemon that makes no outbound connection. (`npm test` builds dist/ first.)
 */
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SessionStore } from '../../src/store/session-store.js';
import {
  CLI,
  exited,
  openViewer,
  runCliResult,
  startDaemon,
  tempDir,
  waitFor,
  within,
} from '../helpers/daemon-process.js';

const RECORDING = 'recordings/bartels_rest_rri.txt';
const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const cli = (...args: string[]) => runCliResult(args);
const quoted = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A temp folder with a database holding two ended sessions: 1 "Demo (simulated)", 2 "Demo (replay)" (910 beats). */
async function seeded(): Promise<{ dir: string; db: string }> {
  const dir = tempDir();
  cleanups.push(dir.remove);
  const db = join(dir.path, 't.db');
  for (const run of [
    ['simulate', '--duration', '120', '--speed', 'max', '--exit'],
    ['replay', RECORDING, '--speed', 'max', '--exit'],
  ]) {
    const result = await cli(...run, '--db', db, '--port', '0');
    expect(result.code, result.stderr).toBe(0);
  }
  return { dir: dir.path, db };
}

describe('delete, purge, backup and restore (real processes, real database)', () => {
  it('beside a running daemon: its session is refused, an ended one deleted, a backup made; restore waits', async () => {
    const { dir, db } = await seeded();
    const daemon = await startDaemon(['simulate', '--speed', '20', '--db', db]);
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const { ws, messages } = await openViewer(daemon.url);
    const beats = () => messages.filter((m) => m.type === 'beat').length;
    await waitFor(() => beats() > 20, 20_000, 'beats');
    expect(messages[0]).toMatchObject({ session: { session: { id: 3, status: 'recording' } } });

    const recording = await cli('delete', '3', '--yes', '--db', db);
    expect(recording).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `tableside: session 3 is being recorded by the tableside running on ${db}: end it first (End on the ` +
        'screen, or stop tableside with Ctrl-C), then delete. Nothing was deleted.\n',
    });
    expect(await cli('delete', '1', '--db', db)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        'tableside: nothing was deleted: pass --yes to confirm (stdin is not a terminal, so tableside cannot ask)\n',
    });

    const beatsBefore = beats();
    const deleted = await cli('delete', '1', '--yes', '--db', db);
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toMatch(
      new RegExp(
        `^deleted session 1 \\(client "Demo \\(simulated\\)", \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC, \\d+:\\d\\d, ` +
          `\\d+ beats\\) from ${quoted(db)}\\n$`,
      ),
    );

    const backup = join(dir, 'backup.db');
    const made = await cli('backup', backup, '--db', db);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(
      new RegExp(
        `^backed up ${quoted(db)} to ${quoted(backup)}: 2 sessions, \\d+\\.\\d MB\\. It holds your clients' health ` +
          'data: keep it as safe as the database\\.\\n$',
      ),
    );
    expect(await cli('backup', backup, '--db', db)).toEqual({
      code: 1,
      stdout: '',
      stderr: `tableside: ${backup} exists already: pass --force to replace it, or choose another file name\n`,
    });
    expect((await cli('backup', backup, '--force', '--db', db)).code).toBe(0);
    expect(await cli('restore', backup, '--db', db)).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `tableside: ${db}: in use by a running tableside (or another program): stop it, then restore. Nothing was ` +
        'restored.\n',
    });

    // The live view went on through all of it, and recording never stopped.
    await waitFor(() => beats() > beatsBefore + 20, 20_000, 'beats after the commands');
    expect(messages.filter((m) => m.type === 'recording' && m.state === 'stopped')).toEqual([]);
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);
    ws.close();

    // The backup holds the session being recorded as it was then.
    const copy = SessionStore.open(backup);
    try {
      expect(copy.listSessions().map((s) => [s.id, s.status])).toEqual([
        [3, 'recording'],
        [2, 'ended'],
      ]);
      expect(copy.getBeats(3).length).toBeGreaterThan(20);
    } finally {
      copy.close();
    }

    expect(await cli('purge', '--client', 'Demo (replay)', '--yes', '--db', db)).toEqual({
      code: 0,
      stdout: `deleted 1 session of client "Demo (replay)" (910 beats) from ${db}\n`,
      stderr: '',
    });
    expect(await cli('restore', backup, '--db', db)).toEqual({
      code: 0,
      stdout:
        `restored ${db} from ${backup}: 2 sessions.\nThe database it replaced is kept as ${db}.before-restore; it ` +
        'holds the sessions recorded before. Delete it once the restored database is right.\n',
      stderr: '',
    });
    const restored = JSON.parse((await cli('sessions', '--json', '--db', db)).stdout) as {
      id: number;
      status: string;
    }[];
    expect(restored.map((s) => [s.id, s.status])).toEqual([
      [3, 'interrupted'],
      [2, 'ended'],
    ]);
    const before = JSON.parse((await cli('sessions', '--json', '--db', `${db}.before-restore`)).stdout) as {
      id: number;
    }[];
    expect(before.map((s) => s.id)).toEqual([3]);
  }, 90_000);

  it('purge names a near miss, and deletes nothing without an exact match', async () => {
    const { db } = await seeded();
    expect(await cli('purge', '--client', 'demo  (REPLAY)', '--yes', '--db', db)).toEqual({
      code: 0,
      stdout: `no sessions of client "demo  (REPLAY)" in ${db} (labels must match exactly; did you mean "Demo (replay)"?)\n`,
      stderr: '',
    });
    expect(JSON.parse((await cli('sessions', '--json', '--db', db)).stdout)).toHaveLength(2);
    expect(await cli('delete', '1', '--yes', '--db', join(db, '..', 'nothing-here.db'))).toMatchObject({
      code: 1,
      stderr: `tableside: no database at ${join(db, '..', 'nothing-here.db')} (nothing recorded there yet; pass --db FILE?)\n`,
    });
  }, 60_000);
});

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasScript)('the question on a terminal', () => {
  /** Runs `tableside <args>` on a pseudo-terminal (util-linux `script`), typing `answer`. */
  function onTerminal(args: string[], answer: string): Promise<{ code: number | null; output: string }> {
    const command = [process.execPath, CLI, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d) => {
      output += d;
    });
    // Typed once the question is on the screen, as a person would.
    child.stdout.once('data', () => child.stdin.end(`${answer}\n`));
    return new Promise((resolve) => child.once('close', (code) => resolve({ code, output })));
  }

  it('deletes only on "y"', async () => {
    const { db } = await seeded();
    const no = await onTerminal(['delete', '2', '--db', db], 'n');
    expect(no.code).toBe(1);
    expect(no.output).toContain('Delete session 2 (client "Demo (replay)", ');
    expect(no.output).toContain('16:03, 910 beats) and everything stored with it? This cannot be undone. [y/N] ');
    expect(no.output).toContain('tableside: nothing was deleted (the answer was not "y")');
    expect(JSON.parse((await cli('sessions', '--json', '--db', db)).stdout)).toHaveLength(2);

    const yes = await onTerminal(['delete', '2', '--db', db], 'y');
    expect(yes.code).toBe(0);
    expect(yes.output).toMatch(/deleted session 2 \(client "Demo \(replay\)", .*, 16:03, 910 beats\) from /);
    expect(JSON.parse((await cli('sessions', '--json', '--db', db)).stdout)).toHaveLength(1);
  }, 60_000);
});

describe('network', () => {
  const recorder = join(import.meta.dirname, '../helpers/outbound-recorder.mjs');

  /** What the recorder wrote, without the lookups of IP literals that `listen` makes (they send no query). */
  function outbound(file: string): unknown[] {
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { what: string; target?: unknown[] });
    expect(lines[0]).toEqual({ what: 'loaded' });
    return lines.slice(1).filter((l) => !(l.what === 'dns lookup' && isIP(String(l.target?.[0])) !== 0));
  }

  it('the daemon connects to nothing: it serves its viewers and reads its source, and that is all', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const record = join(dir.path, 'outbound.jsonl');
    const env = { TABLESIDE_TEST_OUTBOUND_LOG: record };

    // The recorder sees a connection when there is one.
    const probe = spawn(
      process.execPath,
      ['--import', recorder, '-e', "require('node:net').connect(9, '127.0.0.1').on('error', () => {})"],
      {
        env: { ...process.env, ...env },
        stdio: 'ignore',
      },
    );
    await within(exited(probe), 20_000, 'the probe connecting to port 9 exits');
    const seen = outbound(record);
    expect(seen).toEqual([expect.objectContaining({ what: 'tcp connect' })]);
    expect(JSON.stringify(seen)).toContain('"port":9');

    const daemonRecord = join(dir.path, 'daemon.jsonl');
    // Preloaded through NODE_OPTIONS: the daemon is started exactly as the other tests start it.
    const daemon = await startDaemon(
      ['replay', RECORDING, '--speed', '100', '--exit', '--db', join(dir.path, 't.db')],
      {
        TABLESIDE_TEST_OUTBOUND_LOG: daemonRecord,
        NODE_OPTIONS: `--import ${recorder}`,
      },
    );
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    // Each step has its own limit, so a slow one says which it was (and what the daemon said) before the test's.
    const { ws, messages } = await within(openViewer(daemon.url), 20_000, 'the viewer gets its hello', daemon.output);
    for (const path of ['', 'sessions', 'api/health', 'api/sessions', 'vendor/uplot/uPlot.esm.js']) {
      const response = await within(fetch(`${daemon.url}${path}`), 20_000, `GET /${path}`, daemon.output);
      expect(response.status, path).toBe(200);
    }
    // The replay: 16 min at 100×, about 10 s.
    const code = await within(exited(daemon.child), 45_000, 'the daemon exits after its replay', daemon.output);
    expect(code).toBe(0);
    ws.close();
    expect(messages.filter((m) => m.type === 'beat').length).toBeGreaterThan(100);
    expect(outbound(daemonRecord)).toEqual([]);
  }, 120_000);
});
