// The table-side screen: live figures, the shift against the baseline, charts, and hands-free session control.
// Talks protocol v1 on /ws (src/viewers/protocol.ts) and sends commands to the REST API. Redraws everything from every
// `hello`, so a reconnect or a reload loses nothing.
import { api } from './lib/api.js';
import { CalmView } from './lib/calm.js';
import { lowerBound, tachogramChart, trendChart } from './lib/charts.js';
import { bandPct, clock, DASH, ms, num, PHASE_WORDS, signedPct, VERDICT_GLYPHS, VERDICT_WORDS } from './lib/format.js';
import { Keys } from './lib/keys.js';
import { SessionModel } from './lib/session-model.js';
import { applyTheme, chartPalette, savedTheme } from './lib/theme.js';

/** The protocol this page speaks. */
const PROTOCOL = 1;
/** No beat for this long while the source says live: the values are stale. */
const STALE_AFTER_MS = 3000;
/** The tachogram's window, s. */
const TACHO_WINDOW_S = 300;
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 3000, 5000];
/** A ping this often; no message at all for WATCHDOG_MS and the socket is taken for dead and reopened. */
const PING_EVERY_MS = 5000;
const WATCHDOG_MS = 12000;
/** A second press within this time confirms a phase change or the end of a session sent from a pedal or key. */
const CONFIRM_MS = 4000;

const TECHNIQUES = ['effleurage', 'petrissage', 'myofascial release', 'trigger point', 'stretching'];
const REGIONS = ['neck/shoulders', 'back', 'arms/hands', 'legs/feet', 'head/face'];
const PHASE_ORDER = ['baseline', 'massage', 'recovery'];
/** Where this screen keeps its own technique and region lists. */
const LISTS_KEY = 'tableside.markerLists';
/** Keys 1…0 mark the chips: at most ten. */
const CHIPS_MAX = 10;
/** A marker value's longest length (the API's MARKER_VALUE_MAX). */
const MARKER_VALUE_MAX = 80;

/** The stream (strap) this screen follows: the client's unless the address says `?stream=therapist`. */
const STREAM = new URLSearchParams(location.search).get('stream') || 'client';
const STREAM_WORDS = { client: 'Client', therapist: 'Therapist' };
const streamWords = (id) => STREAM_WORDS[id] ?? id;

const $ = (id) => document.getElementById(id);
const setText = (el, text) => {
  if (el.textContent !== text) el.textContent = text;
};

// ---------------------------------------------------------------------------------------------------------------
// State

const model = new SessionModel();
const state = {
  /** connecting | up | down | mismatch */
  conn: 'connecting',
  source: null,
  status: null,
  /** every stream of the daemon (hello.streams) */
  streams: [],
  recording: true,
  /** page clock (performance.now) when the last beat message arrived; null: none since the last hello */
  lastBeatAt: null,
  retryAt: 0,
  /** the daemon answers 401: this device's access token is missing or was rotated */
  unpaired: false,
  /** the chip Enter places */
  selected: 0,
  pending: null,
};

// ---------------------------------------------------------------------------------------------------------------
// Charts

let palette = null;
let tacho = null;
let trend = null;

function tachoData() {
  const { x, y } = model.rrLine;
  const end = x.length > 0 ? x[x.length - 1] : 0;
  const from = lowerBound(x, end - TACHO_WINDOW_S - 5);
  return [x.slice(from), y.slice(from)];
}

function trendData() {
  const m = model.metrics;
  return [m.tS, m.rmssdMs, m.hfMs2];
}

function annotate() {
  const common = {
    phases: model.phases,
    markers: model.markerList,
    gaps: model.gaps,
    endS: model.lastBeatS,
  };
  tacho.setAnnotations({ ...common, artefacts: model.beats });
  trend.setAnnotations({ ...common, baseline: model.baseline });
}

function buildCharts() {
  palette = chartPalette();
  if (tacho) {
    tacho.rebuild(palette);
    trend.rebuild(palette);
  } else {
    tacho = tachogramChart($('tacho'), palette, tachoData, { windowS: TACHO_WINDOW_S });
    trend = trendChart($('trend'), palette, trendData);
  }
  annotate();
  tacho.redraw();
  trend.redraw();
}

// ---------------------------------------------------------------------------------------------------------------
// Rendering: `invalidate()` marks what changed; one frame draws it.

const dirty = { figures: false, charts: false, controls: false, log: false };
let frame = 0;

function invalidate(...parts) {
  for (const p of parts) dirty[p] = true;
  if (frame === 0) frame = requestAnimationFrame(render);
}

