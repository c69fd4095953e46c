/** host/logger.ts with --log-file: real files in a temporary folder, rotated by size. */
import { chmodSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createDaemonLog, LOG_FILE_KEEP } from '../../src/host/logger.js';
import { tempDir } from '../helpers/daemon-process.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

function folder(): string {
  const dir = tempDir('tableside-log-');
  cleanups.push(dir.remove);
  return dir.path;
}

describe('--log-file', () => {
  it('writes JSON lines to the file and rotates it by size, keeping the newest files, every line whole', async () => {
    const dir = folder();
    const path = join(dir, 'logs', 'tableside.log');
    const { log, state, flush } = createDaemonLog({ file: path, fileRotateSize: '20K', level: 'info' });
    // ~300 KB of log in 1 000 lines: 15 files' worth at 20 KB; the file and LOG_FILE_KEEP rotated ones stay.
    for (let i = 0; i < 1000; i++) log.info({ i, padding: 'p'.repeat(250) }, 'line');
    await flush(30_000);
    // A rotation may still be under way after the last write: wait until the folder stays the same.
    const snapshot = () =>
      readdirSync(join(dir, 'logs'))
        .sort()
        .map((file) => `${file}:${statSync(join(dir, 'logs', file)).size}`)
        .join(' ');
    for (let before = ''; before !== snapshot(); ) {
      before = snapshot();
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(state()).toMatchObject({ destination: 'file', closed: false, dropped: 0, waitingBytes: 0 });

    const files = readdirSync(join(dir, 'logs')).sort();
    expect(files).toEqual([
      'tableside.log',
      ...Array.from({ length: LOG_FILE_KEEP }, (_, k) => `tableside.log.${k + 1}`),
    ]);
    const numbers = (file: string) =>
      readFileSync(join(dir, 'logs', file), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => (JSON.parse(line) as { i: number; msg: string }).i);
    // Oldest to newest: PATH.5 … PATH.1, then PATH; consecutive line numbers across them, ending with the last line.
    const ordered = [...files.slice(1).reverse(), files[0] as string].flatMap(numbers);
    expect(ordered.at(-1)).toBe(999);
    expect(ordered).toEqual(Array.from({ length: ordered.length }, (_, k) => (ordered[0] as number) + k));
    // Each rotated file stopped at the size (the write that crossed it ends the file).
    for (const file of files.slice(1)) {
      expect(statSync(join(dir, 'logs', file)).size).toBeGreaterThanOrEqual(20 * 1024);
      expect(statSync(join(dir, 'logs', file)).size).toBeLessThan(20 * 1024 + 400);
    }
  });

  it('a path that cannot be written stops the start with a message naming the option and the path', () => {
    const dir = folder();
    const blocker = join(dir, 'a-file');
    writeFileSync(blocker, 'x');
    // A file where its folder should be: the error the system gives (EEXIST or ENOTDIR) is named.
    expect(() => createDaemonLog({ file: join(blocker, 'tableside.log') })).toThrow(
      new RegExp(`^--log-file ${blocker}/tableside.log cannot be written \\((EEXIST|ENOTDIR)\\): pass a file`),
    );
    if (process.getuid?.() !== 0) {
      const locked = join(dir, 'locked');
      chmodSync(dir, 0o500);
      cleanups.unshift(() => chmodSync(dir, 0o700));
      expect(() => createDaemonLog({ file: join(locked, 'x.log') })).toThrow(/cannot be written \(EACCES\)/);
    }
    expect(existsSync(join(blocker, 'tableside.log'))).toBe(false);
  });
});
