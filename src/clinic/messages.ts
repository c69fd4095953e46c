/**
 * What the clinic overview accepts from the topic tree (README "Clinic: tables on MQTT"; the shapes are
 * src/outlets/mqtt-topics.ts). Every message is checked: the topic's shape, JSON, `v: 1`, the table named in the
 * payload being the topic's, and each documented field's type and values. Anything else is malformed, with one of a
 * few reasons, so the overview can count it (it never shows or logs the payload itself).
 */
import { TABLE_NAME } from '../outlets/mqtt-settings.js';
import {
  type MetricsPayload,
  SHIFT_VERDICTS,
  SOURCE_KINDS,
  SOURCE_STATES,
  type StatePayload,
  type StatusPayload,
  TOPIC_ROOT,
  TOPIC_VERSION,
} from '../outlets/mqtt-topics.js';
import type { MalformedReason } from './shapes.js';

export { MALFORMED_REASONS, type MalformedReason } from './shapes.js';

export type TreeMessage =
  | { readonly kind: 'status'; readonly table: string; readonly payload: StatusPayload }
  | { readonly kind: 'state'; readonly table: string; readonly stream: string; readonly payload: StatePayload }
  /** an empty retained state: the stream was removed */
  | { readonly kind: 'state-cleared'; readonly table: string; readonly stream: string }
  | { readonly kind: 'metrics'; readonly table: string; readonly stream: string; readonly payload: MetricsPayload };

export type Checked =
  | { readonly ok: true; readonly message: TreeMessage }
  | { readonly ok: false; readonly reason: MalformedReason; readonly detail: string };

const PREFIX = `${TOPIC_ROOT}/`;

/** Checks one message of the tree: `topic` as received, `bytes` its payload. */
export function checkMessage(topic: string, bytes: Uint8Array): Checked {
  if (!topic.startsWith(PREFIX)) return bad('topic', `not under ${TOPIC_ROOT}/`);
  const levels = topic.slice(PREFIX.length).split('/');
  const [table, second, third] = levels;
  if (table === undefined || !TABLE_NAME.test(table)) return bad('topic', 'the table level is no table name');
  let leaf: 'status' | 'state' | 'metrics';
  let stream: string | undefined;
  if (levels.length === 2 && second === 'status') leaf = 'status';
  else if (levels.length === 3 && (third === 'state' || third === 'metrics') && second !== undefined) {
    if (!TABLE_NAME.test(second)) return bad('topic', 'the stream level is no stream name');
    leaf = third;
    stream = second;
  } else return bad('topic', 'not status, <stream>/state or <stream>/metrics');

  if (bytes.length === 0 && leaf === 'state' && stream !== undefined) {
    return { ok: true, message: { kind: 'state-cleared', table, stream } };
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    return bad('json', 'not JSON');
  }
  if (!isObject(value)) return bad('json', 'not a JSON object');
  if (value.v !== TOPIC_VERSION) return bad('version', `v is not ${TOPIC_VERSION}`);
  if (value.table !== table) return bad('name', 'the payload names another table than the topic');
  if (stream !== undefined && value.stream !== stream) return bad('name', 'the payload names another stream');

  const wrong =
    leaf === 'status' ? statusProblem(value) : leaf === 'state' ? stateProblem(value) : metricsProblem(value);
  if (wrong !== null) return bad('fields', wrong);
  // Only the documented fields go on: whatever else a publisher put in the payload stays behind.
  if (leaf === 'status') {
    const payload: StatusPayload = {
      v: TOPIC_VERSION,
      table,
      online: value.online as boolean,
      ...(value.streams === undefined ? {} : { streams: [...(value.streams as string[])] }),
      ...(value.recording === undefined ? {} : { recording: value.recording as boolean }),
    };
    return { ok: true, message: { kind: 'status', table, payload } };
  }
  const s = stream as string;
  if (leaf === 'state') {
    const payload: StatePayload = {
      v: TOPIC_VERSION,
      table,
      stream: s,
      kind: value.kind as StatePayload['kind'],
      demo: value.demo as boolean,
      state: value.state as StatePayload['state'],
      batteryPct: value.batteryPct as number | null,
      session: value.session as boolean,
      recording: value.recording as boolean,
    };
    return { ok: true, message: { kind: 'state', table, stream: s, payload } };
  }
  const q = value.quality as MetricsPayload['quality'];
  const payload: MetricsPayload = {
    v: TOPIC_VERSION,
    table,
    stream: s,
    atMs: value.atMs as number,
    tS: value.tS as number,
    hrBpm: value.hrBpm as number | null,
    rmssdMs: value.rmssdMs as number | null,
    lnRmssd: value.lnRmssd as number | null,
    shift: value.shift as MetricsPayload['shift'],
    quality: { settling: q.settling, tooIrregular: q.tooIrregular, correctedPct: q.correctedPct, reason: q.reason },
  };
  return { ok: true, message: { kind: 'metrics', table, stream: s, payload } };
}

type Obj = Record<string, unknown>;

function statusProblem(o: Obj): string | null {
  if (typeof o.online !== 'boolean') return '"online" must be true or false';
  if (o.streams !== undefined) {
    if (!Array.isArray(o.streams) || !o.streams.every((s) => typeof s === 'string' && TABLE_NAME.test(s))) {
      return '"streams" must be a list of stream names';
    }
  }
  if (o.recording !== undefined && typeof o.recording !== 'boolean') return '"recording" must be true or false';
  return null;
}

function stateProblem(o: Obj): string | null {
  if (!oneOf(o.kind, SOURCE_KINDS)) return `"kind" must be one of ${SOURCE_KINDS.join(', ')}`;
  if (typeof o.demo !== 'boolean') return '"demo" must be true or false';
  if (o.state !== null && !oneOf(o.state, SOURCE_STATES)) return `"state" must be null or one of ${SOURCE_STATES}`;
  if (o.batteryPct !== null && !(isNumber(o.batteryPct) && o.batteryPct >= 0 && o.batteryPct <= 100)) {
    return '"batteryPct" must be null or 0–100';
  }
  if (typeof o.session !== 'boolean') return '"session" must be true or false';
  if (typeof o.recording !== 'boolean') return '"recording" must be true or false';
  return null;
}

function metricsProblem(o: Obj): string | null {
  if (!isNumber(o.atMs)) return '"atMs" must be a number';
  if (!isNumber(o.tS)) return '"tS" must be a number';
  for (const key of ['hrBpm', 'rmssdMs', 'lnRmssd'] as const) {
    if (o[key] !== null && !isNumber(o[key])) return `"${key}" must be null or a number`;
  }
  if (o.shift !== null && !oneOf(o.shift, SHIFT_VERDICTS)) return `"shift" must be null or one of ${SHIFT_VERDICTS}`;
  const q = o.quality;
  if (!isObject(q)) return '"quality" must be an object';
  if (typeof q.settling !== 'boolean' || typeof q.tooIrregular !== 'boolean') {
    return '"quality.settling" and "quality.tooIrregular" must be true or false';
  }
  if (!isNumber(q.correctedPct)) return '"quality.correctedPct" must be a number';
  if (q.reason !== null && typeof q.reason !== 'string') return '"quality.reason" must be null or text';
  return null;
}

function bad(reason: MalformedReason, detail: string): Checked {
  return { ok: false, reason, detail };
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function oneOf<T extends string>(value: unknown, list: readonly T[]): value is T {
  return typeof value === 'string' && (list as readonly string[]).includes(value);
}
