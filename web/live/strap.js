// Straps connected by this page itself (Web Bluetooth): the tablet beside the table is the radio. The page subscribes
// to the strap's Heart Rate Measurement (0x2A37) and forwards each notification's raw bytes, with the time it
// arrived, over the socket of the stream it feeds (`strap-notification`, src/viewers/protocol.ts); the daemon decodes,
// times, stores and publishes them as it does a strap of its own. The link's state goes the same way
// (`strap-status`): connecting, live (with the strap's name and battery), disconnected with the reason.
//
// A lost link is reconnected by itself (device.gatt.connect() again) a few times, then the page asks for one tap.
// After a reload the strap is reconnected without a tap where the browser lets the page see the straps it was given
// before (navigator.bluetooth.getDevices); elsewhere the page asks for one tap.
import { api } from '../lib/api.js';
import { $, setText } from '../lib/dom.js';
import { streamWords } from './state.js';

/**
 * @typedef {import('../../src/viewers/protocol.js').StrapMessage} StrapMessage
 * @typedef {import('./state.js').LiveState} LiveState
 * @typedef {import('../lib/session-model.js').SessionModel} SessionModel
 * @typedef {import('./toast.js').Toast} Toast
 * @typedef {{ send: (msg: StrapMessage) => boolean }} Link a socket of the stream a strap feeds
 * @typedef {'idle' | 'connecting' | 'live' | 'reconnecting' | 'ask'} StrapState
 */

/** Delays between the reconnection attempts made without a tap, ms; after the last, the page asks for a tap. */
const RECONNECT_DELAYS_MS = [500, 1000, 2000, 4000, 8000];

const REQUEST = { filters: [{ services: ['heart_rate'] }], optionalServices: ['battery_service'] };

/** @param {string} stream */
const rememberKey = (stream) => `tableside.browserStrap.${stream}`;

/**
 * Why this page cannot connect a strap, in words, or null when it can.
 * @returns {string | null}
 */
export function bluetoothMissing() {
  if (!window.isSecureContext) {
    return (
      'This page is not secure, and browsers connect Bluetooth only from secure pages: start tableside with --tls ' +
      'and open its https:// link (or open the screen on the computer running tableside, at localhost).'
    );
  }
  if (!navigator.bluetooth) {
    return (
      'This browser cannot connect Bluetooth straps (it has no Web Bluetooth). Chrome or Edge on Android, Windows, ' +
      'macOS, ChromeOS or Linux can; Safari (iPhone, iPad) and Firefox cannot. Or let the computer running ' +
      'tableside connect the strap (tableside start).'
    );
  }
  return null;
}

/** One strap held by this page, feeding one stream. */
export class BrowserStrap {
  /**
   * @param {{ stream: string, link: Link, onChange: () => void }} parts
   */
  constructor({ stream, link, onChange }) {
    this.stream = stream;
    this.link = link;
    this.onChange = onChange;
    /** @type {StrapState} */
    this.state = 'idle';
    /** what the page says about this strap */
    this.words = '';
    /** @type {BluetoothDeviceLike | null} */
    this.device = null;
    /** @type {number | undefined} */
    this.batteryPct = undefined;
    /** reconnection attempts since the link was last live */
    this.tries = 0;
    this.retryTimer = 0;
    /** @param {Event} e */
    this.onValue = (e) => this.forward(/** @type {BluetoothCharacteristicLike} */ (e.target));
    this.onGone = () =>
      this.lost('link lost: the strap went out of range, was taken off, or Bluetooth was switched off');
  }

  get name() {
    return this.device?.name || 'heart-rate strap';
  }

  /**
   * Asks the user for a strap (the browser's chooser). Must run in a tap's handler before anything else awaits: the
   * browser shows its chooser only in answer to a gesture.
   * @returns {Promise<BluetoothDeviceLike>}
   */
  static request() {
    const bluetooth = navigator.bluetooth;
    if (!bluetooth) return Promise.reject(new Error(bluetoothMissing() ?? 'no Web Bluetooth'));
    return bluetooth.requestDevice(REQUEST);
  }

  /**
   * Connects this device and keeps it connected.
   * @param {BluetoothDeviceLike} device
   */
  use(device) {
    if (this.device && this.device !== device) {
      this.device.removeEventListener('gattserverdisconnected', this.onGone);
      this.device.gatt?.disconnect();
    }
    this.device = device;
    device.addEventListener('gattserverdisconnected', this.onGone);
    try {
      localStorage.setItem(rememberKey(this.stream), device.id);
    } catch {
      // private mode: no reconnection after a reload without a tap
    }
    this.tries = 0;
    return this.connect();
  }

