/**
 * Words for the Bluetooth side: who a strap is (from its advertised name), and what the adapter states, disconnect
 * reason codes and load failures mean to the person at the table. Pure; no noble.
 */

export interface StrapIdentity {
  /** the advertised local name, or a stand-in when the strap sent none */
  readonly name: string;
  /** the Polar device id (the 8 characters printed on the sensor), or the BLE peripheral id for other straps */
  readonly id: string;
  readonly polarId?: string;
  readonly model?: string;
}

/**
 * Polar names are "Polar <model…> <device id>" (e.g. "Polar H10 8AA87D20"). As Polar's SDK does
 * (PolarAdvDataUtility.kt): split on spaces, require more than two tokens starting with "Polar"; the last token is the
 * device id, the ones between are the model.
 */
export function parsePolarName(name: string | undefined): { model: string; polarId: string } | null {
  if (name === undefined) return null;
  const tokens = name.trim().split(/\s+/);
  if (tokens.length <= 2 || tokens[0] !== 'Polar') return null;
  return { model: tokens.slice(1, -1).join(' '), polarId: tokens[tokens.length - 1].toUpperCase() };
}

export function strapIdentity(localName: string | undefined, peripheralId: string): StrapIdentity {
  const polar = parsePolarName(localName);
  const name = localName?.trim() || `heart-rate strap ${peripheralId}`;
  if (polar === null) return { name, id: peripheralId };
  return { name, id: polar.polarId, polarId: polar.polarId, model: polar.model };
}

/**
 * Does a strap match what the user asked for? `wanted` may be the Polar device id ("8AA87D20", any case), the
 * address ("EC:EA:02:85:D9:7A") or noble's peripheral id ("ecea0285d97a"). No wish: any heart-rate strap.
 */
export function strapMatches(
  wanted: string | undefined,
  strap: StrapIdentity,
  peripheral: { id: string; address: string },
): boolean {
  if (wanted === undefined || wanted.trim() === '') return true;
  const w = wanted.trim().toLowerCase().replace(/[:-]/g, '');
  return (
    w === strap.polarId?.toLowerCase() ||
    w === peripheral.id.toLowerCase().replace(/[:-]/g, '') ||
    w === peripheral.address.toLowerCase().replace(/[:-]/g, '')
  );
}

/** HCI disconnect reasons that matter for a chest strap (ble.md §3.6), in words. */
const DISCONNECT_REASONS: Readonly<Record<number, string>> = {
  8: 'link lost (supervision timeout: the strap went out of range or was taken off)',
  19: 'the strap ended the connection (remote user terminated: often the strap was taken off)',
  22: 'connection ended by this computer',
  34: 'link lost (the strap stopped answering)',
  59: 'the strap rejected the connection parameters',
  61: 'link lost (message integrity check failed)',
  62: 'the connection could not be established',
};

/** "link lost (supervision timeout: …) [0x08]" */
export function disconnectReasonText(code: number): string {
  const hex = `0x${code.toString(16).padStart(2, '0')}`;
  const words = DISCONNECT_REASONS[code];
  return words === undefined ? `disconnected (HCI reason ${hex})` : `${words} [${hex}]`;
}

/** What an adapter state other than poweredOn means, and what to do. */
export function adapterStateText(state: string): string {
  switch (state) {
    case 'poweredOff':
      return 'the Bluetooth adapter is off: switch it on (bluetoothctl power on, or rfkill unblock bluetooth)';
    case 'unauthorized':
      return (
        'no permission to use the Bluetooth adapter: allow node raw Bluetooth access with ' +
        '`sudo setcap cap_net_raw+eip $(eval readlink -f $(which node))`, or run as root'
      );
    case 'unsupported':
      return (
        'this Bluetooth adapter does not support Bluetooth Low Energy (Bluetooth 4.0 or later is needed): plug in a ' +
        'BLE adapter, or choose another one with NOBLE_HCI_DEVICE_ID'
      );
    case 'resetting':
      return 'the Bluetooth adapter is resetting';
    default:
      return (
        `the Bluetooth adapter is not ready (state ${state}): check that it is plugged in and up ` +
        '(hciconfig, bluetoothctl list)'
      );
  }
}

