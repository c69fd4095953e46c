/**
 * What a session is made of besides beats: its phases and the markers the therapist places. Each list is written
 * here once; the types, the REST schemas, the store and the page (through the served protocol module) take it from
 * here.
 */

/** The stretches of a session, in the order a session usually runs through them. */
export const PHASE_KINDS = ['baseline', 'massage', 'recovery'] as const;
export type PhaseKind = (typeof PHASE_KINDS)[number];

/** Something tapped or typed during a session: a technique, a body region, a free note. */
export const MARKER_KINDS = ['technique', 'region', 'note'] as const;
export type MarkerKind = (typeof MARKER_KINDS)[number];

/** Longest marker value (a technique, a region, a short note), characters: one line on the view. */
export const MARKER_VALUE_MAX = 80;

/**
 * A reading: a short standardised recording on a client's record (on waking; before a session;
 * 1–2 h after it; overnight; anything else).
 */
export const READING_KINDS = ['morning', 'before', 'after', 'night', 'other'] as const;
export type ReadingKind = (typeof READING_KINDS)[number];