  /** After a reload: the strap this screen used for the stream, without a tap where the browser allows it. */
  async resume() {
    let id = null;
    try {
      id = localStorage.getItem(rememberKey(this.stream));
    } catch {
      id = null;
    }
    if (!id || bluetoothMissing()) return;
    const bluetooth = /** @type {BluetoothLike} */ (navigator.bluetooth);
    /** @type {BluetoothDeviceLike[]} */
    let known = [];
    try {
      known = bluetooth.getDevices ? await bluetooth.getDevices() : [];
    } catch {
      known = [];
    }
    const device = known.find((d) => d.id === id);
    if (device) {
      await this.use(device);
      return;
    }
    this.set('ask', 'This screen had a strap: tap to connect it again (the browser asks each time).');
  }

  async connect() {
    const device = this.device;
    if (!device?.gatt) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = 0;
    this.set(this.tries === 0 ? 'connecting' : 'reconnecting', `Connecting to ${this.name} from this device…`);
    this.sendStatus();
    try {
      const server = await device.gatt.connect();
      const service = await server.getPrimaryService('heart_rate');
      const measurement = await service.getCharacteristic('heart_rate_measurement');
      measurement.removeEventListener('characteristicvaluechanged', this.onValue);
      measurement.addEventListener('characteristicvaluechanged', this.onValue);
      await measurement.startNotifications();
      this.batteryPct = await readBattery(server);
      if (this.device !== device) return;
      this.tries = 0;
      this.set('live', `${this.name} is connected from this device`);
      this.sendStatus();
    } catch (err) {
      if (this.device !== device) return;
      this.lost(`could not connect: ${/** @type {Error} */ (err).message}`);
    }
  }

  /**
   * The link is gone: the daemon is told why, and the page reconnects by itself a few times, then asks for a tap.
   * @param {string} reason
   */
  lost(reason) {
    if (!this.device || this.retryTimer !== 0 || this.state === 'ask') return;
    this.link.send({ type: 'strap-status', stream: this.stream, state: 'disconnected', reason });
    if (this.tries >= RECONNECT_DELAYS_MS.length) {
      this.set('ask', `${capitalised(reason)}. Tap to connect it again.`);
      return;
    }
    const delay = RECONNECT_DELAYS_MS[this.tries];
    this.tries++;
    this.set('reconnecting', `${capitalised(reason)}: reconnecting…`);
    this.retryTimer = setTimeout(() => this.connect(), delay);
  }

  /**
   * One notification, as the strap sent it, stamped with its arrival.
   * @param {BluetoothCharacteristicLike} characteristic
   */
  forward(characteristic) {
    const atMs = Date.now();
    const value = characteristic.value;
    if (!value) return;
    const bytes = Array.from(new Uint8Array(value.buffer, value.byteOffset, value.byteLength));
    this.link.send({ type: 'strap-notification', stream: this.stream, atMs, bytes });
  }

  /** Tells the daemon how the link is (again after the socket reopened, or the page went to the background). */
  sendStatus() {
    const state = this.state === 'live' ? 'live' : this.state === 'idle' || this.state === 'ask' ? null : 'connecting';
    if (state === null || !this.device) return;
    this.link.send({
      type: 'strap-status',
      stream: this.stream,
      state,
      device: { name: this.name.slice(0, 64), id: this.device.id.slice(0, 64) },
      ...(this.batteryPct === undefined ? {} : { batteryPct: this.batteryPct }),
      hidden: document.visibilityState === 'hidden',
    });
  }

  /**
   * @param {StrapState} state
   * @param {string} words
   */
  set(state, words) {
    this.state = state;
    this.words = words;
    this.onChange();
  }
}

/**
 * The battery level (0x2A19), if the strap has the Battery service.
 * @param {BluetoothGattServerLike} server
 * @returns {Promise<number | undefined>}
 */
async function readBattery(server) {
  try {
    const service = await server.getPrimaryService('battery_service');
    const level = await service.getCharacteristic('battery_level');
    const value = await level.readValue();
    const pct = value.getUint8(0);
    return pct <= 100 ? pct : undefined;
  } catch {
    return undefined;
  }
}