/** Why noble could not be loaded, and how to fix it. */
export function noAdapterText(error: unknown): string {
  const e = error as NodeJS.ErrnoException | undefined;
  const message = e?.message ?? String(error);
  if (e?.code === 'EAFNOSUPPORT' || /EAFNOSUPPORT|Address family not supported/.test(message)) {
    return (
      'no Bluetooth adapter: this computer has no Bluetooth support (EAFNOSUPPORT). Plug in a Bluetooth LE USB ' +
      'adapter and restart tableside, or use `tableside replay` / `tableside simulate` without a strap'
    );
  }
  if (e?.code === 'MODULE_NOT_FOUND' || e?.code === 'ERR_MODULE_NOT_FOUND') {
    return (
      `no Bluetooth adapter: the Bluetooth library is not installed (${message}). Install python3, make and g++, ` +
      'then run `npm rebuild @abandonware/bluetooth-hci-socket` (Linux) in the tableside folder; or connect the ' +
      'strap from the browser: "Connect a strap from this device" on the table-side screen (Chrome or Edge)'
    );
  }
  return `no Bluetooth adapter: the Bluetooth library failed to start (${message}). Check that an adapter is present (hciconfig, bluetoothctl list)`;
}

/**
 * How to make Bluetooth work on this platform, one step per line, for a terminal (ble.md §3.3). Printed by
 * `tableside start` and `tableside scan` when the adapter cannot be used.
 */
export function bluetoothSetupHelp(platform: NodeJS.Platform = process.platform): string[] {
  switch (platform) {
    case 'darwin':
      return [
        'Switch Bluetooth on (Control Centre).',
        'Allow Bluetooth for the terminal app you run tableside from: System Settings → Privacy & Security → ' +
          'Bluetooth → switch on Terminal (or iTerm, VS Code, …), then open a new terminal window.',
        'The Bluetooth library is built when tableside is installed: that needs the Xcode command line tools ' +
          '(`xcode-select --install`, then `npm rebuild @abandonware/noble`).',
      ];
    case 'win32':
      return [
        'Windows 10 (version 1703) or later: switch Bluetooth on in Settings; tableside uses Windows’ own Bluetooth.',
        'Otherwise, or if no strap is ever found: a Bluetooth 4.0 (LE) or newer USB dongle that works with the ' +
          'WinUSB driver (switch its driver with Zadig), with BLUETOOTH_HCI_SOCKET_USB_VID and ' +
          'BLUETOOTH_HCI_SOCKET_USB_PID set to its USB ids.',
        'The Bluetooth library is built when tableside is installed: that needs the Visual Studio C++ build tools ' +
          'and Python (`npm rebuild @abandonware/noble @abandonware/bluetooth-hci-socket` after installing them).',
      ];
    default:
      return [
        'Plug in a Bluetooth 4.0 (LE) or newer adapter and check that it is listed and up: ' +
          '`bluetoothctl list`, `hciconfig` (`rfkill unblock bluetooth` if it is blocked).',
        'Let Node use the adapter without root (again after every Node upgrade): ' +
          '`sudo setcap cap_net_raw+eip $(eval readlink -f $(which node))`.',
        'Keep bluetoothd running and the adapter powered (`systemctl status bluetooth`, `bluetoothctl power on`); ' +
          'if the strap is paired in the desktop Bluetooth settings, remove it there so the system does not connect ' +
          'to it first.',
        'The Bluetooth library is built when tableside is installed: that needs python3, make and g++ ' +
          '(`npm rebuild @abandonware/bluetooth-hci-socket`).',
      ];
  }
}
