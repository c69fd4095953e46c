/**
 * tableside installed where the Bluetooth library could not be built (noble is an optional dependency, and npm
 * leaves it out when its build fails): the real CLI runs from a copy of the package whose node_modules holds every
 * installed package but @abandonware/noble. `tableside start` then runs on browser straps and says how to connect
 * one from the table-side screen instead of crashing; `tableside scan` says the same and exits 1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../helpers/daemon-process.js';

const ROOT = join(import.meta.dirname, '../..');
const dir = tempDir('tableside-no-noble-');
const app = join(dir.path, 'tableside');
const children: ChildProcess[] = [];

beforeAll(() => {
  mkdirSync(app);
  for (const part of ['bin', 'dist', 'web', 'recordings', 'package.json']) {
    cpSync(join(ROOT, part), join(app, part), { recursive: true });
  }
  // Every installed package, linked — but noble, as an install that could not build it leaves things.
  const modules = join(app, 'node_modules');
  mkdirSync(modules);
  for (const name of readdirSync(join(ROOT, 'node_modules'))) {
    if (name === '@abandonware') {
      mkdirSync(join(modules, name));
      for (const inner of readdirSync(join(ROOT, 'node_modules', name))) {
        if (inner !== 'noble') symlinkSync(join(ROOT, 'node_modules', name, inner), join(modules, name, inner));
      }
      continue;
    }
    if (name !== '.bin') symlinkSync(join(ROOT, 'node_modules', name), join(modules, name));
  }
  expect(existsSync(join(modules, '@abandonware', 'noble'))).toBe(false);
});

afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  dir.remove();
});

function run(args: string[]): { child: ChildProcess; output: () => string } {
  const child = spawn(process.execPath, [join(app, 'bin', 'tableside.js'), ...args], {
    cwd: dir.path,
    env: { ...process.env, TABLESIDE_LOG_LEVEL: 'warn', XDG_CONFIG_HOME: dir.path, XDG_DATA_HOME: dir.path },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return { child, output: () => out };
}

describe('tableside without the Bluetooth library', () => {
  it('start runs on browser straps and says how to connect one from the screen', async () => {
    const { child, output } = run(['start', '--port', '0', '--db', join(dir.path, 'nn.db')]);
    await waitFor(() => /Connect a strap from this device/.test(output()), 20_000, 'the browser path explained');
    const text = output();
    expect(text).toMatch(/the Bluetooth library \(@abandonware\/noble\) is not installed/);
    expect(text).toMatch(/Open http:\/\/\S+ in Chrome or Edge/);
    expect(text).toMatch(/Safari \(iPhone, iPad\) and Firefox cannot connect straps/);
    expect(text).not.toMatch(/Error|at .*\.js:\d+/);
    const url = /open (http:\/\/\S+?)\/? /.exec(text)?.[1];
    expect(url).toBeDefined();
    // It serves, with the client's stream waiting for a browser strap.
    const streams = (await (await fetch(`${url}/api/streams`)).json()) as {
      streams: { kind: string; state: string }[];
    };
    expect(streams.streams[0]).toMatchObject({ kind: 'browser', state: 'disconnected' });
    const sources = (await (await fetch(`${url}/api/sources`)).json()) as { bluetooth: boolean; browser: boolean };
    expect(sources).toMatchObject({ bluetooth: false, browser: true });
    expect(child.exitCode).toBeNull();
    const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    expect(await exit).toBe(0);
  }, 40_000);

  it('scan says Bluetooth cannot be used here, and how to connect from the browser', async () => {
    const { child, output } = run(['scan', '--seconds', '1']);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(1);
    expect(output()).toMatch(/the Bluetooth library is not installed/);
    expect(output()).toMatch(/tableside start --browser-strap/);
  }, 30_000);
});
