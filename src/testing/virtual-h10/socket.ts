/**
 * The stand-in for `@abandonware/bluetooth-hci-socket`: the class noble's hci.js instantiates (`new
 * BluetoothHciSocket()`), with the members noble uses (ble.md §4.2). Each socket talks to the controller that is
 * active when it is created (`useVirtualController`); with none active, creating a socket throws EAFNOSUPPORT, exactly
 * as the real module does on a machine without Bluetooth.
 */
import { EventEmitter } from 'node:events';
import type { HostPort, VirtualController } from './controller.js';

/** Length of the HCI filter Linux ≥ 6.9 requires; shorter ones fail with EINVAL (ble.md §3.2). */
const HCI_FILTER_LENGTH = 16;

let active: VirtualController | null = null;

/** Makes `controller` the adapter every socket created from now on is bound to (null: no adapter). */
export function useVirtualController(controller: VirtualController | null): void {
  active = controller;
}

export function activeVirtualController(): VirtualController | null {
  return active;
}

export interface HciDeviceInfo {
  devId: number;
  devUp: boolean;
  idVendor: null;
  idProduct: null;
  busNumber: null;
  deviceAddress: null;
}

export class VirtualHciSocket extends EventEmitter implements HostPort {
  private readonly controller: VirtualController;

  constructor() {
    super();
    const controller = active;
    if (controller === null || controller.adapterState === 'absent') {
      const error: NodeJS.ErrnoException = new Error('EAFNOSUPPORT, Address family not supported by protocol');
      error.code = 'EAFNOSUPPORT';
      throw error;
    }
    this.controller = controller;
  }

  bindRaw(_devId?: number): number {
    this.controller.bind(this);
    return 0;
  }

  bindUser(_devId?: number): number {
    this.controller.bind(this);
    return 0;
  }

  bindControl(): void {}

  start(): void {}

  stop(): void {}

  cleanup(): void {}

  reset(): void {}

  isDevUp(): boolean {
    return this.controller.isDevUp(this);
  }

  getDeviceList(): HciDeviceInfo[] {
    return [{ devId: 0, devUp: this.isDevUp(), idVendor: null, idProduct: null, busNumber: null, deviceAddress: null }];
  }

  setFilter(filter: Buffer): void {
    if (filter.length < HCI_FILTER_LENGTH) {
      const error: NodeJS.ErrnoException = new Error('Invalid argument');
      error.code = 'EINVAL';
      error.syscall = 'setsockopt';
      setImmediate(() => this.emit('error', error));
    }
  }

  write(data: Buffer): void {
    this.controller.fromHost(this, Buffer.from(data));
  }

  // HostPort: what the controller calls.
  deliver(packet: Buffer): void {
    this.emit('data', packet);
  }

  fail(error: NodeJS.ErrnoException): void {
    this.emit('error', error);
  }
}
