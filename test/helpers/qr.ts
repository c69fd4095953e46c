/**
 * Reads a QR code printed in the terminal back, as a phone's camera would: the half-block characters become pixels
 * ('█' light over light, '▀' light over dark, …) and jsQR decodes them, the right way round only (no inverted reading).
 */
import jsqr from 'jsqr';

/** jsqr is CommonJS with an ES-style default export: Node hands over `module.exports`, whose `default` it is. */
const jsQR = jsqr.default;

// biome-ignore lint/suspicious/noControlCharactersInRegex: the ANSI colour codes the terminal variant adds
const ANSI_COLOUR = /\u001b\[[0-9;]*m/g;

/** Pixels per QR module. */
const SCALE = 4;

/** The printed half-block characters as an RGBA image: '█' light over light, '▀' light over dark, and so on. */
export function rasterise(text: string): { data: Uint8ClampedArray; width: number; height: number } {
  const lines = text.replace(ANSI_COLOUR, '').split('\n');
  const columns = Math.max(...lines.map((l) => [...l].length));
  const width = columns * SCALE;
  const height = lines.length * 2 * SCALE;
  const data = new Uint8ClampedArray(width * height * 4);
  const halves: Record<string, [boolean, boolean]> = {
    '█': [true, true],
    '▀': [true, false],
    '▄': [false, true],
    ' ': [false, false],
  };
  lines.forEach((line, row) => {
    [...line].forEach((char, col) => {
      const half = halves[char];
      if (half === undefined) throw new Error(`unexpected character ${JSON.stringify(char)} in the QR code`);
      half.forEach((light, h) => {
        for (let y = 0; y < SCALE; y++) {
          for (let x = 0; x < SCALE; x++) {
            const i = (((row * 2 + h) * SCALE + y) * width + col * SCALE + x) * 4;
            data.fill(light ? 255 : 0, i, i + 3);
            data[i + 3] = 255;
          }
        }
      });
    });
  });
  return { data, width, height };
}

/**
 * The text of the QR code in `printed`, or undefined: the block lines are taken from whatever else was printed around
 * them (the URL, the fingerprint), their indentation and ANSI colour codes removed.
 */
export function readQr(printed: string): string | undefined {
  const lines = printed
    .replace(ANSI_COLOUR, '')
    .split('\n')
    .filter((line) => line.includes('█') && /^[█▀▄ ]+$/.test(line));
  if (lines.length === 0) return undefined;
  const indent = Math.min(...lines.map((line) => line.length - line.trimStart().length));
  const { data, width, height } = rasterise(lines.map((line) => line.slice(indent)).join('\n'));
  return jsQR(data, width, height, { inversionAttempts: 'dontInvert' })?.data;
}
