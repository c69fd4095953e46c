/** Benchmarks of the HRV engine: throughput, heap, and the whole `analyze --rolling` process. */
import { spawnSync } from 'node:child_process';
import { ArtefactDetector } from '../../src/hrv/artefacts.js';
import { realFftOfSize } from '../../src/hrv/fft.js';
import { RollingEngine } from '../../src/hrv/rolling.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { type Figure, gc, heapUsedMb } from './report.js';

const HOLTER = 'recordings/physionet_rr_healthy_000.txt';

function runEngine(rrMs: Float64Array, count: number): RollingEngine {
  const engine = new RollingEngine();
  let t = 0;
  for (let i = 0; i < count; i++) {
    t += rrMs[i] / 1000;
    engine.push(rrMs[i], t, false);
  }
  engine.flush();
  return engine;
}

export async function engineBenchmarks(): Promise<Figure[]> {
  const { rrMs } = await readRrFile(HOLTER);
  const figures: Figure[] = [];

  // Warm up the JIT on the first hour, then time three full runs and keep the best.
  runEngine(rrMs, 4000);
  let bestMs = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const start = process.hrtime.bigint();
    runEngine(rrMs, rrMs.length);
    bestMs = Math.min(bestMs, Number(process.hrtime.bigint() - start) / 1e6);
  }
  figures.push({
    name: 'rolling engine throughput (physionet_rr_healthy_000, 80 441 beats, 21 h)',
    value: rrMs.length / (bestMs / 1000),
    unit: 'beats/s',
    target: '≥ 300 000',
    ok: rrMs.length / (bestMs / 1000) >= 300_000,
  });

  // The artefact layer alone, and the engine without correction: where the time goes.
  const time = (fn: () => void) => {
    let best = Number.POSITIVE_INFINITY;
    for (let run = 0; run < 3; run++) {
      const start = process.hrtime.bigint();
      fn();
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
    }
    return best;
  };
  const detectorMs = time(() => {
    const detector = new ArtefactDetector();
    for (let i = 0; i < rrMs.length; i++) detector.push(rrMs[i]);
    detector.flush();
  });
  figures.push({ name: 'artefact layer alone', value: rrMs.length / (detectorMs / 1000), unit: 'beats/s' });
  const updates = Math.floor(rrMs.reduce((a, b) => a + b, 0) / 1000 / 4);
  figures.push({
    name: `spectral updates in the run (one 4096-point FFT each, every 4 s of beat time)`,
    value: updates,
    unit: '',
  });
  // The floor the method sets: those transforms alone (fft.js, 256 windowed samples zero-padded to 4096, the bins up
  // to 0.4 Hz), with nothing else of the engine around them.
  const fft = realFftOfSize(4096);
  const padded = new Float64Array(4096);
  for (let n = 0; n < 256; n++) padded[n] = 50 * Math.sin(n * 0.4) + (n % 7);
  const power = new Float64Array(411);
  const fftMs = time(() => {
    for (let u = 0; u < updates; u++) {
      padded[0] = u;
      fft.powerSpectrum(padded, 410, power);
    }
  });
  figures.push({ name: `  those ${updates} FFTs alone (fft.js 4096-point real transform)`, value: fftMs, unit: 'ms' });
  figures.push({
    name: '  engine throughput ceiling if everything but those FFTs took no time',
    value: rrMs.length / (fftMs / 1000),
    unit: 'beats/s',
  });

  // Heap held by an engine after 1 h and after 21 h of beats: should not depend on the length.
  const retained = (count: number) => {
    gc();
    const before = heapUsedMb();
    const engine = runEngine(rrMs, count);
    gc();
    const after = heapUsedMb();
    void engine.options; // keep the engine alive until after the measurement
    return after - before;
  };
  const hourMb = retained(4000);
  const dayMb = retained(rrMs.length);
  figures.push({ name: 'engine memory (heap + typed arrays) after 1 h of beats', value: hourMb, unit: 'MB' });
  figures.push({
    name: 'engine memory (heap + typed arrays) after 21 h of beats',
    value: dayMb,
    unit: 'MB',
    target: 'independent of length (≈ the 1 h figure)',
    ok: dayMb < hourMb + 0.5,
  });

  // The whole CLI process, as a user runs it.
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['bin/tableside.js', 'analyze', HOLTER, '--rolling'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const processMs = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`analyze --rolling failed: ${result.stderr}`);
  figures.push({
    name: 'tableside analyze physionet_rr_healthy_000.txt --rolling (whole process, CSV to /dev/null)',
    value: processMs / 1000,
    unit: 's',
    target: '< 1',
    ok: processMs < 1000,
  });
  return figures;
}
