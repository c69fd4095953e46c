/**
 * A small ATT server over a fixed attribute table: the requests noble's gatt.js sends (ble.md §4.6) and nothing
 * more. One response packs only entries of equal length (16-bit and 128-bit UUIDs never mixed) and never exceeds the
 * negotiated MTU, as a real server does; a range with nothing in it answers Attribute Not Found, which is how noble's
 * discovery loops end.
 */

export const ATT = {
  ERROR_RSP: 0x01,
  MTU_REQ: 0x02,
  MTU_RSP: 0x03,
  FIND_INFO_REQ: 0x04,
  FIND_INFO_RSP: 0x05,
  READ_BY_TYPE_REQ: 0x08,
  READ_BY_TYPE_RSP: 0x09,
  READ_REQ: 0x0a,
  READ_RSP: 0x0b,
  READ_BLOB_REQ: 0x0c,
  READ_BLOB_RSP: 0x0d,
  READ_BY_GROUP_REQ: 0x10,
  READ_BY_GROUP_RSP: 0x11,
  WRITE_REQ: 0x12,
  WRITE_RSP: 0x13,
  HANDLE_VALUE_NOTIFICATION: 0x1b,
  HANDLE_VALUE_INDICATION: 0x1d,
  HANDLE_VALUE_CONFIRMATION: 0x1e,
  WRITE_CMD: 0x52,
} as const;

export const ATT_ERROR = {
  INVALID_HANDLE: 0x01,
  READ_NOT_PERMITTED: 0x02,
  WRITE_NOT_PERMITTED: 0x03,
  INVALID_PDU: 0x04,
  REQUEST_NOT_SUPPORTED: 0x06,
  INVALID_OFFSET: 0x07,
  ATTRIBUTE_NOT_FOUND: 0x0a,
  UNSUPPORTED_GROUP_TYPE: 0x10,
} as const;

/** The default ATT MTU of LE (Bluetooth Core, Vol 3 Part F 3.2.8). */
export const ATT_DEFAULT_MTU = 23;

export const UUID = {
  PRIMARY_SERVICE: '2800',
  CHARACTERISTIC: '2803',
  CCCD: '2902',
  EXTENDED_PROPERTIES: '2900',
} as const;

/** Characteristic properties (the bit field of a 0x2803 declaration). */
export const PROP = { READ: 0x02, WRITE_NO_RSP: 0x04, WRITE: 0x08, NOTIFY: 0x10, INDICATE: 0x20 } as const;

/** UUID as lower-case hex without dashes: 4 digits (16-bit) or 32 digits (128-bit). */
export type Uuid = string;

export interface Attribute {
  readonly handle: number;
  readonly type: Uuid;
  readonly read: boolean;
  readonly write: boolean;
  /** the stored value; CCCD values live in the connection instead */
  value: Uint8Array;
  /** for a primary service declaration: its last handle */
  readonly groupEnd?: number;
}

export function uuidBytes(uuid: Uuid): Uint8Array {
  const hex = uuid.replace(/-/g, '').toLowerCase();
  if (hex.length !== 4 && hex.length !== 32) throw new RangeError(`UUID must be 16 or 128 bits: ${uuid}`);
  const bytes = Uint8Array.from(hex.match(/../g) ?? [], (h) => Number.parseInt(h, 16));
  return bytes.reverse();
}

export function normaliseUuid(uuid: Uuid): Uuid {
  return uuid.replace(/-/g, '').toLowerCase();
}

/** What the server does with writes to a CCCD (a test knob). */
export type CccdBehaviour =
  /** the descriptor exists and accepts writes */
  | 'present'
  /** the descriptor is not in the table: noble's subscribe never completes (ble.md §3.7) */
  | 'missing'
  /** the descriptor exists but every write answers Write Not Permitted */
  | 'refused'
  /** the descriptor exists but a write gets no answer at all (noble's ATT queue then blocks) */
  | 'unanswered';

/** Per-connection server state: the MTU and the CCCD values (they reset when the link goes: unbonded strap). */
export interface AttConnection {
  mtu: number;
  readonly cccd: Map<number, number>;
}

export interface AttServerOptions {
  readonly serverMtu: number;
  readonly cccd: () => CccdBehaviour;
  /** the CCCD handles that `cccd: 'missing'` hides */
  readonly hiddenWhenMissing: ReadonlySet<number>;
}

const u16 = (v: number) => [v & 0xff, (v >> 8) & 0xff];

