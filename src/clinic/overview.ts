/**
 * The clinic's live picture, built from the checked messages of the topic tree (./messages.ts): every table that has
 * said anything, online or offline (a table that went offline stays listed as offline), its streams with their strap
 * state and latest metrics, and the messages ignored as malformed, counted by reason. No client name reaches MQTT,
 * so none is here either. In memory only; the MQTT client is ./subscriber.ts.
 */
import type { TreeMessage } from './messages.js';
import {
  MALFORMED_REASONS,
  type MalformedCounts,
  type MalformedReason,
  type StreamView,
  type TableView,
} from './shapes.js';

export type { MalformedCounts, StreamView, TableView } from './shapes.js';

interface TableEntry {
  online: boolean;
  recording: boolean | null;
  /** the streams of the last status, in its order */
  listed: string[];
  streams: Map<string, { state: StreamView['state']; metrics: StreamView['metrics']; metricsAtMs: number | null }>;
  seenAtMs: number | null;
}

export type OverviewListener = (table: TableView, cause: TreeMessage['kind']) => void;

export class ClinicOverview {
  private readonly tables = new Map<string, TableEntry>();
  private readonly counts: MalformedCounts = Object.fromEntries(
    MALFORMED_REASONS.map((r) => [r, 0]),
  ) as MalformedCounts;
  private readonly listeners = new Set<OverviewListener>();
  /** messages taken in */
  accepted = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Tables by name. */
  get all(): TableView[] {
    return [...this.tables.keys()].sort().map((name) => this.view(name) as TableView);
  }

  get malformed(): MalformedCounts {
    return { ...this.counts };
  }

  get malformedTotal(): number {
    return MALFORMED_REASONS.reduce((sum, r) => sum + this.counts[r], 0);
  }

  table(name: string): TableView | null {
    return this.view(name);
  }

  /** Called with each table that changed, after the change. */
  onChange(listener: OverviewListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  countMalformed(reason: MalformedReason): void {
    this.counts[reason] += 1;
  }

  apply(message: TreeMessage): void {
    this.accepted += 1;
    const nowMs = this.now();
    let entry = this.tables.get(message.table);
    if (!entry) {
      entry = { online: false, recording: null, listed: [], streams: new Map(), seenAtMs: null };
      this.tables.set(message.table, entry);
    }
    // The last will is the broker speaking for the table: it does not count as hearing from it.
    if (!(message.kind === 'status' && !message.payload.online)) entry.seenAtMs = nowMs;
    switch (message.kind) {
      case 'status': {
        const p = message.payload;
        entry.online = p.online;
        if (p.recording !== undefined) entry.recording = p.recording;
        if (p.streams !== undefined) {
          entry.listed = [...p.streams];
          // A stream no longer listed and with no retained state left is gone.
          for (const [id, s] of entry.streams)
            if (!entry.listed.includes(id) && s.state === null) entry.streams.delete(id);
        }
        break;
      }
      case 'state': {
        const { v: _v, table: _t, stream: _s, ...state } = message.payload;
        this.stream(entry, message.stream).state = state;
        break;
      }
      case 'state-cleared': {
        const s = entry.streams.get(message.stream);
        if (s) s.state = null;
        if (!entry.listed.includes(message.stream)) entry.streams.delete(message.stream);
        break;
      }
      case 'metrics': {
        const { v: _v, table: _t, stream: _s, ...metrics } = message.payload;
        const s = this.stream(entry, message.stream);
        s.metrics = metrics;
        s.metricsAtMs = nowMs;
        break;
      }
    }
    const view = this.view(message.table) as TableView;
    for (const listener of this.listeners) listener(view, message.kind);
  }

  private stream(entry: TableEntry, id: string) {
    let s = entry.streams.get(id);
    if (!s) {
      s = { state: null, metrics: null, metricsAtMs: null };
      entry.streams.set(id, s);
    }
    return s;
  }

  private view(name: string): TableView | null {
    const e = this.tables.get(name);
    if (!e) return null;
    const ids = [...e.listed, ...[...e.streams.keys()].filter((id) => !e.listed.includes(id)).sort()];
    return {
      table: name,
      online: e.online,
      recording: e.recording,
      seenAtMs: e.seenAtMs,
      streams: ids.map((id) => {
        const s = e.streams.get(id);
        return {
          stream: id,
          state: s?.state ?? null,
          metrics: s?.metrics ?? null,
          metricsReceivedAtMs: s?.metricsAtMs ?? null,
        };
      }),
    };
  }
}
