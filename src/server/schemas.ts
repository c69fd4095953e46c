/**
 * The JSON schemas of the REST API: every body, URL id and query string is checked here, at the boundary, and
 * nowhere else. Unknown fields are refused (not silently dropped) and nothing is coerced: `{"value": 5}` is an error,
 * not the marker "5". Ids in the URL are digit strings (`coerceTypes` is off), turned into numbers by `idOf`.
 *
 * Every POST takes a JSON object body, `{}` when there is nothing to say. Besides being uniform, this means a
 * cross-site form or a no-CORS `fetch` (which cannot send `application/json`) cannot end a session.
 */
import {
  MARKER_KINDS,
  MARKER_VALUE_MAX,
  type MarkerKind,
  PHASE_KINDS,
  type PhaseKind,
  READING_KINDS,
  type ReadingKind,
} from '../domain/kinds.js';
import { EXPORT_FORMATS, type ExportFormat } from '../io/session-export.js';
import { CLIENT_NAME_MAX, CLIENT_NOTE_MAX } from '../store/clients.js';

/** Longest client label, characters: a name or initials, short enough for the header of the table-side view. */
export const CLIENT_LABEL_MAX = 80;
/** Longest therapist note at the start of a session, characters. */
export const THERAPIST_NOTE_MAX = 2000;

/** Up to 15 digits: every such number is a safe integer. */
const ID = { type: 'string', pattern: '^[0-9]{1,15}$' } as const;

export const sessionParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: ID },
} as const;

export const markerParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'markerId'],
  properties: { id: ID, markerId: ID },
} as const;

export interface SessionParams {
  id: string;
}
export interface MarkerParams {
  id: string;
  markerId: string;
}

export const idOf = (digits: string): number => Number(digits);

const EMPTY_OBJECT = { type: 'object', additionalProperties: false, properties: {} } as const;

export const newSessionBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    clientLabel: { type: 'string', maxLength: CLIENT_LABEL_MAX },
    therapistNote: { type: 'string', maxLength: THERAPIST_NOTE_MAX },
    clientId: { type: 'integer', minimum: 1 },
    clientName: { type: 'string', minLength: 1, maxLength: CLIENT_NAME_MAX },
  },
} as const;

/**
 * `clientId` picks a client, `clientName` picks the client of that name or creates it; `clientLabel` (older
 * callers) does the same as `clientName`, and an empty label records a session on no client's record.
 */
export interface NewSessionBody {
  clientLabel?: string;
  therapistNote?: string;
  clientId?: number;
  clientName?: string;
}

export const endSessionBody = EMPTY_OBJECT;
export const undoMarkerBody = EMPTY_OBJECT;

export const phaseBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind'],
  properties: { kind: { type: 'string', enum: PHASE_KINDS } },
} as const;

export interface PhaseBody {
  kind: PhaseKind;
}

export const markerBody = {
  type: 'object',
  additionalProperties: false,
  required: ['kind', 'value'],
  properties: {
    kind: { type: 'string', enum: MARKER_KINDS },
    value: { type: 'string', minLength: 1, maxLength: MARKER_VALUE_MAX },
  },
} as const;

export interface MarkerBody {
  kind: MarkerKind;
  value: string;
}

export const exportQuery = {
  type: 'object',
  additionalProperties: false,
  properties: { format: { type: 'string', enum: EXPORT_FORMATS, default: 'csv' } },
} as const;

export interface ExportQuery {
  format: ExportFormat;
}

/** A stream id in the URL: what `STREAM_ID` in the daemon allows. */
export const streamParams = {
  type: 'object',
  additionalProperties: false,
  required: ['stream'],
  properties: { stream: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,31}$' } },
} as const;

export interface StreamParams {
  stream: string;
}

/** Longest recording file name a viewer may name, characters. */
const RECORDING_NAME_MAX = 120;

