/**
 * The daemon's log: pino. On stdout — readable lines (pino-pretty) on a terminal, JSON lines otherwise — or, with
 * `--log-file PATH`, JSON lines in that file, rotated by size (rotating-file-stream, as logrotate does: PATH is the
 * current file, PATH.1 the one before, … up to PATH.5).
 *
 * Never waited on: every line goes through an `Output` (output.ts) in live mode, so a reader that stalls makes lines
 * wait in memory up to a bound and then be dropped and counted — the count is logged once lines flow again — and a
 * reader that goes away closes that output while the daemon goes on. /api/health shows the state (`logs`).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type DestinationStream, type Logger, pino } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { createStream } from 'rotating-file-stream';
import { Output, stdout } from './output.js';

/** A log file is rotated once it reaches this size … */
export const LOG_FILE_ROTATE_SIZE = '10M';
/** … and this many rotated files are kept beside it (PATH.1 … PATH.5). */
export const LOG_FILE_KEEP = 5;

/** What the log says once lines flow again after some were dropped (with `dropped`: how many, `total`: since start). */
export const LINES_DROPPED_MESSAGE = 'log lines dropped while the log was not being read';

/** Where the logs go and whether they flow: `logs` in /api/health. */
export interface LogsState {
  readonly destination: 'stdout' | 'file';
  /** log lines dropped since the start because too much was waiting for the reader */
  readonly dropped: number;
  /** the destination was closed (stdout: the reader went away) or failed: nothing more is logged */
  readonly closed: boolean;
  /** bytes of log waiting for the reader now */
  readonly waitingBytes: number;
}

export interface DaemonLog {
  readonly log: Logger;
  state(): LogsState;
  /** Waits, at most `timeoutMs`, for the lines still waiting to be written. */
  flush(timeoutMs: number): Promise<void>;
}

export interface LogOptions {
  /** pino level (default: TABLESIDE_LOG_LEVEL, else info) */
  readonly level?: string;
  /** log to this file, rotated by size, instead of stdout */
  readonly file?: string;
  /** the size at which the file is rotated (default LOG_FILE_ROTATE_SIZE; rotating-file-stream's notation: 10M, 300K) */
  readonly fileRotateSize?: string;
}

export function createDaemonLog(options: LogOptions = {}): DaemonLog {
  const level = options.level ?? process.env.TABLESIDE_LOG_LEVEL ?? 'info';
  const output =
    options.file === undefined ? stdout() : logFile(options.file, options.fileRotateSize ?? LOG_FILE_ROTATE_SIZE);
  output.goLive();
  const pretty =
    options.file === undefined && process.stdout.isTTY === true
      ? prettyFactory({ colorize: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss' })
      : null;
  const destination: DestinationStream = {
    write: pretty === null ? (line) => output.write(line) : (line) => output.write(pretty(line)),
  };
  const log = pino({ level }, destination);
  output.whenFlowingAfterDrops((dropped) => log.warn({ dropped, total: output.state.dropped }, LINES_DROPPED_MESSAGE));
  return {
    log,
    state: () => {
      const { dropped, closed, waitingBytes } = output.state;
      return { destination: options.file === undefined ? 'stdout' : 'file', dropped, closed, waitingBytes };
    },
    flush: (timeoutMs) => output.flush(timeoutMs),
  };
}

/** The log file, checked now (a path that cannot be written stops the start, naming it), written asynchronously. */
function logFile(path: string, rotateSize: string): Output {
  const absolute = resolve(path);
  try {
    mkdirSync(dirname(absolute), { recursive: true });
    closeSync(openSync(absolute, 'a'));
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(
      `--log-file ${path} cannot be written (${e.code ?? e.message}): pass a file in a folder you can write to`,
    );
  }
  const stream = createStream(absolute, { size: rotateSize, rotate: LOG_FILE_KEEP });
  return new Output(`log file ${path}`, stream);
}
