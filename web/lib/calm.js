// The client view: no numbers, no words about the client, only a slow, smoothed line of the session's lnRMSSD over
// the last 20 minutes, redrawn at most every few seconds. Safe for a screen the client can see.

const WINDOW_S = 20 * 60;
/** smoothing time constant, s of beat time */
const TAU_S = 45;
const REDRAW_EVERY_MS = 3000;

/** @typedef {import('./session-model.js').SessionModel} SessionModel */

export class CalmView {
  /**
   * @param {HTMLElement} section
   * @param {HTMLCanvasElement} canvas
   */
  constructor(section, canvas) {
    this.section = section;
    this.canvas = canvas;
    this.active = false;
    this.lastDraw = 0;
  }

  /**
   * @param {boolean} on
   * @param {SessionModel} model
   */
  setActive(on, model) {
    this.active = on;
    this.section.hidden = !on;
    this.lastDraw = 0;
    if (on) this.update(model);
  }

  /** @param {SessionModel} model */
  update(model) {
    if (!this.active) return;
    const now = performance.now();
    if (now - this.lastDraw < REDRAW_EVERY_MS && this.lastDraw !== 0) return;
    this.lastDraw = now;
    this.draw(model.metrics.tS, model.metrics.lnRmssd);
  }

  /**
   * @param {readonly number[]} tS
   * @param {readonly (number | null)[]} ln
   */
  draw(tS, ln) {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const w = Math.max(1, Math.floor(canvas.clientWidth * ratio));
    const h = Math.max(1, Math.floor(canvas.clientHeight * ratio));
    if (canvas.width !== w || canvas.height !== h) {
      canvas.width = w;
      canvas.height = h;
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.clearRect(0, 0, w, h);
    const css = getComputedStyle(document.documentElement);
    const line = css.getPropertyValue('--calm-line').trim();
    const fill = css.getPropertyValue('--calm-fill').trim();
    // exponential smoothing on beat time
    /** @type {[number, number][]} */
    const points = [];
    /** @type {number | null} */
    let s = null;
    /** @type {number | null} */
    let prevT = null;
    const end = tS.length > 0 ? tS[tS.length - 1] : 0;
    for (let i = 0; i < tS.length; i++) {
      const v = ln[i];
      if (v === null) continue;
      const dt = prevT === null ? TAU_S : tS[i] - prevT;
      const k = 1 - Math.exp(-dt / TAU_S);
      s = s === null ? v : s + k * (v - s);
      prevT = tS[i];
      if (tS[i] >= end - WINDOW_S) points.push([tS[i], s]);
    }
    if (points.length < 2) {
      // nothing yet: a still, flat line in the middle
      points.splice(0, points.length, [0, 0], [1, 0]);
    }
    const ys = points.map((p) => p[1]);
    const mid = (Math.min(...ys) + Math.max(...ys)) / 2;
    const half = Math.max(0.6, (Math.max(...ys) - Math.min(...ys)) / 2 + 0.2);
    const t0 = points[0][0];
    const t1 = Math.max(points[points.length - 1][0], t0 + 1);
    const x = (/** @type {number} */ t) => w * (0.06 + (0.88 * (t - t0)) / (t1 - t0));
    const y = (/** @type {number} */ v) => h * 0.5 - ((v - mid) / half) * h * 0.3;
    ctx.beginPath();
    ctx.moveTo(x(points[0][0]), h);
    for (const [t, v] of points) ctx.lineTo(x(t), y(v));
    ctx.lineTo(x(points[points.length - 1][0]), h);
    ctx.closePath();
    ctx.fillStyle = fill;
    ctx.fill();
    ctx.beginPath();
    points.forEach(([t, v], i) => {
      if (i === 0) ctx.moveTo(x(t), y(v));
      else ctx.lineTo(x(t), y(v));
    });
    ctx.strokeStyle = line;
    ctx.lineWidth = 6 * ratio;
    ctx.lineJoin = 'round';
    ctx.lineCap = 'round';
    ctx.stroke();
    this.section.dataset.points = String(points.length);
  }
}
