/**
 * noble must stay out of every process that does not use a strap: it opens the HCI socket when it is required and
 * throws on a machine without Bluetooth (ble.md §3.1). Only src/ble/noble-source.ts may load it, and only lazily.
 * This file runs in its own worker, so nothing else has loaded noble here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const srcDir = join(root, 'src');
const require = createRequire(import.meta.url);

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return /\.(ts|cts|mts|js|cjs|mjs)$/.test(e.name) ? [path] : [];
  });
}

const BLE_MODULES = /[\\/]@abandonware[\\/](noble|bluetooth-hci-socket)[\\/]/;
const loadedBleModules = () => Object.keys(require.cache).filter((path) => BLE_MODULES.test(path));

describe('noble is loaded only by the Bluetooth source, and only when it starts', () => {
  it('no source file imports noble statically; only noble-source.ts loads it, inside a function', () => {
    const importers: string[] = [];
    for (const file of sourceFiles(srcDir)) {
      const text = readFileSync(file, 'utf8');
      const rel = relative(root, file).replaceAll('\\', '/');
      expect(text, `${rel} imports noble at module level`).not.toMatch(
        /^\s*(import|export)\b[^;]*from\s*['"]@abandonware\/noble/m,
      );
      expect(text, `${rel} imports noble at module level`).not.toMatch(/^\s*import\s*['"]@abandonware\/noble/m);
      if (/(import\s*\(|require\s*\()\s*['"]@abandonware\/noble/.test(text)) importers.push(rel);
    }
    expect(importers).toEqual(['src/ble/noble-source.ts']);
  });

  it('loading the daemon, the sources, the CLI program and the Bluetooth source does not load noble', async () => {
    const files = sourceFiles(srcDir).filter(
      (f) =>
        f.endsWith('.ts') && !f.endsWith(join('cli', 'main.ts')) && !f.includes(`${join('testing', 'virtual-h10')}`),
    );
    expect(files.map((f) => relative(srcDir, f).replaceAll('\\', '/'))).toEqual(
      expect.arrayContaining([
        'sources/replay.ts',
        'sources/simulated.ts',
        'daemon/daemon.ts',
        'cli/program.ts',
        'cli/ble-commands.ts',
        'ble/noble-source.ts',
      ]),
    );
    for (const file of files) await import(pathToFileURL(file).href);
    expect(loadedBleModules()).toEqual([]);

    // And the check can see noble when it is there: start a source on the virtual adapter.
    const { substituteHciSocket, useVirtualController, VirtualController } = await import(
      '../../src/testing/virtual-h10/index.js'
    );
    const { loadFreshNoble } = await import('../../src/ble/noble-source.js');
    substituteHciSocket();
    const controller = new VirtualController({ speed: 'manual' });
    useVirtualController(controller);
    try {
      await loadFreshNoble();
      expect(loadedBleModules().some((p) => p.includes('noble'))).toBe(true);
      // The substituted socket was used: the native module was never loaded.
      expect(loadedBleModules().some((p) => /bluetooth-hci-socket/.test(p))).toBe(false);
    } finally {
      controller.close();
    }
  });
});