function errorResponse(requestOpcode: number, handle: number, code: number): Uint8Array {
  return Uint8Array.from([ATT.ERROR_RSP, requestOpcode, ...u16(handle), code]);
}

export class AttServer {
  constructor(
    private readonly table: readonly Attribute[],
    private readonly options: AttServerOptions,
  ) {}

  /** Answers one client PDU; null when no answer is due (commands, confirmations, a silenced write). */
  handle(pdu: Uint8Array, conn: AttConnection): Uint8Array | null {
    const op = pdu[0];
    const view = new DataView(pdu.buffer, pdu.byteOffset, pdu.byteLength);
    const u16At = (offset: number) => view.getUint16(offset, true);
    switch (op) {
      case ATT.MTU_REQ: {
        if (pdu.length !== 3) return errorResponse(op, 0, ATT_ERROR.INVALID_PDU);
        conn.mtu = Math.max(ATT_DEFAULT_MTU, Math.min(u16At(1), this.options.serverMtu));
        return Uint8Array.from([ATT.MTU_RSP, ...u16(this.options.serverMtu)]);
      }
      case ATT.READ_BY_GROUP_REQ:
        if (pdu.length !== 7 && pdu.length !== 21) return errorResponse(op, 0, ATT_ERROR.INVALID_PDU);
        return this.readByGroup(u16At(1), u16At(3), uuidFromBytes(pdu.subarray(5)), conn);
      case ATT.READ_BY_TYPE_REQ:
        if (pdu.length !== 7 && pdu.length !== 21) return errorResponse(op, 0, ATT_ERROR.INVALID_PDU);
        return this.readByType(u16At(1), u16At(3), uuidFromBytes(pdu.subarray(5)), conn);
      case ATT.FIND_INFO_REQ:
        if (pdu.length !== 5) return errorResponse(op, 0, ATT_ERROR.INVALID_PDU);
        return this.findInformation(u16At(1), u16At(3), conn);
      case ATT.READ_REQ:
        if (pdu.length !== 3) return errorResponse(op, 0, ATT_ERROR.INVALID_PDU);
        return this.read(op, u16At(1), 0, conn);
      case ATT.READ_BLOB_REQ:
        if (pdu.length !== 5) return errorResponse(op, 0, ATT_ERROR.INVALID_PDU);
        return this.read(op, u16At(1), u16At(3), conn);
      case ATT.WRITE_REQ:
      case ATT.WRITE_CMD: {
        if (pdu.length < 3) return op === ATT.WRITE_CMD ? null : errorResponse(op, 0, ATT_ERROR.INVALID_PDU);
        const response = this.write(op, u16At(1), pdu.subarray(3), conn);
        return op === ATT.WRITE_CMD ? null : response;
      }
      case ATT.HANDLE_VALUE_CONFIRMATION:
        return null;
      default:
        // Odd opcodes are responses (the client answering a server request): nothing to say. Even ones are requests
        // this server does not implement.
        return op % 2 === 0 ? errorResponse(op, 0, ATT_ERROR.REQUEST_NOT_SUPPORTED) : null;
    }
  }

  /** The attributes the client can see now (a missing CCCD is not there at all). */
  private visible(): readonly Attribute[] {
    if (this.options.cccd() !== 'missing') return this.table;
    return this.table.filter((a) => !this.options.hiddenWhenMissing.has(a.handle));
  }

  private find(handle: number): Attribute | undefined {
    return this.visible().find((a) => a.handle === handle);
  }

  private valueOf(attribute: Attribute, conn: AttConnection): Uint8Array {
    if (attribute.type === UUID.CCCD) return Uint8Array.from(u16(conn.cccd.get(attribute.handle) ?? 0));
    return attribute.value;
  }

  private readByGroup(start: number, end: number, type: Uuid, conn: AttConnection): Uint8Array {
    const op = ATT.READ_BY_GROUP_REQ;
    if (start === 0 || start > end) return errorResponse(op, start, ATT_ERROR.INVALID_HANDLE);
    if (type !== UUID.PRIMARY_SERVICE) return errorResponse(op, start, ATT_ERROR.UNSUPPORTED_GROUP_TYPE);
    const services = this.visible().filter((a) => a.type === type && a.handle >= start && a.handle <= end);
    return packEntries(
      op,
      ATT.READ_BY_GROUP_RSP,
      start,
      conn.mtu,
      services.map((s) => [...u16(s.handle), ...u16(s.groupEnd ?? s.handle), ...s.value]),
    );
  }

