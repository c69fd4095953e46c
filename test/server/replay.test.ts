/**
 * A whole recording through the whole daemon — replay source → beat timeline → live metrics → SQLite → REST — then
 * what was stored and every export against the file itself.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyze } from '../../src/hrv/analyze.js';
import { parseRrText } from '../../src/io/rr-file.js';
import { parseTablesideBeats } from '../../src/io/tableside-format.js';
import { eventually, type Rig, recordingRr, replaySource, rig } from './harness.js';

let r: Rig;
let fileRr: number[];
let sessionId: number;

beforeEach(async () => {
  fileRr = await recordingRr();
  r = await rig({ source: await replaySource('max'), autoSession: { clientLabel: 'replay test', therapistNote: '' } });
  r.daemon.start();
  sessionId = (r.daemon.currentSession as { id: number }).id;
  await eventually(() => r.daemon.currentSession === null, 'the replay to end');
});
afterEach(async () => {
  await r.close();
});

const get = (url: string) => r.app.inject({ method: 'GET', url });

describe('a replay through the daemon', () => {
  it('stores every beat of the file, in order, and ends the session', async () => {
    const beats = r.store.getBeats(sessionId);
    expect(beats.map((b) => b.rrMs)).toEqual(fileRr);
    expect(beats.map((b) => b.seq)).toEqual(fileRr.map((_, i) => i));
    expect(beats.every((b) => !b.gapBefore && b.kind !== null)).toBe(true);
    // Beat time is the running sum of RR (no gap in this file).
    let tS = 0;
    expect(beats.map((b) => b.tS)).toEqual(fileRr.map((rr) => (tS += rr / 1000)));

    const detail = (await get(`/api/sessions/${sessionId}`)).json();
    expect(detail.session).toMatchObject({ id: sessionId, status: 'ended', clientLabel: 'replay test' });
    expect(detail.session.sourceKind).toBe('replay');
    expect(detail.beatCount).toBe(fileRr.length);
    expect(detail.summary.beats).toBe(fileRr.length);
    const list = (await get('/api/sessions')).json();
    expect(list.sessions[0]).toMatchObject({ id: sessionId, beatCount: fileRr.length });
  });

  it('exports CSV that reads back as the same beats', async () => {
    const res = await get(`/api/sessions/${sessionId}/export?format=csv`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="tableside-session-${sessionId}.csv"`);

    const back = parseRrText(res.body, 'export.csv');
    expect(back.format).toBe('tableside-beats-v1');
    expect(Array.from(back.rrMs)).toEqual(fileRr);
    expect(back.gapBefore).toEqual(fileRr.map(() => false));
    expect(back.startedAt).toBe(r.store.getSession(sessionId)?.startedAt);
    // Full fidelity: seq, beat time and flags as stored.
    const stored = r.store.getBeats(sessionId);
    const full = parseTablesideBeats(res.body, 'export.csv');
    expect(full.beats.map((b) => [b.seq, b.tS, b.rrMs])).toEqual(stored.map((b) => [b.seq, b.tS, b.rrMs]));
    expect(full.beats.map((b) => (b.flags & 2) !== 0)).toEqual(stored.map((b) => b.kind !== 'normal'));
    expect(full.meta).toMatchObject({ session: String(sessionId), client: 'replay test', status: 'ended' });
  });

  it('exports RR text that analyses to the same numbers as the original file', async () => {
    const res = await get(`/api/sessions/${sessionId}/export?format=rr`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="tableside-session-${sessionId}-rr.txt"`);
    expect(res.body).toBe(`${fileRr.join('\n')}\n`);

    const back = parseRrText(res.body, 'export.txt');
    expect(back.format).toBe('rr-text');
    const exported = analyze(back.rrMs);
    const original = analyze(fileRr);
    expect(exported).toEqual(original);
    expect(original.rmssdMs).not.toBeNull();
  });

  it('exports JSON with everything stored and the summary', async () => {
    const res = await get(`/api/sessions/${sessionId}/export?format=json`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(res.headers['content-disposition']).toBe(`attachment; filename="tableside-session-${sessionId}.json"`);
    const doc = res.json();
    expect(doc).toMatchObject({ format: 'tableside-session', version: 1, session: { id: sessionId } });
    expect(doc.beats).toEqual(JSON.parse(JSON.stringify(r.store.getBeats(sessionId))));
    expect(doc.beats[0]).toEqual({
      seq: 0,
      tS: fileRr[0] / 1000,
      rrMs: fileRr[0],
      gapBefore: false,
      kind: 'normal',
      flags: 0,
    });
    // Every beat got its metrics once the stream ended (the look-ahead beats are flushed).
    expect(doc.metrics.map((m: { seq: number }) => m.seq)).toEqual(fileRr.map((_, i) => i));
    expect(doc.statuses.map((s: { state: string }) => s.state)).toEqual(['live', 'ended']);
    expect(doc.gaps).toEqual([]);
    expect(doc.summary).toEqual((await get(`/api/sessions/${sessionId}`)).json().summary);
  });

  it('defaults the export to CSV', async () => {
    const res = await get(`/api/sessions/${sessionId}/export`);
    expect(res.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(res.body.startsWith('# tableside beats v1\n')).toBe(true);
  });
});
