/**
 * Hostile and broken REST requests, counted, against the real app: `buildApp` over a real Daemon on a simulated strap
 * paced at 20× real time (so beats are being stored while the requests come) and a real SQLite file.
 *
 * Requests mix valid bodies for each route with mutations of them (unknown fields, wrong types, strings over their
 * limit, lone surrogates, `__proto__`), random JSON, broken JSON and bytes, other content types and charsets, bodies
 * over the limit, ids that are not ids (too long, negative, encoded traversal, Arabic digits), unknown routes and
 * methods. What must hold (src/server/errors.ts, README "The daemon"): never a 5xx; every refusal is
 * `{ statusCode, code, error, message }` with a stable code and a message naming the field; a refused request
 * changes nothing in the store, a 2xx changes exactly what it says; no orphan rows; and afterwards the daemon still
 * answers /api/health and streams beats to a viewer.
 */
import Database from 'better-sqlite3';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MARKER_VALUE_MAX } from '../../src/domain/kinds.js';
import { BODY_LIMIT_BYTES } from '../../src/server/app.js';
import { CLIENT_LABEL_MAX, THERAPIST_NOTE_MAX } from '../../src/server/schemas.js';
import { simulatedSource } from '../../src/sources/simulated.js';
import { fuzzSeed, reportReliability } from '../helpers/reliability.js';
import { type Rig, rig } from '../server/harness.js';

const RUNS = 2000;
const SEED = fuzzSeed(0x7e57);

let r: Rig;
let db: Database.Database;

beforeAll(async () => {
  r = await rig({ source: simulatedSource({ seed: 11, durationS: 36_000, speed: 20 }), demo: true });
  r.daemon.start();
  db = new Database(`${r.dir}/tableside.db`, { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  db?.close();
  await r?.close();
});

// --- requests -----------------------------------------------------------------------------------------------------

/** Ids as the fuzzer writes them; `{current}`, `{ended}` and `{marker}` are resolved against the daemon when sent. */
const id = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('{current}', '{ended}', '{marker}') },
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '999999',
      '0',
      '-1',
      '1.5',
      '1e3',
      '0x1',
      'abc',
      '%00',
      '%2e%2e%2f%2e%2e%2fpackage.json',
      '..',
      '9'.repeat(16),
      '1'.repeat(3000),
      '١',
      ' 1',
      'null',
      '[]',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }).map(encodeURIComponent) },
);

const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom('csv', 'rr', 'json', 'recording', 'xml', '', 'CSV', 'csv%00').map((f) => `?format=${f}`),
  fc.constantFrom('?format=csv&format=rr', '?zip=1', '?__proto__[x]=1', '?constructor=1', '?format', '?&&&', '?%ff'),
);

const path = fc.oneof(
  { weight: 3, arbitrary: fc.constant('/api/sessions') },
  { weight: 1, arbitrary: id.map((s) => `/api/sessions/${s}`) },
  { weight: 2, arbitrary: id.map((s) => `/api/sessions/${s}/end`) },
  { weight: 3, arbitrary: id.map((s) => `/api/sessions/${s}/phase`) },
  { weight: 3, arbitrary: id.map((s) => `/api/sessions/${s}/markers`) },
  { weight: 2, arbitrary: fc.tuple(id, id).map(([s, m]) => `/api/sessions/${s}/markers/${m}/undo`) },
  { weight: 2, arbitrary: fc.tuple(id, query).map(([s, q]) => `/api/sessions/${s}/export${q}`) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '/api/health',
      '/api/sessions?x=1',
      '/sessions',
      '/',
      '/vendor/uplot/uPlot.esm.js',
      '/vendor/uplot/../../package.json',
      '/vendor/uplot/%2e%2e/%2e%2e/package.json',
      '/../package.json',
      '/api',
      '/api/',
      '/ws',
      '//api/sessions',
    ),
  },
  { weight: 1, arbitrary: id.map((s) => `/sessions/${s}`) },
  { weight: 2, arbitrary: fc.constant('/api/clients') },
  { weight: 1, arbitrary: fc.tuple(id, query).map(([s, q]) => `/api/clients/${s}${q}`) },
  { weight: 1, arbitrary: id.map((s) => `/api/clients/${s}/merge`) },
  { weight: 1, arbitrary: id.map((s) => `/api/clients/${s}/readings`) },
  { weight: 1, arbitrary: id.map((s) => `/api/clients/${s}/export`) },
  { weight: 1, arbitrary: fc.tuple(id, id).map(([s, m]) => `/api/clients/${s}/readings/${m}`) },
  { weight: 1, arbitrary: fc.webPath().map((p) => (p.startsWith('/') ? p : `/${p}`)) },
);

