/** `npm run bench`: prints speed and memory figures. Run from the project root (the script builds dist/ first). */
import { daemonBenchmarks } from './daemon.js';
import { engineBenchmarks } from './engine.js';
import { printFigures } from './report.js';

printFigures('HRV engine', await engineBenchmarks());
printFigures('Daemon', await daemonBenchmarks());
