/** `npm run bench`: prints speed and memory figures. Run from the project root (the script builds dist/ first). */
import { bleBenchmarks } from './ble.js';
import { browserBenchmarks } from './browser.js';
import { daemonBenchmarks } from './daemon.js';
import { engineBenchmarks } from './engine.js';
import { printFigures } from './report.js';

printFigures('HRV engine', await engineBenchmarks());
printFigures('Daemon', await daemonBenchmarks());
printFigures('Bluetooth (noble + virtual H10)', await bleBenchmarks());

const browser = await browserBenchmarks();
printFigures('Browser: beat-to-screen latency (Chromium, simulate --seed 3 --speed 1, 60 s)', browser.latency);
printFigures(
  'Browser: smoothness over a 2 h session (Chromium, simulate --seed 5 --duration 7200 --speed 60)',
  browser.smoothness,
);