  private readByType(start: number, end: number, type: Uuid, conn: AttConnection): Uint8Array {
    const op = ATT.READ_BY_TYPE_REQ;
    if (start === 0 || start > end) return errorResponse(op, start, ATT_ERROR.INVALID_HANDLE);
    const matches = this.visible().filter((a) => a.type === type && a.handle >= start && a.handle <= end);
    const first = matches[0];
    if (first !== undefined && !first.read) return errorResponse(op, first.handle, ATT_ERROR.READ_NOT_PERMITTED);
    const readable = matches.filter((a) => a.read);
    // A value is cut to fit one entry: at most min(MTU − 4, 253) bytes.
    const maxValue = Math.min(conn.mtu - 4, 253);
    return packEntries(
      op,
      ATT.READ_BY_TYPE_RSP,
      start,
      conn.mtu,
      readable.map((a) => [...u16(a.handle), ...this.valueOf(a, conn).subarray(0, maxValue)]),
    );
  }

  private findInformation(start: number, end: number, conn: AttConnection): Uint8Array {
    const op = ATT.FIND_INFO_REQ;
    if (start === 0 || start > end) return errorResponse(op, start, ATT_ERROR.INVALID_HANDLE);
    const inRange = this.visible().filter((a) => a.handle >= start && a.handle <= end);
    if (inRange.length === 0) return errorResponse(op, start, ATT_ERROR.ATTRIBUTE_NOT_FOUND);
    const format = inRange[0].type.length === 4 ? 0x01 : 0x02;
    const entryLength = format === 0x01 ? 4 : 18;
    const out = [ATT.FIND_INFO_RSP, format];
    for (const a of inRange) {
      if ((a.type.length === 4 ? 0x01 : 0x02) !== format || out.length + entryLength > conn.mtu) break;
      out.push(...u16(a.handle), ...uuidBytes(a.type));
    }
    return Uint8Array.from(out);
  }

  private read(op: number, handle: number, offset: number, conn: AttConnection): Uint8Array {
    const attribute = this.find(handle);
    if (attribute === undefined) return errorResponse(op, handle, ATT_ERROR.INVALID_HANDLE);
    if (!attribute.read) return errorResponse(op, handle, ATT_ERROR.READ_NOT_PERMITTED);
    const value = this.valueOf(attribute, conn);
    if (offset > value.length) return errorResponse(op, handle, ATT_ERROR.INVALID_OFFSET);
    const part = value.subarray(offset, offset + conn.mtu - 1);
    return Uint8Array.from([op === ATT.READ_REQ ? ATT.READ_RSP : ATT.READ_BLOB_RSP, ...part]);
  }

  private write(op: number, handle: number, value: Uint8Array, conn: AttConnection): Uint8Array | null {
    const attribute = this.find(handle);
    if (attribute === undefined) return errorResponse(op, handle, ATT_ERROR.INVALID_HANDLE);
    if (attribute.type === UUID.CCCD) {
      const behaviour = this.options.cccd();
      if (behaviour === 'unanswered') return null;
      if (behaviour === 'refused') return errorResponse(op, handle, ATT_ERROR.WRITE_NOT_PERMITTED);
      if (value.length !== 2) return errorResponse(op, handle, ATT_ERROR.INVALID_PDU);
      conn.cccd.set(handle, value[0] | (value[1] << 8));
      return Uint8Array.from([ATT.WRITE_RSP]);
    }
    if (!attribute.write) return errorResponse(op, handle, ATT_ERROR.WRITE_NOT_PERMITTED);
    attribute.value = Uint8Array.from(value);
    return Uint8Array.from([ATT.WRITE_RSP]);
  }
}

/** Entries of the first entry's length, as many as fit in the MTU: `rspOpcode | entry length | entries…`. */
function packEntries(
  requestOp: number,
  responseOp: number,
  start: number,
  mtu: number,
  entries: readonly number[][],
): Uint8Array {
  const first = entries[0];
  if (first === undefined) return errorResponse(requestOp, start, ATT_ERROR.ATTRIBUTE_NOT_FOUND);
  const out = [responseOp, first.length];
  for (const entry of entries) {
    if (entry.length !== first.length || out.length + entry.length > mtu) break;
    out.push(...entry);
  }
  return Uint8Array.from(out);
}

function uuidFromBytes(bytes: Uint8Array): Uuid {
  return Array.from(bytes)
    .reverse()
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
}
