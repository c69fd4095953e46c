/**
 * One-shot commands whose reader goes away — `tableside analyze … --rolling | head`, `tableside export 1 | head -1`,
 * a pipe already closed — end quietly: exit code 141 (what a shell shows for a tool ended by SIGPIPE), nothing on
 * stderr, no stack trace. stdout is a real pipe of the operating system (test/helpers/os-pipe.ts), as a shell makes it.
 * (`npm test` builds dist/ first; these tests run bin/tableside.js.)
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLOSED_PIPE_EXIT_CODE } from '../../src/host/output.js';
import { CLI, runCli, tempDir } from '../helpers/daemon-process.js';
import { osPipe } from '../helpers/os-pipe.js';

const dir = tempDir('tableside-closed-pipe-');
const db = `${dir.path}/t.db`;
afterAll(() => dir.remove());

beforeAll(async () => {
  // One stored session to export and list.
  await runCli(['replay', 'recordings/bartels_rest_rri.txt', '--speed', 'max', '--exit', '--db', db, '--port', '0']);
}, 60_000);

/**
 * Runs `tableside <args>` with stdout on a pipe that is closed before it starts (`'closed'`) or once its first line
 * has been read (`'first line'`, as `| head -1`). Resolves with the exit code, stderr and what was read.
 */
function run(args: string[], reader: 'closed' | 'first line') {
  const pipe = osPipe(dir.path, `${Math.random().toString(36).slice(2)}.fifo`);
  if (reader === 'closed') pipe.close();
  else {
    pipe.read().on('data', () => {
      if (pipe.text().includes('\n')) pipe.close();
    });
  }
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', pipe.writeFd, 'pipe'] });
  pipe.parentDone();
  let stderr = '';
  child.stderr?.on('data', (d) => {
    stderr += d;
  });
  return new Promise<{ code: number | null; stderr: string; firstLine: string }>((resolve) => {
    child.once('close', (code) => {
      pipe.close();
      resolve({ code, stderr, firstLine: pipe.text().split('\n')[0] ?? '' });
    });
  });
}

describe('a one-shot command whose stdout is closed under it ends quietly', () => {
  it('analyze --rolling | head -1: the header, then exit 141, nothing on stderr', async () => {
    // 80 441 beats: far more output than a pipe holds, so the reader is gone long before the end.
    const result = await run(['analyze', 'recordings/physionet_rr_healthy_000.txt', '--rolling'], 'first line');
    expect(result.firstLine).toMatch(/^seq,t_s,rr_ms,kind,/);
    expect(result).toMatchObject({ code: CLOSED_PIPE_EXIT_CODE, stderr: '' });
  });

  it('analyze --rolling --format ndjson into a pipe already closed', async () => {
    const result = await run(
      ['analyze', 'recordings/bartels_rest_rri.txt', '--rolling', '--format', 'ndjson'],
      'closed',
    );
    expect(result).toMatchObject({ code: CLOSED_PIPE_EXIT_CODE, stderr: '' });
  });

  it('analyze (the summary) into a pipe already closed', async () => {
    const result = await run(['analyze', 'recordings/bartels_rest_rri.txt'], 'closed');
    expect(result).toMatchObject({ code: CLOSED_PIPE_EXIT_CODE, stderr: '' });
  });

  it('export | head -1, and export into a pipe already closed', async () => {
    const headed = await run(['export', '1', '--format', 'csv', '--db', db], 'first line');
    expect(headed.stderr).toBe('');
    // The export is one write: it may have fitted in the pipe before the reader went (then it ended normally).
    expect([0, CLOSED_PIPE_EXIT_CODE]).toContain(headed.code);
    expect(headed.firstLine).toMatch(/^# tableside beats v/);
    const closed = await run(['export', '1', '--format', 'json', '--db', db], 'closed');
    expect(closed).toMatchObject({ code: CLOSED_PIPE_EXIT_CODE, stderr: '' });
  });

  it('sessions and sessions --json into a pipe already closed', async () => {
    expect(await run(['sessions', '--db', db], 'closed')).toMatchObject({ code: CLOSED_PIPE_EXIT_CODE, stderr: '' });
    expect(await run(['sessions', '--json', '--db', db], 'closed')).toMatchObject({
      code: CLOSED_PIPE_EXIT_CODE,
      stderr: '',
    });
  });

  it('--help into a pipe already closed: no stack trace', async () => {
    const result = await run(['--help'], 'closed');
    expect(result.stderr).toBe('');
    expect([0, CLOSED_PIPE_EXIT_CODE]).toContain(result.code);
  });

  it('an error is still an error: a missing file into a closed pipe exits 2 with the message on stderr', async () => {
    const result = await run(['analyze', `${dir.path}/missing.txt`], 'closed');
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^tableside: .*missing\.txt/);
  });
});
