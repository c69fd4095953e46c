/**
 * What a Polar H10 shows over the air: its advertising and scan-response data (ble.md §2.1) and its GATT table,
 * handle for handle (ble.md §2.3, from a gatttool dump of a real H10). Handles and UUIDs follow the dump; the values
 * of the device-information strings, the GAP and user-data characteristics are plausible stand-ins.
 */
import { type Attribute, normaliseUuid, PROP, UUID, type Uuid, uuidBytes } from './att.js';

/** The H10's answer to an MTU exchange (phdiethelm/h10_ecg). */
export const H10_SERVER_MTU = 232;

/** Handles of the real H10 that the source and the tests rely on. */
export const H10_HANDLE = {
  HEART_RATE_SERVICE: 0x000e,
  HEART_RATE_MEASUREMENT: 0x0010,
  HEART_RATE_MEASUREMENT_CCCD: 0x0011,
  BODY_SENSOR_LOCATION: 0x0013,
  DEVICE_INFORMATION_SERVICE: 0x002c,
  BATTERY_LEVEL: 0x003d,
  BATTERY_LEVEL_CCCD: 0x003e,
  PMD_SERVICE: 0x0045,
  LAST_SERVICE: 0x004c,
} as const;

const POLAR_PMD_BASE = '-02e7-f387-1cad-8acd2d8df0c8';
const pmd = (short: string) => normaliseUuid(`fb00${short}${POLAR_PMD_BASE}`);

export interface H10Identity {
  readonly name: string;
  readonly batteryPct: number;
  /** Body Sensor Location (0x2A38): 1 = chest */
  readonly bodySensorLocation: number;
  readonly manufacturer: string;
  readonly model: string;
  readonly serial: string;
  readonly hardwareRevision: string;
  readonly firmwareRevision: string;
  readonly softwareRevision: string;
}

interface CharacteristicSpec {
  readonly uuid: Uuid;
  readonly props: number;
  readonly value?: Uint8Array;
  /** descriptors after the value, in order */
  readonly descriptors?: readonly Uuid[];
}

interface ServiceSpec {
  readonly uuid: Uuid;
  readonly start: number;
  /** the declared end of the group; the last service of the H10 ends at 0xFFFF */
  readonly end: number;
  readonly characteristics: readonly CharacteristicSpec[];
}

const text = (s: string) => new TextEncoder().encode(s);
const bytes = (...b: number[]) => Uint8Array.from(b);

