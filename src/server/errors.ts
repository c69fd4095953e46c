/**
 * Every error the API answers with has one shape, `{ statusCode, code, error, message }`, and a stable `code` a client
 * can key on:
 *
 * | status | code                                   | when                                                         |
 * | ------ | -------------------------------------- | ------------------------------------------------------------ |
 * | 400    | `FST_ERR_VALIDATION`                   | a body, id or query that breaks its schema (the field named) |
 * | 400    | other `FST_ERR_*` (415, 413 likewise)  | bad JSON, an empty JSON body, a wrong content type, too big  |
 * | 401    | `TOKEN_REQUIRED`, `TOKEN_INVALID`      | on the network without (or with an old) access token         |
 * | 403    | `HOST_REFUSED`                         | a `Host` that is not this daemon (DNS rebinding)             |
 * | 403    | `ORIGIN_REFUSED`                       | a command from a page of another site                        |
 * | 403    | `WS_ORIGIN_REFUSED`                    | `/ws` opened by a page from another site                     |
 * | 426    | `WS_UPGRADE_REQUIRED`                  | a plain GET of `/ws`, without the WebSocket upgrade          |
 * | 429    | `TOKEN_RATE_LIMITED`                   | too many wrong access tokens from one address (access.ts)    |
 * | 404    | `SESSION_NOT_FOUND`, `MARKER_NOT_FOUND`, `ROUTE_NOT_FOUND` |                                          |
 * | 404    | `CLIENT_NOT_FOUND`, `READING_NOT_FOUND` |                                                             |
 * | 400    | `CLIENT_NAME_BLANK`, `CLIENT_MERGE_SELF` | a name of only spaces; merging a client into itself        |
 * | 409    | `STORE_NAME_TAKEN`                     | a new or changed client name that another client has         |
 * | 409    | `SESSION_NO_VALUES`                    | a main technique for a session still recording               |
 * | 422    | `IMPORT_*`, `RR_FILE_*`                | an uploaded reading file that cannot be imported (file:line) |
 * | 409    | `DAEMON_NOT_CURRENT`                   | a command for a session that is not the one recording        |
 * | 409    | `DAEMON_SOURCE_ENDED`                  | a new session after the replay or simulation has ended       |
 * | 400    | `DAEMON_BAD_STREAM`                    | a stream id that is not allowed, or removing the client's    |
 * | 404    | `DAEMON_UNKNOWN_STREAM`, `SOURCE_UNKNOWN_RECORDING` | no such stream / no such recording to replay    |
 * | 409    | `DAEMON_TOO_MANY_STREAMS`              | more streams than one daemon runs                            |
 * | 409    | `SOURCE_FIXED`, `SOURCE_NO_BLUETOOTH`  | this daemon cannot change its source / has no Bluetooth      |
 * | 422    | `SOURCE_UNREADABLE`                    | a recording that cannot be replayed                          |
 * | 503    | `BLE_UNAVAILABLE`                      | no Bluetooth adapter, no permission, adapter off             |
 * | 409    | `SESSION_ENDED`                        | the session ended while the command was on its way           |
 * | 503    | `STORE_*` (the store's own code)       | the session store cannot be read or written                  |
 * | 500    | `INTERNAL_ERROR`                       | anything else                                                |
 *
 * A 5xx never carries the error's own text (it may hold file paths or SQL): it is logged, and the client gets fixed
 * words. Store errors are answered with our words too, since their messages start with the database path.
 */
import { STATUS_CODES } from 'node:http';
import type { FastifyError, FastifyReply, FastifyRequest, FastifySchemaValidationError } from 'fastify';
import { BluetoothUnavailableError } from '../ble/noble-source.js';
import { DaemonError } from '../daemon/daemon.js';
import { SourceChoiceError } from '../daemon/source-catalog.js';
import type { StreamBusy } from '../daemon/stream.js';
import { ReadingImportError } from '../io/reading-import.js';
import { RrFileError } from '../io/rr-file-error.js';
import { ExportError } from '../io/session-export.js';
import { StoreError, type StoreErrorCode } from '../store/errors.js';

export type ApiErrorCode =
  | 'SESSION_NOT_FOUND'
  | 'MARKER_NOT_FOUND'
  | 'CLIENT_NOT_FOUND'
  | 'READING_NOT_FOUND'
  | 'CLIENT_NAME_BLANK'
  | 'CLIENT_MERGE_SELF'
  | 'SESSION_NO_VALUES'
  | ReadingImportError['code']
  | RrFileError['code']
  | 'ROUTE_NOT_FOUND'
  | 'SESSION_ENDED'
  | 'INTERNAL_ERROR'
  | 'SOURCE_FIXED'
  | DaemonError['code']
  | StreamBusy['code']
  | 'READING_NOT_RUNNING'
  | 'READING_BAD_MEASURE'
  | SourceChoiceError['code']
  | ExportError['code']
  | StoreErrorCode;

export interface ApiErrorBody {
  readonly statusCode: number;
  readonly code: string;
  /** the HTTP status text */
  readonly error: string;
  readonly message: string;
}

/** An error a route throws on purpose; its message goes to the client as is. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly statusCode: number,
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export const sessionNotFound = (sessionId: number): ApiError =>
  new ApiError(404, 'SESSION_NOT_FOUND', `no session ${sessionId}`);

export function errorBody(statusCode: number, code: string, message: string): ApiErrorBody {
  return { statusCode, code, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** What the client is told about a store failure (the store's own message names the database path). */
