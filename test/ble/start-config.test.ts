/**
 * What `tableside start` and `tableside scan` decide without a radio: where the settings file lives, how a damaged one
 * is survived, which strap to look for, how the scan result and the set-up help read.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bluetoothSetupHelp } from '../../src/ble/strap-words.js';
import { chooseStrap, strapTable } from '../../src/cli/ble-commands.js';
import { configPath, defaultConfigDir, readConfig, writeConfig } from '../../src/host/config.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'tableside-config-'));
  dirs.push(d);
  return d;
}

describe('the settings file', () => {
  it('lives in the user config directory of each platform; TABLESIDE_CONFIG_DIR overrides it', () => {
    expect(defaultConfigDir({ XDG_CONFIG_HOME: '/x/conf' }, 'linux')).toBe('/x/conf/tableside');
    expect(defaultConfigDir({}, 'linux')).toBe(join(homedir(), '.config', 'tableside'));
    expect(defaultConfigDir({}, 'darwin')).toBe(join(homedir(), 'Library', 'Preferences', 'tableside'));
    expect(defaultConfigDir({ APPDATA: 'C:\\Users\\a\\AppData\\Roaming' }, 'win32')).toBe(
      join('C:\\Users\\a\\AppData\\Roaming', 'tableside'),
    );
    expect(defaultConfigDir({ TABLESIDE_CONFIG_DIR: '/t', XDG_CONFIG_HOME: '/x' }, 'linux')).toBe('/t');
  });

  it('remembers a strap, keeps keys it does not know, and reads back', () => {
    const dir = join(scratch(), 'not-yet');
    expect(readConfig(dir)).toEqual({ config: {} });
    writeConfig({ lastStrap: { name: 'Polar H10 8AA87D20', id: '8AA87D20' } }, dir);
    const text = readFileSync(configPath(dir), 'utf8');
    writeFileSync(configPath(dir), text.replace('{', '{"future": 1,'));
    writeConfig({ lastStrap: { name: 'Polar H9 1A2B3C4D', id: '1A2B3C4D' } }, dir);
    expect(JSON.parse(readFileSync(configPath(dir), 'utf8'))).toEqual({
      future: 1,
      lastStrap: { name: 'Polar H9 1A2B3C4D', id: '1A2B3C4D' },
    });
    expect(readConfig(dir)).toEqual({ config: { lastStrap: { name: 'Polar H9 1A2B3C4D', id: '1A2B3C4D' } } });
  });

  it('a damaged file is ignored with a reason, never a crash', () => {
    const dir = scratch();
    writeFileSync(configPath(dir), '{"lastStrap": ');
    expect(readConfig(dir)).toMatchObject({ config: {}, problem: expect.stringMatching(/not valid JSON/) });
    writeFileSync(configPath(dir), '[1]');
    expect(readConfig(dir)).toMatchObject({ config: {}, problem: expect.stringMatching(/JSON object/) });
    writeFileSync(configPath(dir), '{"lastStrap": {"name": "x"}}');
    expect(readConfig(dir)).toEqual({ config: {} });
  });
});

describe('which strap `tableside start` looks for', () => {
  const remembered = { name: 'Polar H10 8AA87D20', id: '8AA87D20' };
  it('the one asked for, else the one remembered, else any; "--device any" forgets the remembered one', () => {
    expect(chooseStrap('1A2B3C4D', remembered)).toEqual({ deviceId: '1A2B3C4D', why: 'asked' });
    expect(chooseStrap(undefined, remembered)).toEqual({ deviceId: '8AA87D20', why: 'remembered' });
    expect(chooseStrap(undefined, undefined)).toEqual({ why: 'any' });
    expect(chooseStrap('ANY', remembered)).toEqual({ why: 'any' });
    expect(chooseStrap('  ', remembered)).toEqual({ deviceId: '8AA87D20', why: 'remembered' });
  });
});

describe('terminal words', () => {
  it('the scan table: name, id, signal, battery when known, and how to connect', () => {
    const text = strapTable([
      { name: 'Polar H10 8AA87D20', id: '8AA87D20', address: 'ec:ea:02:85:d9:7a', rssi: -58, batteryPct: 87 },
      { name: 'Garmin HRM-Dual', id: 'c1d2e3f4a5b6', address: 'c1:d2:e3:f4:a5:b6', rssi: -101 },
    ]);
    expect(text.split('\n')).toEqual([
      'name                id              signal  battery',
      'Polar H10 8AA87D20  8AA87D20       -58 dBm  87 %',
      'Garmin HRM-Dual     c1d2e3f4a5b6  -101 dBm  —',
      '',
      'Connect with: tableside start --device 8AA87D20',
      '',
    ]);
    expect(strapTable([])).toMatch(/^no straps found\. .*worn.*Polar app/);
  });

  it('set-up help names the fix on each platform', () => {
    expect(bluetoothSetupHelp('linux').join('\n')).toMatch(/setcap cap_net_raw\+eip.*[\s\S]*bluetoothd/);
    expect(bluetoothSetupHelp('darwin').join('\n')).toMatch(/Privacy & Security → Bluetooth/);
    expect(bluetoothSetupHelp('win32').join('\n')).toMatch(/WinUSB/);
  });
});
