// uPlot charts shared by the live screen and the report: the RR tachogram and the session trend (RMSSD and HF) with
// the phases shaded, the markers drawn, gaps hatched and the baseline's noise band. uPlot draws columns it is given;
// nothing is computed here but pixel positions. The count of phases and markers actually drawn is written to the
// chart element's data attributes (data-drawn-phases, data-drawn-markers), for tests and for debugging.
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { clock, PHASE_WORDS } from './format.js';

/**
 * @typedef {import('./theme.js').Palette} Palette
 *
 * @typedef {object} Annotations what a chart draws besides its lines; all times on beat time, s
 * @property {readonly { kind: string, startedAtS: number }[]} phases
 * @property {readonly { kind: string, value: string, atS: number, undone: boolean }[]} markers
 * @property {readonly { fromS: number, toS: number }[]} gaps
 * @property {{ fromS: number, reference: { rmssdMs: number | null, bandLn: number | null } } | null} baseline the
 *   baseline's noise band, drawn on the RMSSD scale
 * @property {number} endS
 * @property {{ tS: readonly number[], rrMs: readonly number[], kind: readonly (string | null | undefined)[] } | null} artefacts
 *   beats whose `kind` is not normal get a ring
 *
 * @typedef {object} Chart
 * @property {uPlot} plot the uPlot inside
 * @property {() => void} redraw draws the columns `data()` gives now
 * @property {(partial: Partial<Annotations>) => void} setAnnotations
 * @property {(palette: Palette) => void} rebuild
 * @property {() => void} destroy
 *
 * @typedef {(palette: Palette, annotations: Annotations) => Omit<uPlot.Options, 'width' | 'height'>} BuildOptions
 */

const FONT_PX = 13;

function axisFont() {
  return `${Math.round(FONT_PX * uPlot.pxRatio)}px system-ui, sans-serif`;
}

/**
 * @param {Palette} p
 * @returns {uPlot.Axis}
 */
function xAxis(p) {
  return {
    stroke: p.dim,
    grid: { stroke: p.grid, width: 1 },
    ticks: { stroke: p.grid },
    font: `${FONT_PX}px system-ui, sans-serif`,
    values: (_u, splits) => splits.map((s) => clock(s)),
    space: 70,
  };
}

/**
 * @param {Palette} p
 * @param {string} scale
 * @param {uPlot.Axis.Side} side
 * @param {string} label
 * @returns {uPlot.Axis}
 */
function yAxis(p, scale, side, label) {
  return {
    scale,
    side,
    label,
    labelFont: `${FONT_PX}px system-ui, sans-serif`,
    labelSize: 22,
    stroke: p.dim,
    grid: side === 3 ? { stroke: p.grid, width: 1 } : { show: false },
    ticks: { stroke: p.grid },
    font: `${FONT_PX}px system-ui, sans-serif`,
    size: 52,
  };
}

/** @returns {Annotations} */
function emptyAnnotations() {
  return { phases: [], markers: [], gaps: [], baseline: null, endS: 0, artefacts: null };
}

/**
 * Saves the canvas state and clips to the plot area; the x range drawn, or null before the chart has one.
 * @param {uPlot} u
 * @returns {[number, number] | null}
 */
function beginPlotClip(u) {
  const [xMin, xMax] = [u.scales.x.min, u.scales.x.max];
  if (xMin === undefined || xMax === undefined || xMin === null) return null;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, width, height);
  ctx.clip();
  return [xMin, xMax];
}

/**
 * @param {uPlot} u
 * @param {Annotations} ann
 * @param {Palette} p
 * @param {HTMLElement} el
 */
