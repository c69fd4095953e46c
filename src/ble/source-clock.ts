/**
 * The clock a Bluetooth source stamps its events with (`sourceTimeMs`). For a real strap it is the wall clock: the
 * strap's beats and their arrivals both run in real time. A virtual adapter whose straps run faster than real time
 * (the test preload, src/testing/virtual-h10) installs its own strap clock here, so arrival times keep pace with the beats
 * and the beat timeline sees what it would see live. Nothing in the product installs one.
 */

/** `globalThis[BLE_SOURCE_CLOCK]`: a `() => number` (ms) installed by a virtual adapter, or absent. */
export const BLE_SOURCE_CLOCK = Symbol.for('tableside.bleSourceClock');

/** The installed source clock, or the wall clock. */
export function bleSourceClock(): () => number {
  const installed = (globalThis as Record<symbol, unknown>)[BLE_SOURCE_CLOCK];
  return typeof installed === 'function' ? (installed as () => number) : Date.now;
}
