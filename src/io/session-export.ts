/**
 * Exports of a stored session, as file text: the server's `GET /api/sessions/:id/export` and the CLI's
 * `tableside export` both use these, so the two cannot drift.
 *
 * - `csv`  tableside beats v1 (`formatTablesideBeats`): seq, t_s, rr_ms, flags. Reads back with `readRrFile`, gaps
 *          included; `tableside analyze` and `tableside replay` take it.
 * - `rr`   plain RR text (`formatRrText`): one raw RR in ms per line, for Kubios ("Type 1") and any tool that reads
 *          one value per line. It cannot say where a gap was.
 * - `json` everything stored (session, beats with their classification, gaps, statuses, phases, markers, per-beat
 *          metrics) and the per-phase summary.
 * - `recording` tableside recording v1: the strap's notifications as it sent them, with their arrival times and the
 *          status changes, replayable with `tableside replay` through the same parser and pipeline (sessions from a
 *          strap or the simulated strap; a replayed RR file has no notifications to write).
 *
 * The RR written is always the raw value the strap sent, never the corrected one: the reader re-runs the artefact
 * layer. The formatting functions are pure; `loadSessionRows` is the one place that reads the store.
 */
import { BeatFlag } from '../hrv/types.js';
import { type SessionSummary, summariseSession } from '../session/summary.js';
import type {
  StoredBeat,
  StoredGap,
  StoredMarker,
  StoredMetrics,
  StoredPhase,
  StoredSample,
  StoredSession,
  StoredStatus,
} from '../store/types.js';
import type { ExportFormat } from './export-formats.js';
import { formatRrText } from './rr-text.js';
import { formatTablesideBeats, TABLESIDE_BEAT_FLAG, type TablesideBeat } from './tableside-format.js';
import { type RecordedEvent, recordingHead, recordingLine } from './tableside-recording.js';

export { EXPORT_FORMATS, type ExportFormat } from './export-formats.js';

/** Everything stored for one session, as the store hands it out. */
export interface SessionRows {
  readonly session: StoredSession;
  readonly beats: readonly StoredBeat[];
  readonly gaps: readonly StoredGap[];
  readonly statuses: readonly StoredStatus[];
  readonly phases: readonly StoredPhase[];
  readonly markers: readonly StoredMarker[];
  readonly metrics: readonly StoredMetrics[];
  /** raw samples: read only for the `recording` format */
  readonly samples?: readonly StoredSample[];
}

/** The part of `SessionStore` an export reads. */
export interface SessionRowsReader {
  getSession(sessionId: number): StoredSession | undefined;
  getBeats(sessionId: number): StoredBeat[];
  getGaps(sessionId: number): StoredGap[];
  getStatuses(sessionId: number): StoredStatus[];
  getPhases(sessionId: number): StoredPhase[];
  getMarkers(sessionId: number): StoredMarker[];
  getMetrics(sessionId: number): StoredMetrics[];
  getSamples(sessionId: number): StoredSample[];
}

/** Reads everything stored for a session; undefined when there is no such session. Throws what the store throws. */
export function loadSessionRows(
  store: SessionRowsReader,
  sessionId: number,
  format?: ExportFormat,
): SessionRows | undefined {
  const session = store.getSession(sessionId);
  if (!session) return undefined;
  return {
    samples: format === 'recording' ? store.getSamples(sessionId) : undefined,
    session,
    beats: store.getBeats(sessionId),
    gaps: store.getGaps(sessionId),
    statuses: store.getStatuses(sessionId),
    phases: store.getPhases(sessionId),
    markers: store.getMarkers(sessionId),
    metrics: store.getMetrics(sessionId),
  };
}

export interface ExportFile {
  /** `tableside-session-12.csv`, `tableside-session-12-rr.txt`, `tableside-session-12.json` */
  readonly fileName: string;
  readonly contentType: string;
  readonly text: string;
}

export function exportFileName(sessionId: number, format: ExportFormat): string {
  switch (format) {
    case 'csv':
      return `tableside-session-${sessionId}.csv`;
    case 'rr':
      return `tableside-session-${sessionId}-rr.txt`;
    case 'json':
      return `tableside-session-${sessionId}.json`;
    case 'recording':
      return `tableside-session-${sessionId}.tsr`;
  }
}