const text = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ' ', '\u0000', '\uD800', 'neck/shoulders', '<script>alert(1)</script>', "'; DROP TABLE beats;--"),
  fc
    .constantFrom(CLIENT_LABEL_MAX, CLIENT_LABEL_MAX + 1, MARKER_VALUE_MAX + 1, THERAPIST_NOTE_MAX + 1)
    .map((n) => 'x'.repeat(n)),
);

/** Valid bodies of every route, to mutate. */
const validBody = fc.oneof(
  fc.constant({}),
  fc.record({ clientLabel: text, therapistNote: text }, { requiredKeys: [] }),
  fc.record({ kind: fc.constantFrom('baseline', 'massage', 'recovery') }),
  fc.record({ kind: fc.constantFrom('technique', 'region', 'note'), value: text }),
  fc.record({ clientName: text, clientId: fc.constantFrom(1, 2, 0, -1, 999) }, { requiredKeys: [] }),
  fc.record({ name: text, note: text }, { requiredKeys: [] }),
  fc.record({ into: fc.constantFrom(1, 2, 3, 0, 999), confirm: fc.boolean() }, { requiredKeys: ['into'] }),
  fc.record(
    {
      fileName: text,
      text: fc.oneof(text, fc.constant('800\n810\n805\n'), fc.constant('user_code,measurement_datetime')),
      at: text,
      kind: fc.constantFrom('morning', 'other', 'noon'),
      user: text,
    },
    { requiredKeys: ['fileName', 'text'] },
  ),
  fc.record({ mainTechnique: fc.oneof(text, fc.constant(null)) }),
);

const odd = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(null, true, 5, -0, 1e308, [], {}, 'baseline', ['baseline']),
);

const mutatedBody = fc
  .tuple(
    validBody,
    fc.constantFrom(
      'clientLabel',
      'therapistNote',
      'kind',
      'value',
      'name',
      'into',
      'text',
      'clientId',
      'extra',
      '__proto__',
      'constructor',
      '',
    ),
    odd,
  )
  .map(([body, key, value]) => {
    const out: Record<string, unknown> = { ...body };
    Object.defineProperty(out, key, { value, enumerable: true, configurable: true, writable: true });
    return out;
  });

/** The payload as bytes on the wire (a string is sent as is). */
const payload = fc.oneof(
  { weight: 5, arbitrary: validBody.map((b) => JSON.stringify(b)) },
  { weight: 5, arbitrary: mutatedBody.map((b) => JSON.stringify(b)) },
  { weight: 2, arbitrary: odd.map((v) => JSON.stringify(v)) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      '',
      '{',
      '{"kind":',
      '{"kind":"baseline"}{"kind":"massage"}',
      '{"kind":"baseline",}',
      "{'kind':'baseline'}",
      'null',
      '"{}"',
      '{"__proto__":{"kind":"baseline"}}',
      '{"constructor":{"prototype":{"x":1}}}',
      `${'['.repeat(5000)}${']'.repeat(5000)}`,
      JSON.stringify({ therapistNote: 'x'.repeat(BODY_LIMIT_BYTES) }),
      '\uFEFF{}',
    ),
  },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 60 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

