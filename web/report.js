// One stored session's report: the per-phase table with the shift of each phase against the baseline and its noise
// band, the full-session charts with phases and markers, data-quality notes and the exports. Print gives a light,
// clean one- or two-page report (style.css, "@media print").
import { api, exportUrl } from './lib/api.js';
import { tachogramChart, trendChart } from './lib/charts.js';
import { $ } from './lib/dom.js';
import {
  bandPct,
  clock,
  duration,
  isDemoSource,
  localDateTime,
  ms,
  num,
  PHASE_WORDS,
  signedPct,
  VERDICT_GLYPHS,
  VERDICT_WORDS,
} from './lib/format.js';
import { applyTheme, chartPalette, savedTheme } from './lib/theme.js';

/**
 * @typedef {object} SessionJson the parts of `GET /api/sessions/:id/export?format=json` (src/io/session-export.ts,
 *   `sessionJson`) the report reads
 * @property {import('../src/store/types.js').StoredSession} session
 * @property {readonly import('../src/store/types.js').StoredBeat[]} beats
 * @property {readonly import('../src/store/types.js').StoredGap[]} gaps
 * @property {readonly import('../src/store/types.js').StoredPhase[]} phases
 * @property {readonly import('../src/store/types.js').StoredMarker[]} markers
 * @property {readonly import('../src/store/types.js').StoredMetrics[]} metrics
 * @property {SessionSummary} summary
 * @typedef {import('../src/session/summary.js').SessionSummary} SessionSummary
 * @typedef {import('../src/session/summary.js').PhaseSummary} PhaseSummary
 * @typedef {import('../src/store/types.js').StoredSession} StoredSession
 * @typedef {import('./lib/charts.js').Chart} Chart
 */
const sessionId = Number(location.pathname.split('/').filter(Boolean).pop());

/** Print width of the charts, CSS px: an A4 page less its margins. */
const PRINT_CHART_WIDTH = 680;
/** ... and height, so that both charts fit on the first page with the table. */
const PRINT_CHART_HEIGHT = 165;

/** @type {Chart[]} */
let charts = [];
/** @type {SessionJson | null} */
let data = null;

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {string | null} [text]
 * @param {string} [className]
 */
function el(tag, text, className) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = text;
  if (className) e.className = className;
  return e;
}

/** @param {PhaseSummary} phase */
function shiftCell(phase) {
  const td = el('td', null, 'shift');
  if (phase.kind === 'baseline') {
    const r = phase.reference;
    if (r && r.bandLn !== null) {
      td.textContent = `reference: band ${bandPct(r.bandLn)} from ${r.windows} one-minute windows`;
    } else {
      td.textContent = `reference: ${r?.reason ?? 'none'}`;
    }
    td.dataset.verdict = 'reference';
    return td;
  }
  const s = phase.shift;
  if (!s) {
    td.textContent = '—';
    return td;
  }
  td.dataset.verdict = s.verdict;
  if (s.verdict === 'unknown') {
    td.append(el('span', `${VERDICT_GLYPHS.unknown} no verdict`, 'verdict-word'), ` — ${s.words}`);
    return td;
  }
  td.append(
    el('span', `${VERDICT_GLYPHS[s.verdict]} ${VERDICT_WORDS[s.verdict]}`, 'verdict-word'),
    ` ${signedPct(s.rmssdPct)} (${ms(s.baselineRmssdMs)} → ${ms(s.rmssdMs)} ms; ${s.verdict === 'no-clear-change' ? 'within' : 'beyond'} the band ${bandPct(s.bandLn)})`,
  );
  return td;
}

/** @param {PhaseSummary} p */
function timeCell(p) {
  const td = el('td', `${clock(p.startedAtS)}–${clock(p.endedAtS)}`, 'time');
  td.append(el('span', duration(p.durationS), 'sub'));
  return td;
}

/** @param {SessionSummary} summary */
function phaseRows(summary) {
  return summary.phases.map((p) => {
    const tr = document.createElement('tr');
    tr.dataset.phase = p.kind;
    const th = el('th', PHASE_WORDS[p.kind] ?? p.kind);
    th.scope = 'row';
    tr.append(
      th,
      timeCell(p),
      el('td', num(p.meanHrBpm, 0), 'num'),
      el('td', p.tooIrregular ? 'too irregular' : ms(p.rmssdMs), 'num'),
      el('td', num(p.lnRmssd, 2), 'num'),
      el('td', num(p.hfMs2, 0), 'num'),
      el('td', num(p.respirationRateBpm, 1), 'num'),
      el('td', `${num(p.correctedPct, 1)} %`, 'num'),
      shiftCell(p),
    );
    return tr;
  });
}