/** @param {string} s */
function capitalised(s) {
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

/** A socket of its own for a strap that feeds another stream than the one this screen follows. */
class FeedSocket {
  /**
   * @param {string} url
   * @param {() => void} onOpen
   */
  constructor(url, onOpen) {
    this.url = url;
    this.onOpen = onOpen;
    /** @type {WebSocket | null} */
    this.socket = null;
    this.open();
  }

  open() {
    const ws = new WebSocket(this.url);
    this.socket = ws;
    ws.addEventListener('open', () => this.onOpen());
    ws.addEventListener('close', () => {
      if (this.socket === ws) setTimeout(() => this.open(), 1000);
    });
  }

  /** @param {StrapMessage} msg */
  send(msg) {
    const ws = this.socket;
    if (!ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(msg));
    return true;
  }
}

/** The straps this screen holds (one per stream), the button that connects one, and the panel that says how they are. */
export class StrapsHere {
  /**
   * @param {{ state: LiveState, model: SessionModel, toast: Toast, link: Link, socketUrl: (stream: string) => string }} parts
   *   `link`: the screen's own socket (the stream it follows)
   */
  constructor({ state, model, toast, link, socketUrl }) {
    this.state = state;
    this.model = model;
    this.toast = toast;
    this.link = link;
    this.socketUrl = socketUrl;
    /** @type {Map<string, BrowserStrap>} */
    this.straps = new Map();
  }

  /**
   * The strap feeding `stream` from this page (made on first need).
   * @param {string} stream
   */
  strapFor(stream) {
    let strap = this.straps.get(stream);
    if (!strap) {
      const own = stream === this.state.stream;
      /** @type {Link} */
      let link = this.link;
      const made = new BrowserStrap({ stream, link: { send: (m) => link.send(m) }, onChange: () => this.render() });
      if (!own) link = new FeedSocket(this.socketUrl(stream), () => made.sendStatus());
      strap = made;
      this.straps.set(stream, strap);
    }
    return strap;
  }

  /**
   * "Connect a strap from this device": the browser's chooser, then the stream's source becomes this page's strap
   * (which ends the session being recorded: a new one starts at once), then the link.
   * @param {string} stream
   */
  async connectHere(stream) {
    const why = bluetoothMissing();
    if (why) {
      this.explain(why);
      return;
    }
    /** @type {BluetoothDeviceLike} */
    let device;
    try {
      device = await BrowserStrap.request();
    } catch (err) {
      const e = /** @type {Error} */ (err);
      this.explain(e.name === 'NotFoundError' ? 'No strap chosen.' : `The strap could not be chosen: ${e.message}`);
      return;
    }
    try {
      if (await this.makeBrowserSource(stream)) await api.startSession('', '');
    } catch (err) {
      this.explain(`tableside refused: ${/** @type {Error} */ (err).message}`);
      return;
    }
    await this.strapFor(stream).use(device);
  }

  /**
   * Makes `stream`'s source a browser strap unless it is one already; true when it changed (the session ended).
   * @param {string} stream
   */
  async makeBrowserSource(stream) {
    const info = this.state.streams.find((s) => s.id === stream);
    if (info?.kind === 'browser') return false;
    await api.chooseSource(stream, { kind: 'browser' });
    return true;
  }

  /**
   * A strap that needs a tap (after a reload where the browser forgets, after failed reconnections, or a second
   * strap chosen in the new-session dialog).
   * @param {string} stream
   * @param {string} words
   */
  ask(stream, words) {
    this.strapFor(stream).set('ask', words);
  }

  /** The tap a strap in state `ask` waits for. @param {string} stream */
  async tap(stream) {
    const strap = this.strapFor(stream);
    try {
      await strap.use(await BrowserStrap.request());
    } catch (err) {
      const e = /** @type {Error} */ (err);
      strap.set('ask', e.name === 'NotFoundError' ? 'No strap chosen: tap to try again.' : e.message);
    }
  }

  /** After a reload, the straps this screen held. */
  resume() {
    for (const stream of new Set([this.state.stream, 'therapist'])) {
      let remembered = null;
      try {
        remembered = localStorage.getItem(rememberKey(stream));
      } catch {
        remembered = null;
      }
      if (remembered) this.strapFor(stream).resume();
    }
  }

  /** The screen's own socket said hello (again): its strap tells the daemon how it is. */
  linkUp() {
    this.straps.get(this.state.stream)?.sendStatus();
  }

  /** Page visibility changed: the daemon learns it (a background page may be held back by the browser). */
  visibilityChanged() {
    for (const strap of this.straps.values()) strap.sendStatus();
  }

  /** @param {string} words */
  explain(words) {
    const panel = $('straps-here');
    panel.hidden = false;
    setText($('straps-here-note'), words);
  }

  render() {
    const panel = $('straps-here');
    const rows = [...this.straps.values()].filter((s) => s.state !== 'idle');
    panel.hidden = rows.length === 0 && $('straps-here-note').textContent === '';
    $('straps-here-list').replaceChildren(
      ...rows.map((strap) => {
        const li = document.createElement('li');
        li.dataset.stream = strap.stream;
        li.dataset.state = strap.state;
        const text = document.createElement('span');
        text.textContent = `${streamWords(strap.stream)}'s strap: ${strap.words}`;
        li.append(text);
        if (strap.state === 'ask') {
          const button = document.createElement('button');
          button.type = 'button';
          button.className = 'tool';
          button.textContent = 'Connect';
          button.addEventListener('click', () => this.tap(strap.stream));
          li.append(button);
        }
        return li;
      }),
    );
  }
}
