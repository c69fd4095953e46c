/**
 * A simulated chest strap: deterministic (seeded) beats shaped like a client on a massage table, delivered as real
 * 0x2A37 notifications about once per second with 0–3 RR values each.
 *
 * The model, per beat:
 *   RR(t) = meanRR(t) + RSA(t)·sin(phase of breathing) + Mayer(t) + AR(1) noise
 * - meanRR: heart rate falls from `startHrBpm` towards `endHrBpm` once work begins (after `baselineS`), with a time
 *   constant of `shiftTauS` — the slow parasympathetic shift of a 20–60 min massage;
 * - RSA amplitude grows in step (RMSSD rises), and the breathing rate drifts from `startBreathingBpm` to
 *   `endBreathingBpm` (relaxed breathing often slows below 9/min, where HF under-reads);
 * - a 0.1 Hz baroreflex (Mayer) wave and AR(1) noise;
 * - optional ectopic beats (premature + compensatory pause), missed beats (two intervals reported as one) and
 *   dropouts (no notifications; the timeline sees a gap).
 *
 * Pure and synchronous: `next()` gives the next event on simulated time; pacing belongs to the caller.
 */

export interface SimulatedStrapOptions {
  readonly seed: number;
  /** stop after this much simulated time, s (Infinity: until unsubscribed) */
  readonly durationS: number;
  readonly baselineS: number;
  readonly startHrBpm: number;
  readonly endHrBpm: number;
  readonly shiftTauS: number;
  /** peak-to-mean RSA amplitude, ms, before and after the shift */
  readonly startRsaMs: number;
  readonly endRsaMs: number;
  readonly startBreathingBpm: number;
  readonly endBreathingBpm: number;
  readonly ectopicPerMin: number;
  readonly missedPerMin: number;
  /** simulated link losses: [start s, length s] */
  readonly dropouts: readonly (readonly [number, number])[];
  readonly notifyEveryMs: number;
}

export const SIMULATED_DEFAULTS: SimulatedStrapOptions = Object.freeze({
  seed: 1,
  durationS: Number.POSITIVE_INFINITY,
  baselineS: 300,
  startHrBpm: 74,
  endHrBpm: 61,
  shiftTauS: 900,
  startRsaMs: 22,
  endRsaMs: 48,
  startBreathingBpm: 14,
  endBreathingBpm: 8,
  ectopicPerMin: 0,
  missedPerMin: 0,
  dropouts: [],
  notifyEveryMs: 1000,
});

/** Small, fast, seedable PRNG (mulberry32): the same seed gives the same session on every machine. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SimulatedNotification {
  readonly kind: 'notification';
  readonly atMs: number;
  readonly hrBpm: number;
  /** RR values in 1/1024 s ticks, as the strap sends them */
  readonly rrTicks: number[];
}

export interface SimulatedStatus {
  readonly kind: 'status';
  readonly atMs: number;
  readonly state: 'live' | 'disconnected';
  readonly reason: string;
}

export type SimulatedEvent = SimulatedNotification | SimulatedStatus;

const MAYER_HZ = 0.1;
const MAYER_MS = 8;
const NOISE_MS = 6;
const NOISE_AR = 0.5;
const ECTOPIC_PREMATURITY = 0.3;

export class SimulatedStrap {
  readonly options: SimulatedStrapOptions;
  private readonly random: () => number;
  /** end time of the last generated beat, ms (simulated clock) */
  private beatEndMs = 0;
  /** ticks emitted so far, so quantising each RR to 1/1024 s never drifts from the continuous beat times */
  private ticksSent = 0;
  private breathingPhase = 0;
  private noise = 0;
  /** RR values generated but not yet notified, in ticks, with their end times */
  private pending: { endMs: number; ticks: number }[] = [];
  private nextNotifyMs: number;
  private inDropout = false;
  private pendingCompensation = 0;
  private lastRrMs = 800;

