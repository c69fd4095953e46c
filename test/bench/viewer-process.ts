/**
 * Viewers in a process of their own, for the soak and load benchmarks (./viewers.ts forks this file): in the daemon's
 * process they would share its event loop, and their parsing would count as the daemon's latency and CPU.
 *
 * Each viewer is a real `ws` client on `/ws?stream=ID`. It checks that nothing is lost — live `beat` seqs and `metrics`
 * seqs must each run 0, 1, 2, … without a break, and a `hello` after the first ones (a catch-up hello: the hub skipped
 * messages) is counted — and keeps, per live beat, its seq, beat time, `receivedAtMs` and arrival time on this
 * process's sub-millisecond wall clock. Commands come from the parent over IPC (`ViewerCommand`), answers go back as
 * `ViewerAnswer`.
 */
import WebSocket from 'ws';

export type ViewerCommand =
  /** connect these viewers; answered with `connected` once every one has its first hello */
  | { readonly type: 'connect'; readonly urls: readonly string[] }
  /** answered with `clock`: this process's wall clock, to estimate the offset between the two processes */
  | { readonly type: 'clock'; readonly parentMs: number }
  /** start the CPU window of `report` now; answered with `marked` */
  | { readonly type: 'mark' }
  /** connect one more viewer and answer with `late` once its first hello has arrived */
  | { readonly type: 'late'; readonly url: string }
  /** wait (up to `timeoutMs`) until every viewer has seen its session end, then answer with `report` and exit */
  | { readonly type: 'report'; readonly timeoutMs: number };

export interface ViewerReport {
  readonly url: string;
  /** hellos received: the one on connect, one per session started or ended, and any catch-up hello */
  readonly hellos: number;
  /** `backfill` pieces received after hellos */
  readonly pieces: number;
  /** beats already in the first hello that carried a session (a viewer that joined mid-session) */
  readonly backfillBeats: number;
  /** metrics already in it */
  readonly backfillMetrics: number;
  readonly beats: number;
  /** live beats whose seq was not the one after the previous (seqs must run on from the backfill) */
  readonly beatSeqBreaks: number;
  readonly metrics: number;
  readonly metricsSeqBreaks: number;
  readonly sessionEnded: boolean;
  readonly bytes: number;
  /** per live beat */
  readonly seq: Float64Array;
  readonly tS: Float64Array;
  readonly receivedAtMs: Float64Array;
  readonly arrivedAtMs: Float64Array;
}

export type ViewerAnswer =
  | { readonly type: 'connected' }
  | { readonly type: 'clock'; readonly parentMs: number; readonly childMs: number }
  | { readonly type: 'marked' }
  | {
      readonly type: 'late';
      /** from opening the socket to the whole hello (and its last backfill piece) having arrived, ms */
      readonly helloMs: number;
      readonly helloBytes: number;
      readonly helloBeats: number;
    }
  | {
      readonly type: 'report';
      readonly viewers: readonly ViewerReport[];
      /** CPU time of this process since `mark`, ms, and the wall time it was measured over */
      readonly cpuMs: number;
      readonly wallMs: number;
    };

const preciseNowMs = (): number => performance.timeOrigin + performance.now();

/** A growable column of doubles: no per-beat objects (a soak keeps ~125 000 beats). */
class Column {
  private data = new Float64Array(4096);
  length = 0;
  push(x: number): void {
    if (this.length === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = x;
  }
  values(): Float64Array {
    return this.data.slice(0, this.length);
  }
}

class Viewer {
  readonly ws: WebSocket;
  readonly firstHello: Promise<{ atMs: number; bytes: number; beats: number }>;
  readonly ended: Promise<void>;
  private hellos = 0;
  private backfillBeats = 0;
  private backfillMetrics = 0;
  private nextBeatSeq = 0;
  private nextMetricsSeq = 0;
  private beats = 0;
  private beatSeqBreaks = 0;
  private metrics = 0;
  private metricsSeqBreaks = 0;
  private sessionEnded = false;
  private bytes = 0;
  /** the last hello and its backfill pieces so far */
  private helloBytes = 0;
  private helloBeats = 0;
  private pieces = 0;
  private backfilling = false;
  private readonly seq = new Column();
  private readonly tS = new Column();
  private readonly receivedAtMs = new Column();
  private readonly arrivedAtMs = new Column();