/** @param {SessionSummary} summary */
function overview(summary) {
  const parts = summary.phases
    .flatMap((p) => (p.shift ? [{ kind: p.kind, s: p.shift }] : []))
    .map(({ kind, s }) => {
      const what = s.verdict === 'unknown' ? 'no verdict' : VERDICT_WORDS[s.verdict].toLowerCase();
      return `${PHASE_WORDS[kind]}: ${what}${s.rmssdPct === null ? '' : ` (${signedPct(s.rmssdPct)})`}`;
    });
  if (summary.phases.length === 0) return 'No phases were set in this session: there is nothing to compare.';
  if (parts.length === 0) return 'Only a baseline was recorded: there is nothing to compare it with.';
  return `${parts.join('. ')}.`;
}

/** @param {SessionJson} d */
function qualityNotes(d) {
  const notes = [];
  const { session, summary, gaps } = d;
  if (isDemoSource(session.sourceKind)) {
    notes.push(
      `DEMO: ${session.sourceKind === 'replay' ? 'a replayed recording' : 'a simulated strap'}, not a client.`,
    );
  }
  if (session.status === 'interrupted') {
    notes.push('tableside stopped without ending this session: everything stored before the stop is kept.');
  }
  if (gaps.length > 0) {
    const lostS = gaps.reduce((s, g) => s + (g.toS - g.fromS), 0);
    const reasons = [...new Set(gaps.map((g) => g.reason))].join('; ');
    notes.push(
      `${gaps.length} gap${gaps.length === 1 ? '' : 's'} in the signal, ${duration(lostS)} lost (${reasons}).`,
    );
  }
  if (summary.baseline?.reason) notes.push(`Baseline: ${summary.baseline.reason}.`);
  for (const p of summary.phases) {
    const name = PHASE_WORDS[p.kind];
    if (p.tooIrregular) notes.push(`${name}: too many irregular beats for a trustworthy RMSSD.`);
    else if (p.correctedPct > 0) notes.push(`${name}: ${num(p.correctedPct, 1)} % of beats corrected.`);
    for (const n of p.analysisNotes) notes.push(`${name}: ${n}.`);
  }
  if (summary.unassignedMarkers.length > 0) {
    notes.push(`${summary.unassignedMarkers.length} marker(s) lie before the first phase.`);
  }
  if (notes.length === 0) notes.push('No artefacts corrected, no gaps: clean signal throughout.');
  return notes;
}

/** @param {SessionJson} data */
function buildCharts(data) {
  for (const c of charts) c.destroy();
  const p = chartPalette();
  const beats = data.beats;
  const metrics = data.metrics;
  // a null after the last beat before each gap, so no line crosses it
  /** @type {number[]} */
  const rrX = [];
  /** @type {(number | null)[]} */
  const rrY = [];
  for (let i = 0; i < beats.length; i++) {
    if (beats[i].gapBefore && i > 0) {
      rrX.push(beats[i].tS - beats[i].rrMs / 1000);
      rrY.push(null);
    }
    rrX.push(beats[i].tS);
    rrY.push(beats[i].rrMs);
  }
  const mT = metrics.map((m) => m.tS);
  const endS = data.session.durationS;
  const baselinePhase = data.summary.phases.find((ph) => ph.kind === 'baseline' && ph.reference);
  const annotations = {
    phases: data.phases,
    markers: data.markers,
    gaps: data.gaps,
    endS,
    baseline: baselinePhase?.reference ? { fromS: baselinePhase.startedAtS, reference: baselinePhase.reference } : null,
  };
  const trend = trendChart($('trend'), p, () => [mT, metrics.map((m) => m.rmssdMs), metrics.map((m) => m.hfMs2)], {
    cursor: true,
  });
  const tacho = tachogramChart($('tacho'), p, () => [rrX, rrY], { cursor: true });
  trend.setAnnotations(annotations);
  tacho.setAnnotations({
    ...annotations,
    baseline: null,
    artefacts: { tS: beats.map((b) => b.tS), rrMs: beats.map((b) => b.rrMs), kind: beats.map((b) => b.kind) },
  });
  trend.redraw();
  tacho.redraw();
  charts = [trend, tacho];
}

