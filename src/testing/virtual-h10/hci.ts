/**
 * HCI packets as a controller sees them (Bluetooth Core, Vol 4 Part E): the opcodes noble 1.9.2-26 sends, and
 * builders for the events a controller answers with. Byte layouts are written out where they are built.
 *
 *   command  01 | opcode u16 | length u8 | parameters
 *   ACL      02 | handle u12 + PB u2 + BC u2 | length u16 | L2CAP: length u16 | CID u16 | payload
 *   event    04 | event code u8 | length u8 | parameters
 */

export const HCI_COMMAND_PKT = 0x01;
export const HCI_ACLDATA_PKT = 0x02;
export const HCI_EVENT_PKT = 0x04;

/** ACL packet-boundary flags (bits 12–13 of the handle field). */
export const ACL_START_NO_FLUSH = 0b00;
export const ACL_CONTINUATION = 0b01;
export const ACL_START = 0b10;

const opcode = (ogf: number, ocf: number) => (ogf << 10) | ocf;

export const OP = {
  DISCONNECT: opcode(0x01, 0x0006),
  SET_EVENT_MASK: opcode(0x03, 0x0001),
  RESET: opcode(0x03, 0x0003),
  READ_LE_HOST_SUPPORTED: opcode(0x03, 0x006c),
  WRITE_LE_HOST_SUPPORTED: opcode(0x03, 0x006d),
  READ_LOCAL_VERSION: opcode(0x04, 0x0001),
  READ_SUPPORTED_COMMANDS: opcode(0x04, 0x0002),
  READ_BUFFER_SIZE: opcode(0x04, 0x0005),
  READ_BD_ADDR: opcode(0x04, 0x0009),
  READ_RSSI: opcode(0x05, 0x0005),
  LE_SET_EVENT_MASK: opcode(0x08, 0x0001),
  LE_READ_BUFFER_SIZE: opcode(0x08, 0x0002),
  LE_SET_RANDOM_ADDRESS: opcode(0x08, 0x0005),
  LE_SET_SCAN_PARAMETERS: opcode(0x08, 0x000b),
  LE_SET_SCAN_ENABLE: opcode(0x08, 0x000c),
  LE_CREATE_CONN: opcode(0x08, 0x000d),
  LE_CREATE_CONN_CANCEL: opcode(0x08, 0x000e),
  LE_CONN_UPDATE: opcode(0x08, 0x0013),
  LE_SET_PHY: opcode(0x08, 0x0031),
} as const;

export const EVT = {
  DISCONNECTION_COMPLETE: 0x05,
  COMMAND_COMPLETE: 0x0e,
  COMMAND_STATUS: 0x0f,
  NUMBER_OF_COMPLETED_PACKETS: 0x13,
  LE_META: 0x3e,
} as const;

export const LE_SUBEVENT = { CONNECTION_COMPLETE: 0x01, ADVERTISING_REPORT: 0x02 } as const;

/** Advertising report event types. */
export const ADV_IND = 0x00;
export const SCAN_RSP = 0x04;

/** HCI error codes used here (Bluetooth Core, Vol 1 Part F). */
export const HCI_STATUS = {
  SUCCESS: 0x00,
  UNKNOWN_COMMAND: 0x01,
  UNKNOWN_CONNECTION_ID: 0x02,
  CONNECTION_TIMEOUT: 0x08,
  COMMAND_DISALLOWED: 0x0c,
  REMOTE_USER_TERMINATED: 0x13,
  LOCAL_HOST_TERMINATED: 0x16,
  UNACCEPTABLE_CONNECTION_PARAMETERS: 0x3b,
  CONNECTION_FAILED_TO_BE_ESTABLISHED: 0x3e,
} as const;

export const L2CAP_CID_ATT = 0x0004;

function event(code: number, params: readonly number[] | Buffer): Buffer {
  return Buffer.from([HCI_EVENT_PKT, code, params.length, ...params]);
}

function u16(v: number): [number, number] {
  return [v & 0xff, (v >> 8) & 0xff];
}

