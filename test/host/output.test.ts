/**
 * host/output.ts on a real pipe of the operating system: this process writes to its write end through a libuv stream,
 * exactly as `process.stdout` does when stdout is a pipe, and reads (or does not read, or closes) its read end.
 */
import { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { LIVE_WAITING_MAX_BYTES, Output } from '../../src/host/output.js';
import { tempDir } from '../helpers/daemon-process.js';
import { type OsPipe, osPipe } from '../helpers/os-pipe.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A pipe and an Output on its write end, as the daemon's stdout is. */
function pipeOutput(live: boolean): { pipe: OsPipe; output: Output; writer: Socket } {
  const dir = tempDir('tableside-output-');
  const pipe = osPipe(dir.path);
  const writer = new Socket({ fd: pipe.writeFd, readable: false, writable: true });
  const output = new Output('test pipe', writer);
  if (live) output.goLive();
  cleanups.push(() => {
    writer.destroy();
    pipe.close();
    dir.remove();
  });
  return { pipe, output, writer };
}

/** Numbered lines of about `bytes` bytes each, so that what arrives can be checked line for line. */
function lines(count: number, bytes: number): string[] {
  return Array.from({ length: count }, (_, i) => `${String(i).padStart(6, '0')} ${'x'.repeat(bytes - 8)}\n`);
}

describe('live output (the daemon)', () => {
  it('never waits: a reader that does not read gets the bound and no more, the rest is dropped and counted', () => {
    const { output } = pipeOutput(true);
    const written = lines(3000, 1000);
    // 3 MB into a pipe nobody reads: a write that waited would never return.
    for (const line of written) output.write(line);
    const { waitingBytes, dropped, closed } = output.state;
    expect(closed).toBe(false);
    expect(waitingBytes).toBeLessThanOrEqual(LIVE_WAITING_MAX_BYTES);
    // Full to within one line of the bound.
    expect(waitingBytes).toBeGreaterThan(LIVE_WAITING_MAX_BYTES - 1000);
    // Dropped: all but what waits and what the kernel's pipe took (64 KB on Linux; allowed up to 1 MB here).
    expect(dropped).toBeLessThan(3000 - Math.floor(LIVE_WAITING_MAX_BYTES / 1000));
    expect(dropped).toBeGreaterThan(3000 - Math.ceil(LIVE_WAITING_MAX_BYTES / 1000) - 1024);
  });

  it('once read again: everything that waited arrives whole and in order, then the drop count is told once', async () => {
    const { pipe, output } = pipeOutput(true);
    const told: number[] = [];
    output.whenFlowingAfterDrops((n) => told.push(n));
    const written = lines(3000, 1000);
    for (const line of written) output.write(line);
    const { dropped } = output.state;
    expect(dropped).toBeGreaterThan(0);

    pipe.read();
    const kept = written.slice(0, written.length - dropped).join('');
    await waitUntil(() => pipe.text().length >= kept.length && told.length > 0);
    // The lines written before the pipe and the bound were full, exactly; the dropped ones are the last ones.
    expect(pipe.text()).toBe(kept);
    expect(told).toEqual([dropped]);
    expect(output.state).toMatchObject({ waitingBytes: 0, dropped, closed: false });

    // Flowing again: new lines go through, and nothing more is told.
    output.write('after\n');
    await waitUntil(() => pipe.text().endsWith('after\n'));
    expect(told).toEqual([dropped]);
  });

  it('a reader that goes away: writing never throws, the output says closed by EPIPE, waits end at once', async () => {
    const { pipe, output } = pipeOutput(true);
    const reasons: string[] = [];
    output.whenClosed((reason) => reasons.push(reason));
    pipe.close();
    output.write('one\n');
    await waitUntil(() => output.closed);
    for (const line of lines(100, 1000)) output.write(line);
    expect(output.state).toMatchObject({ closed: true, closedBy: 'EPIPE', waitingBytes: 0, dropped: 0 });
    expect(reasons).toEqual(['EPIPE']);
    await output.ready();
    await output.flush(60_000);
  });
});

describe('one-shot output (analyze, export, sessions)', () => {
  it('drops nothing: `ready()` waits until the reader has taken enough, and every line arrives', async () => {
    const { pipe, output } = pipeOutput(false);
    const written = lines(400, 1000);
    for (const line of written) output.write(line);
    expect(output.state.dropped).toBe(0);
    let ready = false;
    const waited = output.ready().then(() => {
      ready = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Nobody reads yet: still waiting.
    expect(ready).toBe(false);
    pipe.read();
    await waited;
    await waitUntil(() => pipe.text().length === written.join('').length);
    expect(pipe.text()).toBe(written.join(''));
  });
});

function waitUntil(predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const check = () => {
      if (predicate()) resolve();
      else if (Date.now() - started > timeoutMs) reject(new Error('timed out'));
      else setTimeout(check, 10);
    };
    check();
  });
}
