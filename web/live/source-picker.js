// The new-session dialog: the client's label and note, and which strap (or demo source) each stream records from —
// what the daemon offers (GET /api/sources), straps found by a scan, or keep the current one.
import { api } from '../lib/api.js';
import { $, setText } from '../lib/dom.js';
import { streamWords } from './state.js';
import { BrowserStrap, bluetoothMissing } from './strap.js';

/**
 * @typedef {import('./state.js').LiveState} LiveState
 * @typedef {import('./toast.js').Toast} Toast
 * @typedef {import('./strap.js').StrapsHere} StrapsHere
 * @typedef {{ bluetooth?: boolean, browser?: boolean, simulated?: boolean, recordings?: string[] }} Offered what GET
 *   /api/sources says
 * @typedef {{ id: string, name: string, rssi: number, batteryPct?: number }} FoundStrap a strap a scan found
 */

export class SourcePicker {
  /**
   * @param {{ state: LiveState, toast: Toast, straps: StrapsHere }} parts
   */
  constructor({ state, toast, straps }) {
    this.state = state;
    this.toast = toast;
    this.straps = straps;
    /** @type {Offered | null} what the daemon offers as sources; null: unknown, only "keep" is offered */
    this.offered = null;
  }

  open() {
    const dialog = $('new-session', HTMLDialogElement);
    if (dialog.open) return;
    $('new-session-error').textContent = '';
    $('scan-result').textContent = '';
    this.fillChoices([]);
    dialog.showModal();
    $('client-label').focus();
    // The clients on record, offered as the name is typed; a new name creates the client (POST /api/sessions).
    api
      .clients()
      .then((/** @type {{ clients: { name: string }[] }} */ { clients }) => {
        $('client-names').replaceChildren(
          ...clients.map((c) => {
            const o = document.createElement('option');
            o.value = c.name;
            return o;
          }),
        );
      })
      .catch(() => {
        // no list: a name can still be typed
      });
    api
      .sources()
      .then((/** @type {Offered} */ sources) => {
        this.offered = sources;
        $('scan-straps').hidden = !sources.bluetooth;
        this.fillChoices([]);
      })
      .catch(() => {
        this.offered = null;
      });
  }

  /**
   * The choices of both strap lists: keep, the straps found, then demo sources (labelled DEMO).
   * @param {FoundStrap[]} straps
   */
  fillChoices(straps) {
    const { state, offered } = this;
    /**
     * @param {string} value
     * @param {string} text
     */
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
    if (offered?.browser) {
      choices.push(option(JSON.stringify({ kind: 'browser' }), 'This device: a strap connected here (Chrome, Edge)'));
    }
    if (offered?.simulated)
      choices.push(option(JSON.stringify({ kind: 'simulated', seed: 1 }), 'DEMO: simulated client'));
    for (const recording of offered?.recordings ?? []) {
      choices.push(option(JSON.stringify({ kind: 'replay', recording }), `DEMO: replay ${recording}`));
    }
    const mine = state.streams.find((s) => s.id === state.stream);
    const keep = option('keep', `Keep: ${mine ? mine.label : (state.source?.label ?? 'the current source')}`);
    const sourceChoice = $('source-choice', HTMLSelectElement);
    const keepSelected = sourceChoice.value;
    sourceChoice.replaceChildren(keep, ...choices.map((o) => o.cloneNode(true)));
    if ([...sourceChoice.options].some((o) => o.value === keepSelected)) sourceChoice.value = keepSelected;

    const therapist = state.streams.find((s) => s.id === 'therapist');
    const therapistChoice = $('therapist-choice', HTMLSelectElement);
    const before = therapistChoice.value;
    therapistChoice.replaceChildren(
      therapist ? option('keep', `Keep: ${therapist.label}`) : option('none', 'None'),
      ...(therapist ? [option('none', 'None (remove it)')] : []),
      ...choices,
    );
    if ([...therapistChoice.options].some((o) => o.value === before)) therapistChoice.value = before;
    // On a screen following another strap (the therapist's), the first list is that strap; the second is not needed.
    setText(
      $('source-choice-label'),
      state.stream === 'client' ? "Client's strap" : `${streamWords(state.stream)}'s strap`,
    );
    therapistChoice.disabled = state.stream !== 'client';
  }

