/**
 * The raw recording export closes the loop: a simulated strap's session, exported as a tableside recording, reads
 * back to the RR values stored, and replays through the whole daemon to the same beats.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseRrText } from '../../src/io/rr-file.js';
import { parseRecording } from '../../src/io/tableside-recording.js';
import { recordingSource } from '../../src/sources/replay.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { eventually, type Rig, replaySource, rig } from './harness.js';

const rigs: Rig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});

async function recordedSession(source: Parameters<typeof rig>[0]['source']) {
  const r = await rig({ source, autoSession: { clientLabel: 'export', therapistNote: '' } });
  rigs.push(r);
  r.daemon.start();
  const id = r.daemon.currentSessionId as number;
  await eventually(() => r.daemon.currentSessionId === null, 'the session to end');
  return { r, id };
}

describe('export --format recording', () => {
  it('writes the notifications and link losses of a simulated session; they read back and replay to the same beats', async () => {
    const { r, id } = await recordedSession(
      simulatedSource({ seed: 11, durationS: 240, dropouts: [[100, 8]], speed: 'max' }),
    );
    const res = await r.app.inject(`/api/sessions/${id}/export?format=recording`);
    expect(res.statusCode).toBe(200);
    const stored = r.store.getBeats(id);
    expect(stored.length).toBeGreaterThan(200);
    expect(stored.some((b) => b.gapBefore)).toBe(true);

    // Read back as RR: exactly the stored raw RR, the gap where it was.
    const rr = parseRrText(res.body, 'session.tsr');
    expect(Array.from(rr.rrMs)).toEqual(stored.map((b) => b.rrMs));
    expect(rr.gapBefore).toEqual(stored.map((b) => b.gapBefore));

    // Replayed through a second daemon: the same beats at the same beat times.
    const recording = parseRecording(res.body, 'session.tsr');
    const again = await recordedSession(recordingSource(recording, 'session.tsr', 'max'));
    const replayed = again.r.store.getBeats(again.id);
    expect(replayed.map((b) => b.rrMs)).toEqual(stored.map((b) => b.rrMs));
    expect(replayed.map((b) => b.gapBefore)).toEqual(stored.map((b) => b.gapBefore));
    for (const [i, b] of replayed.entries()) expect(b.tS).toBeCloseTo(stored[i].tS, 6);
  });

  it('refuses a session replayed from an RR file (no notifications to write), with a code', async () => {
    const { r, id } = await recordedSession(await replaySource('max'));
    const res = await r.app.inject(`/api/sessions/${id}/export?format=recording`);
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'EXPORT_NOT_AVAILABLE' });
  });
});
