/// <reference lib="dom.iterable" />
/**
 * Functions that run inside the page (`page.evaluate(fn)`): each is self-contained, since playwright sends its
 * source text, not its closure.
 */

export interface ContrastFailure {
  readonly element: string;
  readonly text: string;
  readonly ratio: number;
  readonly required: number;
  readonly colour: string;
  readonly background: string;
}

/**
 * Every visible element with text of its own: its colour against the background it actually sits on (the
 * backgrounds of its ancestors laid over each other), against WCAG AA — 4.5:1, or 3:1 for large text (≥ 24 px, or
 * ≥ 18.66 px and bold).
 */
export function contrastFailuresInPage(): ContrastFailure[] {
  type Rgba = [number, number, number, number];
  const parse = (text: string): Rgba => {
    const m = /rgba?\(([^)]+)\)/.exec(text);
    if (!m) return [0, 0, 0, 0];
    const p = m[1]
      .split(/[\s,/]+/)
      .filter(Boolean)
      .map(Number);
    return [p[0], p[1], p[2], p[3] ?? 1];
  };
  const over = (top: Rgba, bottom: Rgba): Rgba => {
    const a = top[3];
    return [top[0] * a + bottom[0] * (1 - a), top[1] * a + bottom[1] * (1 - a), top[2] * a + bottom[2] * (1 - a), 1];
  };
  const lum = ([r, g, b]: Rgba) => {
    const lin = (c: number) => {
      const s = c / 255;
      return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const ratio = (a: Rgba, b: Rgba) => {
    const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
    return (hi + 0.05) / (lo + 0.05);
  };
  const backgroundOf = (el: Element): Rgba => {
    const layers: Rgba[] = [];
    for (let e: Element | null = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg: Rgba = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
    return bg;
  };
  const name = (el: Element) =>
    `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${[...el.classList].join('.')}` : ''}`;

  const failures: ContrastFailure[] = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('[hidden], [aria-hidden="true"], canvas, svg, script, style')) continue;
    const ownText = [...el.childNodes]
      .filter((n) => n.nodeType === Node.TEXT_NODE)
      .map((n) => n.textContent ?? '')
      .join('')
      .trim();
    if (ownText === '') continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    const style = getComputedStyle(el);
    if (style.visibility === 'hidden' || style.display === 'none') continue;
    const bg = backgroundOf(el);
    const fg = over(parse(style.color), bg);
    const size = Number.parseFloat(style.fontSize);
    const bold = Number(style.fontWeight) >= 700;
    const required = size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5;
    const r = ratio(fg, bg);
    if (r < required) {
      failures.push({
        element: name(el),
        text: ownText.slice(0, 40),
        ratio: Math.round(r * 100) / 100,
        required,
        colour: style.color,
        background: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`,
      });
    }
  }
  return failures;
}

/** Everything a keyboard user should be able to reach: visible, enabled controls. */
export function focusableControlsInPage(): string[] {
  const out: string[] = [];
  for (const el of document.querySelectorAll<HTMLElement>('a[href], button, input, textarea, select, summary')) {
    if (el.closest('[hidden], dialog:not([open])')) continue;
    // The contents of a closed <details> are not shown (only its summary is): out of reach until it is opened.
    const details = el.closest('details');
    if (details && !details.open && el.tagName !== 'SUMMARY') continue;
    if ((el as HTMLButtonElement).disabled) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width === 0 || rect.height === 0) continue;
    out.push(controlName(el));
  }
  return out;

  function controlName(el: HTMLElement): string {
    return `${el.tagName.toLowerCase()}:${el.id || el.getAttribute('aria-label') || el.textContent?.trim().replace(/\s+/g, ' ')}`;
  }
}

/** The element that has the focus, named as `focusableControlsInPage` names it. */
export function focusedControlInPage(): string | null {
  const el = document.activeElement as HTMLElement | null;
  if (!el || el === document.body) return null;
  return `${el.tagName.toLowerCase()}:${el.id || el.getAttribute('aria-label') || el.textContent?.trim().replace(/\s+/g, ' ')}`;
}

/** Whether every control has a name a screen reader can say. */
export function unnamedControlsInPage(): string[] {
  const out: string[] = [];
  for (const el of document.querySelectorAll<HTMLElement>('a[href], button, input, textarea, select')) {
    if (el.closest('[hidden]')) continue;
    const labelled =
      (el.getAttribute('aria-label') ?? '').trim() !== '' ||
      (el.textContent ?? '').trim() !== '' ||
      ((el as HTMLInputElement).labels?.length ?? 0) > 0;
    if (!labelled) out.push(el.outerHTML.slice(0, 80));
  }
  return out;
}
