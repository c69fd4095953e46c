// The short note at the bottom of the screen that answers a command: done, failed, or "press again to confirm".
import { $ } from '../lib/dom.js';

/** How long a note stays, ms. */
const SHOW_MS = 4500;

export class Toast {
  constructor() {
    /** the timer that hides the note shown */
    this.timer = 0;
  }

  /**
   * @param {string} text
   * @param {'ok' | 'error' | 'confirm'} [kind]
   */
  show(text, kind = 'ok') {
    const el = $('toast');
    el.hidden = false;
    el.dataset.kind = kind;
    el.textContent = text;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      el.hidden = true;
    }, SHOW_MS);
  }
}
