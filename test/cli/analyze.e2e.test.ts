/**
 * `tableside analyze` and the `--units` option as a user runs them: the real CLI in its own process (run from dist/:
 * `npm run build` first), on fixture files shaped like real exports.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { CSV_HEADER } from '../../src/cli/rolling-output.js';
import { type LiveMetrics, RollingEngine } from '../../src/hrv/rolling.js';
import { readRrFile } from '../../src/io/rr-file.js';
import { runCliResult, tempDir } from '../helpers/daemon-process.js';
import { definitionRow } from '../helpers/rolling-csv.js';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

const RR_SECS = 'test/fixtures/formats/synthetic/physionet_rr_secs_with_offset.txt';

/** The intervals the fixture holds, ms: recordings/physionet_rr_healthy_000.txt beats 37401–37700 (its SOURCE line). */
function fixtureIntervalsMs(): number[] {
  return readFileSync('recordings/physionet_rr_healthy_000.txt', 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map(Number)
    .slice(37400, 37700);
}

describe('tableside analyze: the unit of a file that names none', () => {
  it('a PhysioNet rr_secs file (time offset on line 1) is read as seconds, the offset left out and said', async () => {
    const rr = fixtureIntervalsMs();
    const meanRrMs = rr.reduce((a, b) => a + b, 0) / rr.length;
    const result = await runCliResult(['analyze', '--no-correction', RR_SECS]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${RR_SECS}: 300 beats, 5:20 (${(meanRrMs * 0.3).toFixed(1)} s), rr-text`);
    expect(result.stdout).toMatch(
      new RegExp(`Heart rate +${(60_000 / meanRrMs).toFixed(1)} bpm +mean RR ${meanRrMs.toFixed(1)} ms`),
    );
    expect(result.stdout).toContain('note: line 1 (225.79687500 s) is the time of the first beat, not an interval');

    const json = JSON.parse((await runCliResult(['analyze', '--json', RR_SECS])).stdout);
    expect(json.beats).toBe(300);
    expect(json.notes[0]).toContain('line 1 (225.79687500 s)');
    expect(json.tooIrregular).toBe(false);
  });

  it('values that give no human rhythm are refused with what was assumed and how to say otherwise', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    // Seconds, but with long gaps in most lines: the median (12) says ms, and 12 ms is no heartbeat.
    const file = `${dir.path}/gaps.txt`;
    writeFileSync(file, '0.8\n12\n14\n11\n0.9\n');
    const refused = await runCliResult(['analyze', '--no-correction', file]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(refused.stderr).toContain(`tableside: ${file}: no unit is named in the file`);
    expect(refused.stderr).toContain('read as milliseconds');
    expect(refused.stderr).toContain('--units s');

    const read = await runCliResult(['analyze', '--no-correction', '--units', 's', '--json', file]);
    expect(read.code).toBe(0);
    expect(JSON.parse(read.stdout).meanRrMs).toBeCloseTo((800 + 12_000 + 14_000 + 11_000 + 900) / 5, 9);
  });

  it('--units is refused where the file names its own unit, and takes only s or ms', async () => {
    const hrm = 'test/fixtures/formats/polar-hrm/rhenanbartels-hrv_noisy_rri.hrm';
    const refused = await runCliResult(['analyze', '--units', 's', hrm]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('stores its intervals in ms, but --units s was given');
    const bad = await runCliResult(['analyze', '--units', 'min', RR_SECS]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--units.*min.*(s|ms)/s);
  });

  it('replay takes --units too, and checks the file before the daemon starts', async () => {
    const dir = tempDir();
    cleanups.push(dir.remove);
    const hrm = 'test/fixtures/formats/polar-hrm/rhenanbartels-hrv_noisy_rri.hrm';
    const result = await runCliResult(['replay', hrm, '--units', 's', '--db', `${dir.path}/t.db`, '--port', '0']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--units s');
  });
});

/** The CLI's stdout as bytes, decoded once at the end (a row is never split across two decodes). */
function analyzeBytes(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['bin/tableside.js', 'analyze', ...args]);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }),
    );
  });
}

async function engineRows(file: string, rmssdWindowS = 60): Promise<LiveMetrics[]> {
  const { rrMs } = await readRrFile(file);
  const engine = new RollingEngine({ rmssdWindowS });
  const rows: LiveMetrics[] = [];
  let tS = 0;
  for (let i = 0; i < rrMs.length; i++) {
    tS += rrMs[i] / 1000;
    for (const m of engine.push(rrMs[i], tS, false)) rows.push(m);
  }
  rows.push(...engine.flush());
  return rows;
}

describe('tableside analyze --rolling (real process): the bytes of the row definition', () => {
  it('prints the defined CSV rows for a 21-hour recording (80 441 rows, many output buffers)', async () => {
    const file = 'recordings/physionet_rr_healthy_000.txt';
    const [run, rows] = await Promise.all([analyzeBytes([file, '--rolling', '--window', '30']), engineRows(file, 30)]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(rows.length).toBe(80_441);
    const expected = CSV_HEADER + rows.map(definitionRow).join('');
    expect(run.stdout.length).toBe(expected.length);
    expect(run.stdout === expected).toBe(true); // not toBe: a 16 MB diff would drown the report
  }, 180_000);

  it('prints the defined CSV rows and NDJSON lines for a short recording', async () => {
    const file = 'recordings/bartels_noisy_rri_polar.txt';
    const rows = await engineRows(file);
    const csv = await analyzeBytes([file, '--rolling']);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(CSV_HEADER + rows.map(definitionRow).join(''));
    const ndjson = await analyzeBytes([file, '--rolling', '--format', 'ndjson']);
    expect(ndjson.code).toBe(0);
    expect(ndjson.stdout).toBe(rows.map((m) => `${JSON.stringify(m)}\n`).join(''));
  }, 60_000);
});
