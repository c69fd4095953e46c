import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PipelineEvent } from '../../src/domain/events.js';
import { deleteSession } from '../../src/store/admin.js';
import type { StoreError } from '../../src/store/errors.js';
import { beats, metrics, NEW_SESSION, T0_MS, tempDatabases } from './fixtures.js';

const db = tempDatabases();
beforeEach(db.setUp);
afterEach(db.tearDown);

/** A wall clock that advances one minute per call. */
function minuteClock(startMs = T0_MS) {
  let t = startMs - 60_000;
  return () => {
    t += 60_000;
    return t;
  };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as StoreError).code;
  }
  return undefined;
}

describe('sessions', () => {
  it('creates a recording session with its source, device and engine parameters', () => {
    const store = db.open(db.path(), { now: () => T0_MS });
    const created = store.createSession({ ...NEW_SESSION, device: { name: 'Polar H10 A1B2', id: 'aa:bb' } });
    expect(created).toEqual({
      id: 1,
      startedAt: '2024-05-01T10:00:00.000Z',
      endedAt: null,
      status: 'recording',
      clientLabel: 'client A',
      therapistNote: 'neck and shoulders',
      sourceKind: 'simulated',
      sourceLabel: 'simulated strap (seed 7)',
      device: { name: 'Polar H10 A1B2', id: 'aa:bb' },
      params: { rmssdWindowS: 60, correction: true },
      lastBeatTS: null,
      beatCount: 0,
      durationS: 0,
      stream: 'client',
      groupId: null,
      clientId: null,
    });
    expect(store.getSession(created.id)).toEqual(created);
    expect(store.getSession(99)).toBeUndefined();
  });

  it("keeps a second strap's stream as a companion of the session, deleted with it", () => {
    const store = db.open(db.path(), { now: () => T0_MS });
    const session = store.createSession(NEW_SESSION);
    const therapist = store.createSession({ ...NEW_SESSION, stream: 'therapist', groupId: session.id });
    store.writeBatch(therapist.id, beats(0, 10));
    expect(therapist).toMatchObject({ stream: 'therapist', groupId: session.id });
    expect(store.getCompanions(session.id).map((s) => s.id)).toEqual([therapist.id]);
    expect(store.getCompanions(therapist.id)).toEqual([]);
    // The foreign key cascades: deleting the session deletes its companion stream with its beats.
    store.endSession(therapist.id);
    store.endSession(session.id);
    store.close();
    const rw = new Database(db.path());
    rw.pragma('foreign_keys = ON');
    rw.prepare('DELETE FROM sessions WHERE id = ?').run(session.id);
    const left = rw.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number };
    const beatsLeft = rw.prepare('SELECT count(*) AS n FROM beats').get() as { n: number };
    rw.close();
    expect({ sessions: left.n, beats: beatsLeft.n }).toEqual({ sessions: 0, beats: 0 });
  });

  it('lists sessions newest first with beat count and duration', () => {
    const store = db.open(db.path(), { now: minuteClock() });
    const a = store.createSession({ ...NEW_SESSION, clientLabel: 'first' });
    store.writeBatch(a.id, beats(0, 30));
    const b = store.createSession({ ...NEW_SESSION, clientLabel: 'second' });

    expect(store.listSessions().map((s) => [s.clientLabel, s.beatCount, s.durationS])).toEqual([
      ['second', 0, 0],
      ['first', 30, 30],
    ]);
    expect(store.listSessions()[1].id).toBe(a.id);
    expect(b.id).toBeGreaterThan(a.id);
  });

  it('ends a session: status, end time, and its open phase closed at the last beat', () => {
    const store = db.open(db.path(), { now: minuteClock() });
    const { id } = store.createSession(NEW_SESSION);
    store.setPhase(id, 'baseline', 0);
    store.writeBatch(id, beats(0, 90));
    const ended = store.endSession(id);
    expect(ended).toMatchObject({ status: 'ended', endedAt: '2024-05-01T10:01:00.000Z', lastBeatTS: 90 });
    expect(store.getPhases(id)).toEqual([{ id: 1, sessionId: id, kind: 'baseline', startedAtS: 0, endedAtS: 90 }]);
    // Ending again changes nothing.
    expect(store.endSession(id, 'interrupted')).toEqual(ended);
    expect(codeOf(() => store.endSession(77))).toBe('STORE_NOT_FOUND');
  });

  it('deletes an ended session with everything stored with it; refuses a recording one', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    const events: PipelineEvent[] = [...beats(0, 5), metrics(0, 1)];
    store.writeBatch(id, events);
    store.addMarker(id, { kind: 'note', value: 'client relaxed', atS: 3 });
    expect(codeOf(() => deleteSession(store, id))).toBe('STORE_RECORDING');

    store.endSession(id);
    expect(deleteSession(store, id)).toBe(true);
    expect(store.getSession(id)).toBeUndefined();
    expect(store.getBeats(id)).toEqual([]);
    expect(store.getMetrics(id)).toEqual([]);
    expect(store.getMarkers(id)).toEqual([]);
    expect(deleteSession(store, id)).toBe(false);
    // A deleted session's id is never handed out again.
    expect(store.createSession(NEW_SESSION).id).toBe(id + 1);
  });
});

