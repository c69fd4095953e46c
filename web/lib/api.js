// The REST API as the pages use it: JSON in, JSON out, and an Error carrying the API's `code` on refusal.

/**
 * @typedef {import('../../src/viewers/protocol.js').PhaseMessage['kind']} PhaseKind
 * @typedef {import('../../src/viewers/protocol.js').MarkerMessage['kind']} MarkerKind
 */

export class ApiRefused extends Error {
  /**
   * @param {number} status the HTTP status; 0: no answer
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiRefused';
    this.status = status;
    this.code = code;
  }
}

/**
 * The API's JSON answer (its shapes are the API's, not typed here), or null for an empty body.
 * @param {'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE'} method
 * @param {string} path
 * @param {unknown} [body]
 * @returns {Promise<any>}
 */
async function call(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
    });
  } catch {
    throw new ApiRefused(0, 'NETWORK', 'tableside cannot be reached');
  }
  const text = await response.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!response.ok) {
    throw new ApiRefused(
      response.status,
      json?.code ?? `HTTP_${response.status}`,
      json?.message ?? response.statusText,
    );
  }
  return json;
}

/** @param {string} path */
export const getJson = (path) => call('GET', path);
/**
 * @param {string} path
 * @param {unknown} [body]
 */
export const postJson = (path, body = {}) => call('POST', path, body);
/**
 * @param {string} path
 * @param {unknown} body
 */
const putJson = (path, body) => call('PUT', path, body);

export const api = {
  health: () => getJson('/api/health'),
  sessions: () => getJson('/api/sessions'),
  session: (/** @type {number} */ id) => getJson(`/api/sessions/${id}`),
  sessionJson: (/** @type {number} */ id) => getJson(`/api/sessions/${id}/export?format=json`),
  startSession: (/** @type {string} */ clientLabel, /** @type {string} */ therapistNote) =>
    postJson('/api/sessions', { clientLabel, therapistNote }),
  endSession: (/** @type {number} */ id) => postJson(`/api/sessions/${id}/end`),
  setPhase: (/** @type {number} */ id, /** @type {PhaseKind} */ kind) =>
    postJson(`/api/sessions/${id}/phase`, { kind }),
  addMarker: (/** @type {number} */ id, /** @type {MarkerKind} */ kind, /** @type {string} */ value) =>
    postJson(`/api/sessions/${id}/markers`, { kind, value }),
  undoMarker: (/** @type {number} */ id, /** @type {number} */ markerId) =>
    postJson(`/api/sessions/${id}/markers/${markerId}/undo`),
  streams: () => getJson('/api/streams'),
  sources: () => getJson('/api/sources'),
  scanStraps: (/** @type {number} */ seconds) => postJson('/api/straps/scan', { seconds }),
  chooseSource: (/** @type {string} */ stream, /** @type {unknown} */ choice) =>
    putJson(`/api/streams/${encodeURIComponent(stream)}/source`, choice),
  clients: () => getJson('/api/clients'),
  client: (/** @type {number} */ id) => getJson(`/api/clients/${id}`),
  /** A file's text as readings of the client (`kind` unless the file says; `at` for a file without dates). */
  uploadReadings: (
    /** @type {number} */ id,
    /** @type {{ fileName: string, text: string, kind?: string, at?: string }} */ body,
  ) => postJson(`/api/clients/${id}/readings`, body),
  /** A new name (and/or note) for the client. */
  changeClient: (/** @type {number} */ id, /** @type {{ name?: string, note?: string }} */ change) =>
    call('PATCH', `/api/clients/${id}`, change),
  /** Merging `id` into `into`: what would move, or (with `confirm`) the merge done. */
  mergeClient: (/** @type {number} */ id, /** @type {number} */ into, /** @type {boolean} */ confirm) =>
    postJson(`/api/clients/${id}/merge`, { into, confirm }),
  cancelReading: (/** @type {string} */ stream) => call('DELETE', `/api/streams/${encodeURIComponent(stream)}/reading`),
  removeStream: (/** @type {string} */ stream) => call('DELETE', `/api/streams/${encodeURIComponent(stream)}`),
};

/**
 * @param {number} id
 * @param {'csv' | 'rr' | 'json'} format
 */
export function exportUrl(id, format) {
  return `/api/sessions/${id}/export?format=${format}`;
}
