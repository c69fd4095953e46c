/**
 * The viewers: every open `/ws` socket. A sink: it receives committed events and never pushes back.
 *
 * Back-pressure: a viewer whose socket buffer grows beyond `SLOW_VIEWER_BYTES` (a tablet on weak Wi-Fi) stops
 * getting live messages; once its buffer drains it gets a fresh `hello` — the latest state, not an unbounded queue.
 * A hello can itself be bigger than that (a long session's backfill: ~0.6 MB per hour of beats): the hub does not
 * count the hello it queued against its viewer, or every hello would make the viewer "behind" again and earn it
 * another one.
 *
 * Throughput: one JSON text per message for all viewers, and a batch of messages (one commit's) is written to each
 * socket corked, so it leaves in one system call instead of one per message.
 */
import type { WebSocket } from 'ws';
import type { HelloMessage, ServerMessage } from './protocol.js';

/** Beyond this many unsent bytes a viewer is skipped until it drains. */
export const SLOW_VIEWER_BYTES = 1 << 20;

/** The `net.Socket` under a `ws` WebSocket (not public API: absent on test doubles, then messages go one by one). */
type Corkable = { cork(): void; uncork(): void };
function rawSocket(socket: WebSocket): Corkable | undefined {
  const raw = (socket as unknown as { _socket?: Partial<Corkable> | null })._socket;
  return typeof raw?.cork === 'function' && typeof raw.uncork === 'function' ? (raw as Corkable) : undefined;
}

interface Viewer {
  readonly socket: WebSocket;
  /** skipped messages since it fell behind: it needs a fresh hello */
  behind: boolean;
  /** bytes of the last hello while it may still be in the buffer (until the buffer is back under the limit), else 0 */
  helloBytes: number;
}

export class ViewerHub {
  private readonly viewers = new Set<Viewer>();

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

  /** Sends one message to every viewer that keeps up. */
  broadcast(message: ServerMessage): void {
    this.broadcastAll([message]);
  }

  /** Sends messages, in order, to every viewer that keeps up: one commit's worth, written to each socket at once. */
  broadcastAll(messages: readonly ServerMessage[]): void {
    if (this.viewers.size === 0 || messages.length === 0) return;
    const texts = messages.map((m) => JSON.stringify(m));
    for (const viewer of this.viewers) this.deliver(viewer, texts);
  }

  /** Sends a fresh hello to everyone (a session started or ended). */
  rehello(): void {
    for (const viewer of this.viewers) this.sendHello(viewer);
  }

  /** A fresh hello: everything so far, so a viewer that was behind is caught up. */
  private sendHello(viewer: Viewer): void {
    const text = JSON.stringify(this.hello());
    viewer.behind = false;
    viewer.helloBytes = Buffer.byteLength(text);
    viewer.socket.send(text);
  }

  private deliver(viewer: Viewer, texts: readonly string[]): void {
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
    this.write(socket, texts);
  }

  /** Writes texts in order; several at once leave in one write of the socket. */
  private write(socket: WebSocket, texts: readonly string[]): void {
    if (texts.length === 1) {
      socket.send(texts[0]);
      return;
    }
    const raw = rawSocket(socket);
    raw?.cork();
    try {
      for (const text of texts) socket.send(text);
    } finally {
      raw?.uncork();
    }
  }

  closeAll(code = 1001, reason = 'tableside is shutting down'): void {
    for (const viewer of this.viewers) viewer.socket.close(code, reason);
    this.viewers.clear();
  }
}
