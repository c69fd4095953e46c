/**
 * A strap that floods notifications or sends nonsense RR, through the real daemon: a custom HeartRateSource feeding
 * the real pipeline (beat timeline, artefact layer, rolling engine), a real SQLite file and a real viewer socket.
 *
 * What must hold: the daemon stays up and stores everything the strap sent (every notification as a sample); no
 * metric is computed from nonsense — RMSSD and HF stay null while the window holds it, and the viewer is told why in
 * `quality` (settling, too irregular) or by a `gap` with its reason; beats that are beats are flagged by the artefact
 * layer; values that are no interval at all never become beats; beat time stays finite and strictly increasing;
 * memory stays bounded however long the flood; and clean beats after (or between) the nonsense give numbers again.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { encodeHeartRateMeasurement } from '../../src/domain/hrm.js';
import type { HeartRateSource } from '../../src/domain/source.js';
import { RollingEngine } from '../../src/hrv/rolling.js';
import { msToTicks } from '../../src/hrv/units.js';
import { MAX_RR_MS } from '../../src/io/text.js';
import { MAX_AHEAD_S } from '../../src/pipeline/timeline.js';
import { paced } from '../../src/sources/pacing.js';
import { reportReliability } from '../helpers/reliability.js';
import { type Message, type Rig, recordingRr, rig, type Viewer } from '../server/harness.js';

setFlagsFromString('--expose_gc');
const gc = runInNewContext('gc') as () => void;

/** What a source emits, before pacing stamps `receivedAtMs`. */
type Unstamped =
  | { type: 'notification'; sourceTimeMs: number; payload: Uint8Array }
  | { type: 'rr'; sourceTimeMs: number; rrMs: number[] }
  | { type: 'status'; sourceTimeMs: number; status: { state: 'live' } };

/** A strap that sends `events` as fast as the daemon takes them; `onPull(i)` runs before event i is released. */
function strap(events: (i: number) => Unstamped | null, onPull?: (i: number) => void): HeartRateSource {
  return {
    kind: 'ble',
    label: 'hostile strap',
    get events$() {
      let i = 0;
      return paced(() => {
        onPull?.(i);
        return events(i++);
      }, 'max');
    },
  };
}

const note = (sourceTimeMs: number, rrTicks: number[]): Unstamped => ({
  type: 'notification',
  sourceTimeMs,
  payload: encodeHeartRateMeasurement({ hrBpm: 70, rrTicks }),
});

let r: Rig | undefined;
afterEach(async () => {
  await r?.close();
  r = undefined;
});

/** Runs the daemon on `source` until the strap has sent everything and the session ended; returns its id. */
async function runDaemon(source: HeartRateSource): Promise<{ rig: Rig; viewer: Viewer; sessionId: number }> {
  r = await rig({ source, demo: false, autoSession: { clientLabel: 'hostile strap', therapistNote: '' } });
  const viewer = await r.connect();
  await viewer.nth(0);
  r.daemon.start();
  await viewer.untilSessionEnded();
  const hello = viewer.messages.find((m) => m.type === 'hello' && m.session !== null) as Message;
  return { rig: r, viewer, sessionId: hello.session.session.id as number };
}

interface StoredBeat {
  seq: number;
  tS: number;
  rrMs: number;
  kind: string | null;
}

function stored(rig: Rig, sessionId: number) {
  const db = new Database(`${rig.dir}/tableside.db`, { readonly: true });
  try {
    const beats = db
      .prepare('SELECT seq, t_s AS tS, rr_ms AS rrMs, kind FROM beats WHERE session_id = ? ORDER BY seq')
      .all(sessionId) as StoredBeat[];
    const samples = db.prepare('SELECT count(*) FROM samples WHERE session_id = ?').pluck().get(sessionId) as number;
    const sampleErrors = db
      .prepare('SELECT error FROM samples WHERE session_id = ? AND error IS NOT NULL')
      .pluck()
      .all(sessionId) as string[];
    const rmssd = db
      .prepare('SELECT count(*) FROM metrics WHERE session_id = ? AND rmssd_ms IS NOT NULL')
      .pluck()
      .get(sessionId) as number;
    const status = db.prepare('SELECT status FROM sessions WHERE id = ?').pluck().get(sessionId) as string;
    return { beats, samples, sampleErrors, rmssd, status };
  } finally {
    db.close();
  }
}