function h10Services(id: H10Identity): ServiceSpec[] {
  const notify = { props: PROP.NOTIFY, descriptors: [UUID.CCCD] };
  return [
    {
      uuid: '1800',
      start: 0x0001,
      end: 0x0009,
      characteristics: [
        { uuid: '2a00', props: PROP.READ, value: text(id.name) },
        // Appearance 0x0341: heart-rate sensor, heart-rate belt.
        { uuid: '2a01', props: PROP.READ, value: bytes(0x41, 0x03) },
        // Peripheral Preferred Connection Parameters: interval 30–60 ms, latency 0, supervision timeout 6 s.
        { uuid: '2a04', props: PROP.READ, value: bytes(0x18, 0x00, 0x30, 0x00, 0x00, 0x00, 0x58, 0x02) },
        { uuid: '2aa6', props: PROP.READ, value: bytes(0x00) },
      ],
    },
    {
      uuid: '1801',
      start: 0x000a,
      end: 0x000d,
      characteristics: [{ uuid: '2a05', props: PROP.INDICATE, descriptors: [UUID.CCCD] }],
    },
    {
      uuid: '180d',
      start: 0x000e,
      end: 0x0013,
      characteristics: [
        { uuid: '2a37', ...notify },
        { uuid: '2a38', props: PROP.READ, value: bytes(id.bodySensorLocation) },
      ],
    },
    {
      uuid: '181c',
      start: 0x0014,
      end: 0x002b,
      characteristics: [
        { uuid: '2a99', props: PROP.READ | PROP.WRITE, value: bytes(0, 0, 0, 0) },
        { uuid: '2a9a', props: PROP.READ, value: bytes(0xff) },
        { uuid: '2a9f', props: PROP.WRITE | PROP.INDICATE, descriptors: [UUID.CCCD] },
        { uuid: '2a8a', props: PROP.READ | PROP.WRITE, value: text(''), descriptors: [UUID.EXTENDED_PROPERTIES] },
        { uuid: '2a90', props: PROP.READ | PROP.WRITE, value: text(''), descriptors: [UUID.EXTENDED_PROPERTIES] },
        { uuid: '2a80', props: PROP.READ | PROP.WRITE, value: bytes(0) },
        { uuid: '2a8c', props: PROP.READ | PROP.WRITE, value: bytes(0) },
        { uuid: '2a98', props: PROP.READ | PROP.WRITE, value: bytes(0, 0) },
        { uuid: '2a8e', props: PROP.READ | PROP.WRITE, value: bytes(0) },
        { uuid: '2aa2', props: PROP.READ | PROP.WRITE, value: bytes(0) },
      ],
    },
    {
      uuid: '180a',
      start: 0x002c,
      end: 0x003a,
      characteristics: [
        { uuid: '2a29', props: PROP.READ, value: text(id.manufacturer) },
        { uuid: '2a24', props: PROP.READ, value: text(id.model) },
        { uuid: '2a25', props: PROP.READ, value: text(id.serial) },
        { uuid: '2a27', props: PROP.READ, value: text(id.hardwareRevision) },
        { uuid: '2a26', props: PROP.READ, value: text(id.firmwareRevision) },
        { uuid: '2a28', props: PROP.READ, value: text(id.softwareRevision) },
        { uuid: '2a23', props: PROP.READ, value: bytes(0x20, 0x7d, 0xa8, 0xfe, 0xff, 0x8a, 0xa8, 0xa0) },
      ],
    },
    {
      uuid: '180f',
      start: 0x003b,
      end: 0x003e,
      characteristics: [
        { uuid: '2a19', props: PROP.READ | PROP.NOTIFY, value: bytes(id.batteryPct), descriptors: [UUID.CCCD] },
      ],
    },
    {
      uuid: '6217ff4bfb311140ad5aa45545d7ecf3',
      start: 0x003f,
      end: 0x0044,
      characteristics: [
        { uuid: '6217ff4cc8ecb1fb13803ad986708e2d', props: PROP.READ, value: bytes(0) },
        { uuid: '6217ff4d91bb91d07e2a7cd3bda8a1f3', props: PROP.WRITE | PROP.INDICATE, descriptors: [UUID.CCCD] },
      ],
    },
    {
      uuid: pmd('5c80'),
      start: 0x0045,
      end: 0x004b,
      characteristics: [
        // PMD control point: a read returns the feature bitmap (ECG and ACC), ble.md §2.4.
        {
          uuid: pmd('5c81'),
          props: PROP.READ | PROP.WRITE | PROP.INDICATE,
          value: bytes(0x0f, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
          descriptors: [UUID.CCCD],
        },
        { uuid: pmd('5c82'), ...notify },
      ],
    },
    {
      uuid: 'feee',
      start: 0x004c,
      end: 0xffff,
      characteristics: [
        { uuid: pmd('5c51'), props: PROP.WRITE_NO_RSP | PROP.WRITE | PROP.NOTIFY, descriptors: [UUID.CCCD] },
        { uuid: pmd('5c52'), ...notify },
        { uuid: pmd('5c53'), props: PROP.WRITE_NO_RSP | PROP.WRITE | PROP.NOTIFY, descriptors: [UUID.CCCD] },
      ],
    },
  ];
}

/** The attribute table: declarations, values and descriptors with the H10's handles. */
export function h10AttributeTable(id: H10Identity): Attribute[] {
  const table: Attribute[] = [];
  for (const service of h10Services(id)) {
    let handle = service.start;
    table.push({
      handle: handle++,
      type: UUID.PRIMARY_SERVICE,
      read: true,
      write: false,
      value: uuidBytes(service.uuid),
      groupEnd: service.end,
    });
    for (const c of service.characteristics) {
      const declaration = handle++;
      const valueHandle = handle++;
      table.push({
        handle: declaration,
        type: UUID.CHARACTERISTIC,
        read: true,
        write: false,
        value: Uint8Array.from([c.props, valueHandle & 0xff, valueHandle >> 8, ...uuidBytes(c.uuid)]),
      });
      table.push({
        handle: valueHandle,
        type: c.uuid,
        read: (c.props & PROP.READ) !== 0,
        write: (c.props & (PROP.WRITE | PROP.WRITE_NO_RSP)) !== 0,
        value: c.value ?? new Uint8Array(0),
      });
      for (const d of c.descriptors ?? []) {
        table.push({ handle: handle++, type: d, read: true, write: d === UUID.CCCD, value: bytes(0, 0) });
      }
    }
    const last = handle - 1;
    if (service.end !== 0xffff && last !== service.end) {
      throw new Error(`H10 table: service ${service.uuid} ends at 0x${last.toString(16)}, expected ${service.end}`);
    }
  }
  return table;
}

/** Polar's company id (Bluetooth SIG assigned numbers). */
const POLAR_COMPANY_ID = 0x006b;

/**
 * ADV_IND data of a real H10 (Heltec-Aaron-Lee/WiFi_Kit_series#239): flags 06, incomplete 16-bit UUIDs 180D FEEE,
 * TX power 4, manufacturer data 6B00 3F 16 4C 4C (Polar; status flags, kHz code, fast and slow average HR).
 * It does not fit the name, which comes in the scan response.
 */
export function h10AdvertisingData(hrBpm: number): number[] {
  const hr = Math.max(0, Math.min(255, Math.round(hrBpm)));
  return [
    0x02,
    0x01,
    0x06,
    0x05,
    0x02,
    0x0d,
    0x18,
    0xee,
    0xfe,
    0x02,
    0x0a,
    0x04,
    0x07,
    0xff,
    POLAR_COMPANY_ID & 0xff,
    POLAR_COMPANY_ID >> 8,
    0x3f,
    0x16,
    hr,
    hr,
  ];
}

/** SCAN_RSP data: the complete local name, "Polar H10 <8 hex digits>". */
export function h10ScanResponseData(name: string): number[] {
  const encoded = Array.from(text(name));
  return [encoded.length + 1, 0x09, ...encoded];
}
