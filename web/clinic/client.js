// One client's weeks across the clinic's rooms (`/clients/:uid` of the overview): GET /api/clinic/clients/:uid, the
// record in the shape a table's client page reads (src/clinic/records.ts), drawn with the same chart. Each session
// says its room; a session's full report stays on the table that recorded it.
import { clientTimelineChart } from '../lib/client-chart.js';
import {
  dayLabel,
  lnPct,
  pairWords,
  READING_KIND_WORDS,
  signedLn,
  TREND,
  wallDateTime,
  wallDay,
} from '../lib/client-model.js';
import { $, el } from '../lib/dom.js';
import { num } from '../lib/format.js';
import { applyTheme, chartPalette, savedTheme } from '../lib/theme.js';

/**
 * @typedef {import('../lib/client-model.js').ClientRecord} ClientRecord
 * @typedef {import('../lib/client-model.js').RecordSession & { table: string, uid: string }} ClinicSession
 * @typedef {import('../lib/client-model.js').RecordReading & { table: string }} ClinicReading
 * @typedef {Omit<ClientRecord, 'sessions' | 'readings'> & { sessions: ClinicSession[], readings: ClinicReading[] }} ClinicRecord
 */

const uid = decodeURIComponent(location.pathname.split('/')[2] ?? '');
/** @type {ReturnType<typeof clientTimelineChart> | null} */
let chart = null;
/** @type {ClinicRecord | null} */
let data = null;

/** @param {ClinicSession} s */
function sessionRow(s) {
  const tr = document.createElement('tr');
  tr.dataset.session = s.uid;
  tr.dataset.table = s.table;
  const th = el('th', dayLabel(wallDay(s.date)));
  th.setAttribute('scope', 'row');
  const shift =
    s.massageShiftLn === null
      ? 'no shift (no baseline or massage phase)'
      : `${signedLn(s.massageShiftLn)} (${lnPct(s.massageShiftLn)})`;
  tr.append(
    th,
    el('td', s.table, 'room'),
    el('td', s.mainTechnique ?? '—'),
    el('td', shift, 'num'),
    el('td', pairWords(s)),
  );
  return tr;
}

/** @param {ClinicReading} r */
function readingRow(r) {
  const tr = document.createElement('tr');
  tr.dataset.kind = r.kind;
  const th = el('th', wallDateTime(r.at));
  th.setAttribute('scope', 'row');
  tr.append(
    th,
    el('td', READING_KIND_WORDS[r.kind] ?? r.kind),
    el('td', num(r.lnRmssd, 2), 'num'),
    el('td', num(r.rmssdMs, 0), 'num'),
    el('td', r.table, 'room'),
  );
  return tr;
}

/**
 * @param {number} span
 * @param {string} text
 */
function emptyRow(span, text) {
  const tr = document.createElement('tr');
  const td = /** @type {HTMLTableCellElement} */ (el('td', text, 'dim'));
  td.colSpan = span;
  tr.append(td);
  return tr;
}

/** @param {ClinicRecord} d */
function render(d) {
  document.title = `tableside · clinic · ${d.client.name}`;
  $('title').textContent = d.client.name;
  $('note').textContent = d.client.note;
  const rooms = [...new Set(d.sessions.map((s) => s.table))].sort();
  $('meta').textContent = [
    `${d.sessions.length} session${d.sessions.length === 1 ? '' : 's'}`,
    `${d.readings.length} reading${d.readings.length === 1 ? '' : 's'}`,
    rooms.length === 0 ? 'no room yet' : `${rooms.length === 1 ? 'room' : 'rooms'} ${rooms.join(', ')}`,
  ].join(' · ');
  const w = d.overWeeks;
  const over = $('over-weeks');
  over.dataset.verdict = w.verdict;
  over.replaceChildren(
    el('span', TREND[w.verdict].glyph, 'trend-arrow'),
    ` ${w.words[0].toUpperCase()}${w.words.slice(1)}.`,
  );
  $('sessions')
    .querySelector('tbody')
    ?.replaceChildren(
      ...(d.sessions.length === 0 ? [emptyRow(5, 'No sessions yet.')] : [...d.sessions].reverse().map(sessionRow)),
    );
  $('readings')
    .querySelector('tbody')
    ?.replaceChildren(
      ...(d.readings.length === 0
        ? [emptyRow(5, 'No readings yet.')]
        : [...d.readings].sort((a, b) => b.at.localeCompare(a.at)).map(readingRow)),
    );
  $('client').hidden = false;
  $('client-status').hidden = true;
  chart?.destroy();
  chart = clientTimelineChart($('timeline'), chartPalette(), d);
}

async function load() {
  try {
    const response = await fetch(`/api/clinic/clients/${encodeURIComponent(uid)}`, { credentials: 'same-origin' });
    const body = await response.json();
    if (!response.ok) {
      $('client-status').textContent = body.message ?? `the overview answered ${response.status}`;
      return;
    }
    data = /** @type {ClinicRecord} */ (body);
    render(data);
  } catch {
    $('client-status').textContent = 'The overview cannot be reached.';
  }
}

$('theme-toggle').setAttribute('aria-pressed', String(savedTheme() === 'light'));
$('theme-toggle').addEventListener('click', () => {
  const next = savedTheme() === 'light' ? 'dark' : 'light';
  applyTheme(next);
  $('theme-toggle').setAttribute('aria-pressed', String(next === 'light'));
  if (data) render(data);
});
applyTheme(savedTheme());
void load();
