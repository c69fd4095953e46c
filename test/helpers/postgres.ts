/**
 * A real, throwaway PostgreSQL cluster (Debian's `postgresql`): initdb in a temp directory, pg_ctl on a free loopback
 * port with its unix socket in that directory. initdb refuses to run as root, so as root (a CI runner, this machine)
 * the tools run as the `postgres` user through runuser, with the directory handed to that user.
 *
 * The superuser `tableside` has a password (TCP connections use scram-sha-256), so a wrong password is refused as on
 * a real server. fsync is off unless asked (`durable`): the tests kill the server, they do not pull the plug on the
 * machine.
 */
import { execFile } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';

const run = promisify(execFile);

export const PG_USER = 'tableside';
export const PG_PASSWORD = 'clinic-secret';

/** The directory of initdb/pg_ctl: on PATH, or the newest /usr/lib/postgresql/N/bin. */
export function postgresBin(): string {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    // /usr/local/bin may hold links to initdb and pg_ctl alone: the tools' own directory has psql too.
    if (dir && existsSync(join(dir, 'initdb')) && existsSync(join(dir, 'pg_ctl'))) {
      return dirname(realpathSync(join(dir, 'initdb')));
    }
  }
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions.length === 0) throw new Error('PostgreSQL is not installed (Debian: apt-get install postgresql)');
  return join(root, versions[0], 'bin');
}

export interface PgCluster {
  readonly port: number;
  readonly dir: string;
  /** postgres://127.0.0.1:PORT/DB (no credentials: they go in the environment) */
  url(database: string): string;
  /** env for a tableside process: the user and password */
  readonly env: { TABLESIDE_CLINIC_DB_USER: string; TABLESIDE_CLINIC_DB_PASSWORD: string };
  /** creates an empty database */
  createDatabase(name: string): Promise<void>;
  /** runs SQL with psql as the superuser; returns the unaligned, tuples-only output */
  psql(database: string, sql: string): Promise<string>;
  /** pg_ctl stop -m immediate: the server goes at once, connections are cut */
  stop(): Promise<void>;
  /** starts it again on the same port and data */
  start(): Promise<void>;
  /** stops it and removes its directory */
  destroy(): Promise<void>;
  log(): string;
}

/** `durable`: fsync on, as a real server runs (the bench); the tests run without it. */
export async function startPostgres(options: { durable?: boolean } = {}): Promise<PgCluster> {
  const bin = postgresBin();
  const asRoot = process.getuid?.() === 0;
  const dir = mkdtempSync(join(tmpdir(), 'tableside-pg-'));
  const data = join(dir, 'data');
  const logFile = join(dir, 'server.log');
  if (asRoot) {
    const pgUser = await run('id', ['-u', 'postgres']).then((r) => Number(r.stdout.trim()));
    const pgGroup = await run('id', ['-g', 'postgres']).then((r) => Number(r.stdout.trim()));
    chownSync(dir, pgUser, pgGroup);
    chmodSync(dir, 0o700);
  }
  const tool = (name: string, args: string[]) =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args], { cwd: dir })
      : run(join(bin, name), args, { cwd: dir });
  const pwfile = join(dir, 'pw');
  writeFileSync(pwfile, `${PG_PASSWORD}\n`);
  if (asRoot) {
    const owner = await run('id', ['-u', 'postgres']).then((r) => Number(r.stdout.trim()));
    chownSync(pwfile, owner, -1);
  }
  await tool('initdb', [
    '-D',
    data,
    '-U',
    PG_USER,
    `--pwfile=${pwfile}`,
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    '-E',
    'UTF8',
    '--locale=C',
    '--no-sync',
  ]);
  rmSync(pwfile);
  const port = await freePort();
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    ...(options.durable ? [] : ['-c fsync=off', '-c full_page_writes=off']),
    '-c max_connections=40',
    '-c shared_buffers=16MB',
  ].join(' ');
  const start = async () => {
    await tool('pg_ctl', ['-D', data, '-l', logFile, '-o', serverOptions, '-w', '-t', '30', 'start']);
  };
  const stop = async () => {
    await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
  };
  await start();
  const psql = async (database: string, sql: string) => {
    const r = await tool('psql', ['-h', dir, '-p', String(port), '-U', PG_USER, '-d', database, '-XAtq', '-c', sql]);
    return r.stdout.trim();
  };
  return {
    port,
    dir,
    url: (database) => `postgres://127.0.0.1:${port}/${database}`,
    env: { TABLESIDE_CLINIC_DB_USER: PG_USER, TABLESIDE_CLINIC_DB_PASSWORD: PG_PASSWORD },
    createDatabase: async (name) => {
      await psql('postgres', `CREATE DATABASE "${name}"`);
    },
    psql,
    stop,
    start,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
  };
}

/** Settings for src/clinic against this cluster's database (what the CLI makes of --clinic-db and the env). */
export function clusterSettings(cluster: PgCluster, database: string, table = 'room-1') {
  return {
    host: '127.0.0.1',
    port: cluster.port,
    database,
    shown: `postgres://127.0.0.1:${cluster.port}/${database}`,
    table,
    user: PG_USER,
    password: PG_PASSWORD,
    beats: false,
  };
}
