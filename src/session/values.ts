/**
 * What a client's timeline shows of one session, taken from the session report (`summariseSession`) so the two never
 * disagree: the baseline's lnRMSSD, the massage and recovery phases' shift against it (`lnRmssdDelta`), how long the
 * massage lasted, the techniques marked, and the main technique. Pure.
 */
import { type SessionInput, type SessionSummary, summariseSession } from './summary.js';

export interface SessionTimelineValues {
  /** lnRMSSD of the first baseline phase; null without one or without a value */
  readonly baselineLnRmssd: number | null;
  /** the first massage phase's shift in lnRMSSD against the baseline; null when the report has none */
  readonly massageShiftLn: number | null;
  /** the first recovery phase's shift; null when the report has none */
  readonly recoveryShiftLn: number | null;
  /** total length of the massage phases, s */
  readonly massageS: number;
  /** every technique marked in the session (not undone), first occurrence order */
  readonly techniques: string[];
  /** the technique whose markers cover most of the massage phases; null when none was marked in them */
  readonly mainTechnique: string | null;
}

/**
 * The main technique: a technique marker covers from its time to the next technique marker or the end of its
 * massage phase; the technique covering the most massage time wins (ties: the one marked first).
 */
export function mainTechnique(input: Pick<SessionInput, 'phases' | 'markers'>, summary: SessionSummary): string | null {
  const techniques = input.markers.filter((m) => m.kind === 'technique' && !m.undone).sort((a, b) => a.atS - b.atS);
  const cover = new Map<string, number>();
  for (const phase of summary.phases) {
    if (phase.kind !== 'massage') continue;
    const inPhase = techniques.filter((m) => m.atS >= phase.startedAtS && m.atS < phase.endedAtS);
    for (let i = 0; i < inPhase.length; i++) {
      const m = inPhase[i] as (typeof inPhase)[number];
      const until = inPhase[i + 1]?.atS ?? phase.endedAtS;
      cover.set(m.value, (cover.get(m.value) ?? 0) + (until - m.atS));
    }
  }
  let best: string | null = null;
  let bestS = -1;
  for (const [value, s] of cover) {
    if (s > bestS) {
      best = value;
      bestS = s;
    }
  }
  return best;
}

export function sessionTimelineValues(input: SessionInput): SessionTimelineValues {
  const summary = summariseSession(input);
  const massage = summary.phases.filter((p) => p.kind === 'massage');
  const recovery = summary.phases.find((p) => p.kind === 'recovery');
  const techniques = [
    ...new Set(
      input.markers
        .filter((m) => m.kind === 'technique' && !m.undone)
        .sort((a, b) => a.atS - b.atS)
        .map((m) => m.value),
    ),
  ];
  return {
    baselineLnRmssd: summary.baseline?.lnRmssd ?? null,
    massageShiftLn: massage[0]?.shift?.lnRmssdDelta ?? null,
    recoveryShiftLn: recovery?.shift?.lnRmssdDelta ?? null,
    massageS: massage.reduce((s, p) => s + p.durationS, 0),
    techniques,
    mainTechnique: mainTechnique(input, summary),
  };
}
