// Preload (`node --import`): writes the URL of every module resolved under node_modules/pg/ to the file named by
// TABLESIDE_WATCH_MODULES, so a test can tell whether a process loaded the PostgreSQL driver.
import { register } from 'node:module';

register('./module-watch-hooks.mjs', import.meta.url);
