/**
 * The viewers: every open `/ws` socket. A sink: it receives committed events and never pushes back.
 *
 * A viewer's hello: the hub registers the socket and sends its `hello` in the same turn. A long session's history
 * does not fit one message without holding up every stream of the daemon while it is read and serialised (0.26 s at
 * 8 hours), so the hello carries its first piece and the rest follows in `backfill` pieces, a few milliseconds' worth
 * per event-loop turn for the whole process (`BackfillPacer`). Live messages committed meanwhile wait in the viewer's
 * queue and follow the last piece: the pieces hold what was stored when the hello was made, the queue what was
 * stored (and published) after, so nothing is missed or sent twice.
 *
 * Back-pressure: a viewer whose socket buffer grows beyond `SLOW_VIEWER_BYTES` (a tablet on weak Wi-Fi) stops
 * getting live messages; once its buffer drains it gets a fresh `hello` — the latest state, not an unbounded queue.
 * A hello with its pieces can itself be bigger than that (a long session's backfill: ~0.6 MB per hour of beats): the
 * hub does not count what it queued for the hello against its viewer, or every hello would make the viewer "behind"
 * again and earn it another one. A viewer whose queue grows beyond `SLOW_VIEWER_BYTES` while its pieces are sent is
 * behind too.
 *
 * Throughput: one JSON text per message for all viewers, and a batch of messages (one commit's) is written to each
 * socket corked, so it leaves in one system call instead of one per message.
 */
import type { WebSocket } from 'ws';
import type { BackfillMessage, HelloMessage, ServerMessage } from './protocol.js';

/** Beyond this many unsent bytes a viewer is skipped until it drains. */
export const SLOW_VIEWER_BYTES = 1 << 20;

/** Time the process spends on backfill pieces per event-loop turn, ms (at least one piece is sent per turn). */
export const BACKFILL_TURN_BUDGET_MS = 4;

/** What a viewer is sent on connect (or to catch up). */
export interface HelloPlan {
  readonly hello: HelloMessage;
  /** the next piece of the backfill, read when called; null when there is no more (absent: the hello is whole) */
  readonly nextPiece?: () => BackfillMessage | null;
  /**
   * Makes the pieces run on to what is stored now, so that the beats and metrics published since the hello are read
   * from the store with the rest instead of waiting in the viewer's queue (a stream faster than the pieces). False
   * when it cannot: what was published is not all stored (recording stopped).
   */
  readonly extend?: () => boolean;
  /** messages that follow the backfill, before live ones (the state a live message would have told) */
  readonly then?: readonly ServerMessage[];
}

/** A live message waiting behind a viewer's backfill; `data`: a beat or metrics, which the store holds too. */
interface Queued {
  readonly text: string;
  readonly data: boolean;
}

interface CatchUp {
  readonly plan: HelloPlan;
  /** live messages committed while the pieces are sent: they follow the last piece */
  queued: Queued[];
  queuedBytes: number;
}

interface Viewer {
  readonly socket: WebSocket;
  /** skipped messages since it fell behind: it needs a fresh hello */
  behind: boolean;
  /** bytes of the last hello and its pieces while they may still be in the buffer (until it is under the limit) */
  helloBytes: number;
  /** the backfill is being sent in pieces */
  catchUp: CatchUp | null;
}

/** What a backfill job did this time. */
type Step = 'sent' | 'done' | 'waiting';

/**
 * Sends backfill pieces for every hub of the process, round robin, `BACKFILL_TURN_BUDGET_MS` per turn: viewers
 * joining several streams at once hold up the event loop no longer than one joining.
 */
export class BackfillPacer {
  private readonly jobs = new Set<() => Step>();
  private scheduled: NodeJS.Immediate | NodeJS.Timeout | null = null;

  constructor(private readonly budgetMs = BACKFILL_TURN_BUDGET_MS) {}

  add(job: () => Step): void {
    this.jobs.add(job);
    this.scheduled ??= setImmediate(() => this.turn());
  }

  delete(job: () => Step): void {
    this.jobs.delete(job);
  }

  private turn(): void {
    this.scheduled = null;
    const start = performance.now();
    // At least one piece a turn, then more while another as long as the last one still fits in the budget.
    let sent = true;
    let lastStepMs = 0;
    const fits = () => performance.now() - start + lastStepMs <= this.budgetMs;
    let pass = 0;
    while (this.jobs.size > 0 && sent && (pass++ === 0 || fits())) {
      sent = false;
      for (const job of this.jobs) {
        const stepStart = performance.now();
        const step = job();
        if (step === 'done') this.jobs.delete(job);
        if (step === 'sent') {
          sent = true;
          lastStepMs = performance.now() - stepStart;
          if (!fits()) break;
        }
      }
    }
    if (this.jobs.size === 0) return;
    // Every viewer's socket is still full: look again in a moment rather than spin.
    this.scheduled = sent ? setImmediate(() => this.turn()) : setTimeout(() => this.turn(), PIECE_WAIT_MS);
  }
}

/** A viewer whose socket holds more than `SLOW_VIEWER_BYTES` gets its next piece once it drains: checked this often. */
const PIECE_WAIT_MS = 10;

/** The process's pacer, shared by every hub. */
export const backfillPacer = new BackfillPacer();

/** The `net.Socket` under a `ws` WebSocket (not public API: absent on test doubles, then messages go one by one). */
type Corkable = { cork(): void; uncork(): void };
function rawSocket(socket: WebSocket): Corkable | undefined {
  const raw = (socket as unknown as { _socket?: Partial<Corkable> | null })._socket;
  return typeof raw?.cork === 'function' && typeof raw.uncork === 'function' ? (raw as Corkable) : undefined;
}

