// What the live screen knows besides the session itself (web/lib/session-model.js): the connection, the source and
// its status, the streams, the chip selected, a press awaiting confirmation. One object, made by the entry (app.js)
// and handed to the modules that read or change it.

/**
 * @typedef {import('../../src/viewers/protocol.js').HelloMessage} HelloMessage
 * @typedef {import('../../src/viewers/protocol.js').StreamInfo} StreamInfo
 * @typedef {import('../../src/domain/source.js').SourceStatus} SourceStatus
 *
 * @typedef {'connecting' | 'up' | 'down' | 'mismatch'} ConnState
 *
 * @typedef {object} LiveState
 * @property {string} stream the stream (strap) this screen follows: `client`, or another from `?stream=`
 * @property {ConnState} conn
 * @property {HelloMessage['source'] | null} source
 * @property {SourceStatus | null} status
 * @property {StreamInfo[]} streams every stream of the daemon (hello.streams)
 * @property {boolean} recording
 * @property {boolean} storeWaiting another program holds the database: beats wait to be stored (a `recording`
 *   message, state `waiting`)
 * @property {number | null} lastBeatAt page clock (performance.now) when the last beat message arrived; null: none
 *   since the last hello
 * @property {number} retryAt wall clock (Date.now) of the next reconnect
 * @property {boolean} unpaired the daemon answers 401: this device's access token is missing or was rotated
 * @property {number} selected the chip Enter places
 * @property {{ key: string, until: number } | null} pending a press awaiting its confirming second press
 * @property {import('../../src/viewers/protocol.js').UsualMessage | null} usual today against the usual, for the
 *   therapist (the client view hides it); null until the session's first baseline ended with a normal range
 */

/**
 * @param {string} stream
 * @returns {LiveState}
 */
export function createState(stream) {
  return {
    stream,
    conn: 'connecting',
    source: null,
    status: null,
    streams: [],
    recording: true,
    storeWaiting: false,
    lastBeatAt: null,
    retryAt: 0,
    unpaired: false,
    selected: 0,
    pending: null,
    usual: null,
  };
}

/** @type {Record<string, string>} */
const STREAM_WORDS = { client: 'Client', therapist: 'Therapist' };

/**
 * A stream as the screen names it.
 * @param {string} id
 */
export const streamWords = (id) => STREAM_WORDS[id] ?? id;
