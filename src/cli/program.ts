/**
 * The `tableside` command line: builds the commands; `main.ts` runs them.
 *
 * Each command loads its own modules when it runs, not before: `analyze` needs neither the server, the logger, SQLite
 * nor Bluetooth, and loading them all took longer than reading and analysing a day-long recording.
 */

import { readFileSync } from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { READING_KINDS } from '../domain/kinds.js';
import { liveOutput, stderr, stdout } from '../host/output.js';
import { EXPORT_FORMATS } from '../io/export-formats.js';
import type { Speed } from '../sources/pacing.js';

function seconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a time in seconds, e.g. 300');
  return n;
}

export function buildCli(): Command {
  const program = new Command('tableside')
    .description('Live heart-rate-variability monitor for bodywork: strap → live screen → local session record.')
    .version(packageVersion())
    .showHelpAfterError()
    // Help, version and usage errors go through the same outputs as everything else (host/output.ts).
    .configureOutput({ writeOut: (text) => stdout().write(text), writeErr: (text) => stderr().write(text) });

  program
    .command('analyze')
    .description('print the HRV metrics of an RR recording (or a segment), or the live engine output beat by beat')
    .argument(
      '<file>',
      'RR file: one RR per line (ms or s), CSV with an RR column, Polar HRM, Kubios text, tableside export',
    )
    .option('--json', 'print one JSON object')
    .addOption(rrFileOptions.units())
    .option('--from <s>', 'first second of the segment: beats whose end time lies in (from, to]', seconds)
    .option('--to <s>', 'last second of the segment', seconds)
    .option('--no-correction', 'compute on the values as given (no range filter, no artefact correction)')
    .addOption(
      new Option('--interpolation <method>', 'resampling before the spectrum')
        .choices(['cubic', 'linear'])
        .default('cubic'),
    )
    .option('--rolling', 'one row per beat with the live metrics (the engine the daemon uses)')
    .addOption(new Option('--format <format>', 'rolling output format').choices(['csv', 'ndjson']).default('csv'))
    .addOption(
      new Option('--window <s>', 'rolling RMSSD window: 60 (standard) or 30 (fast, indicative)')
        .default(60)
        .argParser((value: string) => {
          if (value !== '60' && value !== '30') throw new InvalidArgumentError('expected 60 or 30');
          return Number(value);
        }),
    )
    .action(async (file: string, opts) => {
      const { analyzeCommand } = await import('./analyze.js');
      await analyzeCommand(file, opts);
    });

  daemonCommand(program, 'start')
    .description(
      'run the daemon on a Bluetooth heart-rate strap and serve the view: the strap given, else the one used last ' +
        'time, else the first one found',
    )
    .option('--device <id>', 'the strap to use: the id `tableside scan` shows (Polar: printed on the sensor), or "any"')
    .option(
      '--therapist [id]',
      'a second strap, worn by the therapist, recorded as its own stream of the session (without an id: the first other strap found)',
    )
    .option(
      '--browser-strap',
      "the straps connect through the table-side screen's browser (Web Bluetooth: Chrome or Edge), not this computer " +
        '(the default when the Bluetooth library is not installed)',
    )
    .action(async (opts) => {
      const { startCommand } = await import('./ble-commands.js');
      await startCommand(opts);
    });

  program
    .command('scan')
    .description('list the Bluetooth heart-rate straps nearby: name, id, signal, battery')
    .addOption(new Option('--seconds <s>', 'how long to listen').default(5).argParser(positiveSeconds))
    .option('--no-battery', 'do not connect to each strap to read its battery level')
    .option('--json', 'print JSON')
    .action(async (opts) => {
      const { scanCommand } = await import('./ble-commands.js');
      await scanCommand(opts);
    });

  daemonCommand(program, 'replay')
    .description('run the daemon on a recorded file, paced like a live strap, and serve the view (DEMO)')
    .argument('<file>', 'an RR file (any format analyze reads) or a tableside recording')
    .addOption(rrFileOptions.units())
    .option('--speed <n>', 'playback speed: 1 = real time, 10 = ten times faster, max = as fast as possible', speed, 1)
    .option('--exit', 'exit when the recording has been replayed (for scripts)')
    .action(async (file: string, opts) => {
      const [{ loadReplaySource }, { serve }] = await Promise.all([
        import('../sources/replay.js'),
        import('./daemon-command.js'),
      ]);
      const source = await loadReplaySource(file, opts.speed, { units: opts.units });
      const running = await serve(source, {
        ...opts,
        demo: true,
        autoSession: { clientLabel: 'Demo (replay)', therapistNote: `replay of ${file}` },
      });
      if (opts.exit) exitWhenEnded(running);
    });

  daemonCommand(program, 'simulate')
    .description('run the daemon on a simulated strap (deterministic for a seed) and serve the view (DEMO)')
    .option('--seed <n>', 'seed of the simulated client', integer, 1)
    .option('--speed <n>', 'playback speed: 1 = real time, or max', speed, 1)
    .option('--duration <s>', 'stop after this many simulated seconds (default: run until stopped)', seconds)
    .option('--ectopic <per-min>', 'ectopic beats per minute', Number, 0)
    .option('--therapist', "a second simulated strap, the therapist's, as its own stream (seed + 1)")
    .option('--exit', 'exit when the simulated session ends')
    .action(async (opts) => {
      const [{ simulatedSource }, { serve }] = await Promise.all([
        import('../sources/simulated.js'),
        import('./daemon-command.js'),
      ]);
      const source = simulatedSource({
        seed: opts.seed,
        speed: opts.speed,
        durationS: opts.duration ?? Number.POSITIVE_INFINITY,
        ectopicPerMin: opts.ectopic,
      });
      const therapist = opts.therapist
        ? [
            {
              id: 'therapist',
              source: simulatedSource({
                seed: opts.seed + 1,
                speed: opts.speed,
                durationS: opts.duration ?? Number.POSITIVE_INFINITY,
              }),
              demo: true,
            },
          ]
        : [];
      const running = await serve(source, {
        ...opts,
        demo: true,
        autoSession: { clientLabel: 'Demo (simulated)', therapistNote: `simulated strap, seed ${opts.seed}` },
        streams: therapist,
      });
      if (opts.exit) exitWhenEnded(running);
    });

  program
    .command('clinic')
    .description(
      "the clinic overview: every table's live state from the MQTT broker, served as one page (with the tables' " +
        'access token and TLS options)',
    )
    .hook('preAction', () => liveOutput())
    .requiredOption('--mqtt <url>', 'the broker the tables publish to (mqtt:// or mqtts://; no password here)')
    .addOption(serveOptions.mqttConfig())
    .option(
      '--clinic-db <url>',
      "the clinic's PostgreSQL, for the clients' records across rooms (postgres://HOST[:PORT]/DB; no password here: " +
        'TABLESIDE_CLINIC_DB_USER / TABLESIDE_CLINIC_DB_PASSWORD or --clinic-db-config)',
    )
    .addOption(serveOptions.clinicDbConfig())
    .addOption(new Option('--port <n>', 'HTTP port of the overview').default(8090).argParser(port))
    .addOption(serveOptions.host())
    .addOption(serveOptions.tls())
    .addOption(serveOptions.tlsCert())
    .addOption(serveOptions.tlsKey())
    .addOption(serveOptions.logFile())
    .action(async (opts) => (await import('./clinic-command.js')).clinicCommand(opts));

  program
    .command('sessions')
    .description('list the stored sessions')
    .addOption(serveOptions.db())
    .option('--json', 'print JSON')
    .action(async (opts) => (await import('./sessions.js')).sessionsCommand(opts));

  program
    .command('import')
    .description(
      "add readings to a client's record: RR files (one reading each) or Welltory's readings CSV (one per row); " +
        'a folder imports every file in it; all or nothing',
    )
    .argument('<files...>', 'RR files or folders')
    .requiredOption('--client <name>', 'the client (created if not known yet)')
    .addOption(
      new Option('--kind <kind>', 'kind of reading (default: other; Welltory rows: from the row)').choices([
        ...READING_KINDS,
      ]),
    )
    .option(
      '--at <time>',
      'when the reading was taken, if the file does not say (ISO 8601, local unless it has a zone)',
    )
    .option('--user <code>', "in a file with several people's readings, whose to import")
    .addOption(serveOptions.db())
    .action(async (files: string[], opts) => (await import('./clients.js')).importCommand(files, opts));

  program
    .command('clients')
    .description('list the clients: sessions, readings, last visit')
    .addOption(serveOptions.db())
    .option('--json', 'print JSON')
    .action(async (opts) => (await import('./clients.js')).clientsCommand(opts));

  program
    .command('client')
    .description("a client's record: readings, days with baseline and normal range, sessions, techniques")
    .argument('<name>', 'the client, exactly as `tableside clients` shows it')
    .option('--json', 'print the whole record as one JSON object')
    .option('--today <date>', 'the last day of the record (YYYY-MM-DD; default: today)', date)
    .addOption(new Option('--normal-sd <k>', 'normal range: mean ± k SD').choices(['0.5', '1']))
    .option('--rename <new-name>', "change the client's name (their sessions carry the new one)")
    .option('--note <text>', "replace the client's note")
    .option('--export <dir>', 'write everything on the record into DIR: the JSON export, and each RR as text')
    .option('--delete', 'delete the client with every session and reading on the record (asks first)')
    .option('--yes', 'do not ask (needed when stdin is not a terminal)')
    .addOption(serveOptions.db())
    .addOption(
      new Option(
        '--clinic-db <url>',
        "read the record from the clinic's PostgreSQL: every room's sessions (credentials as for start)",
      ),
    )
    .addOption(serveOptions.clinicDbConfig())
    .addOption(serveOptions.table())
    .action(async (name: string, opts) => (await import('./clients.js')).clientCommand(name, opts));

  program
    .command('merge-client')
    .description(
      'merge a client into another: every session and reading moves, the note is appended, the first client goes ' +
        '(asks first)',
    )
    .argument('<from>', 'the client that goes, exactly as `tableside clients` shows it')
    .argument('<into>', 'the client that stays')
    .option('--yes', 'do not ask (needed when stdin is not a terminal)')
    .addOption(serveOptions.db())
    .action(async (from: string, into: string, opts) =>
      (await import('./clients.js')).mergeClientCommand(from, into, opts),
    );

  program
    .command('export')
    .description(
      'write a stored session: csv (beats with flags and times), rr (plain RR text for Kubios), json (all), ' +
        "recording (the strap's notifications, replayable)",
    )
    .argument('<id>', 'session id (see tableside sessions)', integer)
    .addOption(new Option('--format <format>', 'export format').choices([...EXPORT_FORMATS]).default('csv'))
    .option('--out <file>', 'write to a file instead of stdout')
    .addOption(serveOptions.db())
    .action(async (id: number, opts) => (await import('./sessions.js')).exportCommand(id, opts));

  program
    .command('delete')
    .description('delete a stored session and everything stored with it (asks first; refused while it is recording)')
    .argument('<id>', 'session id (see tableside sessions)', integer)
    .option('--yes', 'do not ask (needed when stdin is not a terminal)')
    .addOption(serveOptions.db())
    .action(async (id: number, opts) => (await import('./privacy.js')).deleteCommand(id, opts));

  program
    .command('purge')
    .description('delete every session of a client: the label must match exactly (asks first)')
    .requiredOption('--client <label>', 'the client label, as `tableside sessions` shows it')
    .option('--yes', 'do not ask (needed when stdin is not a terminal)')
    .addOption(serveOptions.db())
    .action(async (opts) => (await import('./privacy.js')).purgeCommand(opts));

  program
    .command('backup')
    .description('copy the session database to a file (SQLite online backup: works while tableside is recording)')
    .argument('<file>', 'the backup file to write')
    .option('--force', 'replace the file if it exists')
    .addOption(serveOptions.db())
    .action(async (file: string, opts) => (await import('./privacy.js')).backupCommand(file, opts));

  program
    .command('restore')
    .description('put a backup in place of the session database (stop tableside first); the old one is kept aside')
    .argument('<file>', 'a backup made by tableside backup')
    .addOption(serveOptions.db())
    .action(async (file: string, opts) => (await import('./privacy.js')).restoreCommand(file, opts));

  program
    .command('token')
    .description('show the link and QR code that pair a tablet with a daemon listening on the network')
    .option('--rotate', 'make a new access token: every paired device must pair again')
    .addOption(serveOptions.port())
    .addOption(
      new Option('--host <address>', 'the address the daemon listens on (0.0.0.0: every address)').default('0.0.0.0'),
    )
    .option('--tls', 'the daemon serves HTTPS (--tls or --tls-cert)')
    .action(async (opts) => (await import('./token-command.js')).tokenCommand(opts));

  return program;
}

