// Keeping the screen awake during a session (Screen Wake Lock API), and saying so when the browser cannot.
import { $ } from '../lib/dom.js';

export class WakeLock {
  constructor() {
    /** @type {WakeLockSentinel | null} the lock held; the browser drops it when the page is hidden */
    this.sentinel = null;
  }

  async keepAwake() {
    const note = $('wake-note');
    if (!('wakeLock' in navigator)) {
      note.hidden = false;
      note.textContent = window.isSecureContext
        ? 'This browser cannot keep the screen awake: set the screen timeout to "never" for the session.'
        : 'The screen may go to sleep: keeping it awake needs a secure connection (open tableside on this machine at ' +
          'http://localhost, or start it with --tls for HTTPS). Until then, set the screen timeout to "never".';
      return;
    }
    try {
      const sentinel = await navigator.wakeLock.request('screen');
      this.sentinel = sentinel;
      note.hidden = true;
      sentinel.addEventListener('release', () => {
        this.sentinel = null;
      });
    } catch (err) {
      note.hidden = false;
      note.textContent = `The screen may go to sleep (${/** @type {Error} */ (err).message}): set the screen timeout to "never" for the session.`;
    }
  }

  /** Takes the lock now, and again whenever the page is shown after the browser dropped it. */
  start() {
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible' && this.sentinel === null) this.keepAwake();
    });
    this.keepAwake();
  }
}