  constructor(options: Partial<SimulatedStrapOptions> = {}) {
    this.options = { ...SIMULATED_DEFAULTS, ...options };
    this.random = mulberry32(this.options.seed);
    this.nextNotifyMs = this.options.notifyEveryMs * (0.5 + this.random() * 0.5);
  }

  /** The physiological state at simulated time t, s: mean RR, RSA amplitude and breathing rate. */
  stateAt(tS: number): { meanRrMs: number; rsaMs: number; breathingBpm: number } {
    const o = this.options;
    const progress = tS <= o.baselineS ? 0 : 1 - Math.exp(-(tS - o.baselineS) / o.shiftTauS);
    const hr = o.startHrBpm + (o.endHrBpm - o.startHrBpm) * progress;
    return {
      meanRrMs: 60_000 / hr,
      rsaMs: o.startRsaMs + (o.endRsaMs - o.startRsaMs) * progress,
      breathingBpm: o.startBreathingBpm + (o.endBreathingBpm - o.startBreathingBpm) * progress,
    };
  }

  /** The next event, or null when `durationS` is reached. */
  next(): SimulatedEvent | null {
    const o = this.options;
    if (this.nextNotifyMs > o.durationS * 1000) return null;
    // Generate beats up to the next notification time.
    while (this.beatEndMs <= this.nextNotifyMs) this.generateBeat();

    const atMs = this.nextNotifyMs;
    const dropout = o.dropouts.find(([startS, lengthS]) => atMs >= startS * 1000 && atMs < (startS + lengthS) * 1000);
    if (dropout && !this.inDropout) {
      this.inDropout = true;
      return { kind: 'status', atMs, state: 'disconnected', reason: 'simulated link loss' };
    }
    this.nextNotifyMs += o.notifyEveryMs + (this.random() - 0.5) * 40;
    const due: number[] = [];
    while (this.pending.length > 0 && this.pending[0].endMs <= atMs)
      due.push((this.pending.shift() as { ticks: number }).ticks);
    if (dropout) return this.next(); // beats during a dropout are lost, as with a real link loss
    if (this.inDropout) {
      this.inDropout = false;
      this.pending.length = 0;
      return { kind: 'status', atMs, state: 'live', reason: 'simulated link restored' };
    }
    return { kind: 'notification', atMs, hrBpm: Math.round(60_000 / this.lastRrMs), rrTicks: due };
  }

  private generateBeat(): void {
    const o = this.options;
    const tS = this.beatEndMs / 1000;
    const { meanRrMs, rsaMs, breathingBpm } = this.stateAt(tS);
    this.noise = NOISE_AR * this.noise + NOISE_MS * gaussian(this.random);
    let rrMs =
      meanRrMs + rsaMs * Math.sin(this.breathingPhase) + MAYER_MS * Math.sin(2 * Math.PI * MAYER_HZ * tS) + this.noise;
    this.breathingPhase += (2 * Math.PI * (breathingBpm / 60) * rrMs) / 1000;

    const perBeat = (perMin: number) => (perMin * rrMs) / 60_000;
    if (this.pendingCompensation > 0) {
      rrMs += this.pendingCompensation;
      this.pendingCompensation = 0;
    } else if (this.random() < perBeat(o.ectopicPerMin)) {
      this.pendingCompensation = rrMs * ECTOPIC_PREMATURITY;
      rrMs -= this.pendingCompensation;
    }
    this.lastRrMs = rrMs;
    this.beatEndMs += rrMs;
    const ticksTotal = Math.round((this.beatEndMs * 1024) / 1000);
    const ticks = ticksTotal - this.ticksSent;
    this.ticksSent = ticksTotal;
    if (this.pending.length > 0 && this.random() < perBeat(o.missedPerMin)) {
      // The strap missed the R wave ending the previous interval: it reports one long interval.
      const last = this.pending[this.pending.length - 1];
      last.ticks += ticks;
      last.endMs = this.beatEndMs;
    } else {
      this.pending.push({ endMs: this.beatEndMs, ticks });
    }
  }
}

/** Standard normal from two uniforms (Box–Muller). */
function gaussian(random: () => number): number {
  const u = 1 - random();
  const v = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}
