/**
 * kill -9 at random moments of a replay at speed, again and again, on one database: the real CLI in its own process
 * (`tableside replay`), a real WebSocket viewer, SIGKILL after a random number of beats (and a random few ms more, so
 * the kill lands anywhere in a commit), then a restart on the same database. After each restart: the killed session is
 * `interrupted`, every beat the viewer saw is stored with the same seq, beat time and RR, and the stored beats run
 * from seq 0 without a hole (no partial record). The next round's daemon is the restart of the round before.
 * (`npm test` builds dist/ first; these tests run bin/tableside.js.)
 */
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/sources/simulated-strap.js';
import { exited, openViewer, type RunningDaemon, startDaemon, tempDir, waitFor } from '../helpers/daemon-process.js';
import { fuzzSeed, reportReliability } from '../helpers/reliability.js';
import { knownBeats } from '../helpers/viewer-knowledge.js';

const ROUNDS = 20;
const SPEED = '500';
const RECORDINGS = ['recordings/pyhrv_nni_long_60min.txt', 'recordings/bartels_noisy_rri_polar.txt'];
/** The most beats a round waits for before the kill. */
const MAX_BEATS = 600;
const SEED = fuzzSeed(0x9);

interface SeenBeat {
  seq: number;
  tS: number;
  rrMs: number;
}

interface Round {
  sessionId: number;
  seen: SeenBeat[];
}

/** The beats a viewer knows for its session: the hello's backfill and its pieces, then every live `beat`. */
function beatsSeen(messages: readonly Record<string, unknown>[]): Round {
  const { sessionId, seq, tS, rrMs } = knownBeats(messages);
  return { sessionId, seen: seq.map((s: number, i: number) => ({ seq: s, tS: tS[i], rrMs: rrMs[i] })) };
}

/** How many beats the viewer knows so far: 0 before its hello with the session. */
function beatsKnown(messages: readonly Record<string, unknown>[]): number {
  if (!messages.some((m) => m.type === 'hello' && m.session !== null)) return 0;
  return knownBeats(messages).seq.length;
}

const tally = { rounds: 0, beatsSeen: 0, beatsStored: 0, missing: 0, startMs: [] as number[], roundMs: [] as number[] };

describe('kill -9 during a replay at speed, repeated', () => {
  const dir = tempDir('tableside-kill9-');
  afterAll(() => dir.remove());

  it(`after each of ${ROUNDS} kills and a restart, every beat a viewer saw is stored and the session is interrupted`, async () => {
    const db = `${dir.path}/t.db`;
    // Seeded (the simulated strap's generator), so the kill moments repeat run for run.
    const next = mulberry32(SEED);
    let previous: Round | null = null;
    let running: RunningDaemon | null = null;
    try {
      for (let round = 0; round <= ROUNDS; round++) {
        const roundStarted = performance.now();
        const file = RECORDINGS[round % RECORDINGS.length] as string;
        // The last start only restarts: it replays to the end and exits.
        const last = round === ROUNDS;
        running = await startDaemon([
          'replay',
          file,
          '--speed',
          last ? 'max' : SPEED,
          '--db',
          db,
          ...(last ? ['--exit'] : []),
        ]);
        tally.startMs.push(performance.now() - roundStarted);
        if (previous !== null) checkRestart(db, previous);
        if (last) break;

        const { ws, messages } = await openViewer(running.url);
        const beats = Math.floor(next() * (MAX_BEATS + 1));
        // The beats it knows, its backfill included: on a busy machine the viewer may connect late in the replay, and a
        // long backfill comes in pieces while the live beats wait behind them.
        await waitFor(() => beatsKnown(messages) >= beats, 30_000, `${beats} beats`);
        const extraMs = Math.floor(next() * 25);
        if (extraMs > 0) await new Promise((resolve) => setTimeout(resolve, extraMs));
        running.child.kill('SIGKILL');
        expect(await exited(running.child)).toBeNull();
        expect(running.child.signalCode).toBe('SIGKILL');
        ws.terminate();
        previous = beatsSeen(messages);
        tally.rounds++;
        tally.beatsSeen += previous.seen.length;
        tally.roundMs.push(performance.now() - roundStarted);
      }
      expect(await exited((running as RunningDaemon).child)).toBe(0);
    } finally {
      running?.child.kill('SIGKILL');
    }
    expect(tally.rounds).toBe(ROUNDS);
    expect(tally.missing).toBe(0);
    expect(tally.beatsSeen).toBeGreaterThan(ROUNDS * 10);
  }, 120_000);
});

/** After the restart: the killed session is interrupted and holds every beat its viewer saw, and nothing partial. */
function checkRestart(dbPath: string, round: Round): void {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const session = db
      .prepare('SELECT status, beat_count AS beatCount FROM sessions WHERE id = ?')
      .get(round.sessionId) as { status: string; beatCount: number } | undefined;
    expect(session?.status, `session ${round.sessionId}`).toBe('interrupted');
    const rows = db
      .prepare('SELECT seq, t_s AS tS, rr_ms AS rrMs FROM beats WHERE session_id = ? ORDER BY seq')
      .all(round.sessionId) as SeenBeat[];
    // No hole: the stored beats are seq 0, 1, 2, … (a batch is stored whole or not at all), counted as stored.
    for (const [i, b] of rows.entries()) expect(b.seq, `session ${round.sessionId}`).toBe(i);
    expect(session?.beatCount).toBe(rows.length);
    const metricsBeyond = db
      .prepare('SELECT count(*) FROM metrics WHERE session_id = ? AND seq >= ?')
      .pluck()
      .get(round.sessionId, rows.length) as number;
    expect(metricsBeyond, 'metrics for beats that were not stored').toBe(0);
    for (const beat of round.seen) {
      const stored = rows[beat.seq];
      if (stored === undefined || stored.tS !== beat.tS || stored.rrMs !== beat.rrMs) tally.missing++;
      expect(stored, `beat ${beat.seq} of session ${round.sessionId}, broadcast before the kill`).toEqual(beat);
    }
    tally.beatsStored += rows.length;
  } finally {
    db.close();
  }
}

afterAll(() => {
  if (tally.rounds !== ROUNDS) return;
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  reportReliability('kill9', {
    line:
      `kill -9: ${tally.rounds} rounds, ${tally.beatsSeen} beats seen, all stored (${tally.missing} missing; ` +
      `${tally.beatsStored} stored in the killed sessions, every one marked interrupted; replay at ${SPEED}×, ` +
      `a start takes ${Math.round(median(tally.startMs))} ms, a round ${Math.round(median(tally.roundMs))} ms, median; seed ${SEED})`,
    command: 'npm run build && npx vitest run test/cli/kill9.e2e.test.ts',
    figures: {
      rounds: tally.rounds,
      beatsSeen: tally.beatsSeen,
      beatsStored: tally.beatsStored,
      missing: tally.missing,
      speed: Number(SPEED),
      medianStartMs: Math.round(median(tally.startMs)),
      medianRoundMs: Math.round(median(tally.roundMs)),
      seed: SEED,
    },
  });
});