  constructor(readonly url: string) {
    this.ws = new WebSocket(url);
    let helloArrived: (h: { atMs: number; bytes: number; beats: number }) => void = () => {};
    let failed: (err: Error) => void = () => {};
    this.firstHello = new Promise((resolve, reject) => {
      helloArrived = resolve;
      failed = reject;
    });
    let markEnded: () => void = () => {};
    this.ended = new Promise((resolve) => {
      markEnded = resolve;
    });
    this.ws.on('error', (err) => failed(err));
    this.ws.on('message', (data: Buffer) => {
      const arrivedAtMs = preciseNowMs();
      this.bytes += data.length;
      const text = data.toString();
      if (text.startsWith('{"type":"beat"')) {
        const beat = JSON.parse(text) as { seq: number; tS: number; receivedAtMs: number };
        if (beat.seq !== this.nextBeatSeq) this.beatSeqBreaks++;
        this.nextBeatSeq = beat.seq + 1;
        this.beats++;
        this.seq.push(beat.seq);
        this.tS.push(beat.tS);
        this.receivedAtMs.push(beat.receivedAtMs);
        this.arrivedAtMs.push(arrivedAtMs);
      } else if (text.startsWith('{"type":"metrics"')) {
        const { seq } = JSON.parse(text) as { seq: number };
        if (seq !== this.nextMetricsSeq) this.metricsSeqBreaks++;
        this.nextMetricsSeq = seq + 1;
        this.metrics++;
      } else if (text.startsWith('{"type":"hello"')) {
        const hello = JSON.parse(text) as {
          session: { beats: { seq: number[] }; metrics: { tS: number[] }; more: boolean } | null;
        };
        this.hellos++;
        const beats = hello.session?.beats.seq.length ?? 0;
        this.helloBytes = data.length;
        this.helloBeats = beats;
        this.backfilling = hello.session?.more === true;
        if (this.hellos === 1 && !this.backfilling) helloArrived({ atMs: arrivedAtMs, bytes: data.length, beats });
        if (hello.session && this.beats === 0 && this.metrics === 0) {
          // Joined mid-session: live messages run on from the backfill.
          this.backfillBeats = beats;
          this.backfillMetrics = hello.session.metrics.tS.length;
          this.nextBeatSeq = beats;
          this.nextMetricsSeq = this.backfillMetrics;
        }
      } else if (text.startsWith('{"type":"backfill"')) {
        // The rest of a long session's history, in pieces after the hello: live messages follow the last one.
        const piece = JSON.parse(text) as { beats: { seq: number[] }; metrics: { tS: number[] }; last: boolean };
        this.pieces++;
        this.helloBytes += data.length;
        this.helloBeats += piece.beats.seq.length;
        if (this.beats === 0 && this.metrics === 0) {
          this.backfillBeats += piece.beats.seq.length;
          this.backfillMetrics += piece.metrics.tS.length;
          this.nextBeatSeq = this.backfillBeats;
          this.nextMetricsSeq = this.backfillMetrics;
        }
        if (piece.last && this.backfilling) {
          this.backfilling = false;
          if (this.hellos === 1) helloArrived({ atMs: arrivedAtMs, bytes: this.helloBytes, beats: this.helloBeats });
        }
      } else if (text.startsWith('{"type":"session"')) {
        this.sessionEnded = true;
        markEnded();
      }
    });
  }

  report(): ViewerReport {
    return {
      url: this.url,
      hellos: this.hellos,
      pieces: this.pieces,
      backfillBeats: this.backfillBeats,
      backfillMetrics: this.backfillMetrics,
      beats: this.beats,
      beatSeqBreaks: this.beatSeqBreaks,
      metrics: this.metrics,
      metricsSeqBreaks: this.metricsSeqBreaks,
      sessionEnded: this.sessionEnded,
      bytes: this.bytes,
      seq: this.seq.values(),
      tS: this.tS.values(),
      receivedAtMs: this.receivedAtMs.values(),
      arrivedAtMs: this.arrivedAtMs.values(),
    };
  }
}

const viewers: Viewer[] = [];
let cpuMark = process.cpuUsage();
let wallMarkMs = preciseNowMs();

function answer(message: ViewerAnswer): Promise<void> {
  return new Promise((resolve, reject) => {
    process.send?.(message, undefined, {}, (err) => (err ? reject(err) : resolve()));
  });
}

async function handle(command: ViewerCommand): Promise<void> {
  switch (command.type) {
    case 'connect': {
      const added = command.urls.map((url) => new Viewer(url));
      viewers.push(...added);
      await Promise.all(added.map((v) => v.firstHello));
      await answer({ type: 'connected' });
      return;
    }
    case 'clock':
      await answer({ type: 'clock', parentMs: command.parentMs, childMs: preciseNowMs() });
      return;
    case 'mark':
      cpuMark = process.cpuUsage();
      wallMarkMs = preciseNowMs();
      await answer({ type: 'marked' });
      return;
    case 'late': {
      const openedAtMs = preciseNowMs();
      const viewer = new Viewer(command.url);
      viewers.push(viewer);
      const hello = await viewer.firstHello;
      await answer({
        type: 'late',
        helloMs: hello.atMs - openedAtMs,
        helloBytes: hello.bytes,
        helloBeats: hello.beats,
      });
      return;
    }
    case 'report': {
      const timeout = new Promise((resolve) => setTimeout(resolve, command.timeoutMs));
      await Promise.race([Promise.all(viewers.map((v) => v.ended)), timeout]);
      const cpu = process.cpuUsage(cpuMark);
      await answer({
        type: 'report',
        viewers: viewers.map((v) => v.report()),
        cpuMs: (cpu.user + cpu.system) / 1000,
        wallMs: preciseNowMs() - wallMarkMs,
      });
      for (const v of viewers) v.ws.terminate();
      process.disconnect();
      return;
    }
  }
}

process.on('message', (command: ViewerCommand) => {
  handle(command).catch((err) => {
    process.stderr.write(`viewer process: ${String(err)}\n`);
    process.exit(1);
  });
});
