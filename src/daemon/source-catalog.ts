/**
 * The sources a viewer may choose for a stream (`PUT /api/streams/:id/source`): a Bluetooth strap — when the daemon
 * runs on Bluetooth (`tableside start`) — a simulated client, or a replay of one of the bundled recordings. Demo
 * sources are labelled DEMO on every screen.
 *
 * Only files of the recordings folder can be replayed, by name: a viewer never names a path on the daemon's disk.
 * Bluetooth is reached only through the functions `tableside start` hands in, so `replay` and `simulate` never load
 * the Bluetooth library.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FoundStrap } from '../ble/noble-source.js';
import type { HeartRateSource } from '../domain/source.js';
import { type BrowserStrapLog, BrowserStrapSource } from '../sources/browser-strap.js';
import type { Speed } from '../sources/pacing.js';
import { loadReplaySource } from '../sources/replay.js';
import { simulatedSource } from '../sources/simulated.js';
import { BROWSER_STRAP } from '../viewers/protocol.js';
import type { StreamSource } from './stream.js';

/** A strap that a page connects itself (Web Bluetooth) and feeds over its viewer socket, at the protocol's rate bound. */
export function browserStrapSource(log: BrowserStrapLog): BrowserStrapSource {
  return new BrowserStrapSource({
    rate: { perS: BROWSER_STRAP.notificationsPerS, burst: BROWSER_STRAP.notificationBurst },
    log,
  });
}

export type SourceChoice =
  /** a Bluetooth strap: the one with this id (`tableside scan` shows it), or the first one found */
  | { readonly kind: 'ble'; readonly deviceId?: string }
  /** a strap connected by a browser page (Web Bluetooth), fed over that page's socket */
  | { readonly kind: 'browser' }
  /** a simulated client, deterministic for a seed */
  | { readonly kind: 'simulated'; readonly seed?: number }
  /** a recording of the recordings folder, by file name, in real time */
  | { readonly kind: 'replay'; readonly recording: string };

/** The Bluetooth side, present only when the daemon runs on Bluetooth. */
export interface BluetoothChoices {
  /** a source for the strap with this id, or for the first strap found */
  source(streamId: string, deviceId: string | undefined): HeartRateSource;
  /** the straps advertising nearby */
  scan(seconds: number): Promise<FoundStrap[]>;
}

export interface SourceCatalogOptions {
  /** the folder of replayable recordings */
  readonly recordingsDir: string;
  readonly bluetooth?: BluetoothChoices;
  /** pace of chosen demo sources; 1 = real time (tests pass more) */
  readonly speed?: Speed;
  /** where a browser strap logs (default: nowhere) */
  readonly log?: BrowserStrapLog;
}

const SILENT: BrowserStrapLog = { info() {}, warn() {} };

/** A choice the daemon cannot make, in words for the person who made it. */
export class SourceChoiceError extends Error {
  override readonly name = 'SourceChoiceError';
  constructor(
    readonly code: 'SOURCE_NO_BLUETOOTH' | 'SOURCE_UNKNOWN_RECORDING' | 'SOURCE_UNREADABLE',
    message: string,
  ) {
    super(message);
  }
}

/** Files in the recordings folder that are not recordings. */
const NOT_RECORDINGS = new Set(['SOURCE.txt', 'REFERENCE.md']);

export class SourceCatalog {
  constructor(private readonly options: SourceCatalogOptions) {}

  get bluetooth(): boolean {
    return this.options.bluetooth !== undefined;
  }

  /** The file names a replay may be chosen from, sorted. */
  recordings(): string[] {
    let names: string[];
    try {
      names = readdirSync(this.options.recordingsDir);
    } catch {
      return [];
    }
    return names.filter((n) => !NOT_RECORDINGS.has(n) && !n.startsWith('.') && /\.(txt|csv|hrm)$/i.test(n)).sort();
  }

  /** The straps nearby (Bluetooth daemons only). */
  async straps(seconds: number): Promise<FoundStrap[]> {
    const { bluetooth } = this.options;
    if (!bluetooth) throw noBluetooth();
    return bluetooth.scan(seconds);
  }

  /** The source for a choice; a recording is read and checked before anything changes. */
  async create(streamId: string, choice: SourceChoice): Promise<StreamSource> {
    const speed = this.options.speed ?? 1;
    switch (choice.kind) {
      case 'ble': {
        const { bluetooth } = this.options;
        if (!bluetooth) throw noBluetooth();
        return { source: bluetooth.source(streamId, choice.deviceId), demo: false };
      }
      case 'browser':
        return { source: browserStrapSource(this.options.log ?? SILENT), demo: false };
      case 'simulated': {
        const seed = choice.seed ?? 1;
        return {
          source: simulatedSource({ seed, speed, durationS: Number.POSITIVE_INFINITY }),
          demo: true,
        };
      }
      case 'replay': {
        if (!this.recordings().includes(choice.recording)) {
          throw new SourceChoiceError(
            'SOURCE_UNKNOWN_RECORDING',
            `no recording ${JSON.stringify(choice.recording.slice(0, 80))}: choose one of ${this.recordings().join(', ')}`,
          );
        }
        try {
          return {
            source: await loadReplaySource(join(this.options.recordingsDir, choice.recording), speed),
            demo: true,
          };
        } catch (err) {
          throw new SourceChoiceError(
            'SOURCE_UNREADABLE',
            `recording ${choice.recording} cannot be replayed: ${(err as Error).message}`,
          );
        }
      }
    }
  }
}

function noBluetooth(): SourceChoiceError {
  return new SourceChoiceError(
    'SOURCE_NO_BLUETOOTH',
    'this tableside runs without Bluetooth (replay or simulate): start it with `tableside start` to use a strap',
  );
}