describe('recoverInterrupted', () => {
  it('marks a session whose store was never closed as interrupted, keeping its beats (same process)', () => {
    const crashed = db.open();
    const { id } = crashed.createSession(NEW_SESSION);
    crashed.setPhase(id, 'massage', 0);
    crashed.writeBatch(id, beats(0, 120));
    // No close: a second store on the same file plays the next daemon start.

    const lines: string[] = [];
    const log = pino({}, { write: (line: string) => lines.push(line) });
    const next = db.open(db.path(), { log, now: () => T0_MS });
    const done = next.createSession(NEW_SESSION);
    next.endSession(done.id);

    expect(next.recoverInterrupted()).toEqual([id]);
    expect(next.getSession(id)).toMatchObject({
      status: 'interrupted',
      endedAt: '2024-05-01T10:00:00.000Z',
      lastBeatTS: 120,
    });
    expect(next.getSession(done.id)?.status).toBe('ended');
    expect(next.getBeats(id)).toHaveLength(120);
    expect(next.getPhases(id)[0]).toMatchObject({ kind: 'massage', endedAtS: 120 });
    expect(next.listSessions().find((s) => s.id === id)).toMatchObject({ beatCount: 120, durationS: 120 });
    expect(lines.some((l) => JSON.parse(l).sessionId === id && JSON.parse(l).level === 40)).toBe(true);
    expect(next.recoverInterrupted()).toEqual([]);
  });

  it('recovers a session whose process was killed with SIGKILL mid-session', () => {
    const writer = fileURLToPath(new URL('./fixtures/crash-writer.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', writer, db.path()], { encoding: 'utf8' });
    expect(run.signal, run.stderr).toBe('SIGKILL');
    expect(existsSync(`${db.path()}-wal`)).toBe(true);
    const id = Number(run.stdout.trim());

    const store = db.open();
    expect(store.recoverInterrupted()).toEqual([id]);
    expect(store.getSession(id)?.status).toBe('interrupted');
    expect(store.getBeats(id)).toHaveLength(100);
  });
});

describe('phases', () => {
  it('closes the open phase where the next one starts', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    store.setPhase(id, 'baseline', 0);
    store.setPhase(id, 'massage', 120.5);
    const recovery = store.setPhase(id, 'recovery', 1800);
    expect(recovery).toEqual({ id: 3, sessionId: id, kind: 'recovery', startedAtS: 1800, endedAtS: null });
    expect(store.getPhases(id).map((p) => [p.kind, p.startedAtS, p.endedAtS])).toEqual([
      ['baseline', 0, 120.5],
      ['massage', 120.5, 1800],
      ['recovery', 1800, null],
    ]);
  });

  it('refuses a phase before the open one started, an unknown kind, an unknown or ended session', () => {
    const store = db.open();
    const { id } = store.createSession(NEW_SESSION);
    store.setPhase(id, 'baseline', 60);
    expect(codeOf(() => store.setPhase(id, 'massage', 30))).toBe('STORE_CONSTRAINT');
    expect(codeOf(() => store.setPhase(id, 'warm-up' as 'massage', 90))).toBe('STORE_CONSTRAINT');
    expect(store.getPhases(id)).toEqual([{ id: 1, sessionId: id, kind: 'baseline', startedAtS: 60, endedAtS: null }]);
    expect(codeOf(() => store.setPhase(99, 'massage', 90))).toBe('STORE_NOT_FOUND');
    store.endSession(id);
    expect(codeOf(() => store.setPhase(id, 'recovery', 90))).toBe('STORE_ENDED');
  });
});

describe('markers', () => {
  it('adds markers and undoes one, keeping it with its undone flag', () => {
    const store = db.open(db.path(), { now: () => T0_MS });
    const { id } = store.createSession(NEW_SESSION);
    const technique = store.addMarker(id, { kind: 'technique', value: 'effleurage', atS: 10.25 });
    const region = store.addMarker(id, { kind: 'region', value: 'neck', atS: 5 });
    expect(technique).toEqual({
      id: 1,
      sessionId: id,
      atS: 10.25,
      kind: 'technique',
      value: 'effleurage',
      undone: false,
      createdAtMs: T0_MS,
    });

    expect(store.undoMarker(id, technique.id)).toEqual({ ...technique, undone: true });
    expect(store.getMarkers(id).map((m) => [m.id, m.kind, m.undone])).toEqual([
      [region.id, 'region', false],
      [technique.id, 'technique', true],
    ]);
  });

  it('refuses undoing an unknown marker or another session’s, and markers on an unknown session', () => {
    const store = db.open();
    const a = store.createSession(NEW_SESSION);
    const b = store.createSession(NEW_SESSION);
    const marker = store.addMarker(a.id, { kind: 'note', value: 'coughs', atS: 1 });
    expect(codeOf(() => store.undoMarker(a.id, 999))).toBe('STORE_NOT_FOUND');
    expect(codeOf(() => store.undoMarker(b.id, marker.id))).toBe('STORE_NOT_FOUND');
    expect(store.getMarkers(a.id)[0].undone).toBe(false);
    expect(codeOf(() => store.addMarker(99, { kind: 'note', value: 'x', atS: 1 }))).toBe('STORE_NOT_FOUND');
    expect(codeOf(() => store.addMarker(a.id, { kind: 'mood' as 'note', value: 'x', atS: 1 }))).toBe(
      'STORE_CONSTRAINT',
    );
  });
});
