/**
 * Home Assistant's MQTT discovery for a table (`--mqtt-discovery`): one device per table, and for each of its streams
 * the entities that read the topics the table already publishes (./mqtt-topics.ts) — nothing is published twice, and
 * nothing else: the same tables and streams, never a client's name or note.
 *
 *   <prefix>/sensor/tableside_<table>/<stream>_<entity>/config          retained, QoS 1
 *   <prefix>/binary_sensor/tableside_<table>/<stream>_<entity>/config   retained, QoS 1
 *
 * The table's status topic is every entity's availability (its last will makes them unavailable at once). Values from
 * the metrics topic expire when none came for `METRICS_EXPIRE_S` (a session ended, a strap fell off), so a screen never
 * shows a heart rate from an hour ago as current. A value the table sends as null (settling, too irregular) renders as
 * "None", which Home Assistant shows as unknown.
 */
import {
  type MetricsPayload,
  SHIFT_VERDICTS,
  SOURCE_STATES,
  type StatePayload,
  TOPIC_VERSION,
  topics,
} from './mqtt-topics.js';

/** Metrics come at most once a second while beats arrive: values older than this are shown as unavailable, s. */
export const METRICS_EXPIRE_S = 30;

type Entity =
  | {
      readonly id: string;
      readonly name: string;
      readonly component: 'sensor';
      readonly topic: 'metrics';
      readonly field: keyof MetricsPayload;
      readonly extra: Readonly<Record<string, unknown>>;
    }
  | {
      readonly id: string;
      readonly name: string;
      readonly component: 'sensor' | 'binary_sensor';
      readonly topic: 'state';
      readonly field: keyof StatePayload;
      readonly extra: Readonly<Record<string, unknown>>;
    };

/** The entities of one stream, in the order Home Assistant lists them. */
const ENTITIES: readonly Entity[] = [
  {
    id: 'heart_rate',
    name: 'heart rate',
    component: 'sensor',
    topic: 'metrics',
    field: 'hrBpm',
    extra: {
      unit_of_measurement: 'bpm',
      state_class: 'measurement',
      icon: 'mdi:heart-pulse',
      suggested_display_precision: 0,
    },
  },
  {
    id: 'rmssd',
    name: 'RMSSD',
    component: 'sensor',
    topic: 'metrics',
    field: 'rmssdMs',
    extra: {
      unit_of_measurement: 'ms',
      state_class: 'measurement',
      icon: 'mdi:heart-flash',
      suggested_display_precision: 0,
    },
  },
  {
    id: 'ln_rmssd',
    name: 'lnRMSSD',
    component: 'sensor',
    topic: 'metrics',
    field: 'lnRmssd',
    extra: { state_class: 'measurement', suggested_display_precision: 2 },
  },
  {
    id: 'shift',
    name: 'shift',
    component: 'sensor',
    topic: 'metrics',
    field: 'shift',
    extra: { device_class: 'enum', options: SHIFT_VERDICTS },
  },
  {
    id: 'strap',
    name: 'strap',
    component: 'sensor',
    topic: 'state',
    field: 'state',
    extra: { device_class: 'enum', options: SOURCE_STATES },
  },
  {
    id: 'battery',
    name: 'strap battery',
    component: 'sensor',
    topic: 'state',
    field: 'batteryPct',
    extra: {
      device_class: 'battery',
      unit_of_measurement: '%',
      state_class: 'measurement',
      entity_category: 'diagnostic',
    },
  },
  {
    id: 'recording',
    name: 'recording',
    component: 'binary_sensor',
    topic: 'state',
    field: 'recording',
    extra: { payload_on: 'ON', payload_off: 'OFF', icon: 'mdi:record-rec' },
  },
];

/** The discovery topics and their retained payloads for a table's streams. */
export function discoveryConfigs(prefix: string, table: string, streams: readonly string[]): Map<string, object> {
  const node = `tableside_${table}`;
  const device = {
    identifiers: [node],
    name: `tableside ${table}`,
    manufacturer: 'tableside',
    model: `table (topic tree v${TOPIC_VERSION})`,
  };
  const configs = new Map<string, object>();
  for (const stream of streams) {
    for (const entity of ENTITIES) {
      const value =
        entity.component === 'binary_sensor'
          ? `{{ 'ON' if value_json.${entity.field} else 'OFF' }}`
          : `{{ value_json.${entity.field} }}`;
      configs.set(discoveryTopic(prefix, entity.component, table, stream, entity.id), {
        name: `${stream} ${entity.name}`,
        unique_id: `${node}_${stream}_${entity.id}`,
        state_topic: entity.topic === 'metrics' ? topics.metrics(table, stream) : topics.state(table, stream),
        value_template: value,
        ...(entity.topic === 'metrics' ? { expire_after: METRICS_EXPIRE_S } : {}),
        availability_topic: topics.status(table),
        availability_template: "{{ 'online' if value_json.online else 'offline' }}",
        device,
        origin: { name: 'tableside' },
        ...entity.extra,
      });
    }
  }
  return configs;
}

/** Every discovery topic of one stream: what is cleared when the stream goes. */
export function discoveryTopics(prefix: string, table: string, stream: string): string[] {
  return ENTITIES.map((e) => discoveryTopic(prefix, e.component, table, stream, e.id));
}

function discoveryTopic(prefix: string, component: string, table: string, stream: string, id: string): string {
  return `${prefix}/${component}/tableside_${table}/${stream}_${id}/config`;
}
