// Preload (`node --import`): writes the URL of every module resolved under node_modules/<package>/, for the packages
// named (comma-separated) by TABLESIDE_WATCH_PACKAGES, to the file named by TABLESIDE_WATCH_MODULES, so a test can
// tell whether a process loaded, say, the PostgreSQL driver or the MQTT client.
import { register } from 'node:module';

register('./module-watch-hooks.mjs', import.meta.url);
