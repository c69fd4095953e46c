// Keyboard shortcuts, chosen so that a USB foot pedal or a presentation clicker (which send Space, Page Down/Up,
// arrows or Enter) can run a session hands-free. Typing in a field never triggers them; a held key (auto-repeat)
// counts once. The screen lists them (index.html, "Foot pedal, clicker, keyboard").

const DIGITS = new Set(['1', '2', '3', '4', '5', '6', '7', '8', '9', '0']);

/**
 * @typedef {import('../../src/viewers/protocol.js').PhaseMessage['kind']} PhaseKind
 *
 * @typedef {object} KeyActions what the keys do
 * @property {() => void} next the next phase (Space, Page Down, →)
 * @property {() => void} mark mark the selected chip (Enter)
 * @property {(step: number) => void} select move the selection (↑ ↓)
 * @property {(n: number) => void} markNumber mark chip n (1…9, 0)
 * @property {() => void} undo undo the last marker (←, Page Up, Backspace)
 * @property {(kind: PhaseKind) => void} phase start a phase (B, M, R)
 * @property {() => void} end end the session (E)
 * @property {() => void} newSession the new-session dialog (N)
 * @property {() => void} theme light or dark (T)
 * @property {() => void} fullscreen (F)
 * @property {() => void} calm the client view (C)
 * @property {() => void} reading take a reading at the table, or cancel the one being taken (H)
 */

export class Keys {
  /** @param {KeyActions} actions */
  constructor(actions) {
    this.actions = actions;
  }

  /** @param {EventTarget} target */
  attach(target) {
    target.addEventListener('keydown', (e) => this.onKey(/** @type {KeyboardEvent} */ (e)));
  }

  /** @param {KeyboardEvent} e */
  onKey(e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target instanceof Element ? e.target : null;
    if (t?.closest('input, textarea, select, dialog, [contenteditable]')) return;
    // Space and Enter on a focused button or link press it, as a keyboard user expects.
    const onControl = t?.closest('button, a, summary') !== null && t?.closest('button, a, summary') !== undefined;
    const a = this.actions;
    const run = (/** @type {() => void} */ fn) => {
      e.preventDefault();
      if (!e.repeat) fn();
    };
    const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
    switch (key) {
      case ' ':
        if (!onControl) run(a.next);
        return;
      case 'Enter':
        if (!onControl) run(a.mark);
        return;
      case 'PageDown':
      case 'ArrowRight':
        return run(a.next);
      case 'ArrowUp':
        return run(() => a.select(-1));
      case 'ArrowDown':
        return run(() => a.select(1));
      case 'ArrowLeft':
      case 'PageUp':
      case 'Backspace':
        return run(a.undo);
      case 'b':
        return run(() => a.phase('baseline'));
      case 'm':
        return run(() => a.phase('massage'));
      case 'r':
        return run(() => a.phase('recovery'));
      case 'e':
        return run(a.end);
      case 'n':
        return run(a.newSession);
      case 't':
        return run(a.theme);
      case 'f':
        return run(a.fullscreen);
      case 'c':
        return run(a.calm);
      case 'h':
        return run(a.reading);
      default:
        if (DIGITS.has(key)) run(() => a.markNumber(Number(key)));
    }
  }
}
