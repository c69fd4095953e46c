/**
 * Running the real noble stack against the virtual H10. Import this before anything loads noble (it installs the
 * socket seam at import time); every test gets its own controller and its own noble instance.
 */
import type { Subscription } from 'rxjs';
import {
  type BleLog,
  type BleTiming,
  loadFreshNoble,
  type NobleSourceOptions,
  nobleSource,
} from '../../src/ble/noble-source.js';
import type { NobleLike } from '../../src/ble/noble-types.js';
import { decodeHeartRateMeasurement, isHrmError } from '../../src/domain/hrm.js';
import type { SourceEvent, SourceState, StatusEvent } from '../../src/domain/source.js';
import {
  substituteHciSocket,
  useVirtualController,
  VirtualController,
  type VirtualControllerOptions,
} from '../../src/testing/virtual-h10/index.js';

substituteHciSocket();
// Every noble instance adds exit and SIGINT listeners for the life of the process (ble.md §3.4).
process.setMaxListeners(100);

/** Short timeouts so that every failure path runs in well under a second. */
export const FAST_TIMING: BleTiming = {
  staleAfterMs: 400,
  reconnectBackoffMinMs: 20,
  reconnectBackoffMaxMs: 200,
  connectTimeoutMs: 300,
  gattStepTimeoutMs: 500,
  subscribeTimeoutMs: 250,
  scanWatchdogMs: 300,
  adapterWaitMs: 500,
  linkSettleMs: 200,
};

export interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly obj: object;
  readonly msg: string;
}

export function captureLog(): BleLog & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at = (level: LogLine['level']) => (obj: object, msg: string) => {
    lines.push({ level, obj, msg });
    if (process.env.TABLESIDE_TEST_LOG) console.log(level, msg, obj);
  };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

export class SourceRun {
  readonly events: SourceEvent[] = [];
  private readonly waiters = new Set<() => void>();
  readonly subscription: Subscription;

  constructor(
    readonly controller: VirtualController,
    readonly log: ReturnType<typeof captureLog>,
    readonly noble: () => NobleLike | null,
    options: Omit<NobleSourceOptions, 'log'>,
  ) {
    const source = nobleSource({ ...options, log });
    this.subscription = source.events$.subscribe((e) => {
      this.events.push(e);
      for (const w of [...this.waiters]) w();
    });
  }

  get statuses(): StatusEvent['status'][] {
    return this.events.filter((e): e is StatusEvent => e.type === 'status').map((e) => e.status);
  }

  get states(): SourceState[] {
    return this.statuses.map((s) => s.state);
  }

  /** RR values (ticks) of every notification received, in order */
  get rrTicks(): number[] {
    return this.events.flatMap((e) => {
      if (e.type !== 'notification') return [];
      const m = decodeHeartRateMeasurement(e.payload);
      if (isHrmError(m)) throw new Error(m.message);
      return [...m.rrTicks];
    });
  }

  get notificationCount(): number {
    return this.events.filter((e) => e.type === 'notification').length;
  }

  /** Resolves once `predicate` holds (checked now and after every event), or fails after `timeoutMs`. */
  until(predicate: (run: this) => boolean, what: string, timeoutMs = 3000): Promise<void> {
    if (predicate(this)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate(this)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`timed out waiting for ${what}; states: ${this.states.join(' → ')}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        this.waiters.delete(check);
      };
      this.waiters.add(check);
    });
  }

  /** Waits for the `n`-th status (1-based, counting from the start) with this state. */
  untilState(state: SourceState, n = 1, timeoutMs = 3000): Promise<void> {
    return this.until((r) => r.states.filter((s) => s === state).length >= n, `${state} #${n}`, timeoutMs);
  }

  /** Ticks the strap clock one notification at a time until `count` RR values have arrived. */
  async tickUntilRr(count: number, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.rrTicks.length < count) {
      if (Date.now() > deadline) throw new Error(`only ${this.rrTicks.length} of ${count} RR values arrived`);
      const before = this.notificationCount;
      this.controller.tick();
      await this.until((r) => r.notificationCount > before, 'a notification', 1000);
    }
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

/** A new controller (made the active adapter) and a source on a fresh noble bound to it. */
export function startSource(
  controllerOptions: Partial<VirtualControllerOptions> = {},
  sourceOptions: Omit<NobleSourceOptions, 'log'> = {},
): SourceRun {
  const controller = new VirtualController({ speed: 'manual', ...controllerOptions });
  useVirtualController(controller);
  let noble: NobleLike | null = null;
  return new SourceRun(controller, captureLog(), () => noble, {
    timing: FAST_TIMING,
    loadNoble: async () => {
      noble = await loadFreshNoble();
      return noble;
    },
    ...sourceOptions,
  });
}

export const tick = () => new Promise((resolve) => setImmediate(resolve));
export const sleepMs = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
