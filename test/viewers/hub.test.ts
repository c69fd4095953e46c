/**
 * The hub (src/viewers/hub.ts) with a socket whose unsent bytes the test sets. Back-pressure: a viewer more than
 * `SLOW_VIEWER_BYTES` behind is skipped and caught up with a fresh hello once drained; the hello the hub itself
 * queued — bigger than the limit in a long session — does not count against it. A long session's backfill: the
 * pieces after the hello go out a few per event-loop turn for the whole process, and live messages wait behind the
 * last one.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { BackfillPacer, type HelloPlan, SLOW_VIEWER_BYTES, ViewerHub } from '../../src/viewers/hub.js';
import {
  type BackfillMessage,
  type BeatMessage,
  backfillMessage,
  type HelloMessage,
} from '../../src/viewers/protocol.js';

class FakeSocket extends EventEmitter {
  readonly OPEN = 1;
  readyState = 1;
  bufferedAmount = 0;
  readonly sent: string[] = [];
  send(text: string): void {
    this.sent.push(text);
  }
  close(): void {}
  /** the types of what was sent since the last call */
  take(): string[] {
    return this.sent.splice(0).map((t) => JSON.parse(t).type);
  }
}

/** A hub whose hello is about `paddingBytes` long, and one viewer on a fake socket (its first hello taken). */
function hubWithViewer(paddingBytes: number): { hub: ViewerHub; socket: FakeSocket; helloBytes: number } {
  const hello = { type: 'hello', padding: 'x'.repeat(paddingBytes) } as unknown as HelloMessage;
  const hub = new ViewerHub(() => ({ hello }));
  const socket = new FakeSocket();
  hub.add(socket as unknown as WebSocket, () => {});
  expect(socket.take()).toEqual(['hello']);
  return { hub, socket, helloBytes: Buffer.byteLength(JSON.stringify(hello)) };
}

const beat: BeatMessage = { type: 'beat', seq: 0, tS: 1, rrMs: 1000, gapBefore: false, receivedAtMs: 0 };

describe('ViewerHub back-pressure', () => {
  it('skips a viewer more than the limit behind and catches it up with a fresh hello once drained', () => {
    const { hub, socket } = hubWithViewer(100);
    socket.bufferedAmount = 0;
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['beat']);
    socket.bufferedAmount = SLOW_VIEWER_BYTES + 1;
    hub.broadcast(beat);
    hub.broadcast(beat);
    expect(socket.take()).toEqual([]);
    socket.bufferedAmount = 0;
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['hello']);
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['beat']);
  });

  it('does not count a hello bigger than the limit against its viewer', () => {
    const { hub, socket, helloBytes } = hubWithViewer(3 * SLOW_VIEWER_BYTES);
    // The hello is still being sent: live messages queue behind it.
    socket.bufferedAmount = helloBytes;
    hub.broadcast(beat);
    socket.bufferedAmount = helloBytes - 1000;
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['beat', 'beat']);
    // More than the limit of live messages behind the hello: behind after all.
    socket.bufferedAmount = helloBytes + SLOW_VIEWER_BYTES + 1;
    hub.broadcast(beat);
    expect(socket.take()).toEqual([]);
    socket.bufferedAmount = 0;
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['hello']);
  });

  it('counts the buffer against the plain limit again once the hello has drained under it', () => {
    const { hub, socket } = hubWithViewer(3 * SLOW_VIEWER_BYTES);
    socket.bufferedAmount = SLOW_VIEWER_BYTES;
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['beat']);
    socket.bufferedAmount = SLOW_VIEWER_BYTES + 1;
    hub.broadcast(beat);
    expect(socket.take()).toEqual([]);
  });

  it('a fresh hello for everyone (rehello) also catches up a viewer that was behind', () => {
    const { hub, socket } = hubWithViewer(100);
    hub.broadcast(beat);
    socket.bufferedAmount = SLOW_VIEWER_BYTES + 1;
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['beat']);
    socket.bufferedAmount = 0;
    hub.rehello();
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['hello', 'beat']);
  });
});

/** The next event-loop turn (the pacer sends pieces from `setImmediate`). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** A hello with `more` and a plan whose `pieces` pieces carry beats `first`, `first + 1`, … (one beat each). */
function piecesPlan(pieces: number, first = 1): { plan: () => HelloPlan; read: () => number } {
  let read = 0;
  const plan = (): HelloPlan => {
    let next = first;
    const end = first + pieces;
    const hello = { type: 'hello', session: { more: true, beats: { seq: [0] } } } as unknown as HelloMessage;
    return {
      hello,
      nextPiece: (): BackfillMessage | null => {
        if (next >= end) return null;
        read++;
        const seq = next++;
        const b = { seq, tS: seq, rrMs: 1000, gapBefore: false, kind: null };
        return backfillMessage(1, [b], [], next >= end);
      },
    };
  };
  return { plan, read: () => read };
}

/** What was sent since the last call: type, and the beat seqs a backfill piece or a beat carried. */
function takeSeqs(socket: FakeSocket): string[] {
  return socket.sent.splice(0).map((t) => {
    const m = JSON.parse(t);
    if (m.type === 'backfill') return `backfill ${m.beats.seq.join(',')}${m.last ? ' last' : ''}`;
    if (m.type === 'beat') return `beat ${m.seq}`;
    return m.type;
  });
}

const beatSeq = (seq: number): BeatMessage => ({ ...beat, seq });

