// The socket to the daemon (protocol v2, src/viewers/protocol.ts): opened at start, reopened after a loss with a
// growing delay, pinged, and taken for dead when it says nothing for too long. Every message goes to `onMessage`.
import { api } from '../lib/api.js';
import { PROTOCOL } from '../lib/protocol.js';

/**
 * @typedef {import('../../src/viewers/protocol.js').ServerMessage} ServerMessage
 * @typedef {import('../../src/viewers/protocol.js').PingMessage} PingMessage
 * @typedef {import('./state.js').LiveState} LiveState
 * @typedef {import('./view.js').View} View
 */

const RECONNECT_DELAYS_MS = [500, 1000, 2000, 3000, 5000];
/** A ping this often; no message at all for WATCHDOG_MS and the socket is taken for dead and reopened. */
const PING_EVERY_MS = PROTOCOL.pingEveryMs;
const WATCHDOG_MS = PROTOCOL.watchdogMs;
/** @type {PingMessage} */
const PING = { type: 'ping' };

export class Connection {
  /**
   * @param {{ url: string, state: LiveState, view: View, onMessage: (msg: ServerMessage) => void }} parts `url`: the
   *   socket's address (ws: or wss:)
   */
  constructor({ url, state, view, onMessage }) {
    this.url = url;
    this.state = state;
    this.view = view;
    this.onMessage = onMessage;
    /** @type {WebSocket | null} the socket in use; one that closed or was dropped is forgotten */
    this.socket = null;
    /** reconnects since the last hello */
    this.attempt = 0;
    this.retryTimer = 0;
    /** wall clock (Date.now) of the last message */
    this.lastMessageAt = 0;
  }

  /** Pings while the socket is open, and closes one that said nothing for WATCHDOG_MS (it is then reopened). */
  startWatchdog() {
    setInterval(() => {
      const { socket } = this;
      if (socket && socket.readyState === WebSocket.OPEN) {
        if (Date.now() - this.lastMessageAt > WATCHDOG_MS) socket.close();
        else socket.send(JSON.stringify(PING));
      }
    }, PING_EVERY_MS);
  }

  connect() {
    const { state } = this;
    clearTimeout(this.retryTimer);
    state.conn = state.conn === 'mismatch' ? 'mismatch' : 'connecting';
    const ws = new WebSocket(this.url);
    this.socket = ws;
    this.lastMessageAt = Date.now();
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
    });
    ws.addEventListener('message', (event) => {
      if (this.socket !== ws) return;
      this.lastMessageAt = Date.now();
      /** @type {ServerMessage} */
      let msg;
      try {
        msg = JSON.parse(event.data);
      } catch {
        return;
      }
      this.onMessage(msg);
    });
    ws.addEventListener('close', () => {
      if (this.socket !== ws) return;
      this.socket = null;
      if (state.conn === 'mismatch') return;
      state.conn = 'down';
      state.lastBeatAt = null;
      const delay = RECONNECT_DELAYS_MS[Math.min(this.attempt, RECONNECT_DELAYS_MS.length - 1)];
      this.attempt++;
      state.retryAt = Date.now() + delay;
      this.retryTimer = setTimeout(() => this.connect(), delay);
      this.view.showBanner('', 'Retry now', () => this.connect());
      // Why, the API is asked only when an attempt was refused (never opened: a 401 or 404 at the upgrade). A socket
      // that was open and dropped asks nothing: tableside may be dying at this very moment (killed, crashed), still
      // holding its port while the system closes its sockets one by one, and a request sent into it would be reset.
      // After a token rotation or a strap's removal the next attempt is refused, and asks.
      if (!opened) {
        this.checkPaired();
        if (state.stream !== 'client') this.checkStreamExists();
      }
      this.view.invalidate('figures', 'controls');
    });
  }

  /**
   * Sends a message on the open socket (a strap's, when this page connected one); false when the socket is down.
   * @param {import('../../src/viewers/protocol.js').ViewerMessage} msg
   */
  send(msg) {
    const { socket } = this;
    if (!socket || socket.readyState !== WebSocket.OPEN) return false;
    socket.send(JSON.stringify(msg));
    return true;
  }

  /** The daemon said hello: the next loss starts again with the shortest delay. */
  greeted() {
    this.attempt = 0;
  }

  /** Closes the socket for good (the daemon speaks another protocol): no reconnect. */
  drop() {
    this.socket?.close();
    this.socket = null;
  }

  /** A screen following a strap that is no longer there says so, rather than retrying for ever. */
  async checkStreamExists() {
    const { state } = this;
    try {
      /** @type {{ streams: { id: string }[] }} */
      const { streams } = await api.streams();
      if (streams.some((s) => s.id === state.stream)) return;
      clearTimeout(this.retryTimer);
      state.conn = 'mismatch';
      this.view.showBanner(`tableside has no "${state.stream}" strap any more.`, "Show the client's strap", () => {
        location.search = '';
      });
    } catch {
      // tableside itself is down: keep retrying
    }
  }

  /**
   * A socket refused for want of the access token closes like any lost connection (browsers hide the 401 from the
   * page); the API says which it was.
   */
  async checkPaired() {
    try {
      const response = await fetch('/api/health', { cache: 'no-store' });
      this.state.unpaired = response.status === 401;
    } catch {
      this.state.unpaired = false; // not reachable at all: the banner says so
    }
  }
}
