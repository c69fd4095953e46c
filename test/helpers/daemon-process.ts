/** Starts the real `tableside` CLI as a separate process, exactly as a user runs it, and talks to it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';

export const CLI = join(import.meta.dirname, '../../bin/tableside.js');

export function tempDir(prefix = 'tableside-test-'): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export interface RunningDaemon {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
}

/** Spawns `tableside <args>` on port 0 and resolves with the URL it prints. */
export function startDaemon(args: string[], env: NodeJS.ProcessEnv = {}): Promise<RunningDaemon> {
  const child = spawn(process.execPath, [CLI, ...args, '--port', '0'], {
    env: { ...process.env, TABLESIDE_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`daemon did not start:\n${out}`)), 20_000);
    const check = () => {
      const m = /open (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off('data', check);
        resolve({ child, url: m[1], output: () => out });
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`daemon exited with ${code} before it started:\n${out}`));
    });
  });
}

/** Runs the CLI to completion and returns stdout (throws with stderr on a non-zero exit). */
export function runCli(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`exit ${code}: ${err}`))));
  });
}

/** Opens /ws (or `/ws?stream=…`), records every message, and resolves once the first message (`hello`) has arrived. */
export function openViewer(
  url: string,
  stream?: string,
): Promise<{ ws: WebSocket; messages: Record<string, unknown>[] }> {
  const query = stream === undefined ? '' : `?stream=${encodeURIComponent(stream)}`;
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}ws${query}`);
  const messages: Record<string, unknown>[] = [];
  return new Promise((resolve, reject) => {
    ws.on('message', (data) => {
      messages.push(JSON.parse(data.toString()));
      if (messages.length === 1) resolve({ ws, messages });
    });
    ws.once('error', reject);
    // A daemon that ends (a replay with --exit) between the handshake and its hello closes the socket without an error.
    ws.once('close', (code) => reject(new Error(`the socket closed (${code}) before the daemon's hello`)));
  });
}

export function waitFor(predicate: () => boolean, timeoutMs = 20_000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const timer = setInterval(() => {
      if (predicate()) {
        clearInterval(timer);
        resolve();
      } else if (Date.now() - started > timeoutMs) {
        clearInterval(timer);
        reject(new Error(`timed out waiting for ${what}`));
      }
    }, 20);
  });
}

/** `promise`, or an error naming `what` (and `detail()`, e.g. a process's output) when it takes longer than `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string, detail = () => ''): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms / 1000} s\n${detail()}`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

export function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs `tableside <args>` to completion, stdin not a terminal, and resolves with its exit code and output whatever
 * the code. `nodeArgs` go to node before the CLI (e.g. `--import` a preload).
 */
export function runCliResult(
  args: string[],
  options: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), CLI, ...args], {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.once('error', reject);
    // 'close', not 'exit': all output has been read by then.
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}
