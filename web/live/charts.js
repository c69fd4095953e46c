// The live screen's two charts: the RR tachogram of the last five minutes and the session trend, drawn from the
// session model with its phases, markers, gaps, artefacts and baseline band.
import { lowerBound, tachogramChart, trendChart } from '../lib/charts.js';
import { chartPalette } from '../lib/theme.js';

/**
 * @typedef {import('../lib/session-model.js').SessionModel} SessionModel
 * @typedef {import('../lib/charts.js').Chart} Chart
 */

/** The tachogram's window, s. */
const TACHO_WINDOW_S = 300;

export class LiveCharts {
  /**
   * @param {SessionModel} model
   * @param {HTMLElement} tachoEl
   * @param {HTMLElement} trendEl
   */
  constructor(model, tachoEl, trendEl) {
    this.model = model;
    this.tachoEl = tachoEl;
    this.trendEl = trendEl;
    /** @type {Chart | null} */
    this.tacho = null;
    /** @type {Chart | null} */
    this.trend = null;
  }

  /** The charts exist (`build` ran). */
  get built() {
    return this.tacho !== null;
  }

  /** @returns {[number[], (number | null)[]]} */
  tachoData() {
    const { x, y } = this.model.rrLine;
    const end = x.length > 0 ? x[x.length - 1] : 0;
    const from = lowerBound(x, end - TACHO_WINDOW_S - 5);
    return [x.slice(from), y.slice(from)];
  }

  /** @returns {[number[], (number | null)[], (number | null)[]]} */
  trendData() {
    const m = this.model.metrics;
    return [m.tS, m.rmssdMs, m.hfMs2];
  }

  /** Builds the charts in the current theme's colours (again after a theme change). */
  build() {
    const palette = chartPalette();
    if (this.tacho && this.trend) {
      this.tacho.rebuild(palette);
      this.trend.rebuild(palette);
    } else {
      this.tacho = tachogramChart(this.tachoEl, palette, () => this.tachoData(), { windowS: TACHO_WINDOW_S });
      this.trend = trendChart(this.trendEl, palette, () => this.trendData());
    }
    this.redraw();
  }

  /** Draws the model as it is now; nothing before the charts are built. */
  redraw() {
    const { tacho, trend, model } = this;
    if (!tacho || !trend) return;
    const common = {
      phases: model.phases,
      markers: model.markerList,
      gaps: model.gaps,
      endS: model.lastBeatS,
    };
    tacho.setAnnotations({ ...common, artefacts: model.beats });
    trend.setAnnotations({ ...common, baseline: model.baseline });
    tacho.redraw();
    trend.redraw();
  }
}
