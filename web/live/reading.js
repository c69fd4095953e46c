// A reading taken at the table (H): the dialog picks the client, when it is taken (before, after, on waking) and how
// long is measured; the daemon then lets the client settle for a minute and measures (POST /api/streams/:stream/reading)
// and says how far it is with `reading` messages, which this panel shows — the value at the end, or why there is none.
// H again (or the Cancel button) cancels it. Commands go through REST, never through the socket.
import { api, postJson } from '../lib/api.js';
import { $ } from '../lib/dom.js';
import { clock, num } from '../lib/format.js';
import { READING_TIMING } from '../lib/protocol.js';

/**
 * @typedef {import('../../src/viewers/protocol.js').ReadingMessage} ReadingMessage
 * @typedef {import('../../src/store/types.js').ClientListing} ClientListing
 * @typedef {import('./toast.js').Toast} Toast
 * @typedef {import('../lib/session-model.js').SessionModel} SessionModel
 */

const KIND_WORDS = /** @type {const} */ ({
  before: 'before the session',
  after: 'after the session',
  morning: 'on waking',
});

export class TableReading {
  /** @param {{ stream: string, toast: Toast, model: SessionModel }} parts */
  constructor({ stream, toast, model }) {
    this.stream = stream;
    this.toast = toast;
    this.model = model;
    /** @type {ReadingMessage | null} */
    this.latest = null;
    /** a session ended on this screen: the next reading is most likely an after one */
    this.sessionSeen = false;
  }

  get running() {
    return this.latest !== null && (this.latest.state === 'settling' || this.latest.state === 'measuring');
  }

  wire() {
    $('reading-minutes', HTMLSelectElement).replaceChildren(
      ...measureMinutes().map((m) => {
        const o = document.createElement('option');
        o.value = String(m);
        o.textContent = `${m} min`;
        o.selected = m * 60 === READING_TIMING.measureDefaultS;
        return o;
      }),
    );
    $('reading-open').addEventListener('click', () => this.toggle());
    $('reading-cancel').addEventListener('click', () => this.cancel());
    $('reading-close').addEventListener('click', () => $('reading-dialog', HTMLDialogElement).close());
    $('reading-form', HTMLFormElement).addEventListener('submit', (e) => {
      e.preventDefault();
      void this.start();
    });
  }

  /** H: opens the dialog, or cancels the reading being taken. */
  toggle() {
    if (this.running) void this.cancel();
    else void this.open();
  }

  async open() {
    const dialog = $('reading-dialog', HTMLDialogElement);
    const select = $('reading-client', HTMLSelectElement);
    $('reading-error').textContent = '';
    if (this.model.info) this.sessionSeen = true;
    $('reading-kind', HTMLSelectElement).value = this.model.info === null && this.sessionSeen ? 'after' : 'before';
    try {
      /** @type {{ clients: ClientListing[] }} */
      const { clients } = await api.clients();
      const wanted = this.model.info?.clientLabel ?? localStorage.getItem('tableside.readingClient') ?? '';
      select.replaceChildren(
        ...clients.map((c) => {
          const o = document.createElement('option');
          o.value = String(c.id);
          o.textContent = c.name;
          o.selected = c.name === wanted || String(c.id) === wanted;
          return o;
        }),
      );
      if (clients.length === 0)
        $('reading-error').textContent = 'No clients yet: start a session with their name first.';
    } catch (err) {
      $('reading-error').textContent = `The clients could not be read: ${/** @type {Error} */ (err).message}`;
    }
    if (!dialog.open) dialog.showModal();
    $('reading-start').focus();
  }

  async start() {
    const clientId = Number($('reading-client', HTMLSelectElement).value);
    const kind = $('reading-kind', HTMLSelectElement).value;
    const measureS = Number($('reading-minutes', HTMLSelectElement).value) * 60;
    if (!Number.isInteger(clientId) || clientId < 1) {
      $('reading-error').textContent = 'Choose the client first.';
      return;
    }
    try {
      /** @type {ReadingMessage} */
      const first = await postJson(`/api/streams/${encodeURIComponent(this.stream)}/reading`, {
        clientId,
        kind,
        measureS,
      });
      try {
        localStorage.setItem('tableside.readingClient', String(clientId));
      } catch {
        // private mode: not remembered
      }
      $('reading-dialog', HTMLDialogElement).close();
      this.onMessage(first);
    } catch (err) {
      $('reading-error').textContent = /** @type {Error} */ (err).message;
    }
  }

  async cancel() {
    try {
      await api.cancelReading(this.stream);
    } catch (err) {
      this.toast.show(`Cancelling the reading failed: ${/** @type {Error} */ (err).message}`, 'error');
    }
  }

  /** @param {ReadingMessage} msg */
  onMessage(msg) {
    // The socket keeps a reading's messages in order, but the answer to the POST (its first message) may come after
    // the socket's next ones: a running reading never goes back.
    const progress = msg.state === 'settling' || msg.state === 'measuring';
    if (progress && this.running && this.latest && msg.elapsedS < this.latest.elapsedS) return;
    this.latest = msg;
    const panel = $('reading-panel');
    panel.hidden = false;
    panel.dataset.state = msg.state;
    const what = KIND_WORDS[/** @type {keyof typeof KIND_WORDS} */ (msg.kind)] ?? msg.kind;
    const total = msg.settleS + msg.measureS;
    $('reading-cancel').hidden = !this.running;
    let text;
    switch (msg.state) {
      case 'settling':
        text = `Reading ${what}: lying still, breathing normally — settling ${clock(msg.elapsedS)} of ${clock(msg.settleS)}, then ${clock(msg.measureS)} measured`;
        break;
      case 'measuring':
        text = `Reading ${what}: measuring ${clock(msg.elapsedS - msg.settleS)} of ${clock(msg.measureS)} (${clock(total - msg.elapsedS)} left) — keep still`;
        break;
      case 'done': {
        const r = msg.result;
        text =
          r && r.lnRmssd !== null
            ? `Reading ${what} stored: lnRMSSD ${num(r.lnRmssd, 2)} (RMSSD ${num(r.rmssdMs, 0)} ms, heart rate ${num(r.meanHrBpm, 0)} bpm)`
            : `Reading ${what} stored without a value: ${r?.reason ?? 'no value'}`;
        break;
      }
      case 'failed':
        text = `Reading ${what} failed: ${msg.reason}`;
        break;
      default:
        text = `Reading ${what} cancelled: ${msg.reason}`;
    }
    $('reading-text').textContent = text;
    const bar = $('reading-progress', HTMLProgressElement);
    bar.max = total;
    bar.value = msg.state === 'done' ? total : Math.min(total, msg.elapsedS);
  }
}

/** The measured lengths the dialog offers, minutes. */
export function measureMinutes() {
  const out = [];
  for (let s = READING_TIMING.measureMinS; s <= READING_TIMING.measureMaxS; s += 60) out.push(s / 60);
  return out;
}