function storedRmssd(rig: Rig, sessionId: number): Map<number, number | null> {
  const db = new Database(`${rig.dir}/tableside.db`, { readonly: true });
  try {
    const rows = db.prepare('SELECT seq, rmssd_ms AS rmssd FROM metrics WHERE session_id = ?').all(sessionId) as {
      seq: number;
      rmssd: number | null;
    }[];
    return new Map(rows.map((row) => [row.seq, row.rmssd]));
  } finally {
    db.close();
  }
}

/** Beat time is finite and strictly increasing, seq counts up, every stored RR is an interval. */
function expectSaneBeats(beats: readonly StoredBeat[]): void {
  let lastTS = Number.NEGATIVE_INFINITY;
  beats.forEach((b, i) => {
    if (b.seq !== i || !Number.isFinite(b.tS) || b.tS <= lastTS || !(b.rrMs > 0 && Number.isFinite(b.rrMs))) {
      throw new Error(`beat ${i}: ${JSON.stringify(b)} after t ${lastTS}`);
    }
    lastTS = b.tS;
  });
}

const metricsOf = (v: Viewer) => v.of('metrics');
const report: Record<string, string> = {};
const figures: Record<string, number> = {};

describe('a strap that floods notifications', () => {
  it('1000 notifications a second for 30 s: stored, never measured, reported as gaps, memory flat', async () => {
    const rest = await recordingRr();
    const FLOOD_S = 30;
    const PER_S = 1000;
    const total = FLOOD_S * PER_S;
    const heapMb: Record<number, number> = {};
    const source = strap(
      (i) => (i < total ? note(i, [Math.round(msToTicks(rest[i % rest.length] as number))]) : null),
      (i) => {
        if (i === total / 4 || i === total) {
          gc();
          heapMb[i] = process.memoryUsage().heapUsed / 2 ** 20;
        }
      },
    );
    // A lean viewer: counts what it sees and keeps only the last metrics, so it does not hold 120 000 messages itself.
    r = await rig({ source, demo: false, autoSession: { clientLabel: 'flood', therapistNote: '' } });
    const seen = { beat: 0, gap: 0, metrics: 0, withRmssd: 0, withHf: 0, settling: 0, withReason: 0, aheadGaps: 0 };
    let lastMetrics: Message | null = null;
    let socket: WebSocket | undefined;
    await r.app.injectWS('/ws', {}, { onInit: (ws) => (socket = ws) });
    const done = new Promise<void>((resolve) =>
      socket?.on('message', (data) => {
        const m = JSON.parse(String(data)) as Message;
        if (m.type === 'beat') seen.beat++;
        else if (m.type === 'gap') {
          seen.gap++;
          if (/ahead of their arrival/.test(m.reason)) seen.aheadGaps++;
        } else if (m.type === 'metrics') {
          seen.metrics++;
          if (m.rmssdMs !== null) seen.withRmssd++;
          if (m.hfMs2 !== null) seen.withHf++;
          if (m.quality.settling) seen.settling++;
          if (m.quality.reason !== null) seen.withReason++;
          lastMetrics = m;
        } else if (m.type === 'session' && m.event === 'ended') {
          resolve();
        }
      }),
    );
    const started = performance.now();
    r.daemon.start();
    await done;
    const elapsedS = (performance.now() - started) / 1000;
    const s = stored(r, (r.store.listSessions()[0] as { id: number }).id);

    // Everything the strap sent is kept: every notification as a sample, every RR as a beat.
    expect(s.samples).toBe(total);
    expect(s.beats.length).toBe(total);
    expectSaneBeats(s.beats);
    expect(seen.beat).toBe(total);
    // No metric from a stream that runs 800× faster than time: RMSSD and HF never valid, and the viewer is told.
    expect(s.rmssd).toBe(0);
    expect(seen.withRmssd).toBe(0);
    expect(seen.withHf).toBe(0);
    expect(seen.metrics).toBe(total);
    expect(seen.withReason).toBe(total);
    expect(seen.settling).toBeGreaterThan(total * 0.99);
    expect(seen.aheadGaps).toBeGreaterThan(FLOOD_S);
    expect(seen.gap).toBe(seen.aheadGaps);
    expect((lastMetrics as Message | null)?.quality.gapInWindow).toBe(true);
    // Memory flat: the last three quarters of the flood add (almost) nothing to the heap.
    const growthMb = (heapMb[total] as number) - (heapMb[total / 4] as number);
    expect(growthMb).toBeLessThan(16);
    // The daemon still answers.
    expect((await r.app.inject({ method: 'GET', url: '/api/health' })).json()).toMatchObject({ ok: true });

    report.flood =
      `${total} notifications (${PER_S}/s for ${FLOOD_S} s of strap time, ${elapsedS.toFixed(1)} s here): ` +
      `all ${total} stored, 0 RMSSD/HF values, ${seen.aheadGaps} gaps "beats … ahead of their arrival", ` +
      `heap +${growthMb.toFixed(1)} MB over the last ${(3 * total) / 4} notifications`;
    Object.assign(figures, { floodNotifications: total, floodAheadGaps: seen.aheadGaps, floodHeapGrowthMb: growthMb });
  }, 60_000);
});