function render() {
  frame = 0;
  if (dirty.figures) renderFigures();
  if (dirty.controls) renderControls();
  if (dirty.log) renderLog();
  if (dirty.charts && tacho) {
    annotate();
    tacho.redraw();
    trend.redraw();
    calm.update(model);
  }
  renderSignal();
  for (const k of Object.keys(dirty)) dirty[k] = false;
  document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? 0) + 1);
}

/** live | stale | waiting | searching | disconnected | ended | offline */
function signalState(now = performance.now()) {
  if (state.conn !== 'up') return { key: 'offline', text: connWords() };
  const s = state.status;
  if (!s) return { key: 'waiting', text: 'Waiting for the source' };
  const device = s.device?.name ? ` (${s.device.name})` : '';
  switch (s.state) {
    case 'scanning':
      return { key: 'searching', text: 'Searching for the strap…' };
    case 'connecting':
      return { key: 'searching', text: `Connecting to the strap${device}…` };
    case 'disconnected':
      return { key: 'disconnected', text: `Strap disconnected${s.reason ? `: ${s.reason}` : ''}` };
    case 'ended':
      return { key: 'ended', text: s.reason ? `Ended: ${s.reason}` : 'Source ended' };
    default:
      break;
  }
  // Connected and notifying, but giving no beats, and the strap's status says why (no RR intervals).
  if (s.state === 'live' && s.reason && (state.lastBeatAt === null || now - state.lastBeatAt > STALE_AFTER_MS)) {
    return { key: 'stale', text: `No beats: ${s.reason}` };
  }
  if (state.lastBeatAt === null) return { key: 'stale', text: 'Stale: waiting for the next beat' };
  const ageMs = now - state.lastBeatAt;
  if (s.state === 'stale' || ageMs > STALE_AFTER_MS) {
    return { key: 'stale', text: `Stale: no beat for ${Math.floor(ageMs / 1000)} s` };
  }
  return { key: 'live', text: 'Live' };
}

function connWords() {
  if (state.conn === 'mismatch') return 'Protocol mismatch';
  if (state.conn === 'connecting') return 'Connecting to tableside…';
  return 'Not connected to tableside';
}

function renderSignal() {
  const now = performance.now();
  const sig = signalState(now);
  if (document.body.dataset.signal !== sig.key) {
    document.body.dataset.signal = sig.key;
    dirty.figures = true;
    renderFigures();
  }
  setText($('signal-text'), sig.text);
  let since = '';
  if (state.lastBeatAt !== null && state.conn === 'up') {
    const s = (now - state.lastBeatAt) / 1000;
    since = s < 1.5 ? '· beat just now' : `· last beat ${Math.floor(s)} s ago`;
  }
  if (sig.key === 'stale' && state.lastBeatAt !== null) since = '';
  setText($('since'), since);
  if (state.conn === 'down') {
    const wait = Math.max(0, Math.ceil((state.retryAt - Date.now()) / 1000));
    setText(
      $('banner-text'),
      state.unpaired
        ? 'This screen is no longer paired with tableside (its access token was rotated): open the new pairing link ' +
            'on this device (the command "tableside token" shows it).'
        : `Not connected to tableside. Retrying ${wait > 0 ? `in ${wait} s` : 'now'}…`,
    );
  }
}

function heroModel() {
  if (!model.info) {
    return { verdict: 'none', title: 'No session', detail: 'Start a session (N) to record and compare.' };
  }
  const phase = model.currentPhase;
  if (phase?.kind === 'baseline') {
    const runS = model.lastBeatS - phase.startedAtS;
    return {
      verdict: 'measuring',
      title: model.baseline ? 'Measuring a new baseline' : 'Measuring baseline',
      pct: clock(runS),
      detail:
        runS < 120
          ? 'Client resting. At least 2 clean minutes, then start the massage (M).'
          : 'Enough for a baseline: start the massage (M) when ready.',
    };
  }
  if (!model.baseline) {
    return {
      verdict: 'waiting',
      title: 'Waiting for baseline',
      detail: phase
        ? 'No baseline before this phase: nothing to compare with. Start one (B) while the client rests.'
        : 'Start the baseline (B, or → / Space twice) while the client rests.',
    };
  }
  const shift = model.latest?.shift;
  const ref = model.baseline.reference;
  if (!shift) return { verdict: 'waiting', title: 'Comparing from the next beat', detail: '' };
  const values =
    shift.rmssdMs !== null && shift.baselineRmssdMs !== null
      ? `RMSSD ${ms(shift.rmssdMs)} ms vs baseline ${ms(shift.baselineRmssdMs)} ms`
      : `baseline RMSSD ${ms(ref.rmssdMs)} ms`;
  if (shift.verdict === 'unknown') {
    return {
      verdict: 'unknown',
      title: 'No verdict',
      pct: shift.rmssdPct === null ? '' : signedPct(shift.rmssdPct),
      values,
      detail: capitalise(shift.words),
    };
  }
  const inside = shift.verdict === 'no-clear-change';
  return {
    verdict: shift.verdict,
    title: VERDICT_WORDS[shift.verdict],
    pct: signedPct(shift.rmssdPct),
    values,
    detail: `${inside ? 'Inside' : 'Beyond'} the baseline's noise band (${bandPct(shift.bandLn)}).`,
    delta: shift.lnRmssdDelta,
    band: shift.bandLn,
  };
}

