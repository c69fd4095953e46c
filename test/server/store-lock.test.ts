/**
 * Another program holding the database's write lock for a while (a backup, an SQLite browser, a second tableside),
 * under the running daemon: the real Daemon and app, a real SQLite file, the lock held by another process. The live
 * path does not wait on SQLite's busy timeout: the daemon keeps answering, the beats wait in memory — no viewer is
 * shown a beat before it is stored, and the viewers are told why beats stopped — and once the lock clears every beat
 * is stored and every viewer gets every beat, once, in order. (How long the event loop stalls meanwhile is a
 * benchmark figure: `npm run bench -- daemon`.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { simulatedSource } from '../../src/sources/simulated.js';
import { holdWriteLockElsewhere } from '../helpers/disk-faults.js';
import { knownBeats } from '../helpers/viewer-knowledge.js';
import { type Message, type Rig, rig, type Viewer } from './harness.js';

let r: Rig | undefined;
let holder: ReturnType<typeof holdWriteLockElsewhere> | undefined;
afterEach(async () => {
  await holder?.release();
  holder = undefined;
  await r?.close();
  r = undefined;
});

const isRecording = (state: string) => (m: Message) => m.type === 'recording' && m.state === state;
const told = (v: Viewer, state: string) => v.until((ms) => ms.some(isRecording(state)), `recording ${state}`);

describe('a database locked by another program for a while', () => {
  it('keeps the daemon answering, holds the beats until they are stored, then stores and shows every one', async () => {
    // The default busy timeout (5 s) bounds the wait; the lock below is held for a fraction of it.
    r = await rig({
      source: simulatedSource({ seed: 5, speed: 50, durationS: 36_000 }),
      autoSession: { clientLabel: '', therapistNote: '' },
    });
    const rig_ = r;
    rig_.daemon.start();
    const id = rig_.daemon.currentSessionId as number;
    const viewer = await rig_.connect();
    await viewer.untilBeats(20);

    holder = holdWriteLockElsewhere(rig_.store.path);
    await holder.locked;
    await told(viewer, 'waiting');
    // The daemon answers while the lock is still held: its event loop is not waiting on SQLite.
    const health = await rig_.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ ok: true, recording: true });
    // A viewer joining now gets the session so far, and is told that beats are waiting.
    const late = await rig_.connect();
    await told(late, 'waiting');
    // Beats go on arriving from the strap meanwhile; they wait.
    await new Promise((resolve) => setTimeout(resolve, 500));
    await holder.release();
    holder = undefined;

    await told(viewer, 'recording');
    const resumedAt = viewer.messages.findIndex(isRecording('recording'));
    const waitingAt = viewer.messages.findIndex(isRecording('waiting'));
    await viewer.until((ms) => ms.slice(resumedAt).filter((m) => m.type === 'beat').length >= 20, 'beats after');
    rig_.daemon.endSession();
    await viewer.untilSessionEnded();
    await late.untilSessionEnded();

    // Nothing was shown while the lock was held: every beat shown was stored first.
    expect(viewer.messages.slice(waitingAt, resumedAt).filter((m) => m.type === 'beat')).toEqual([]);
    // What waited was shown at once after: the strap's beats of the whole wait.
    expect(viewer.messages[resumedAt + 1]?.type).toMatch(/^(beat|metrics|status)$/);
    // Recording never stopped, and every beat is stored and was seen by both viewers, once, in order.
    expect(viewer.of('recording').map((m) => m.state)).toEqual(['waiting', 'recording']);
    expect(late.of('recording').map((m) => m.state)).toEqual(['waiting', 'recording']);
    const stored = rig_.store.getBeats(id);
    expect(rig_.store.getSession(id)?.beatCount).toBe(stored.length);
    expect(stored.map((b) => b.seq)).toEqual(stored.map((_, i) => i));
    for (const v of [viewer, late]) {
      const known = knownBeats(v.messages);
      expect(known.seq).toEqual(stored.map((b) => b.seq));
      expect(known.rrMs).toEqual(stored.map((b) => b.rrMs));
    }
    const metricSeqs = rig_.store.getMetrics(id).map((m) => m.seq);
    expect(viewer.of('metrics').map((m) => m.seq)).toEqual(metricSeqs);
    expect(rig_.logs.some((l) => /recording stopped/.test(String(l.msg)))).toBe(false);
  });
});
