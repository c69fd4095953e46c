// Each message the daemon sends (`ServerMessage`, src/viewers/protocol.ts) and what it changes: the session model,
// the screen's state, and the parts of the screen to redraw. A `hello` redraws everything, so a reconnect or a reload
// loses nothing. The switch covers every message type: `npm run check` fails when the protocol gains a type (or a
// message changes shape) that this page does not follow.
import { PROTOCOL } from '../lib/protocol.js';

/**
 * @typedef {import('../../src/viewers/protocol.js').ServerMessage} ServerMessage
 * @typedef {import('../../src/viewers/protocol.js').HelloMessage} HelloMessage
 * @typedef {import('./state.js').LiveState} LiveState
 * @typedef {import('../lib/session-model.js').SessionModel} SessionModel
 * @typedef {import('./view.js').View} View
 * @typedef {import('./connection.js').Connection} Connection
 *
 * @typedef {object} MessageTargets what a message may change
 * @property {LiveState} state
 * @property {SessionModel} model
 * @property {View} view
 * @property {Connection} connection
 * @property {import('./reading.js').TableReading} reading
 */

/**
 * @param {MessageTargets} targets
 * @param {ServerMessage} msg
 */
export function handleMessage(targets, msg) {
  const { state, model, view } = targets;
  if (msg.type === 'hello') return onHello(targets, msg);
  if (state.conn !== 'up') return;
  switch (msg.type) {
    case 'backfill':
      // The rest of a long session's history, in pieces after its hello; live messages follow the last one.
      if (model.info?.id === msg.sessionId) model.appendBackfill(msg);
      view.invalidate('charts', 'figures');
      break;
    case 'beat':
      model.addBeat(msg.seq, msg.tS, msg.rrMs, msg.gapBefore);
      state.lastBeatAt = performance.now();
      view.invalidate('charts', 'figures');
      break;
    case 'metrics':
      model.onMetrics(msg);
      view.invalidate('figures', 'charts');
      break;
    case 'status':
      state.status = msg.status;
      if (msg.status.state !== 'live') state.lastBeatAt = msg.status.state === 'stale' ? state.lastBeatAt : null;
      view.invalidate('figures', 'controls');
      break;
    case 'gap':
      model.onGap(msg);
      view.invalidate('charts');
      break;
    case 'phase':
      model.onPhase(msg);
      view.invalidate('charts', 'figures', 'controls', 'log');
      break;
    case 'marker':
      model.onMarker(msg);
      view.invalidate('charts', 'controls', 'log');
      break;
    case 'baseline':
      model.onBaseline(msg);
      view.invalidate('charts', 'figures');
      break;
    case 'usual':
      state.usual = msg.sessionId === model.info?.id ? msg : state.usual;
      view.invalidate('figures');
      break;
    case 'session':
      // A session ended; a new one arrives as a fresh hello.
      // the next reading at the table is most likely the one after it
      if (msg.event === 'ended') targets.reading.sessionSeen = true;
      if (msg.event === 'ended' && model.info?.id === msg.sessionId) {
        model.reset(null);
        state.usual = null;
        view.invalidate('charts', 'figures', 'controls', 'log');
      }
      break;
    case 'recording':
      state.recording = msg.state !== 'stopped';
      // Another program holds the database: the beats wait to be stored before they are shown.
      state.storeWaiting = msg.state === 'waiting';
      view.invalidate('controls', 'figures');
      break;
    case 'reading':
      targets.reading.onMessage(msg);
      break;
    case 'pong':
    case 'error':
      break; // the answer to a ping; a refused message (the page sends only pings)
    default: {
      // A message of a later minor version: ignored here. For the type checker, nothing is left.
      /** @type {never} */
      const unhandled = msg;
      void unhandled;
    }
  }
}

/**
 * @param {MessageTargets} targets
 * @param {HelloMessage} msg
 */
function onHello({ state, model, view, connection }, msg) {
  if (msg.protocol !== PROTOCOL.version) {
    state.conn = 'mismatch';
    connection.drop();
    model.reset(null);
    view.showBanner(
      `Protocol mismatch: this screen speaks tableside protocol ${PROTOCOL.version}, the daemon speaks ${msg.protocol}. ` +
        'Reload the page; if that does not help, this screen and tableside come from different versions.',
      'Reload',
      () => location.reload(),
    );
    document.body.dataset.conn = 'mismatch';
    view.invalidate('figures', 'controls', 'charts', 'log');
    return;
  }
  connection.greeted();
  state.conn = 'up';
  state.unpaired = false;
  state.source = msg.source;
  state.status = msg.status;
  state.streams = msg.streams ?? [];
  state.recording = msg.recording;
  state.storeWaiting = false;
  state.lastBeatAt = null;
  model.reset(msg.session);
  state.usual = msg.session?.usual ?? null;
  view.hideBanner();
  document.body.dataset.conn = 'up';
  document.body.dataset.session = model.info ? String(model.info.id) : '';
  view.invalidate('figures', 'controls', 'charts', 'log');
}
