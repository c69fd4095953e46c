/**
 * Latency through noble and the virtual Polar H10: from the strap handing a 0x2A37 notification to the virtual radio,
 * through noble's real HCI/ACL/GATT code, the Bluetooth source, the pipeline and the store commit, to the `beat`
 * message arriving at a viewer over a real WebSocket. Each run happens in a forked process (./ble-run.ts says how and
 * why); both ends of every measurement read the same sub-millisecond wall clock there.
 *
 * Two runs: the strap clock at real time (what a therapist's laptop sees: one notification a second), and at 20× to
 * get enough beats for a p99 that is not simply the slowest beat. At 20× only the strap's beats come faster; latency
 * is still wall time from notification to viewer.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { BleRunResult } from './ble-run.js';
import { percentile } from './daemon.js';
import type { Figure } from './report.js';

const RUN = fileURLToPath(new URL('./ble-run.ts', import.meta.url));

/** The first beats also pay for compiling the code paths they take: left out, and said so. */
const WARM_UP_BEATS = 10;

function runOnce(speed: number, seconds: number): Promise<BleRunResult> {
  return new Promise((resolve, reject) => {
    const child = fork(RUN, [String(speed), String(seconds), String(WARM_UP_BEATS)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let result: BleRunResult | null = null;
    child.once('message', (m) => {
      result = m as BleRunResult;
    });
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0 && result !== null) resolve(result);
      else reject(new Error(`the Bluetooth latency run (speed ${speed}) exited with ${code}`));
    });
  });
}

function figures(r: BleRunResult, clock: string): Figure[] {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b);
  const n = sorted.length;
  const name = `0x2A37 notification → beat message at the viewer, ${clock}`;
  return [
    {
      name:
        `${name}, p50 (${n} beats in ${r.notifications} notifications over ${r.wallSeconds} s of wall time after ` +
        `${r.warmUpBeats} warm-up beats; latency in wall time, sub-ms clock)`,
      value: percentile(sorted, 50),
      unit: 'ms',
    },
    {
      name: `${name}, p99`,
      value: percentile(sorted, 99),
      unit: `ms (max ${sorted[n - 1].toFixed(2)} ms, n ${n}${n <= 100 ? ': with n ≤ 100, p99 is the max' : ''})`,
    },
  ];
}

export async function bleBenchmarks(): Promise<Figure[]> {
  const realTime = await runOnce(1, 60);
  const fast = await runOnce(20, 30);
  return [
    ...figures(realTime, 'strap clock at real time (1×)'),
    ...figures(fast, 'strap clock at 20× (beats 20× faster)'),
  ];
}
