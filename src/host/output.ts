/**
 * stdout and stderr, for every command: the one place that decides what happens when whoever reads them is slow,
 * stops reading, or goes away.
 *
 * - A closed output (EPIPE: the `head` at the end of a pipe has exited, a `tee` was closed, a log collector went away;
 *   or any other write error) is noted, and nothing more is written there: nothing throws, no stack trace. A one-shot
 *   command (`analyze`, `export`, `sessions`, …) then stops writing and ends quietly with exit code 141, the code a
 *   shell shows for a Unix tool ended by SIGPIPE. The daemon goes on running, recording and serving.
 * - The daemon (`liveOutput()`) never waits on its output. What cannot be written at once waits in memory, up to
 *   `LIVE_WAITING_MAX_BYTES`; past that, writes are dropped and counted, and the count is told once the output flows
 *   again. Node writes to a pipe asynchronously (libuv waits for the pipe to take more), but to a terminal
 *   synchronously: a terminal paused with Ctrl-S would freeze the daemon, so the daemon's terminal output is switched
 *   to asynchronous writes too (and flushed, within a bound, when it stops).
 */
import type { Writable } from 'node:stream';

/** What the daemon lets wait for a reader before it drops: about 3 000 log lines. */
export const LIVE_WAITING_MAX_BYTES = 1024 * 1024;

/** The exit code of a one-shot command whose stdout was closed under it (128 + SIGPIPE, as a shell shows it). */
export const CLOSED_PIPE_EXIT_CODE = 141;

export interface OutputState {
  /** bytes handed over but not yet taken by the reader */
  readonly waitingBytes: number;
  /** writes dropped because `maxWaitingBytes` were already waiting (live output only) */
  readonly dropped: number;
  /** the reader went away, or writing failed: nothing more is written */
  readonly closed: boolean;
  /** why it closed: the error code (EPIPE, …), or null while open */
  readonly closedBy: string | null;
}

/** One destination (stdout, stderr, a log file): writes that never throw, and in live mode never wait. */
export class Output {
  private live = false;
  private closedBy: string | null = null;
  private dropped = 0;
  private droppedUntold = 0;
  private readonly onFlow = new Set<(dropped: number) => void>();
  private readonly onClose = new Set<(reason: string) => void>();

  constructor(
    readonly name: string,
    private readonly stream: Writable,
    private readonly maxWaitingBytes = LIVE_WAITING_MAX_BYTES,
  ) {
    stream.on('error', (err: NodeJS.ErrnoException) => this.fail(err));
    stream.on('close', () => {
      if (!stream.writableFinished) this.fail({ code: 'CLOSED' });
    });
    stream.on('drain', () => {
      if (this.droppedUntold === 0) return;
      const n = this.droppedUntold;
      this.droppedUntold = 0;
      for (const listener of this.onFlow) listener(n);
    });
  }

  /** From now on, never wait: drop and count what would wait beyond `maxWaitingBytes`. */
  goLive(): void {
    this.live = true;
  }

  get state(): OutputState {
    return {
      waitingBytes: this.closedBy === null ? this.stream.writableLength : 0,
      dropped: this.dropped,
      closed: this.closedBy !== null,
      closedBy: this.closedBy,
    };
  }

  get closed(): boolean {
    return this.closedBy !== null;
  }

  /** Text as UTF-8, or bytes (copied: the caller may reuse its buffer at once). */
  write(data: string | Uint8Array): void {
    if (this.closedBy !== null || data.length === 0) return;
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data);
    if (this.live && this.stream.writableLength + chunk.length > this.maxWaitingBytes) {
      this.dropped++;
      this.droppedUntold++;
      return;
    }
    try {
      this.stream.write(chunk);
    } catch (err) {
      // A file written synchronously (stdout redirected to a file) throws ENOSPC, EIO, … from write itself.
      this.fail(err as NodeJS.ErrnoException);
    }
  }

  /** Resolves once the reader has caught up enough to take more (at once if it has, or if the output closed). */
  ready(): Promise<void> {
    if (this.closedBy !== null || !this.stream.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.onClose.delete(done);
        resolve();
      };
      this.stream.on('drain', done);
      this.onClose.add(done);
    });
  }

  /** Resolves once everything written has been taken, the output closed, or `timeoutMs` passed. */
  flush(timeoutMs: number): Promise<void> {
    const started = Date.now();
    return new Promise((resolve) => {
      const check = () => {
        if (this.closedBy !== null || this.stream.writableLength === 0 || Date.now() - started >= timeoutMs) {
          resolve();
          return;
        }
        setTimeout(check, 10).unref();
      };
      check();
    });
  }

  /** `listener(n)`: output flows again after `n` writes were dropped. */
  whenFlowingAfterDrops(listener: (dropped: number) => void): void {
    this.onFlow.add(listener);
  }

  /** `listener(reason)`: the output closed (once). */
  whenClosed(listener: (reason: string) => void): void {
    if (this.closedBy !== null) listener(this.closedBy);
    else this.onClose.add(listener);
  }

  private fail(err: { code?: string; message?: string }): void {
    if (this.closedBy !== null) return;
    this.closedBy = err.code ?? err.message ?? 'error';
    for (const listener of [...this.onClose]) listener(this.closedBy);
    this.onClose.clear();
  }
}

let outputs: { stdout: Output; stderr: Output } | undefined;
let live = false;

function standard(): { stdout: Output; stderr: Output } {
  if (outputs === undefined) {
    const out = new Output('stdout', process.stdout);
    const err = new Output('stderr', process.stderr);
    out.whenClosed(() => {
      // A one-shot command whose reader went away ends quietly, unless it has already failed for another reason.
      if (!live && !process.exitCode) process.exitCode = CLOSED_PIPE_EXIT_CODE;
    });
    outputs = { stdout: out, stderr: err };
  }
  return outputs;
}

/** The process's stdout: write through this, never `process.stdout` directly. */
export function stdout(): Output {
  return standard().stdout;
}

/** The process's stderr. */
export function stderr(): Output {
  return standard().stderr;
}

/**
 * Call before anything is written; every command's entry point does. A stray write straight to `process.stdout` (a
 * library's) meets a closed pipe quietly too.
 */
export function guardStandardOutput(): void {
  standard();
}

/**
 * The daemon: stdout and stderr never wait and a closed one does not end the process. On a terminal, Node makes
 * writes synchronous (`tty.WriteStream` calls `setBlocking(true)` on its handle); this turns that back, so a paused
 * terminal only makes output wait in memory. Only a terminal whose device libuv could open again for itself is
 * switched (libuv then owns that descriptor alone, so the terminal the shell uses stays as it was).
 */
export function liveOutput(): void {
  live = true;
  for (const [output, stream] of [
    [stdout(), process.stdout],
    [stderr(), process.stderr],
  ] as const) {
    output.goLive();
    if (stream.isTTY) nonBlockingTerminal(stream);
  }
}

function nonBlockingTerminal(stream: NodeJS.WriteStream & { fd?: number }): void {
  const handle = (stream as unknown as { _handle?: { fd?: number; setBlocking?: (blocking: boolean) => number } })
    ._handle;
  // The descriptor libuv writes to is its own only when it differs from ours (1 or 2): it opened the device again.
  if (handle?.setBlocking === undefined || handle.fd === undefined || handle.fd < 0 || handle.fd === stream.fd) return;
  handle.setBlocking(false);
}