  async scan() {
    const button = $('scan-straps', HTMLButtonElement);
    button.disabled = true;
    setText($('scan-result'), 'Looking for straps for 4 s… (a strap advertises only while worn)');
    try {
      /** @type {{ straps: FoundStrap[] }} */
      const { straps } = await api.scanStraps(4);
      this.fillChoices(straps);
      setText(
        $('scan-result'),
        straps.length === 0
          ? 'No strap found: wet the electrodes, put it on, and close any phone app connected to it.'
          : `${straps.length} strap${straps.length === 1 ? '' : 's'} found: choose one above.`,
      );
    } catch (err) {
      setText($('scan-result'), /** @type {Error} */ (err).message);
    } finally {
      button.disabled = false;
    }
  }

  /** Applies the dialog's strap choices: each change ends the current session (the daemon's rule). */
  async applyChoices() {
    const { state } = this;
    const client = $('source-choice', HTMLSelectElement).value;
    if (client !== 'keep') await this.choose(state.stream, client);
    if (state.stream !== 'client') return;
    const therapist = $('therapist-choice', HTMLSelectElement).value;
    const hasTherapist = state.streams.some((s) => s.id === 'therapist');
    if (therapist === 'none' && hasTherapist) await api.removeStream('therapist');
    else if (therapist !== 'none' && therapist !== 'keep') await this.choose('therapist', therapist);
  }

  /**
   * One stream's choice; a strap from this device keeps the stream's browser source if it has one already.
   * @param {string} stream
   * @param {string} choice an option's value (JSON)
   */
  async choose(stream, choice) {
    const parsed = JSON.parse(choice);
    if (parsed.kind === 'browser') await this.straps.makeBrowserSource(stream);
    else await api.chooseSource(stream, parsed);
  }

  async start() {
    const labelInput = $('client-label', HTMLInputElement);
    const noteInput = $('client-note', HTMLTextAreaElement);
    const label = labelInput.value.trim();
    const note = noteInput.value.trim();
    const browser = (/** @type {string} */ id) => $(id, HTMLSelectElement).value.includes('"browser"');
    const clientHere = browser('source-choice');
    const therapistHere = this.state.stream === 'client' && browser('therapist-choice');
    try {
      // The browser shows its strap chooser only in answer to this tap: ask before anything else waits.
      const device = clientHere ? await this.chooseStrapHere() : null;
      if (clientHere && device === null) return;
      await this.applyChoices();
      await api.startSession(label, note);
      if (device) this.straps.strapFor(this.state.stream).use(device);
      // A second strap from this device needs a tap of its own (one chooser per tap).
      if (therapistHere) this.straps.ask('therapist', "tap to choose the therapist's strap");
      $('new-session', HTMLDialogElement).close();
      labelInput.value = '';
      noteInput.value = '';
      this.toast.show(`✓ New session${label ? ` for ${label}` : ''} started`);
    } catch (err) {
      $('new-session-error').textContent = /** @type {Error} */ (err).message;
    }
  }

  /**
   * The browser's strap chooser, or null (with the reason shown) when this page cannot connect one or none was chosen.
   * @returns {Promise<BluetoothDeviceLike | null>}
   */
  async chooseStrapHere() {
    const why = bluetoothMissing();
    if (why) {
      $('new-session-error').textContent = why;
      return null;
    }
    try {
      return await BrowserStrap.request();
    } catch (err) {
      const e = /** @type {Error} */ (err);
      $('new-session-error').textContent = e.name === 'NotFoundError' ? 'No strap chosen.' : e.message;
      return null;
    }
  }

  /** The dialog's buttons and its form. */
  wire() {
    $('new-cancel').addEventListener('click', () => $('new-session', HTMLDialogElement).close());
    $('scan-straps').addEventListener('click', () => this.scan());
    $('new-session-form').addEventListener('submit', (e) => {
      e.preventDefault();
      this.start();
    });
  }
}
