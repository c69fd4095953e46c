// The clients, the most recently seen first, each linking to their weeks. The trend arrow is the record's "over the
// weeks" (src/tracking/timeline.ts), read client by client once the list is shown.
import { api } from './lib/api.js';
import { TREND } from './lib/client-model.js';
import { $ } from './lib/dom.js';
import { localDateTime } from './lib/format.js';
import { applyTheme, savedTheme } from './lib/theme.js';

/**
 * @typedef {import('./lib/client-model.js').ClientListing} ClientListing
 * @typedef {import('./lib/client-model.js').ClientRecord} ClientRecord
 */

/**
 * @param {HTMLTableRowElement} row
 * @param {string | Node[]} content
 * @param {string} [className]
 */
function cell(row, content, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  if (typeof content === 'string') td.textContent = content;
  else td.append(...content);
  row.append(td);
  return td;
}

/**
 * The arrow and the words of a client's weeks, into `td`.
 * @param {HTMLTableCellElement} td
 * @param {number} id
 */
async function fillTrend(td, id) {
  try {
    /** @type {ClientRecord} */
    const record = await api.client(id);
    const w = record.overWeeks;
    const trend = TREND[w.verdict];
    const arrow = document.createElement('span');
    arrow.className = 'trend-arrow';
    arrow.dataset.verdict = w.verdict;
    arrow.textContent = trend.glyph;
    arrow.setAttribute('aria-hidden', 'true');
    td.replaceChildren(arrow, ` ${w.words}`);
    td.dataset.verdict = w.verdict;
  } catch {
    td.textContent = 'could not be read';
  }
}

async function load() {
  try {
    /** @type {{ clients: ClientListing[] }} */
    const { clients } = await api.clients();
    const sorted = [...clients].sort(
      (a, b) => (b.lastVisit ?? b.createdAt).localeCompare(a.lastVisit ?? a.createdAt) || a.id - b.id,
    );
    const rows = sorted.map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.client = String(c.id);
      const a = document.createElement('a');
      a.href = `/clients/${c.id}`;
      a.textContent = c.name;
      const th = document.createElement('th');
      th.scope = 'row';
      th.append(a);
      tr.append(th);
      cell(tr, c.lastVisit ? localDateTime(c.lastVisit) : 'no session yet');
      cell(tr, String(c.sessions), 'num');
      cell(tr, String(c.readings), 'num');
      const trend = cell(tr, '…', 'trend');
      void fillTrend(trend, c.id);
      return tr;
    });
    $('clients')
      .querySelector('tbody')
      ?.replaceChildren(...rows);
    $('clients').hidden = clients.length === 0;
    $('clients-status').textContent =
      clients.length === 0
        ? "No clients yet: start a session with a client's name."
        : `${clients.length} client${clients.length === 1 ? '' : 's'}`;
  } catch (err) {
    $('clients-status').textContent = `Could not load the clients: ${/** @type {Error} */ (err).message}`;
  }
}

applyTheme(savedTheme());
$('theme-toggle').setAttribute('aria-pressed', String(savedTheme() === 'light'));
$('theme-toggle').addEventListener('click', () => {
  const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
  applyTheme(next);
  $('theme-toggle').setAttribute('aria-pressed', String(next === 'light'));
});
load();