function exitWhenEnded(running: { daemon: { currentSession: unknown } }) {
  const timer = setInterval(() => {
    if (running.daemon.currentSession === null) {
      clearInterval(timer);
      process.kill(process.pid, 'SIGTERM');
    }
  }, 200);
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a time in seconds above 0, e.g. 5');
  return n;
}

function date(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) throw new InvalidArgumentError('expected a date, YYYY-MM-DD');
  return value;
}

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function speed(value: string): Speed {
  if (value === 'max') return 'max';
  const n = Number(value);
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number or "max"');
  return n;
}

function port(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('expected a port number 0–65535');
  return n;
}

/**
 * A command that runs the daemon and serves the view: with the options every such command takes, and its output
 * live from the start (host/output.ts): nothing it writes ever waits for a reader.
 */
function daemonCommand(program: Command, name: string): Command {
  const command = program.command(name).hook('preAction', () => liveOutput());
  for (const option of [
    serveOptions.port(),
    serveOptions.host(),
    serveOptions.tls(),
    serveOptions.tlsCert(),
    serveOptions.tlsKey(),
    serveOptions.db(),
    serveOptions.logFile(),
    serveOptions.mqtt(),
    serveOptions.mqttConfig(),
    serveOptions.mqttDiscovery(),
    serveOptions.table(),
    serveOptions.clinicDb(),
    serveOptions.clinicDbConfig(),
    serveOptions.clinicBeats(),
  ]) {
    command.addOption(option);
  }
  return command;
}

