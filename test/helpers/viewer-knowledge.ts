/**
 * What a viewer knows of its stream's session from the messages it received, rebuilt as the page does it: the last
 * `hello` that carries a session, the `backfill` pieces that follow it (a long session), then the live messages.
 */

type Message = Readonly<Record<string, unknown>>;

interface Columns {
  readonly beats: { seq: number[]; tS: number[]; rrMs: number[] };
  readonly metrics: { tS: number[] };
}

export interface Known {
  readonly sessionId: number;
  /** every beat, backfilled then live, in the order received */
  readonly seq: number[];
  readonly tS: number[];
  readonly rrMs: number[];
  /** beats that came in the hello and its pieces */
  readonly backfilled: number;
  /** metrics that came in the hello and its pieces */
  readonly backfilledMetrics: number;
  /** `backfill` pieces after the hello */
  readonly pieces: number;
  /** index (in `messages`) of the message that ended the backfill: the hello, or its last piece */
  readonly backfillEndsAt: number;
}

/** Throws when no hello carried a session. */
export function knownBeats(messages: readonly Message[]): Known {
  const helloAt = messages.findLastIndex((m) => m.type === 'hello' && m.session !== null);
  if (helloAt < 0) throw new Error('no hello with a session');
  const session = (messages[helloAt] as { session: Columns & { session: { id: number } } }).session;
  const known = { seq: [] as number[], tS: [] as number[], rrMs: [] as number[] };
  let metrics = 0;
  const take = (c: Columns) => {
    known.seq.push(...c.beats.seq);
    known.tS.push(...c.beats.tS);
    known.rrMs.push(...c.beats.rrMs);
    metrics += c.metrics.tS.length;
  };
  take(session);
  let pieces = 0;
  let backfillEndsAt = helloAt;
  let backfilled = known.seq.length;
  for (let i = helloAt + 1; i < messages.length; i++) {
    const m = messages[i];
    if (m.type === 'backfill' && m.sessionId === session.session.id) {
      take(m as unknown as Columns);
      pieces++;
      backfillEndsAt = i;
      backfilled = known.seq.length;
    } else if (m.type === 'beat') {
      known.seq.push(m.seq as number);
      known.tS.push(m.tS as number);
      known.rrMs.push(m.rrMs as number);
    }
  }
  return { sessionId: session.session.id, ...known, backfilled, backfilledMetrics: metrics, pieces, backfillEndsAt };
}