describe('a strap that sends nonsense RR', () => {
  it('0 ticks: kept in the samples, never a beat; beats after it measure again', async () => {
    const rest = await recordingRr();
    // 60 s of notifications carrying only RR 0 (at a sane pace), then 5 minutes of a real resting recording.
    const events: Unstamped[] = [];
    let t = 0;
    for (let i = 0; i < 60; i++) {
      t += 1000;
      events.push(note(t, [0]));
    }
    for (const rr of rest.slice(0, 300)) {
      t += rr;
      events.push(note(t, [Math.round(msToTicks(rr))]));
    }
    const { rig, viewer, sessionId } = await runDaemon(strap((i) => events[i] ?? null));
    const s = stored(rig, sessionId);
    expect(s.samples).toBe(events.length);
    expect(s.beats.length).toBe(300);
    expectSaneBeats(s.beats);
    expect(s.sampleErrors).toHaveLength(60);
    expect(s.sampleErrors[0]).toMatch(/RR 0 ms is not an interval/);
    // The clean beats after it are measured as usual.
    expect(s.rmssd).toBeGreaterThan(100);
    expect(viewer.of('beat').length).toBe(300);
    report.zero = `60 notifications of RR 0: 60 samples with the error, 0 beats; the 300 clean beats after them give ${s.rmssd} RMSSD values`;
  });

  it('65535 ticks (64 s) each: every beat flagged out of range, no RMSSD, "too irregular" or a gap', async () => {
    const events: Unstamped[] = [];
    let t = 0;
    // At its own pace (a notification every 64 s) and, for the second half, one a second (more RR than time).
    for (let i = 0; i < 200; i++) {
      t += i < 100 ? 63_999.0234375 : 1000;
      events.push(note(t, [0xffff]));
    }
    const { rig, viewer, sessionId } = await runDaemon(strap((i) => events[i] ?? null));
    const s = stored(rig, sessionId);
    expect(s.beats.length).toBe(200);
    expectSaneBeats(s.beats);
    expect(new Set(s.beats.map((b) => b.kind))).toEqual(new Set(['out-of-range']));
    expect(s.rmssd).toBe(0);
    const metrics = metricsOf(viewer);
    expect(metrics).toHaveLength(200);
    for (const m of metrics) {
      expect(m.rmssdMs).toBeNull();
      expect(m.quality.reason).toMatch(/too irregular|settling/);
    }
    expect(metrics.filter((m) => m.quality.tooIrregular).length).toBeGreaterThan(50);
    expect(viewer.of('gap').filter((g) => /ahead of their arrival/.test(g.reason)).length).toBeGreaterThan(50);
    report.maxTicks = '200 RR of 65535 ticks: all out-of-range, 0 RMSSD, "too irregular", gaps once faster than time';
  });

  it('alternating 300 / 2000 ms: flagged, "too irregular", no RMSSD', async () => {
    const events: Unstamped[] = [];
    let t = 0;
    for (let i = 0; i < 400; i++) {
      const rr = i % 2 === 0 ? 300 : 2000;
      t += rr;
      events.push(note(t, [Math.round(msToTicks(rr))]));
    }
    const { rig, viewer, sessionId } = await runDaemon(strap((i) => events[i] ?? null));
    const s = stored(rig, sessionId);
    expect(s.beats.length).toBe(400);
    expectSaneBeats(s.beats);
    expect(s.rmssd).toBe(0);
    const flagged = s.beats.filter((b) => b.kind !== 'normal').length;
    expect(flagged / s.beats.length).toBeGreaterThan(0.9);
    const metrics = metricsOf(viewer);
    const irregular = metrics.filter((m) => m.quality.tooIrregular && /too irregular/.test(m.quality.reason));
    // Once the first window has filled, every value says "too irregular".
    expect(irregular.length).toBeGreaterThan(metrics.length * 0.9);
    expect(metrics.every((m) => m.rmssdMs === null && m.hfMs2 === null)).toBe(true);
    report.alternating = `400 RR alternating 300/2000 ms: ${flagged} flagged, 0 RMSSD, "too irregular" in ${irregular.length} of ${metrics.length} metrics`;
  });

  it('negative, NaN, infinite and zero RR from an RR-only source: never beats; the clean beats measure as before', async () => {
    const rest = await recordingRr();
    const bad = [-800, Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0, 5e-324];
    const events: Unstamped[] = [];
    let t = 0;
    let clean = 0;
    rest.forEach((rr, i) => {
      t += rr;
      // Every 25th sample carries one nonsense value alongside the real one.
      const values = i % 25 === 12 ? [bad[((i / 25) % bad.length) | 0] as number, rr] : [rr];
      events.push({ type: 'rr', sourceTimeMs: t, rrMs: values });
      clean++;
    });
    const { rig, viewer, sessionId } = await runDaemon(strap((i) => events[i] ?? null));
    const s = stored(rig, sessionId);
    expect(s.samples).toBe(events.length);
    expect(s.beats.length).toBe(clean);
    expectSaneBeats(s.beats);
    expect(s.beats.map((b) => b.rrMs)).toEqual(rest);
    const nonsense = events.filter((e) => e.type === 'rr' && e.rrMs.length > 1).length;
    expect(s.sampleErrors).toHaveLength(nonsense);
    for (const error of s.sampleErrors) expect(error).toMatch(/is not an interval/);
    // Not poisoned: the session's metrics are the rolling engine's on the clean recording, beat for beat.
    expect(s.beats.every((b) => b.kind === 'normal')).toBe(true);
    const engine = new RollingEngine();
    const want = new Map<number, number | null>();
    let tS = s.beats[0] ? s.beats[0].tS - (rest[0] as number) / 1000 : 0;
    for (const rr of rest) {
      tS += rr / 1000;
      for (const m of engine.push(rr, tS, false)) want.set(m.seq, m.rmssdMs);
    }
    for (const m of engine.flush()) want.set(m.seq, m.rmssdMs);
    const got = storedRmssd(rig, sessionId);
    expect(got.size).toBe(rest.length);
    for (const [seq, rmssd] of got) {
      const expected = want.get(seq);
      if (expected === null || expected === undefined) expect(rmssd, `beat ${seq}`).toBeNull();
      else expect(rmssd as number, `beat ${seq}`).toBeCloseTo(expected, 9);
    }
    expect(s.rmssd).toBeGreaterThan(rest.length * 0.9);
    expect(viewer.of('beat').length).toBe(clean);
    report.rrOnly = `${nonsense} nonsense values (negative, NaN, ±Infinity, 0, 5e-324) among ${clean} real RR: 0 became beats, all ${clean} real beats stored, the metrics equal to the clean file's (${s.rmssd} RMSSD values)`;
  });
});

