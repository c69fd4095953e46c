/**
 * `tableside start` (the daemon on a live Bluetooth strap) and `tableside scan` (the straps nearby). noble is loaded
 * only when the source starts or the scan runs (src/ble/noble-source.ts), never when this module is imported.
 */
import { tap } from 'rxjs';
import {
  BluetoothUnavailableError,
  type FoundStrap,
  nobleInstalled,
  nobleSource,
  scanStraps,
} from '../ble/noble-source.js';
import { bluetoothSetupHelp } from '../ble/strap-words.js';
import { browserStrapSource } from '../daemon/source-catalog.js';
import { CLIENT_STREAM } from '../daemon/stream.js';
import type { HeartRateSource } from '../domain/source.js';
import { configPath, defaultConfigDir, type RememberedStrap, readConfig, writeConfig } from '../host/config.js';
import { createDaemonLog } from '../host/logger.js';
import { CLOSED_PIPE_EXIT_CODE, stderr, stdout } from '../host/output.js';
import { type ServeOptions, serve } from './daemon-command.js';

/** The stream of a second strap worn by the therapist. */
export const THERAPIST_STREAM = 'therapist';

/** `--device any`: connect to the first heart-rate strap found, whatever was remembered. */
export const ANY_DEVICE = 'any';

export interface StartOptions {
  readonly device?: string;
  /** a second strap, worn by the therapist: its id, or true for the first other strap found */
  readonly therapist?: string | boolean;
  readonly port: number;
  readonly host: string;
  readonly db?: string;
  readonly tls?: boolean;
  readonly tlsCert?: string;
  readonly tlsKey?: string;
  readonly logFile?: string;
  /** the straps are connected by the table-side screen's browser (Web Bluetooth), not by this computer */
  readonly browserStrap?: boolean;
  readonly mqtt?: string;
  readonly mqttConfig?: string;
  readonly table?: string;
  readonly clinicDb?: string;
  readonly clinicDbConfig?: string;
  readonly clinicBeats?: boolean;
}

/** Which strap to look for: the one asked for, else the one remembered, else any. */
export function chooseStrap(
  device: string | undefined,
  remembered: RememberedStrap | undefined,
): { deviceId?: string; why: 'asked' | 'remembered' | 'any' } {
  const asked = device?.trim();
  if (asked !== undefined && asked !== '') {
    return asked.toLowerCase() === ANY_DEVICE ? { why: 'any' } : { deviceId: asked, why: 'asked' };
  }
  if (remembered !== undefined) return { deviceId: remembered.id, why: 'remembered' };
  return { why: 'any' };
}

export async function startCommand(opts: StartOptions): Promise<void> {
  const daemonLog = createDaemonLog(opts.logFile === undefined ? {} : { file: opts.logFile });
  const { log } = daemonLog;
  const configDir = defaultConfigDir();
  const { config, problem } = readConfig(configDir);
  if (problem !== undefined) log.warn({ problem }, 'settings file ignored');
  const choice = chooseStrap(opts.device, config.lastStrap);
  let remembered = config.lastStrap;

  const told = new Set<string>();
  const onAdapterProblem = (reason: string, waiting: boolean) => {
    if (told.has(reason)) return;
    told.add(reason);
    say(
      adapterProblemText(
        reason,
        waiting
          ? 'The view keeps running, and tableside connects by itself once the adapter is ready.'
          : 'The view keeps running (the strap shows as disconnected); restart tableside once this is fixed.',
      ),
    );
  };

  const remember = (device: RememberedStrap) => {
    if (remembered?.id === device.id && remembered.name === device.name) return;
    try {
      writeConfig({ lastStrap: { name: device.name, id: device.id } }, configDir);
      remembered = device;
      log.info({ device, config: configPath(configDir) }, 'strap remembered for the next start');
      say(`tableside: connected to ${device.name}; \`tableside start\` will look for it again next time.`);
    } catch (err) {
      log.warn({ err, config: configPath(configDir) }, 'could not remember the strap');
    }
  };

  /** A strap as a stream's source; the client's strap is remembered for the next start. */
  const strapSource = (streamId: string, deviceId: string | undefined): HeartRateSource => {
    const ble = nobleSource({
      ...(deviceId === undefined ? {} : { deviceId }),
      log: log.child({ module: 'ble', stream: streamId }),
      onAdapterProblem,
    });
    if (streamId !== CLIENT_STREAM) return ble;
    return {
      kind: ble.kind,
      label: ble.label,
      events$: ble.events$.pipe(
        tap((e) => {
          if (e.type === 'status' && e.status.state === 'live' && e.status.device !== undefined) {
            remember(e.status.device);
          }
        }),
      ),
    };
  };
  // Without noble (not installed: it needs a compiler) or when asked, the browser is the radio.
  const radio: 'noble' | 'browser-asked' | 'browser-no-noble' = opts.browserStrap
    ? 'browser-asked'
    : nobleInstalled()
      ? 'noble'
      : 'browser-no-noble';
  if (radio !== 'noble') {
    await startOnBrowserStraps(opts, radio === 'browser-no-noble', daemonLog);
    return;
  }
  const source = strapSource(CLIENT_STREAM, choice.deviceId);
  const therapistDevice = opts.therapist === undefined || opts.therapist === false ? null : opts.therapist;
  const streams =
    therapistDevice === null
      ? []
      : [
          {
            id: THERAPIST_STREAM,
            source: strapSource(
              THERAPIST_STREAM,
              therapistDevice === true || therapistDevice.toLowerCase() === ANY_DEVICE ? undefined : therapistDevice,
            ),
            demo: false,
          },
        ];

  const serveOptions: ServeOptions = {
    ...listenOptions(opts),
    demo: false,
    autoSession: { clientLabel: '', therapistNote: 'live strap' },
    streams,
    bluetooth: {
      source: strapSource,
      scan: (seconds) => scanStraps({ durationMs: seconds * 1000, log: log.child({ module: 'ble', stream: 'scan' }) }),
    },
  };
  await serve(source, serveOptions, daemonLog);
  say(lookingForText(choice, config.lastStrap));
  if (therapistDevice !== null) {
    say(
      `tableside: also looking for the therapist's strap${typeof therapistDevice === 'string' ? ` ${therapistDevice}` : ''}` +
        ' (its own stream: the view switches to it under "Streams").',
    );
  }
}

