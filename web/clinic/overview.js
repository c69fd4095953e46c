// The clinic overview page: every table live from /clinic/ws (src/server/routes/clinic.ts). The first message is the
// whole picture; then a table's card is redrawn whenever that table changes; ages are redrawn every second. The socket
// comes back by itself (a restarted overview, a tablet waking up) and gets the whole picture again.
import { $, setText } from '../lib/dom.js';
import { localDateTime } from '../lib/format.js';
import { applyTheme, savedTheme } from '../lib/theme.js';
import { ageWords, streamHead, streamValues } from './model.js';

/**
 * @typedef {import('../../src/clinic/shapes.js').TableView} TableView
 * @typedef {import('../../src/clinic/shapes.js').StreamView} StreamView
 * @typedef {import('../../src/clinic/shapes.js').ClinicHealth} ClinicHealth
 * @typedef {import('../../src/clinic/shapes.js').ClinicSocketMessage} ClinicSocketMessage
 * @typedef {{ uid: string, name: string, sessions: number, readings: number, lastVisit: string | null,
 *   tables: string[] }} ClientListing what GET /api/clinic/clients lists (src/clinic/records.ts)
 */

/** The clients' list is read again this often while the page is open, ms. */
const CLIENTS_EVERY_MS = 30_000;

const RECONNECT_MS = 1000;

/** @type {Map<string, TableView>} */
const tables = new Map();
/** The page's clock minus the server's (ms), from the latest message: ages are counted on the server's clock. */
let clockOffsetMs = 0;
const serverNow = () => Date.now() - clockOffsetMs;

/** @type {Readonly<Record<string, string>>} */
const BROKER_WORDS = {
  connecting: 'connecting…',
  connected: 'connected',
  unreachable: 'cannot be reached',
  lost: 'lost: trying again',
  refused: 'refused the overview (user name or password)',
};

/** @type {Readonly<Record<string, string>>} */
const DATABASE_WORDS = {
  connecting: 'connecting…',
  ready: 'connected',
  unreachable: 'cannot be reached',
  refused: 'refused the overview (user name or password)',
  schema: 'has a schema this tableside does not know',
  failed: 'failed (see the log)',
};

/** @type {Readonly<Record<string, string>>} */
const REASON_WORDS = {
  topic: 'not a topic of the tree',
  json: 'not a JSON object',
  version: 'another version',
  name: 'table or stream not the topic’s',
  fields: 'fields missing or wrong',
};

/**
 * @param {string} tag
 * @param {string} [className]
 * @param {string} [text]
 */
