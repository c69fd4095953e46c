/**
 * The clinic overview's shapes, as the server keeps them and the page receives them (web/clinic/ reads these types):
 * a table and its streams, the reasons a message of the topic tree is ignored, the broker's state, and the
 * overview socket's messages. Types and lists only: no Node, so the page's type check can read it.
 */
import type { MetricsPayload, StatePayload } from '../outlets/mqtt-topics.js';

/** Why a message of the topic tree was ignored (./messages.ts checks; the overview counts them by reason). */
export const MALFORMED_REASONS = [
  /** not `tableside/v1/<table>/status`, `…/<table>/<stream>/state` or `…/metrics`, or a name that is no table name */
  'topic',
  /** not a JSON object (an empty payload is one only where it clears a stream's state) */
  'json',
  /** `v` is not 1 */
  'version',
  /** the payload's `table` (or `stream`) is not the topic's */
  'name',
  /** a documented field missing, of the wrong type or out of its values */
  'fields',
] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];
export type MalformedCounts = Record<MalformedReason, number>;

export interface StreamView {
  readonly stream: string;
  /** the retained state; null until the table has said it */
  readonly state: Omit<StatePayload, 'v' | 'table' | 'stream'> | null;
  /** the latest metrics; null until one came */
  readonly metrics: Omit<MetricsPayload, 'v' | 'table' | 'stream'> | null;
  /** when that metric reached the overview, ms since the epoch (the overview's clock) */
  readonly metricsReceivedAtMs: number | null;
}

export interface TableView {
  readonly table: string;
  /** from the retained status: false when the table stopped, or the broker said so for it (last will) */
  readonly online: boolean;
  /** the table's store records (null: not said) */
  readonly recording: boolean | null;
  readonly streams: readonly StreamView[];
  /**
   * the last message from this table while it was online, ms since the epoch (the overview's clock); null when this
   * overview never heard it online (it learned of it from the broker's retained last will)
   */
  readonly seenAtMs: number | null;
}

/** How the broker answers the overview: `refused` is a wrong user name or password (or a user it does not allow). */
export type BrokerState = 'connecting' | 'connected' | 'unreachable' | 'refused' | 'lost';

/**
 * How the clinic database answers the overview: `refused` (user name or password), `schema` (a schema this tableside
 * does not know: a newer one), `failed` (anything else; the log says what).
 */
export type DatabaseState = 'connecting' | 'ready' | 'unreachable' | 'refused' | 'schema' | 'failed';

export interface ClinicHealth {
  readonly broker: { readonly shown: string; readonly state: BrokerState };
  /** the clinic database (clients' records); null when the overview runs without --clinic-db */
  readonly database: { readonly shown: string; readonly state: DatabaseState } | null;
  readonly tables: number;
  readonly online: number;
  /** messages taken in since the start */
  readonly accepted: number;
  /** messages ignored since the start, by reason */
  readonly malformed: MalformedCounts & { readonly total: number };
}

/**
 * `/clinic/ws`, server → page. Every message carries `nowMs`, the server's clock, so that a page on another device
 * can tell the age of a metric without trusting its own clock.
 */
export type ClinicSocketMessage =
  | {
      readonly type: 'overview';
      readonly nowMs: number;
      readonly tables: readonly TableView[];
      readonly health: ClinicHealth;
    }
  | { readonly type: 'table'; readonly nowMs: number; readonly table: TableView }
  | { readonly type: 'health'; readonly nowMs: number; readonly health: ClinicHealth }
  | { readonly type: 'pong'; readonly nowMs: number };
