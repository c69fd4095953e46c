/**
 * Which successive differences of the NN series may be taken: the one rule that the live engine (rolling.ts) and the
 * batch analysis (analyze.ts) share, so the two cannot drift apart.
 *
 * A difference NN[i] − NN[i−1] is taken only when both intervals are normal beats' and nothing lies between them:
 * - not across a gap (a new run starts: lost contact, a dropped link, the first beat);
 * - not across a beat dropped as out of range (its neighbour is gone);
 * - not with an interpolated value (ectopic, long, short, the parts of a missed beat) or with the sum left by a merged
 *   extra beat (`merged`): these stand for time, not for a real interval between two normal beats.
 * An extra beat that is merged into the next interval gives no value itself; the next beat carries `merged`, is not
 * normal, and so breaks the chain already.
 */
import type { ClassifiedBeat } from './types.js';

export class NnLinks {
  private previousNormal = false;
  private broken = true;

  /** A new contiguous run starts before the next beat: its first NN value links to nothing. */
  startRun(): void {
    this.previousNormal = false;
    this.broken = true;
  }

  /**
   * Walks one classified beat: calls `onValue` for each NN value it contributes, in order, with whether the value is
   * a normal beat's and whether its difference with the previous value may be taken.
   */
  accept(beat: ClassifiedBeat, onValue: (nnMs: number, normal: boolean, linked: boolean) => void): void {
    if (beat.nnMs.length === 0) {
      if (beat.kind === 'out-of-range') this.broken = true;
      return;
    }
    const normal = beat.kind === 'normal' && !beat.merged;
    for (const nnMs of beat.nnMs) {
      const linked = normal && this.previousNormal && !this.broken;
      this.previousNormal = normal;
      this.broken = false;
      onValue(nnMs, normal, linked);
    }
  }
}
