/**
 * Unit conversions. The Heart Rate Measurement characteristic carries RR in 1/1024 s ticks; ms = ticks × 1000 / 1024
 * is an exact binary fraction, so it is kept as a float and never rounded (rounding to whole ms, as some tools do,
 * adds up to 0.5 ms of noise to every successive difference).
 */

/** RR ticks per second in the Bluetooth Heart Rate Measurement characteristic (0x2A37). */
export const RR_TICKS_PER_S = 1024;

const MS_PER_TICK = 1000 / RR_TICKS_PER_S;

/** 1/1024 s ticks → ms, exact. */
export function ticksToMs(ticks: number): number {
  return ticks * MS_PER_TICK;
}

/** ms → 1/1024 s ticks (not rounded; round only where a wire format needs an integer). */
export function msToTicks(rrMs: number): number {
  return rrMs / MS_PER_TICK;
}

/** Mean heart rate from mean RR: 60000 / mean RR (not the mean of instantaneous rates). */
export function hrBpmFromMeanRrMs(meanRrMs: number): number {
  return 60_000 / meanRrMs;
}
