/**
 * Heart Rate Measurement (0x2A37) payloads, byte by byte (Bluetooth SIG Heart Rate service):
 *
 *   byte 0   flags: bit 0 HR uint16 · bits 1–2 sensor contact · bit 3 Energy Expended present · bit 4 RR present
 *            (bits 5–7 reserved: ignored, not required to be zero)
 *   then     HR, uint8 or uint16 little-endian (bpm)
 *   then     Energy Expended, uint16 (kJ), only with bit 3 — it comes BEFORE the RR values
 *   then     RR, uint16 each, 1/1024 s, oldest first; the count is implicit: (length − offset) / 2
 *
 * Pure: no I/O. A malformed payload gives a typed error value, never a throw and never a guess.
 */

export type SensorContact = 'not-supported' | 'not-detected' | 'detected';

export interface HeartRateMeasurement {
  /** bpm; null when the strap sent 0 ("no valid HR") */
  readonly hrBpm: number | null;
  readonly contact: SensorContact;
  readonly energyKj: number | null;
  /** RR values as sent, 1/1024 s ticks, oldest first */
  readonly rrTicks: readonly number[];
}

export type HrmDecodeErrorCode = 'HRM_EMPTY' | 'HRM_TRUNCATED' | 'HRM_ODD_RR_BYTES';

export interface HrmDecodeError {
  readonly error: HrmDecodeErrorCode;
  readonly message: string;
}

const FLAG_HR_UINT16 = 0x01;
const FLAG_CONTACT_SUPPORTED = 0x04;
const FLAG_CONTACT_DETECTED = 0x02;
const FLAG_ENERGY = 0x08;
const FLAG_RR = 0x10;

export function isHrmError(x: HeartRateMeasurement | HrmDecodeError): x is HrmDecodeError {
  return 'error' in x;
}

export function decodeHeartRateMeasurement(payload: Uint8Array): HeartRateMeasurement | HrmDecodeError {
  if (payload.length === 0) return { error: 'HRM_EMPTY', message: 'empty Heart Rate Measurement payload' };
  const flags = payload[0];
  let offset = 1;
  const hrBytes = flags & FLAG_HR_UINT16 ? 2 : 1;
  if (payload.length < offset + hrBytes) {
    return { error: 'HRM_TRUNCATED', message: `payload of ${payload.length} bytes ends before the heart rate` };
  }
  const hr = hrBytes === 2 ? payload[offset] | (payload[offset + 1] << 8) : payload[offset];
  offset += hrBytes;

  let energyKj: number | null = null;
  if (flags & FLAG_ENERGY) {
    if (payload.length < offset + 2) {
      return { error: 'HRM_TRUNCATED', message: `payload of ${payload.length} bytes ends inside Energy Expended` };
    }
    energyKj = payload[offset] | (payload[offset + 1] << 8);
    offset += 2;
  }

  const rrTicks: number[] = [];
  if (flags & FLAG_RR) {
    if ((payload.length - offset) % 2 !== 0) {
      return {
        error: 'HRM_ODD_RR_BYTES',
        message: `${payload.length - offset} RR bytes after offset ${offset}: RR values are 2 bytes each`,
      };
    }
    for (; offset < payload.length; offset += 2) rrTicks.push(payload[offset] | (payload[offset + 1] << 8));
  }

  // Bit 1 means something only when bit 2 (contact feature supported) is set.
  const contact: SensorContact =
    flags & FLAG_CONTACT_SUPPORTED ? (flags & FLAG_CONTACT_DETECTED ? 'detected' : 'not-detected') : 'not-supported';
  return { hrBpm: hr === 0 ? null : hr, contact, energyKj, rrTicks };
}

export interface EncodeOptions {
  readonly hrBpm: number;
  readonly rrTicks: readonly number[];
  readonly contact?: SensorContact;
  readonly energyKj?: number;
}

/** Builds a payload as a strap would send it (uint8 HR when it fits). Used by the simulated strap and tests. */
export function encodeHeartRateMeasurement(m: EncodeOptions): Uint8Array {
  const hr = Math.max(0, Math.min(0xffff, Math.round(m.hrBpm)));
  const wide = hr > 0xff;
  const contact = m.contact ?? 'not-supported';
  let flags = wide ? FLAG_HR_UINT16 : 0;
  if (contact !== 'not-supported')
    flags |= FLAG_CONTACT_SUPPORTED | (contact === 'detected' ? FLAG_CONTACT_DETECTED : 0);
  if (m.energyKj !== undefined) flags |= FLAG_ENERGY;
  if (m.rrTicks.length > 0) flags |= FLAG_RR;
  const bytes = [flags, hr & 0xff];
  if (wide) bytes.push(hr >> 8);
  if (m.energyKj !== undefined) bytes.push(m.energyKj & 0xff, (m.energyKj >> 8) & 0xff);
  for (const t of m.rrTicks) {
    const ticks = Math.max(0, Math.min(0xffff, Math.round(t)));
    bytes.push(ticks & 0xff, ticks >> 8);
  }
  return Uint8Array.from(bytes);
}
