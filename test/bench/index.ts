/**
 * `npm run bench`: prints speed and memory figures. Run from the project root (the script builds dist/ first).
 * `npm run bench -- soak load` runs only the parts named (engine, daemon, clients, ble, browser-strap, browser, soak,
 * load, logpipe, mqtt, clinic, clinic-sync).
 */
import { bleBenchmarks } from './ble.js';
import { browserBenchmarks } from './browser.js';
import { browserStrapBenchmarks } from './browser-strap.js';
import { clientBenchmarks } from './clients.js';
import { CLINIC_PROCESSES, CLINIC_SECONDS, CLINIC_TABLES, clinicBenchmarks } from './clinic.js';
import { CLINIC_SYNC_SESSIONS, clinicSyncBenchmarks } from './clinic-sync.js';
import { daemonBenchmarks } from './daemon.js';
import { engineBenchmarks } from './engine.js';
import { LOAD_SECONDS, LOAD_STRAPS, LOAD_VIEWERS_PER_STRAP, loadBenchmarks } from './load.js';
import { logPipeBenchmarks } from './logpipe.js';
import { MQTT_SECONDS, MQTT_TABLES, mqttBenchmarks } from './mqtt.js';
import { printFigures } from './report.js';
import { SOAK_HOURS, SOAK_SPEED, soakBenchmarks } from './soak.js';

const PARTS = [
  'engine',
  'daemon',
  'clients',
  'ble',
  'browser-strap',
  'browser',
  'soak',
  'load',
  'logpipe',
  'mqtt',
  'clinic',
  'clinic-sync',
] as const;
const asked = process.argv.slice(2);
const unknown = asked.filter((p) => !(PARTS as readonly string[]).includes(p));
if (unknown.length > 0) {
  process.stderr.write(`unknown benchmark part(s) ${unknown.join(', ')}: choose among ${PARTS.join(', ')}\n`);
  process.exit(2);
}
const run = (part: (typeof PARTS)[number]) => asked.length === 0 || asked.includes(part);

if (run('engine')) printFigures('HRV engine', await engineBenchmarks());
if (run('daemon')) printFigures('Daemon', await daemonBenchmarks());
if (run('clients')) printFigures("A client's record and reading import", await clientBenchmarks());
if (run('ble')) printFigures('Bluetooth (noble + virtual H10)', await bleBenchmarks());
if (run('browser-strap')) {
  printFigures('Bluetooth through the browser (Web Bluetooth page → daemon)', await browserStrapBenchmarks());
}

if (run('browser')) {
  const browser = await browserBenchmarks();
  printFigures('Browser: beat-to-screen latency (Chromium, simulate --seed 3 --speed 1, 60 s)', browser.latency);
  printFigures(
    'Browser: smoothness over a 2 h session (Chromium, simulate --seed 5 --duration 7200 --speed 60)',
    browser.smoothness,
  );
}

if (run('soak')) {
  printFigures(`Soak: ${SOAK_HOURS} h of one table at ${SOAK_SPEED}× real time, 4 viewers`, await soakBenchmarks());
}
if (run('load')) {
  printFigures(
    `Load: ${LOAD_STRAPS} simulated straps and ${LOAD_STRAPS * LOAD_VIEWERS_PER_STRAP} viewers, real time, ` +
      `${LOAD_SECONDS} s`,
    await loadBenchmarks(),
  );
}
if (run('logpipe')) {
  printFigures(
    'Log pipe: replay at 10× for 30 s, stdout on a pipe nobody reads, /api/health every 50 ms (each logging ~8 KB)',
    await logPipeBenchmarks(),
  );
}
if (run('mqtt')) {
  printFigures(
    `MQTT: ${MQTT_TABLES} simulated tables (real time) through Mosquitto, one subscriber, ${MQTT_SECONDS} s`,
    await mqttBenchmarks(),
  );
}
if (run('clinic')) {
  printFigures(
    `Clinic overview: ${CLINIC_TABLES} simulated tables (real time, ${CLINIC_PROCESSES} processes) through Mosquitto, ` +
      `the overview and its page socket, ${CLINIC_SECONDS} s`,
    await clinicBenchmarks(),
  );
}
if (run('clinic-sync')) {
  printFigures(
    `Clinic database: a table sends ${CLINIC_SYNC_SESSIONS} finished one-hour sessions to PostgreSQL (fsync on)`,
    await clinicSyncBenchmarks(),
  );
}
