/** The simulated strap as a HeartRateSource: deterministic 0x2A37 notifications, paced like a real strap. */
import { encodeHeartRateMeasurement } from '../domain/hrm.js';
import type { HeartRateSource } from '../domain/source.js';
import { paced, type Speed } from './pacing.js';
import { SimulatedStrap, type SimulatedStrapOptions } from './simulated-strap.js';

export function simulatedSource(options: Partial<SimulatedStrapOptions> & { speed?: Speed } = {}): HeartRateSource {
  const { speed = 1, ...strapOptions } = options;
  const seed = strapOptions.seed ?? 1;
  const device = { name: 'Simulated strap', id: `simulated-${seed}` };
  return {
    kind: 'simulated',
    label: `simulated strap (seed ${seed})`,
    get events$() {
      const strap = new SimulatedStrap(strapOptions);
      let started = false;
      let ended = false;
      return paced(() => {
        if (!started) {
          started = true;
          return { type: 'status', sourceTimeMs: 0, status: { state: 'live', device, batteryPct: 100 } };
        }
        const e = strap.next();
        if (e === null) {
          if (ended) return null;
          ended = true;
          return {
            type: 'status',
            sourceTimeMs: strap.options.durationS * 1000,
            status: { state: 'ended', reason: 'end of simulated session', device },
          };
        }
        if (e.kind === 'status') {
          return { type: 'status', sourceTimeMs: e.atMs, status: { state: e.state, reason: e.reason, device } };
        }
        return {
          type: 'notification',
          sourceTimeMs: e.atMs,
          payload: encodeHeartRateMeasurement({ hrBpm: e.hrBpm, rrTicks: e.rrTicks }),
        };
      }, speed);
    },
  };
}
