// One client's weeks: what their weeks came to, the timeline chart (daily values, 7-day baseline, normal range and
// the sessions with their readings), the sessions and techniques tables, their readings with their quality, and an
// upload of RR files as readings. Every figure is the server's (`GET /api/clients/:id`, src/io/client-record.ts).
import { api } from './lib/api.js';
import { clientTimelineChart } from './lib/client-chart.js';
import {
  dayLabel,
  latestRange,
  lnPct,
  lnWithMs,
  pairWords,
  READING_KIND_WORDS,
  signedLn,
  TREND,
  wallDateTime,
  wallDay,
} from './lib/client-model.js';
import { $, el } from './lib/dom.js';
import { num } from './lib/format.js';
import { applyTheme, chartPalette, savedTheme } from './lib/theme.js';

/**
 * @typedef {import('./lib/client-model.js').ClientRecord} ClientRecord
 * @typedef {import('./lib/client-model.js').RecordSession} RecordSession
 * @typedef {import('./lib/client-model.js').TechniqueRow} TechniqueRow
 * @typedef {import('./lib/client-model.js').RecordReading} RecordReading
 */

const clientId = Number(location.pathname.split('/').filter(Boolean).pop());

/** @type {ClientRecord | null} */
let data = null;
/** @type {{ destroy(): void } | null} */
let chart = null;

/** @param {RecordSession} s */
function sessionRow(s) {
  const tr = document.createElement('tr');
  tr.dataset.session = String(s.id);
  const th = el('th');
  th.scope = 'row';
  if (s.local === false) {
    // recorded in another room: its report lives on that table
    tr.dataset.room = s.table ?? '';
    th.append(dayLabel(wallDay(s.date)), el('span', ` · ${s.table ?? 'another room'}`, 'dim'));
  } else {
    const a = el('a', dayLabel(wallDay(s.date)));
    a.href = `/sessions/${s.id}`;
    a.setAttribute('aria-label', `Report of the session of ${dayLabel(wallDay(s.date))}`);
    th.append(a);
  }
  const shift = el('td', null, 'num');
  shift.textContent =
    s.massageShiftLn === null
      ? 'no shift (no baseline or massage phase)'
      : `${signedLn(s.massageShiftLn)} (${lnPct(s.massageShiftLn)})`;
  const next = el(
    'td',
    s.nextMorning
      ? `${num(s.nextMorning.lnRmssd, 2)}: ${s.nextMorningWords ?? 'no normal range yet'}`
      : 'no reading the next morning',
  );
  if (s.nextMorningPosition) next.dataset.position = s.nextMorningPosition;
  const pair = el('td', pairWords(s), 'pair');
  if (s.before && s.after) pair.dataset.pair = 'both';
  tr.append(th, el('td', s.mainTechnique ?? '—'), shift, pair, next);
  return tr;
}

/** The rooms on the record, for the clinic line: " (room-1, room-2)". @param {ClientRecord} d */
function roomsOf(d) {
  const rooms = [...new Set(d.sessions.map((s) => s.table).filter((t) => t !== undefined))].sort();
  return rooms.length === 0 ? '' : ` (${rooms.join(', ')})`;
}

/** @param {TechniqueRow} t */
function techniqueRow(t) {
  const tr = document.createElement('tr');
  tr.dataset.technique = t.technique;
  const th = el('th', t.technique);
  th.scope = 'row';
  const interval =
    t.ciLowLn === null || t.ciHighLn === null ? '—' : `${signedLn(t.ciLowLn)} to ${signedLn(t.ciHighLn)}`;
  tr.append(
    th,
    el('td', `${t.sessions}${t.shifts === t.sessions ? '' : ` (${t.shifts} with a shift)`}`, 'num'),
    el('td', t.meanShiftLn === null ? '—' : `${signedLn(t.meanShiftLn)} (${lnPct(t.meanShiftLn)})`, 'num'),
    el('td', interval, 'num'),
    el('td', t.words),
  );
  return tr;
}

/** @param {RecordReading} r */
function readingRow(r) {
  const tr = document.createElement('tr');
  tr.dataset.reading = String(r.id);
  tr.dataset.kind = r.kind;
  const th = el('th', wallDateTime(r.at));
  th.scope = 'row';
  const quality = el(
    'td',
    r.reason ?? (r.correctedPct > 0 ? `${num(r.correctedPct, 1)} % of beats corrected` : 'clean'),
    r.reason ? 'no-value' : '',
  );
  tr.append(
    th,
    el('td', READING_KIND_WORDS[r.kind] ?? r.kind),
    el('td', num(r.lnRmssd, 2), 'num'),
    el('td', num(r.rmssdMs, 0), 'num'),
    el('td', num(r.meanHrBpm, 0), 'num'),
    el('td', String(r.beats), 'num'),
    quality,
    el('td', r.source, 'source'),
  );
  return tr;
}

