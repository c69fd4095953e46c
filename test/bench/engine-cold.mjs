/**
 * One run of the rolling engine in a fresh process, as `tableside analyze --rolling` runs it (dist/, built by
 * `npm run bench`): prints the run's milliseconds, the file read and the modules loaded before the clock starts.
 * Usage: node test/bench/engine-cold.mjs FILE
 */
import { RollingEngine } from '../../dist/hrv/rolling.js';
import { readRrFile } from '../../dist/io/rr-file.js';

const { rrMs } = await readRrFile(process.argv[2]);
const start = process.hrtime.bigint();
const engine = new RollingEngine();
let tS = 0;
for (let i = 0; i < rrMs.length; i++) {
  tS += rrMs[i] / 1000;
  engine.push(rrMs[i], tS, false);
}
engine.flush();
process.stdout.write(`${Number(process.hrtime.bigint() - start) / 1e6}\n`);