export const sourceChoiceBody = {
  oneOf: [
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { const: 'ble' },
        deviceId: { type: 'string', minLength: 1, maxLength: 64 },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: { kind: { const: 'browser' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind'],
      properties: {
        kind: { const: 'simulated' },
        seed: { type: 'integer', minimum: 0, maximum: 2 ** 31 - 1 },
      },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['kind', 'recording'],
      properties: {
        kind: { const: 'replay' },
        recording: { type: 'string', minLength: 1, maxLength: RECORDING_NAME_MAX },
      },
    },
  ],
} as const;

/** How long a viewer may ask the daemon to listen for straps, s. */
export const SCAN_SECONDS_MAX = 15;

export const scanBody = {
  type: 'object',
  additionalProperties: false,
  properties: { seconds: { type: 'number', minimum: 1, maximum: SCAN_SECONDS_MAX } },
} as const;

export interface ScanBody {
  seconds?: number;
}

// ── clients ───────────────────────────────────────────────────────────────────────────────────────────────────────

/** Largest file a reading upload may carry, characters (Welltory's whole research export is 1.6 MB). */
export const READING_UPLOAD_MAX = 8 * 1024 * 1024;
/** Longest uploaded file name, characters. */
const FILE_NAME_MAX = 200;

const CLIENT_NAME = { type: 'string', minLength: 1, maxLength: CLIENT_NAME_MAX } as const;
const CLIENT_NOTE = { type: 'string', maxLength: CLIENT_NOTE_MAX } as const;

export const clientParams = sessionParams;
export const readingParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'readingId'],
  properties: { id: ID, readingId: ID },
} as const;
export interface ReadingParams {
  id: string;
  readingId: string;
}

export const newClientBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: CLIENT_NAME, note: CLIENT_NOTE },
} as const;
export interface NewClientBody {
  name: string;
  note?: string;
}

export const clientChangeBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name: CLIENT_NAME, note: CLIENT_NOTE },
} as const;
export interface ClientChangeBody {
  name?: string;
  note?: string;
}

export const mergeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['into'],
  properties: { into: { type: 'integer', minimum: 1 }, confirm: { type: 'boolean' } },
} as const;
export interface MergeBody {
  into: number;
  confirm?: boolean;
}

export const clientQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    today: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
    normalSd: { type: 'string', enum: ['0.5', '1'] },
  },
} as const;
export interface ClientQuery {
  today?: string;
  normalSd?: '0.5' | '1';
}

export const readingUploadBody = {
  type: 'object',
  additionalProperties: false,
  required: ['fileName', 'text'],
  properties: {
    fileName: { type: 'string', minLength: 1, maxLength: FILE_NAME_MAX },
    text: { type: 'string', maxLength: READING_UPLOAD_MAX },
    kind: { type: 'string', enum: READING_KINDS },
    at: { type: 'string', maxLength: 40 },
    user: { type: 'string', minLength: 1, maxLength: 64 },
  },
} as const;
export interface ReadingUploadBody {
  fileName: string;
  text: string;
  kind?: ReadingKind;
  at?: string;
  user?: string;
}

export const sessionChangeBody = {
  type: 'object',
  additionalProperties: false,
  required: ['mainTechnique'],
  properties: {
    mainTechnique: { anyOf: [{ type: 'string', minLength: 1, maxLength: MARKER_VALUE_MAX }, { type: 'null' }] },
  },
} as const;
export interface SessionChangeBody {
  mainTechnique: string | null;
}
/**
 * What `GET /api/health` answers. The daemon's parts (source, status, streams) are the shapes the WebSocket `hello`
 * carries and are passed through as they are; `logs` is described here: where the daemon's log goes and whether it
 * flows (null when the app was built without the daemon's log).
 */
export const healthResponse = {
  type: 'object',
  additionalProperties: false,
  required: ['ok', 'protocol', 'version', 'source', 'status', 'sessionId', 'recording', 'viewers', 'streams', 'logs'],
  properties: {
    ok: { type: 'boolean' },
    protocol: { type: 'integer' },
    version: { type: 'string' },
    source: { type: 'object', additionalProperties: true },
    status: { type: ['object', 'null'], additionalProperties: true },
    sessionId: { type: ['integer', 'null'] },
    recording: { type: 'boolean' },
    viewers: { type: 'integer' },
    streams: { type: 'array', items: { type: 'object', additionalProperties: true } },
    logs: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['destination', 'dropped', 'closed', 'waitingBytes'],
      properties: {
        /** stdout, or the file given with --log-file */
        destination: { enum: ['stdout', 'file'] },
        /** log lines dropped since the start because the reader did not take them */
        dropped: { type: 'integer', minimum: 0 },
        /** the destination went away (stdout's reader exited) or failed: nothing more is logged there */
        closed: { type: 'boolean' },
        /** bytes of log waiting for the reader now */
        waitingBytes: { type: 'integer', minimum: 0 },
      },
    },
  },
} as const;