describe('ViewerHub backfill in pieces', () => {
  it('sends one piece a turn (at a zero budget) and the live messages behind the last, in order', async () => {
    const pacer = new BackfillPacer(0);
    const hub = new ViewerHub(piecesPlan(3).plan, pacer);
    const socket = new FakeSocket();
    hub.add(socket as unknown as WebSocket, () => {});
    expect(takeSeqs(socket)).toEqual(['hello']);
    hub.broadcast(beatSeq(4));
    hub.broadcastAll([beatSeq(5), beatSeq(6)]);
    expect(takeSeqs(socket)).toEqual([]);
    await nextTurn();
    expect(takeSeqs(socket)).toEqual(['backfill 1']);
    await nextTurn();
    expect(takeSeqs(socket)).toEqual(['backfill 2']);
    hub.broadcast(beatSeq(7));
    await nextTurn();
    expect(takeSeqs(socket)).toEqual(['backfill 3 last', 'beat 4', 'beat 5', 'beat 6', 'beat 7']);
    hub.broadcast(beatSeq(8));
    expect(takeSeqs(socket)).toEqual(['beat 8']);
    await nextTurn();
    expect(takeSeqs(socket)).toEqual([]);
  });

  it('shares one budget among every hub of the process: one piece a turn in all at a zero budget', async () => {
    const pacer = new BackfillPacer(0);
    const sockets = [new FakeSocket(), new FakeSocket(), new FakeSocket()];
    for (const socket of sockets) {
      new ViewerHub(piecesPlan(2).plan, pacer).add(socket as unknown as WebSocket, () => {});
      socket.take();
    }
    const perTurn: number[] = [];
    for (let turn = 0; turn < 6; turn++) {
      await nextTurn();
      perTurn.push(sockets.reduce((n, s) => n + s.take().length, 0));
    }
    expect(perTurn).toEqual([1, 1, 1, 1, 1, 1]);
  });

  it('a fresh hello while pieces are going out starts over from it; the old pieces stop', async () => {
    const pacer = new BackfillPacer(0);
    const hub = new ViewerHub(piecesPlan(2).plan, pacer);
    const socket = new FakeSocket();
    hub.add(socket as unknown as WebSocket, () => {});
    await nextTurn();
    hub.broadcast(beatSeq(3));
    hub.rehello();
    expect(takeSeqs(socket)).toEqual(['hello', 'backfill 1', 'hello']);
    await nextTurn();
    await nextTurn();
    expect(takeSeqs(socket)).toEqual(['backfill 1', 'backfill 2 last']);
  });

  it('stops reading pieces for a viewer that closed', async () => {
    const pacer = new BackfillPacer(0);
    const { plan, read } = piecesPlan(5);
    const hub = new ViewerHub(plan, pacer);
    const socket = new FakeSocket();
    hub.add(socket as unknown as WebSocket, () => {});
    await nextTurn();
    socket.emit('close');
    await nextTurn();
    await nextTurn();
    expect(read()).toBe(1);
    expect(hub.size).toBe(0);
  });

  it('when the live messages outgrow the limit, reads the waiting beats from the store instead; keeps the rest', async () => {
    const pacer = new BackfillPacer(0);
    // A store of beats 1… : the plan's pieces run on to `stored` once extended.
    let stored = 2;
    const plan = (): HelloPlan => {
      let next = 1;
      let end = stored + 1;
      return {
        hello: { type: 'hello', session: { more: true, beats: { seq: [0] } } } as unknown as HelloMessage,
        nextPiece: () => {
          if (next >= end) return null;
          const seq = next++;
          return backfillMessage(1, [{ seq, tS: seq, rrMs: 1000, gapBefore: false, kind: null }], [], next >= end);
        },
        extend: () => {
          end = stored + 1;
          return true;
        },
      };
    };
    const hub = new ViewerHub(plan, pacer);
    const socket = new FakeSocket();
    hub.add(socket as unknown as WebSocket, () => {});
    expect(takeSeqs(socket)).toEqual(['hello']);
    const padding = 'x'.repeat(SLOW_VIEWER_BYTES / 4);
    for (let seq = 3; seq <= 7; seq++) {
      stored = seq; // stored, then published
      hub.broadcast({ ...beatSeq(seq), padding } as unknown as BeatMessage);
    }
    hub.broadcast({ type: 'phase', sessionId: 1, id: 1, kind: 'massage', startedAtS: 7 });
    stored = 8;
    hub.broadcast(beatSeq(8));
    for (let turn = 0; turn < 8; turn++) await nextTurn();
    // Beats 3–6 went over the limit (as the 6th was published): they are read from the store with the pieces, up to
    // 6, which was stored then. Beat 7, the phase and beat 8 came after: they wait, in order, behind the last piece.
    expect(takeSeqs(socket)).toEqual([
      'backfill 1',
      'backfill 2',
      'backfill 3',
      'backfill 4',
      'backfill 5',
      'backfill 6 last',
      'beat 7',
      'phase',
      'beat 8',
    ]);
  });

  it('a viewer whose waiting live messages outgrow the limit gets a fresh hello once it can take one', async () => {
    const pacer = new BackfillPacer(0);
    const hub = new ViewerHub(piecesPlan(2).plan, pacer);
    const socket = new FakeSocket();
    hub.add(socket as unknown as WebSocket, () => {});
    socket.take();
    const big = { ...beat, padding: 'x'.repeat(SLOW_VIEWER_BYTES) } as unknown as BeatMessage;
    hub.broadcast(big);
    await nextTurn();
    await nextTurn();
    expect(socket.take()).toEqual([]); // its pieces were dropped with the queue
    hub.broadcast(beat);
    expect(socket.take()).toEqual(['hello']);
  });
});
