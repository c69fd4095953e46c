// The screen itself: light or dark theme, fullscreen, and the client view (calm: no numbers, a slow line).

import { $ } from '../lib/dom.js';
import { applyTheme } from '../lib/theme.js';

/**
 * @typedef {import('../lib/session-model.js').SessionModel} SessionModel
 * @typedef {import('../lib/calm.js').CalmView} CalmView
 * @typedef {import('./charts.js').LiveCharts} LiveCharts
 * @typedef {import('./toast.js').Toast} Toast
 */

export class ScreenControls {
  /**
   * @param {{ model: SessionModel, charts: LiveCharts, calm: CalmView, toast: Toast }} parts
   */
  constructor({ model, charts, calm, toast }) {
    this.model = model;
    this.charts = charts;
    this.calm = calm;
    this.toast = toast;
  }

  toggleTheme() {
    const next = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
    applyTheme(next);
    this.renderThemeButton();
    this.charts.build();
    this.calm.update(this.model);
  }

  renderThemeButton() {
    const light = document.documentElement.dataset.theme === 'light';
    $('theme-toggle').setAttribute('aria-pressed', String(light));
  }

  toggleFullscreen() {
    // An iPhone's Safari (and an iPad's before iPadOS 16.4) has no Fullscreen API for pages: say so, as for a refusal.
    if (!document.fullscreenEnabled || typeof document.documentElement.requestFullscreen !== 'function') {
      this.toast.show('This browser cannot show the page fullscreen.', 'error');
      return;
    }
    const run = document.fullscreenElement ? document.exitFullscreen() : document.documentElement.requestFullscreen();
    run.catch((err) => this.toast.show(`Fullscreen is not available: ${err.message}`, 'error'));
  }

  toggleCalm() {
    const on = !this.calm.active;
    this.calm.setActive(on, this.model);
    $('calm-toggle').setAttribute('aria-pressed', String(on));
    document.body.classList.toggle('calm-on', on);
    $('live').hidden = on;
    $('controls').hidden = on;
    (on ? $('calm-exit') : $('calm-toggle')).focus();
  }

  /** The theme, fullscreen and client-view buttons. */
  wire() {
    $('theme-toggle').addEventListener('click', () => this.toggleTheme());
    $('fullscreen').addEventListener('click', () => this.toggleFullscreen());
    $('fullscreen').hidden = !document.fullscreenEnabled;
    $('calm-toggle').addEventListener('click', () => this.toggleCalm());
    $('calm-exit').addEventListener('click', () => this.toggleCalm());
  }
}