function drawBackground(u, ann, p, el) {
  const range = beginPlotClip(u);
  if (!range) return;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const [xMin, xMax] = range;
  let drawnPhases = 0;
  const phases = [...ann.phases].sort((a, b) => a.startedAtS - b.startedAtS);
  for (let i = 0; i < phases.length; i++) {
    const ph = phases[i];
    const end = phases[i + 1]?.startedAtS ?? Math.max(ann.endS, xMax);
    if (end < xMin || ph.startedAtS > xMax) continue;
    const x0 = u.valToPos(Math.max(ph.startedAtS, xMin), 'x', true);
    const x1 = u.valToPos(Math.min(end, xMax), 'x', true);
    ctx.fillStyle = p.phase[ph.kind] ?? p.grid;
    ctx.fillRect(x0, top, Math.max(1, x1 - x0), height);
    // a solid edge where the phase starts, so phases differ by more than their tint
    ctx.fillStyle = p.dim;
    if (ph.startedAtS >= xMin) ctx.fillRect(x0, top, Math.max(1, uPlot.pxRatio), height);
    ctx.fillStyle = p.fg;
    ctx.font = axisFont();
    ctx.textAlign = 'left';
    ctx.textBaseline = 'top';
    const label = PHASE_WORDS[ph.kind] ?? ph.kind;
    if (x1 - x0 > 24 * uPlot.pxRatio) {
      ctx.fillText(label, x0 + 4 * uPlot.pxRatio, top + 3 * uPlot.pxRatio);
    }
    drawnPhases++;
  }
  // gaps: hatched, no line crosses them
  ctx.strokeStyle = p.dim;
  ctx.lineWidth = uPlot.pxRatio;
  for (const g of ann.gaps) {
    if (g.toS < xMin || g.fromS > xMax) continue;
    const x0 = u.valToPos(Math.max(g.fromS, xMin), 'x', true);
    const x1 = u.valToPos(Math.min(g.toS, xMax), 'x', true);
    ctx.fillStyle = p.gap;
    ctx.fillRect(x0, top, Math.max(uPlot.pxRatio, x1 - x0), height);
  }
  // the baseline's noise band on the RMSSD scale, from the baseline's start on
  const b = ann.baseline;
  if (b && u.scales.ms && b.reference.rmssdMs !== null && b.reference.bandLn !== null && b.fromS <= xMax) {
    const hi = b.reference.rmssdMs * Math.exp(b.reference.bandLn);
    const lo = b.reference.rmssdMs * Math.exp(-b.reference.bandLn);
    const x0 = u.valToPos(Math.max(b.fromS, xMin), 'x', true);
    const y0 = u.valToPos(hi, 'ms', true);
    const y1 = u.valToPos(lo, 'ms', true);
    ctx.fillStyle = p.band;
    ctx.fillRect(x0, y0, left + width - x0, y1 - y0);
    ctx.setLineDash([6 * uPlot.pxRatio, 4 * uPlot.pxRatio]);
    ctx.strokeStyle = p.bandLine;
    ctx.beginPath();
    const yRef = u.valToPos(b.reference.rmssdMs, 'ms', true);
    ctx.moveTo(x0, yRef);
    ctx.lineTo(left + width, yRef);
    ctx.stroke();
    ctx.setLineDash([]);
  }
  ctx.restore();
  el.dataset.drawnPhases = String(drawnPhases);
}

/**
 * @param {uPlot} u
 * @param {Annotations} ann
 * @param {Palette} p
 * @param {HTMLElement} el
 */
