/**
 * Hostile and broken WebSocket frames from viewers, counted: the answer function on its own, then real sockets on the
 * real app (`buildApp` over a real Daemon replaying a real recording into a real SQLite file).
 *
 * Frames are random text, random JSON, mutations of `{"type":"ping"}` (other types, other cases, extra fields, arrays,
 * nesting, `__proto__`), lone surrogates and binary frames; then frames over the size limit and text frames that are
 * not UTF-8. What must hold (README, "WebSocket /ws"): `{"type":"ping"}` → `{"type":"pong"}`, anything else exactly
 * one `{"type":"error","code":…}` and the socket stays open; a frame over 4096 bytes or not UTF-8 closes only that
 * socket (1009, 1007); nothing a viewer sends changes the store; beats keep coming.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VIEWER_MAX_PAYLOAD_BYTES } from '../../src/server/routes/viewer.js';
import { answerViewer } from '../../src/viewers/protocol.js';
import { fuzzSeed, reportReliability } from '../helpers/reliability.js';
import { type Message, type Rig, replaySource, rig, type Viewer } from '../server/harness.js';

const PURE_RUNS = 10_000;
const SOCKET_FRAMES = 1500;
const CLOSING_FRAMES = 20;
const SEED = fuzzSeed(0x5750);

// --- frames ---------------------------------------------------------------------------------------------------------

const pingLike = fc
  .tuple(
    fc.constantFrom('ping', 'Ping', 'PING', ' ping', 'ping ', 'pong', 'hello', 'beat', '', 'ping\u0000', 'пинг'),
    fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
  )
  .map(([type, extra]) => ({ ...extra, type }));

const frameValue = fc.oneof(
  { weight: 3, arbitrary: pingLike.map((m) => JSON.stringify(m)) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '{"type":"ping"}',
      '{"type":"ping","type":"pong"}',
      '{"type":"pong","type":"ping"}',
      '{"type":["ping"]}',
      '{"type":{"toString":"ping"}}',
      '["ping"]',
      '"ping"',
      'ping',
      '{"__proto__":{"type":"ping"}}',
      '{"constructor":{"prototype":{"type":"ping"}}}',
      '{"type":"ping"',
      '',
      ' ',
      'null',
      '{}',
      '\uFEFF{"type":"ping"}',
      `${'['.repeat(1000)}${']'.repeat(1000)}`,
      `{"type":"${'x'.repeat(1000)}"}`,
    ),
  },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 80 }) },
);

/** The protocol's rule, read from the README: a JSON object whose `type` is "ping" gets a pong, all else an error. */
function expectedAnswer(frame: string | null): 'pong' | 'error' {
  if (frame === null) return 'error'; // a binary frame
  try {
    const m = JSON.parse(frame) as unknown;
    return typeof m === 'object' && m !== null && !Array.isArray(m) && (m as { type?: unknown }).type === 'ping'
      ? 'pong'
      : 'error';
  } catch {
    return 'error';
  }
}

const ERROR_CODES = ['WS_BAD_MESSAGE', 'WS_UNKNOWN_MESSAGE'];

function checkAnswer(answer: Message | ReturnType<typeof answerViewer>, frame: string | null): void {
  const want = expectedAnswer(frame);
  if (want === 'pong') {
    expect(answer, String(frame)).toEqual({ type: 'pong' });
    return;
  }
  expect(answer.type, String(frame)).toBe('error');
  const error = answer as { code?: unknown; message?: unknown };
  expect(ERROR_CODES, String(frame)).toContain(error.code);
  expect(typeof error.message === 'string' && error.message.length > 0).toBe(true);
  // An echoed type is cut short: a viewer cannot make the daemon send back a large frame.
  expect(JSON.stringify(answer).length).toBeLessThan(400);
}

const tally = { pure: 0, pongs: 0, errors: 0, socketFrames: 0, binaryFrames: 0, oversized: 0, notUtf8: 0 };

describe('answerViewer under hostile frames', () => {
  it(`answers ping with pong and everything else with a coded error (${PURE_RUNS} frames)`, () => {
    fc.assert(
      fc.property(frameValue, (frame) => {
        tally.pure++;
        checkAnswer(answerViewer(frame), frame);
      }),
      { numRuns: PURE_RUNS, seed: SEED },
    );
    expect(tally.pure).toBe(PURE_RUNS);
  });
});

// --- real sockets on the real app -----------------------------------------------------------------------------------

let r: Rig;
let db: Database.Database;