/** @param {ClientRecord} d */
function render(d) {
  const { client } = d;
  document.title = `tableside · ${client.name}`;
  $('title').textContent = client.name;
  const valued = d.readings.filter((r) => r.lnRmssd !== null).length;
  $('meta').textContent = [
    `${d.sessions.length} session${d.sessions.length === 1 ? '' : 's'}`,
    `${d.readings.length} reading${d.readings.length === 1 ? '' : 's'} (${valued} with a value)`,
    d.days.length > 0
      ? `${dayLabel(wallDay(d.days[0].date))} – ${dayLabel(wallDay(d.days[d.days.length - 1].date))}`
      : 'no readings yet',
  ].join(' · ');
  const note = $('clinic-note');
  note.hidden = d.clinic !== 'unreachable' && d.clinic !== 'all-rooms';
  note.dataset.clinic = d.clinic ?? '';
  note.textContent =
    d.clinic === 'unreachable'
      ? "This table's sessions only: the clinic database is unreachable."
      : `Every room's sessions, from the clinic database${roomsOf(d)}.`;
  const w = d.overWeeks;
  const over = $('over-weeks');
  over.dataset.verdict = w.verdict;
  over.replaceChildren(
    el('span', TREND[w.verdict].glyph, 'trend-arrow'),
    ` ${w.words[0].toUpperCase()}${w.words.slice(1)}.`,
  );
  const range = latestRange(d.days);
  $('range-line').textContent = range
    ? `Their usual range (${range.date}): lnRMSSD ${lnWithMs(range.normalLow)} to ${lnWithMs(range.normalHigh)}; 7-day baseline ${lnWithMs(range.baseline7)}.`
    : 'No usual range yet: it needs 14 morning readings within 60 days.';
  $('sessions')
    .querySelector('tbody')
    ?.replaceChildren(
      ...(d.sessions.length === 0
        ? [emptyRow(5, 'No sessions on this record yet.')]
        : [...d.sessions].reverse().map(sessionRow)),
    );
  $('techniques')
    .querySelector('tbody')
    ?.replaceChildren(
      ...(d.techniques.length === 0
        ? [emptyRow(5, 'No technique marked yet (mark techniques during a session).')]
        : d.techniques.map(techniqueRow)),
    );
  $('readings')
    .querySelector('tbody')
    ?.replaceChildren(
      ...(d.readings.length === 0
        ? [emptyRow(8, 'No readings yet.')]
        : [...d.readings].sort((a, b) => b.at.localeCompare(a.at) || b.id - a.id).map(readingRow)),
    );
  $('report-link', HTMLAnchorElement).href = `/clients/${client.id}/report`;
  $('export-link', HTMLAnchorElement).href = `/api/clients/${client.id}/export`;
  $('client').hidden = false;
  $('client-status').hidden = true;
  buildChart(d);
}

/**
 * @param {number} span
 * @param {string} text
 */
function emptyRow(span, text) {
  const tr = document.createElement('tr');
  const td = el('td', text, 'dim');
  td.colSpan = span;
  tr.append(td);
  return tr;
}

/** @param {ClientRecord} d */
function buildChart(d) {
  chart?.destroy();
  chart = clientTimelineChart($('timeline'), chartPalette(), d);
}

async function load() {
  if (!Number.isInteger(clientId)) {
    $('client-status').textContent = 'No client id in the address.';
    return;
  }
  try {
    /** @type {ClientRecord} */
    const loaded = await api.client(clientId);
    data = loaded;
    render(loaded);
    await renderRecordForms();
  } catch (e) {
    const err = /** @type {import('./lib/api.js').ApiRefused} */ (e);
    $('client-status').textContent =
      err.status === 404 ? `There is no client ${clientId}.` : `Could not load client ${clientId}: ${err.message}`;
  }
}