const isData = (m: ServerMessage) => m.type === 'beat' || m.type === 'metrics';

/**
 * A listener to everything the hub publishes, beside the viewers (an outlet such as MQTT). It gets each message as
 * broadcast, or null when a fresh hello went to every viewer (a session started or ended, a source changed: the
 * stream's state changed as a whole). It runs in the publishing turn: it must only take note, never wait or throw.
 */
export type HubTap = (message: ServerMessage | null) => void;

export class ViewerHub {
  private readonly viewers = new Set<Viewer>();
  private readonly taps = new Set<HubTap>();
  private readonly jobs = new Map<Viewer, () => Step>();

  constructor(
    private readonly hello: () => HelloPlan,
    private readonly pacer: BackfillPacer = backfillPacer,
  ) {}

  get size(): number {
    return this.viewers.size;
  }

  /** Registers a socket and sends it `hello` in the same turn, so nothing is missed or sent twice. */
  add(socket: WebSocket, onMessage: (data: string) => void): void {
    const viewer: Viewer = { socket, behind: false, helloBytes: 0, catchUp: null };
    this.viewers.add(viewer);
    socket.on('close', () => this.remove(viewer));
    socket.on('error', () => this.remove(viewer));
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
    this.broadcastAll([message]);
  }

  /** Sends messages, in order, to every viewer that keeps up: one commit's worth, written to each socket at once. */
  broadcastAll(messages: readonly ServerMessage[]): void {
    for (const tap of this.taps) for (const message of messages) tap(message);
    if (this.viewers.size === 0 || messages.length === 0) return;
    const texts = messages.map((m) => JSON.stringify(m));
    for (const viewer of this.viewers) this.deliver(viewer, texts, messages);
  }

  /** Sends a fresh hello to everyone (a session started or ended). */
  rehello(): void {
    for (const tap of this.taps) tap(null);
    for (const viewer of this.viewers) this.sendHello(viewer);
  }

  closeAll(code = 1001, reason = 'tableside is shutting down'): void {
    for (const viewer of this.viewers) viewer.socket.close(code, reason);
    for (const viewer of [...this.viewers]) this.remove(viewer);
  }

  private remove(viewer: Viewer): void {
    this.viewers.delete(viewer);
    this.stopCatchUp(viewer);
  }

  private stopCatchUp(viewer: Viewer): void {
    const job = this.jobs.get(viewer);
    if (job) this.pacer.delete(job);
    this.jobs.delete(viewer);
    viewer.catchUp = null;
  }

  /** A fresh hello: everything so far, so a viewer that was behind is caught up. */
  private sendHello(viewer: Viewer): void {
    this.stopCatchUp(viewer);
    const plan = this.hello();
    const text = JSON.stringify(plan.hello);
    viewer.behind = false;
    viewer.helloBytes = Buffer.byteLength(text);
    viewer.socket.send(text);
    if (plan.hello.session?.more && plan.nextPiece) {
      viewer.catchUp = { plan, queued: [], queuedBytes: 0 };
      const job = () => this.sendPiece(viewer);
      this.jobs.set(viewer, job);
      this.pacer.add(job);
    } else {
      for (const m of plan.then ?? []) viewer.socket.send(JSON.stringify(m));
    }
  }

  /** Sends the next piece of `viewer`'s backfill; after the last, what waited behind it. */
  private sendPiece(viewer: Viewer): Step {
    const catchUp = viewer.catchUp;
    if (catchUp === null || !this.viewers.has(viewer)) return 'done';
    const { socket } = viewer;
    if (socket.readyState !== socket.OPEN) return 'done';
    // A slow socket gets its next piece once it has taken the last ones.
    if (socket.bufferedAmount > SLOW_VIEWER_BYTES) return 'waiting';
    const piece = (catchUp.plan.nextPiece as () => BackfillMessage | null)();
    if (piece !== null) {
      const text = JSON.stringify(piece);
      viewer.helloBytes += Buffer.byteLength(text);
      socket.send(text);
      if (!piece.last) return 'sent';
    }
    this.jobs.delete(viewer);
    viewer.catchUp = null;
    const rest = [...(catchUp.plan.then ?? []).map((m) => JSON.stringify(m)), ...catchUp.queued.map((q) => q.text)];
    viewer.helloBytes += catchUp.queuedBytes;
    this.write(socket, rest);
    return 'sent';
  }

  private deliver(viewer: Viewer, texts: readonly string[], messages: readonly ServerMessage[]): void {
    const catchUp = viewer.catchUp;
    if (catchUp !== null) {
      for (let i = 0; i < texts.length; i++) {
        catchUp.queued.push({ text: texts[i], data: isData(messages[i]) });
        catchUp.queuedBytes += texts[i].length;
      }
      if (catchUp.queuedBytes > SLOW_VIEWER_BYTES) this.overflow(viewer, catchUp);
      return;
    }
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

  /**
   * The stream runs faster than the pieces (a replay at `max`): the beats and metrics waiting in the queue are
   * dropped and the pieces run on to read them from the store instead — every one of them was stored before it was
   * published — so the queue stays small and the backfill catches up. What else waited (a status, a gap, a phase…)
   * stays queued, in order. A queue that is still too big: the viewer is behind, and gets a fresh hello later.
   */
  private overflow(viewer: Viewer, catchUp: CatchUp): void {
    if (catchUp.plan.extend?.()) {
      catchUp.queued = catchUp.queued.filter((q) => !q.data);
      catchUp.queuedBytes = catchUp.queued.reduce((n, q) => n + q.text.length, 0);
      if (catchUp.queuedBytes <= SLOW_VIEWER_BYTES) return;
    }
    this.stopCatchUp(viewer);
    viewer.behind = true;
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
}
