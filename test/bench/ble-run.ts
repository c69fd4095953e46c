/**
 * One run of the Bluetooth latency benchmark, in a process of its own (forked by ./ble.ts with `--import tsx`): the
 * noble it loads keeps a 1 s adapter poll and exit/SIGINT listeners for the life of the process, and the socket seam
 * hooks `Module._load`, so none of it may stay behind in the process that runs the other benchmarks.
 *
 * The virtual H10 is installed as the `--require …/preload.cjs` path of the end-to-end test installs it
 * (`installVirtualH10`: the seam, the controller as the active adapter, its strap clock as the Bluetooth source's
 * clock), and the source loads its own noble on it (`loadFreshNoble`, as the source tests do). An in-process daemon
 * (store, pipeline, server) streams to one viewer over a real loopback WebSocket.
 *
 * Measured for every beat: from the moment the strap hands the 0x2A37 notification that carries it to the virtual
 * radio (the strap's journal entry, emitted synchronously right before `sendAtt`) to the moment its `beat` message
 * fires at the viewer. Both ends read `performance.timeOrigin + performance.now()` in this one process: wall time
 * with sub-millisecond resolution, whatever the strap clock's speed. The k-th RR value the strap sends is beat seq k
 * (the session starts before the strap is found, and one link carries the whole run); each pair is checked by value.
 *
 *   argv: <speed> <seconds of wall time, counted from the first notification> <warm-up beats>
 *   result: a BleRunResult sent to the parent over IPC
 */
import pino from 'pino';
import { loadFreshNoble, nobleSource } from '../../src/ble/noble-source.js';
import { ticksToMs } from '../../src/hrv/units.js';
import { installVirtualH10 } from '../../src/testing/virtual-h10/index.js';
import { preciseNowMs, viewer, withDaemon } from './daemon.js';

export interface BleRunResult {
  readonly speed: number;
  readonly wallSeconds: number;
  readonly notifications: number;
  readonly warmUpBeats: number;
  /** ms, one per beat after the warm-up, in seq order */
  readonly latenciesMs: number[];
}

const RECORDING = 'recordings/bartels_rest_rri.txt';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function run(speed: number, seconds: number, warmUpBeats: number): Promise<BleRunResult> {
  const controller = installVirtualH10({ speed, strap: { recording: RECORDING, whenRrEnd: 'loop' } });
  /** per RR value sent, in order (index = beat seq): when its notification went to the radio, and its value */
  const sent: { atMs: number; rrMs: number }[] = [];
  const arrived: number[] = [];
  let notifications = 0;
  let measuring = true;
  let firstSent: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    firstSent = resolve;
  });
  controller.strap.observe((entry) => {
    if (entry.kind !== 'notify' || !measuring) return;
    const atMs = preciseNowMs();
    notifications++;
    for (const ticks of entry.rrTicks) sent.push({ atMs, rrMs: ticksToMs(ticks) });
    firstSent();
  });

  const log = pino({ level: 'warn' });
  const source = nobleSource({ log: log.child({ module: 'ble' }), loadNoble: loadFreshNoble });
  try {
    await withDaemon(
      source,
      async (url) => {
        let liveBeats = 0;
        let received = 0;
        let mismatch: string | null = null;
        const v = await viewer(url, (beat, arrivedAtMs) => {
          liveBeats++;
          const s = sent[beat.seq];
          if (s === undefined) return; // sent after the end of the measurement
          if (s.rrMs !== beat.rrMs) {
            mismatch ??= `beat ${beat.seq} is ${beat.rrMs} ms, but the strap's RR value ${beat.seq} was ${s.rrMs} ms`;
          }
          arrived[beat.seq] = arrivedAtMs;
          received++;
        });
        await Promise.race([
          started,
          sleep(30_000).then(() => Promise.reject(new Error('the virtual strap sent nothing within 30 s'))),
        ]);
        await sleep(seconds * 1000);
        measuring = false;
        const deadline = Date.now() + 5_000;
        while (received < sent.length) {
          if (Date.now() > deadline) {
            throw new Error(`${sent.length - received} of the ${sent.length} beats sent never reached the viewer`);
          }
          await sleep(20);
        }
        if (mismatch !== null) throw new Error(`beats paired with the wrong RR values: ${mismatch}`);
        // Every beat reached the viewer live: none came in a hello (not the first, not one after falling behind).
        if (v.state.rehellos !== 1 || v.state.beats !== liveBeats) {
          throw new Error(`the viewer got beats in a hello (${v.state.rehellos} hellos); the pairing would be wrong`);
        }
        v.ws.close();
      },
      { demo: false },
    );
  } finally {
    controller.close();
  }
  return {
    speed,
    wallSeconds: seconds,
    notifications,
    warmUpBeats,
    latenciesMs: sent.slice(warmUpBeats).map((s, i) => arrived[i + warmUpBeats] - s.atMs),
  };
}

const [speed, seconds, warmUpBeats] = process.argv.slice(2).map(Number);
try {
  const result = await run(speed, seconds, warmUpBeats);
  // (exit explicitly: noble's adapter poll would keep the process alive)
  if (process.send) process.send(result, () => process.exit(0));
  else {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    process.exit(0);
  }
} catch (err) {
  process.stderr.write(`Bluetooth latency run failed: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
}