/** Where and how `tableside start` serves and publishes, whichever radio it uses. */
function listenOptions(
  opts: StartOptions,
): Pick<
  ServeOptions,
  | 'port'
  | 'host'
  | 'db'
  | 'tls'
  | 'tlsCert'
  | 'tlsKey'
  | 'mqtt'
  | 'mqttConfig'
  | 'table'
  | 'clinicDb'
  | 'clinicDbConfig'
  | 'clinicBeats'
> {
  return {
    port: opts.port,
    host: opts.host,
    ...(opts.db === undefined ? {} : { db: opts.db }),
    ...(opts.tls === undefined ? {} : { tls: opts.tls }),
    ...(opts.tlsCert === undefined ? {} : { tlsCert: opts.tlsCert }),
    ...(opts.tlsKey === undefined ? {} : { tlsKey: opts.tlsKey }),
    ...(opts.mqtt === undefined ? {} : { mqtt: opts.mqtt }),
    ...(opts.mqttConfig === undefined ? {} : { mqttConfig: opts.mqttConfig }),
    ...(opts.table === undefined ? {} : { table: opts.table }),
    ...(opts.clinicDb === undefined ? {} : { clinicDb: opts.clinicDb }),
    ...(opts.clinicDbConfig === undefined ? {} : { clinicDbConfig: opts.clinicDbConfig }),
    ...(opts.clinicBeats === undefined ? {} : { clinicBeats: opts.clinicBeats }),
  };
}

/**
 * `tableside start` where this computer is not the radio: each stream's strap is connected by a browser page (Web
 * Bluetooth), which forwards its notifications over its socket. Nothing here loads noble.
 */
async function startOnBrowserStraps(
  opts: StartOptions,
  nobleMissing: boolean,
  daemonLog: ReturnType<typeof createDaemonLog>,
): Promise<void> {
  const { log } = daemonLog;
  const browserLog = (stream: string) => log.child({ module: 'browser-strap', stream });
  const therapist = opts.therapist !== undefined && opts.therapist !== false;
  const serveOptions: ServeOptions = {
    ...listenOptions(opts),
    demo: false,
    autoSession: { clientLabel: '', therapistNote: 'live strap' },
    streams: therapist
      ? [{ id: THERAPIST_STREAM, source: browserStrapSource(browserLog(THERAPIST_STREAM)), demo: false }]
      : [],
  };
  if (nobleMissing) log.warn({}, 'the Bluetooth library is not installed: straps connect through the browser');
  const { url } = await serve(browserStrapSource(browserLog(CLIENT_STREAM)), serveOptions, daemonLog);
  say(browserPathText(url, nobleMissing, opts.tls === true || opts.tlsCert !== undefined));
}