const STORE_WORDS: Record<StoreErrorCode, string> = {
  STORE_UNWRITABLE: 'the session store cannot be written',
  STORE_CORRUPT: 'the session store is damaged',
  STORE_NOT_TABLESIDE: 'the session store is not a tableside database',
  STORE_TOO_NEW: 'the session store was written by a newer tableside',
  STORE_LOCKED: 'the session store is locked by another program',
  STORE_FULL: 'the disk holding the session store is full',
  STORE_CONSTRAINT: 'the session store refused a write',
  STORE_NOT_FOUND: 'not found',
  STORE_RECORDING: 'the session is still recording',
  STORE_ENDED: 'the session has ended',
  STORE_NAME_TAKEN: 'a client of that name exists already (merge the two clients instead)',
  STORE_CLOSED: 'the session store is closed',
  STORE_IN_USE: 'another tableside daemon runs on the session store',
  STORE_FAILED: 'the session store failed',
};

const DAEMON_STATUS: Record<DaemonError['code'], number> = {
  DAEMON_NOT_CURRENT: 409,
  DAEMON_SOURCE_ENDED: 409,
  DAEMON_BAD_STREAM: 400,
  DAEMON_UNKNOWN_STREAM: 404,
  DAEMON_TOO_MANY_STREAMS: 409,
};

const SOURCE_STATUS: Record<SourceChoiceError['code'], number> = {
  SOURCE_NO_BLUETOOTH: 409,
  SOURCE_UNKNOWN_RECORDING: 404,
  SOURCE_UNREADABLE: 422,
};

/** Maps anything a route or fastify threw to the answer. Pure: logging is the caller's. */
export function toErrorBody(err: unknown): ApiErrorBody {
  if (err instanceof ApiError) return errorBody(err.statusCode, err.code, err.message);
  if (err instanceof DaemonError) return errorBody(DAEMON_STATUS[err.code], err.code, err.message);
  if (err instanceof SourceChoiceError) return errorBody(SOURCE_STATUS[err.code], err.code, err.message);
  // The adapter's state, in words a therapist can act on (no paths).
  if (err instanceof BluetoothUnavailableError) return errorBody(503, err.code, err.message);
  if (err instanceof ExportError) return errorBody(409, err.code, err.message);
  if (err instanceof ReadingImportError || err instanceof RrFileError) return errorBody(422, err.code, err.message);
  if (err instanceof StoreError) {
    // Routes check that a session exists first; these are races with a command in flight.
    if (err.code === 'STORE_NOT_FOUND') return errorBody(404, 'SESSION_NOT_FOUND', 'no such session');
    if (err.code === 'STORE_ENDED') return errorBody(409, 'SESSION_ENDED', STORE_WORDS.STORE_ENDED);
    if (err.code === 'STORE_RECORDING') return errorBody(409, err.code, STORE_WORDS.STORE_RECORDING);
    if (err.code === 'STORE_NAME_TAKEN') return errorBody(409, err.code, STORE_WORDS.STORE_NAME_TAKEN);
    return errorBody(503, err.code, STORE_WORDS[err.code]);
  }
  const fe = err as Partial<FastifyError>;
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  // fastify's own client errors (validation, bad JSON, content type, body size) say what was wrong and nothing more.
  if (status >= 400 && status < 500) {
    const code = typeof fe.code === 'string' ? fe.code : `HTTP_${status}`;
    return errorBody(status, code, typeof fe.message === 'string' ? fe.message : (STATUS_CODES[status] ?? 'error'));
  }
  return errorBody(500, 'INTERNAL_ERROR', 'internal error');
}

export function handleError(err: unknown, request: FastifyRequest, reply: FastifyReply): void {
  const body = toErrorBody(err);
  if (body.statusCode >= 500) request.log.error({ err, code: body.code }, 'request failed');
  else request.log.info({ code: body.code, reason: body.message }, 'request refused');
  void reply.code(body.statusCode).send(body);
}

export function handleNotFound(request: FastifyRequest, reply: FastifyReply): void {
  void reply
    .code(404)
    .send(errorBody(404, 'ROUTE_NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
}

/**
 * Validation messages that name the field: "body/clientLabel must NOT have more than 80 characters",
 * "body/colour is not allowed", "params/id must be a whole number". The first error only (ajv `allErrors` stays off).
 */
export function formatSchemaErrors(errors: FastifySchemaValidationError[], dataVar: string): Error {
  const e = errors[0];
  if (e === undefined) return new Error(`${dataVar} is not valid`);
  const path = `${dataVar}${e.instancePath}`;
  const params = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return new Error(`${path}/${String(params.missingProperty)} is required`);
    case 'additionalProperties':
      return new Error(`${path}/${String(params.additionalProperty)} is not allowed`);
    case 'enum':
      return new Error(`${path} must be one of ${(params.allowedValues as unknown[]).join(', ')}`);
    case 'type':
      return new Error(`${path} must be ${params.type === 'object' ? 'a JSON object' : `a ${String(params.type)}`}`);
    case 'pattern':
      // The ids in the URL; otherwise the one other pattern, a date.
      if (String(params.pattern).startsWith('^[0-9]{1,')) return new Error(`${path} must be a whole number`);
      return new Error(`${path} must be a date, YYYY-MM-DD`);
    default:
      return new Error(`${path} ${e.message ?? 'is not valid'}`);
  }
}