const contentType = fc.oneof(
  { weight: 8, arbitrary: fc.constant('application/json') },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      undefined,
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/json; charset=latin1',
      'application/JSON',
      'application/json, text/plain',
      'application/vnd.api+json',
      '',
      '*/*',
    ),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);

const method = fc.oneof(
  { weight: 8, arbitrary: fc.constant('POST' as const) },
  { weight: 4, arbitrary: fc.constant('GET' as const) },
  { weight: 1, arbitrary: fc.constantFrom('PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS' as const) },
);

/** Well-formed commands on the session being recorded, so the fuzz reaches sessions with phases and markers. */
const command = fc.oneof(
  fc.record({ clientLabel: text, therapistNote: text }, { requiredKeys: [] }).map((b) => ['/api/sessions', b] as const),
  fc
    .record({ kind: fc.constantFrom('baseline', 'massage', 'recovery') })
    .map((b) => ['/api/sessions/{current}/phase', b] as const),
  fc
    .record({ kind: fc.constantFrom('technique', 'region', 'note'), value: text })
    .map((b) => ['/api/sessions/{current}/markers', b] as const),
  fc.constant(['/api/sessions/{current}/markers/{marker}/undo', {}] as const),
  fc.constant(['/api/sessions/{current}/end', {}] as const),
);

const request = fc.oneof(
  { weight: 3, arbitrary: fc.record({ method, path, contentType, payload }) },
  {
    weight: 1,
    arbitrary: command.map(([path, body]) => ({
      method: 'POST' as const,
      path,
      contentType: 'application/json' as string | undefined,
      payload: JSON.stringify(body) as string | Buffer | undefined,
    })),
  },
);
type Request = typeof request extends fc.Arbitrary<infer T> ? T : never;

// --- the store, from outside ----------------------------------------------------------------------------------------

interface Counts {
  sessions: number;
  recording: number;
  phases: number;
  openPhases: number;
  markers: number;
  undone: number;
}

function counts(): Counts {
  return db
    .prepare(
      `SELECT (SELECT count(*) FROM sessions) AS sessions,
              (SELECT count(*) FROM sessions WHERE status = 'recording') AS recording,
              (SELECT count(*) FROM phases) AS phases,
              (SELECT count(*) FROM phases WHERE ended_at_s IS NULL) AS openPhases,
              (SELECT count(*) FROM markers) AS markers,
              (SELECT count(*) FROM markers WHERE undone = 1) AS undone`,
    )
    .get() as Counts;
}

/** Rows that no request may leave behind, whatever it was: none of these may ever count anything. */
function orphans(): Record<string, number> {
  const n = (sql: string) => (db.prepare(sql).pluck().get() as number) ?? 0;
  return {
    phasesWithoutSession: n('SELECT count(*) FROM phases WHERE session_id NOT IN (SELECT id FROM sessions)'),
    markersWithoutSession: n('SELECT count(*) FROM markers WHERE session_id NOT IN (SELECT id FROM sessions)'),
    beatsWithoutSession: n('SELECT count(*) FROM beats WHERE session_id NOT IN (SELECT id FROM sessions)'),
    metricsWithoutBeat: n(
      'SELECT count(*) FROM metrics m WHERE NOT EXISTS (SELECT 1 FROM beats b WHERE b.session_id = m.session_id AND b.seq = m.seq)',
    ),
    sessionsRecordingBeyondOne: Math.max(0, n("SELECT count(*) FROM sessions WHERE status = 'recording'") - 1),
    endedWithoutEnd: n("SELECT count(*) FROM sessions WHERE status != 'recording' AND ended_at IS NULL"),
    openPhaseInEndedSession: n(
      "SELECT count(*) FROM phases p JOIN sessions s ON s.id = p.session_id WHERE s.status != 'recording' AND p.ended_at_s IS NULL",
    ),
    readingsWithoutClient: n('SELECT count(*) FROM readings WHERE client_id NOT IN (SELECT id FROM clients)'),
    sessionsOfMissingClient: n(
      'SELECT count(*) FROM sessions WHERE client_id IS NOT NULL AND client_id NOT IN (SELECT id FROM clients)',
    ),
    markersOutsideTheirSession: n(
      'SELECT count(*) FROM markers m JOIN sessions s ON s.id = m.session_id WHERE m.at_s > coalesce(s.last_beat_t_s, 0)',
    ),
  };
}

