/** `tableside analyze FILE`: the metrics of a recording or a segment, or the live engine's output beat by beat. */

import { type Output, stdout } from '../host/output.js';
import { type Analysis, analyze } from '../hrv/analyze.js';
import { ROLLING_DEFAULTS, RollingEngine } from '../hrv/rolling.js';
import { METHOD_B } from '../hrv/spectrum.js';
import { readRrFile, type TimeUnit } from '../io/rr-file.js';
import { clock, fixed, progressBar } from './format.js';
import { RollingCsvWriter } from './rolling-output.js';

export interface AnalyzeCommandOptions {
  json?: boolean;
  from?: number;
  to?: number;
  correction: boolean;
  interpolation: 'cubic' | 'linear';
  rolling?: boolean;
  format: 'csv' | 'ndjson';
  window: number;
  units?: TimeUnit;
}

/** Inputs longer than this get a progress bar (when stderr is a terminal). */
const PROGRESS_MIN_BEATS = 20_000;

/** Where the output goes: stdout (host/output.ts), whose reader may go away (`| head`): then writing stops. */
type Out = Pick<Output, 'write' | 'ready' | 'closed'>;

export async function analyzeCommand(file: string, opts: AnalyzeCommandOptions, out: Out = stdout()) {
  const recording = await readRrFile(file, { units: opts.units });
  const spectrum = { ...METHOD_B, interpolation: opts.interpolation };
  if (opts.rolling) {
    await writeRolling(recording.rrMs, recording.gapBefore, opts, out);
    return;
  }
  const result = analyze(
    recording.rrMs,
    { correction: opts.correction, spectrum, fromS: opts.from, toS: opts.to },
    recording.gapBefore,
  );
  // What the reader left out of the intervals is said beside the figures.
  const { leadingOffsetS, leadingOffsetLine } = recording.meta;
  const readerNotes = leadingOffsetS
    ? [`line ${leadingOffsetLine} (${leadingOffsetS} s) is the time of the first beat, not an interval: left out`]
    : [];
  if (opts.json) {
    const notes = [...readerNotes, ...result.notes];
    out.write(`${JSON.stringify({ file, format: recording.format, ...result, notes })}\n`);
  } else {
    out.write(describe(file, recording.format, { ...result, notes: [...readerNotes, ...result.notes] }, opts));
  }
}

/** NDJSON lines are gathered into chunks: one write per line would dominate the run time on a 21-hour recording. */
const CHUNK_LINES = 2048;

async function writeRolling(
  rrMs: ArrayLike<number>,
  gapBefore: ArrayLike<boolean | number> | undefined,
  opts: AnalyzeCommandOptions,
  out: Out,
) {
  const engine = new RollingEngine({
    ...ROLLING_DEFAULTS,
    rmssdWindowS: opts.window,
    correction: opts.correction,
    spectrum: { ...METHOD_B, interpolation: opts.interpolation },
  });
  const progress = progressBar(rrMs.length >= PROGRESS_MIN_BEATS ? rrMs.length : 0, 'analyzing');
  // Beat time: cumulative RR; a gap in the file restarts nothing here, the engine restarts its windows.
  let tS = 0;
  if (opts.format === 'csv') {
    // The output copies the bytes it is given, so the writer may reuse its buffer at once.
    const csv = new RollingCsvWriter((bytes) => {
      out.write(bytes);
      return out.ready();
    });
    csv.header();
    for (let i = 0; i < rrMs.length; i++) {
      tS += rrMs[i] / 1000;
      for (const m of engine.push(rrMs[i], tS, Boolean(gapBefore?.[i]))) {
        const full = csv.row(m);
        if (full !== undefined) {
          await full;
          progress.update(i);
        }
      }
      // The reader has gone (`| head`): the rest would be computed for nobody.
      if (out.closed) break;
    }
    for (const m of engine.flush()) await csv.row(m);
    await csv.flush();
  } else {
    let chunk: string[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      out.write(chunk.join(''));
      chunk = [];
      await out.ready();
    };
    for (let i = 0; i < rrMs.length; i++) {
      tS += rrMs[i] / 1000;
      for (const m of engine.push(rrMs[i], tS, Boolean(gapBefore?.[i]))) chunk.push(`${JSON.stringify(m)}\n`);
      if (chunk.length >= CHUNK_LINES) {
        await flush();
        // The reader has gone (`| head`): the rest would be computed for nobody.
        if (out.closed) break;
        progress.update(i);
      }
    }
    for (const m of engine.flush()) chunk.push(`${JSON.stringify(m)}\n`);
    await flush();
  }
  progress.done();
}

function describe(file: string, format: string, a: Analysis, opts: AnalyzeCommandOptions): string {
  const lines: string[] = [];
  const span = opts.from !== undefined || opts.to !== undefined ? ` (${a.fromS.toFixed(1)}–${a.toS.toFixed(1)} s)` : '';
  lines.push(`${file}: ${a.beats} beats, ${clock(a.durationS)} (${a.durationS.toFixed(1)} s)${span}, ${format}`);
  lines.push('');
  const corrected = opts.correction
    ? `${a.correctedBeats} of ${a.beats} beats corrected (${fixed(a.correctedPct, 1)} %)${kinds(a)}`
    : 'no correction (values as given)';
  const row = (label: string, value: string, note = '') =>
    lines.push(`  ${label.padEnd(16)}${value.padEnd(14)}${note}`);
  lines.push(`  ${'Artefacts'.padEnd(16)}${corrected}`);
  row('Heart rate', `${fixed(a.meanHrBpm, 1)} bpm`, `mean RR ${fixed(a.meanRrMs, 1)} ms`);
  row('RMSSD', `${fixed(a.rmssdMs, 1)} ms`, `lnRMSSD ${fixed(a.lnRmssd, 2)}   (vagal activity; the figure to trust)`);
  row('SDNN', `${fixed(a.sdnnMs, 1)} ms`, 'overall variability; compare only equal-length recordings');
  row('pNN50', `${fixed(a.pnn50Pct, 1)} %`);
  row('Poincaré', `SD1 ${fixed(a.sd1Ms, 1)}`, `SD2 ${fixed(a.sd2Ms, 1)} ms`);
  row('HF power', `${fixed(a.hfMs2, 0)} ms²`, `ln ${fixed(a.lnHf, 2)}   0.15–0.40 Hz, breathing-linked`);
  row('LF power', `${fixed(a.lfMs2, 0)} ms²`, '0.04–0.15 Hz');
  row('LF/HF', fixed(a.lfHfRatio, 2), `LF ${fixed(a.lfNu, 1)} n.u., HF ${fixed(a.hfNu, 1)} n.u.`);
  row(
    'Breathing',
    a.respirationRateBpm === null ? '—' : `${fixed(a.respirationRateBpm, 1)} /min`,
    a.hfPeakHz === null ? '' : `HF peak ${fixed(a.hfPeakHz, 4)} Hz`,
  );
  if (a.notes.length > 0) {
    lines.push('');
    for (const n of a.notes) lines.push(`  note: ${n}`);
  }
  lines.push('');
  lines.push(
    `  spectra: Welch, Hann 256 samples (64 s), 50 % overlap, ${opts.interpolation} spline at 4 Hz, nfft 4096, ` +
      'mean detrend; bands lo ≤ f < hi',
  );
  return `${lines.join('\n')}\n`;
}

function kinds(a: Analysis): string {
  const parts = Object.entries(a.artefacts).map(([k, n]) => `${n} ${k}`);
  return parts.length ? `: ${parts.join(', ')}` : '';
}
