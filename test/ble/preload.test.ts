/**
 * The preload path used to run a whole tableside process against the virtual H10: `--require preload.cjs` with
 * TABLESIDE_VIRTUAL_H10 substitutes the HCI socket before anything loads noble, and the source, with its default
 * loader (the process-wide noble singleton), streams from the virtual strap and survives a scripted link loss.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readRrFile } from '../../src/io/rr-file.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const preload = fileURLToPath(new URL('../../src/testing/virtual-h10/preload.cjs', import.meta.url));
const child = fileURLToPath(new URL('../fixtures/ble/virtual-h10-child.ts', import.meta.url));

async function runChild(
  config: object,
  args: string[],
): Promise<{ code: number | null; lines: unknown[]; stderr: string }> {
  const proc = spawn(process.execPath, ['--require', preload, '--import', 'tsx', child, ...args], {
    cwd: root,
    env: { ...process.env, TABLESIDE_VIRTUAL_H10: JSON.stringify(config) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
  const lines = stdout
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as unknown);
  return { code, lines, stderr };
}

/** Is `run` equal to `sequence[i], sequence[i + 1], …` (wrapping around) for some i? */
function isContiguousRunOf(run: readonly number[], sequence: readonly number[]): boolean {
  if (run.length === 0) return true;
  return sequence.some((_, i) => run.every((v, k) => v === sequence[(i + k) % sequence.length]));
}

describe('preload.cjs + TABLESIDE_VIRTUAL_H10', () => {
  it('streams a recording from the virtual strap through the real noble singleton, across a link loss', async () => {
    const recording = await readRrFile(`${root}/recordings/bartels_rest_rri.txt`);
    const ticks = Array.from(recording.rrMs, (ms) => Math.round((ms * 1024) / 1000));
    const { code, lines, stderr } = await runChild(
      {
        speed: 20,
        strap: { recording: 'recordings/bartels_rest_rri.txt' },
        script: [{ atMs: 300, do: 'dropLink', reason: 8 }],
      },
      ['stream', '5'],
    );
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const statuses = lines.flatMap((l) =>
      'status' in (l as object) ? [(l as { status: { state: string; reason?: string } }).status] : [],
    );
    expect(statuses.map((s) => s.state)).toEqual([
      'scanning',
      'connecting',
      'live',
      'disconnected',
      'scanning',
      'connecting',
      'live',
    ]);
    expect(statuses[3].reason).toMatch(/supervision timeout/);
    // Within each connection the RR values are a contiguous run of the recording, in order (beats that ended while
    // the link was down are lost, as on a real strap).
    const runs: number[][] = [];
    for (const l of lines as { status?: { state: string }; rr?: number[] }[]) {
      if (l.status?.state === 'live') runs.push([]);
      if (l.rr) runs[runs.length - 1]?.push(...l.rr);
    }
    expect(runs).toHaveLength(2);
    expect(runs[1].length).toBeGreaterThanOrEqual(5);
    for (const run of runs) expect(isContiguousRunOf(run, ticks), JSON.stringify(run)).toBe(true);
  }, 15_000);

  it('lets `scanStraps` find the configured straps', async () => {
    const { code, lines } = await runChild(
      {
        straps: [
          { name: 'Polar H10 8AA87D20', batteryPct: 71 },
          { name: 'Polar H9 1A2B3C4D', address: 'c3:33:33:33:33:33', rssi: -80 },
        ],
      },
      ['scan'],
    );
    expect(code).toBe(0);
    expect(lines).toEqual([
      {
        straps: [
          { name: 'Polar H10 8AA87D20', id: '8AA87D20', address: 'ec:ea:02:85:d9:7a', rssi: -58, batteryPct: 71 },
          { name: 'Polar H9 1A2B3C4D', id: '1A2B3C4D', address: 'c3:33:33:33:33:33', rssi: -80, batteryPct: 87 },
        ],
      },
    ]);
  }, 15_000);
});
