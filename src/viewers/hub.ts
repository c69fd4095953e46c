/**
 * The viewers: every open `/ws` socket. A sink: it receives committed events and never pushes back.
 *
 * Back-pressure: a viewer whose socket buffer grows beyond `SLOW_VIEWER_BYTES` (a tablet on weak Wi-Fi) stops
 * getting live messages; once its buffer drains it gets a fresh `hello` — the latest state, not an unbounded queue.
 * A hello can itself be bigger than that (a long session's backfill: ~0.6 MB per hour of beats): the hub does not
 * count the hello it queued against its viewer, or every hello would make the viewer "behind" again and earn it
 * another one.
 */
import type { WebSocket } from 'ws';
import type { HelloMessage, ServerMessage } from './protocol.js';

/** Beyond this many unsent bytes a viewer is skipped until it drains. */
export const SLOW_VIEWER_BYTES = 1 << 20;

interface Viewer {
  readonly socket: WebSocket;
  /** skipped messages since it fell behind: it needs a fresh hello */
  behind: boolean;
  /** bytes of the last hello while it may still be in the buffer (until the buffer is back under the limit), else 0 */
  helloBytes: number;
}

/**
 * A listener to everything the hub publishes, beside the viewers (an outlet such as MQTT). It gets each message as
 * broadcast, or null when a fresh hello went to every viewer (a session started or ended, a source changed: the
 * stream's state changed as a whole). It runs in the publishing turn: it must only take note, never wait or throw.
 */
export type HubTap = (message: ServerMessage | null) => void;

export class ViewerHub {
  private readonly viewers = new Set<Viewer>();
  private readonly taps = new Set<HubTap>();

  constructor(private readonly hello: () => HelloMessage) {}

  get size(): number {
    return this.viewers.size;
  }

  /** Registers a socket and sends it `hello` in the same turn, so nothing is missed or sent twice. */
  add(socket: WebSocket, onMessage: (data: string) => void): void {
    const viewer: Viewer = { socket, behind: false, helloBytes: 0 };
    this.viewers.add(viewer);
    socket.on('close', () => this.viewers.delete(viewer));
    socket.on('error', () => this.viewers.delete(viewer));
    socket.on('message', (data, isBinary) => onMessage(isBinary ? '' : data.toString()));
    this.sendHello(viewer);
  }

  /** Adds a listener to what this hub publishes; returns its removal. */
  tap(listener: HubTap): () => void {
    this.taps.add(listener);
    return () => this.taps.delete(listener);
  }

  /** Sends one message to every viewer that keeps up. */
  broadcast(message: ServerMessage): void {
    for (const tap of this.taps) tap(message);
    if (this.viewers.size === 0) return;
    const text = JSON.stringify(message);
    for (const viewer of this.viewers) this.sendTo(viewer, text);
  }

  /** Sends a fresh hello to everyone (a session started or ended). */
  rehello(): void {
    for (const tap of this.taps) tap(null);
    for (const viewer of this.viewers) this.sendHello(viewer);
  }

  /** A fresh hello: everything so far, so a viewer that was behind is caught up. */
  private sendHello(viewer: Viewer): void {
    const text = JSON.stringify(this.hello());
    viewer.behind = false;
    viewer.helloBytes = Buffer.byteLength(text);
    viewer.socket.send(text);
  }

  private sendTo(viewer: Viewer, text: string): void {
    const { socket } = viewer;
    if (socket.readyState !== socket.OPEN) return;
    const buffered = socket.bufferedAmount;
    if (buffered <= SLOW_VIEWER_BYTES) viewer.helloBytes = 0;
    if (buffered > SLOW_VIEWER_BYTES + viewer.helloBytes) {
      viewer.behind = true;
      return;
    }
    if (viewer.behind) {
      this.sendHello(viewer);
      return;
    }
    socket.send(text);
  }

  closeAll(code = 1001, reason = 'tableside is shutting down'): void {
    for (const viewer of this.viewers) viewer.socket.close(code, reason);
    this.viewers.clear();
  }
}
