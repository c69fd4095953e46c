// A client's weeks on one uPlot chart: the daily values (the first morning reading of each day) as points, the 7-day
// baseline as a line, the normal range as a band, and each session drawn on its day — a line with its in-session shift,
// the reading before it (hollow) and after it (filled) side by side, and a dashed line on to the next morning. All
// values are lnRMSSD from the record; nothing is computed here but pixel positions. What was drawn is written to the
// chart element's data attributes (data-drawn-days, data-drawn-band-days, data-drawn-sessions, data-drawn-pairs), for
// tests and for debugging.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { dayLabel, signedLn, timelineSpan, wallDay } from './client-model.js';

/**
 * @typedef {import('./theme.js').Palette} Palette
 * @typedef {import('./client-model.js').ClientRecord} ClientRecord
 */

const FONT = '13px system-ui, sans-serif';
/** Half the distance between a session's before and after dots, CSS px. */
const PAIR_HALF_PX = 5;

/** @param {HTMLElement} el */
function sizeOf(el) {
  const r = el.getBoundingClientRect();
  return { width: Math.max(240, Math.floor(r.width)), height: Math.max(160, Math.floor(r.height)) };
}

/**
 * The columns: [day, daily value, 7-day baseline, normal low, normal high].
 * @param {ClientRecord} record
 * @returns {uPlot.AlignedData}
 */
export function timelineColumns(record) {
  const d = record.days;
  return [
    d.map((r) => wallDay(r.date)),
    d.map((r) => r.lnRmssd),
    d.map((r) => r.baseline7),
    d.map((r) => r.normalLow),
    d.map((r) => r.normalHigh),
  ];
}

/**
 * The lnRMSSD range to show: every value on the chart, a little padded.
 * @param {ClientRecord} record
 * @returns {[number, number]}
 */
