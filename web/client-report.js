// A client's progress report: their last weeks (REPORT_DAYS up to today) in plain words, the timeline chart and the
// sessions of those weeks, printable on one or two A4 pages (style.css, "@media print"). Every figure is the server's
// (`GET /api/clients/:id`); this page only counts and words them.
import { api } from './lib/api.js';
import { clientTimelineChart } from './lib/client-chart.js';
import { dayLabel, latestRange, lnPct, lnWithMs, pairWords, signedLn, wallDay } from './lib/client-model.js';
import { $, el } from './lib/dom.js';
import { num } from './lib/format.js';
import { applyTheme, chartPalette, savedTheme } from './lib/theme.js';

/**
 * @typedef {import('./lib/client-model.js').ClientRecord} ClientRecord
 * @typedef {import('./lib/client-model.js').RecordSession} RecordSession
 */

/** The weeks a progress report covers, days up to today. */
const REPORT_DAYS = 42;
/** Print width and height of the chart, CSS px: an A4 page less its margins. */
const PRINT_CHART_WIDTH = 680;
const PRINT_CHART_HEIGHT = 230;

const clientId = Number(location.pathname.split('/').filter(Boolean).at(-2));

/** @type {ClientRecord | null} */
let data = null;
/** @type {ReturnType<typeof clientTimelineChart> | null} */
let chart = null;

/** @param {number} n @param {string} one @param {string} [many] */
const count = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** @param {number} days */
const weeks = (days) => (days % 7 === 0 ? count(days / 7, 'week') : count(days, 'day'));

/** The first day of the report's weeks (wall-clock day number). @param {ClientRecord} d */
function firstDay(d) {
  const last = d.days.at(-1);
  if (!last) return 0;
  // the report's weeks, or fewer when the record is younger
  return Math.max(wallDay(last.date) - (REPORT_DAYS - 1), wallDay(d.days[0].date));
}

/**
 * The report's sentences.
 * @param {ClientRecord} d
 * @param {RecordSession[]} sessions the sessions of the report's weeks
 */
function summary(d, sessions) {
  const lines = [];
  const w = d.overWeeks;
  lines.push(`Over the weeks: ${w.words}.`);
  if (sessions.length === 0) lines.push(`No sessions in the last ${REPORT_DAYS / 7} weeks.`);
  else {
    /** @type {Map<string, number>} */
    const byTechnique = new Map();
    for (const s of sessions) {
      const t = s.mainTechnique ?? 'no technique marked';
      byTechnique.set(t, (byTechnique.get(t) ?? 0) + 1);
    }
    const techniques = [...byTechnique].map(([t, n]) => `${t} (${n})`).join(', ');
    lines.push(
      `${count(sessions.length, 'session')} between ${dayLabel(wallDay(sessions[0].date))} and ${dayLabel(wallDay(sessions[sessions.length - 1].date))}: ${techniques}.`,
    );
    const shifts = sessions.filter((s) => s.massageShiftLn !== null);
    if (shifts.length > 0) {
      const up = shifts.filter((s) => /** @type {number} */ (s.massageShiftLn) > 0).length;
      lines.push(
        `During the massage their RMSSD rose above the session's own baseline in ${up} of ${count(shifts.length, 'session')} with a baseline.`,
      );
    }
    const pairs = sessions.filter((s) => s.before && s.after);
    if (pairs.length > 0) {
      const higher = pairs.filter(
        (s) => /** @type {number} */ (s.after?.lnRmssd) > /** @type {number} */ (s.before?.lnRmssd),
      ).length;
      lines.push(
        `The reading after the session was higher than the one before in ${higher} of ${count(pairs.length, 'session')} with both.`,
      );
    } else lines.push('No session has a reading both before and after it.');
    const mornings = sessions.filter((s) => s.nextMorningPosition !== null);
    if (mornings.length > 0) {
      const n = (/** @type {string} */ p) => mornings.filter((s) => s.nextMorningPosition === p).length;
      lines.push(
        `The morning after: ${n('above')} above their usual range, ${n('within')} within it, ${n('below')} below it (of ${count(mornings.length, 'session')} with a reading that morning).`,
      );
    }
  }
  const range = latestRange(d.days);
  const last = d.days.at(-1);
  if (range) {
    lines.push(
      `Their usual range: lnRMSSD ${lnWithMs(range.normalLow)} to ${lnWithMs(range.normalHigh)}; their 7-day baseline now ${lnWithMs(last?.baseline7)}.`,
    );
  } else lines.push('No usual range yet: it needs 14 morning readings within 60 days.');
  const ranked = d.techniques.filter((t) => t.rank !== null);
  if (ranked.length >= 2) lines.push(...ranked.map((t) => `${t.technique}: ${t.words}.`));
  else if (d.techniques.length > 0) lines.push('Techniques: too few sessions yet to say which shifts them most.');
  return lines;
}

