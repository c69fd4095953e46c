/**
 * The store refuses writes half-way through a session (as with a full disk): recording stops, the live view goes on.
 *
 * No fake: an SQLite trigger, planted through a second connection once the viewer has seen (so the store has
 * committed) the first beats, makes the real database refuse every later beat — the store's real `writeBatch` fails
 * its transaction, as SQLite would with SQLITE_FULL, and reads keep working as they do on a full disk. Planting it
 * after a beat count, not at a fixed seq, keeps the failure mid-way however the machine's load sizes the batches.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { type Rig, recordingRr, replaySource, rig } from './harness.js';

/** Beats the viewer sees before the database starts refusing them. */
const SEEN_BEFORE_FAILURE = 60;

function refuseBeats(dbPath: string): void {
  const db = new Database(dbPath);
  db.exec(`CREATE TRIGGER test_refuse_beats BEFORE INSERT ON beats
           BEGIN SELECT RAISE(ABORT, 'simulated write failure'); END`);
  db.close();
}

let r: Rig;
afterEach(async () => {
  await r.close();
});

describe('a store that fails mid-way', () => {
  it('keeps broadcasting every beat, says recording stopped, and keeps what was stored', async () => {
    const fileRr = await recordingRr();
    r = await rig({
      source: await replaySource(100), // paced: about 10 s, so the failure falls mid-way
      autoSession: { clientLabel: '', therapistNote: '' },
    });
    const viewer = await r.connect();
    r.daemon.start();
    const sessionId = (r.daemon.currentSession as { id: number }).id;
    await viewer.untilBeats(SEEN_BEFORE_FAILURE);
    refuseBeats(join(r.dir, 'tableside.db'));
    await viewer.untilSessionEnded();

    const stopped = viewer.of('recording');
    expect(stopped).toEqual([
      { type: 'recording', state: 'stopped', code: expect.stringMatching(/^STORE_/), reason: expect.any(String) },
    ]);
    // Viewers on the network never see the database path.
    expect(JSON.stringify(stopped)).not.toContain('.db');
    // The live view went on to the end of the file.
    expect(viewer.of('beat').map((b) => b.rrMs)).toEqual(fileRr);
    const afterStop = viewer.messages.slice(viewer.messages.indexOf(stopped[0] as never));
    expect(afterStop.some((m) => m.type === 'metrics' && m.rmssdMs !== null)).toBe(true);

    const health = (await r.app.inject({ method: 'GET', url: '/api/health' })).json();
    expect(health).toMatchObject({ ok: true, recording: false });
    // A viewer that connects now is told as well.
    const late = await r.connect();
    expect(await late.nth(0)).toMatchObject({ type: 'hello', recording: false });

    // What was committed before the failure is kept whole: a prefix of the file, nothing of the refused batch.
    const stored = r.store.getBeats(sessionId);
    expect(stored.length).toBeGreaterThanOrEqual(SEEN_BEFORE_FAILURE);
    expect(stored.length).toBeLessThan(fileRr.length);
    expect(stored.map((b) => b.rrMs)).toEqual(fileRr.slice(0, stored.length));
    const detail = await r.app.inject({ method: 'GET', url: `/api/sessions/${sessionId}` });
    expect(detail.statusCode).toBe(200);
    expect(detail.json().beatCount).toBe(stored.length);
    expect(r.logs.some((l) => l.msg === 'recording stopped: the session store failed; the live view goes on')).toBe(
      true,
    );
  });
});
