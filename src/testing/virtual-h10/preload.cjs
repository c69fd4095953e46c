'use strict';
/**
 * Preload for a process that should see a virtual Polar H10 instead of a Bluetooth adapter:
 *
 *   NODE_OPTIONS="--require ./src/testing/virtual-h10/preload.cjs" \
 *   TABLESIDE_VIRTUAL_H10='{"speed": 1, "strap": {"recording": "recordings/bartels_rest_rri.txt"}}' \
 *   node bin/tableside.js start
 *
 * It substitutes `@abandonware/bluetooth-hci-socket` before anything loads noble, so the real noble stack runs against
 * the virtual controller (see install.ts for the JSON). Without TABLESIDE_VIRTUAL_H10 it does nothing.
 * The TypeScript sources are loaded through tsx when it is installed (development, tests), otherwise the build in
 * dist/ is used (require of an ES module: Node ≥ 20.19).
 */
const path = require('node:path');

function loadInstaller() {
  let tsx;
  try {
    tsx = require('tsx/cjs/api');
  } catch {
    tsx = null;
  }
  if (tsx !== null) return tsx.require('./install.ts', __filename);
  return require(path.resolve(__dirname, '../../../dist/testing/virtual-h10/install.js'));
}

if (process.env.TABLESIDE_VIRTUAL_H10) loadInstaller().installVirtualH10FromEnv();