// --- sending --------------------------------------------------------------------------------------------------------

let lastMarkerId = 1;
let endedId = 999_998;

function resolve(path: string): string {
  const current = r.daemon.currentSessionId;
  return path
    .replaceAll('{current}', String(current ?? 1))
    .replaceAll('{ended}', String(endedId))
    .replaceAll('{marker}', String(lastMarkerId));
}

const tally = { requests: 0, byStatus: new Map<number, number>(), byCode: new Map<string, number>(), serverErrors: 0 };

async function send(req: Request): Promise<{ url: string; res: LightMyRequestResponse }> {
  const url = resolve(req.path);
  const headers: Record<string, string> = {};
  if (req.contentType !== undefined) headers['content-type'] = req.contentType;
  const res = await r.app.inject({ method: req.method, url, headers, payload: req.payload });
  tally.requests++;
  tally.byStatus.set(res.statusCode, (tally.byStatus.get(res.statusCode) ?? 0) + 1);
  return { url, res };
}

function checkRefusal(method: string, res: LightMyRequestResponse, what: string): void {
  if (res.statusCode < 400) return;
  if (method === 'HEAD') return;
  const body = res.json() as Record<string, unknown>;
  expect(Object.keys(body).sort(), what).toEqual(['code', 'error', 'message', 'statusCode']);
  expect(body.statusCode, what).toBe(res.statusCode);
  expect(body.code, what).toMatch(/^[A-Z][A-Z0-9_]+$/);
  expect(typeof body.message === 'string' && body.message.length > 0, what).toBe(true);
  if (body.code === 'FST_ERR_VALIDATION') expect(body.message, what).toMatch(/^(body|params|querystring)\b/);
  tally.byCode.set(body.code as string, (tally.byCode.get(body.code as string) ?? 0) + 1);
}

/** What a 2xx may have changed, by route: everything else must stay as it was. */
function checkChange(method: string, url: string, status: number, before: Counts, after: Counts): void {
  const what = `${method} ${url} → ${status}: ${JSON.stringify(before)} → ${JSON.stringify(after)}`;
  const route = url.split('?')[0] as string;
  const expected = { ...before };
  if (status >= 200 && status < 300 && method === 'DELETE' && /^\/api\/clients\/\d+$/.test(route)) {
    // A client goes with their ended sessions: fewer rows, never the one recording.
    expected.sessions = after.sessions;
    expected.phases = after.phases;
    expected.openPhases = after.openPhases;
    expected.markers = after.markers;
    expected.undone = after.undone;
    expect(after.sessions, what).toBeLessThan(before.sessions + 1);
    expect(after.recording, what).toBe(before.recording);
  }
  if (status >= 200 && status < 300 && method === 'POST') {
    if (route === '/api/sessions') {
      expected.sessions = before.sessions + 1;
      expected.recording = 1;
      // Ending the session before closes its open phase, if it had one.
      expected.openPhases = after.openPhases;
      expect(after.openPhases, what).toBeLessThanOrEqual(before.openPhases);
    } else if (/\/phase$/.test(route)) {
      expected.phases = before.phases + 1;
      expected.openPhases = Math.max(1, before.openPhases);
    } else if (/\/markers$/.test(route)) {
      expected.markers = before.markers + 1;
    } else if (/\/undo$/.test(route)) {
      expected.undone = after.undone;
      expect(after.undone - before.undone, what).toBeGreaterThanOrEqual(0);
      expect(after.undone - before.undone, what).toBeLessThanOrEqual(1);
    } else if (/\/end$/.test(route)) {
      expected.recording = after.recording;
      expected.openPhases = after.openPhases;
      expect(after.recording, what).toBeLessThanOrEqual(before.recording);
    }
  }
  expect(after, what).toEqual(expected);
}

