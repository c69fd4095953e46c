// The slice of the Web Bluetooth API (https://webbluetoothcg.github.io/web-bluetooth/) the live screen uses, typed
// here: TypeScript's DOM library does not include it, and only Chromium-based browsers implement it.

interface BluetoothCharacteristicLike extends EventTarget {
  readonly value?: DataView;
  startNotifications(): Promise<BluetoothCharacteristicLike>;
  readValue(): Promise<DataView>;
}

interface BluetoothServiceLike {
  getCharacteristic(name: string): Promise<BluetoothCharacteristicLike>;
}

interface BluetoothGattServerLike {
  readonly connected: boolean;
  connect(): Promise<BluetoothGattServerLike>;
  disconnect(): void;
  getPrimaryService(name: string): Promise<BluetoothServiceLike>;
}

interface BluetoothDeviceLike extends EventTarget {
  readonly id: string;
  readonly name?: string;
  readonly gatt?: BluetoothGattServerLike;
}

interface BluetoothLike {
  requestDevice(options: {
    filters: { services: string[] }[];
    optionalServices?: string[];
  }): Promise<BluetoothDeviceLike>;
  /** the devices this site was given before (Chrome: persistent permissions); absent in many browsers */
  getDevices?(): Promise<BluetoothDeviceLike[]>;
}

interface Navigator {
  readonly bluetooth?: BluetoothLike;
}