function valueRange(record) {
  /** @type {number[]} */
  const v = [];
  for (const r of record.days) {
    for (const x of [r.lnRmssd, r.baseline7, r.normalLow, r.normalHigh]) if (x !== null) v.push(x);
  }
  for (const s of record.sessions) {
    for (const r of [s.before, s.after, s.nextMorning]) if (r) v.push(r.lnRmssd);
  }
  if (v.length === 0) return [2, 5];
  let lo = v[0];
  let hi = v[0];
  for (const x of v) {
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  const pad = Math.max(0.15, (hi - lo) * 0.12);
  return [Math.floor((lo - pad) * 10) / 10, Math.ceil((hi + pad * 1.6) * 10) / 10];
}

/**
 * @param {uPlot} u
 * @param {ClientRecord} record
 * @param {Palette} p
 * @param {HTMLElement} el
 */
function drawSessions(u, record, p, el) {
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const px = uPlot.pxRatio;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  let sessions = 0;
  let pairs = 0;
  const dot = (/** @type {number} */ x, /** @type {number} */ y, /** @type {boolean} */ filled) => {
    ctx.beginPath();
    ctx.arc(x, y, 4.5 * px, 0, 2 * Math.PI);
    if (filled) {
      ctx.fillStyle = p.hf;
      ctx.fill();
    } else {
      ctx.fillStyle = p.bg;
      ctx.fill();
    }
    ctx.strokeStyle = p.hf;
    ctx.lineWidth = 2 * px;
    ctx.stroke();
  };
  for (const s of record.sessions) {
    const day = wallDay(s.startedAt);
    const x = u.valToPos(day, 'x', true);
    if (x < left - 1 || x > left + width + 1) continue;
    sessions++;
    ctx.strokeStyle = p.marker;
    ctx.lineWidth = 1.5 * px;
    ctx.setLineDash([4 * px, 3 * px]);
    ctx.beginPath();
    ctx.moveTo(x, top + 18 * px);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    // the shift in the session, above its line
    ctx.fillStyle = p.fg;
    ctx.font = `${Math.round(12 * px)}px system-ui, sans-serif`;
    ctx.textBaseline = 'top';
    const label = s.massageShiftLn === null ? '·' : signedLn(s.massageShiftLn);
    // centred on the line, but kept inside the plot at its edges
    const half = ctx.measureText(label).width / 2;
    ctx.textAlign = 'center';
    ctx.fillText(label, Math.min(Math.max(x, left + half + 2 * px), left + width - half - 2 * px), top + 3 * px);
    const yOf = (/** @type {number} */ v) => u.valToPos(v, 'y', true);
    const xb = x - PAIR_HALF_PX * px;
    const xa = x + PAIR_HALF_PX * px;
    if (s.before && s.after) {
      ctx.strokeStyle = p.hf;
      ctx.lineWidth = 2 * px;
      ctx.beginPath();
      ctx.moveTo(xb, yOf(s.before.lnRmssd));
      ctx.lineTo(xa, yOf(s.after.lnRmssd));
      ctx.stroke();
      pairs++;
    }
    const last = s.after ?? s.before;
    if (last && s.nextMorning) {
      const xm = u.valToPos(wallDay(s.nextMorning.at.slice(0, 10)), 'x', true);
      ctx.strokeStyle = p.hf;
      ctx.lineWidth = 1.5 * px;
      ctx.setLineDash([3 * px, 3 * px]);
      ctx.beginPath();
      ctx.moveTo(s.after ? xa : xb, yOf(last.lnRmssd));
      ctx.lineTo(xm, yOf(s.nextMorning.lnRmssd));
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.beginPath();
      ctx.arc(xm, yOf(s.nextMorning.lnRmssd), 7 * px, 0, 2 * Math.PI);
      ctx.stroke();
    }
    if (s.before) dot(xb, yOf(s.before.lnRmssd), false);
    if (s.after) dot(xa, yOf(s.after.lnRmssd), true);
  }
  ctx.restore();
  el.dataset.drawnSessions = String(sessions);
  el.dataset.drawnPairs = String(pairs);
}

/**
 * The timeline chart of `record` in `el`, following the element's size.
 * @param {HTMLElement} el
 * @param {Palette} p
 * @param {ClientRecord} record
 * @param {{ fromDay?: number }} [options] the first day shown (default: the first day of the record)
 */
export function clientTimelineChart(el, p, record, { fromDay } = {}) {
  const data = timelineColumns(record);
  const { first, last } = timelineSpan(record, fromDay);
  /** @type {uPlot.Options} */
  const opts = {
    ...sizeOf(el),
    legend: { show: false },
    cursor: { show: false },
    scales: {
      x: { time: false, range: () => [first - 0.7, last + 0.7] },
      y: { range: () => valueRange(record) },
    },
    axes: [
      {
        stroke: p.dim,
        grid: { stroke: p.grid, width: 1 },
        ticks: { stroke: p.grid },
        font: FONT,
        space: 80,
        incrs: [1, 2, 7, 14, 28],
        values: (_u, splits) => splits.map((s) => dayLabel(s)),
      },
      {
        stroke: p.dim,
        grid: { stroke: p.grid, width: 1 },
        ticks: { stroke: p.grid },
        font: FONT,
        label: 'lnRMSSD',
        labelFont: FONT,
        labelSize: 22,
        size: 48,
        values: (_u, splits) => splits.map((s) => s.toFixed(1)),
      },
    ],
    series: [
      {},
      {
        label: 'morning',
        stroke: p.rmssd,
        width: 0,
        paths: () => null,
        points: { show: true, size: 8, width: 1, fill: p.rmssd, stroke: p.rmssd },
      },
      { label: '7-day baseline', stroke: p.fg, width: 2, spanGaps: false, points: { show: false } },
      { label: 'normal low', stroke: p.bandLine, width: 1, dash: [5, 4], spanGaps: false, points: { show: false } },
      { label: 'normal high', stroke: p.bandLine, width: 1, dash: [5, 4], spanGaps: false, points: { show: false } },
    ],
    bands: [{ series: [4, 3], fill: p.band }],
    hooks: { draw: [(u) => drawSessions(u, record, p, el)] },
  };
  const u = new uPlot(opts, data, el);
  el.dataset.drawnDays = String(record.days.filter((r) => r.lnRmssd !== null && wallDay(r.date) >= first).length);
  el.dataset.drawnBandDays = String(record.days.filter((r) => r.normalLow !== null).length);
  const observer = new ResizeObserver(() => u.setSize(sizeOf(el)));
  observer.observe(el);
  return {
    plot: u,
    destroy() {
      observer.disconnect();
      u.destroy();
    },
  };
}