/** Options of the commands that read an RR file (`analyze`, `replay`): they reach the reader as `RrReadOptions`. */
const rrFileOptions = {
  units: () =>
    new Option(
      '--units <unit>',
      'the unit of a file that names none (plain numbers, an RR column without a unit); default: from the values',
    ).choices(['s', 'ms']),
};

const serveOptions = {
  port: () => new Option('--port <n>', 'HTTP port of the view').default(8080).argParser(port),
  host: () =>
    new Option(
      '--host <address>',
      'address to listen on (127.0.0.1: this machine only; 0.0.0.0: the network, with an access token)',
    ).default('127.0.0.1'),
  tls: () => new Option('--tls', 'serve HTTPS with a self-signed certificate kept in your config directory'),
  tlsCert: () => new Option('--tls-cert <file>', 'serve HTTPS with this certificate (PEM); needs --tls-key'),
  tlsKey: () => new Option('--tls-key <file>', 'the private key (PEM) of --tls-cert'),
  db: () => new Option('--db <file>', 'session database (default: tableside.db in your data directory)'),
  logFile: () =>
    new Option('--log-file <file>', 'write the log to this file, rotated by size, instead of stdout (PATH.1 … PATH.5)'),
  mqtt: () =>
    new Option(
      '--mqtt <url>',
      "publish this table's live state to an MQTT broker (mqtt:// or mqtts://; no password here: " +
        'TABLESIDE_MQTT_PASSWORD or --mqtt-config)',
    ),
  mqttConfig: () =>
    new Option(
      '--mqtt-config <file>',
      'JSON file with the broker\'s "username", "password" and TLS files ("ca", "cert", "key")',
    ),
  mqttDiscovery: () =>
    new Option(
      '--mqtt-discovery [prefix]',
      'announce this table to Home Assistant on the broker (MQTT discovery; prefix default: homeassistant)',
    ),
  table: () =>
    new Option('--table <name>', "this table's name on the broker and in the clinic database (default: the host name)"),
  clinicDb: () =>
    new Option(
      '--clinic-db <url>',
      "keep this table's client records in the clinic's PostgreSQL too (postgres://HOST[:PORT]/DB; no password " +
        'here: TABLESIDE_CLINIC_DB_USER / TABLESIDE_CLINIC_DB_PASSWORD or --clinic-db-config)',
    ),
  clinicDbConfig: () =>
    new Option(
      '--clinic-db-config <file>',
      'JSON file with the clinic database\'s "user", "password" and TLS files ("ca", "cert", "key")',
    ),
  clinicBeats: () => new Option('--clinic-beats', 'send every beat of a finished session to the clinic database too'),
};

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
  return pkg.version;
}
