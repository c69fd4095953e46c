/**
 * Waiting on event-driven libraries without ever hanging: every wait ends — with its event, with a timeout, or
 * when its AbortSignal aborts (the abort reason is what the wait rejects with) — and always removes what it
 * registered. noble has no timeouts of its own (ble.md §3.6–3.7), so every step of the Bluetooth source goes through
 * here.
 */

export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
  constructor(
    /** what was being waited for, in words: "connecting", "reading the battery level" */
    readonly step: string,
    readonly timeoutMs: number,
  ) {
    super(`${step} timed out after ${formatSeconds(timeoutMs)}`);
  }
}

export function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Number((ms / 1000).toFixed(1))} s` : `${Math.round(ms)} ms`;
}

/**
 * Runs `start(resolve, reject)`, which registers listeners and returns the function that removes them. The promise
 * settles on the first of: `resolve`/`reject`, `timeoutMs` (TimeoutError; undefined = no timeout), or `signal`
 * aborting (rejects with `signal.reason`). The cleanup runs exactly once, before the promise settles.
 */
export function waitFor<T>(
  signal: AbortSignal,
  step: string,
  timeoutMs: number | undefined,
  start: (resolve: (value: T) => void, reject: (error: unknown) => void) => (() => void) | undefined,
): Promise<T> {
  return new Promise<T>((resolvePromise, rejectPromise) => {
    if (signal.aborted) {
      rejectPromise(signal.reason);
      return;
    }
    let done = false;
    let cleanup: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      try {
        cleanup?.();
      } finally {
        settle();
      }
    };
    const onAbort = () => finish(() => rejectPromise(signal.reason));
    signal.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => finish(() => rejectPromise(new TimeoutError(step, timeoutMs))), timeoutMs);
    }
    try {
      const c = start(
        (value) => finish(() => resolvePromise(value)),
        (error) => finish(() => rejectPromise(error)),
      );
      if (done) c?.();
      else cleanup = c;
    } catch (error) {
      finish(() => rejectPromise(error));
    }
  });
}

/** Waits `ms`, or rejects with the abort reason. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return waitFor<void>(signal, 'sleep', undefined, (resolve) => {
    const t = setTimeout(resolve, ms);
    return () => clearTimeout(t);
  });
}

/** Reconnect delay after `failures` attempts in a row that never got live: min, 2×min, 4×min, … up to max. */
export function backoffMs(failures: number, minMs: number, maxMs: number): number {
  if (failures <= 0) return minMs;
  return Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 30));
}