function capitalise(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

function renderHero() {
  const h = heroModel();
  const hero = $('hero');
  hero.dataset.verdict = h.verdict;
  setText($('verdict'), h.title);
  setText($('verdict-glyph'), VERDICT_GLYPHS[h.verdict] ?? '');
  $('verdict-glyph').hidden = VERDICT_GLYPHS[h.verdict] === undefined;
  setText($('shift-pct'), h.pct ?? '');
  setText($('shift-values'), h.values ?? '');
  setText($('hero-detail'), h.detail ?? '');
  const live = document.body.dataset.signal === 'live';
  const showStale = !live && model.info !== null && h.verdict !== 'none';
  $('hero-stale').hidden = !showStale;
  setText($('hero-stale'), staleWords());
  const gauge = $('gauge');
  if (h.band === undefined || h.band === null || h.delta === null || h.delta === undefined) {
    gauge.hidden = true;
  } else {
    gauge.hidden = false;
    const range = Math.max(3 * h.band, 0.25);
    const pos = (d) => 50 + (Math.max(-range, Math.min(range, d)) / range) * 50;
    const band = $('gauge-band');
    band.style.left = `${pos(-h.band)}%`;
    band.style.width = `${pos(h.band) - pos(-h.band)}%`;
    $('gauge-pointer').style.left = `${pos(h.delta)}%`;
  }
}

function staleWords() {
  switch (document.body.dataset.signal) {
    case 'offline':
      return 'not connected';
    case 'disconnected':
      return 'strap disconnected';
    case 'ended':
      return 'ended';
    case 'searching':
      return 'no strap';
    default:
      return 'stale';
  }
}

function renderFigures() {
  renderHero();
  const m = model.latest;
  const q = m?.quality;
  const tooIrregular = q?.tooIrregular === true;
  setText($('hr'), num(m?.meanHrBpm, 0));
  setText($('rmssd'), tooIrregular ? '✕' : ms(m?.rmssdMs ?? null));
  setText($('lnrmssd'), num(m?.lnRmssd, 2));
  setText($('hf'), num(m?.hfMs2, 0));
  const slow = typeof q?.respirationNote === 'string' && q.respirationNote.includes('slower than');
  setText($('breathing'), m?.respirationRateBpm != null ? num(m.respirationRateBpm, 1) : slow ? '< 9' : DASH);

  let rmssdNote = '';
  if (tooIrregular) rmssdNote = 'too irregular';
  else if (q?.settling) rmssdNote = `settling… ${Math.floor(q.coveredS)} of 50 s`;
  setText($('rmssd-note'), rmssdNote);
  let hfNote = '';
  if (m?.hfMs2 != null && q?.spectralProvisional) hfNote = 'provisional (< 5 min)';
  else if (m && m.hfMs2 == null) hfNote = q?.spectralReason ? shorten(q.spectralReason) : 'waiting';
  setText($('hf-note'), hfNote);
  setText($('breathing-note'), slow ? 'HF under-reads: trust RMSSD' : '');
  setText($('hr-note'), '');

  const items = [];
  if (m) {
    items.push({ key: 'corrected', text: `corrected ${num(q.correctedPct, 1)} %`, warn: q.correctedPct > 5 });
    if (tooIrregular) {
      items.push({
        key: 'irregular',
        text: 'too irregular: more than 5 % of beats corrected — check the strap, or frequent premature beats',
        warn: true,
      });
    } else if (q.settling) {
      items.push({ key: 'settling', text: 'settling…: RMSSD needs a minute of clean beats', warn: false });
    }
    if (q.gapInWindow) items.push({ key: 'gap', text: 'a gap lies in the last minute', warn: true });
    if (slow) items.push({ key: 'slow', text: capitalise(q.respirationNote), warn: false });
  }
  if (!state.recording) items.push({ key: 'recording', text: 'not recording', warn: true });
  const list = $('quality');
  const html = items.map((i) => `${i.key}|${i.text}|${i.warn}`).join('\n');
  if (list.dataset.key !== html) {
    list.dataset.key = html;
    list.replaceChildren(
      ...items.map((i) => {
        const li = document.createElement('li');
        li.dataset.quality = i.key;
        if (i.warn) li.className = 'warn';
        li.textContent = i.warn ? `⚠ ${i.text}` : i.text;
        return li;
      }),
    );
  }
}

function shorten(reason) {
  return reason.length > 60 ? `${reason.slice(0, 58)}…` : reason;
}

function renderHeader() {
  const src = state.source;
  const demo = src?.demo === true;
  $('demo').hidden = !demo;
  $('calm-demo').hidden = !demo;
  // A strap is named by what it says it is (its advertised name) once known; a replay by its file.
  const strapName = src?.kind === 'ble' ? state.status?.device?.name : undefined;
  setText($('source'), src ? `${src.kind === 'ble' ? 'strap' : src.kind}: ${strapName ?? src.label}` : '');
  const info = model.info;
  const who = info ? info.clientLabel || `Session ${info.id}` : 'No session';
  setText($('client'), STREAM === 'client' ? who : `${streamWords(STREAM)}'s strap · ${who}`);
  const battery = state.status?.batteryPct;
  $('battery').hidden = battery === undefined || battery === null;
  if (battery !== undefined && battery !== null) {
    setText($('battery'), `battery ${battery} %`);
    $('battery').classList.toggle('warn', battery <= 15);
  }
  $('recording-stopped').hidden = state.recording;
  setText($('new-source'), src ? `${src.label}${demo ? ' (DEMO)' : ''}` : 'unknown');
  renderStreams();
}

/** With two straps (client and therapist), links to follow the other one; the current one is marked. */
function renderStreams() {
  const nav = $('streams');
  const streams = state.streams;
  nav.hidden = streams.length < 2;
  const key = streams.map((s) => `${s.id}:${s.state}`).join(',');
  if (nav.dataset.key === key) return;
  nav.dataset.key = key;
  nav.replaceChildren(
    ...streams.map((s) => {
      const a = document.createElement('a');
      a.className = 'tool stream-link';
      a.href = s.id === 'client' ? '/' : `/?stream=${encodeURIComponent(s.id)}`;
      a.textContent = streamWords(s.id);
      a.title = `${s.label}${s.state ? ` · ${s.state}` : ''}`;
      if (s.id === STREAM) a.setAttribute('aria-current', 'page');
      return a;
    }),
  );
}

function renderControls() {
  const has = model.info !== null && state.conn === 'up';
  const current = model.currentPhase?.kind ?? null;
  for (const b of document.querySelectorAll('button.phase')) {
    b.disabled = !has;
    b.setAttribute('aria-pressed', String(b.dataset.phase === current));
  }
  $('undo').disabled = !has || model.lastUndoable === null;
  $('end').disabled = !has;
  $('new').disabled = state.conn !== 'up';
  for (const chip of document.querySelectorAll('.chips button')) chip.disabled = !has;
  $('note-input').disabled = !has;
  document.querySelector('#note-form button').disabled = !has;
  document.querySelectorAll('.chips button').forEach((chip, i) => {
    chip.classList.toggle('selected', i === state.selected);
  });
  renderHeader();
}

function renderLog() {
  const entries = [
    ...model.phases.map((p) => ({ atS: p.startedAtS, text: `${PHASE_WORDS[p.kind]} started`, cls: 'phase' })),
    ...model.markerList.map((m) => ({
      atS: m.atS,
      text: `${m.kind === 'note' ? 'Note' : m.kind === 'region' ? 'Region' : 'Technique'}: ${m.value}${m.undone ? ' (undone)' : ''}`,
      cls: m.undone ? 'undone' : m.kind,
    })),
  ].sort((a, b) => b.atS - a.atS);
  $('timeline').replaceChildren(
    ...entries.map((e) => {
      const li = document.createElement('li');
      li.className = e.cls;
      const t = document.createElement('span');
      t.className = 'at';
      t.textContent = clock(e.atS);
      li.append(t, ` ${e.text}`);
      return li;
    }),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// The socket

let socket = null;
let attempt = 0;
let retryTimer = 0;
let lastMessageAt = 0;

function connect() {
  clearTimeout(retryTimer);
  state.conn = state.conn === 'mismatch' ? 'mismatch' : 'connecting';
  const query = STREAM === 'client' ? '' : `?stream=${encodeURIComponent(STREAM)}`;
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${query}`);
  socket = ws;
  lastMessageAt = Date.now();
  let opened = false;
  ws.addEventListener('open', () => {
    opened = true;
  });
  ws.addEventListener('message', (event) => {
    if (socket !== ws) return;
    lastMessageAt = Date.now();
    let msg;
    try {
      msg = JSON.parse(event.data);
    } catch {
      return;
    }
    onMessage(msg);
  });
  ws.addEventListener('close', () => {
    if (socket !== ws) return;
    socket = null;
    if (state.conn === 'mismatch') return;
    state.conn = 'down';
    state.lastBeatAt = null;
    const delay = RECONNECT_DELAYS_MS[Math.min(attempt, RECONNECT_DELAYS_MS.length - 1)];
    attempt++;
    state.retryAt = Date.now() + delay;
    retryTimer = setTimeout(connect, delay);
    showBanner('', 'Retry now', () => connect());
    // Why, the API is asked only when an attempt was refused (never opened: a 401 or 404 at the upgrade). A socket
    // that was open and dropped asks nothing: tableside may be dying at this very moment (killed, crashed), still
    // holding its port while the system closes its sockets one by one, and a request sent into it would be reset.
    // After a token rotation or a strap's removal the next attempt is refused, and asks.
    if (!opened) {
      checkPaired();
      if (STREAM !== 'client') checkStreamExists();
    }
    invalidate('figures', 'controls');
  });
}

/** A screen following a strap that is no longer there says so, rather than retrying for ever. */
async function checkStreamExists() {
  try {
    const { streams } = await api.streams();
    if (streams.some((s) => s.id === STREAM)) return;
    clearTimeout(retryTimer);
    state.conn = 'mismatch';
    showBanner(`tableside has no "${STREAM}" strap any more.`, "Show the client's strap", () => {
      location.search = '';
    });
  } catch {
    // tableside itself is down: keep retrying
  }
}

/**
 * A socket refused for want of the access token closes like any lost connection (browsers hide the 401 from the
 * page); the API says which it was.
 */
async function checkPaired() {
  try {
    const response = await fetch('/api/health', { cache: 'no-store' });
    state.unpaired = response.status === 401;
  } catch {
    state.unpaired = false; // not reachable at all: the banner says so
  }
}

function onMessage(msg) {
  if (msg.type === 'hello') return onHello(msg);
  if (state.conn !== 'up') return;
  switch (msg.type) {
    case 'beat':
      model.addBeat(msg.seq, msg.tS, msg.rrMs, msg.gapBefore);
      state.lastBeatAt = performance.now();
      invalidate('charts', 'figures');
      break;
    case 'metrics':
      model.onMetrics(msg);
      invalidate('figures', 'charts');
      break;
    case 'status':
      state.status = msg.status;
      if (msg.status.state !== 'live') state.lastBeatAt = msg.status.state === 'stale' ? state.lastBeatAt : null;
      invalidate('figures', 'controls');
      break;
    case 'gap':
      model.onGap(msg);
      invalidate('charts');
      break;
    case 'phase':
      model.onPhase(msg);
      invalidate('charts', 'figures', 'controls', 'log');
      break;
    case 'marker':
      model.onMarker(msg);
      invalidate('charts', 'controls', 'log');
      break;
    case 'baseline':
      model.onBaseline(msg);
      invalidate('charts', 'figures');
      break;
    case 'session':
      // A session ended; a new one arrives as a fresh hello.
      if (msg.event === 'ended' && model.info?.id === msg.sessionId) {
        model.reset(null);
        invalidate('charts', 'figures', 'controls', 'log');
      }
      break;
    case 'recording':
      state.recording = msg.state !== 'stopped';
      invalidate('controls', 'figures');
      break;
    default:
      break; // pong, error, and messages of later minor versions
  }
}

function onHello(msg) {
  if (msg.protocol !== PROTOCOL) {
    state.conn = 'mismatch';
    socket?.close();
    socket = null;
    model.reset(null);
    showBanner(
      `Protocol mismatch: this screen speaks tableside protocol ${PROTOCOL}, the daemon speaks ${msg.protocol}. ` +
        'Reload the page; if that does not help, this screen and tableside come from different versions.',
      'Reload',
      () => location.reload(),
    );
    document.body.dataset.conn = 'mismatch';
    invalidate('figures', 'controls', 'charts', 'log');
    return;
  }
  attempt = 0;
  state.conn = 'up';
  state.unpaired = false;
  state.source = msg.source;
  state.status = msg.status;
  state.streams = msg.streams ?? [];
  state.recording = msg.recording;
  state.lastBeatAt = null;
  model.reset(msg.session);
  hideBanner();
  document.body.dataset.conn = 'up';
  document.body.dataset.session = model.info ? String(model.info.id) : '';
  invalidate('figures', 'controls', 'charts', 'log');
}

function showBanner(text, action, onAction) {
  const banner = $('banner');
  banner.hidden = false;
  if (text) setText($('banner-text'), text);
  const button = $('banner-action');
  button.hidden = !action;
  button.textContent = action ?? '';
  button.onclick = onAction ?? null;
  document.body.dataset.conn = state.conn;
}

function hideBanner() {
  $('banner').hidden = true;
}

setInterval(() => {
  if (socket && socket.readyState === WebSocket.OPEN) {
    if (Date.now() - lastMessageAt > WATCHDOG_MS) socket.close();
    else socket.send('{"type":"ping"}');
  }
}, PING_EVERY_MS);

// The clock: "last beat … ago" and the stale state need no message to change.
setInterval(() => {
  renderSignal();
  if (model.currentPhase?.kind === 'baseline') renderHero();
}, 250);

// ---------------------------------------------------------------------------------------------------------------
// Commands

const toastTimer = { id: 0 };
function toast(text, kind = 'ok') {
  const el = $('toast');
  el.hidden = false;
  el.dataset.kind = kind;
  el.textContent = text;
  clearTimeout(toastTimer.id);
  toastTimer.id = setTimeout(() => {
    el.hidden = true;
  }, 4500);
}

async function command(what, run, ack) {
  const id = model.info?.id;
  if (id === undefined) {
    toast('No session: start one first (N).', 'error');
    return;
  }
  try {
    const result = await run(id);
    toast(ack(result));
  } catch (err) {
    toast(`${what} failed: ${err.message}`, 'error');
  }
}

function setPhase(kind) {
  return command(
    `Starting the ${kind}`,
    (id) => api.setPhase(id, kind),
    (p) => `✓ ${PHASE_WORDS[p.kind]} started at ${clock(p.startedAtS)}`,
  );
}

function addMarker(kind, value) {
  return command(
    'The marker',
    (id) => api.addMarker(id, kind, value),
    (m) => `✓ Marked ${m.value} at ${clock(m.atS)} — undo: ← or PgUp`,
  );
}

function undoLast() {
  const last = model.lastUndoable;
  if (!last) {
    toast('No marker to undo.', 'error');
    return;
  }
  return command(
    'Undo',
    (id) => api.undoMarker(id, last.id),
    (m) => `↶ Undone: ${m.value}`,
  );
}

/** A pedal press that changes the phase or ends the session must be confirmed by a second press. */
function confirmTwice(key, text, run) {
  const now = performance.now();
  if (state.pending && state.pending.key === key && now < state.pending.until) {
    state.pending = null;
    run();
    return;
  }
  state.pending = { key, until: now + CONFIRM_MS };
  toast(text, 'confirm');
}

function nextPhase() {
  if (!model.info) {
    openNewSession();
    return;
  }
  const current = model.currentPhase?.kind;
  const next = PHASE_ORDER[current ? PHASE_ORDER.indexOf(current) + 1 : 0];
  if (!next) {
    toast('Recovery is the last phase: end the session with E.', 'error');
    return;
  }
  confirmTwice(`phase:${next}`, `Press again to start the ${next}`, () => setPhase(next));
}

function endSession() {
  confirmTwice('end', 'Press End (E) again to end the session', () =>
    command(
      'Ending the session',
      (id) => api.endSession(id),
      () => '✓ Session ended: its report is under Sessions',
    ),
  );
}

/** This screen's technique and region lists: saved ones, else the defaults. */
function loadLists() {
  try {
    const saved = JSON.parse(localStorage.getItem(LISTS_KEY) ?? 'null');
    if (saved && Array.isArray(saved.techniques) && Array.isArray(saved.regions)) return saved;
  } catch {
    // unreadable: the defaults
  }
  return { techniques: TECHNIQUES, regions: REGIONS };
}

/** One value per line, trimmed, no blanks or repeats, each within the API's length. */
function parseList(text) {
  const values = text
    .split('\n')
    .map((v) => v.trim().slice(0, MARKER_VALUE_MAX))
    .filter((v) => v !== '');
  return [...new Set(values)];
}

let chipList = [];
function setLists(lists) {
  chipList = [
    ...lists.techniques.map((value) => ({ kind: 'technique', value })),
    ...lists.regions.map((value) => ({ kind: 'region', value })),
  ].slice(0, CHIPS_MAX);
  state.selected = Math.min(state.selected, Math.max(0, chipList.length - 1));
  $('techniques-edit').value = lists.techniques.join('\n');
  $('regions-edit').value = lists.regions.join('\n');
  buildChips();
  invalidate('controls');
}

function saveLists() {
  const lists = { techniques: parseList($('techniques-edit').value), regions: parseList($('regions-edit').value) };
  const total = lists.techniques.length + lists.regions.length;
  localStorage.setItem(LISTS_KEY, JSON.stringify(lists));
  setLists(lists);
  toast(total > CHIPS_MAX ? `Lists saved: the first ${CHIPS_MAX} are shown` : '✓ Lists saved');
}

function buildChips() {
  const make = (chip, i) => {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'chip';
    const key = String((i + 1) % 10);
    b.setAttribute('aria-keyshortcuts', key);
    b.dataset.kind = chip.kind;
    b.dataset.value = chip.value;
    const k = document.createElement('kbd');
    k.textContent = key;
    b.append(k, ` ${chip.value}`);
    b.addEventListener('click', () => {
      state.selected = i;
      invalidate('controls');
      addMarker(chip.kind, chip.value);
    });
    return b;
  };
  $('techniques').replaceChildren(
    ...chipList.filter((c) => c.kind === 'technique').map((c) => make(c, chipList.indexOf(c))),
  );
  $('regions').replaceChildren(...chipList.filter((c) => c.kind === 'region').map((c) => make(c, chipList.indexOf(c))));
}

function openNewSession() {
  const dialog = $('new-session');
  if (dialog.open) return;
  $('new-session-error').textContent = '';
  $('scan-result').textContent = '';
  fillSourceChoices([]);
  dialog.showModal();
  $('client-label').focus();
  api
    .sources()
    .then((sources) => {
      offered = sources;
      $('scan-straps').hidden = !sources.bluetooth;
      fillSourceChoices([]);
    })
    .catch(() => {
      offered = null;
    });
}

/** What the daemon offers as sources (GET /api/sources); null: unknown, only "keep" is offered. */
let offered = null;

/** The choices of both strap lists: keep, the straps found, then demo sources (labelled DEMO). */
function fillSourceChoices(straps) {
  const option = (value, text) => {
    const o = document.createElement('option');
    o.value = value;
    o.textContent = text;
    return o;
  };
  const choices = [];
  if (offered?.bluetooth) {
    choices.push(option(JSON.stringify({ kind: 'ble' }), 'Any strap found'));
    for (const s of straps) {
      const battery = s.batteryPct === undefined ? '' : `, battery ${s.batteryPct} %`;
      choices.push(option(JSON.stringify({ kind: 'ble', deviceId: s.id }), `${s.name} (${s.rssi} dBm${battery})`));
    }
  }
  if (offered?.simulated)
    choices.push(option(JSON.stringify({ kind: 'simulated', seed: 1 }), 'DEMO: simulated client'));
  for (const recording of offered?.recordings ?? []) {
    choices.push(option(JSON.stringify({ kind: 'replay', recording }), `DEMO: replay ${recording}`));
  }
  const mine = state.streams.find((s) => s.id === STREAM);
  const keep = option('keep', `Keep: ${mine ? mine.label : (state.source?.label ?? 'the current source')}`);
  const keepSelected = $('source-choice').value;
  $('source-choice').replaceChildren(keep, ...choices.map((o) => o.cloneNode(true)));
  if ([...$('source-choice').options].some((o) => o.value === keepSelected)) $('source-choice').value = keepSelected;

  const therapist = state.streams.find((s) => s.id === 'therapist');
  const before = $('therapist-choice').value;
  $('therapist-choice').replaceChildren(
    therapist ? option('keep', `Keep: ${therapist.label}`) : option('none', 'None'),
    ...(therapist ? [option('none', 'None (remove it)')] : []),
    ...choices,
  );
  if ([...$('therapist-choice').options].some((o) => o.value === before)) $('therapist-choice').value = before;
  // On a screen following another strap (the therapist's), the first list is that strap; the second is not needed.
  setText($('source-choice-label'), STREAM === 'client' ? "Client's strap" : `${streamWords(STREAM)}'s strap`);
  $('therapist-choice').disabled = STREAM !== 'client';
}

async function scanForStraps() {
  const button = $('scan-straps');
  button.disabled = true;
  setText($('scan-result'), 'Looking for straps for 4 s… (a strap advertises only while worn)');
  try {
    const { straps } = await api.scanStraps(4);
    fillSourceChoices(straps);
    setText(
      $('scan-result'),
      straps.length === 0
        ? 'No strap found: wet the electrodes, put it on, and close any phone app connected to it.'
        : `${straps.length} strap${straps.length === 1 ? '' : 's'} found: choose one above.`,
    );
  } catch (err) {
    setText($('scan-result'), err.message);
  } finally {
    button.disabled = false;
  }
}

/** Applies the dialog's strap choices: each change ends the current session (the daemon's rule). */
async function applySourceChoices() {
  const client = $('source-choice').value;
  if (client !== 'keep') await api.chooseSource(STREAM, JSON.parse(client));
  if (STREAM !== 'client') return;
  const therapist = $('therapist-choice').value;
  const hasTherapist = state.streams.some((s) => s.id === 'therapist');
  if (therapist === 'none' && hasTherapist) await api.removeStream('therapist');
  else if (therapist !== 'none' && therapist !== 'keep') await api.chooseSource('therapist', JSON.parse(therapist));
}

async function startNewSession() {
  const label = $('client-label').value.trim();
  const note = $('client-note').value.trim();
  try {
    await applySourceChoices();
    await api.startSession(label, note);
    $('new-session').close();
    $('client-label').value = '';
    $('client-note').value = '';
    toast(`✓ New session${label ? ` for ${label}` : ''} started`);
  } catch (err) {
    $('new-session-error').textContent = err.message;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Screen: theme, fullscreen, wake lock, client view

const calm = new CalmView($('calm'), $('calm-canvas'));

function toggleTheme() {
  const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
  applyTheme(next);
  renderThemeButton();
  buildCharts();
  calm.update(model);
}

function renderThemeButton() {
  const light = document.documentElement.dataset.theme === 'light';
  $('theme-toggle').setAttribute('aria-pressed', String(light));
}

function toggleFullscreen() {
  const run = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
  run.catch((err) => toast(`Fullscreen is not available: ${err.message}`, 'error'));
}

function toggleCalm() {
  const on = !calm.active;
  calm.setActive(on, model);
  $('calm-toggle').setAttribute('aria-pressed', String(on));
  document.body.classList.toggle('calm-on', on);
  $('live').hidden = on;
  $('controls').hidden = on;
  (on ? $('calm-exit') : $('calm-toggle')).focus();
}

let wakeLock = null;
async function keepAwake() {
  const note = $('wake-note');
  if (!('wakeLock' in navigator)) {
    note.hidden = false;
    note.textContent = window.isSecureContext
      ? 'This browser cannot keep the screen awake: set the screen timeout to "never" for the session.'
      : 'The screen may go to sleep: keeping it awake needs a secure connection (open tableside on this machine at ' +
        'http://localhost, or start it with --tls for HTTPS). Until then, set the screen timeout to "never".';
    return;
  }
  try {
    wakeLock = await navigator.wakeLock.request('screen');
    note.hidden = true;
    wakeLock.addEventListener('release', () => {
      wakeLock = null;
    });
  } catch (err) {
    note.hidden = false;
    note.textContent = `The screen may go to sleep (${err.message}): set the screen timeout to "never" for the session.`;
  }
}
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible' && wakeLock === null) keepAwake();
});

// ---------------------------------------------------------------------------------------------------------------
// Wiring

function wire() {
  for (const b of document.querySelectorAll('button.phase'))
    b.addEventListener('click', () => setPhase(b.dataset.phase));
  $('undo').addEventListener('click', () => undoLast());
  $('end').addEventListener('click', () => endSession());
  $('new').addEventListener('click', () => openNewSession());
  $('theme-toggle').addEventListener('click', toggleTheme);
  $('fullscreen').addEventListener('click', toggleFullscreen);
  $('fullscreen').hidden = !document.fullscreenEnabled;
  $('calm-toggle').addEventListener('click', toggleCalm);
  $('calm-exit').addEventListener('click', toggleCalm);
  $('new-cancel').addEventListener('click', () => $('new-session').close());
  $('scan-straps').addEventListener('click', () => scanForStraps());
  $('lists-form').addEventListener('submit', (e) => {
    e.preventDefault();
    saveLists();
  });
  $('lists-reset').addEventListener('click', () => {
    localStorage.removeItem(LISTS_KEY);
    setLists(loadLists());
    toast('✓ Default lists');
  });
  $('new-session-form').addEventListener('submit', (e) => {
    e.preventDefault();
    startNewSession();
  });
  $('note-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const value = $('note-input').value.trim();
    if (!value) return;
    addMarker('note', value).then(() => {
      $('note-input').value = '';
    });
  });
  // A button tapped with a finger gives up the focus, so a pedal's Space or Enter never presses it again.
  document.addEventListener('click', (e) => {
    const button = e.target.closest?.('button');
    if (button && e.detail > 0) button.blur();
  });
  new Keys({
    next: nextPhase,
    mark: () => {
      const chip = chipList[state.selected];
      if (chip) addMarker(chip.kind, chip.value);
    },
    select: (step) => {
      state.selected = (state.selected + step + chipList.length) % chipList.length;
      invalidate('controls');
      toast(`Selected: ${chipList[state.selected].value} — Enter to mark`, 'confirm');
    },
    markNumber: (n) => {
      const chip = chipList[(n + 9) % 10];
      if (!chip) return;
      state.selected = chipList.indexOf(chip);
      invalidate('controls');
      addMarker(chip.kind, chip.value);
    },
    undo: undoLast,
    phase: (kind) => setPhase(kind),
    end: endSession,
    newSession: openNewSession,
    theme: toggleTheme,
    fullscreen: toggleFullscreen,
    calm: toggleCalm,
  }).attach(document);
}

applyTheme(savedTheme());
renderThemeButton();
setLists(loadLists());
wire();
buildCharts();
invalidate('figures', 'controls', 'log');
keepAwake();
connect();