function el(tag, className, text) {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** @param {ClinicHealth} health */
function showHealth(health) {
  const broker = $('broker');
  broker.dataset.state = health.broker.state;
  setText(broker, `broker ${health.broker.shown}: ${BROKER_WORDS[health.broker.state] ?? health.broker.state}`);
  const database = $('database');
  database.hidden = health.database === null;
  if (health.database !== null) {
    const before = database.dataset.state;
    database.dataset.state = health.database.state;
    setText(
      database,
      `database ${health.database.shown}: ${DATABASE_WORDS[health.database.state] ?? health.database.state}`,
    );
    $('clients-section').hidden = false;
    if (before !== 'ready' && health.database.state === 'ready') void loadClients();
    if (health.database.state !== 'ready') {
      setText(
        $('clients-status'),
        `The clinic database ${DATABASE_WORDS[health.database.state] ?? ''}: the clients' records show once it answers.`,
      );
    }
  }
  const malformed = $('malformed');
  malformed.dataset.count = String(health.malformed.total);
  setText(malformed, `${health.malformed.total} malformed`);
  const list = $('malformed-reasons');
  list.replaceChildren(
    ...Object.entries(REASON_WORDS).flatMap(([reason, words]) => {
      const dd = el('dd', '', String(health.malformed[/** @type {keyof ClinicHealth['malformed']} */ (reason)] ?? 0));
      dd.dataset.reason = reason;
      return [el('dt', '', words), dd];
    }),
  );
}

/**
 * One stream's row: its head (strap, battery, session) and its live values.
 * @param {StreamView} s
 */
function streamRow(s) {
  const row = el('section', 'clinic-stream');
  row.dataset.stream = s.stream;
  const head = el('p', 'head');
  const words = streamHead(s);
  head.append(el('span', 'name', s.stream), el('span', 'strap', words.strap));
  if (words.battery) head.append(el('span', 'battery', words.battery));
  if (words.session) head.append(el('span', 'session', words.session));
  row.dataset.recording = String(s.state?.recording === true);
  const values = el('dl', 'values');
  /** @type {[string, string, string][]} */
  const cells = [
    ['hr', 'HR (bpm)', ''],
    ['rmssd', 'RMSSD (ms)', ''],
    ['age', 'last value', ''],
  ];
  for (const [key, label] of cells) {
    const dd = el('dd', key);
    values.append(el('dt', '', label), dd);
  }
  row.append(head, values, el('p', 'verdict'), el('p', 'quality'));
  fillValues(row, s);
  return row;
}

/**
 * @param {HTMLElement} row
 * @param {StreamView} s
 */
function fillValues(row, s) {
  const v = streamValues(s, serverNow());
  row.dataset.stale = String(v.stale);
  const put = (/** @type {string} */ cls, /** @type {string} */ text) => {
    const e = row.querySelector(`.${cls}`);
    if (e instanceof HTMLElement) setText(e, text);
  };
  put('hr', v.hr);
  put('rmssd', v.rmssd);
  put('age', v.age);
  put('verdict', `Shift: ${v.shift}`);
  put('quality', `Quality: ${v.quality}`);
  const verdict = row.querySelector('.verdict');
  if (verdict instanceof HTMLElement) verdict.dataset.verdict = v.verdict;
}

/** @param {TableView} t */
function tableCard(t) {
  const card = el('article', 'clinic-table');
  card.dataset.table = t.table;
  card.dataset.online = String(t.online);
  const h = el('h2', '', t.table);
  const heard = t.seenAtMs === null ? '' : ` (last heard ${ageWords(serverNow() - t.seenAtMs)} ago)`;
  h.append(el('span', 'online', t.online ? 'online' : `offline${heard}`));
  if (t.recording === false) h.append(el('span', 'not-recording', 'NOT RECORDING: its database failed'));
  card.append(h);
  if (t.streams.length === 0) card.append(el('p', 'dim', 'no streams'));
  for (const s of t.streams) card.append(streamRow(s));
  return card;
}

/** @param {TableView} t */
function putTable(t) {
  tables.set(t.table, t);
  const box = $('tables');
  const card = tableCard(t);
  const old = [...box.children].find((c) => c instanceof HTMLElement && c.dataset.table === t.table);
  if (old) {
    old.replaceWith(card);
    return;
  }
  // By name, as the server lists them.
  const after = [...box.children].find((c) => c instanceof HTMLElement && (c.dataset.table ?? '') > t.table);
  box.insertBefore(card, after ?? null);
  showCount();
}

function showCount() {
  const online = [...tables.values()].filter((t) => t.online).length;
  setText(
    $('overview-status'),
    tables.size === 0 ? 'No table has been heard of yet.' : `${online} of ${tables.size} tables online`,
  );
}

/** Every second: the ages, and a stale look for values that stopped coming. */
function tick() {
  for (const card of $('tables').children) {
    if (!(card instanceof HTMLElement)) continue;
    const t = tables.get(card.dataset.table ?? '');
    if (!t) continue;
    for (const s of t.streams) {
      const row = [...card.querySelectorAll('.clinic-stream')].find(
        (r) => r instanceof HTMLElement && r.dataset.stream === s.stream,
      );
      if (row instanceof HTMLElement) fillValues(row, s);
    }
  }
}

/** The clients, by name, each linking to their weeks across rooms. */
async function loadClients() {
  try {
    const response = await fetch('/api/clinic/clients', { credentials: 'same-origin' });
    const body = await response.json();
    if (!response.ok) {
      setText($('clients-status'), body.message ?? `the overview answered ${response.status}`);
      return;
    }
    /** @type {ClientListing[]} */
    const clients = body.clients;
    const rows = clients.map((c) => {
      const tr = document.createElement('tr');
      tr.dataset.client = c.uid;
      const th = el('th');
      th.setAttribute('scope', 'row');
      const a = /** @type {HTMLAnchorElement} */ (el('a', '', c.name));
      a.href = `/clients/${encodeURIComponent(c.uid)}`;
      th.append(a);
      tr.append(
        th,
        el('td', '', c.lastVisit === null ? '—' : localDateTime(c.lastVisit)),
        el('td', 'num', String(c.sessions)),
        el('td', 'num', String(c.readings)),
        el('td', 'rooms', c.tables.join(', ')),
      );
      return tr;
    });
    $('clients')
      .querySelector('tbody')
      ?.replaceChildren(...rows);
    $('clients').hidden = clients.length === 0;
    setText(
      $('clients-status'),
      clients.length === 0
        ? 'No client in the clinic database yet.'
        : `${clients.length} client${clients.length === 1 ? '' : 's'}`,
    );
  } catch {
    setText($('clients-status'), 'The overview cannot be reached.');
  }
}

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const ws = new WebSocket(`${scheme}://${location.host}/clinic/ws`);
  ws.addEventListener('message', (event) => {
    /** @type {ClinicSocketMessage} */
    const m = JSON.parse(String(event.data));
    clockOffsetMs = Date.now() - m.nowMs;
    if (m.type === 'overview') {
      tables.clear();
      $('tables').replaceChildren();
      for (const t of m.tables) putTable(t);
      showHealth(m.health);
      showCount();
    } else if (m.type === 'table') {
      putTable(m.table);
      showCount();
    } else if (m.type === 'health') {
      showHealth(m.health);
    }
  });
  ws.addEventListener('close', (event) => {
    const told = event.code === 1008 ? ` (${event.reason})` : '';
    setText($('overview-status'), `The overview's connection was lost${told}: trying again…`);
    setTimeout(connect, RECONNECT_MS);
  });
}

$('theme-toggle').setAttribute('aria-pressed', String(savedTheme() === 'light'));
$('theme-toggle').addEventListener('click', () => {
  const next = savedTheme() === 'light' ? 'dark' : 'light';
  applyTheme(next);
  $('theme-toggle').setAttribute('aria-pressed', String(next === 'light'));
});
applyTheme(savedTheme());
connect();
setInterval(tick, 1000);
setInterval(() => {
  if ($('database').dataset.state === 'ready') void loadClients();
}, CLIENTS_EVERY_MS);