function drawForeground(u, ann, p, el) {
  const range = beginPlotClip(u);
  if (!range) return;
  const { ctx } = u;
  const { left, top, width, height } = u.bbox;
  const [xMin, xMax] = range;
  let drawnMarkers = 0;
  const px = uPlot.pxRatio;
  ctx.font = axisFont();
  ctx.textAlign = 'left';
  ctx.textBaseline = 'bottom';
  const live = ann.markers.filter((m) => !m.undone && m.atS >= xMin && m.atS <= xMax).sort((a, b) => a.atS - b.atS);
  live.forEach((m, i) => {
    const x = u.valToPos(m.atS, 'x', true);
    ctx.strokeStyle = p.marker;
    ctx.lineWidth = 2 * px;
    ctx.setLineDash(m.kind === 'region' ? [2 * px, 3 * px] : []);
    ctx.beginPath();
    ctx.moveTo(x, top + 20 * px);
    ctx.lineTo(x, top + height);
    ctx.stroke();
    ctx.setLineDash([]);
    // a diamond for a technique, a circle for a region, a square for a note: shape, not only colour
    ctx.fillStyle = p.marker;
    const y = top + height - 6 * px;
    ctx.beginPath();
    if (m.kind === 'technique') {
      ctx.moveTo(x, y - 6 * px);
      ctx.lineTo(x + 6 * px, y);
      ctx.lineTo(x, y + 6 * px);
      ctx.lineTo(x - 6 * px, y);
    } else if (m.kind === 'region') {
      ctx.arc(x, y, 5 * px, 0, 2 * Math.PI);
    } else {
      ctx.rect(x - 5 * px, y - 5 * px, 10 * px, 10 * px);
    }
    ctx.fill();
    const label = m.value.length > 18 ? `${m.value.slice(0, 17)}…` : m.value;
    const row = i % 3;
    ctx.fillStyle = p.fg;
    const tx = Math.min(x + 4 * px, left + width - ctx.measureText(label).width - 2 * px);
    ctx.fillText(label, tx, top + (36 + row * 16) * px);
    drawnMarkers++;
  });
  // beats the artefact layer corrected: a ring on the tachogram
  if (ann.artefacts) {
    const { tS, rrMs, kind } = ann.artefacts;
    ctx.strokeStyle = p.artefact;
    ctx.lineWidth = 2 * px;
    for (let i = 0; i < tS.length; i++) {
      if (kind[i] === null || kind[i] === undefined || kind[i] === 'normal') continue;
      if (tS[i] < xMin || tS[i] > xMax) continue;
      ctx.beginPath();
      ctx.arc(u.valToPos(tS[i], 'x', true), u.valToPos(rrMs[i], 'rr', true), 5 * px, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }
  ctx.restore();
  el.dataset.drawnMarkers = String(drawnMarkers);
}

/** @param {HTMLElement} el */
function sizeOf(el) {
  const r = el.getBoundingClientRect();
  return { width: Math.max(200, Math.floor(r.width)), height: Math.max(120, Math.floor(r.height)) };
}

/**
 * A chart in `el` that follows the element's size. `build(palette, annotations)` returns uPlot options without size;
 * `data()` gives the columns.
 * @param {HTMLElement} el
 * @param {Palette} palette
 * @param {BuildOptions} build
 * @param {() => uPlot.AlignedData} data
 * @returns {Chart}
 */
function chartIn(el, palette, build, data) {
  let p = palette;
  const ann = emptyAnnotations();
  const create = () => {
    const opts = build(p, ann);
    opts.hooks = {
      drawClear: [(plot) => drawBackground(plot, ann, p, el)],
      draw: [(plot) => drawForeground(plot, ann, p, el)],
    };
    return new uPlot({ ...opts, ...sizeOf(el) }, data(), el);
  };
  let u = create();
  const observer = new ResizeObserver(() => {
    if (u) u.setSize(sizeOf(el));
  });
  observer.observe(el);
  return {
    get plot() {
      return u;
    },
    redraw() {
      u.setData(data());
    },
    setAnnotations(partial) {
      Object.assign(ann, partial);
    },
    rebuild(palette2) {
      p = palette2;
      u.destroy();
      u = create();
    },
    destroy() {
      observer.disconnect();
      u.destroy();
    },
  };
}

/**
 * The RR tachogram: `data()` returns [tS, rrMs] (ascending tS); with `windowS` the x axis shows only the last
 * `windowS` seconds.
 * @param {HTMLElement} el
 * @param {Palette} palette
 * @param {() => uPlot.AlignedData} data
 * @param {{ windowS?: number | null, cursor?: boolean }} [options]
 */
export function tachogramChart(el, palette, data, { windowS = null, cursor = false } = {}) {
  return chartIn(
    el,
    palette,
    (p) => ({
      legend: { show: false },
      cursor: { show: cursor, x: cursor, y: false, points: { show: false } },
      scales: {
        x: {
          time: false,
          range: (_u, min, max) => {
            if (min === null || max === null) return [0, windowS ?? 60];
            if (windowS === null) return [Math.min(0, min), Math.max(max, 1)];
            // until the window is full it starts at 0 and fills from the left
            const hi = Math.max(max, windowS);
            return [hi - windowS, hi];
          },
        },
        rr: {
          range: (_u, min, max) => {
            if (min === null || max === null) return [600, 1200];
            const pad = Math.max(20, (max - min) * 0.1);
            return [Math.floor((min - pad) / 50) * 50, Math.ceil((max + pad) / 50) * 50];
          },
        },
      },
      axes: [xAxis(p), yAxis(p, 'rr', 3, 'RR, ms')],
      series: [{}, { label: 'RR', scale: 'rr', stroke: p.rr, width: 1.5, spanGaps: false }],
    }),
    data,
  );
}

/**
 * The session trend: `data()` returns [tS, rmssdMs, hfMs2]. RMSSD on the left axis, HF on the right.
 * @param {HTMLElement} el
 * @param {Palette} palette
 * @param {() => uPlot.AlignedData} data
 * @param {{ cursor?: boolean }} [options]
 */
export function trendChart(el, palette, data, { cursor = false } = {}) {
  return chartIn(
    el,
    palette,
    (p, ann) => ({
      legend: { show: false },
      cursor: { show: cursor, x: cursor, y: false, points: { show: false } },
      scales: {
        x: {
          time: false,
          range: (_u, min, max) => {
            const end = Math.max(max ?? 0, ann.endS ?? 0);
            return [Math.min(min ?? 0, 0), Math.max(end, 60)];
          },
        },
        ms: {
          range: (_u, _min, max) => {
            const b = ann.baseline?.reference;
            const bandTop = b?.rmssdMs && b.bandLn !== null ? b.rmssdMs * Math.exp(b.bandLn) : 0;
            const top = Math.max(max ?? 0, bandTop, 20);
            return [0, Math.ceil((top * 1.15) / 10) * 10];
          },
        },
        hf: { range: (_u, _min, max) => [0, Math.max(100, (max ?? 0) * 1.15)] },
      },
      axes: [xAxis(p), yAxis(p, 'ms', 3, 'RMSSD, ms'), yAxis(p, 'hf', 1, 'HF, ms²')],
      series: [
        {},
        { label: 'RMSSD', scale: 'ms', stroke: p.rmssd, width: 2.5, spanGaps: false },
        { label: 'HF', scale: 'hf', stroke: p.hf, width: 1.5, dash: [8, 5], spanGaps: false },
      ],
    }),
    data,
  );
}

/**
 * Index of the first value ≥ x in an ascending array (binary search).
 * @param {readonly number[]} values
 * @param {number} x
 */
export function lowerBound(values, x) {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (values[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
