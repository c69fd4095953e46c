/**
 * The hub's back-pressure (src/viewers/hub.ts) with a socket whose unsent bytes the test sets: a viewer more than
 * `SLOW_VIEWER_BYTES` behind is skipped and caught up with a fresh hello once drained; the hello the hub itself
 * queued — bigger than the limit in a long session — does not count against it.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import type { WebSocket } from 'ws';
import { SLOW_VIEWER_BYTES, ViewerHub } from '../../src/viewers/hub.js';
import type { BeatMessage, HelloMessage } from '../../src/viewers/protocol.js';

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
  const hub = new ViewerHub(() => hello);
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
