/**
 * Puts the virtual socket where noble looks for `@abandonware/bluetooth-hci-socket` (ble.md §4.3, seam 1): a
 * `Module._load` hook, so noble's own hci-socket bindings, gap, gatt and acl-stream all run unchanged and only the
 * radio is fake. It works whether or not the native module was built. It must be installed before noble is first
 * loaded in the process: hci.js keeps the socket class in a module-level constant.
 */
import { createRequire } from 'node:module';
import { VirtualHciSocket } from './socket.js';

export const HCI_SOCKET_MODULE = '@abandonware/bluetooth-hci-socket';

const require = createRequire(import.meta.url);

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;
interface ModuleInternals {
  _load: Load & { [SUBSTITUTED]?: unknown };
  _cache: Record<string, unknown>;
}
const SUBSTITUTED = Symbol.for('tableside.virtualHciSocket');
const Module = require('node:module') as ModuleInternals;

/** True when noble's hci.js is already loaded in this process: a substitution now would be silently ignored. */
export function isNobleHciLoaded(): boolean {
  return Object.keys(Module._cache).some((path) =>
    /[\\/]@abandonware[\\/]noble[\\/]lib[\\/]hci-socket[\\/]hci\.js$/.test(path),
  );
}

/**
 * Makes every later `require('@abandonware/bluetooth-hci-socket')` return `socketClass`. Idempotent. Throws if noble
 * was loaded before (the substitution could not take effect). Returns a function that removes the hook.
 */
export function substituteHciSocket(socketClass: unknown = VirtualHciSocket): () => void {
  if (isNobleHciLoaded()) {
    throw new Error('noble was loaded before the virtual HCI socket was installed: install the seam first');
  }
  const current = Module._load;
  if (current[SUBSTITUTED] === socketClass) return () => {};
  const original = current;
  const hooked: ModuleInternals['_load'] = function (this: unknown, request, parent, isMain) {
    if (request === HCI_SOCKET_MODULE) return socketClass;
    return original.call(this, request, parent, isMain);
  };
  hooked[SUBSTITUTED] = socketClass;
  Module._load = hooked;
  return () => {
    if (Module._load === hooked) Module._load = original;
  };
}
