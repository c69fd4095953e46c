// The REST API as the pages use it: JSON in, JSON out, and an Error carrying the API's `code` on refusal.

export class ApiRefused extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiRefused';
    this.status = status;
    this.code = code;
  }
}

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

export const getJson = (path) => call('GET', path);
export const postJson = (path, body = {}) => call('POST', path, body);
const putJson = (path, body) => call('PUT', path, body);

export const api = {
  health: () => getJson('/api/health'),
  sessions: () => getJson('/api/sessions'),
  session: (id) => getJson(`/api/sessions/${id}`),
  sessionJson: (id) => getJson(`/api/sessions/${id}/export?format=json`),
  startSession: (clientLabel, therapistNote) => postJson('/api/sessions', { clientLabel, therapistNote }),
  endSession: (id) => postJson(`/api/sessions/${id}/end`),
  setPhase: (id, kind) => postJson(`/api/sessions/${id}/phase`, { kind }),
  addMarker: (id, kind, value) => postJson(`/api/sessions/${id}/markers`, { kind, value }),
  undoMarker: (id, markerId) => postJson(`/api/sessions/${id}/markers/${markerId}/undo`),
  streams: () => getJson('/api/streams'),
  sources: () => getJson('/api/sources'),
  scanStraps: (seconds) => postJson('/api/straps/scan', { seconds }),
  chooseSource: (stream, choice) => putJson(`/api/streams/${encodeURIComponent(stream)}/source`, choice),
  removeStream: (stream) => call('DELETE', `/api/streams/${encodeURIComponent(stream)}`),
};

export function exportUrl(id, format) {
  return `/api/sessions/${id}/export?format=${format}`;
}
