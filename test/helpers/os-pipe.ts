/**
 * A real pipe of the operating system, as a shell makes for `tableside … | head` (child_process's own 'pipe' is a
 * socket pair, which buffers differently): a named pipe in a temporary folder, its write end handed to a child as
 * stdout/stderr, its read end kept here to read, stall or close.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';

export interface OsPipe {
  /** the write end: give it to `spawn` in `stdio`, then call `parentDone` */
  readonly writeFd: number;
  /** closes this process's copy of the write end (the child keeps its own) */
  parentDone(): void;
  /** starts reading: every byte read is added to `text()`; pause and resume with `reader.pause()` / `resume()` */
  read(): Socket;
  /** what has been read so far */
  text(): string;
  /** closes the read end: the writer gets EPIPE from then on */
  close(): void;
}

export function osPipe(dir: string, name = 'out.fifo'): OsPipe {
  const path = join(dir, name);
  execFileSync('mkfifo', [path]);
  // The read end first, without blocking (no writer yet); then the write end opens at once.
  const readFd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  const writeFd = openSync(path, constants.O_WRONLY);
  let reader: Socket | null = null;
  let received = '';
  let closed = false;
  let writeClosed = false;
  return {
    writeFd,
    parentDone() {
      if (writeClosed) return;
      writeClosed = true;
      closeSync(writeFd);
    },
    read() {
      if (reader === null) {
        reader = new Socket({ fd: readFd, readable: true, writable: false });
        reader.setEncoding('utf8');
        reader.on('data', (d: string) => {
          received += d;
        });
        // The writer going away ends the stream; nothing else is expected here.
        reader.on('error', () => {});
      }
      return reader;
    },
    text: () => received,
    close() {
      if (closed) return;
      closed = true;
      if (reader === null) closeSync(readFd);
      else reader.destroy();
    },
  };
}
