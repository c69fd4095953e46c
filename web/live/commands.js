// Session commands sent to the REST API from the buttons, a foot pedal or the keys: set a phase, place or undo a
// marker, end the session. A pedal press that changes the phase or ends the session waits for a second press.
import { api } from '../lib/api.js';
import { clock, PHASE_WORDS } from '../lib/format.js';
import { PHASE_KINDS } from '../lib/protocol.js';

/**
 * @typedef {import('../../src/viewers/protocol.js').PhaseMessage['kind']} PhaseKind
 * @typedef {import('../../src/viewers/protocol.js').MarkerMessage['kind']} MarkerKind
 * @typedef {import('./state.js').LiveState} LiveState
 * @typedef {import('../lib/session-model.js').SessionModel} SessionModel
 * @typedef {import('./toast.js').Toast} Toast
 */

/** A second press within this time confirms a phase change or the end of a session sent from a pedal or key. */
const CONFIRM_MS = 4000;

export class Commands {
  /**
   * @param {{ state: LiveState, model: SessionModel, toast: Toast, newSession: () => void }} parts `newSession`:
   *   what "next" does while there is no session
   */
  constructor({ state, model, toast, newSession }) {
    this.state = state;
    this.model = model;
    this.toast = toast;
    this.newSession = newSession;
  }

  /**
   * Runs `run` on the current session and says how it went.
   * @template R
   * @param {string} what
   * @param {(id: number) => Promise<R>} run
   * @param {(result: R) => string} ack
   */
  async command(what, run, ack) {
    const id = this.model.info?.id;
    if (id === undefined) {
      this.toast.show('No session: start one first (N).', 'error');
      return;
    }
    try {
      const result = await run(id);
      this.toast.show(ack(result));
    } catch (err) {
      this.toast.show(`${what} failed: ${/** @type {Error} */ (err).message}`, 'error');
    }
  }

  /** @param {PhaseKind} kind */
  setPhase(kind) {
    return this.command(
      `Starting the ${kind}`,
      (id) => api.setPhase(id, kind),
      (/** @type {{ kind: PhaseKind, startedAtS: number }} */ p) =>
        `✓ ${PHASE_WORDS[p.kind]} started at ${clock(p.startedAtS)}`,
    );
  }

  /**
   * @param {MarkerKind} kind
   * @param {string} value
   */
  addMarker(kind, value) {
    return this.command(
      'The marker',
      (id) => api.addMarker(id, kind, value),
      (/** @type {{ value: string, atS: number }} */ m) => `✓ Marked ${m.value} at ${clock(m.atS)} — undo: ← or PgUp`,
    );
  }

  undoLast() {
    const last = this.model.lastUndoable;
    if (!last) {
      this.toast.show('No marker to undo.', 'error');
      return;
    }
    return this.command(
      'Undo',
      (id) => api.undoMarker(id, last.id),
      (/** @type {{ value: string }} */ m) => `↶ Undone: ${m.value}`,
    );
  }

  /**
   * A pedal press that changes the phase or ends the session must be confirmed by a second press.
   * @param {string} key
   * @param {string} text
   * @param {() => void} run
   */
  confirmTwice(key, text, run) {
    const { state } = this;
    const now = performance.now();
    if (state.pending && state.pending.key === key && now < state.pending.until) {
      state.pending = null;
      run();
      return;
    }
    state.pending = { key, until: now + CONFIRM_MS };
    this.toast.show(text, 'confirm');
  }

  /** The next phase (baseline, massage, recovery); without a session, the new-session dialog. */
  nextPhase() {
    if (!this.model.info) {
      this.newSession();
      return;
    }
    const current = this.model.currentPhase?.kind;
    const next = PHASE_KINDS[current ? PHASE_KINDS.indexOf(current) + 1 : 0];
    if (!next) {
      this.toast.show('Recovery is the last phase: end the session with E.', 'error');
      return;
    }
    this.confirmTwice(`phase:${next}`, `Press again to start the ${next}`, () => this.setPhase(next));
  }

  endSession() {
    this.confirmTwice('end', 'Press End (E) again to end the session', () =>
      this.command(
        'Ending the session',
        (id) => api.endSession(id),
        () => '✓ Session ended: its report is under Sessions',
      ),
    );
  }
}
