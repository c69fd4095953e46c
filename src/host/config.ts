/**
 * tableside's settings file: a small JSON object in the user's config directory. Today it remembers the strap that
 * last went live, so that `tableside start` connects to it again without `--device`.
 *
 *   Linux    $XDG_CONFIG_HOME/tableside/config.json (~/.config/tableside/config.json)
 *   macOS    ~/Library/Preferences/tableside/config.json
 *   Windows  %APPDATA%\tableside\config.json
 *   any      $TABLESIDE_CONFIG_DIR/config.json
 *
 * A missing or unreadable file is an empty configuration, never a reason not to start; writes replace the file
 * atomically (temporary file, then rename), so a crash never leaves half a file.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface RememberedStrap {
  /** the advertised name, e.g. "Polar H10 8AA87D20" */
  readonly name: string;
  /** what `--device` takes: the Polar device id, or the peripheral id of other straps */
  readonly id: string;
}

export interface TablesideConfig {
  readonly lastStrap?: RememberedStrap;
}

export const CONFIG_FILE_NAME = 'config.json';

export function defaultConfigDir(
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (env.TABLESIDE_CONFIG_DIR) return env.TABLESIDE_CONFIG_DIR;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'tableside');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Preferences', 'tableside');
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'tableside');
}

export function configPath(dir: string = defaultConfigDir()): string {
  return join(dir, CONFIG_FILE_NAME);
}

/** The configuration in `dir`; `{}` when there is none. `problem` says why a file that exists was not used. */
export function readConfig(dir: string = defaultConfigDir()): { config: TablesideConfig; problem?: string } {
  const path = configPath(dir);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { config: {} };
    return { config: {}, problem: `cannot read ${path}: ${(err as Error).message}` };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { config: {}, problem: `${path} is not valid JSON (${(err as Error).message}); it is ignored` };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { config: {}, problem: `${path} does not hold a JSON object; it is ignored` };
  }
  const lastStrap = strapOf((raw as Record<string, unknown>).lastStrap);
  return { config: lastStrap === undefined ? {} : { lastStrap } };
}

/** Writes the configuration to `dir` (created if needed), keeping keys this version does not know. */
export function writeConfig(config: TablesideConfig, dir: string = defaultConfigDir()): void {
  const path = configPath(dir);
  mkdirSync(dir, { recursive: true });
  let kept: Record<string, unknown> = {};
  try {
    const old = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    if (old !== null && typeof old === 'object' && !Array.isArray(old)) kept = old as Record<string, unknown>;
  } catch {
    // no file, or not JSON: nothing to keep
  }
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ ...kept, ...config }, null, 2)}\n`);
  renameSync(temporary, path);
}

function strapOf(value: unknown): RememberedStrap | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { name, id } = value as Record<string, unknown>;
  if (typeof name !== 'string' || typeof id !== 'string' || id.trim() === '') return undefined;
  return { name, id };
}
