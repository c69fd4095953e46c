// The rooms of src/ and the arrows allowed between them (docs/architecture.md draws them). `npm run check` fails on
// an import that is not one of these arrows, on an import cycle, and on impure imports in src/hrv/.
//
// A room may import itself and the rooms listed for it; everything else is an upward or sideways arrow.
/** @type {Record<string, string[]>} */
const MAY_IMPORT = {
  hrv: [], // the HRV maths: pure
  domain: ['hrv'], // the shared vocabulary: samples, beats, events, kinds, the 0x2A37 decoder
  session: ['hrv', 'domain'], // session summaries: pure
  tracking: ['hrv', 'domain'], // a client's weeks: daily values, baselines, normal range, techniques (pure statistics)
  store: ['hrv', 'domain'], // the SQLite store
  pipeline: ['hrv', 'domain'], // RxJS operators on beat time
  host: ['domain'], // machine plumbing: config, paths, token, certificate, addresses, logger, connection credentials
  io: ['hrv', 'domain', 'session', 'store', 'tracking'], // file readers and writers (exports of stored sessions)
  sources: ['hrv', 'domain', 'io'], // replay, simulated strap
  ble: ['hrv', 'domain'], // the noble source
  viewers: ['hrv', 'domain', 'session', 'store', 'tracking'], // the viewers' hub and the protocol
  daemon: ['hrv', 'domain', 'session', 'tracking', 'store', 'pipeline', 'io', 'sources', 'ble', 'viewers'], // the live core
  outlets: ['hrv', 'domain', 'session', 'viewers', 'daemon', 'host'], // sinks beside the viewers: the MQTT outlet
  // the clinic: its records in PostgreSQL (the outbox's sender, the reader of a client's record across rooms) and
  // the overview's live picture from MQTT; of outlets/, only the topic tree and the broker settings (a rule below)
  clinic: ['hrv', 'domain', 'session', 'tracking', 'io', 'store', 'host', 'outlets'],
  server: ['hrv', 'domain', 'session', 'tracking', 'store', 'io', 'ble', 'viewers', 'daemon', 'host', 'clinic'], // the HTTP side
  cli: [
    'hrv',
    'domain',
    'session',
    'tracking',
    'store',
    'pipeline',
    'io',
    'sources',
    'ble',
    'viewers',
    'daemon',
    'server',
    'host',
    'outlets',
    'clinic',
  ],
  testing: ['hrv', 'domain', 'io', 'ble'], // test doubles (the virtual H10): never imported by the product
};

const rooms = Object.keys(MAY_IMPORT);

const layerRules = rooms.map((room) => ({
  name: `layer-${room}`,
  comment: `src/${room}/ may import only ${MAY_IMPORT[room].length ? MAY_IMPORT[room].join(', ') : 'itself'} (docs/architecture.md)`,
  severity: 'error',
  from: { path: `^src/${room}/` },
  to: {
    path: '^src/',
    pathNot: [`^src/${room}/`, ...MAY_IMPORT[room].map((r) => `^src/${r}/`)],
  },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'no-cycles',
      comment: 'modules import each other round in a circle (src/ and the pages in web/)',
      severity: 'error',
      from: { path: '^(src|web)/' },
      to: { circular: true },
    },
    {
      name: 'unknown-room',
      comment: 'every folder of src/ is a room listed in .dependency-cruiser.cjs and docs/architecture.md',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/(${rooms.join('|')})/` },
      to: {},
    },
    {
      name: 'hrv-pure',
      comment: 'src/hrv/ is pure maths: no Node built-ins, no RxJS, no I/O; fft.ts alone imports fft.js',
      severity: 'error',
      from: { path: '^src/hrv/' },
      to: {
        dependencyTypes: ['core', 'npm', 'npm-dev', 'npm-optional', 'npm-peer', 'npm-no-pkg', 'npm-unknown'],
        pathNot: '^node_modules/fft\\.js/',
      },
    },
    {
      name: 'fft-js-once',
      comment: 'only src/hrv/fft.ts imports fft.js',
      severity: 'error',
      from: { pathNot: '^src/hrv/fft\\.ts$' },
      to: { path: '^node_modules/fft\\.js/' },
    },
    {
      name: 'mqtt-once',
      comment: "only the table's outlet (src/outlets/mqtt.ts) and the overview's subscriber import mqtt",
      severity: 'error',
      from: { pathNot: ['^src/outlets/mqtt\\.ts$', '^src/clinic/subscriber\\.ts$'] },
      to: { path: '^node_modules/mqtt/' },
    },
    {
      name: 'pg-once',
      comment: 'only src/clinic/pg.ts loads pg (lazily: a table without --clinic-db never loads it)',
      severity: 'error',
      from: { pathNot: '^src/clinic/pg\\.ts$' },
      to: { path: '^node_modules/(@types/pg|pg|pg-[a-z-]+)/' },
    },
    {
      name: 'clinic-outlets',
      comment: "src/clinic/ reads the topic tree and the broker settings of src/outlets/, never the table's outlet",
      severity: 'error',
      from: { path: '^src/clinic/' },
      to: { path: '^src/outlets/', pathNot: '^src/outlets/(mqtt-topics|mqtt-settings)\\.ts$' },
    },
    {
      name: 'noble-once',
      comment: 'only src/ble/noble-source.ts loads noble (lazily)',
      severity: 'error',
      from: { path: '^src/', pathNot: ['^src/ble/noble-source\\.ts$', '^src/testing/'] },
      to: { path: '^node_modules/@abandonware/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default'] },
  },
};
