/** `npm run bench`: prints speed and memory figures. Run from the project root (the script builds dist/ first). */
import { bleBenchmarks } from './ble.js';
import { daemonBenchmarks } from './daemon.js';
import { engineBenchmarks } from './engine.js';
import { printFigures } from './report.js';

printFigures('HRV engine', await engineBenchmarks());
printFigures('Daemon', await daemonBenchmarks());
printFigures('Bluetooth (noble + virtual H10)', await bleBenchmarks());
