// The current session as the live screen knows it: rebuilt from scratch by every `hello`, then extended message by
// message (protocol v2, src/viewers/protocol.ts). Columns, like the backfill, so uPlot draws them as they are.

/**
 * @typedef {import('../../src/viewers/protocol.js').SessionBackfill} SessionBackfill
 * @typedef {import('../../src/viewers/protocol.js').SessionInfo} SessionInfo
 * @typedef {import('../../src/viewers/protocol.js').MetricsMessage} MetricsMessage
 * @typedef {import('../../src/viewers/protocol.js').PhaseMessage} PhaseMessage
 * @typedef {import('../../src/viewers/protocol.js').MarkerMessage} MarkerMessage
 * @typedef {import('../../src/viewers/protocol.js').GapMessage} GapMessage
 * @typedef {import('../../src/viewers/protocol.js').BaselineMessage} BaselineMessage
 *
 * @typedef {SessionBackfill['phases'][number]} Phase
 * @typedef {SessionBackfill['markers'][number]} Marker
 * @typedef {SessionBackfill['gaps'][number]} Gap
 * @typedef {NonNullable<SessionBackfill['baseline']>} Baseline
 * @typedef {{ seq: number[], tS: number[], rrMs: number[], kind: (string | null)[] }} Beats
 */

export class SessionModel {
  constructor() {
    /** @type {SessionInfo | null} */
    this.info = null;
    /** @type {Beats} beats by seq: [seq0, seq0 + n) */
    this.beats = { seq: [], tS: [], rrMs: [], kind: [] };
    /**
     * the RR line for the chart: a null after the last beat before a gap, so no line crosses it
     * @type {{ x: number[], y: (number | null)[] }}
     */
    this.rrLine = { x: [], y: [] };
    /** @type {{ tS: number[], rmssdMs: (number | null)[], hfMs2: (number | null)[], lnRmssd: (number | null)[] }} */
    this.metrics = { tS: [], rmssdMs: [], hfMs2: [], lnRmssd: [] };
    /** @type {Phase[]} */
    this.phases = [];
    /** @type {Map<number, Marker>} */
    this.markers = new Map();
    /** @type {Gap[]} */
    this.gaps = [];
    /** @type {Baseline | null} */
    this.baseline = null;
    /** @type {MetricsMessage | null} */
    this.latest = null;
    this.reset(null);
  }

  /**
   * From a hello's `session` (null: no session is being recorded).
   * @param {SessionBackfill | null} backfill
   */
  reset(backfill) {
    this.info = backfill?.session ?? null;
    this.beats = { seq: [], tS: [], rrMs: [], kind: [] };
    this.rrLine = { x: [], y: [] };
    this.metrics = { tS: [], rmssdMs: [], hfMs2: [], lnRmssd: [] };
    this.phases = [];
    this.markers = new Map();
    this.gaps = [];
    this.baseline = null;
    this.latest = null;
    if (!backfill) return;
    this.appendBackfill(backfill);
    this.phases = backfill.phases.map((p) => ({ ...p }));
    for (const mk of backfill.markers) this.markers.set(mk.id, { ...mk });
    this.gaps = backfill.gaps.map((g) => ({ ...g }));
    this.baseline = backfill.baseline ?? null;
    this.latest = backfill.latest ?? null;
  }

  /**
   * Beats and metrics that follow on from those held, in seq order: the hello's first piece, then each `backfill`
   * piece of a long session (live messages come after the last one).
   * @param {Pick<SessionBackfill, 'beats' | 'metrics'>} piece
   */
  appendBackfill(piece) {
    const b = piece.beats;
    for (let i = 0; i < b.seq.length; i++) {
      const n = this.beats.seq.length;
      this.addBeat(b.seq[i], b.tS[i], b.rrMs[i], b.gapBefore[i]);
      if (this.beats.seq.length > n) this.beats.kind[n] = b.kind[i];
    }
    const m = piece.metrics;
    for (let i = 0; i < m.tS.length; i++) {
      this.metrics.tS.push(m.tS[i]);
      this.metrics.rmssdMs.push(m.rmssdMs[i]);
      this.metrics.hfMs2.push(m.hfMs2[i]);
      this.metrics.lnRmssd.push(m.lnRmssd[i]);
    }
  }

  get lastBeatS() {
    const t = this.beats.tS;
    return t.length > 0 ? t[t.length - 1] : 0;
  }

  /**
   * @param {number} seq
   * @param {number} tS
   * @param {number} rrMs
   * @param {boolean} gapBefore
   */
  addBeat(seq, tS, rrMs, gapBefore) {
    const b = this.beats;
    if (b.seq.length > 0 && seq <= b.seq[b.seq.length - 1]) return; // already have it (hello raced a beat)
    b.seq.push(seq);
    b.tS.push(tS);
    b.rrMs.push(rrMs);
    b.kind.push(null);
    if (gapBefore && this.rrLine.x.length > 0) {
      this.rrLine.x.push(tS - rrMs / 1000);
      this.rrLine.y.push(null);
    }
    this.rrLine.x.push(tS);
    this.rrLine.y.push(rrMs);
  }

  /** @param {MetricsMessage} m */
  onMetrics(m) {
    const ms = this.metrics;
    if (ms.tS.length > 0 && m.tS < ms.tS[ms.tS.length - 1]) return;
    ms.tS.push(m.tS);
    ms.rmssdMs.push(m.rmssdMs);
    ms.hfMs2.push(m.hfMs2);
    ms.lnRmssd.push(m.lnRmssd);
    const seq0 = this.beats.seq[0];
    if (seq0 !== undefined) {
      const i = m.seq - seq0;
      if (i >= 0 && i < this.beats.kind.length) this.beats.kind[i] = m.kind;
    }
    this.latest = m;
  }

  /** @param {PhaseMessage} p */
  onPhase(p) {
    if (!this.phases.some((x) => x.id === p.id)) this.phases.push({ id: p.id, kind: p.kind, startedAtS: p.startedAtS });
  }

  /** @param {MarkerMessage} m */
  onMarker(m) {
    this.markers.set(m.id, { id: m.id, kind: m.kind, value: m.value, atS: m.atS, undone: m.undone });
  }

  /** @param {GapMessage} g */
  onGap(g) {
    this.gaps.push({ fromS: g.fromS, toS: g.toS, reason: g.reason });
  }

  /** @param {BaselineMessage} b */
  onBaseline(b) {
    this.baseline = { phaseId: b.phaseId, fromS: b.fromS, toS: b.toS, reference: b.reference };
  }

  /**
   * The phase running now (the latest started), or null.
   * @returns {Phase | null}
   */
  get currentPhase() {
    /** @type {Phase | null} */
    let current = null;
    for (const p of this.phases) if (current === null || p.startedAtS >= current.startedAtS) current = p;
    return current;
  }

  /** Markers in time order. */
  get markerList() {
    return [...this.markers.values()].sort((a, b) => a.atS - b.atS || a.id - b.id);
  }

  /**
   * The newest marker that is not undone, or null.
   * @returns {Marker | null}
   */
  get lastUndoable() {
    /** @type {Marker | null} */
    let last = null;
    for (const m of this.markers.values()) if (!m.undone && (last === null || m.id > last.id)) last = m;
    return last;
  }
}