describe('the REST API under hostile requests', () => {
  it(`never answers 5xx, refuses with a coded error and changes nothing it refused (${RUNS} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(request, async (req) => {
        const before = counts();
        const { url, res } = await send(req);
        const what = `${req.method} ${url.slice(0, 120)} (${req.contentType}) ${String(req.payload).slice(0, 80)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
        if (res.statusCode >= 500) tally.serverErrors++;
        expect(res.statusCode, what).toBeLessThan(500);
        checkRefusal(req.method, res, what);
        checkChange(req.method, url, res.statusCode, before, counts());
        // Learn ids from what was accepted, so later requests reach deeper states.
        if (res.statusCode === 201 && /\/markers$/.test(url)) lastMarkerId = res.json().id as number;
        if (res.statusCode === 201 && url === '/api/sessions') {
          const previous = (res.json().id as number) - 1;
          if (previous > 0) endedId = previous;
        }
      }),
      { numRuns: RUNS, seed: SEED },
    );
    expect(tally.requests).toBe(RUNS);
    // Every kind of outcome was reached in earnest.
    for (const status of [200, 201, 400, 404, 409, 413, 415]) {
      expect(tally.byStatus.get(status) ?? 0, `responses with ${status}`).toBeGreaterThan(0);
    }

    expect(orphans()).toEqual({
      phasesWithoutSession: 0,
      markersWithoutSession: 0,
      beatsWithoutSession: 0,
      metricsWithoutBeat: 0,
      sessionsRecordingBeyondOne: 0,
      endedWithoutEnd: 0,
      openPhaseInEndedSession: 0,
      readingsWithoutClient: 0,
      sessionsOfMissingClient: 0,
      markersOutsideTheirSession: 0,
    });

    // The daemon is still up: health, a fresh session, and beats reaching a new viewer.
    const health = await r.app.inject({ method: 'GET', url: '/api/health' });
    expect(health.statusCode).toBe(200);
    expect(health.json()).toMatchObject({ ok: true, recording: true });
    const started = await r.app.inject({ method: 'POST', url: '/api/sessions', payload: {} });
    expect(started.statusCode).toBe(201);
    const viewer = await r.connect();
    const seen = viewer.of('beat').length;
    await viewer.until((m) => m.filter((x) => x.type === 'beat').length >= seen + 5, '5 beats after the fuzz');
    expect(
      db.prepare('SELECT count(*) FROM beats WHERE session_id = ?').pluck().get(started.json().id),
    ).toBeGreaterThan(0);
  }, 60_000);
});

afterAll(() => {
  if (tally.requests !== RUNS) return;
  const statuses = [...tally.byStatus.entries()].sort(([a], [b]) => a - b);
  const codes = [...tally.byCode.keys()].sort();
  reportReliability('fuzz.rest', {
    line:
      `fuzz: REST API — ${tally.requests} requests (${statuses.map(([s, n]) => `${n}× ${s}`).join(', ')}), ` +
      `${tally.serverErrors} 5xx; refused with ${codes.length} codes (${codes.join(' ')}); store unchanged by every ` +
      `refusal, no orphan rows; health and live beats fine afterwards (seed ${SEED})`,
    command: 'npx vitest run test/fuzz/rest.fuzz.test.ts',
    figures: {
      requests: tally.requests,
      serverErrors: tally.serverErrors,
      ...Object.fromEntries(statuses.map(([s, n]) => [`status${s}`, n])),
      codes: codes.join(' '),
      seed: SEED,
    },
  });
});
