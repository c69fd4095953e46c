/**
 * One adapter, several straps: the client's and the therapist's straps (and a scan asked for from the view) share one
 * noble instance, so they share its scan and must not take each other's strap.
 *
 * - Scanning runs while anyone wants it, and stops only when the last one is done: one source finding its strap does
 *   not stop the other's scan.
 * - A link is set up (connect, discover, subscribe) with the scan stopped — many adapters refuse to connect while
 *   scanning (ble.md §3.5) — and the scan resumes afterwards for whoever still looks. Resuming calls `startScanning`
 *   again, which also resets noble's duplicate filter, so every strap still advertising is reported afresh.
 * - A strap found by one source is claimed until that source's attempt ends; another source looking for "any strap"
 *   passes over it.
 */
import type { NobleLike } from './noble-types.js';

/** The service the scan filters on: Heart Rate. */
const HEART_RATE_SERVICE = '180d';

const radios = new WeakMap<NobleLike, Radio>();

export class Radio {
  private readonly scanners = new Set<object>();
  private readonly claims = new Map<string, object>();
  private settingUpCount = 0;

  private constructor(private readonly noble: NobleLike) {}

  /** The radio of a noble instance (one per adapter connection). */
  static of(noble: NobleLike): Radio {
    let radio = radios.get(noble);
    if (!radio) {
      radio = new Radio(noble);
      radios.set(noble, radio);
    }
    return radio;
  }

  /** `owner` looks for straps: scanning starts (again), unless a link is being set up — then it resumes after. */
  wantScan(owner: object): void {
    this.scanners.add(owner);
    if (this.settingUpCount === 0) this.noble.startScanning([HEART_RATE_SERVICE], false);
  }

  /** `owner` has stopped looking; the scan stops when nobody looks any more. */
  dropScan(owner: object): void {
    if (!this.scanners.delete(owner)) return;
    if (this.scanners.size === 0) this.noble.stopScanning();
  }

  /** Another source has this strap (by peripheral id). */
  takenByOther(peripheralId: string, owner: object): boolean {
    const holder = this.claims.get(peripheralId);
    return holder !== undefined && holder !== owner;
  }

  claim(peripheralId: string, owner: object): void {
    this.claims.set(peripheralId, owner);
  }

  /** Gives back every strap `owner` holds. */
  release(owner: object): void {
    for (const [id, holder] of this.claims) if (holder === owner) this.claims.delete(id);
  }

  /** Runs `setUp` with the scan stopped; the scan resumes afterwards for whoever still looks. */
  async settingUp<T>(setUp: () => Promise<T>): Promise<T> {
    this.settingUpCount++;
    this.noble.stopScanning();
    try {
      return await setUp();
    } finally {
      this.settingUpCount--;
      if (this.settingUpCount === 0 && this.scanners.size > 0) {
        this.noble.startScanning([HEART_RATE_SERVICE], false);
      }
    }
  }
}
