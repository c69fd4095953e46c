// Dark by default (a dim room), light on request; the choice is kept in this browser.

const KEY = 'tableside.theme';

/**
 * @typedef {'dark' | 'light'} Theme
 * @typedef {ReturnType<typeof chartPalette>} Palette
 */

/** @returns {Theme} */
export function savedTheme() {
  try {
    return localStorage.getItem(KEY) === 'light' ? 'light' : 'dark';
  } catch {
    return 'dark';
  }
}

/** @param {Theme} theme */
export function applyTheme(theme) {
  document.documentElement.dataset.theme = theme;
  try {
    localStorage.setItem(KEY, theme);
  } catch {
    // private mode: the choice lasts for this page only
  }
}

/** The chart colours of the current theme, read from the CSS custom properties (one palette, in style.css). */
export function chartPalette() {
  const css = getComputedStyle(document.documentElement);
  const v = (/** @type {string} */ name) => css.getPropertyValue(name).trim();
  return {
    fg: v('--fg'),
    /** the charts' background (their box) */
    bg: v('--surface'),
    dim: v('--dim'),
    grid: v('--grid'),
    rr: v('--series-rr'),
    rmssd: v('--series-rmssd'),
    hf: v('--series-hf'),
    band: v('--band-fill'),
    bandLine: v('--band-line'),
    artefact: v('--artefact'),
    marker: v('--marker'),
    gap: v('--gap-fill'),
    /** @type {Record<string, string>} by phase kind */
    phase: {
      baseline: v('--phase-baseline'),
      massage: v('--phase-massage'),
      recovery: v('--phase-recovery'),
    },
  };
}