beforeAll(async () => {
  // About 40 s for the 16-minute recording: beats arrive all through the test.
  r = await rig({ source: await replaySource(25), autoSession: { clientLabel: 'ws fuzz', therapistNote: '' } });
  r.daemon.start();
  db = new Database(`${r.dir}/tableside.db`, { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  db?.close();
  await r?.close();
});

const storeState = () =>
  db
    .prepare(
      `SELECT (SELECT count(*) FROM sessions) AS sessions, (SELECT group_concat(status) FROM sessions) AS statuses,
              (SELECT count(*) FROM phases) AS phases, (SELECT count(*) FROM markers) AS markers`,
    )
    .get();

const answers = (v: Viewer) => v.messages.filter((m) => m.type === 'pong' || m.type === 'error');
const closeCode = (v: Viewer) =>
  new Promise<number>((resolve) => {
    if (v.closed) resolve(-1);
    v.socket.once('close', (code) => resolve(code));
  });

describe('viewer sockets under hostile frames', () => {
  it(`answers every frame in order on one open socket, and beats keep coming (${SOCKET_FRAMES} frames)`, async () => {
    const before = storeState();
    const viewer = await r.connect();
    await viewer.nth(0);
    const frames = fc.sample(
      fc.oneof(
        { weight: 9, arbitrary: frameValue },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)) },
      ),
      { numRuns: SOCKET_FRAMES, seed: SEED + 1 },
    );
    for (const frame of frames) {
      viewer.send(frame);
      tally.socketFrames++;
      if (typeof frame !== 'string') tally.binaryFrames++;
    }
    await viewer.until((m) => answers({ messages: m } as Viewer).length >= frames.length, 'an answer to every frame');
    const got = answers(viewer);
    expect(got.length).toBe(frames.length);
    frames.forEach((frame, i) => {
      checkAnswer(got[i] as Message, typeof frame === 'string' ? frame : null);
      if ((got[i] as Message).type === 'pong') tally.pongs++;
      else tally.errors++;
    });
    expect(viewer.closed).toBe(false);
    // Still a live viewer: more beats arrive after the last answer.
    const beatsSoFar = viewer.of('beat').length;
    await viewer.until((m) => m.filter((x) => x.type === 'beat').length >= beatsSoFar + 5, '5 more beats');
    expect(storeState()).toEqual(before);
  });

  it(`closes only the socket that sends a frame over ${VIEWER_MAX_PAYLOAD_BYTES} bytes or text that is not UTF-8 (${2 * CLOSING_FRAMES} sockets)`, async () => {
    const before = storeState();
    const watcher = await r.connect();
    await watcher.nth(0);
    const big = fc.sample(
      fc.string({ minLength: VIEWER_MAX_PAYLOAD_BYTES + 1, maxLength: 3 * VIEWER_MAX_PAYLOAD_BYTES }),
      {
        numRuns: CLOSING_FRAMES,
        seed: SEED + 2,
      },
    );
    const notUtf8 = fc.sample(
      fc.uint8Array({ minLength: 1, maxLength: 32 }).map((b) => Buffer.concat([Buffer.from(b), Buffer.of(0xc3, 0x28)])),
      { numRuns: CLOSING_FRAMES, seed: SEED + 3 },
    );
    for (const frame of big) {
      const v = await r.connect();
      await v.nth(0);
      const closed = closeCode(v);
      v.send(frame.padEnd(VIEWER_MAX_PAYLOAD_BYTES + 1, 'x'));
      expect(await closed).toBe(1009);
      tally.oversized++;
    }
    for (const bytes of notUtf8) {
      const v = await r.connect();
      await v.nth(0);
      const closed = closeCode(v);
      v.socket.send(bytes, { binary: false });
      expect(await closed).toBe(1007);
      tally.notUtf8++;
    }
    // The other viewer never noticed: still open, still answered, still getting beats.
    expect(watcher.closed).toBe(false);
    watcher.send('{"type":"ping"}');
    await watcher.until((m) => m.some((x) => x.type === 'pong'), 'a pong');
    const beatsSoFar = watcher.of('beat').length;
    await watcher.until((m) => m.filter((x) => x.type === 'beat').length >= beatsSoFar + 3, '3 more beats');
    const health = await r.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.json()).toMatchObject({ ok: true, recording: true });
    expect(storeState()).toEqual(before);
  });
});

afterAll(() => {
  if (tally.pure !== PURE_RUNS || tally.oversized + tally.notUtf8 !== 2 * CLOSING_FRAMES) return;
  const inputs = tally.pure + tally.socketFrames + tally.oversized + tally.notUtf8;
  reportReliability('fuzz.ws', {
    line:
      `fuzz: WebSocket viewer messages — ${inputs} frames (${tally.pure} to the answer function, ${tally.socketFrames} ` +
      `over one real socket of which ${tally.binaryFrames} binary: ${tally.pongs} pongs, ${tally.errors} coded errors, ` +
      `socket kept open; ${tally.oversized} over the size limit and ${tally.notUtf8} not UTF-8, each closing only its ` +
      `own socket); store untouched, beats kept coming, 0 crashes (seed ${SEED})`,
    command: 'npx vitest run test/fuzz/ws.fuzz.test.ts',
    figures: { inputs, ...tally, seed: SEED },
  });
});