/** @param {SessionJson} d */
function render(d) {
  const { session, summary } = d;
  document.title = `tableside · ${session.clientLabel || `session ${session.id}`}`;
  $('title').textContent = session.clientLabel
    ? `${session.clientLabel} — session ${session.id}`
    : `Session ${session.id}`;
  $('demo').hidden = !isDemoSource(session.sourceKind);
  $('meta').textContent = [
    localDateTime(session.startedAt),
    duration(session.durationS),
    `${session.beatCount} beats`,
    `${session.sourceKind}: ${session.sourceLabel}${session.device && !session.device.name.includes(session.sourceLabel) ? ` (${session.device.name})` : ''}`,
    session.status,
  ].join(' · ');
  renderStreams(session);
  $('therapist-note').hidden = !session.therapistNote;
  $('therapist-note').textContent = session.therapistNote;
  $('overview').textContent = overview(summary);
  const b = summary.baseline;
  $('baseline-line').textContent =
    b && b.rmssdMs !== null
      ? `Baseline RMSSD ${ms(b.rmssdMs)} ms (ln ${num(b.lnRmssd, 2)}); the smallest change that counts for this client: ${bandPct(b.bandLn)}, from ${b.windows} clean one-minute windows${b.skippedWindows ? ` (${b.skippedWindows} skipped)` : ''}.`
      : 'No baseline reference.';
  $('phases')
    .querySelector('tbody')
    ?.replaceChildren(...phaseRows(summary));
  const live = d.markers.filter((m) => !m.undone).sort((a, c) => a.atS - c.atS);
  $('markers').replaceChildren(
    ...(live.length === 0
      ? [el('li', 'No markers.')]
      : live.map((m) => {
          const li = el('li', null, m.kind);
          li.append(el('span', clock(m.atS), 'at'), ` ${m.kind}: ${m.value}`);
          return li;
        })),
  );
  $('quality-notes').replaceChildren(...qualityNotes(d).map((n) => el('li', n)));
  $('exports').replaceChildren(
    .../** @type {['csv' | 'rr' | 'json', string][]} */ ([
      ['csv', 'Beats (CSV, tableside beats v1)'],
      ['rr', 'RR intervals (text, for Kubios and others)'],
      ['json', 'Everything (JSON)'],
    ]).map(([f, label]) => {
      const li = document.createElement('li');
      const a = el('a', label);
      a.href = exportUrl(session.id, f);
      li.append(a);
      return li;
    }),
  );
  $('report').hidden = false;
  $('report-status').hidden = true;
  buildCharts(d);
}

/**
 * A session recorded from two straps: a link to the other strap's report.
 * @param {StoredSession} session
 */
async function renderStreams(session) {
  const line = $('streams-line');
  try {
    /** @type {{ sessions: StoredSession[] }} */
    const { sessions } = await api.sessions();
    const others = sessions.filter((s) =>
      session.groupId === null
        ? s.groupId === session.id
        : s.id === session.groupId || (s.groupId === session.groupId && s.id !== session.id),
    );
    if (others.length === 0) return;
    const who = (/** @type {StoredSession} */ s) =>
      s.stream === 'client' ? "the client's strap" : `the ${s.stream}'s strap`;
    line.replaceChildren(
      document.createTextNode(`This report is ${who(session)}. Recorded with it: `),
      ...others.flatMap((s, i) => {
        const a = el('a', `${who(s)} (session ${s.id})`);
        a.href = `/sessions/${s.id}`;
        return i === 0 ? [a] : [document.createTextNode(', '), a];
      }),
      document.createTextNode('.'),
    );
    line.hidden = false;
  } catch {
    // the list cannot be read: the report stands on its own
  }
}

async function load() {
  if (!Number.isInteger(sessionId)) {
    $('report-status').textContent = 'No session id in the address.';
    return;
  }
  try {
    /** @type {SessionJson} */
    const loaded = await api.sessionJson(sessionId);
    data = loaded;
    render(loaded);
  } catch (e) {
    const err = /** @type {import('./lib/api.js').ApiRefused} */ (e);
    $('report-status').textContent =
      err.status === 404 ? `There is no session ${sessionId}.` : `Could not load session ${sessionId}: ${err.message}`;
  }
}

// Printing: light colours and a page-wide chart, whatever the screen shows.
/** @type {string | undefined | null} the theme shown before printing; null: not printing */
let themeBeforePrint = null;
function beforePrint() {
  if (!data || themeBeforePrint !== null) return;
  themeBeforePrint = document.documentElement.dataset.theme;
  document.documentElement.dataset.theme = 'light';
  buildCharts(data);
  for (const c of charts) c.plot.setSize({ width: PRINT_CHART_WIDTH, height: PRINT_CHART_HEIGHT });
}
function afterPrint() {
  if (themeBeforePrint === null) return;
  document.documentElement.dataset.theme = themeBeforePrint;
  themeBeforePrint = null;
  if (data) buildCharts(data);
}
window.addEventListener('beforeprint', beforePrint);
window.addEventListener('afterprint', afterPrint);
window.matchMedia('print').addEventListener('change', (e) => (e.matches ? beforePrint() : afterPrint()));

applyTheme(savedTheme());
$('theme-toggle').setAttribute('aria-pressed', String(savedTheme() === 'light'));
$('theme-toggle').addEventListener('click', () => {
  const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
  applyTheme(next);
  $('theme-toggle').setAttribute('aria-pressed', String(next === 'light'));
  if (data) buildCharts(data);
});
$('print').addEventListener('click', () => window.print());
load();
