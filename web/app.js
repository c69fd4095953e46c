// The table-side screen: live figures, the shift against the baseline, charts, and hands-free session control.
// Talks protocol v2 on /ws (src/viewers/protocol.ts) and sends commands to the REST API. Redraws everything from every
// `hello`, so a reconnect or a reload loses nothing.
//
// This file only puts the screen together: it makes the state and the session model, hands them to the parts in
// live/ (connection, messages, view, commands, marker lists, source picker, screen, wake lock) and wires the keys.
import { CalmView } from './lib/calm.js';
import { $ } from './lib/dom.js';
import { Keys } from './lib/keys.js';
import { SessionModel } from './lib/session-model.js';
import { applyTheme, savedTheme } from './lib/theme.js';
import { LiveCharts } from './live/charts.js';
import { Commands } from './live/commands.js';
import { Connection } from './live/connection.js';
import { MarkerLists } from './live/markers.js';
import { handleMessage } from './live/messages.js';
import { TableReading } from './live/reading.js';
import { ScreenControls } from './live/screen.js';
import { SourcePicker } from './live/source-picker.js';
import { createState } from './live/state.js';
import { StrapsHere } from './live/strap.js';
import { Toast } from './live/toast.js';
import { View } from './live/view.js';
import { WakeLock } from './live/wake-lock.js';

/** @typedef {import('../src/viewers/protocol.js').PhaseMessage['kind']} PhaseKind */

/** The stream (strap) this screen follows: the client's unless the address says `?stream=therapist`. */
const stream = new URLSearchParams(location.search).get('stream') || 'client';
/** A stream's socket: `/ws` for the client's strap, `/ws?stream=ID` for another. @param {string} id */
const socketUrlOf = (id) =>
  `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws${id === 'client' ? '' : `?stream=${encodeURIComponent(id)}`}`;
const socketUrl = socketUrlOf(stream);

const state = createState(stream);
const model = new SessionModel();
const calm = new CalmView($('calm'), $('calm-canvas', HTMLCanvasElement));
const charts = new LiveCharts(model, $('tacho'), $('trend'));
const view = new View({ state, model, charts, calm });
const toast = new Toast();
/** @type {{ send: (msg: import('../src/viewers/protocol.js').StrapMessage) => boolean }} */
const ownSocket = { send: (msg) => connection.send(msg) };
const straps = new StrapsHere({ state, model, toast, link: ownSocket, socketUrl: socketUrlOf });
const picker = new SourcePicker({ state, toast, straps });
const commands = new Commands({ state, model, toast, newSession: () => picker.open() });
const markers = new MarkerLists({ state, view, toast, commands });
const screenControls = new ScreenControls({ model, charts, calm, toast });
const wakeLock = new WakeLock();
const reading = new TableReading({ stream, toast, model });
const connection = new Connection({
  url: socketUrl,
  state,
  view,
  onMessage: (msg) => {
    handleMessage({ state, model, view, connection, reading }, msg);
    // A strap this page holds tells the daemon how it is on every (re)opened socket.
    if (msg.type === 'hello') straps.linkUp();
  },
});

function wire() {
  for (const b of document.querySelectorAll('button.phase')) {
    if (!(b instanceof HTMLButtonElement)) continue;
    b.addEventListener('click', () => commands.setPhase(/** @type {PhaseKind} */ (b.dataset.phase)));
  }
  $('undo').addEventListener('click', () => commands.undoLast());
  $('end').addEventListener('click', () => commands.endSession());
  $('new').addEventListener('click', () => picker.open());
  $('strap-connect').addEventListener('click', () => straps.connectHere(stream));
  document.addEventListener('visibilitychange', () => straps.visibilityChanged());
  screenControls.wire();
  picker.wire();
  markers.wire();
  reading.wire();
  // A button tapped with a finger gives up the focus, so a pedal's Space or Enter never presses it again.
  document.addEventListener('click', (e) => {
    const button = e.target instanceof Element ? e.target.closest('button') : null;
    if (button && e.detail > 0) button.blur();
  });
  new Keys({
    next: () => commands.nextPhase(),
    mark: () => markers.markSelected(),
    select: (step) => markers.select(step),
    markNumber: (n) => markers.markNumber(n),
    undo: () => commands.undoLast(),
    phase: (kind) => commands.setPhase(kind),
    end: () => commands.endSession(),
    newSession: () => picker.open(),
    theme: () => screenControls.toggleTheme(),
    fullscreen: () => screenControls.toggleFullscreen(),
    calm: () => screenControls.toggleCalm(),
    reading: () => reading.toggle(),
  }).attach(document);
}

applyTheme(savedTheme());
screenControls.renderThemeButton();
markers.set(markers.load());
wire();
charts.build();
view.invalidate('figures', 'controls', 'log');
connection.startWatchdog();
view.startClock();
wakeLock.start();
connection.connect();
straps.resume();
