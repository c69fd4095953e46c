/**
 * The daemon as a user runs it: the real CLI in its own process, a real SQLite file, a real WebSocket.
 * (`npm test` builds dist/ first; these tests run bin/tableside.js.)
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { RollingEngine } from '../../src/hrv/rolling.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { exited, openViewer, runCli, startDaemon, tempDir } from '../helpers/daemon-process.js';
import { knownBeats } from '../helpers/viewer-knowledge.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

describe('tableside replay (real process, real socket, real database)', () => {
  it('streams the same metrics as `analyze --rolling` and stores every beat', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const db = `${dir.path}/t.db`;
    const file = 'recordings/bartels_rest_rri.txt';
    // Slow enough that the viewer is connected before the first beat: 50× real time ≈ 20 s for 16 min.
    const daemon = await startDaemon(['replay', file, '--speed', '50', '--exit', '--db', db]);
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const { ws, messages } = await openViewer(daemon.url);
    expect(messages[0]).toMatchObject({ type: 'hello', protocol: 2, source: { kind: 'replay', demo: true } });
    expect(await exited(daemon.child)).toBe(0);
    ws.close();

    const { rrMs } = await readRrFile(file);
    expect(knownBeats(messages).rrMs).toEqual(Array.from(rrMs));

    // The metrics the viewer saw equal the engine's output for the file (what `analyze --rolling` prints).
    const engine = new RollingEngine();
    const expected = new Map<number, number | null>();
    let t = 0;
    for (const rr of rrMs) {
      t += rr / 1000;
      for (const m of engine.push(rr, t, false)) expected.set(m.seq, m.rmssdMs);
    }
    for (const m of engine.flush()) expected.set(m.seq, m.rmssdMs);
    const seen = messages.filter((m) => m.type === 'metrics');
    expect(seen.length).toBeGreaterThan(rrMs.length * 0.9);
    for (const m of seen) {
      const want = expected.get(m.seq as number);
      if (want === null) expect(m.rmssdMs).toBeNull();
      else expect(m.rmssdMs as number).toBeCloseTo(want as number, 9);
    }

    // The stored session: every beat, ended cleanly, and `tableside export` gives back the file's RR.
    const sessions = JSON.parse(await runCli(['sessions', '--json', '--db', db]));
    expect(sessions[0]).toMatchObject({ status: 'ended', beatCount: rrMs.length });
    const rrText = await runCli(['export', String(sessions[0].id), '--format', 'rr', '--db', db]);
    expect(rrText.trim().split('\n').map(Number)).toEqual(Array.from(rrMs));
  }, 60_000);

  // kill -9 at random moments, 20 times over, and what is stored after each restart: kill9.e2e.test.ts.
  // stdout closed, never read or stalled: output-pipe.e2e.test.ts.

  it('--log-file: the log goes to the file (stdout keeps the start message), /api/health says so', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const logFile = `${dir.path}/logs/tableside.log`;
    const daemon = await startDaemon(
      [
        'replay',
        'recordings/pyhrv_nni_short_5min.txt',
        '--speed',
        '10',
        '--db',
        `${dir.path}/t.db`,
        '--log-file',
        logFile,
      ],
      { TABLESIDE_LOG_LEVEL: 'info' },
    );
    cleanups.push(() => daemon.child.kill('SIGKILL'));
    const health = (await (await fetch(`${daemon.url}api/health`)).json()) as { logs: unknown };
    expect(health.logs).toMatchObject({ destination: 'file', dropped: 0, closed: false });
    daemon.child.kill('SIGTERM');
    expect(await exited(daemon.child)).toBe(0);

    // stdout: the start message, and not one log line.
    expect(daemon.output()).toContain('open http://127.0.0.1:');
    expect(daemon.output()).not.toMatch(/"level":/);
    // The file: JSON lines from the start to the stop, the health request among them.
    const lines = readFileSync(logFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; req?: { url: string } });
    expect(lines[0]?.msg).toBe('store migrated');
    expect(lines.map((l) => l.msg)).toContain('tableside is running');
    expect(lines.some((l) => l.req?.url === '/api/health')).toBe(true);
    expect(lines.map((l) => l.msg)).toContain('shutting down');
  });

  it('refuses a malformed file before starting, naming file and line', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const bad = `${dir.path}/bad.txt`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(bad, '812\n790\n8l5\n');
    await expect(runCli(['replay', bad, '--db', `${dir.path}/t.db`, '--port', '0'])).rejects.toThrow(
      /bad\.txt:3: "8l5" is not a number/,
    );
  });

  it('refuses a database path that cannot be written, and says so', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${dir.path}/file`, 'x');
    await expect(
      runCli(['simulate', '--duration', '1', '--db', `${dir.path}/file/t.db`, '--port', '0']),
    ).rejects.toThrow(/file\/t\.db/);
  });
});
