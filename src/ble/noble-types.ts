/**
 * The narrow slice of `@abandonware/noble` 1.9.2-26 that tableside uses, typed here so nothing but
 * `noble-source.ts` depends on the library (and that only at run time, loaded lazily). Every object is an
 * EventEmitter; the callback-style calls are used without callbacks and answered through events, so a listener can be
 * removed when a step times out (noble's own callbacks would stay registered for ever).
 */

export type NobleState = 'unknown' | 'resetting' | 'unsupported' | 'unauthorized' | 'poweredOff' | 'poweredOn';

interface Emitter {
  on(event: string, listener: (...args: never[]) => void): unknown;
  once(event: string, listener: (...args: never[]) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  listenerCount(event: string): number;
}

export interface NobleLike extends Emitter {
  /** reading it initialises the bindings (opens the HCI socket) */
  readonly state: NobleState | string;
  startScanning(serviceUuids: string[], allowDuplicates: boolean, callback?: (error?: Error | null) => void): void;
  stopScanning(): void;
}

export interface AdvertisementLike {
  readonly localName?: string;
  readonly serviceUuids?: readonly string[];
  readonly manufacturerData?: Buffer;
}

export type PeripheralState = 'error' | 'connecting' | 'connected' | 'disconnecting' | 'disconnected';

/**
 * Events: `connect(error?)`, `disconnect(reason: number)`, `servicesDiscover(services)`. The same object comes back
 * on every `discover` of the same strap.
 */
export interface PeripheralLike extends Emitter {
  /** the address without colons (Linux), or a CoreBluetooth UUID (macOS) */
  readonly id: string;
  readonly address: string;
  readonly advertisement: AdvertisementLike;
  readonly rssi: number;
  readonly state: PeripheralState | string;
  readonly mtu: number | null;
  connect(): void;
  cancelConnect(): void;
  disconnect(): void;
  discoverServices(serviceUuids: string[]): void;
}

/** Events: `characteristicsDiscover(characteristics)`. New objects after every connect. */
export interface ServiceLike extends Emitter {
  readonly uuid: string;
  discoverCharacteristics(characteristicUuids: string[]): void;
}

/** Events: `data(buffer, isNotification)`, `notify(state)`. New objects after every connect. */
export interface CharacteristicLike extends Emitter {
  readonly uuid: string;
  readonly properties: readonly string[];
  read(): void;
  subscribe(): void;
}
