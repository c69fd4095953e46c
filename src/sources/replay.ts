/**
 * Replay of a recorded file through the same pipeline as a live strap.
 *
 * - A tableside recording (raw notifications with arrival times) replays its notifications and status changes at
 *   their recorded times, so replay also exercises the 0x2A37 parser and the beat timeline.
 * - Any RR file the engine reads replays each interval at its end time (cumulative RR), as an RR-only sample.
 *
 * The file is read and checked before the source exists (`loadReplaySource`), so a bad file is reported before the
 * daemon starts, never half-way through a session.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { HeartRateSource } from '../domain/source.js';
import { RrFileError, type RrReadOptions, readRrFile } from '../io/rr-file.js';
import { isRecordingText, parseRecording, type Recording } from '../io/tableside-recording.js';
import { paced, type Speed } from './pacing.js';

export async function loadReplaySource(
  path: string,
  speed: Speed,
  options: RrReadOptions = {},
): Promise<HeartRateSource> {
  const head = await readFile(path, { encoding: 'utf8', flag: 'r' }).catch(() => null);
  if (head !== null && isRecordingText(head)) {
    if (options.units !== undefined) {
      const reason = `a tableside recording carries the strap's own 1/1024 s units: leave --units ${options.units} out`;
      throw new RrFileError('RR_FILE_UNIT', path, undefined, reason);
    }
    return recordingSource(parseRecording(head, path), basename(path), speed);
  }
  const rr = await readRrFile(path, options);
  return rrSource(rr.rrMs, rr.gapBefore, basename(path), speed);
}

function device(name: string) {
  return { name: `replay: ${name}`, id: `replay:${name}` };
}

export function recordingSource(recording: Recording, name: string, speed: Speed): HeartRateSource {
  return {
    kind: 'replay',
    label: name,
    get events$() {
      let i = -1;
      const events = recording.events;
      const end = events.length > 0 ? events[events.length - 1].atMs : 0;
      const dev = recording.header.device ?? device(name);
      return paced(() => {
        i++;
        if (i === 0) return { type: 'status', sourceTimeMs: 0, status: { state: 'live', device: dev } };
        if (i === events.length + 1) {
          return {
            type: 'status',
            sourceTimeMs: end,
            status: { state: 'ended', reason: 'end of recording', device: dev },
          };
        }
        if (i > events.length + 1) return null;
        const e = events[i - 1];
        if (e.kind === 'n') return { type: 'notification', sourceTimeMs: e.atMs, payload: e.payload };
        const state = e.status.state as 'live';
        return { type: 'status', sourceTimeMs: e.atMs, status: { state, reason: e.status.reason, device: dev } };
      }, speed);
    },
  };
}

export function rrSource(
  rrMs: ArrayLike<number>,
  gapBefore: ArrayLike<boolean | number> | undefined,
  name: string,
  speed: Speed,
): HeartRateSource {
  return {
    kind: 'replay',
    label: name,
    get events$() {
      let i = -1;
      let endMs = 0;
      const dev = device(name);
      return paced(() => {
        i++;
        if (i === 0) return { type: 'status', sourceTimeMs: 0, status: { state: 'live', device: dev } };
        if (i === rrMs.length + 1) {
          return {
            type: 'status',
            sourceTimeMs: endMs,
            status: { state: 'ended', reason: 'end of recording', device: dev },
          };
        }
        if (i > rrMs.length + 1) return null;
        const rr = rrMs[i - 1];
        endMs += rr;
        return { type: 'rr', sourceTimeMs: endMs, rrMs: [rr], gapBefore: Boolean(gapBefore?.[i - 1]) };
      }, speed);
    },
  };
}