describe('a replayed file that holds day-long intervals', () => {
  it('keeps pace: a beat after a day-long hole costs one spectral window of updates, not a day of them', () => {
    // The readers take values up to a day (MAX_RR_MS); the artefact layer drops them, and the next clean beat finds
    // beat time a day further on. 2000 such holes used to mean 2000 × 21 600 spectral updates: about 12 s here.
    const engine = new RollingEngine();
    let tS = 0;
    let metrics = 0;
    let withRmssd = 0;
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) {
      const rr = i % 10 === 9 ? MAX_RR_MS : 800 + (i % 7) * 10;
      tS += rr / 1000;
      for (const m of engine.push(rr, tS, false)) {
        metrics++;
        if (m.rmssdMs !== null) withRmssd++;
      }
    }
    const elapsedMs = performance.now() - started;
    expect(metrics).toBeGreaterThan(19_990);
    // Runs of 9 clean beats between day-long holes never fill a 60 s window.
    expect(withRmssd).toBe(0);
    expect(elapsedMs).toBeLessThan(3000);
    report.dayLong = `20000 RR with a day-long value every 10th: ${metrics} metrics in ${Math.round(elapsedMs)} ms, 0 RMSSD`;
  });
});

afterEach(() => {
  // Reported once all of them ran.
  if (Object.keys(report).length === 6) {
    reportReliability('hostile-strap', {
      line: `hostile strap through the daemon: flood — ${report.flood}; ${report.zero}; ${report.maxTicks}; ${report.alternating}; ${report.rrOnly}; rolling engine: ${report.dayLong}`,
      command: 'npx vitest run test/fuzz/strap.fuzz.test.ts',
      figures: { ...figures, maxAheadS: MAX_AHEAD_S },
    });
    for (const key of Object.keys(report)) delete report[key];
  }
});
