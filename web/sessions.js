// The stored sessions, newest first, each linking to its report.
import { api, exportUrl } from './lib/api.js';
import { $ } from './lib/dom.js';
import { duration, isDemoSource, localDateTime } from './lib/format.js';
import { applyTheme, savedTheme } from './lib/theme.js';

/** @typedef {import('../src/store/types.js').StoredSession} StoredSession what `GET /api/sessions` lists */

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
 * @param {string} href
 * @param {string} text
 * @param {string} [label]
 */
function link(href, text, label) {
  const a = document.createElement('a');
  a.href = href;
  a.textContent = text;
  if (label) a.setAttribute('aria-label', label);
  return a;
}

/** A second strap's session (the therapist's) right below the session it was recorded with. */
/** @param {StoredSession[]} sessions */
function withStreams(sessions) {
  /** @type {Map<number, StoredSession[]>} */
  const companions = new Map();
  for (const s of sessions) {
    if (s.groupId === null) continue;
    companions.set(s.groupId, [...(companions.get(s.groupId) ?? []), s]);
  }
  const known = new Set(sessions.map((s) => s.id));
  return sessions.flatMap((s) => {
    if (s.groupId !== null && known.has(s.groupId)) return [];
    return [s, ...(companions.get(s.id) ?? []).sort((a, b) => a.id - b.id)];
  });
}

const streamWords = (/** @type {string} */ stream) => (stream === 'therapist' ? 'Therapist' : stream);

async function load() {
  try {
    /** @type {{ sessions: StoredSession[] }} */
    const { sessions } = await api.sessions();
    const body = $('sessions').querySelector('tbody');
    body?.replaceChildren(
      ...withStreams(sessions).map((s) => {
        const tr = document.createElement('tr');
        tr.dataset.session = String(s.id);
        const started = link(`/sessions/${s.id}`, localDateTime(s.startedAt), `Report of session ${s.id}`);
        cell(tr, [started]);
        if (s.groupId === null) cell(tr, s.clientLabel || `Session ${s.id}`);
        else {
          tr.classList.add('companion');
          cell(tr, `↳ ${streamWords(s.stream)}'s strap, with session ${s.groupId}`);
        }
        /** @type {Node[]} */
        const source = [document.createTextNode(s.sourceLabel)];
        if (isDemoSource(s.sourceKind)) {
          const badge = document.createElement('span');
          badge.className = 'badge demo small';
          badge.textContent = 'DEMO';
          source.unshift(badge, document.createTextNode(' '));
        }
        cell(tr, source);
        cell(tr, duration(s.durationS), 'num');
        cell(tr, String(s.beatCount), 'num');
        cell(tr, s.status);
        const exports = /** @type {const} */ (['csv', 'rr', 'json']).flatMap((f, i) => [
          ...(i > 0 ? [document.createTextNode(' · ')] : []),
          link(exportUrl(s.id, f), f.toUpperCase(), `Export session ${s.id} as ${f.toUpperCase()}`),
        ]);
        cell(tr, exports);
        return tr;
      }),
    );
    $('sessions').hidden = sessions.length === 0;
    $('sessions-status').textContent =
      sessions.length === 0 ? 'No sessions yet.' : `${sessions.length} session${sessions.length === 1 ? '' : 's'}`;
  } catch (err) {
    $('sessions-status').textContent = `Could not load the sessions: ${/** @type {Error} */ (err).message}`;
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