/** `04 0e len | 01 (command credits) | opcode u16 | status | return parameters` */
export function commandComplete(op: number, status: number, returnParams: readonly number[] = []): Buffer {
  return event(EVT.COMMAND_COMPLETE, [0x01, ...u16(op), status, ...returnParams]);
}

/** `04 0f 04 | status | 01 (command credits) | opcode u16` */
export function commandStatus(op: number, status: number): Buffer {
  return event(EVT.COMMAND_STATUS, [status, 0x01, ...u16(op)]);
}

/** `04 05 04 | status | handle u16 | reason` */
export function disconnectionComplete(handle: number, reason: number): Buffer {
  return event(EVT.DISCONNECTION_COMPLETE, [HCI_STATUS.SUCCESS, ...u16(handle), reason]);
}

/** `04 13 05 | 01 (handles) | handle u16 | completed u16` */
export function numberOfCompletedPackets(handle: number, count: number): Buffer {
  return event(EVT.NUMBER_OF_COMPLETED_PACKETS, [0x01, ...u16(handle), ...u16(count)]);
}

/** Address "EC:EA:02:85:D9:7A" → 6 bytes little-endian, as on the wire. */
export function addressBytes(address: string): number[] {
  const bytes = address.split(':').map((h) => Number.parseInt(h, 16));
  if (bytes.length !== 6 || bytes.some((b) => !(b >= 0 && b <= 0xff))) throw new RangeError(`bad address ${address}`);
  return bytes.reverse();
}

/** LE advertising report with one report: `04 3e len 02 | 01 | type | addrType | addr(6) | len | AD… | rssi` */
export function advertisingReport(
  eventType: number,
  addressType: 'public' | 'random',
  address: string,
  data: readonly number[],
  rssi: number,
): Buffer {
  return event(EVT.LE_META, [
    LE_SUBEVENT.ADVERTISING_REPORT,
    0x01,
    eventType,
    addressType === 'random' ? 0x01 : 0x00,
    ...addressBytes(address),
    data.length,
    ...data,
    rssi & 0xff,
  ]);
}

export interface ConnectionParameters {
  readonly intervalUnits: number;
  readonly latency: number;
  readonly timeoutUnits: number;
}

/**
 * LE Connection Complete: `04 3e 13 01 | status | handle u16 | role (0 = central) | peerAddrType | peer(6) |
 * interval u16 | latency u16 | supervision timeout u16 | clock accuracy`
 */
export function leConnectionComplete(
  status: number,
  handle: number,
  addressType: 'public' | 'random',
  address: string,
  params: ConnectionParameters,
): Buffer {
  return event(EVT.LE_META, [
    LE_SUBEVENT.CONNECTION_COMPLETE,
    status,
    ...u16(handle),
    0x00,
    addressType === 'random' ? 0x01 : 0x00,
    ...addressBytes(address),
    ...u16(params.intervalUnits),
    ...u16(params.latency),
    ...u16(params.timeoutUnits),
    0x00,
  ]);
}

/** Controller → host ACL, split into fragments of at most `fragmentLength` bytes: first PB = 0b10, then 0b01. */
export function aclPackets(handle: number, cid: number, payload: Uint8Array, fragmentLength: number): Buffer[] {
  const l2cap = Buffer.alloc(4 + payload.length);
  l2cap.writeUInt16LE(payload.length, 0);
  l2cap.writeUInt16LE(cid, 2);
  l2cap.set(payload, 4);
  const packets: Buffer[] = [];
  for (let offset = 0; offset < l2cap.length; offset += fragmentLength) {
    const chunk = l2cap.subarray(offset, offset + fragmentLength);
    const packet = Buffer.alloc(5 + chunk.length);
    packet.writeUInt8(HCI_ACLDATA_PKT, 0);
    packet.writeUInt16LE(handle | ((offset === 0 ? ACL_START : ACL_CONTINUATION) << 12), 1);
    packet.writeUInt16LE(chunk.length, 3);
    packet.set(chunk, 5);
    packets.push(packet);
  }
  return packets;
}

/** Addresses as noble shows them: lower case with colons. */
export function normaliseAddress(address: string): string {
  return address.toLowerCase();
}
