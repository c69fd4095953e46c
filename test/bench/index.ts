/** `npm run bench`: prints speed and memory figures. Run from the project root after `npm run build`. */
import { engineBenchmarks } from './engine.js';
import { printFigures } from './report.js';

printFigures('HRV engine', await engineBenchmarks());
