/** Figures printed by `npm run bench`. Benchmarks print; they never fail a build on speed. */

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
  ok?: boolean;
}

export function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (!g) throw new Error('run the benchmarks with node --expose-gc (npm run bench does)');
  g();
  g();
}

/** JS heap plus the memory behind typed arrays (which live outside the V8 heap), MB. */
export function heapUsedMb(): number {
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / 2 ** 20;
}

function format(value: number): string {
  if (Math.abs(value) >= 1000) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

export function printFigures(title: string, figures: Figure[]): void {
  process.stdout.write(`\n${title}\n`);
  for (const f of figures) {
    const target = f.target ? `   target ${f.target}${f.ok === undefined ? '' : f.ok ? ' — met' : ' — NOT met'}` : '';
    process.stdout.write(`  ${f.name}: ${format(f.value)} ${f.unit}${target}\n`);
  }
}
