/**
 * The palette of web/style.css against WCAG 2.x AA, computed from the file itself, for both themes: every pair of
 * text colour and background the pages use (the in-browser test checks the rendered elements as well; this one also
 * covers the chart labels, which are drawn on a canvas).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { contrast, over, parseColour, type Rgba } from './browser.js';

const CSS = readFileSync(new URL('../../web/style.css', import.meta.url), 'utf8');

function themeVars(selector: string): Record<string, string> {
  const start = CSS.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no ${selector} block in style.css`);
  const body = CSS.slice(start, CSS.indexOf('}', start));
  const vars: Record<string, string> = {};
  for (const m of body.matchAll(/(--[\w-]+):\s*([^;]+);/g)) vars[m[1]] = m[2].trim();
  return vars;
}

const THEMES = {
  dark: themeVars(':root[data-theme="dark"]'),
  light: themeVars(':root[data-theme="light"]'),
};

/** [text, background, minimum ratio, where] — 4.5 for body text, 3 for large text (≥ 24 px, or ≥ 18.7 px bold). */
const PAIRS: [string, string, number, string][] = [
  ['--fg', '--bg', 4.5, 'body text'],
  ['--fg', '--surface', 4.5, 'text on panels'],
  ['--fg', '--surface-2', 4.5, 'buttons, banners'],
  ['--dim', '--bg', 4.5, 'secondary text'],
  ['--dim', '--surface', 4.5, 'labels, notes, chart axes'],
  ['--dim', '--surface-2', 4.5, 'labels on buttons'],
  ['--stale', '--surface', 4.5, 'stale values, disabled buttons'],
  ['--stale', '--bg', 4.5, 'placeholders'],
  ['--rest', '--surface', 4.5, '"shifting to rest"'],
  ['--rest', '--bg', 4.5, 'links'],
  ['--active', '--surface', 4.5, '"activated"'],
  ['--neutral', '--surface', 4.5, '"no clear change"'],
  ['--warn', '--surface', 4.5, 'warnings'],
  ['--warn', '--bg', 4.5, 'stale signal in the header'],
  ['--error', '--surface', 4.5, 'errors, disconnected'],
  ['--error', '--surface-2', 4.5, 'error toast'],
  ['--bg', '--warn', 4.5, 'the STALE tag'],
  ['--primary-fg', '--primary-bg', 4.5, 'primary button'],
  ['--pressed-fg', '--pressed-bg', 4.5, 'current phase, toast'],
  ['--demo-fg', '--demo-bg', 4.5, 'DEMO badge'],
];

/** Chart lines are graphics (WCAG 1.4.11: 3:1 against the chart's background). */
const GRAPHICS: [string, string][] = [
  ['--series-rr', '--surface'],
  ['--series-rmssd', '--surface'],
  ['--series-hf', '--surface'],
  ['--marker', '--surface'],
  ['--artefact', '--surface'],
];

function colour(vars: Record<string, string>, name: string, base: Rgba): Rgba {
  const value = vars[name];
  if (value === undefined) throw new Error(`${name} is not defined`);
  return over(parseColour(value), base);
}

describe('palette contrast (WCAG AA) in both themes', () => {
  for (const [theme, vars] of Object.entries(THEMES)) {
    const bg = parseColour(vars['--bg']);
    it(`${theme}: every text colour on its background`, () => {
      const failures: string[] = [];
      for (const [text, back, min, where] of PAIRS) {
        const b = colour(vars, back, bg);
        const ratio = contrast(colour(vars, text, b), b);
        if (ratio < min) failures.push(`${text} on ${back} (${where}): ${ratio.toFixed(2)} < ${min}`);
      }
      expect(failures).toEqual([]);
    });

    it(`${theme}: chart lines stand out from the chart (3:1)`, () => {
      const failures: string[] = [];
      for (const [line, back] of GRAPHICS) {
        const b = colour(vars, back, bg);
        const ratio = contrast(colour(vars, line, b), b);
        if (ratio < 3) failures.push(`${line} on ${back}: ${ratio.toFixed(2)}`);
      }
      expect(failures).toEqual([]);
    });
  }

  it('the contrast arithmetic matches the WCAG examples', () => {
    expect(contrast([0, 0, 0, 1], [255, 255, 255, 1])).toBeCloseTo(21, 5);
    expect(contrast([118, 118, 118, 1], [255, 255, 255, 1])).toBeCloseTo(4.54, 2);
  });
});