/** How to connect a strap from the browser, for the terminal. */
export function browserPathText(url: string, nobleMissing: boolean, tls: boolean): string {
  const local = /^https?:\/\/(localhost|127\.0\.0\.1|\[::1\])[:/]/.test(url);
  return [
    nobleMissing
      ? 'tableside: the Bluetooth library (@abandonware/noble) is not installed on this computer — it is built with ' +
        'a C++ compiler when tableside is installed, and was skipped — so the strap connects through the browser.'
      : 'tableside: the strap connects through the browser, not through this computer.',
    `  Open ${url} in Chrome or Edge on a device with Bluetooth (Android, Windows, macOS, ChromeOS, Linux) and tap`,
    '  "Connect a strap from this device". Safari (iPhone, iPad) and Firefox cannot connect straps.',
    local || tls
      ? '  Web Bluetooth needs a secure page: this one is (localhost or HTTPS).'
      : '  Web Bluetooth needs a secure page: on another device, start tableside with --tls and open the https link.',
    ...(nobleMissing
      ? [
          '  To use this computer’s own Bluetooth instead: install a C++ tool chain (Linux: python3, make, g++; macOS:',
          '  `xcode-select --install`; Windows: the Visual Studio C++ build tools and Python), then `npm install` again.',
        ]
      : []),
  ].join('\n');
}

function lookingForText(choice: ReturnType<typeof chooseStrap>, remembered: RememberedStrap | undefined): string {
  const wear =
    'put the strap on (it advertises only with skin contact: wet the electrodes) and close any phone app using it';
  switch (choice.why) {
    case 'asked':
      return `tableside: looking for strap ${choice.deviceId}: ${wear}.`;
    case 'remembered':
      return (
        `tableside: looking for ${remembered?.name ?? choice.deviceId}, the strap used last time: ${wear}. ` +
        `Another strap: \`tableside scan\`, then \`tableside start --device ID\` (or \`--device ${ANY_DEVICE}\`).`
      );
    case 'any':
      return `tableside: looking for any heart-rate strap: ${wear}.`;
  }
}

/** What to tell the user when the adapter cannot be used; `then` says what happens meanwhile, if anything. */
function adapterProblemText(reason: string, then?: string): string {
  const lines = [
    `tableside: Bluetooth is not available: ${reason}`,
    ...(then === undefined ? [] : [`  ${then}`]),
    '  To fix it:',
    ...bluetoothSetupHelp().map((line) => `   - ${line}`),
    '  Or let the browser be the radio: `tableside start --browser-strap`, then "Connect a strap from this device" on',
    '  the table-side screen (Chrome or Edge, on localhost or with --tls).',
    '  Without a strap: `tableside simulate` or `tableside replay FILE` show the view on a simulated or recorded client.',
  ];
  return lines.join('\n');
}

function say(text: string): void {
  stdout().write(`${text}\n`);
}

// ── tableside scan ───────────────────────────────────────────────────────────────────────────────────────────────

export interface ScanOptions {
  readonly seconds: number;
  /** connect to each strap briefly to read its battery level */
  readonly battery: boolean;
  readonly json?: boolean;
}

/** Lists the straps nearby and exits: 0 (straps or none), 1 when Bluetooth cannot be used. */
export async function scanCommand(opts: ScanOptions): Promise<void> {
  const log = {
    debug() {},
    info() {},
    warn: (obj: object, msg: string) => stderr().write(`tableside: ${msg} ${describe(obj)}\n`),
    error: (obj: object, msg: string) => stderr().write(`tableside: ${msg} ${describe(obj)}\n`),
  };
  if (!opts.json) stderr().write(`Scanning for heart-rate straps for ${opts.seconds} s…\n`);
  let code = 0;
  try {
    const straps = await scanStraps({ durationMs: opts.seconds * 1000, readBattery: opts.battery, log });
    stdout().write(opts.json ? `${JSON.stringify(straps)}\n` : strapTable(straps));
  } catch (err) {
    if (!(err instanceof BluetoothUnavailableError)) throw err;
    stderr().write(`${adapterProblemText(err.message)}\n`);
    code = 1;
  }
  // noble keeps a timer running for ever once loaded (ble.md §3.4): exit once the output is written (or its reader
  // has gone: then with 141, as any command whose stdout was closed).
  await Promise.all([stdout().flush(Number.POSITIVE_INFINITY), stderr().flush(Number.POSITIVE_INFINITY)]);
  process.exit(stdout().closed && code === 0 ? CLOSED_PIPE_EXIT_CODE : code);
}

export function strapTable(straps: readonly FoundStrap[]): string {
  if (straps.length === 0) {
    return (
      'no straps found. A strap advertises only while worn (wet the electrodes) and while no other app is ' +
      'connected to it (close the Polar app, or switch on its "2 connections" setting).\n'
    );
  }
  const rows = straps.map((s) => [
    s.name,
    s.id,
    `${s.rssi} dBm`,
    s.batteryPct === undefined ? '—' : `${s.batteryPct} %`,
  ]);
  const header = ['name', 'id', 'signal', 'battery'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 2 ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n\nConnect with: tableside start --device ${straps[0].id}\n`;
}

function describe(obj: object): string {
  const err = (obj as { err?: unknown }).err;
  if (err instanceof Error) return `(${err.message})`;
  return Object.keys(obj).length === 0 ? '' : JSON.stringify(obj);
}