/** The rename field and the clients this one can be merged into. */
async function renderRecordForms() {
  if (!data) return;
  $('rename-name', HTMLInputElement).value = data.client.name;
  /** @type {{ clients: { id: number, name: string }[] }} */
  const { clients } = await api.clients();
  const select = $('merge-into', HTMLSelectElement);
  select.replaceChildren(
    ...clients
      .filter((c) => c.id !== clientId)
      .map((c) => {
        const option = el('option', c.name);
        option.value = String(c.id);
        return option;
      }),
  );
  $('merge', HTMLFormElement).hidden = select.options.length === 0;
}

/** @param {SubmitEvent} event */
async function rename(event) {
  event.preventDefault();
  const name = $('rename-name', HTMLInputElement).value;
  try {
    await api.changeClient(clientId, { name });
    $('record-status').textContent = 'Renamed.';
    await load();
  } catch (e) {
    $('record-status').textContent = `Not renamed: ${/** @type {Error} */ (e).message}.`;
  }
}

/** Merging asks first: the server says what would move, and nothing moves until "Merge now". */
async function askMerge(/** @type {SubmitEvent} */ event) {
  event.preventDefault();
  const select = $('merge-into', HTMLSelectElement);
  const into = Number(select.value);
  const target = select.selectedOptions[0]?.textContent ?? '';
  $('record-status').textContent = '';
  try {
    /** @type {{ sessions: number, readings: number, duplicateReadings: number }} */
    const plan = await api.mergeClient(clientId, into, false);
    const s = (/** @type {number} */ n, /** @type {string} */ w) => `${n} ${w}${n === 1 ? '' : 's'}`;
    $('merge-plan').textContent =
      `Merge ${data?.client.name ?? 'this client'} into ${target}: ${s(plan.sessions, 'session')} and ` +
      `${s(plan.readings, 'reading')} move` +
      (plan.duplicateReadings ? ` (${s(plan.duplicateReadings, 'reading')} already there are dropped)` : '') +
      ', and this record goes. This cannot be undone.';
    $('merge-ask').dataset.into = String(into);
    $('merge-ask').hidden = false;
    $('merge-confirm').focus();
  } catch (e) {
    $('record-status').textContent = `Cannot merge: ${/** @type {Error} */ (e).message}.`;
  }
}

async function merge() {
  const into = Number($('merge-ask').dataset.into);
  try {
    await api.mergeClient(clientId, into, true);
    location.assign(`/clients/${into}`);
  } catch (e) {
    $('record-status').textContent = `Not merged: ${/** @type {Error} */ (e).message}.`;
  }
}

/** @param {SubmitEvent} event */
async function upload(event) {
  event.preventDefault();
  const files = [...($('upload-file', HTMLInputElement).files ?? [])];
  const kind = $('upload-kind', HTMLSelectElement).value;
  const at = $('upload-at', HTMLInputElement).value;
  const status = $('upload-status');
  if (files.length === 0) {
    status.textContent = 'Choose one or more files first.';
    return;
  }
  const said = [];
  for (const file of files) {
    try {
      const text = await file.text();
      /** @type {{ readings: number, added: number, duplicates: number, withoutValue: number }} */
      const r = await api.uploadReadings(clientId, {
        fileName: file.name,
        text,
        ...(kind ? { kind } : {}),
        ...(at ? { at } : {}),
      });
      said.push(
        `${file.name}: ${r.added} reading${r.added === 1 ? '' : 's'} added` +
          (r.duplicates ? `, ${r.duplicates} already on the record` : '') +
          (r.withoutValue ? `, ${r.withoutValue} without a value (see Quality)` : ''),
      );
    } catch (e) {
      said.push(`${file.name}: refused — ${/** @type {Error} */ (e).message}`);
    }
  }
  status.textContent = `${said.join('. ')}.`;
  await load();
}

applyTheme(savedTheme());
$('theme-toggle').setAttribute('aria-pressed', String(savedTheme() === 'light'));
$('theme-toggle').addEventListener('click', () => {
  const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
  applyTheme(next);
  $('theme-toggle').setAttribute('aria-pressed', String(next === 'light'));
  if (data) buildChart(data);
});
$('upload', HTMLFormElement).addEventListener('submit', (e) => void upload(e));
$('rename', HTMLFormElement).addEventListener('submit', (e) => void rename(e));
$('merge', HTMLFormElement).addEventListener('submit', (e) => void askMerge(e));
$('merge-confirm').addEventListener('click', () => void merge());
$('merge-cancel').addEventListener('click', () => {
  $('merge-ask').hidden = true;
  $('record-status').textContent = 'Nothing was merged.';
});
load();