/** @param {RecordSession} s */
function sessionRow(s) {
  const tr = document.createElement('tr');
  const th = el('th', dayLabel(wallDay(s.date)));
  th.scope = 'row';
  tr.append(
    th,
    el('td', s.mainTechnique ?? '—'),
    el('td', s.massageShiftLn === null ? '—' : `${signedLn(s.massageShiftLn)} (${lnPct(s.massageShiftLn)})`, 'num'),
    el('td', pairWords(s)),
    el('td', s.nextMorning ? `${num(s.nextMorning.lnRmssd, 2)}: ${s.nextMorningWords ?? 'no usual range yet'}` : '—'),
  );
  return tr;
}

/** @param {ClientRecord} d */
function render(d) {
  const from = firstDay(d);
  const sessions = d.sessions.filter((s) => wallDay(s.date) >= from);
  document.title = `tableside · progress report · ${d.client.name}`;
  $('title').textContent = `${d.client.name} — progress report`;
  const last = d.days.at(-1);
  $('meta').textContent = last
    ? `${dayLabel(from)} – ${dayLabel(wallDay(last.date))} (${weeks(wallDay(last.date) - from + 1)}) · printed ${new Date().toLocaleDateString()}`
    : 'No readings or sessions yet.';
  $('summary').replaceChildren(...summary(d, sessions).map((line) => el('li', line)));
  $('sessions')
    .querySelector('tbody')
    ?.replaceChildren(...sessions.map(sessionRow));
  $('client-link', HTMLAnchorElement).href = `/clients/${d.client.id}`;
  $('report').hidden = false;
  $('report-status').hidden = true;
  buildChart(d);
}

/** @param {ClientRecord} d */
function buildChart(d) {
  chart?.destroy();
  chart = clientTimelineChart($('timeline'), chartPalette(), d, { fromDay: firstDay(d) });
}

async function load() {
  if (!Number.isInteger(clientId)) {
    $('report-status').textContent = 'No client id in the address.';
    return;
  }
  try {
    /** @type {ClientRecord} */
    const loaded = await api.client(clientId);
    data = loaded;
    render(loaded);
  } catch (e) {
    const err = /** @type {import('./lib/api.js').ApiRefused} */ (e);
    $('report-status').textContent =
      err.status === 404 ? `There is no client ${clientId}.` : `Could not load client ${clientId}: ${err.message}`;
  }
}

// Printing: light colours and a page-wide chart, whatever the screen shows (as the session report).
/** @type {string | undefined | null} the theme shown before printing; null: not printing */
let themeBeforePrint = null;
function beforePrint() {
  if (!data || themeBeforePrint !== null) return;
  themeBeforePrint = document.documentElement.dataset.theme;
  document.documentElement.dataset.theme = 'light';
  buildChart(data);
  chart?.plot.setSize({ width: PRINT_CHART_WIDTH, height: PRINT_CHART_HEIGHT });
}
function afterPrint() {
  if (themeBeforePrint === null) return;
  document.documentElement.dataset.theme = themeBeforePrint;
  themeBeforePrint = null;
  if (data) buildChart(data);
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
  if (data) buildChart(data);
});
$('print').addEventListener('click', () => window.print());
load();
