/** A raw beat on a session's beat timeline, as the pipeline places it and the store keeps it. */
import type { BeatKind } from '../hrv/types.js';

export type { BeatKind };

export interface Beat {
  /** 0-based index of the raw beat in the session */
  readonly seq: number;
  /** beat end time, s of beat time (jumps over a gap) */
  readonly tS: number;
  /** as the strap sent it, ms (exact: ticks × 1000 / 1024) */
  readonly rrMs: number;
  /** a gap lies before this beat: no successive difference may span it */
  readonly gapBefore: boolean;
  /** the live artefact layer's verdict; null until it classified the beat */
  readonly kind: BeatKind | null;
}