export function exportSession(rows: SessionRows, format: ExportFormat): ExportFile {
  const fileName = exportFileName(rows.session.id, format);
  switch (format) {
    case 'csv':
      return { fileName, contentType: 'text/csv; charset=utf-8', text: sessionBeatsCsv(rows) };
    case 'rr':
      return { fileName, contentType: 'text/plain; charset=utf-8', text: sessionRrText(rows.beats) };
    case 'json':
      return {
        fileName,
        contentType: 'application/json; charset=utf-8',
        text: `${JSON.stringify(sessionJson(rows))}\n`,
      };
    case 'recording':
      return { fileName, contentType: 'text/plain; charset=utf-8', text: sessionRecording(rows) };
  }
}

/** Thrown when a format cannot express what the session holds (a replayed RR file has no notifications). */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  readonly code = 'EXPORT_NOT_AVAILABLE';
}

/** tableside recording v1 from the stored notifications and status changes, in arrival order. */
export function sessionRecording(rows: Pick<SessionRows, 'session' | 'samples' | 'statuses'>): string {
  const samples = rows.samples ?? [];
  if (!samples.some((s) => s.payload !== null)) {
    throw new ExportError(
      `session ${rows.session.id} holds no strap notifications (it replayed an RR file): export csv or rr instead`,
    );
  }
  const origin = Math.min(samples[0]?.sourceTimeMs ?? 0, rows.statuses[0]?.sourceTimeMs ?? 0);
  const events: RecordedEvent[] = [];
  for (const s of samples) if (s.payload) events.push({ kind: 'n', atMs: s.sourceTimeMs - origin, payload: s.payload });
  for (const st of rows.statuses) {
    const status = st.reason ? { state: st.state, reason: st.reason } : { state: st.state };
    events.push({ kind: 's', atMs: st.sourceTimeMs - origin, status });
  }
  // Stable sort: a status and a notification at the same time keep their stored order.
  events.sort((a, b) => a.atMs - b.atMs);
  const { session } = rows;
  const head = recordingHead({
    startedAt: session.startedAt,
    source: session.sourceLabel,
    ...(session.device ? { device: session.device } : {}),
  });
  return `${head}${events.map(recordingLine).join('\n')}\n`;
}

/** tableside beats v1 with the session's start, id and source as `# key: value` lines. */
export function sessionBeatsCsv(rows: Pick<SessionRows, 'session' | 'beats'>): string {
  const { session } = rows;
  const meta: Record<string, string> = {
    startedAt: session.startedAt,
    session: String(session.id),
    status: session.status,
    source: oneLine(`${session.sourceKind}: ${session.sourceLabel}`),
  };
  if (session.device) meta.device = oneLine(session.device.name);
  if (session.clientLabel !== '') meta.client = oneLine(session.clientLabel);
  return formatTablesideBeats(rows.beats.map(toFileBeat), meta);
}

/** One raw RR in ms per line. */
export function sessionRrText(beats: readonly StoredBeat[]): string {
  return formatRrText(beats.map((b) => b.rrMs));
}

/** Version of the JSON layout below; bump it when a field changes meaning or goes away. */
export const SESSION_JSON_VERSION = 1;

/** Every stored row of the session (raw samples aside), tagged with the layout's name and version, and its summary. */
export type SessionJson = Omit<SessionRows, 'samples'> & {
  readonly format: 'tableside-session';
  readonly version: typeof SESSION_JSON_VERSION;
  readonly summary: SessionSummary;
};

export function sessionJson(rows: SessionRows): SessionJson {
  return {
    format: 'tableside-session',
    version: SESSION_JSON_VERSION,
    session: rows.session,
    beats: rows.beats,
    gaps: rows.gaps,
    statuses: rows.statuses,
    phases: rows.phases,
    markers: rows.markers,
    metrics: rows.metrics,
    summary: sessionSummary(rows),
  };
}

/** The per-phase summary of a stored session (what `GET /api/sessions/:id` and the JSON export carry). */
export function sessionSummary(rows: Pick<SessionRows, 'beats' | 'phases' | 'markers'>): SessionSummary {
  return summariseSession({ beats: rows.beats, phases: rows.phases, markers: rows.markers });
}

/** Engine flag bits → file flag bits, named one by one: the file format must not follow an in-memory enum. */
function toFileBeat(b: StoredBeat): TablesideBeat {
  let flags = 0;
  if (b.gapBefore) flags |= TABLESIDE_BEAT_FLAG.GapBefore;
  if ((b.flags & BeatFlag.Corrected) !== 0) flags |= TABLESIDE_BEAT_FLAG.Corrected;
  return { seq: b.seq, tS: b.tS, rrMs: b.rrMs, flags };
}

/** `# key: value` lines hold one line each. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ').trim();
}
