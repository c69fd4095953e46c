/**
 * tableside's own raw recording format: every notification as the strap sent it, with its arrival time, so a replay
 * runs the same 0x2A37 parser and beat timeline as a live strap.
 *
 *   # tableside recording v1
 *   {"startedAt":"2026-11-23T10:00:00.000Z","source":"simulated strap (seed 7)","device":{"name":"…","id":"…"}}
 *   0.000	n	10482c03
 *   1003.250	n	10495e039603
 *   5120.000	s	{"state":"disconnected","reason":"link lost"}
 *
 * Line 1 names the format and version; line 2 is a JSON header; every further line is tab-separated:
 * arrival time in ms since the start (source clock), a kind (`n` = 0x2A37 payload in hex, `s` = status as JSON),
 * and the data. Arrival times never decrease. Text, so a recording can be read, diffed and cut with ordinary tools.
 */
import { decodeHeartRateMeasurement, isHrmError } from '../domain/hrm.js';
import { ticksToMs } from '../hrv/units.js';
import { RrFileError, type RrFileErrorCode } from './rr-file-error.js';

export const RECORDING_MAGIC = '# tableside recording v1';
export const RECORDING_VERSION = 1;

export interface RecordingHeader {
  readonly startedAt: string;
  readonly source: string;
  readonly device?: { readonly name: string; readonly id: string };
}

export type RecordedEvent =
  | { readonly kind: 'n'; readonly atMs: number; readonly payload: Uint8Array; readonly line?: number }
  | {
      readonly kind: 's';
      readonly atMs: number;
      readonly status: { state: string; reason?: string };
      readonly line?: number;
    };

export interface Recording {
  readonly header: RecordingHeader;
  readonly events: RecordedEvent[];
}

export function isRecordingText(text: string): boolean {
  return text.replace(/^\uFEFF/, '').startsWith('# tableside recording v');
}

const HEX = /^(?:[0-9a-fA-F]{2})+$/;

/** The latest arrival time read, ms since the start: a year. Beyond it beat times anchored to arrivals stop being exact. */
const MAX_ARRIVAL_MS = 365 * 86_400_000;

export function parseRecording(text: string, file: string): Recording {
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\n|\r/);
  const fail = (line: number, reason: string, code: RrFileErrorCode = 'RR_FILE_BAD_VALUE'): never => {
    throw new RrFileError(code, file, line, reason);
  };
  if (lines[0]?.trim() !== RECORDING_MAGIC) {
    const m = /^# tableside recording v(\d+)/.exec(lines[0] ?? '');
    fail(1, m ? `recording version ${m[1]} is not supported (this tableside reads v1)` : 'not a tableside recording');
  }
  if (lines.length < 2) {
    throw new RrFileError(
      'RR_FILE_TOO_SHORT',
      file,
      undefined,
      'the recording ends after line 1: no header, no events',
    );
  }
  let header: RecordingHeader;
  try {
    header = JSON.parse(lines[1] ?? '');
  } catch {
    return fail(2, 'the header line is not JSON');
  }
  if (typeof header?.startedAt !== 'string' || typeof header.source !== 'string') {
    fail(2, 'the header needs "startedAt" and "source"');
  }
  const events: RecordedEvent[] = [];
  let previousMs = Number.NEGATIVE_INFINITY;
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const [at, kind, data, ...rest] = line.split('\t');
    const atMs = Number(at);
    if (at === '' || !Number.isFinite(atMs) || atMs < 0) fail(i + 1, `"${at}" is not an arrival time in ms`);
    if (atMs > MAX_ARRIVAL_MS) fail(i + 1, `arrival time ${at} ms is more than a year after the start`);
    if (atMs < previousMs) fail(i + 1, `arrival time ${atMs} ms is earlier than the line before (${previousMs} ms)`);
    if (rest.length > 0 || data === undefined) fail(i + 1, 'expected three tab-separated fields: time, kind, data');
    previousMs = atMs;
    if (kind === 'n') {
      if (!HEX.test(data)) fail(i + 1, `"${data}" is not a hex payload`);
      events.push({
        kind: 'n',
        atMs,
        payload: Uint8Array.from(data.match(/../g) ?? [], (h) => Number.parseInt(h, 16)),
        line: i + 1,
      });
    } else if (kind === 's') {
      let status: { state: string; reason?: string };
      try {
        status = JSON.parse(data);
      } catch {
        return fail(i + 1, 'the status is not JSON');
      }
      if (typeof status?.state !== 'string') fail(i + 1, 'the status needs a "state"');
      events.push({ kind: 's', atMs, status, line: i + 1 });
    } else {
      fail(i + 1, `unknown event kind "${kind}" (expected n or s)`);
    }
  }
  return { header, events };
}

/** One line of a recording, without the newline. */
export function recordingLine(event: RecordedEvent): string {
  const at = event.atMs.toFixed(3);
  if (event.kind === 'n') return `${at}\tn\t${Buffer.from(event.payload).toString('hex')}`;
  return `${at}\ts\t${JSON.stringify(event.status)}`;
}

export function recordingHead(header: RecordingHeader): string {
  return `${RECORDING_MAGIC}\n${JSON.stringify(header)}\n`;
}

/**
 * The RR intervals a recording carries, decoded from its notifications, for analysis. A disconnect marks a gap before
 * the next beat. A payload that does not decode fails the whole file, naming its line.
 */
export function rrFromRecording(recording: Recording, file: string): { rrMs: Float64Array; gapBefore: boolean[] } {
  const rrMs: number[] = [];
  const gapBefore: boolean[] = [];
  let gapPending = false;
  for (const e of recording.events) {
    if (e.kind === 's') {
      if (e.status.state === 'disconnected') gapPending = rrMs.length > 0;
      continue;
    }
    const m = decodeHeartRateMeasurement(e.payload);
    if (isHrmError(m)) throw new RrFileError('RR_FILE_BAD_VALUE', file, e.line, m.message);
    for (const ticks of m.rrTicks) {
      rrMs.push(ticksToMs(ticks));
      gapBefore.push(gapPending);
      gapPending = false;
    }
  }
  return { rrMs: Float64Array.from(rrMs), gapBefore };
}
